"""Parsing of steps and resolutions, and validation of interval configs."""

import copy
import unittest

import mongomock_ng
import redis

from kairos import Timeseries
from kairos.exceptions import ConfigurationError, KairosWarning
from kairos.intervals import GregorianTime, Interval, RelativeTime, resolve_time

HOUR, DAY = 3600, 86400


class TestResolveTime(unittest.TestCase):

    def test_simple_forms(self):
        """'Nh', 'Nd', 'Nw', 'Nm', 'Ny' are N hours, days, weeks, 30-day months, 365-day years."""
        self.assertEqual(resolve_time('2h'), 2 * HOUR)
        self.assertEqual(resolve_time('30d'), 30 * DAY)
        self.assertEqual(resolve_time('1w'), 7 * DAY)
        self.assertEqual(resolve_time('1m'), 30 * DAY)
        self.assertEqual(resolve_time('1y'), 365 * DAY)
        self.assertEqual(resolve_time('12h'), 12 * HOUR)

    def test_seconds(self):
        """An int, a whole float or a string of digits is a number of seconds."""
        self.assertEqual(resolve_time(60), 60)
        self.assertEqual(resolve_time('60'), 60)
        self.assertEqual(resolve_time(60.0), 60)
        self.assertIs(type(resolve_time('60')), int)
        self.assertIs(type(resolve_time(60.0)), int)

    def test_gregorian_names(self):
        """daily, weekly, monthly and yearly come back as names."""
        for name in ('daily', 'weekly', 'monthly', 'yearly'):
            self.assertEqual(resolve_time(name), name)

    def test_refusals_name_the_value(self):
        """Bad values raise ConfigurationError (a ValueError) naming the value."""
        for bad in ('', 'x', '1.5h', '2H', ' 60', 'hourly', '-5', -5, 0, '0', '0h', True, False,
                    None, 1.5, [60]):
            with self.assertRaises(ConfigurationError, msg=repr(bad)) as caught:
                resolve_time(bad)
            self.assertIsInstance(caught.exception, ValueError)
            self.assertIn(repr(bad), str(caught.exception))


def interval(**config):
    return Interval('test', config)


class TestIntervalConfig(unittest.TestCase):

    def test_parsed_fields(self):
        """An interval holds its resolved step, steps, resolution, calculators and expiry."""
        minute = Interval('minute', {'step': 60, 'steps': 5})
        self.assertEqual((minute.name, minute.step, minute.steps, minute.resolution),
                         ('minute', 60, 5, 60))
        self.assertTrue(minute.coarse)
        self.assertEqual(minute.expire, 300)
        self.assertIsInstance(minute.i_calc, RelativeTime)
        hour = Interval('hour', {'step': '1h', 'resolution': 60})
        self.assertEqual((hour.step, hour.resolution, hour.steps), (HOUR, 60, None))
        self.assertFalse(hour.coarse)
        self.assertIsNone(hour.expire)
        daily = Interval('daily', {'step': 'daily', 'steps': 5, 'resolution': '1h'})
        self.assertIsInstance(daily.i_calc, GregorianTime)
        self.assertIsInstance(daily.r_calc, RelativeTime)
        self.assertEqual(daily.expire, 5 * DAY)
        self.assertFalse(daily.coarse)

    def test_resolution_equal_to_step_is_coarse(self):
        """A resolution equal to the step after parsing ('1h' and 3600) is no resolution."""
        self.assertTrue(interval(step='1h', resolution=3600).coarse)
        self.assertTrue(interval(step='weekly', resolution='weekly').coarse)

    def test_missing_or_bad_step(self):
        """A missing step or one of 0, -1, True, 1.5, '' is refused."""
        for config in ({}, {'steps': 5}, {'resolution': 60}):
            with self.assertRaises(ConfigurationError, msg=repr(config)):
                interval(**config)
        for bad in (0, -1, True, 1.5, '', None, 'x'):
            with self.assertRaises(ConfigurationError, msg=repr(bad)) as caught:
                interval(step=bad)
            self.assertIn(repr(bad), str(caught.exception))

    def test_bad_steps(self):
        """steps must be a positive int or 0 (no retention): -1, '5', True and 1.5 are refused."""
        for bad in (-1, '5', True, 1.5):
            with self.assertRaises(ConfigurationError, msg=repr(bad)) as caught:
                interval(step=60, steps=bad)
            self.assertIn(repr(bad), str(caught.exception))

    def test_bad_resolution(self):
        """A resolution that does not parse is refused."""
        for bad in (0, -60, True, 1.5, 'x', ''):
            with self.assertRaises(ConfigurationError, msg=repr(bad)):
                interval(step=3600, resolution=bad)

    def test_resolution_coarser_than_step(self):
        """A resolution coarser than the step warns, naming it, and keeps 0.5.0's layout."""
        for step, resolution in ((60, 3600), (60, 61), ('1h', '1d'), ('daily', 'monthly'),
                                 ('weekly', 'yearly'), ('daily', '2d'), (HOUR, 'daily'),
                                 ('1d', 'weekly'), ('monthly', '1y')):
            with self.assertWarns(KairosWarning, msg=(step, resolution)) as caught:
                parsed = interval(step=step, resolution=resolution)
            self.assertIn(repr(resolution), str(caught.warning))
            self.assertFalse(parsed.coarse)

    def test_steps_zero_means_no_retention(self):
        """'steps': 0 keeps data for ever, as in kairos 0.5.0."""
        parsed = interval(step=60, steps=0)
        self.assertIsNone(parsed.steps)
        self.assertIsNone(parsed.expire)

    def test_unknown_keys_warn(self):
        """A key an interval does not use (0.5.0 ignored it) warns, naming it."""
        with self.assertWarns(KairosWarning) as caught:
            interval(step=60, ttl=5)
        self.assertIn("'ttl'", str(caught.warning))

    def test_finer_resolutions_accepted(self):
        """Resolutions finer than the step are accepted in every mix."""
        for step, resolution in ((HOUR, 60), ('daily', 3600), ('weekly', 'daily'),
                                 ('monthly', 'daily'), ('yearly', 'monthly'), ('1w', 'daily'),
                                 ('1y', 'monthly')):
            self.assertFalse(interval(step=step, resolution=resolution).coarse,
                             (step, resolution))

    def test_config_must_be_a_dict_and_name_a_string(self):
        """An interval's config must be a dict and its name a non-empty str."""
        for config in (60, None, [('step', 60)]):
            with self.assertRaises(ConfigurationError):
                Interval('minute', config)
        for name in ('', None, 5):
            with self.assertRaises(ConfigurationError):
                Interval(name, {'step': 60})

    def test_legacy_dict_access(self):
        """interval['i_calc'] and the other 0.5.0 keys read the parsed values."""
        hour = Interval('hour', {'step': 3600, 'steps': 24, 'resolution': 60})
        self.assertIs(hour['i_calc'], hour.i_calc)
        self.assertIs(hour['r_calc'], hour.r_calc)
        self.assertEqual(hour['interval'], 'hour')
        self.assertEqual(hour['step'], 3600)
        self.assertEqual(hour['steps'], 24)
        self.assertEqual(hour['resolution'], 60)
        self.assertEqual(hour['expire'], 24 * HOUR)
        self.assertIs(hour['coarse'], False)
        self.assertEqual(hour.get('step'), 3600)
        self.assertEqual(hour.get('nope', 'default'), 'default')
        self.assertIn('i_calc', hour)
        self.assertNotIn('nope', hour)
        with self.assertRaises(KeyError):
            hour['nope']

    def test_read_only(self):
        """An Interval cannot be changed by attribute, item or deletion."""
        minute = Interval('minute', {'step': 60, 'steps': 5})
        with self.assertRaises(AttributeError):
            minute.step = 120
        with self.assertRaises(AttributeError):
            minute.other = 1
        with self.assertRaises(TypeError):
            minute['step'] = 120
        with self.assertRaises(AttributeError):
            del minute.step
        self.assertEqual((minute.step, minute['step'], minute.expire), (60, 60, 300))


class TestConstructorLeavesConfigAlone(unittest.TestCase):

    CONFIG = {
        'minute': {'step': 60, 'steps': 5},
        'hour': {'step': '1h', 'resolution': 60},
        'daily': {'step': 'daily', 'steps': 5, 'resolution': '1h'},
        'weekly': {'step': 'weekly', 'resolution': 'daily'},
    }

    def check(self, client):
        for type_ in ('series', 'histogram', 'count', 'gauge', 'set'):
            intervals = copy.deepcopy(self.CONFIG)
            inner = {name: config for name, config in intervals.items()}
            Timeseries(client, type=type_, intervals=intervals)
            self.assertEqual(intervals, self.CONFIG)
            for name, config in inner.items():
                self.assertIs(intervals[name], config)

    def test_redis_constructor_does_not_mutate_intervals(self):
        """Building a Redis Timeseries leaves the caller's intervals dict unchanged."""
        self.check(redis.Redis())

    def test_mongo_constructor_does_not_mutate_intervals(self):
        """Building a Mongo Timeseries leaves the caller's intervals dict unchanged."""
        self.check(mongomock_ng.MongoClient()['kairos_test'])

    def test_failed_constructor_does_not_mutate_intervals(self):
        """A constructor that refuses the config leaves the caller's dict unchanged."""
        intervals = {'minute': {'step': 60}, 'bad': {'step': 60, 'steps': -1}}
        before = copy.deepcopy(intervals)
        with self.assertRaises(ConfigurationError):
            Timeseries(redis.Redis(), type='series', intervals=intervals)
        self.assertEqual(intervals, before)
