"""Timeseries construction: backend dispatch and refusals, without writing anything.

Redis clients here use a connection class that records every connect, and
Mongo databases are fresh mongomock_ng ones, so "nothing written" is checked
without a server.
"""

import pickle
import unittest
import warnings

import mongomock_ng
import redis

from kairos import Timeseries
from kairos.exceptions import (ConfigurationError, KairosException, KairosWarning,
                               UnknownInterval, UnsupportedClient)
from kairos.mongo_backend import MongoBackend
from kairos.redis_backend import RedisBackend

INTERVALS = {'minute': {'step': 60, 'steps': 5}, 'hour': {'step': 3600, 'resolution': 60}}
TYPES = ('series', 'histogram', 'count', 'gauge', 'set')


class RecordingConnection(redis.Connection):
    """A redis connection that records attempts to connect and never connects."""

    attempts = []

    def connect(self):
        RecordingConnection.attempts.append(self)
        raise redis.ConnectionError('test client: no connection allowed')


class ConstructionBehaviour:
    """Bodies shared by the Redis and Mongo cases; see client() and untouched()."""

    def build(self, **kwargs):
        kwargs.setdefault('intervals', INTERVALS)
        return Timeseries(self.client(), **kwargs)

    def refused(self, error, **kwargs):
        """Construct with kwargs, expect ``error``; check nothing was written; return it."""
        with self.assertRaises(error) as caught:
            self.build(**kwargs)
        self.assertIsInstance(caught.exception, KairosException)
        self.assertIsInstance(caught.exception, ValueError)
        self.untouched()
        return caught.exception

    def test_every_type_builds_the_backend(self):
        """Every type builds an instance of the backend class, a Timeseries."""
        for type_ in TYPES:
            t = self.build(type=type_)
            self.assertIsInstance(t, self.backend_class)
            self.assertIsInstance(t, Timeseries)

    def test_default_type_is_series(self):
        """Without a type the Timeseries is a series."""
        self.assertEqual(self.build()._type.name, 'series')

    def test_unknown_type(self):
        """An unknown type raises ConfigurationError naming it."""
        for bad in ('sereis', 'Series', '', None, 5):
            error = self.refused(ConfigurationError, type=bad)
            self.assertIn(repr(bad), str(error))

    def test_non_dict_intervals(self):
        """Intervals that are not a dict raise ConfigurationError."""
        for bad in ([], [('minute', {'step': 60})], 'minute'):
            self.refused(ConfigurationError, intervals=bad)

    def test_bad_interval_config(self):
        """A bad interval config is refused before anything is written."""
        for bad in ({'minute': {}}, {'minute': 60}, {'': {'step': 60}},
                    {'minute': {'step': 60}, 'hour': {'step': 3600, 'steps': -1}}):
            self.refused(ConfigurationError, intervals=bad)

    def test_non_callable_read_or_write_func(self):
        """read_func and write_func must be callable."""
        for key in ('read_func', 'write_func'):
            for bad in (3, 'int', [int]):
                error = self.refused(ConfigurationError, **{key: bad})
                self.assertIn(key, str(error))

    def test_unknown_keyword(self):
        """An unknown keyword is ignored with a KairosWarning naming it, as 0.5.0 ignored it."""
        with self.assertWarns(KairosWarning) as caught:
            self.build(type='count', step=60, ttl=5, time=1)
        self.assertIn('step, time, ttl', str(caught.warning))
        self.assertEqual(caught.filename, __file__)

    def test_misspelt_keyword(self):
        """A keyword one or two letters off a real one is refused, naming the one meant."""
        for typo, meant in (('interval', 'intervals'), ('readfunc', 'read_func'),
                            ('write_fnuc', 'write_func'), ('tpye', 'type'),
                            ('prefx', 'prefix'), ('clint_config', 'client_config'),
                            ('databse', 'database'), ('clok', 'clock')):
            error = self.refused(ConfigurationError, **{typo: None})
            self.assertEqual(str(error), 'unknown keyword %r: did you mean %r?' % (typo, meant))

    def test_known_keywords_keep_their_warning(self):
        """Keywords other kairos versions take (ttl, string_length, ...) warn, never refuse."""
        for key in ('ttl', 'string_length', 'text_length', 'table_name', 'client_config',
                    'database'):
            with self.assertWarns(KairosWarning, msg=key) as caught:
                self.build(**{key: None})
            self.assertIn(key, str(caught.warning))

    def test_unknown_interval_names_the_configured_ones(self):
        """UnknownInterval (a LookupError) names the interval asked and those configured."""
        t = self.build(type='count')
        for read in (lambda: t.get('c', 'minutes'), lambda: t.series('c', 'minutes'),
                     lambda: t.iterate('c', 'minutes')):
            with self.assertRaises(UnknownInterval) as caught:
                read()
            self.assertEqual(str(caught.exception), "unknown interval 'minutes': configured "
                                                    "intervals are 'minute', 'hour'")
            self.assertEqual(caught.exception.args[0], 'minutes')
            self.assertIsInstance(caught.exception, LookupError)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', KairosWarning)
            empty = self.build(intervals={})
        with self.assertRaises(UnknownInterval) as caught:
            empty.get('c', ['minute'])
        self.assertEqual(str(caught.exception),
                         "unknown interval ['minute']: no intervals are configured")

    def test_callables_accepted(self):
        """Callable read_func and write_func, builtin or lambda, are accepted."""
        t = self.build(read_func=int, write_func=lambda v: v)
        self.assertIsInstance(t, self.backend_class)


class TestConstructionRedis(ConstructionBehaviour, unittest.TestCase):

    backend_class = RedisBackend

    def setUp(self):
        RecordingConnection.attempts.clear()
        self.clients = []

    def tearDown(self):
        for client in self.clients:
            client.close()

    def client(self):
        client = redis.Redis(connection_pool=redis.ConnectionPool(
            connection_class=RecordingConnection))
        self.clients.append(client)
        return client

    def untouched(self):
        self.assertEqual(RecordingConnection.attempts, [])

    def test_construction_never_connects(self):
        """A valid Redis construction does not talk to the server."""
        for type_ in TYPES:
            self.build(type=type_, prefix='app')
        self.untouched()

    def test_prefix_must_be_a_string(self):
        """A non-str prefix is a ConfigurationError."""
        for bad in (5, b'app', ['app']):
            self.refused(ConfigurationError, prefix=bad)


class TestConstructionMongo(ConstructionBehaviour, unittest.TestCase):

    backend_class = MongoBackend

    def setUp(self):
        self.mongo = mongomock_ng.MongoClient()

    def client(self):
        return self.mongo['kairos_construction']

    def untouched(self):
        self.assertEqual(self.mongo.list_database_names(), [])

    def test_client_uses_the_kairos_database(self):
        """A MongoClient stores in its 'kairos' database; a Database is used as given."""
        intervals = {'minute': {'step': 60}}
        Timeseries(self.mongo, type='count', intervals=intervals).insert('a', 1)
        self.assertEqual(self.mongo['kairos']['minute'].count_documents({'name': 'a'}), 1)
        Timeseries(self.mongo['other'], type='count', intervals=intervals).insert('b', 1)
        self.assertEqual(self.mongo['other']['minute'].count_documents({'name': 'b'}), 1)


class TestUnknownInterval(unittest.TestCase):

    def test_message_forms(self):
        """UnknownInterval reads well with the configured names, without them, or bare."""
        self.assertEqual(str(UnknownInterval('m', ['minute'])),
                         "unknown interval 'm': configured intervals are 'minute'")
        self.assertEqual(str(UnknownInterval('m')), "unknown interval 'm'")
        self.assertEqual(str(UnknownInterval()), 'unknown interval')

    def test_pickles(self):
        """An UnknownInterval survives pickling with its names and message."""
        error = pickle.loads(pickle.dumps(UnknownInterval('m', ('minute', 'hour'))))
        self.assertEqual((error.args[0], error.configured), ('m', ('minute', 'hour')))
        self.assertIn("'hour'", str(error))


class TestUnsupportedClient(unittest.TestCase):

    def test_unsupported_clients(self):
        """Clients that are neither redis nor mongo raise UnsupportedClient (also TypeError)."""
        collection = mongomock_ng.MongoClient()['db']['coll']
        for client in (object(), {}, None, 'localhost:6379', 'nosuch://localhost/0',
                       redis.ConnectionPool(),
                       collection):
            with self.assertRaises(UnsupportedClient, msg=repr(client)) as caught:
                Timeseries(client, type='series', intervals=INTERVALS)
            self.assertIsInstance(caught.exception, TypeError)
            self.assertIsInstance(caught.exception, ConfigurationError)
            self.assertIsInstance(caught.exception, ValueError)

    def test_unsupported_client_is_an_import_error(self):
        """An unknown client or URL scheme is caught by the `except ImportError` of 0.5.0 code."""
        for client in (object(), 'noop://foo/bar'):
            try:
                Timeseries(client, type='series', intervals=INTERVALS)
            except ImportError as caught:
                self.assertIsInstance(caught, UnsupportedClient)
                self.assertIn('client' if client != 'noop://foo/bar' else 'noop', str(caught))
            else:
                self.fail('%r constructed' % (client,))

    def test_unsupported_client_checked_before_config(self):
        """An unsupported client is reported even when the rest of the config is bad."""
        with self.assertRaises(UnsupportedClient):
            Timeseries(object(), type='nope', intervals={})
