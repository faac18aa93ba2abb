"""Bucket arithmetic of kairos.intervals: RelativeTime and GregorianTime.

Expected Gregorian buckets come from datetime.strftime of the UTC time
(datetime(1970, 1, 1) + timedelta(seconds=t)), never from kairos itself.
"""

import calendar
import random
import unittest
from unittest import mock
from datetime import date, datetime, timedelta

from kairos.exceptions import InvalidTimestamp
from kairos.intervals import GregorianTime, RelativeTime, calculator

EPOCH = datetime(1970, 1, 1)
DAY = 86400
FORMATS = {'daily': '%Y%m%d', 'weekly': '%Y%U', 'monthly': '%Y%m', 'yearly': '%Y'}


def ts(*args) -> int:
    """UTC timestamp of datetime(*args)."""
    return calendar.timegm(datetime(*args).timetuple())


def utc(timestamp) -> datetime:
    return EPOCH + timedelta(seconds=timestamp)


def strftime_bucket(step: str, timestamp) -> int:
    return int(utc(timestamp).strftime(FORMATS[step]))


class TestRelativeTime(unittest.TestCase):

    def test_to_bucket_is_floor_of_timestamp_over_step(self):
        """to_bucket divides by the step and floors, for ints and floats."""
        calc = RelativeTime(60)
        self.assertEqual(calc.to_bucket(0), 0)
        self.assertEqual(calc.to_bucket(59), 0)
        self.assertEqual(calc.to_bucket(59.999), 0)
        self.assertEqual(calc.to_bucket(60), 1)
        self.assertEqual(calc.to_bucket(125), 2)
        self.assertEqual(calc.to_bucket(1800000100), 30000001)

    def test_negative_and_fractional_timestamps_floor(self):
        """Timestamps before 1970 floor toward minus infinity, not toward zero."""
        calc = RelativeTime(60)
        self.assertEqual(calc.to_bucket(-0.5), -1)
        self.assertEqual(calc.to_bucket(-1), -1)
        self.assertEqual(calc.to_bucket(-60), -1)
        self.assertEqual(calc.to_bucket(-60.001), -2)
        self.assertEqual(calc.to_bucket(-61), -2)
        self.assertEqual(calc.normalize(-0.5), -60)

    def test_to_bucket_returns_int(self):
        """A float timestamp still gives an int bucket."""
        self.assertIs(type(RelativeTime(60).to_bucket(125.5)), int)
        self.assertIs(type(RelativeTime(60).normalize(125.5)), int)

    def test_steps_argument_moves_by_whole_buckets(self):
        """to_bucket/normalize with steps land that many buckets away."""
        calc = RelativeTime(60)
        self.assertEqual(calc.to_bucket(125, 2), 4)
        self.assertEqual(calc.to_bucket(125, -3), -1)
        self.assertEqual(calc.normalize(125), 120)
        self.assertEqual(calc.normalize(125, 1), 180)
        self.assertEqual(calc.normalize(125, -1), 60)

    def test_from_bucket_shift_and_buckets(self):
        """from_bucket is the bucket start; buckets covers start..end inclusive."""
        calc = RelativeTime(3600)
        self.assertEqual(calc.from_bucket(2), 7200)
        self.assertEqual(calc.from_bucket(-1), -3600)
        self.assertEqual(calc.shift(5, 3), 8)
        self.assertEqual(calc.shift(5, -7), -2)
        self.assertEqual(calc.buckets(0, 3 * 3600), [0, 1, 2, 3])
        self.assertEqual(calc.buckets(3599, 3600), [0, 1])
        self.assertEqual(calc.buckets(-1, 0), [-1, 0])
        self.assertEqual(calc.buckets(7200, 0), [])

    def test_step_size_and_ttl(self):
        """step_size is the step, or spans t0's bucket to t1's; ttl is steps * step, None without steps."""
        calc = RelativeTime(60)
        self.assertEqual(calc.step_size(), 60)
        self.assertEqual(calc.step_size(0), 60)
        self.assertEqual(calc.step_size(0, 59), 60)
        self.assertEqual(calc.step_size(0, 1000), 1020)
        self.assertEqual(RelativeTime(86400).step_size(0, 86400), 2 * 86400)
        self.assertEqual(GregorianTime('daily').step_size(0, 86400), 2 * 86400)
        self.assertEqual(calc.ttl(5), 300)
        self.assertIsNone(calc.ttl(0))
        self.assertIsNone(calc.ttl(None))

    def test_ttl_relative_time(self):
        """ttl(steps, relative_time=) is the seconds until that time's bucket leaves retention, 0 past it."""
        calc, monthly = RelativeTime(60), GregorianTime('monthly')
        self.assertEqual(calc.ttl(5, relative_time=600, now=600), 300)
        self.assertEqual(calc.ttl(5, relative_time=600, now=659), 300)   # bucket starts count
        self.assertEqual(calc.ttl(5, relative_time=600, now=660), 240)
        self.assertEqual(calc.ttl(5, relative_time=600, now=900), 0)
        self.assertEqual(calc.ttl(5, relative_time=600, now=10 ** 6), 0)
        self.assertEqual(calc.ttl(5, relative_time=660, now=600), 360)   # data ahead of now
        self.assertIsNone(calc.ttl(None, relative_time=600, now=600))
        jan, feb = 0, 31 * 86400
        self.assertEqual(monthly.ttl(2, relative_time=jan, now=feb + 5), 60 * 86400 - feb)
        self.assertEqual(monthly.ttl(1, relative_time=jan, now=feb), 0)
        with mock.patch('time.time', return_value=660):
            self.assertEqual(calc.ttl(5, relative_time=600), 240)

    def test_round_trip_over_random_range(self):
        """Every timestamp lies in [from_bucket(b), from_bucket(b + 1)) of its bucket."""
        rng = random.Random(1234)
        for step in (1, 7, 60, 3600, 86400, 2592000):
            calc = RelativeTime(step)
            for _ in range(3000):
                t = rng.randint(-4 * 10 ** 9, 4 * 10 ** 9) + rng.randint(0, 999) / 1000.0
                bucket = calc.to_bucket(t)
                self.assertLessEqual(calc.from_bucket(bucket), t, (step, t))
                self.assertLess(t, calc.from_bucket(bucket + 1), (step, t))
                self.assertEqual(calc.to_bucket(calc.from_bucket(bucket)), bucket)
                self.assertIs(type(bucket), int)

    def test_refuses_non_numbers(self):
        """to_bucket refuses timestamps that are not finite real numbers."""
        calc = RelativeTime(60)
        for bad in ('100', None, True, float('nan'), float('inf'), [1]):
            with self.assertRaises(InvalidTimestamp, msg=repr(bad)):
                calc.to_bucket(bad)


class Calendar(GregorianTime):
    """GregorianTime with int buckets, so the calendar tests read as arithmetic."""

    def to_bucket(self, timestamp, steps=0):
        return int(super().to_bucket(timestamp, steps))

    def buckets(self, start, end):
        return [int(bucket) for bucket in super().buckets(start, end)]


class TestGregorianNames(unittest.TestCase):

    def test_public_buckets_are_strings(self):
        """to_bucket and buckets name Gregorian buckets as strings, as kairos 0.5.0 did."""
        self.assertEqual(GregorianTime('daily').to_bucket(0), '19700101')
        self.assertEqual(GregorianTime('daily').to_bucket(0, 1), '19700102')
        self.assertEqual(GregorianTime('weekly').to_bucket(0), '197000')
        self.assertEqual(GregorianTime('monthly').buckets(0, 40 * DAY), ['197001', '197002'])
        self.assertEqual(GregorianTime('yearly').buckets(0, 0), ['1970'])
        self.assertEqual(GregorianTime('daily').from_bucket('19700102'), DAY)
        self.assertEqual(GregorianTime('daily').span(19700101, 19700102), [19700101, 19700102])
        self.assertIs(type(RelativeTime(60).to_bucket(125)), int)


class TestGregorianAgainstStrftime(unittest.TestCase):

    def test_every_day_matches_strftime(self):
        """to_bucket equals strftime of the UTC time, every day from 1960 to 2045."""
        rng = random.Random(99)
        start, end = ts(1960, 1, 1), ts(2045, 12, 31)
        calcs = {step: Calendar(step) for step in FORMATS}
        for day_start in range(start, end + 1, DAY):
            for t in (day_start + rng.choice((0, rng.uniform(0, DAY), DAY - 0.001)),):
                moment = utc(t)
                for step, calc in calcs.items():
                    self.assertEqual(calc.to_bucket(t), int(moment.strftime(FORMATS[step])),
                                     (step, moment))

    def test_every_bucket_round_trips(self):
        """to_bucket(from_bucket(b)) == b, and from_bucket(b) starts b, for every bucket."""
        for step in FORMATS:
            calc = Calendar(step)
            buckets = calc.buckets(ts(1950, 1, 1), ts(2060, 12, 31))
            self.assertEqual(len(buckets), len(set(buckets)))
            for bucket in buckets:
                start = calc.from_bucket(bucket)
                self.assertEqual(calc.to_bucket(start), bucket)
                self.assertEqual(strftime_bucket(step, start), bucket)
                self.assertNotEqual(strftime_bucket(step, start - 1), bucket, (step, bucket))
                self.assertEqual(utc(start).time(), datetime.min.time())

    def test_buckets_are_consecutive_and_gapless(self):
        """Each bucket ends where the next begins; shift(+1/-1) walks the same list."""
        for step in FORMATS:
            calc = Calendar(step)
            buckets = calc.buckets(ts(1965, 1, 1), ts(2040, 12, 31))
            self.assertEqual(buckets, sorted(buckets))
            for here, following in zip(buckets, buckets[1:]):
                start = calc.from_bucket(here)
                self.assertEqual(start + calc.step_size(start), calc.from_bucket(following))
                self.assertEqual(calc.shift(here, 1), following)
                self.assertEqual(calc.shift(following, -1), here)

    def test_random_timestamps_match_strftime(self):
        """Random timestamps, fractional and before 1970, bucket as strftime says."""
        rng = random.Random(7)
        calcs = {step: Calendar(step) for step in FORMATS}
        for _ in range(3000):
            t = rng.uniform(ts(1900, 1, 1), ts(2200, 1, 1))
            for step, calc in calcs.items():
                self.assertEqual(calc.to_bucket(t), strftime_bucket(step, t), (step, t))
                self.assertLessEqual(calc.normalize(t), t)
                self.assertLess(t, calc.normalize(t, 1))

    def test_random_shifts_match_walking(self):
        """shift(b, n) equals n single steps, forward and back, across years."""
        rng = random.Random(5)
        for step in FORMATS:
            calc = Calendar(step)
            buckets = calc.buckets(ts(1995, 1, 1), ts(2045, 1, 1))
            for _ in range(200):
                i = rng.randrange(len(buckets))
                n = rng.randint(-min(i, 60), min(len(buckets) - 1 - i, 60))
                self.assertEqual(calc.shift(buckets[i], n), buckets[i + n], (step, buckets[i], n))
                self.assertEqual(calc.to_bucket(calc.from_bucket(buckets[i]), n), buckets[i + n])


class TestGregorianEdges(unittest.TestCase):

    def test_year_edge(self):
        """Dec 31 23:59:59.999 is in the old year's buckets, Jan 1 00:00 in the new."""
        last = ts(2038, 1, 1) - 0.001
        self.assertEqual(Calendar('daily').to_bucket(last), 20371231)
        self.assertEqual(Calendar('weekly').to_bucket(last), 203752)
        self.assertEqual(Calendar('monthly').to_bucket(last), 203712)
        self.assertEqual(Calendar('yearly').to_bucket(last), 2037)
        first = ts(2038, 1, 1)
        self.assertEqual(Calendar('daily').to_bucket(first), 20380101)
        self.assertEqual(Calendar('weekly').to_bucket(first), 203800)
        self.assertEqual(Calendar('monthly').to_bucket(first), 203801)
        self.assertEqual(Calendar('yearly').to_bucket(first), 2038)

    def test_before_1970_and_fractional(self):
        """-0.5 is Dec 31 1969 in every Gregorian step (floor, not truncation)."""
        self.assertEqual(Calendar('daily').to_bucket(-0.5), 19691231)
        self.assertEqual(Calendar('monthly').to_bucket(-0.5), 196912)
        self.assertEqual(Calendar('yearly').to_bucket(-0.5), 1969)
        self.assertEqual(Calendar('weekly').to_bucket(-0.5),
                         int(date(1969, 12, 31).strftime('%Y%U')))
        self.assertEqual(Calendar('daily').normalize(-0.5), -DAY)
        self.assertEqual(Calendar('daily').from_bucket(19000101), ts(1900, 1, 1))

    def test_month_end_plus_one_month(self):
        """Jan 31 plus one monthly step is February, not March."""
        calc = Calendar('monthly')
        jan31 = ts(2038, 1, 31, 12)
        self.assertEqual(calc.to_bucket(jan31, 1), 203802)
        self.assertEqual(calc.normalize(jan31, 1), ts(2038, 2, 1))
        self.assertEqual(calc.shift(203801, 1), 203802)
        self.assertEqual(calc.shift(203812, 1), 203901)
        self.assertEqual(calc.shift(203901, -1), 203812)
        self.assertEqual(calc.to_bucket(ts(2038, 3, 31), -1), 203802)
        self.assertEqual(Calendar('daily').to_bucket(jan31, 1), 20380201)

    def test_leap_years(self):
        """Feb 29 exists in 2024 and 2000, not in 2100; month and year lengths follow."""
        daily, monthly, yearly = (Calendar(s) for s in ('daily', 'monthly', 'yearly'))
        self.assertEqual(daily.to_bucket(ts(2024, 2, 28), 1), 20240229)
        self.assertEqual(daily.to_bucket(ts(2024, 2, 29), 1), 20240301)
        self.assertEqual(daily.to_bucket(ts(2100, 2, 28), 1), 21000301)
        self.assertEqual(daily.shift(20240301, -1), 20240229)
        self.assertEqual(daily.shift(21000301, -1), 21000228)
        self.assertEqual(monthly.step_size(ts(2024, 2, 10)), 29 * DAY)
        self.assertEqual(monthly.step_size(ts(2000, 2, 10)), 29 * DAY)
        self.assertEqual(monthly.step_size(ts(2100, 2, 10)), 28 * DAY)
        self.assertEqual(yearly.step_size(ts(2024, 6, 1)), 366 * DAY)
        self.assertEqual(yearly.step_size(ts(2100, 6, 1)), 365 * DAY)
        self.assertEqual(yearly.to_bucket(ts(2024, 2, 29), 1), 2025)
        self.assertEqual(monthly.to_bucket(ts(2024, 2, 29), 12), 202502)
        self.assertEqual(len(daily.buckets(ts(2024, 1, 1), ts(2024, 12, 31))), 366)
        self.assertEqual(len(daily.buckets(ts(2100, 1, 1), ts(2100, 12, 31))), 365)

    def test_year_starting_on_sunday_has_no_week_00(self):
        """In 2023 and 2034 (Jan 1 a Sunday) weeks run 01..53 and 01 starts Jan 1."""
        calc = Calendar('weekly')
        for year in (2023, 2034):
            self.assertEqual(date(year, 1, 1).weekday(), 6)
            weeks = calc.buckets(ts(year, 1, 1), ts(year, 12, 31))
            self.assertEqual(weeks, [year * 100 + w for w in range(1, 54)])
            self.assertEqual(calc.from_bucket(year * 100 + 1), ts(year, 1, 1))
            self.assertEqual(calc.from_bucket(year * 100 + 2), ts(year, 1, 8))
            self.assertEqual(calc.to_bucket(ts(year, 12, 31)), year * 100 + 53)
            self.assertEqual(calc.shift(year * 100 + 1, -1), (year - 1) * 100 + 52)

    def test_year_not_starting_on_sunday_has_week_00(self):
        """In 2038 (Jan 1 a Friday) week 00 is Jan 1-2 and week 01 starts Sunday Jan 3."""
        calc = Calendar('weekly')
        self.assertEqual(calc.to_bucket(ts(2038, 1, 1)), 203800)
        self.assertEqual(calc.to_bucket(ts(2038, 1, 2, 23, 59)), 203800)
        self.assertEqual(calc.to_bucket(ts(2038, 1, 3)), 203801)
        self.assertEqual(calc.from_bucket(203800), ts(2038, 1, 1))
        self.assertEqual(calc.from_bucket(203801), ts(2038, 1, 3))
        self.assertEqual(calc.from_bucket(203805), ts(2038, 1, 31))
        self.assertEqual(calc.step_size(ts(2038, 1, 1)), 2 * DAY)
        weeks = calc.buckets(ts(2038, 1, 1), ts(2038, 12, 31))
        self.assertEqual(weeks, [203800 + w for w in range(0, 53)])
        self.assertEqual(calc.step_size(ts(2038, 12, 31)), 6 * DAY)
        self.assertEqual(calc.shift(203852, 1), 203900)
        self.assertEqual(calc.shift(203900, -1), 203852)
        self.assertEqual(calc.shift(203800, -1), 203752)

    def test_from_bucket_native(self):
        """from_bucket(native=True) is the naive UTC datetime of the bucket start."""
        self.assertEqual(GregorianTime('weekly').from_bucket(202702, native=True),
                         datetime(2027, 1, 10))
        self.assertEqual(GregorianTime('monthly').from_bucket(203802, native=True),
                         datetime(2038, 2, 1))

    def test_buckets_between(self):
        """buckets lists every bucket from start's to end's; empty when start > end."""
        calc = GregorianTime('monthly')
        self.assertEqual(calc.buckets(ts(2037, 11, 30), ts(2038, 2, 1)),
                         ['203711', '203712', '203801', '203802'])
        self.assertEqual(calc.buckets(ts(2038, 2, 1), ts(2038, 1, 1)), [])
        self.assertEqual(GregorianTime('yearly').buckets(ts(1969, 6, 1), ts(1971, 1, 1)),
                         ['1969', '1970', '1971'])

    def test_step_size_spans_both_buckets(self):
        """step_size(t0, t1) runs from t0's bucket start to the end of t1's bucket."""
        self.assertEqual(GregorianTime('daily').step_size(ts(2038, 1, 1, 5), ts(2038, 1, 3, 1)),
                         3 * DAY)
        self.assertEqual(GregorianTime('monthly').step_size(ts(2038, 1, 15), ts(2038, 3, 2)),
                         (31 + 28 + 31) * DAY)

    def test_ttl_uses_fixed_lengths(self):
        """ttl is steps times 1, 7, 30 or 365 days, None without steps."""
        self.assertEqual(GregorianTime('daily').ttl(5), 5 * DAY)
        self.assertEqual(GregorianTime('weekly').ttl(2), 14 * DAY)
        self.assertEqual(GregorianTime('monthly').ttl(3), 90 * DAY)
        self.assertEqual(GregorianTime('yearly').ttl(1), 365 * DAY)
        self.assertIsNone(GregorianTime('daily').ttl(0))
        self.assertIsNone(GregorianTime('yearly').ttl(None))

    def test_refuses_unknown_step_and_bad_timestamps(self):
        """GregorianTime refuses other names; to_bucket refuses non-numbers."""
        with self.assertRaises(ValueError):
            GregorianTime('hourly')
        for bad in ('100', None, False, float('nan'), float('-inf')):
            with self.assertRaises(InvalidTimestamp, msg=repr(bad)):
                GregorianTime('daily').to_bucket(bad)

    def test_calculator_picks_by_step(self):
        """calculator gives RelativeTime for seconds and GregorianTime for names."""
        self.assertIsInstance(calculator(60), RelativeTime)
        self.assertIsInstance(calculator('weekly'), GregorianTime)
