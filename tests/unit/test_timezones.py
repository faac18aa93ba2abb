"""Local calendars (an interval's ``timezone``) and the ISO 8601 week step.

Expected values are written out by hand from the zones' 2024 changes, or come
from a plain model below built on datetime and zoneinfo alone: a timestamp's
local date by UTC arithmetic and ``astimezone``, a date's first instant as the
smallest second whose local date is that date or later (by bisection).

2024 changes: Berlin Mar 31 (02:00 -> 03:00) and Oct 27 (03:00 -> 02:00);
New York Mar 10 (02:00 -> 03:00) and Nov 3 (02:00 -> 01:00).
"""

import calendar
import os
import unittest
import warnings
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings, strategies as st

from kairos.calculators import (GregorianTime, LocalCalendar, LocalDays, RelativeTime,
                                calculator)
from kairos.buckets import BucketFormat, written
from kairos.exceptions import ConfigurationError, InvalidTimestamp, KairosWarning
from kairos.intervals import Interval
from kairos.redis.keys import Keys
from kairos.units import CALENDAR_END, CALENDAR_FIRST

HOUR, DAY = 3600, 86400
BERLIN, NEW_YORK = ZoneInfo('Europe/Berlin'), ZoneInfo('America/New_York')
EXAMPLES = int(os.environ.get('KAIROS_FUZZ_EXAMPLES', 200))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))

# local midnights of 2024, as UTC timestamps
BERLIN_MAR30, BERLIN_MAR31, BERLIN_APR1 = 1711753200, 1711839600, 1711922400
BERLIN_OCT27, BERLIN_OCT28 = 1729980000, 1730070000
NY_MAR10, NY_MAR11 = 1710046800, 1710129600
NY_NOV3, NY_NOV4 = 1730606400, 1730696400


def utc(*args) -> int:
    return calendar.timegm(datetime(*args).timetuple())


# -- the model -----------------------------------------------------------------

UTC_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MODEL_FORMATS = {'daily': '%Y%m%d', 'weekly': '%Y%U', 'isoweekly': '%G%V', 'monthly': '%Y%m',
                 'yearly': '%Y'}


def local_date(timestamp, zone) -> date:
    return (UTC_EPOCH + timedelta(seconds=int(timestamp // 1))).astimezone(zone).date()


def first_instant(day: date, zone) -> int:
    """The smallest whole second whose local date is ``day`` or later."""
    naive = calendar.timegm(day.timetuple())
    low, high = naive - 16 * HOUR, naive + 16 * HOUR  # beyond any offset
    while high - low > 1:
        middle = (low + high) // 2
        if local_date(middle, zone) >= day:
            high = middle
        else:
            low = middle
    return high


def bucket_id(step, day: date) -> int:
    return int(day.strftime(MODEL_FORMATS[step]))


def bucket_dates(step, day: date):
    """(first date, date after the last) of the bucket holding ``day``, walking the days."""
    start, end = day, day + timedelta(days=1)
    while start > date.min and bucket_id(step, start - timedelta(days=1)) == bucket_id(step, day):
        start -= timedelta(days=1)
    while end < date.max and bucket_id(step, end) == bucket_id(step, day):
        end += timedelta(days=1)
    return start, end


class TestLocalCalendar(unittest.TestCase):

    def test_berlin_march_change(self):
        """A Berlin day starts at local midnight; the last Sunday of March lasts 23 hours."""
        calc = calculator('daily', BERLIN)
        self.assertIsInstance(calc, LocalCalendar)
        self.assertEqual(calc.to_bucket(BERLIN_MAR31), '20240331')
        self.assertEqual(calc.to_bucket(BERLIN_MAR31 - 1), '20240330')
        self.assertEqual(calc.to_bucket(BERLIN_APR1 - 1), '20240331')
        self.assertEqual(calc.from_bucket(20240331), BERLIN_MAR31)
        self.assertEqual(calc.end_of(20240331), BERLIN_APR1)
        self.assertEqual(calc.step_size(BERLIN_MAR31 + 5 * HOUR), 23 * HOUR)
        self.assertEqual(calc.step_size(BERLIN_MAR30), 24 * HOUR)

    def test_berlin_october_change(self):
        """The last Sunday of October lasts 25 hours in Berlin."""
        calc = calculator('daily', 'Europe/Berlin')
        self.assertEqual(calc.bucket(BERLIN_OCT27 + 24 * HOUR), 20241027)
        self.assertEqual(calc.bucket(BERLIN_OCT28), 20241028)
        self.assertEqual(calc.from_bucket(20241028), BERLIN_OCT28)
        self.assertEqual(calc.end_of(20241027) - calc.from_bucket(20241027), 25 * HOUR)
        self.assertEqual(calc.step_size(BERLIN_OCT27), 25 * HOUR)

    def test_new_york_changes(self):
        """New York's days of change last 23 and 25 hours, from local midnight."""
        calc = calculator('daily', NEW_YORK)
        self.assertEqual(calc.bucket(NY_MAR10), 20240310)
        self.assertEqual(calc.bucket(NY_MAR10 - 1), 20240309)
        self.assertEqual(calc.from_bucket(20240311), NY_MAR11)
        self.assertEqual(calc.step_size(NY_MAR10), 23 * HOUR)
        self.assertEqual(calc.step_size(NY_NOV3 + 20 * HOUR), 25 * HOUR)
        self.assertEqual(calc.from_bucket(20241104), NY_NOV4)

    def test_shift_span_count_across_changes(self):
        """shift, span and count step over local days; step_size spans them in seconds."""
        calc = calculator('daily', BERLIN)
        self.assertEqual(calc.shift(20240330, 2), 20240401)
        self.assertEqual(calc.shift(20241028, -2), 20241026)
        self.assertEqual(calc.span(20240330, 20240401), [20240330, 20240331, 20240401])
        self.assertEqual(calc.count(20240330, 20240401), 3)
        self.assertEqual(calc.normalize(BERLIN_MAR31 + HOUR, 1), BERLIN_APR1)
        self.assertEqual(calc.step_size(BERLIN_MAR30, BERLIN_APR1), 24 * HOUR * 3 - HOUR)
        self.assertEqual(calc.buckets(BERLIN_MAR30, BERLIN_MAR31), ['20240330', '20240331'])

    def test_weekly_monthly_yearly_start_at_local_midnight(self):
        """Weekly ('%U'), ISO weekly, monthly and yearly buckets start at local midnight."""
        weekly, isoweekly = calculator('weekly', BERLIN), calculator('isoweekly', BERLIN)
        self.assertEqual(weekly.bucket(BERLIN_MAR31), 202413)  # Sunday Mar 31 starts week 13
        self.assertEqual(weekly.from_bucket(202413), BERLIN_MAR31)
        self.assertEqual(weekly.end_of(202413) - weekly.from_bucket(202413), 7 * DAY - HOUR)
        self.assertEqual(isoweekly.bucket(BERLIN_MAR31), 202413)  # Monday Mar 25 to Sunday
        self.assertEqual(isoweekly.bucket(BERLIN_APR1), 202414)
        self.assertEqual(isoweekly.end_of(202413), BERLIN_APR1)
        self.assertEqual(isoweekly.step_size(BERLIN_MAR31), 7 * DAY - HOUR)
        monthly, yearly = calculator('monthly', NEW_YORK), calculator('yearly', NEW_YORK)
        self.assertEqual(monthly.from_bucket(202411), utc(2024, 11, 1, 4))
        self.assertEqual(monthly.step_size(NY_NOV3), 30 * DAY + HOUR)
        self.assertEqual(monthly.bucket(utc(2024, 12, 1, 4) - 1), 202411)
        self.assertEqual(yearly.bucket(utc(2025, 1, 1, 4) - 1), 2024)
        self.assertEqual(yearly.from_bucket(2025), utc(2025, 1, 1, 5))
        self.assertEqual(yearly.step_size(NY_NOV3), 366 * DAY)

    def test_whole_day_relative_step(self):
        """A relative step of whole days counts local days since 1970-01-01, divided by N."""
        one, two = calculator(DAY, BERLIN), calculator(2 * DAY, 'Europe/Berlin')
        self.assertIsInstance(one, LocalDays)
        days = (date(2024, 3, 31) - date(1970, 1, 1)).days
        self.assertEqual(one.bucket(BERLIN_MAR31), days)
        self.assertEqual(one.to_bucket(BERLIN_MAR31 - 1), days - 1)
        self.assertEqual(one.from_bucket(days), BERLIN_MAR31)
        self.assertEqual(one.step_size(BERLIN_MAR31), 23 * HOUR)
        self.assertEqual(one.step_size(), DAY)
        self.assertEqual(two.bucket(BERLIN_MAR31), days // 2)
        self.assertEqual(two.from_bucket(days // 2), BERLIN_MAR30 if days % 2 else BERLIN_MAR31)
        self.assertEqual(two.step_size(BERLIN_MAR31), 47 * HOUR)
        self.assertEqual(two.count(10, 12), 3)
        self.assertEqual(two.span(10, 12), [10, 11, 12])

    def test_sub_day_steps_stay_utc(self):
        """Steps under a day, and of hours that are not whole days, stay UTC relative ones."""
        self.assertIsInstance(calculator(3600, BERLIN), RelativeTime)
        self.assertIsInstance(calculator(36 * HOUR, BERLIN), RelativeTime)
        self.assertEqual(calculator(3600, BERLIN).bucket(BERLIN_MAR31), BERLIN_MAR31 // 3600)

    def test_midnight_in_a_gap(self):
        """Where a change skips midnight, the local day starts at the end of the gap."""
        sao_paulo = calculator('daily', 'America/Sao_Paulo')   # 2018-11-04 00:00 -> 01:00
        start = utc(2018, 11, 4, 3)   # 01:00 -02
        self.assertEqual(sao_paulo.from_bucket(20181104), start)
        self.assertEqual(sao_paulo.bucket(start - 1), 20181103)
        self.assertEqual(sao_paulo.step_size(start), 23 * HOUR)
        self.assertEqual(sao_paulo.step_size(start - 1), 24 * HOUR)
        santiago = calculator('daily', 'America/Santiago')   # 2022-09-11 00:00 -> 01:00
        self.assertEqual(santiago.from_bucket(20220911), utc(2022, 9, 11, 4))
        self.assertEqual(santiago.end_of(20220910), utc(2022, 9, 11, 4))

    def test_skipped_date(self):
        """Apia skipped 2011-12-30: its bucket lasts no time, and 31 starts where 29 ends."""
        apia = calculator('daily', 'Pacific/Apia')
        self.assertEqual(apia.end_of(20111229), apia.from_bucket(20111231))
        self.assertEqual(apia.end_of(20111230) - apia.from_bucket(20111230), 0)
        self.assertEqual(apia.bucket(apia.from_bucket(20111231) - 1), 20111229)

    def test_ttl_counts_local_starts(self):
        """ttl keeps the nominal lifetime; with relative_time, the age runs from local starts."""
        calc = calculator('daily', BERLIN)
        self.assertEqual(calc.ttl(3), 3 * DAY)
        self.assertEqual(calc.ttl(3, relative_time=BERLIN_MAR30 + 1, now=BERLIN_APR1 + 5),
                         3 * DAY - (BERLIN_APR1 - BERLIN_MAR30))
        self.assertEqual(calculator(DAY, BERLIN).ttl(2), 2 * DAY)


class TestIsoWeeks(unittest.TestCase):

    def test_iso_week_ids(self):
        """ISO weeks: week 53 of 2020 runs to 2021-01-03; 2024-12-30 is in week 1 of 2025."""
        calc = GregorianTime('isoweekly')
        self.assertEqual(calc.to_bucket(utc(2020, 12, 31)), '202053')
        self.assertEqual(calc.to_bucket(utc(2021, 1, 3, 23)), '202053')
        self.assertEqual(calc.to_bucket(utc(2021, 1, 4)), '202101')
        self.assertEqual(calc.to_bucket(utc(2024, 12, 30)), '202501')
        self.assertEqual(calc.from_bucket(202053), utc(2020, 12, 28))
        self.assertEqual(calc.from_bucket(202501), utc(2024, 12, 30))

    def test_iso_week_arithmetic(self):
        """shift, span and count cross ISO years; a week lasts 7 days in UTC."""
        calc = GregorianTime('isoweekly')
        self.assertEqual(calc.shift(202052, 2), 202101)
        self.assertEqual(calc.shift(202101, -1), 202053)
        self.assertEqual(calc.span(202052, 202102), [202052, 202053, 202101, 202102])
        self.assertEqual(calc.count(202052, 202102), 4)
        self.assertEqual(calc.step_size(utc(2021, 1, 1)), 7 * DAY)
        self.assertEqual(calc.buckets(utc(2020, 12, 31), utc(2021, 1, 5)), ['202053', '202101'])
        self.assertEqual(calc.ttl(2), 14 * DAY)

    def test_iso_week_format(self):
        """Stored ISO week ids are checked: week 53 only in years that have one, no week 0."""
        valid = BucketFormat(GregorianTime('isoweekly')).valid
        self.assertEqual([valid(t) for t in ('202053', '202153', '202100', '202101', '21')],
                         [True, False, False, True, False])
        self.assertTrue(BucketFormat(calculator('isoweekly', BERLIN)).valid('202452'))

    def test_iso_week_nesting(self):
        """'isoweekly' takes daily and sub-day resolutions; as a resolution, only in itself."""
        Interval('w', {'step': 'isoweekly', 'resolution': 'daily'})
        Interval('w', {'step': 'isoweekly', 'resolution': 3600, 'timezone': 'Europe/Berlin'})
        Interval('w', {'step': 'isoweekly', 'resolution': 'isoweekly'})
        for step in ('yearly', 'monthly', 'weekly', '7d'):
            with self.assertRaises(ConfigurationError) as caught:
                Interval('w', {'step': step, 'resolution': 'isoweekly'})
            self.assertIn("does not divide its step", str(caught.exception))
        with self.assertRaises(ConfigurationError) as caught:
            Interval('w', {'step': 'yearly', 'resolution': 'isoweekly'})
        self.assertIn('ISO week', str(caught.exception))
        with self.assertRaises(ConfigurationError):
            Interval('w', {'step': 'isoweekly', 'resolution': 'weekly'})


class TestStoredFormats(unittest.TestCase):

    INTERVALS = {'berlin': {'step': 'daily', 'resolution': 3600, 'timezone': 'Europe/Berlin'},
                 'iso': {'step': 'isoweekly', 'timezone': 'America/New_York'},
                 'days': {'step': '2d', 'timezone': 'America/New_York'}}

    def intervals(self):
        return {name: Interval(name, config) for name, config in self.INTERVALS.items()}

    def test_redis_keys(self):
        """Redis key checks take local dates, ISO weeks and local day counts in their formats."""
        keys = Keys('kairos:', False, self.intervals())
        self.assertEqual(keys.bucket('iso:202053'), ('iso', 202053))
        self.assertIsNone(keys.bucket('iso:202153'))
        self.assertEqual(keys.bucket('days:9896'), ('days', 9896))
        self.assertTrue(keys.owned('berlin:20240331:%d' % (BERLIN_MAR31 // HOUR)))
        self.assertFalse(keys.owned('berlin:2024033:1'))
        self.assertEqual(keys.name('kairos:a:b:iso:202501'), 'a:b')

    def test_mongo_documents(self):
        """Mongo's format check: calendar ids as str, local day counts as int."""
        intervals = self.intervals()
        self.assertTrue(written(intervals['iso'], {'interval': '202053'}))
        self.assertFalse(written(intervals['iso'], {'interval': '202000'}))
        self.assertTrue(written(intervals['days'], {'interval': 9896}))
        self.assertFalse(written(intervals['days'], {'interval': '9896'}))
        self.assertTrue(written(intervals['berlin'], {'interval': '20240331', 'resolution': 5}))


class TestTimezoneConfiguration(unittest.TestCase):

    def test_interval_timezone(self):
        """An interval parses its timezone once into a ZoneInfo; UTC and none give None."""
        interval = Interval('d', {'step': 'daily', 'timezone': 'Europe/Berlin'})
        self.assertEqual(interval.timezone, BERLIN)
        self.assertIsInstance(interval.i_calc, LocalCalendar)
        self.assertIsNone(Interval('d', {'step': 'daily', 'timezone': 'UTC'}).timezone)
        self.assertIs(type(Interval('d', {'step': 'daily', 'timezone': 'UTC'}).i_calc),
                      GregorianTime)
        self.assertIsNone(Interval('d', {'step': 'daily'}).timezone)
        self.assertIn("timezone='Europe/Berlin'", repr(interval))

    def test_unknown_zone_refused(self):
        """An unknown zone is refused, naming it and a close match."""
        with self.assertRaises(ConfigurationError) as caught:
            Interval('d', {'step': 'daily', 'timezone': 'Europe/Berln'})
        self.assertIn("'Europe/Berln'", str(caught.exception))
        self.assertIn("did you mean 'Europe/Berlin'", str(caught.exception))
        for bad in ('', 'Nowhere/Land', '../zoneinfo', 5, timezone.utc):
            with self.assertRaises(ConfigurationError):
                Interval('d', {'step': 'daily', 'timezone': bad})

    def test_timezone_of_sub_day_steps_is_kept_quietly(self):
        """A timezone on an interval with nothing day-based is kept without a warning: its
        buckets stay UTC, and reads regrouping them by days (every=) use its local days."""
        with warnings.catch_warnings():
            warnings.simplefilter('error')
            hourly = Interval('h', {'step': 3600, 'resolution': 60, 'timezone': 'Europe/Berlin'})
            Interval('d', {'step': '1d', 'resolution': 3600, 'timezone': 'Europe/Berlin'})
            Interval('d', {'step': 'daily', 'resolution': 60, 'timezone': 'Europe/Berlin'})
        self.assertEqual('Europe/Berlin', hourly.timezone.key)
        self.assertEqual(hourly.i_calc.to_bucket(1700000000), 1700000000 // 3600)

    def test_local_bounds(self):
        """A timestamp whose local date is outside years 1 to 9999 is refused cleanly."""
        for config, stamp in (({'step': 'daily', 'timezone': 'America/New_York'}, CALENDAR_FIRST),
                              ({'step': 'daily', 'timezone': 'Europe/Berlin'}, CALENDAR_END - 1),
                              ({'step': '1d', 'timezone': 'Europe/Berlin'}, CALENDAR_END - 1),
                              ({'step': '1d', 'timezone': 'Europe/Berlin'}, CALENDAR_END),
                              ({'step': 'isoweekly', 'timezone': 'Asia/Tokyo'}, 1e300)):
            with self.assertRaises(InvalidTimestamp):
                Interval('x', config).check(stamp)
        berlin = Interval('x', {'step': 'daily', 'timezone': 'Europe/Berlin'})
        self.assertEqual(berlin.check(CALENDAR_FIRST), 10101)
        self.assertEqual(Interval('x', {'step': 'daily', 'timezone': 'America/New_York'})
                         .check(CALENDAR_END - 1), 99991231)
        with self.assertRaises(InvalidTimestamp):
            calculator('monthly', NEW_YORK).to_bucket(CALENDAR_FIRST)
        with self.assertRaises(InvalidTimestamp):
            berlin.check(utc(9999, 12, 30), shift=5)

    def test_utc_unchanged(self):
        """Without a timezone (or with UTC) every step gives the ids and times it always did."""
        feb1 = utc(2038, 2, 1)
        for zone in (None, 'UTC', ZoneInfo('UTC'), 'Etc/UTC'):
            self.assertIs(type(calculator('daily', zone)), GregorianTime)
            self.assertIs(type(calculator(DAY, zone)), RelativeTime)
            self.assertEqual(calculator('daily', zone).to_bucket(feb1), '20380201')
            self.assertEqual(calculator('weekly', zone).to_bucket(utc(2038, 1, 2)), '203800')
            self.assertEqual(calculator('weekly', zone).to_bucket(feb1), '203805')
            self.assertEqual(calculator('monthly', zone).from_bucket(203802), feb1)
            self.assertEqual(calculator('yearly', zone).end_of(2038), utc(2039, 1, 1))
            self.assertEqual(calculator(2 * DAY, zone).to_bucket(feb1), feb1 // (2 * DAY))
        self.assertEqual(calculator('yearly').end_of(9999), CALENDAR_END)
        self.assertEqual(calculator('weekly').end_of(999952), CALENDAR_END)
        self.assertEqual(GregorianTime('daily').from_bucket(20380201, native=True),
                         datetime(2038, 2, 1))


# random timestamps, and ones within two days of a change of offset (or a skipped date)
CHANGES = [utc(2024, 3, 31, 1), utc(2024, 10, 27, 1), utc(2024, 3, 10, 7), utc(2024, 11, 3, 6),
           utc(2018, 11, 4, 3), utc(2022, 9, 11, 4), utc(2011, 12, 30, 10), utc(1916, 4, 30, 22)]
STAMPS = st.one_of(st.integers(utc(1900, 1, 1), utc(2100, 1, 1) - 1),
                   st.sampled_from(CHANGES).flatmap(
                       lambda change: st.integers(change - 2 * DAY, change + 2 * DAY)))


class TestAgainstModel(unittest.TestCase):

    ZONES = ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata',
             'America/Sao_Paulo', 'America/Santiago', 'Pacific/Apia', 'UTC']

    @SETTINGS
    @given(STAMPS, st.sampled_from(ZONES), st.sampled_from(sorted(MODEL_FORMATS)),
           st.sampled_from([0, 0.25, 0.999]))
    def test_calendar_steps(self, stamp, name, step, fraction):
        """bucket, from_bucket and end_of agree with the model's local dates and first instants."""
        zone = ZoneInfo(name)
        calc = calculator(step, zone)
        day = local_date(stamp + fraction, zone)
        first, after = bucket_dates(step, day)
        bucket = calc.check(stamp + fraction)
        self.assertEqual(bucket, bucket_id(step, day))
        self.assertEqual(calc.from_bucket(bucket), first_instant(first, zone))
        self.assertEqual(calc.end_of(bucket), first_instant(after, zone))
        self.assertEqual(calc.step_size(stamp + fraction),
                         first_instant(after, zone) - first_instant(first, zone))

    @SETTINGS
    @given(STAMPS, st.sampled_from(ZONES), st.integers(1, 9))
    def test_whole_days(self, stamp, name, days):
        """A step of N days: the model's local day count // N, from its first local date."""
        zone = ZoneInfo(name)
        calc = calculator(days * DAY, zone)
        bucket = calc.check(stamp)
        self.assertEqual(bucket, (local_date(stamp, zone) - date(1970, 1, 1)).days // days)
        start = date(1970, 1, 1) + timedelta(days=bucket * days)
        self.assertEqual(calc.from_bucket(bucket), first_instant(start, zone))
        self.assertEqual(calc.end_of(bucket),
                         first_instant(start + timedelta(days=days), zone))
        self.assertLessEqual(calc.from_bucket(bucket), stamp)
        self.assertLess(stamp, calc.end_of(bucket))


if __name__ == '__main__':
    unittest.main()
