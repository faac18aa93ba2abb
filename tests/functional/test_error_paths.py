"""Every public call fails with a kairos error that says what happened, on every backend.

One table of calls (every public method) runs on each backend against a
closed client, a server that is not there (a free port, nothing listening)
and a client whose credentials the server refuses (servers started with a
password: tests/support.py ``auth_server``). Each failure must be the named
KairosException subclass with the driver's error as ``__cause__``, a chain
of at most three exceptions (no second failure hidden in ``__context__``),
and no password anywhere in its traceback. A refusal of credentials is an
AuthenticationError, never a ConnectionError; a server that is not there is
a StorageUnavailable, which is one. Where a closed client reconnects
(redis-py, an SQLAlchemy Engine after ``dispose()``, the mongomock clients),
every call succeeds. The SQL walks run on kairos.asyncio too (``...Async``),
over the asyncio drivers.
"""

import os
import sqlite3
import traceback
import unittest
from unittest import mock

import psycopg
import pymongo
import pymongo.collection
import pymysql
import redis
import sqlalchemy
from pymongo.errors import OperationFailure, PyMongoError
from redis.backoff import NoBackoff
from redis.exceptions import RedisClusterException
from redis.retry import Retry
from sqlalchemy import exc as sa_exc
from sqlalchemy.connectors.asyncio import AsyncAdapt_Error
from sqlalchemy.ext.asyncio import create_async_engine

from kairos import (AuthenticationError, KairosException, StorageError, StorageUnavailable,
                    Timeseries)
from tests.support import (ASYNC_DRIVERS, AUTH_PASSWORD, AUTH_USER, AsyncCase, auth_server,
                           free_port, mongo_database, redis_cluster_url, redis_url)

T0 = 1700000000 - 1700000000 % 3600
INTERVALS = {'minute': {'step': 60}, 'hour': {'step': 3600, 'resolution': 60},
             'day': {'step': 86400, 'steps': 2}}
WRONG_PASSWORD = 'kairos-wrong-secret-51c9'

# (label, call): every public method; a label's first word names the method
CALLS = [
    ('insert', lambda t: t.insert('hits', 1, T0)),
    ('bulk_insert', lambda t: t.bulk_insert({T0: {'hits': [1, 2]}, T0 + 60: {'more': [3]}})),
    ('get', lambda t: t.get('hits', 'minute', T0)),
    ('get of two names', lambda t: t.get(['hits', 'more'], 'hour', T0)),
    ('series', lambda t: t.series('hits', 'minute', start=T0, steps=3)),
    ('series condensed', lambda t: t.series('hits', 'hour', start=T0, steps=2,
                                            condensed=True)),
    ('delete', lambda t: t.delete('hits')),
    ('list', lambda t: t.list()),
    ('properties', lambda t: t.properties('hits')),
    ('iterate', lambda t: list(t.iterate('hits', 'minute'))),
    ('delete_all', lambda t: t.delete_all()),
    ('expire', lambda t: t.expire()),
    ('expire of a name', lambda t: t.expire('hits')),
]

# Mongo collection methods kairos calls
MONGO_METHODS = ('create_index', 'bulk_write', 'update_one', 'find', 'find_one', 'distinct',
                 'delete_many')


def shown(exc):
    """The exceptions a printed traceback of ``exc`` shows, outermost first."""
    chain = []
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ if exc.__cause__ is not None or exc.__suppress_context__ \
            else exc.__context__
    return chain


def redis_mode(mode):
    """An insert in one of the Redis write modes, each a path of its own."""
    def call(t):
        t.write_mode = mode
        try:
            t.insert('hits', 2, T0)
        finally:
            t.write_mode = 'multi'
    return call


class Walk:
    """Runs the call table on a Timeseries and checks each outcome."""

    driver_errors = ()
    extra_calls = []     # the backend's own paths: fetch= reads, write modes
    no_io = ()           # methods that never touch the server here

    def timeseries(self, client, **kwargs):
        return Timeseries(client, type='count', intervals=INTERVALS, **kwargs)

    def walk(self, t, error, failing=None):
        """Every call (of a method in ``failing``, if given) fails with ``error``; the others,
        and those that never touch the server, succeed."""
        for label, call in CALLS + self.extra_calls:
            method = label.split()[0]
            with self.subTest(call=label):
                if error is None or method in self.no_io or \
                        (failing is not None and method not in failing):
                    call(t)
                else:
                    self.check_failure(error, call, t)

    def check_failure(self, error, call, *args):
        with self.assertRaises(error) as caught:
            call(*args)
        exc = caught.exception
        self.assertIsInstance(exc, KairosException)
        self.assertIsInstance(exc.__cause__, self.driver_errors, repr(exc))
        # raised from the driver's error directly: no second failure hidden in a context,
        # no kairos error below this one (the driver's own chain may hold its socket error)
        self.assertIn(exc.__context__, (None, exc.__cause__))
        chain = shown(exc)
        self.assertFalse([e for e in chain[1:] if isinstance(e, KairosException)], chain)
        self.assertLessEqual(len(chain), 4, traceback.format_exception(exc))
        text = ''.join(traceback.format_exception(exc))
        for password in (AUTH_PASSWORD, WRONG_PASSWORD):
            self.assertNotIn(password, text)
        if error is AuthenticationError or error is StorageError:   # no retry mends these
            self.assertNotIsInstance(exc, ConnectionError)
        if error is AuthenticationError:
            self.assertIn('authentication failed', str(exc))
        if error is StorageUnavailable:
            self.assertIsInstance(exc, ConnectionError)
        return exc


class ClosedClient(Walk):
    """Needs ``closed()``: a Timeseries whose client was closed. ``closed_refuses``: the
    methods a closed client of the driver refuses (None: every one), or () where it
    reconnects."""

    closed_refuses = ()

    def test_closed_client(self):
        """Every call on a closed client fails with StorageError (not a ConnectionError)
        chaining the driver's error, or succeeds where the client reconnects."""
        t = self.closed()
        self.walk(t, StorageError, self.closed_refuses)
        if self.closed_refuses == ():
            t.insert('again', 4, T0)
            self.assertEqual(list(t.get('again', 'minute', T0).values()), [4])


class Unreachable(Walk):
    """Needs ``unreachable()``: a Timeseries whose server is not there; and
    ``unreachable_client()`` when the constructor does I/O (``construction_io``)."""

    construction_io = True

    def test_unreachable_server(self):
        """Every call to a server that is not there fails with StorageUnavailable, a
        ConnectionError chaining the driver's error."""
        self.walk(self.unreachable(), StorageUnavailable)

    def test_unreachable_construction(self):
        """Building a Timeseries for a server that is not there fails with StorageUnavailable
        where the constructor reaches the server, and succeeds where it does not."""
        if self.construction_io:
            exc = self.check_failure(StorageUnavailable, self.timeseries,
                                     self.unreachable_client())
            self.assertNotIn('rolled back', str(exc))
        else:
            self.timeseries(self.unreachable_client())


class Refused(Walk):
    """Needs ``refused()``: Timeseries whose credentials the server refuses; and
    ``refused_client()`` when the constructor does I/O."""

    construction_io = True

    def test_refused_credentials(self):
        """Every call with credentials the server refuses fails with AuthenticationError,
        a StorageError but not a ConnectionError, naming the server without a password."""
        for t in self.refused():
            self.walk(t, AuthenticationError)

    def test_refused_construction(self):
        """Building a Timeseries with credentials the server refuses fails with
        AuthenticationError where the constructor reaches the server."""
        if self.construction_io:
            self.check_failure(AuthenticationError, self.timeseries, self.refused_client())


# -- Redis ---------------------------------------------------------------------

class TestRedis(ClosedClient, Unreachable, Refused, unittest.TestCase):
    driver_errors = (redis.RedisError, RedisClusterException)
    extra_calls = [
        ('series through fetch', lambda t: t.series('hits', 'minute', start=T0, steps=3,
                                                    fetch=lambda pipe, key: pipe.get(key))),
        ('insert in script mode', redis_mode('script')),
        ('insert in pipeline mode', redis_mode('pipeline')),
    ]
    no_io = ('expire',)   # every key carries its EXPIRE
    construction_io = False

    @classmethod
    def setUpClass(cls):
        server = auth_server('redis')
        cls.port = server.port
        admin = redis.Redis(port=cls.port, password=AUTH_PASSWORD)
        admin.acl_setuser(AUTH_USER, enabled=True, passwords=['+' + AUTH_PASSWORD],
                          keys=['*'], commands=['+ping'])   # no command kairos sends
        admin.close()

    def client(self, **kwargs):
        # redis-py retries a refused AUTH as a connection error, with backoff, by default
        client = redis.Redis(host='127.0.0.1', retry=Retry(NoBackoff(), 0), **kwargs)
        self.addCleanup(client.close)
        return client

    def closed(self):
        client = redis.Redis.from_url(redis_url())
        t = self.timeseries(client, prefix='error-paths')
        client.close()
        return t

    def unreachable_client(self):
        return self.client(port=free_port(), socket_connect_timeout=0.5, socket_timeout=0.5)

    def unreachable(self):
        return self.timeseries(self.unreachable_client())

    def refused(self):
        url = 'redis://:%s@127.0.0.1:%d/0' % (WRONG_PASSWORD, self.port)
        return [self.timeseries(self.client(port=self.port)),                   # NOAUTH
                self.timeseries(self.client(port=self.port, protocol=2)),       # its reply
                self.timeseries(self.client(port=self.port, password=WRONG_PASSWORD)),
                self.timeseries(self.client(port=self.port, username=AUTH_USER,
                                            password=AUTH_PASSWORD)),           # NOPERM
                Timeseries(url, client_config={'retry': Retry(NoBackoff(), 0)},
                           type='count', intervals=INTERVALS)]


class TestRedisCluster(ClosedClient, Refused, unittest.TestCase):
    """On the cluster client; credentials are an ACL user whose password changed after
    the client connected (redis-py refuses wrong ones before kairos sees the client)."""

    driver_errors = TestRedis.driver_errors
    extra_calls = TestRedis.extra_calls
    no_io = TestRedis.no_io
    construction_io = False

    @classmethod
    def setUpClass(cls):
        from redis.cluster import RedisCluster
        cls.admin = RedisCluster.from_url(redis_cluster_url())
        cls.nodes = [cls.admin.get_redis_connection(n) for n in cls.admin.get_nodes()]

    @classmethod
    def tearDownClass(cls):
        for node in cls.nodes:
            node.acl_deluser(AUTH_USER)
        cls.admin.close()

    def closed(self):
        from redis.cluster import RedisCluster
        client = RedisCluster.from_url(redis_cluster_url())
        t = self.timeseries(client, prefix='error-paths')
        client.close()
        return t

    def refused(self):
        from redis.cluster import RedisCluster
        for node in self.nodes:
            node.acl_setuser(AUTH_USER, enabled=True, reset_passwords=True,
                             passwords=['+' + AUTH_PASSWORD], keys=['*'], commands=['+@all'])
        url = redis_cluster_url().replace('redis://', 'redis://%s:%s@' % (AUTH_USER,
                                                                      AUTH_PASSWORD), 1)
        client = RedisCluster.from_url(url)
        self.addCleanup(client.close)
        t = self.timeseries(client)
        t.insert('hits', 1, T0)
        for node in self.nodes:   # the password changes; its connections are dropped
            node.acl_setuser(AUTH_USER, enabled=True, reset_passwords=True,
                             passwords=['+' + WRONG_PASSWORD])
            node.execute_command('CLIENT', 'KILL', 'USER', AUTH_USER)
        return [t]


# -- MongoDB -------------------------------------------------------------------

class MongoWalk(Walk):
    driver_errors = (PyMongoError,)
    extra_calls = [
        ('series through fetch', lambda t: t.series(
            'hits', 'minute', start=T0, steps=3,
            fetch=lambda coll, spec, method, **kw: getattr(coll, method)(spec, **kw))),
    ]
    no_io = ('expire',)   # the TTL index expires data

    def patch_collections(self, error):
        for method in MONGO_METHODS:
            patcher = mock.patch.object(self.collection_class, method, side_effect=error)
            patcher.start()
            self.addCleanup(patcher.stop)


class TestMongomockNg(ClosedClient, Refused, MongoWalk, unittest.TestCase):
    """mongomock_ng, whose closed client refuses writes; a double of a server refusing
    the client stands for refused credentials."""

    closed_refuses = ('insert', 'bulk_insert')

    @property
    def collection_class(self):
        import mongomock_ng.collection
        return mongomock_ng.collection.Collection

    def client(self):
        import mongomock_ng
        return mongomock_ng.MongoClient()

    def closed(self):
        client = self.client()
        t = self.timeseries(client)
        client.close()
        return t

    def test_closed_client_construction(self):
        """Building a Timeseries on a closed client fails with StorageError saying so."""
        client = self.client()
        client.close()
        exc = self.check_failure(StorageError, self.timeseries, client)
        self.assertNotIsInstance(exc, ConnectionError)
        self.assertIn('closed', str(exc))

    def refused(self):
        t = self.timeseries(self.client())
        self.patch_collections(OperationFailure('command find requires authentication',
                                                code=13))
        return [t]

    def refused_client(self):
        self.patch_collections(OperationFailure('Authentication failed.', code=18))
        return self.client()


class TestMongomock(ClosedClient, MongoWalk, unittest.TestCase):
    """The original mongomock: its closed client goes on working."""

    def closed(self):
        import mongomock
        client = mongomock.MongoClient()
        t = self.timeseries(client)
        client.close()
        return t


class TestPymongo(ClosedClient, Unreachable, Refused, MongoWalk, unittest.TestCase):
    """pymongo without a server: a free port, and a double raising OperationFailure code
    18 for refused credentials, or KAIROS_TEST_MONGO_URL's server with a wrong password."""

    collection_class = pymongo.collection.Collection
    closed_refuses = None

    def client(self, **kwargs):
        client = pymongo.MongoClient(kwargs.pop('host', '127.0.0.1'),
                                     kwargs.pop('port', None) or free_port(), connect=False,
                                     serverSelectionTimeoutMS=200, **kwargs)
        self.addCleanup(client.close)
        return client

    def built(self, client):
        """A Timeseries on ``client``, built without reaching its server (indexes)."""
        with mock.patch.object(self.collection_class, 'create_index'):
            return self.timeseries(client)

    def closed(self):
        client = self.client()
        t = self.built(client)
        client.close()
        return t

    def unreachable_client(self):
        return self.client()

    def unreachable(self):
        return self.built(self.client())

    def refused_client(self):
        url = os.environ.get('KAIROS_TEST_MONGO_URL')
        if url:
            address = mongo_database().client.address
            return self.client(host=address[0], port=address[1], username=AUTH_USER,
                               password=WRONG_PASSWORD, serverSelectionTimeoutMS=5000)
        self.patch_collections(OperationFailure('Authentication failed.', code=18))
        return self.client()

    def refused(self):
        return [self.built(self.refused_client())]


# -- SQL -----------------------------------------------------------------------

class SqlWalk(Walk):
    # the DB-API driver's error (SQLAlchemy's own, for a pool timeout or a closed Connection)
    driver_errors = (sa_exc.SQLAlchemyError, sqlite3.Error, psycopg.Error, pymysql.err.Error)
    extra_calls = [
        ('series through fetch', lambda t: t.series(
            'hits', 'minute', start=T0, steps=3,
            fetch=lambda connection, statement: connection.execute(statement))),
    ]

    def engine(self, url, **kwargs):
        engine = sqlalchemy.create_engine(url, **kwargs)
        self.addCleanup(engine.dispose)
        return engine

    @staticmethod
    def done(result):
        """The outcome of an engine's call (awaited in AsyncSql)."""
        return result

    def closed(self):
        engine = self.engine(self.url())
        t = self.timeseries(engine)
        t.list()   # set up (on asyncio, at the first call)
        self.done(engine.dispose())
        return t


class AsyncSql(AsyncCase):
    """Mixed in first, it walks kairos.asyncio over an AsyncEngine of the dialect's asyncio
    driver (tests.support.ASYNC_DRIVERS), each call awaited to completion on the test's
    loop; building one does no I/O."""

    construction_io = False
    # the asyncio drivers' errors: SQLAlchemy's stand-ins for asyncpg's, sqlite3's under
    # aiosqlite, PyMySQL's under aiomysql, and the OSError asyncpg raises itself for a
    # server that is not there
    driver_errors = SqlWalk.driver_errors + (AsyncAdapt_Error, OSError)

    def engine(self, url, **kwargs):
        url = sqlalchemy.engine.make_url(url)
        engine = create_async_engine(url.set(drivername=ASYNC_DRIVERS[url.get_backend_name()]),
                                     **kwargs)
        self.async_clients.append(engine)
        return engine

    def timeseries(self, client, **kwargs):
        return self.seen(self.kairos(client, type='count', intervals=INTERVALS, **kwargs))

    @staticmethod
    async def close_async_client(engine):
        await engine.dispose()


class TestSqlite(ClosedClient, SqlWalk, unittest.TestCase):

    def url(self):
        from tests.support import sql_url
        return sql_url('sqlite')


class ServerSql(ClosedClient, Unreachable, Refused, SqlWalk):
    """PostgreSQL and MariaDB, on the private server that requires a password."""

    kind = None

    def url(self):
        return auth_server(self.kind).url

    def built(self, change):
        """A Timeseries built with the right credentials, whose later connections are
        made with ``change(connect_args)`` applied."""
        engine = self.engine(self.url())
        t = self.timeseries(engine)
        t.list()   # set up (on asyncio, at the first call)
        self.done(engine.dispose())

        @sqlalchemy.event.listens_for(getattr(engine, 'sync_engine', engine), 'do_connect')
        def connect(dialect, record, args, kwargs):
            change(kwargs)
        return t

    def unreachable_client(self):
        return self.engine(sqlalchemy.engine.make_url(self.url()).set(port=free_port()))

    def unreachable(self):
        port = free_port()
        return self.built(lambda kwargs: kwargs.update(port=port))

    def refused_client(self):
        return self.engine(self.url().replace(AUTH_PASSWORD, WRONG_PASSWORD, 1))

    def refused(self):
        return [self.built(lambda kwargs: kwargs.update(password=WRONG_PASSWORD)),
                self.built(lambda kwargs: kwargs.update(user='kairos_nobody'))]


class TestPostgres(ServerSql, unittest.TestCase):
    kind = 'postgresql'


class TestMysql(ServerSql, unittest.TestCase):
    kind = 'mysql'


class TestSqliteAsync(AsyncSql, TestSqlite):
    pass


class TestPostgresAsync(AsyncSql, TestPostgres):
    pass


class TestMysqlAsync(AsyncSql, TestMysql):
    pass
