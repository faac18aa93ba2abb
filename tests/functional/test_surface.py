"""The public surface code written against kairos 0.5.0 relies on."""

import unittest

import redis

import kairos
import kairos.exceptions
import kairos.intervals
import kairos.series_types
from kairos import Timeseries
from kairos.mongo_backend import MongoBackend
from kairos.redis_backend import RedisBackend

from tests.support import MongoCase, RedisCase, mongo_database, redis_url
from tests.functional.common import SAMPLES, at, intervals, plain, utc


class TestImports(unittest.TestCase):

    def test_version(self):
        """kairos.__version__ is a dotted version string."""
        self.assertIsInstance(kairos.__version__, str)
        self.assertRegex(kairos.__version__, r'^\d+\.\d+')

    def test_exceptions(self):
        """kairos.exceptions has KairosException and UnknownInterval deriving from it."""
        self.assertTrue(issubclass(kairos.exceptions.KairosException, Exception))
        self.assertTrue(issubclass(kairos.exceptions.UnknownInterval,
                                   kairos.exceptions.KairosException))
        self.assertIs(kairos.UnknownInterval, kairos.exceptions.UnknownInterval)

    def test_interval_config(self):
        """kairos exports IntervalConfig, the typed dict of one interval's configuration."""
        self.assertIn('IntervalConfig', kairos.__all__)
        self.assertIs(kairos.IntervalConfig, kairos.intervals.IntervalConfig)
        self.assertEqual(kairos.IntervalConfig.__required_keys__, {'step'})
        self.assertEqual(kairos.IntervalConfig.__optional_keys__,
                         {'steps', 'resolution', 'timezone'})

    def test_star_import(self):
        """from kairos.timeseries import * gives Timeseries, the calculators and the types."""
        namespace = {}
        exec('from kairos.timeseries import *', namespace)
        for name in ('Timeseries', 'RelativeTime', 'GregorianTime', 'Series', 'Histogram',
                     'Count', 'Gauge', 'Set'):
            self.assertIn(name, namespace)
        self.assertIs(namespace['Timeseries'], Timeseries)
        self.assertEqual(namespace['RelativeTime'](60).normalize(at(100)), at(60))
        self.assertEqual(namespace['GregorianTime']('daily').to_bucket(at(0)), '20270115')

    def test_unsupported_client(self):
        """A client that is neither Redis nor Mongo raises a KairosException (and TypeError)."""
        with self.assertRaises(kairos.exceptions.KairosException):
            Timeseries(object(), type='series', intervals=intervals())
        with self.assertRaises(TypeError):
            Timeseries('nosuch://', type='series', intervals=intervals())


class SurfaceBehaviour:

    def make(self, **kwargs):
        return self.timeseries(type='series', intervals=intervals(), **kwargs)

    def test_instance_classes(self):
        """Timeseries(...) is an instance of its backend class and of Timeseries."""
        t = self.make()
        self.assertIsInstance(t, Timeseries)
        self.assertIsInstance(t, self.backend_class)

    def test_every_type(self):
        """Each type name gives a working instance of the backend."""
        self.assertEqual(sorted(kairos.series_types.TYPES), sorted(SAMPLES))
        for type in kairos.series_types.TYPES:
            t = self.timeseries(type=type, intervals=intervals())
            self.assertIsInstance(t, self.backend_class)
            t.insert(type, SAMPLES[type][0], timestamp=at(10))
            self.assertTrue(plain(t.get(type, 'minute', timestamp=at(10)))[at(0)], type)

    def test_interval_dicts(self):
        """t._intervals[name][key] gives i_calc, r_calc, step, steps, resolution, expire, coarse."""
        t = self.make()
        minute, hour = t._intervals['minute'], t._intervals['hour']
        self.assertEqual(minute['i_calc'].normalize(at(100), 1), at(120))
        self.assertEqual(minute['i_calc'].normalize(at(100)), at(60))
        self.assertEqual(minute['r_calc'].normalize(at(100)), at(60))
        self.assertEqual(hour['i_calc'].normalize(at(100), 1), at(3600))
        self.assertEqual(hour['r_calc'].normalize(at(100), 1), at(120))
        self.assertEqual((minute['step'], minute['steps'], minute['resolution']), (60, 5, 60))
        self.assertEqual((minute['expire'], minute['coarse']), (300, True))
        self.assertEqual((hour['step'], hour['resolution'], hour['coarse']), (3600, 60, False))
        self.assertIsNone(hour['expire'])
        self.assertIsNone(hour.get('steps'))

    def test_interval_string_steps(self):
        """Steps like '1h' and Gregorian names resolve as in 0.5.0."""
        t = self.timeseries(type='count', intervals={
            'h': {'step': '1h', 'resolution': 3600}, 'd': {'step': 'daily', 'steps': 2}})
        self.assertEqual(t._intervals['h']['step'], 3600)
        self.assertTrue(t._intervals['h']['coarse'])
        self.assertEqual(t._intervals['d']['step'], 'daily')
        self.assertEqual(t._intervals['d']['expire'], 2 * 86400)
        # at(100) is 2027-01-15 08:01:40 UTC
        self.assertEqual(t._intervals['d']['i_calc'].normalize(at(100), 1), utc(2027, 1, 16))
        self.assertEqual(t._intervals['d']['r_calc'].normalize(at(100)), utc(2027, 1, 15))


class TestSurfaceRedis(SurfaceBehaviour, RedisCase):
    backend_class = RedisBackend

    def test_redis_subclass(self):
        """A subclass of redis.Redis is accepted as a Redis client."""
        class MyRedis(redis.Redis):
            pass
        client = MyRedis.from_url(redis_url())
        try:
            t = Timeseries(client, type='count', prefix='kairos', intervals=intervals())
            self.assertIsInstance(t, RedisBackend)
            t.insert('x', timestamp=at(10))
            self.assertEqual(self.client.get('kairos:x:minute:30000000'), b'1')
        finally:
            client.close()


class TestSurfaceMongo(SurfaceBehaviour, MongoCase):
    backend_class = MongoBackend

    def test_mongo_client_uses_kairos_database(self):
        """A MongoClient stores into its 'kairos' database."""
        client = self.client.client
        client.drop_database('kairos')
        try:
            t = Timeseries(client, type='count', intervals=intervals())
            self.assertIsInstance(t, MongoBackend)
            t.insert('x', timestamp=at(10))
            self.assertEqual(client['kairos']['minute'].find_one({'name': 'x'})['value'], 1)
        finally:
            client.drop_database('kairos')

    def test_database_is_used_as_given(self):
        """A Database is used as given: collections are the interval names."""
        database = mongo_database('kairos_other')
        try:
            t = Timeseries(database, type='count', intervals=intervals())
            t.insert('x', timestamp=at(10))
            self.assertEqual(sorted(database.list_collection_names()), ['hour', 'minute'])
        finally:
            database.client.drop_database('kairos_other')
