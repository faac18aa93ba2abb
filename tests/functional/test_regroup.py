"""Re-bucketing reads (every=, max_points=, series without an interval) and many names
in one read (series_many, get_many), on every type and backend, against a plain-Python
model of the points inserted.

Hypothesis draws the points, the read and its ``every``; the model groups the
points by the ``every`` bucket holding them and merges them as each type does.
KAIROS_FUZZ_EXAMPLES sets the examples per test and backend (default 25).
"""

import calendar
import fnmatch
import os
from collections import Counter
from datetime import date, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings, strategies as st

from kairos import InvalidName, InvalidQuery, UnknownInterval
from kairos.every import Choice

from tests.functional.common import plain
from tests.support import (MongoCase, MysqlCase, PostgresCase, RedisCase, RedisClusterCase,
                           RedisClusterHashTagCase, SqliteCase)

EXAMPLES = int(os.environ.get('KAIROS_FUZZ_EXAMPLES', 25))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                suppress_health_check=list(HealthCheck))

T0 = 1800000000  # 2027-01-15 08:00 UTC
NOW = T0 + 2 * 86400
INTERVALS = {
    'minute': {'step': 60},
    'hour': {'step': 3600, 'resolution': 60},
    'day': {'step': 'daily', 'resolution': 3600},
    'kept': {'step': 600, 'steps': 12},
}
TYPES = ('series', 'histogram', 'count', 'gauge', 'set')
READ_FUNCS = {'series': int, 'histogram': int, 'count': None,
              'gauge': lambda v: int(v) if v != '' else None, 'set': int}
EMPTY = {'series': [], 'histogram': {}, 'count': 0, 'gauge': None, 'set': set()}
# the level a read groups: (interval, fine) -> its step in seconds, or a calendar name
LEVELS = {('minute', False): 60, ('hour', True): 60, ('hour', False): 3600,
          ('day', True): 3600, ('day', False): 'daily'}
# what every= each level takes, as written
EVERY = {60: [60, '2min', '15min', 2400, '1 hour', 'daily', 'weekly'],
         3600: [3600, '2h', 10800, '1d', 'daily', 'weekly', 'monthly'],
         'daily': ['daily', 'weekly', 'monthly', 'yearly']}
SECONDS = {'2min': 120, '15min': 900, '1 hour': 3600, '2h': 7200, '1d': 86400}


# -- the model ---------------------------------------------------------------------

def day_of(t):
    return (datetime(1970, 1, 1) + timedelta(seconds=t)).date()


def stamp(day):
    return calendar.timegm(day.timetuple())


def calendar_start(name, day):
    """The first day of ``name``'s bucket holding ``day`` (weeks start on Sunday and end
    with their year, as strftime('%U') counts them)."""
    if name == 'daily':
        return day
    if name == 'monthly':
        return day.replace(day=1)
    if name == 'yearly':
        return date(day.year, 1, 1)
    sunday = day - timedelta(days=(day.weekday() + 1) % 7)
    return sunday if sunday.year == day.year else date(day.year, 1, 1)


def calendar_next(name, start):
    if name == 'daily':
        return start + timedelta(days=1)
    if name == 'monthly':
        return (start + timedelta(days=32)).replace(day=1)
    if name == 'yearly':
        return date(start.year + 1, 1, 1)
    following = start + timedelta(days=7 - (start.weekday() + 1) % 7)
    return following if following.year == start.year else date(start.year + 1, 1, 1)


def bucket(step, t):
    """(start, end) of the bucket of ``step`` (seconds or a calendar name) holding t."""
    step = SECONDS.get(step, step)
    if isinstance(step, int):
        return t // step * step, t // step * step + step
    first = calendar_start(step, day_of(t))
    return stamp(first), stamp(calendar_next(step, first))


def merge(kind, points):
    """The row of ``points`` ((level start, seq, value), any order) for a type."""
    points = sorted(points)
    values = [value for _, _, value in points]
    if kind == 'series':
        return values
    if kind == 'histogram':
        return dict(Counter(values))
    if kind == 'count':
        return sum(values)
    if kind == 'set':
        return set(values)
    if not points:
        return None
    latest = max(level for level, _, _ in points)
    return max((seq, value) for level, seq, value in points if level == latest)[1]


def expected(kind, points, name, interval, fine, every, start, end):
    """What series(name, interval, start=, end=, every=) returns, from the model."""
    step = INTERVALS[interval]['step']
    # rows merge in the order of the buckets stored: a condensed bucket's resolution rows
    # are concatenated in time order
    level = INTERVALS[interval].get('resolution', step)
    first = bucket(every, start)[0]
    last_end = bucket(every, end)[1]
    rval = {}
    at = first
    while at < last_end:
        low, high = bucket(every, at)
        inside = [(bucket(level, t)[0], seq, value) for seq, (n, t, value) in enumerate(points)
                  if n == name and low <= t < high]
        rval[low] = merge(kind, inside) if inside else EMPTY[kind]
        at = high
    return rval


# -- strategies ----------------------------------------------------------------------

offsets = st.integers(-2 * 86400, 2 * 86400)
points_of = st.lists(st.tuples(st.sampled_from(['a', 'b', 'c']), offsets.map(lambda o: T0 + o),
                               st.integers(0, 9)), max_size=25)


@st.composite
def regrouped_reads(draw):
    interval, fine = draw(st.sampled_from(sorted(LEVELS)))
    every = draw(st.sampled_from(EVERY[LEVELS[(interval, fine)]]))
    start = T0 + draw(offsets)
    end = start + draw(st.integers(0, 86400))
    return interval, fine, every, start, end


class RegroupBehaviour:
    """The bodies, run on each backend."""

    async_twin = True

    def make(self, kind):
        return self.timeseries(type=kind, intervals=INTERVALS, read_func=READ_FUNCS[kind],
                               clock=lambda: NOW)

    def fill(self, kind, points):
        self.clear()
        t = self.make(kind)
        for name, when, value in points:
            t.insert(name, value, timestamp=when)
        return t

    @staticmethod
    def level_args(interval, fine):
        return {} if fine or interval == 'minute' else {'condense': True}

    @FUZZ
    @given(st.sampled_from(TYPES), points_of, regrouped_reads())
    def test_every_merges_as_the_model(self, kind, points, read):
        """series and get with every= give each every bucket its points merged as the
        type merges, every bucket of the widened window present."""
        interval, fine, every, start, end = read
        step = INTERVALS[interval]['step']
        t = self.fill(kind, points)
        args = self.level_args(interval, fine)
        got = t.series('a', interval, start=start, end=end, every=every, **args)
        want = expected(kind, points, 'a', interval, fine, every, start, end)
        self.assertEqual(want, plain(got))
        got = t.get('a', interval, start, every=every, **args)
        # get: the every buckets of the interval's whole bucket
        whole = bucket(step, start)
        self.assertEqual(expected(kind, points, 'a', interval, fine, every, whole[0],
                                  whole[1] - 1), plain(got))
        counted = t.series('a', interval, start=start, end=end, every=every, transform='count',
                           **args)
        self.assertEqual(list(want), list(counted))
        if kind in ('series', 'set'):
            self.assertEqual([len(row) for row in want.values()], list(counted.values()))
        collapsed = t.series('a', interval, start=start, end=end, every=every, collapse=True)
        self.assertEqual([min(want)], list(collapsed))

    @FUZZ
    @given(st.sampled_from(TYPES), points_of, regrouped_reads(),
           st.sampled_from(['*', '[ab]', 'c', '?', 'z*']))
    def test_many_names_are_each_their_series(self, kind, points, read, pattern):
        """series_many and get_many give each name what series and get give it, for a list
        of names and for a glob pattern over list()."""
        interval, fine, every, start, end = read
        t = self.fill(kind, points)
        args = self.level_args(interval, fine)
        names = ['c', 'a', 'missing', 'a']
        got = t.series_many(names, interval, start=start, end=end, **args)
        self.assertEqual(['c', 'a', 'missing'], list(got))
        for name in got:
            self.assertEqual(plain(t.series(name, interval, start=start, end=end, **args)),
                             plain(got[name]))
        got = t.series_many(names, interval, start=start, end=end, every=every, **args)
        for name in got:
            self.assertEqual(expected(kind, points, name, interval, fine, every, start, end),
                             plain(got[name]))
        listed = sorted({name for name, _, _ in points})
        matched = [name for name in listed if fnmatch.fnmatchcase(name, pattern)]
        got = t.get_many(pattern, interval, start, **args)
        self.assertEqual(matched, list(got))
        for name in matched:
            self.assertEqual(plain(t.get(name, interval, start, **args)), plain(got[name]))

    def test_many_names_take_one_read(self):
        """series_many and get_many read every name with one call of the store's read (one
        round trip on Redis, one query on Mongo and SQL), or one per MANY_KEYS
        name-buckets."""
        names = ['n%02d' % n for n in range(25)]
        t = self.fill('count', [(name, T0 + 60 * n, n) for n, name in enumerate(names)])
        reads = []
        read = t._read

        def counted(interval, chosen, buckets, fetch):
            reads.append(len(chosen) * len(buckets))
            return (yield from read(interval, chosen, buckets, fetch))
        t._read = counted
        got = t.series_many(names, 'minute', start=T0, end=T0 + 3599)
        self.assertEqual([25 * 60], reads)
        self.assertEqual(list(range(25)), [sum(rows.values()) for rows in got.values()])
        del reads[:]
        self.assertEqual(names, list(t.get_many('n*', 'hour', T0)))
        self.assertEqual([25], reads)
        del reads[:]
        with mock.patch('kairos.many.MANY_KEYS', 600):
            again = t.series_many(names, 'minute', start=T0, end=T0 + 3599)
        self.assertEqual([600, 600, 300], reads)
        self.assertEqual(plain(got), plain(again))

    def test_series_without_interval_reads_the_choice(self):
        """series without an interval reads what choose() picks, regrouped by its every."""
        points = [(name, T0 + 97 * n, n % 7) for n in range(200) for name in ('a', 'b')]
        t = self.fill('count', points)
        for start, end, most in ((T0, T0 + 1800, 300), (T0, T0 + 86400, 300), (T0, T0 + 7200, 7),
                                 (T0 - 86400, T0 + 86400, 20)):
            choice = t.choose(start, end, most)
            self.assertIsInstance(choice, Choice)
            got = t.series('a', start=start, end=end, max_points=most)
            self.assertLessEqual(len(got), most)
            fine = choice.resolution
            want = t.series('a', choice.interval, start=start, end=end, every=choice.every,
                            **({} if fine else {'condense': True}))
            self.assertEqual(plain(want), plain(got))
            self.assertEqual(sum(want.values()),
                             sum(value for name, when, value in points
                                 if name == 'a' and min(want) <= when < _end(choice, want)))
            many = t.series_many(['a', 'b'], start=start, end=end, max_points=most)
            self.assertEqual(plain(got), plain(many['a']))

    def assert_choice(self, t, start, end, most, interval, fine, level):
        """choose() picks interval (its resolution if fine) and the smallest every, a
        multiple of ``level`` seconds or a calendar step, giving at most ``most`` buckets."""
        choice = t.choose(start, end, most)
        self.assertEqual((interval, fine), choice[:2])
        count = lambda every: len({bucket(every, when)[0]  # noqa: E731
                                   for when in range(start, end + 1, 60)} |
                                  {bucket(every, end)[0]})
        self.assertLessEqual(count(choice.every), most)
        if isinstance(level, int):
            self.assertEqual(0, choice.every % level)
            if choice.every > level:
                self.assertGreater(count(choice.every - level), most)
        else:
            finer = ['daily', 'weekly', 'monthly', 'yearly']
            finer = finer[finer.index(level):finer.index(choice.every)]
            self.assertTrue(all(count(every) > most for every in finer))
        return choice

    def test_choose_takes_the_finest_level_that_holds_the_range(self):
        """choose() prefers the finest level, skips an interval whose retention lost the
        start, and picks the smallest every within max_points."""
        t = self.make('count')
        self.assertEqual(Choice('minute', False, 60), t.choose(NOW - 3600, NOW, 300))
        self.assertEqual(Choice('minute', False, 720), t.choose(NOW - 3600, NOW - 1, 5))
        self.assertEqual(Choice('minute', False, 780), t.choose(NOW - 3600, NOW, 5))
        self.assert_choice(t, NOW - 14 * 86400, NOW, 200, 'minute', False, 60)
        # past 100000 minutes, the hour's resolution reads too many buckets as well
        self.assert_choice(t, NOW - 200 * 86400, NOW, 300, 'hour', False, 3600)
        self.assert_choice(t, NOW - 5 * 365 * 86400, NOW, 300, 'hour', False, 3600)
        # past 100000 hours, days: whole weeks, months or years
        self.assertEqual(Choice('day', False, 'weekly'),
                         t.choose(NOW - 12 * 365 * 86400, NOW, 700))
        self.assertEqual(Choice('day', False, 'monthly'),
                         t.choose(NOW - 12 * 365 * 86400, NOW, 300))
        self.assertEqual(Choice('day', False, 'yearly'),
                         t.choose(NOW - 30 * 365 * 86400, NOW, 40))
        retained = self.timeseries(type='count', clock=lambda: NOW,
                                   intervals={'kept': {'step': 600, 'steps': 12},
                                              'hour': {'step': 3600, 'steps': 48}})
        self.assertEqual(Choice('kept', False, 600), retained.choose(NOW - 3600, NOW, 300))
        self.assertEqual(Choice('hour', False, 3600), retained.choose(NOW - 3 * 3600, NOW, 300))
        with self.assertRaisesRegex(InvalidQuery, r"'hour' holds the most of it \(50%"):
            retained.choose(NOW - 94 * 3600, NOW, 300)

    def test_every_follows_local_days_across_dst_changes(self):
        """In an interval's timezone, every='daily' and '1d' group local days: 23 and 25
        hours at the changes of Berlin and New York, with rate over their real length."""
        for zone, days in (('Europe/Berlin', ((2027, 3, 27), (2027, 10, 30))),
                           ('America/New_York', ((2027, 3, 13), (2027, 11, 6)))):
            self.clear()
            t = self.timeseries(type='count', intervals={
                'hour': {'step': 3600, 'timezone': zone},
                'day': {'step': 'daily', 'resolution': 3600, 'timezone': zone}})
            tz = ZoneInfo(zone)
            for first in days:
                midnights = [datetime(*first, tzinfo=tz) + timedelta(days=n) for n in range(4)]
                stamps = [int(m.timestamp()) for m in midnights]
                for hour in range(stamps[0], stamps[3], 3600):
                    t.insert('h', 1, timestamp=hour)
                lengths = [(b - a) // 3600 for a, b in zip(stamps, stamps[1:])]
                self.assertEqual(24 + 24 + 24 - 1 + (first[1] > 6) * 2, sum(lengths))
                want = dict(zip(stamps, lengths))
                for interval, every, args in (('hour', 'daily', {}), ('hour', '1d', {}),
                                              ('day', 'daily', {}),
                                              ('day', 'daily', {'condense': True})):
                    with self.subTest(zone=zone, day=first, interval=interval, every=every):
                        got = t.series('h', interval, start=stamps[0], end=stamps[3] - 1,
                                       every=every, **args)
                        self.assertEqual(want, plain(got))
                        rates = t.series('h', interval, start=stamps[0], end=stamps[3] - 1,
                                         every=every, transform='rate', **args)
                        self.assertEqual([1 / 3600] * 3, list(rates.values()))
                got = t.get('h', 'hour', stamps[1] + 7200, every='daily')
                self.assertEqual({stamps[1]: lengths[1]}, plain(got))

    def test_straddling_resolution_buckets_count_in_their_own_day(self):
        """A resolution bucket that straddles local midnight (2 hours in Berlin, an hour in
        Kolkata) keeps a part in each day; every='daily' counts each part in its day, as
        condensed does."""
        for zone, resolution in (('Europe/Berlin', 7200), ('Asia/Kolkata', 3600)):
            self.clear()
            t = self.timeseries(type='count', intervals={
                'd': {'step': 'daily', 'resolution': resolution, 'timezone': zone}})
            midnight = int(datetime(2027, 1, 15, tzinfo=ZoneInfo(zone)).timestamp())
            t.insert('v', 1, timestamp=midnight + 600)
            t.insert('v', 10, timestamp=midnight - 600)
            condensed = t.series('v', 'd', start=midnight - 600, end=midnight + 600,
                                 condensed=True)
            self.assertEqual([10, 1], list(condensed.values()))
            for every in ('daily', 'monthly'):
                got = t.series('v', 'd', start=midnight - 600, end=midnight + 600, every=every)
                self.assertEqual(plain(condensed) if every == 'daily' else
                                 {min(got): 11}, plain(got))

    def test_refusals(self):
        """every= that no level nests in, clashing arguments and bad names raise a
        KairosException naming the fix."""
        t = self.make('series')
        for every, interval, args, message in (
                (90, 'minute', {}, 'whole multiple of the step .* 60 seconds'),
                ('90s', 'hour', {}, 'resolution of interval .hour.'),
                (90000, 'day', {'condense': True}, r'use one of daily, weekly.* \(whole days\)'),
                (2 * 86400, 'day', {'condense': True}, None),
                ('hourly', 'minute', {}, 'unsupported every'),
                ('weekly', 'day', {'condense': True}, None),
                ('monthly', 'hour', {'condense': True}, None)):
            if message is None:
                t.series('a', interval, start=T0, end=T0, every=every, **args)
                continue
            with self.assertRaisesRegex(InvalidQuery, message):
                t.series('a', interval, start=T0, end=T0, every=every, **args)
        with self.assertRaisesRegex(InvalidQuery, 'give one'):
            t.series('a', 'minute', start=T0, end=T0, every=60, max_points=4)
        for every in (3600, '3min'):
            with self.assertRaisesRegex(InvalidQuery, 'condense= takes True or False'):
                t.series('a', 'hour', start=T0, end=T0, every=every, condense=lambda rows: 0)
            with self.assertRaisesRegex(InvalidQuery, 'condense= takes True or False'):
                t.get('a', 'hour', T0, every=every, condense=lambda rows: 0)
        with self.assertRaises(UnknownInterval):
            t.series_many([], 'nope')
        with self.assertRaisesRegex(InvalidQuery, 'unknown transform'):
            t.get_many('nothing*', 'minute', transform='nope')
        with self.assertRaisesRegex(InvalidQuery, "'minute' would read more than 100000"):
            self.timeseries(type='count', intervals={'minute': {'step': 60}}).choose(
                T0, T0 + 60 * 100001, 300)
        kept = self.timeseries(type='count', clock=lambda: NOW, intervals={
            'minute': {'step': 60, 'steps': 60}, 'hour': {'step': 3600, 'steps': 24}})
        with self.assertRaisesRegex(InvalidQuery, "holds any of .*'hour' keeps the longest"):
            kept.choose(NOW - 10 * 86400, NOW - 5 * 86400, 300)
        with self.assertRaisesRegex(InvalidQuery, 'needs start='):
            t.series('a', end=T0)
        with self.assertRaisesRegex(InvalidQuery, 'steps= counts'):
            t.series('a', steps=3, start=T0)
        with self.assertRaisesRegex(InvalidQuery, 'max_points must be a positive integer'):
            t.series('a', start=T0, max_points=0)
        with self.assertRaisesRegex(InvalidQuery, 'at most 100000 in one read'):
            t.series('a', 'minute', start=T0, end=T0, every=60 * 200000)
        with self.assertRaises(InvalidName):
            t.series_many(['a', 3], 'minute')
        with self.assertRaises(InvalidName):
            t.series_many(7, 'minute')
        self.assertEqual({}, t.series_many([], 'minute'))


def _end(choice, rows):
    """The end of the last bucket of a regrouped read."""
    last = max(rows)
    return bucket(choice.every, last)[1]


class TestRegroupRedis(RegroupBehaviour, RedisCase):
    pass


class TestRegroupRedisCluster(RegroupBehaviour, RedisClusterCase):
    pass


class TestRegroupRedisClusterHashTag(RegroupBehaviour, RedisClusterHashTagCase):
    pass


class TestRegroupMongo(RegroupBehaviour, MongoCase):
    pass


class TestRegroupSqlite(RegroupBehaviour, SqliteCase):
    pass


class TestRegroupPostgres(RegroupBehaviour, PostgresCase):
    pass


class TestRegroupMysql(RegroupBehaviour, MysqlCase):
    pass
