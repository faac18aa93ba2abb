"""Timeseries(url, client_config=..., ...): the client built with the driver's own parser."""

import contextlib
import sys
import types
import unittest
from unittest import mock

import redis
from redis.exceptions import RedisClusterException

from kairos import (AuthenticationError, ConfigurationError, KairosWarning, StorageError,
                    StorageUnavailable, Timeseries, UnsupportedClient)
import kairos.sql_backend  # noqa: F401 (imported before a test puts a fake sqlalchemy in place)
from kairos.mongo_backend import MongoBackend
from kairos.redis_backend import RedisBackend
from kairos.urls import client_from_url, sql_url

from tests.functional.common import at, intervals
from tests.support import free_port, redis_cluster_url, redis_url


class TestRedisURL(unittest.TestCase):

    def test_client_config_may_be_any_mapping(self):
        """client_config may be any mapping, as a dict is."""
        t = Timeseries(redis_url(), type='count', intervals=intervals(),
                       client_config=types.MappingProxyType({'socket_timeout': 7}))
        self.assertEqual(t._client.connection_pool.connection_kwargs['socket_timeout'], 7)
        t._client.close()

    def test_redis_url(self):
        """A redis:// URL builds a RedisBackend on redis.Redis.from_url, client_config passed."""
        t = Timeseries(redis_url(), type='count', prefix='url-test', intervals=intervals(),
                       client_config={'socket_timeout': 7, 'decode_responses': True})
        self.assertIsInstance(t, RedisBackend)
        self.assertIsInstance(t._client, redis.Redis)
        options = t._client.connection_pool.connection_kwargs
        self.assertEqual((7, True), (options['socket_timeout'], options['decode_responses']))
        t.insert('hits', 3, at(0))
        self.assertEqual({at(0): 3}, dict(t.get('hits', 'minute', at(0))))
        self.assertEqual(['hits'], t.list())
        t.delete_all()
        t._client.close()

    def test_no_connection_while_building(self):
        """Building from a URL connects to nothing: a dead address fails on first use."""
        t = Timeseries('redis://127.0.0.1:%d/0' % free_port(), type='count',
                       intervals=intervals(), client_config={'socket_connect_timeout': 0.5})
        with self.assertRaises(StorageError):
            t.get('hits', 'minute', at(0))

    def test_cluster_scheme(self):
        """redis+cluster:// goes to RedisCluster.from_url with a plain redis:// URL."""
        from redis.cluster import RedisCluster
        with mock.patch.object(RedisCluster, 'from_url', side_effect=RuntimeError('called')) \
                as from_url:
            with self.assertRaisesRegex(RuntimeError, 'called'):
                Timeseries('redis+cluster://10.0.0.1:7000/0', type='count',
                           intervals=intervals(), client_config={'socket_timeout': 2})
            with self.assertRaises(RuntimeError):
                client_from_url('rediss+cluster://10.0.0.1:7000')
        self.assertEqual([mock.call('redis://10.0.0.1:7000/0', socket_timeout=2),
                          mock.call('rediss://10.0.0.1:7000')], from_url.call_args_list)


class TestMongoURL(unittest.TestCase):

    def test_mongomock_url(self):
        """mongomock:// builds a MongoBackend; database from the path, keyword, or 'kairos'."""
        for url, database, expected in (('mongomock://', None, 'kairos'),
                                         ('mongomock:///stats', None, 'stats'),
                                         ('mongomock:///stats', 'other', 'other')):
            t = Timeseries(url, type='series', intervals=intervals(), database=database)
            self.assertIsInstance(t, MongoBackend)
            self.assertEqual(expected, t._db.name)
            t.insert('a', 1, at(0))
            self.assertEqual(['a'], t.list())

    def test_type_classes_take_urls(self):
        """0.5.0's type classes (Count, ...) take a URL too."""
        from kairos.timeseries import Count
        t = Count('mongomock:///stats', intervals=intervals())
        self.assertIsInstance(t, MongoBackend)
        self.assertIsInstance(t, Count)
        self.assertEqual('stats', t._db.name)

    def test_mongodb_url(self):
        """mongodb:// goes to pymongo.MongoClient (which connects lazily), client_config passed."""
        db = client_from_url('mongodb://127.0.0.1:%d/stats' % free_port(),
                             {'serverSelectionTimeoutMS': 50, 'appname': 'kairos-test'})
        self.assertEqual('stats', db.name)
        self.assertEqual('kairos-test', db.client.options.pool_options.metadata['application']
                         ['name'])
        db.client.close()
        for url, database, expected in (('mongodb://127.0.0.1:1/', None, 'kairos'),
                                        ('mongodb://127.0.0.1:1/admin', 'mine', 'mine')):
            db = client_from_url(url, database=database)
            self.assertEqual(expected, db.name)
            db.client.close()


class TestBadURL(unittest.TestCase):

    def test_unknown_scheme(self):
        """An unknown scheme raises UnsupportedClient naming it."""
        for url in ('http://localhost/', 'cassandra://localhost:9160/ks', 'nosuch://x'):
            with self.assertRaises(UnsupportedClient) as caught:
                Timeseries(url, type='series', intervals=intervals())
            self.assertIn(repr(url.split(':')[0]), str(caught.exception))

    def test_malformed(self):
        """A malformed URL raises UnsupportedClient naming it, without its password."""
        for url in ('redis://localhost:port/0', 'redis://localhost/0?socket_timeout=x',
                    'mongodb://h:1/db?w=ha ha', 'mongodb://h:notaport/db', 'localhost:6379',
                    'redis://user:secret@localhost:nan/0'):
            with self.assertRaises(UnsupportedClient, msg=url) as caught:
                Timeseries(url, type='series', intervals=intervals())
            self.assertNotIn('secret', str(caught.exception))
            self.assertIn(url.replace('secret', '***'), str(caught.exception))

    def test_client_config_checked(self):
        """client_config must be a dict, used with a URL only; database with a Mongo URL only."""
        with self.assertRaises(ConfigurationError):
            Timeseries('redis://localhost/0', type='series', intervals=intervals(),
                       client_config=[('db', 1)])
        with self.assertWarns(KairosWarning):  # as every keyword 0.5.0 ignored
            t = Timeseries(redis.Redis(), type='series', intervals=intervals(),
                           client_config={'db': 1})
        self.assertEqual(0, t._client.connection_pool.connection_kwargs.get('db', 0))
        with self.assertRaises(ConfigurationError):
            Timeseries('redis://localhost/0', type='series', intervals=intervals(),
                       database='stats')

    def test_sql_schemes_go_to_sqlalchemy(self):
        """SQL URLs with a driver go to sqlalchemy.create_engine as given, with client_config."""
        fake = types.ModuleType('sqlalchemy')
        fake.create_engine = mock.Mock(return_value=object())
        fake.exc = types.ModuleType('sqlalchemy.exc')
        fake.exc.ArgumentError = type('ArgumentError', (Exception,), {})
        with mock.patch.dict(sys.modules, {'sqlalchemy': fake, 'sqlalchemy.exc': fake.exc}):
            for url in ('sqlite:///tmp/x.db', 'postgresql+psycopg2://u:p@h/db',
                        'mysql+pymysql://h/db'):
                # the factory picks a backend by the engine's class: none for this one yet
                with self.assertRaises(UnsupportedClient):
                    Timeseries(url, type='series', intervals=intervals(),
                               client_config={'echo': True})
                fake.create_engine.assert_called_with(url, echo=True)


@contextlib.contextmanager
def modules(**installed):
    """sys.modules with each name set to its value (None: the import fails), then restored."""
    saved = {name: sys.modules.get(name, MISSING) for name in installed}
    sys.modules.update(installed)
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is MISSING:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


MISSING = object()


class TestSqlURL(unittest.TestCase):
    """Each scheme with the drivers .venv installs (psycopg 3, PyMySQL) or fewer."""

    def assertDriver(self, expected, url):
        built = client_from_url(url)  # nothing connects
        self.assertEqual(expected, (built.dialect.name, built.dialect.driver), url)
        built.dispose()

    def assertRefused(self, message, url):
        with self.assertRaises(UnsupportedClient) as caught:
            Timeseries(url, type='series', intervals=intervals())
        self.assertIn(message, str(caught.exception))
        self.assertNotIn('secret', str(caught.exception))

    def test_sqlite(self):
        """sqlite:// is SQLAlchemy's pysqlite, in memory or in a file."""
        self.assertDriver(('sqlite', 'pysqlite'), 'sqlite://')
        self.assertDriver(('sqlite', 'pysqlite'), 'sqlite:////tmp/kairos-url-test.db')

    def test_postgresql_uses_psycopg_3(self):
        """postgresql:// and postgres:// use psycopg 3."""
        for url in ('postgresql://u:secret@h/db', 'postgres://u:secret@h/db',
                    'POSTGRES://h/db'):
            self.assertDriver(('postgresql', 'psycopg'), url)

    def test_postgresql_falls_back_to_psycopg2(self):
        """Without psycopg 3, postgresql:// takes psycopg2 when that is installed."""
        with modules(psycopg=None, psycopg2=types.ModuleType('psycopg2')):
            self.assertEqual('postgresql+psycopg2://u:secret@h/db',
                             sql_url('postgres://u:secret@h/db'))

    def test_postgresql_without_driver(self):
        """postgresql:// without psycopg or psycopg2 names the [postgresql] extra."""
        with modules(psycopg=None, psycopg2=None):
            for url in ('postgresql://u:secret@h/db', 'postgres://u:secret@h/db'):
                self.assertRefused("%s needs a PostgreSQL driver: pip install "
                                   "'kairos[postgresql]'" % url.replace('secret', '***'), url)

    def test_mysql_uses_pymysql_without_mysqldb(self):
        """mysql:// and mariadb:// use PyMySQL when MySQLdb is not installed."""
        with modules(MySQLdb=None):
            self.assertDriver(('mysql', 'pymysql'), 'mysql://u:secret@h/db?charset=utf8mb4')
            self.assertDriver(('mariadb', 'pymysql'), 'mariadb://u:secret@h/db')

    def test_mysql_prefers_mysqldb(self):
        """mysql:// and mariadb:// keep SQLAlchemy's MySQLdb when it is installed."""
        with modules(MySQLdb=types.ModuleType('MySQLdb')):
            self.assertEqual('mysql+mysqldb://h/db', sql_url('mysql://h/db'))
            self.assertEqual('mariadb+mysqldb://h/db', sql_url('mariadb://h/db'))

    def test_mysql_without_driver(self):
        """mysql:// and mariadb:// without MySQLdb or PyMySQL name the [mysql] extra."""
        with modules(MySQLdb=None, pymysql=None):
            for url in ('mysql://u:secret@h/db', 'mariadb://u:secret@h/db'):
                self.assertRefused("%s needs a MySQL driver: pip install 'kairos[mysql]'"
                                   % url.replace('secret', '***'), url)

    def test_explicit_driver_kept(self):
        """An explicit +driver is used as given, and a missing one is named."""
        self.assertDriver(('postgresql', 'psycopg'), 'postgres+psycopg://h/db')
        self.assertDriver(('mysql', 'pymysql'), 'mysql+pymysql://h/db')
        with modules(MySQLdb=None):
            self.assertRefused("mysql+mysqldb://u:***@h/db needs the module 'MySQLdb'",
                               'mysql+mysqldb://u:secret@h/db')
        with modules(psycopg2=None):
            self.assertRefused("needs the module 'psycopg2'", 'postgresql+psycopg2://h/db')

    def test_without_sqlalchemy(self):
        """Without SQLAlchemy an SQL URL names the extra of its dialect ([sql] for SQLite)."""
        with modules(sqlalchemy=None):
            for url, extra in (('sqlite://', 'sql'), ('sqlite:///stats.db', 'sql'),
                               ('oracle://u:secret@h/db', 'sql'),
                               ('postgres://u:secret@h/db', 'postgresql'),
                               ('mariadb+pymysql://u:secret@h/db', 'mysql')):
                self.assertRefused("%s needs SQLAlchemy: pip install 'kairos[%s]'"
                                   % (url.replace('secret', '***'), extra), url)

    def test_unknown_driver(self):
        """An unknown dialect or driver is refused naming the URL, without its password."""
        for url in ('mysql+nosuch://u:secret@h/db', 'mssql+nosuch://u:secret@h/db'):
            self.assertRefused('cannot build a client from', url)


class TestClusterURLFailures(unittest.TestCase):
    """A redis+cluster:// client asks a node for the slot map as it is built."""

    def test_unreachable(self):
        """No node answering raises StorageUnavailable naming the node, never its password."""
        port = free_port()
        with self.assertRaises(StorageUnavailable) as caught:
            Timeseries('redis+cluster://kairos:s3cret@127.0.0.1:%d' % port, type='count',
                       intervals=intervals(), client_config={'socket_connect_timeout': 0.5})
        message = str(caught.exception)
        self.assertIn('127.0.0.1:%d' % port, message)
        self.assertNotIn('s3cret', message)
        self.assertIsInstance(caught.exception.__cause__, (redis.RedisError,
                                                           RedisClusterException))

    def test_refused_credentials(self):
        """A wrong password raises AuthenticationError, which is not a ConnectionError."""
        from redis.cluster import RedisCluster
        admin = RedisCluster.from_url(redis_cluster_url())
        self.addCleanup(admin.close)
        nodes = [admin.get_redis_connection(node) for node in admin.get_nodes()]
        for node in nodes:
            node.acl_setuser('kairos-url', enabled=True, reset_passwords=True,
                             passwords=['+right'], keys=['*'], commands=['+@all'])
            self.addCleanup(node.acl_deluser, 'kairos-url')
        url = redis_cluster_url().replace('redis://', 'redis+cluster://kairos-url:wrong@', 1)
        with self.assertRaises(AuthenticationError) as caught:
            Timeseries(url, type='count', intervals=intervals())
        self.assertNotIsInstance(caught.exception, ConnectionError)
        self.assertNotIn(':wrong@', str(caught.exception))
