"""Parsing of steps and resolutions, and validation of interval configs."""

import copy
import unittest
import warnings
from types import MappingProxyType

import mongomock_ng
import redis

from kairos import Timeseries
from kairos.exceptions import ConfigurationError, KairosWarning
from kairos.intervals import (SIMPLE_TIME, SIMPLE_TIMES, GregorianTime, Interval, RelativeTime,
                              resolve_time)

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

    def test_seconds_and_minutes(self):
        """'30s', '90 sec', '5min', '2 mins' are seconds and minutes."""
        self.assertEqual(resolve_time('30s'), 30)
        self.assertEqual(resolve_time('90 sec'), 90)
        self.assertEqual(resolve_time('10secs'), 10)
        self.assertEqual(resolve_time('5min'), 300)
        self.assertEqual(resolve_time('2 mins'), 120)

    def test_long_forms(self):
        """Long unit names, singular or plural, with or without a space, mean their unit."""
        for text, seconds in (('5 minutes', 300), ('1 minute', 60), ('1 hour', HOUR),
                              ('2 hours', 2 * HOUR), ('2 days', 2 * DAY), ('1 week', 7 * DAY),
                              ('3 months', 90 * DAY), ('1 year', 365 * DAY),
                              ('10 seconds', 10), ('1second', 1), ('2days', 2 * DAY)):
            self.assertEqual(resolve_time(text), seconds, text)
            self.assertIs(type(resolve_time(text)), int)

    def test_m_is_a_month(self):
        """'5m' is five 30-day months, as in kairos 0.5.0, and constructs without a warning."""
        self.assertEqual(resolve_time('5m'), 5 * 30 * DAY)
        self.assertEqual(resolve_time('5 m'), 5 * 30 * DAY)
        with warnings.catch_warnings():
            warnings.simplefilter('error')
            for config in ({'step': '1m'}, {'step': '1m', 'steps': 12},
                           {'step': '1m', 'resolution': 'daily'},
                           {'step': '3m', 'resolution': '1h'}):
                interval(**config)

    def test_legacy_names_keep_their_values(self):
        """SIMPLE_TIMES keeps 0.5.0's units and values; SIMPLE_TIME matches what 0.5.0's did."""
        legacy = {'h': 3600, 'd': 86400, 'w': 604800, 'm': 2592000, 'y': 31536000}
        self.assertEqual({unit: SIMPLE_TIMES[unit] for unit in legacy}, legacy)
        for text in ('1h', '30d', '2w', '5m', '10y', '007h'):
            count, unit = SIMPLE_TIME.match(text).groups()
            self.assertEqual(int(count) * SIMPLE_TIMES[unit], resolve_time(text))
        count, unit = SIMPLE_TIME.match('5min').groups()
        self.assertEqual(int(count) * SIMPLE_TIMES[unit], 300)

    def test_bad_unit_lists_the_units(self):
        """An unknown or upper-case unit is refused with a message listing the accepted units."""
        for bad in ('5M', '5 MIN', '2H', '5mn', '3 fortnights', '5  min', '5 min '):
            with self.assertRaises(ConfigurationError, msg=bad) as caught:
                resolve_time(bad)
            for unit in ('s,', 'min,', 'h,', 'd,', 'w,', 'm (30 days)', 'y (365 days)',
                         'minute(s)'):
                self.assertIn(unit, str(caught.exception))

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

    def test_misspelt_keys_refused(self):
        """A key one letter off step/steps/resolution is refused, naming the key meant."""
        for config, typo, meant in (({'setp': 60}, 'setp', 'step'),
                                    ({'stpe': 60, 'steps': 5}, 'stpe', 'step'),
                                    ({'step': 60, 'stpes': 5}, 'stpes', 'steps'),
                                    ({'step': 60, 'step_': 5}, 'step_', 'step'),
                                    ({'step': 60, 'resolutoin': 30}, 'resolutoin', 'resolution'),
                                    ({'step': 60, 'resoluton': 30}, 'resoluton', 'resolution')):
            with self.assertRaises(ConfigurationError, msg=typo) as caught:
                interval(**config)
            self.assertEqual(str(caught.exception), "unknown key %r in interval 'test': "
                                                    "did you mean %r?" % (typo, meant))

    def test_finer_resolutions_accepted(self):
        """Resolutions finer than the step are accepted in every mix."""
        for step, resolution in ((HOUR, 60), ('daily', 3600), ('weekly', 'daily'),
                                 ('monthly', 'daily'), ('yearly', 'monthly'), ('1w', 'daily'),
                                 ('yearly', 'weekly'), ('yearly', 'daily'), ('monthly', '1d'),
                                 ('weekly', '30s'), (60, 30), ('1h', '5min'), ('2d', 'daily'),
                                 ('daily', 86400)):
            self.assertFalse(interval(step=step, resolution=resolution).coarse,
                             (step, resolution))

    def test_resolution_that_does_not_nest_is_refused(self):
        """A finer resolution that does not divide its step is refused, naming both."""
        for step, resolution in ((60, 7), ('1h', 7), (HOUR, '7min'), ('daily', 7),
                                 ('daily', '7h'), ('weekly', '1w'), ('monthly', '1m'),
                                 ('monthly', 'weekly'), ('1y', 'monthly'), ('1w', 'weekly'),
                                 ('36h', 'daily'), ('yearly', '1w')):
            with self.assertRaises(ConfigurationError, msg=(step, resolution)) as caught:
                Interval('minute', {'step': step, 'resolution': resolution})
            self.assertIn('resolution %r of interval \'minute\' does not divide its step %r'
                          % (resolution, step), str(caught.exception))

    def test_minutes_written_as_months_warn(self):
        """An 'Nm' step with a resolution under an hour warns that minutes are 'Nmin'."""
        with self.assertWarns(KairosWarning) as caught:
            parsed = interval(step='5m', resolution=60)
        self.assertIn("'5min'", str(caught.warning))
        self.assertEqual(parsed.step, 5 * 30 * DAY)
        with self.assertWarns(KairosWarning) as caught:
            interval(step='1h', resolution='5m')
        self.assertIn("'5min'", str(caught.warning))

    def test_config_must_be_a_dict_and_name_a_string(self):
        """An interval's config must be a dict and its name a non-empty str."""
        for config in (60, None, [('step', 60)]):
            with self.assertRaises(ConfigurationError):
                Interval('minute', config)
        for name in ('', None, 5):
            with self.assertRaises(ConfigurationError):
                Interval(name, {'step': 60})

    def test_any_mapping_configures(self):
        """intervals and each interval's config may be any mapping, as a dict is."""
        intervals = MappingProxyType({'hour': MappingProxyType({'step': '1h', 'resolution': 60,
                                                                'steps': 2})})
        t = Timeseries(redis.Redis(), type='count', intervals=intervals)
        hour = t._intervals['hour']
        self.assertEqual((hour.step, hour.resolution, hour.steps), (HOUR, 60, 2))

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
