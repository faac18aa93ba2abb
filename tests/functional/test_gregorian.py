"""Gregorian intervals (daily, weekly, monthly, yearly): buckets are UTC calendar periods.

Data: the value 1 at midnight UTC of every day from Jan 1 to Mar 1 2038
(Jan 1 2038 is a Friday, so %U week 00 is Jan 1-2 and week 01 starts Sunday
Jan 3). Tests over the whole year fill every day of 2038 into coarse
'week', 'monthly' and 'yearly' intervals (kept small: mongomock scans).
"""

import calendar
from datetime import datetime, timedelta

from tests.support import MongoCase, RedisCase, RedisClusterCase
from tests.functional.common import at, plain, utc

DAY = 86400
JAN1 = utc(2038, 1, 1)
FEB1 = utc(2038, 2, 1)
DEC31 = utc(2038, 12, 31)
DAYS = 60  # Jan 1 .. Mar 1


def gregorian():
    return {'daily': {'step': 'daily', 'steps': 5},
            'weekly': {'step': 'weekly', 'resolution': 60},
            'monthly': {'step': 'monthly'},
            'yearly': {'step': 'yearly'}}


def utcdatetime(ts):
    return datetime(1970, 1, 1) + timedelta(seconds=ts)


class GregorianBehaviour:

    async_twin = True  # run on kairos.asyncio too (tests.support.AsyncCase)

    def setUp(self):
        super().setUp()
        self.t = self.timeseries(type='series', read_func=int, prefix='kairos',
                                 intervals=gregorian())
        self.t.bulk_insert({JAN1 + DAY * n: {'test': [1]} for n in range(DAYS)})

    def year(self):
        """A series of 'year', holding 1 on every day of 2038, in coarse intervals."""
        t = self.timeseries(type='series', read_func=int, prefix='kairos',
                            intervals={'week': {'step': 'weekly'}, 'monthly': {'step': 'monthly'},
                                       'yearly': {'step': 'yearly'}})
        t.bulk_insert({JAN1 + DAY * n: {'year': [1]} for n in range(365)})
        return t

    def get(self, *args, **kwargs):
        return plain(self.t.get(*args, **kwargs))

    def series(self, *args, **kwargs):
        return plain(self.t.series(*args, **kwargs))

    def test_get_daily(self):
        """A daily bucket is keyed by its UTC midnight."""
        self.assertEqual(self.get('test', 'daily', timestamp=FEB1), {FEB1: [1]})
        self.assertEqual(self.get('test', 'daily', timestamp=FEB1 + 86399), {FEB1: [1]})

    def test_get_weekly(self):
        """A weekly bucket with resolution 60 has one entry per day; condensed, keyed by its Sunday."""
        got = self.get('test', 'weekly', timestamp=FEB1 + 3600)
        sunday = utc(2038, 1, 31)
        self.assertEqual(got, {sunday + DAY * n: [1] for n in range(7)})
        self.assertEqual(self.get('test', 'weekly', timestamp=FEB1, condensed=True),
                         {sunday: [1] * 7})

    def test_get_weekly_week_zero(self):
        """Week 00 (the days before the first Sunday) starts on Jan 1."""
        self.assertEqual(self.get('test', 'weekly', timestamp=utc(2038, 1, 2, 12),
                                  condensed=True), {JAN1: [1, 1]})

    def test_get_monthly_and_yearly(self):
        """Monthly and yearly buckets are keyed by the UTC start of the month and year."""
        self.assertEqual(self.get('test', 'monthly', timestamp=FEB1 + 10 * DAY),
                         {FEB1: [1] * 28})
        self.assertEqual(self.get('test', 'yearly', timestamp=FEB1), {JAN1: [1] * DAYS})

    def test_series_daily_year(self):
        """A daily series over 2038 has 365 keys, consecutive UTC midnights."""
        got = self.series('test', 'daily', start=JAN1, end=DEC31)
        self.assertEqual(list(got), [JAN1 + DAY * n for n in range(365)])
        self.assertEqual(list(got.values()), [[1]] * DAYS + [[]] * (365 - DAYS))

    def test_series_daily_default_steps(self):
        """A daily series defaults to the configured 5 steps."""
        got = self.series('test', 'daily', end=FEB1 + 100)
        self.assertEqual(list(got), [FEB1 - DAY * n for n in range(4, -1, -1)])

    def test_series_weekly_year(self):
        """A weekly series over 2038 has 53 keys: Jan 1 (2 days), then Sundays; the last 6 days."""
        got = plain(self.year().series('year', 'week', start=JAN1, end=DEC31))
        sundays = [utc(2038, 1, 3) + 7 * DAY * n for n in range(52)]
        self.assertEqual(list(got), [JAN1] + sundays)
        self.assertEqual(sundays[-1], utc(2038, 12, 26))
        self.assertEqual([len(v) for v in got.values()], [2] + [7] * 51 + [6])
        week = lambda ts: utcdatetime(ts).strftime('%Y%U')
        for ts in list(got)[1:]:  # each key starts a %U week: the day before is another week
            self.assertEqual(utcdatetime(ts).weekday(), 6)
            self.assertNotEqual(week(ts - DAY), week(ts))

    def test_series_weekly_nested(self):
        """A weekly series with resolution nests the days of each week."""
        got = self.series('test', 'weekly', start=JAN1, steps=2)
        self.assertEqual(got, {JAN1: {JAN1: [1], JAN1 + DAY: [1]},
                               utc(2038, 1, 3): {utc(2038, 1, 3) + DAY * n: [1]
                                                 for n in range(7)}})

    def test_series_weekly_across_year_end(self):
        """Weekly buckets run Dec 26 2038, Jan 1 2039 (week 00), then Sunday Jan 2 2039."""
        got = plain(self.year().series('year', 'week', start=utc(2038, 12, 26), steps=3))
        self.assertEqual(got, {utc(2038, 12, 26): [1] * 6, utc(2039, 1, 1): [],
                               utc(2039, 1, 2): []})

    def test_weekly_year_starting_on_sunday(self):
        """In 2034 (Jan 1 is a Sunday) week 01 starts on Jan 1, and weeks start on Sundays."""
        self.t.insert('w', 3, timestamp=utc(2034, 1, 10, 5))
        self.assertEqual(self.get('w', 'weekly', timestamp=utc(2034, 1, 10), condensed=True),
                         {utc(2034, 1, 8): [3]})
        got = self.series('w', 'weekly', start=utc(2034, 1, 1), steps=2, condensed=True)
        self.assertEqual(got, {utc(2034, 1, 1): [], utc(2034, 1, 8): [3]})

    def test_series_monthly_year(self):
        """A monthly series over 2038 has 12 keys holding each month's days."""
        got = plain(self.year().series('year', 'monthly', start=JAN1, end=DEC31))
        self.assertEqual(list(got), [utc(2038, m, 1) for m in range(1, 13)])
        self.assertEqual([len(v) for v in got.values()],
                         [calendar.monthrange(2038, m)[1] for m in range(1, 13)])

    def test_series_yearly(self):
        """A yearly series: one key for 2038; start or end with steps=2 give two keys."""
        t = self.year()
        self.assertEqual(plain(t.series('year', 'yearly', start=JAN1, end=DEC31)),
                         {JAN1: [1] * 365})
        self.assertEqual(plain(t.series('year', 'yearly', start=FEB1, steps=2)),
                         {JAN1: [1] * 365, utc(2039, 1, 1): []})
        self.assertEqual(plain(t.series('year', 'yearly', end=FEB1, steps=2)),
                         {utc(2037, 1, 1): [], JAN1: [1] * 365})

    def test_series_collapse(self):
        """collapse over a monthly range merges the months."""
        got = self.series('test', 'monthly', start=JAN1, steps=3, collapse=True,
                          transform='count')
        self.assertEqual(got, {JAN1: DAYS})

    def test_intervals_weekly_neighbours(self):
        """intervals=N on a weekly interval writes into the N following real weeks."""
        calc = self.t._intervals['weekly']['i_calc']
        ts1 = at(0)  # Friday 2027-01-15, in the week that started Sunday 2027-01-10
        ts2, ts3 = calc.normalize(ts1, 1), calc.normalize(ts1, 2)
        self.assertEqual((ts2, ts3), (utc(2027, 1, 17), utc(2027, 1, 24)))
        self.t.insert('n', 32, timestamp=ts1, intervals=1)
        self.t.insert('n', 42, timestamp=ts1, intervals=2)
        self.assertEqual(self.get('n', 'weekly', timestamp=ts1, condensed=True),
                         {utc(2027, 1, 10): [32, 42]})
        self.assertEqual(self.get('n', 'weekly', timestamp=ts2, condensed=True), {ts2: [32, 42]})
        self.assertEqual(self.get('n', 'weekly', timestamp=ts3, condensed=True), {ts3: [42]})
        self.assertEqual(self.get('n', 'weekly', timestamp=ts2), {ts2: [32, 42]})

    def test_intervals_negative_monthly(self):
        """intervals=-N on a monthly interval writes into the N preceding months."""
        self.t.insert('n', 7, timestamp=utc(2027, 3, 31, 12), intervals=-2)
        got = self.series('n', 'monthly', start=utc(2027, 1, 1), steps=4)
        self.assertEqual(got, {utc(2027, 1, 1): [7], utc(2027, 2, 1): [7], utc(2027, 3, 1): [7],
                               utc(2027, 4, 1): []})

    def test_count_daily(self):
        """Other types use Gregorian buckets the same way."""
        t = self.timeseries(type='count', intervals=gregorian())
        t.insert('c', timestamp=FEB1 + 5)
        t.insert('c', timestamp=FEB1 + 86000)
        self.assertEqual(plain(t.get('c', 'daily', timestamp=FEB1)), {FEB1: 2})
        self.assertEqual(plain(t.get('c', 'weekly', timestamp=FEB1, condensed=True)),
                         {utc(2038, 1, 31): 2})


class TestGregorianRedis(GregorianBehaviour, RedisCase):
    pass


class TestGregorianRedisCluster(TestGregorianRedis, RedisClusterCase):
    """The same on a Redis Cluster."""


class TestGregorianMongo(GregorianBehaviour, MongoCase):
    pass
