"""Local calendars (an interval's ``timezone``) and ISO weeks, on every backend.

Data: one series value at each of ten instants around the 2024 changes of each
zone, under name 'b' (Berlin: Mar 31 02:00 -> 03:00, Oct 27 03:00 -> 02:00) and
'n' (New York: Mar 10 02:00 -> 03:00, Nov 3 02:00 -> 01:00). The comments give
each instant's local time. Expected keys are local midnights (UTC timestamps
written out by hand), except for the hour resolution and the UTC ISO weeks.
"""

import unittest

from tests.functional.common import backend_label, plain, utc
from tests.support import (SQL_CASES, MongoCase, RedisCase, RedisClusterCase,
                           RedisClusterHashTagCase)

HOUR, DAY = 3600, 86400

# local midnights, as UTC timestamps
BERLIN_MAR25, BERLIN_MAR30, BERLIN_MAR31, BERLIN_APR1 = (
    utc(2024, 3, 24, 23), utc(2024, 3, 29, 23), utc(2024, 3, 30, 23), utc(2024, 3, 31, 22))
BERLIN_OCT27, BERLIN_OCT28 = utc(2024, 10, 26, 22), utc(2024, 10, 27, 23)
NY_MAR9, NY_MAR10, NY_MAR11 = utc(2024, 3, 9, 5), utc(2024, 3, 10, 5), utc(2024, 3, 11, 4)
NY_NOV3, NY_NOV4 = utc(2024, 11, 3, 4), utc(2024, 11, 4, 5)

BERLIN = [(utc(2024, 3, 29, 23, 30), 1),    # Sat Mar 30 00:30 CET
          (utc(2024, 3, 30, 23, 30), 2),    # Sun Mar 31 00:30 CET
          (utc(2024, 3, 31, 1, 30), 3),     # 03:30 CEST
          (utc(2024, 3, 31, 21, 30), 4),    # 23:30 CEST
          (utc(2024, 3, 31, 22, 30), 5),    # Mon Apr 1 00:30 CEST
          (utc(2024, 10, 26, 22, 30), 6),   # Sun Oct 27 00:30 CEST
          (utc(2024, 10, 27, 0, 30), 7),    # 02:30 CEST
          (utc(2024, 10, 27, 1, 30), 8),    # 02:30 CET
          (utc(2024, 10, 27, 22, 30), 9),   # 23:30 CET
          (utc(2024, 10, 27, 23, 30), 10)]  # Mon Oct 28 00:30 CET
NEW_YORK = [(utc(2024, 3, 10, 4, 30), 11),  # Sat Mar 9 23:30 EST
            (utc(2024, 3, 10, 5, 30), 12),  # Sun Mar 10 00:30 EST
            (utc(2024, 3, 10, 7, 30), 13),  # 03:30 EDT
            (utc(2024, 3, 11, 3, 30), 14),  # 23:30 EDT
            (utc(2024, 3, 11, 4, 30), 15),  # Mon Mar 11 00:30 EDT
            (utc(2024, 11, 3, 4, 30), 16),  # Sun Nov 3 00:30 EDT
            (utc(2024, 11, 3, 5, 30), 17),  # 01:30 EDT
            (utc(2024, 11, 3, 6, 30), 18),  # 01:30 EST
            (utc(2024, 11, 4, 4, 30), 19),  # 23:30 EST
            (utc(2024, 11, 4, 5, 30), 20)]  # Mon Nov 4 00:30 EST


def intervals():
    return {'berlin': {'step': 'daily', 'timezone': 'Europe/Berlin'},
            'berlin_hours': {'step': 'daily', 'resolution': 3600, 'timezone': 'Europe/Berlin'},
            'iso': {'step': 'isoweekly'},
            'iso_berlin': {'step': 'isoweekly', 'resolution': 'daily',
                           'timezone': 'Europe/Berlin'},
            'ny_days': {'step': '1d', 'timezone': 'America/New_York'}}


def durations(data, duration):
    """A transform that takes the duration: the bucket's length in seconds."""
    return duration


class LocalCalendarsBehaviour:

    async_twin = True  # run on kairos.asyncio too (tests.support.AsyncCase)

    def setUp(self):
        super().setUp()
        self.t = self.timeseries(type='series', read_func=int, prefix='kairos',
                                 intervals=intervals())
        self.t.bulk_insert({stamp: {'b': [value]} for stamp, value in BERLIN})
        self.t.bulk_insert({stamp: {'n': [value]} for stamp, value in NEW_YORK})

    def get(self, *args, **kwargs):
        return plain(self.t.get(*args, **kwargs))

    def series(self, *args, **kwargs):
        return plain(self.t.series(*args, **kwargs))

    def test_daily_buckets_start_at_local_midnight(self):
        """A daily bucket in Berlin holds its local day, keyed by its local midnight."""
        self.assertEqual(self.get('b', 'berlin', timestamp=BERLIN_MAR31 + HOUR),
                         {BERLIN_MAR31: [2, 3, 4]})
        self.assertEqual(self.series('b', 'berlin', start=BERLIN_MAR30, end=BERLIN_APR1),
                         {BERLIN_MAR30: [1], BERLIN_MAR31: [2, 3, 4], BERLIN_APR1: [5]})
        self.assertEqual(self.series('b', 'berlin', start=BERLIN_OCT27, steps=2),
                         {BERLIN_OCT27: [6, 7, 8, 9], BERLIN_OCT28: [10]})
        self.assertEqual(self.series('b', 'berlin', end=BERLIN_OCT28 - 1, steps=2),
                         {BERLIN_OCT27 - DAY: [], BERLIN_OCT27: [6, 7, 8, 9]})

    def test_rate_uses_local_day_lengths(self):
        """rate divides by 23 and 25 hours on the days of change; a transform sees them."""
        self.assertEqual(self.series('b', 'berlin', start=BERLIN_MAR30, end=BERLIN_APR1,
                                     transform=durations),
                         {BERLIN_MAR30: DAY, BERLIN_MAR31: 23 * HOUR, BERLIN_APR1: DAY})
        self.assertEqual(self.series('b', 'berlin', start=BERLIN_OCT27, steps=2,
                                     transform='rate'),
                         {BERLIN_OCT27: 4 / (25 * HOUR), BERLIN_OCT28: 1 / DAY})
        self.assertEqual(self.get('b', 'berlin', timestamp=BERLIN_MAR31, transform='rate'),
                         {BERLIN_MAR31: 3 / (23 * HOUR)})
        self.assertEqual(self.series('b', 'berlin', start=BERLIN_MAR30, end=BERLIN_APR1,
                                     collapse=True, transform=durations),
                         {BERLIN_MAR30: 71 * HOUR})

    def test_hour_resolution_in_a_local_day(self):
        """Hours stay UTC hours inside a local day: its first hour starts at local midnight."""
        self.assertEqual(self.get('b', 'berlin_hours', timestamp=BERLIN_OCT27),
                         {BERLIN_OCT27: [6], utc(2024, 10, 27, 0): [7],
                          utc(2024, 10, 27, 1): [8], utc(2024, 10, 27, 22): [9]})
        self.assertEqual(self.get('b', 'berlin_hours', timestamp=BERLIN_OCT27, condensed=True),
                         {BERLIN_OCT27: [6, 7, 8, 9]})
        self.assertEqual(self.get('b', 'berlin_hours', timestamp=BERLIN_OCT27,
                                  condensed=True, transform=durations),
                         {BERLIN_OCT27: 25 * HOUR})
        self.assertEqual(set(self.get('b', 'berlin_hours', timestamp=BERLIN_MAR31,
                                      transform=durations).values()), {HOUR})
        self.assertEqual(self.series('b', 'berlin_hours', start=BERLIN_MAR30, steps=2,
                                     condensed=True),
                         {BERLIN_MAR30: [1], BERLIN_MAR31: [2, 3, 4]})

    def test_iso_weeks(self):
        """ISO weeks start on Monday, at UTC midnight, or at local midnight with a timezone."""
        self.assertEqual(self.get('b', 'iso', timestamp=utc(2024, 3, 31), condensed=True),
                         {utc(2024, 3, 25): [1, 2, 3, 4, 5]})
        self.assertEqual(self.get('b', 'iso_berlin', timestamp=BERLIN_MAR31, condensed=True),
                         {BERLIN_MAR25: [1, 2, 3, 4]})
        self.assertEqual(self.get('b', 'iso_berlin', timestamp=BERLIN_MAR31),
                         {BERLIN_MAR30: [1], BERLIN_MAR31: [2, 3, 4]})
        self.assertEqual(self.series('b', 'iso_berlin', start=BERLIN_MAR31, steps=2,
                                     condensed=True, transform=durations),
                         {BERLIN_MAR25: 7 * DAY - HOUR, BERLIN_APR1: 7 * DAY})
        self.assertEqual(self.get('b', 'iso_berlin', timestamp=BERLIN_MAR31,
                                  transform=durations),
                         {BERLIN_MAR30: DAY, BERLIN_MAR31: 23 * HOUR})

    def test_whole_days_in_a_zone(self):
        """A '1d' step in New York holds local days: 23 and 25 hours on the days of change."""
        self.assertEqual(self.series('n', 'ny_days', start=NY_MAR9, end=NY_MAR11),
                         {NY_MAR9: [11], NY_MAR10: [12, 13, 14], NY_MAR11: [15]})
        self.assertEqual(self.series('n', 'ny_days', start=NY_NOV3 + HOUR, steps=2,
                                     transform=durations),
                         {NY_NOV3: 25 * HOUR, NY_NOV4: DAY})
        self.assertEqual(self.get('n', 'ny_days', timestamp=NY_NOV3, transform='rate'),
                         {NY_NOV3: 4 / (25 * HOUR)})
        self.assertEqual(self.get('n', 'ny_days', timestamp=NY_MAR10, transform=durations),
                         {NY_MAR10: 23 * HOUR})

    def test_intervals_shift_local_days(self):
        """intervals=N writes into the N following local days."""
        self.t.insert('x', 7, timestamp=BERLIN_MAR30 + 12 * HOUR, intervals=2)
        self.assertEqual(self.series('x', 'berlin', start=BERLIN_MAR30, steps=4),
                         {BERLIN_MAR30: [7], BERLIN_MAR31: [7], BERLIN_APR1: [7],
                          BERLIN_APR1 + DAY: []})

    def test_properties_are_local_starts(self):
        """properties gives each interval's first and last bucket starts, local ones in a zone."""
        self.assertEqual(plain(self.t.properties('b')), {
            'berlin': {'first': BERLIN_MAR30, 'last': BERLIN_OCT28},
            'berlin_hours': {'first': BERLIN_MAR30, 'last': BERLIN_OCT28},
            'iso': {'first': utc(2024, 3, 25), 'last': utc(2024, 10, 21)},
            'iso_berlin': {'first': BERLIN_MAR25, 'last': BERLIN_OCT28},
            'ny_days': {'first': utc(2024, 3, 29, 4), 'last': utc(2024, 10, 27, 4)}})
        self.assertEqual(plain(self.t.properties('n'))['ny_days'],
                         {'first': NY_MAR9, 'last': NY_NOV4})
        self.assertEqual(plain(self.t.properties('n'))['berlin'],
                         {'first': utc(2024, 3, 9, 23), 'last': utc(2024, 11, 3, 23)})

    def test_iterate_local_weeks(self):
        """iterate walks local ISO weeks from the first to the last holding data."""
        got = list(self.t.iterate('b', 'iso_berlin', condensed=True))
        self.assertEqual(got[:2], [(BERLIN_MAR25, [1, 2, 3, 4]), (BERLIN_APR1, [5])])
        self.assertEqual(got[-1], (BERLIN_OCT28, [10]))
        self.assertEqual(len(got), 32)

    def test_delete_and_list(self):
        """delete and delete_all remove the local buckets; list sees the names."""
        self.assertEqual(sorted(self.t.list()), ['b', 'n'])
        self.assertGreater(self.t.delete('b'), 0)
        self.assertEqual(plain(self.t.properties('b')), {})
        self.assertEqual(self.get('b', 'berlin', timestamp=BERLIN_MAR31), {BERLIN_MAR31: []})
        self.assertEqual(self.t.list(), ['n'])
        self.assertGreater(self.t.delete_all(), 0)
        self.assertEqual(self.t.list(), [])

    def test_stored_bucket_ids(self):
        """Redis keys carry the local date, ISO week and local day count ids."""
        if self.backend != 'redis':
            raise unittest.SkipTest('the Redis key layout')
        keys = {key.decode() for key in self.snapshot()}
        name = '{b}' if getattr(self, 'label', '') == 'RedisClusterHashTag' else 'b'
        days = (BERLIN_MAR31 + HOUR - 4 * HOUR) // DAY   # Mar 30 in New York: 19812
        for key in ('berlin:20240331', 'berlin_hours:20241027:%d' % (BERLIN_OCT27 // HOUR),
                    'iso:202413', 'iso_berlin:202414', 'iso_berlin:202413:20240331',
                    'ny_days:%d' % days):
            self.assertIn('kairos:%s:%s' % (name, key), keys)


class TestLocalCalendarsRedis(LocalCalendarsBehaviour, RedisCase):
    pass


class TestLocalCalendarsRedisCluster(LocalCalendarsBehaviour, RedisClusterCase):
    pass


class TestLocalCalendarsRedisClusterHashTag(LocalCalendarsBehaviour, RedisClusterHashTagCase):
    pass


class TestLocalCalendarsMongo(LocalCalendarsBehaviour, MongoCase):
    pass


for _case in SQL_CASES:
    _name = 'TestLocalCalendars%s' % backend_label(_case)
    globals()[_name] = type(_name, (LocalCalendarsBehaviour, _case), {'__module__': __name__})
del _case, _name


if __name__ == '__main__':
    unittest.main()
