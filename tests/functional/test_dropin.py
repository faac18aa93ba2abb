"""Code and configurations written for kairos 0.5.0 run unchanged.

The module surface (names, star-imports, the classes ``isinstance`` checks
against) and the configurations 0.5.0 accepted: each either keeps 0.5.0's
meaning or constructs with a KairosWarning.
"""

import unittest
import warnings

import kairos
import kairos.mongo_backend
import kairos.redis_backend
import kairos.timeseries
from kairos import ConfigurationError, KairosWarning, Timeseries, UnknownInterval

from tests.support import MongoCase, RedisCase, RedisClusterCase
from tests.functional.common import at, plain

TYPES = ('series', 'histogram', 'count', 'gauge', 'set')

# what kairos 0.5.0's kairos/timeseries.py gave to ``from kairos.timeseries import *``
TIMESERIES_NAMES = ('Timeseries', 'RelativeTime', 'GregorianTime', 'Series', 'Histogram',
                    'Count', 'Gauge', 'Set', 'BACKENDS', 'NUMBER_TIME', 'SIMPLE_TIME',
                    'SIMPLE_TIMES', 'GREGORIAN_TIMES', 'time', 'sys', 're', 'operator',
                    'datetime', 'timedelta', 'OrderedDict', 'KairosException',
                    'UnknownInterval')
EXCEPTIONS = ('KairosException', 'UnknownInterval', 'ConfigurationError', 'UnsupportedClient',
              'InvalidName', 'InvalidValue', 'InvalidTimestamp', 'InvalidQuery',
              'DataConflict', 'StorageError', 'StorageUnavailable', 'AuthenticationError',
              'KairosWarning')
BACKEND_NAMES = {
    kairos.redis_backend: ('RedisBackend', 'RedisSeries', 'RedisHistogram', 'RedisCount',
                           'RedisGauge', 'RedisSet'),
    kairos.mongo_backend: ('MongoBackend', 'MongoSeries', 'MongoHistogram', 'MongoCount',
                           'MongoGauge', 'MongoSet'),
}


class TestModuleSurface(unittest.TestCase):

    def test_star_imports_in_the_order_old_code_uses(self):
        """import time; from datetime import *; from kairos.timeseries import *: time is the module."""
        namespace = {}
        exec('import time\nfrom datetime import *\nfrom kairos.timeseries import *', namespace)
        self.assertGreater(namespace['time'].time(), 0)
        self.assertGreater(namespace['time'].mktime((2038, 1, 1, 0, 0, 0, 0, 1, 0)), 0)
        self.assertEqual(namespace['datetime'](2038, 1, 1) + namespace['timedelta'](days=1),
                         namespace['datetime'](2038, 1, 2))
        for name in TIMESERIES_NAMES:
            self.assertIs(namespace[name], getattr(kairos.timeseries, name), name)

    def test_timeseries_module_names(self):
        """kairos.timeseries names what 0.5.0 named, with the same kinds of objects."""
        module = kairos.timeseries
        for name in TIMESERIES_NAMES:
            self.assertTrue(hasattr(module, name), name)
            self.assertIn(name, module.__all__)
        self.assertEqual(module.SIMPLE_TIMES['d'], 86400)
        self.assertEqual(module.GREGORIAN_TIMES, ('daily', 'weekly', 'monthly', 'yearly'))
        self.assertTrue(module.SIMPLE_TIME.match('30d'))
        self.assertTrue(module.NUMBER_TIME.match('60'))
        self.assertFalse(module.NUMBER_TIME.match('60s'))
        self.assertEqual(module.operator.add(1, 2), 3)
        self.assertTrue(module.re.match('a', 'a'))
        self.assertIn('redis', module.BACKENDS)
        self.assertEqual(module.GregorianTime('daily').to_bucket(0), '19700101')

    def test_kairos_star_import(self):
        """from kairos import * gives Timeseries, __version__ and every exception."""
        namespace = {}
        exec('from kairos import *', namespace)
        for name in ('Timeseries', '__version__') + EXCEPTIONS:
            self.assertIs(namespace[name], getattr(kairos, name), name)
        for name in EXCEPTIONS:
            self.assertIs(getattr(kairos, name), getattr(kairos.exceptions, name))

    def test_backend_module_names(self):
        """The backend modules name their backend and a class per type, by attribute and *."""
        for module, names in BACKEND_NAMES.items():
            namespace = {}
            exec('from %s import *' % module.__name__, namespace)
            for name in names:
                self.assertIs(namespace[name], getattr(module, name), name)
                self.assertTrue(issubclass(namespace[name], Timeseries), name)

    def test_type_classes_are_timeseries(self):
        """Series, Histogram, Count, Gauge and Set are Timeseries classes, as in 0.5.0."""
        for type_ in TYPES:
            cls = getattr(kairos.timeseries, type_.title())
            self.assertTrue(issubclass(cls, Timeseries))
            redis_cls = getattr(kairos.redis_backend, 'Redis' + type_.title())
            self.assertTrue(issubclass(redis_cls, cls))
            self.assertTrue(issubclass(redis_cls, kairos.redis_backend.RedisBackend))


class ClassesBehaviour:
    """The object the factory builds is of the class 0.5.0 built."""

    def test_isinstance_checks(self):
        """Timeseries(client, type=T) is a Redis<T>/Mongo<T>, a <T>, the backend and a Timeseries."""
        module = kairos.redis_backend if self.backend == 'redis' else kairos.mongo_backend
        stem = 'Redis' if self.backend == 'redis' else 'Mongo'
        for type_ in TYPES:
            t = self.timeseries(type=type_, intervals={'minute': {'step': 60}})
            self.assertIs(type(t), getattr(module, stem + type_.title()))
            self.assertIsInstance(t, getattr(kairos.timeseries, type_.title()))
            self.assertIsInstance(t, getattr(module, stem + 'Backend'))
            self.assertIsInstance(t, Timeseries)
            for other in TYPES:
                if other != type_:
                    self.assertNotIsInstance(t, getattr(kairos.timeseries, other.title()))

    def test_type_class_builds_its_type(self):
        """Count(client, ...) builds a count on the client's backend; another type is refused."""
        t = kairos.timeseries.Count(self.client, intervals={'minute': {'step': 60}})
        self.assertEqual(type(t).__name__, ('Redis' if self.backend == 'redis' else 'Mongo')
                         + 'Count')
        t.insert('c', 2, timestamp=at(0))
        self.assertEqual(plain(t.get('c', 'minute', timestamp=at(0))), {at(0): 2})
        with self.assertRaises(ConfigurationError):
            kairos.timeseries.Count(self.client, type='series',
                                    intervals={'minute': {'step': 60}})


class ConfigurationBehaviour:
    """Configurations 0.5.0 accepted construct; each keeps its meaning or warns."""

    def build(self, **kwargs):
        kwargs.setdefault('type', 'count')
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            t = self.timeseries(**kwargs)
        return t, [w for w in caught if issubclass(w.category, KairosWarning)]

    def test_unknown_keywords_warn(self):
        """ttl=5 and 0.10.1's keywords are ignored with a warning naming them; data is stored."""
        t, caught = self.build(intervals={'minute': {'step': 60}}, ttl=5,
                               client_config={}, string_length=64)
        self.assertEqual(len(caught), 1)
        self.assertIn('client_config, string_length, ttl', str(caught[0].message))
        t.insert('c', 3, timestamp=at(0))
        self.assertEqual(plain(t.get('c', 'minute', timestamp=at(0))), {at(0): 3})

    def test_steps_zero_keeps_data_forever(self):
        """'steps': 0 constructs without a warning and sets no expiry, as 0.5.0."""
        t, caught = self.build(intervals={'minute': {'step': 60, 'steps': 0}})
        self.assertEqual(caught, [])
        t.insert('c', timestamp=at(0))
        self.assertEqual(self.expiries(), [None])
        self.assertEqual(plain(t.series('c', 'minute', end=at(0))), {at(0): 1})

    def test_no_intervals(self):
        """intervals={} constructs with a warning: inserts store nothing, reads raise UnknownInterval."""
        t, caught = self.build(intervals={})
        self.assertEqual(len(caught), 1)
        t.insert('c', timestamp=at(0))
        t.bulk_insert({at(0): {'c': [1, 2]}})
        self.assertEqual(self.stored(), 0)
        with self.assertRaises(UnknownInterval):
            t.get('c', 'minute')
        self.assertEqual(t.delete('c'), 0)

    def test_resolution_coarser_than_step(self):
        """A resolution coarser than its step warns and stores as 0.5.0 did: one per bucket."""
        t, caught = self.build(type='series', read_func=int,
                               intervals={'minute': {'step': 60, 'resolution': 3600}})
        self.assertEqual(len(caught), 1)
        self.assertIn('3600', str(caught[0].message))
        t.insert('s', 1, timestamp=at(10))
        t.insert('s', 2, timestamp=at(70))
        self.assertEqual(plain(t.get('s', 'minute', timestamp=at(70))), {at(0): [2]})
        self.assertEqual(plain(t.get('s', 'minute', timestamp=at(70), condensed=True)),
                         {at(60): [2]})
        self.assertEqual(plain(t.series('s', 'minute', start=at(0), steps=2, condensed=True)),
                         {at(0): [1], at(60): [2]})
        self.assertEqual(self.stored(), 4 if self.backend == 'redis' else 2)


class TestClassesRedis(ClassesBehaviour, RedisCase):
    pass


class TestClassesRedisCluster(TestClassesRedis, RedisClusterCase):
    """The same on a Redis Cluster."""


class TestClassesMongo(ClassesBehaviour, MongoCase):
    pass


class TestConfigurationRedis(ConfigurationBehaviour, RedisCase):

    def expiries(self):
        return [None if self.client.ttl(key) < 0 else self.client.ttl(key)
                for key in self.client.scan_iter()]

    def stored(self):
        return len(self.snapshot())

    def test_coarser_resolution_keys(self):
        """The 0.5.0 keys of a coarser resolution: name:interval:i_bucket:r_bucket and its index."""
        t, _ = self.build(type='count', intervals={'minute': {'step': 60, 'resolution': 3600}})
        t.insert('c', timestamp=at(70))
        self.assertEqual(sorted(self.client.scan_iter()), [b'c:minute:30000001',
                                                           b'c:minute:30000001:500000'])


class TestConfigurationRedisCluster(TestConfigurationRedis, RedisClusterCase):
    """The same on a Redis Cluster."""


class TestConfigurationMongo(ConfigurationBehaviour, MongoCase):

    def expiries(self):
        return [doc.get('expire_from') for name in self.client.list_collection_names()
                for doc in self.client[name].find()]

    def stored(self):
        return sum(self.client[name].count_documents({})
                   for name in self.client.list_collection_names())

    def test_prefix_warns(self):
        """prefix, Redis only in 0.5.0, is ignored on Mongo with a warning."""
        with warnings.catch_warnings(record=True) as caught:   # not self.timeseries: it
            warnings.simplefilter('always')                     # silences this warning
            Timeseries(self.client, type='count', prefix='app', intervals={'minute': {'step': 60}})
        caught = [w for w in caught if issubclass(w.category, KairosWarning)]
        self.assertEqual(len(caught), 1)
        self.assertIn("'app'", str(caught[0].message))
