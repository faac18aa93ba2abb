"""The accepted range of inputs: timestamps, bucket numbers, names, shifts and read sizes.

Outside it, a call raises a KairosException subclass naming the limit, the same on
every backend, and nothing is written.
"""

from kairos import ConfigurationError, InvalidName, InvalidQuery, InvalidTimestamp
from kairos.units import CALENDAR_END, CALENDAR_FIRST, MAX_READ_BUCKETS, MAX_SHIFT

from tests.support import (MongoCase, MysqlCase, PostgresCase, RedisCase, RedisClusterCase,
                           SqliteCase)

T0 = 1800000000
CALENDAR = {'day': {'step': 'daily'}, 'week': {'step': 'weekly'},
            'month': {'step': 'monthly'}, 'year': {'step': 'yearly'}}
# the hour interval comes first, so that a write interval by interval would show
SECONDS = {'hour': {'step': 3600}, 'second': {'step': 1}}
PAST_INT64 = 1e19  # a 1-second bucket past 2**63 - 1


class InputBoundsBehaviour:

    async_twin = True  # run on kairos.asyncio too (tests.support.AsyncCase)

    def make(self, intervals, type='count', **kwargs):
        return self.timeseries(type=type, intervals=intervals, **kwargs)

    def assert_unchanged(self, t, before, call, exception, needle):
        with self.assertRaises(exception) as caught:
            call()
        self.assertIn(needle, str(caught.exception))
        self.assertEqual(before, self.snapshot())
        self.assertEqual([], list(t.list()))

    def test_calendar_timestamps_past_year_9999_or_before_year_1(self):
        """A calendar interval refuses timestamps outside years 1-9999 in insert, bulk_insert, get and series."""
        t = self.make(CALENDAR)
        before = self.snapshot()
        for stamp in (CALENDAR_END, 1e12, CALENDAR_FIRST - 1, -1e12):
            for call in (lambda: t.insert('a', 1, stamp),
                         lambda: t.bulk_insert({T0: {'a': [1]}, stamp: {'a': [1]}}),
                         lambda: t.get('a', 'day', stamp),
                         lambda: t.series('a', 'month', start=stamp, end=T0),
                         lambda: t.series('a', 'year', end=stamp)):
                self.assert_unchanged(t, before, call, InvalidTimestamp, '9999')

    def test_calendar_edges_are_stored(self):
        """The first and last days of years 1-9999 are stored and read back in every calendar interval."""
        t = self.make(CALENDAR)
        t.insert('a', 1, CALENDAR_FIRST)
        t.insert('a', 2, CALENDAR_END - 1)
        for interval in CALENDAR:
            self.assertEqual([1], list(t.get('a', interval, CALENDAR_FIRST).values()))
            self.assertEqual([2], list(t.get('a', interval, CALENDAR_END - 1).values()))
            rows = t.series('a', interval, end=CALENDAR_END - 1, steps=2, collapse=True)
            self.assertEqual([2], list(rows.values()))

    def test_shift_past_the_calendar(self):
        """intervals= and steps= that reach past year 9999 or before year 1 raise InvalidTimestamp."""
        t = self.make(CALENDAR)
        before = self.snapshot()
        for call in (lambda: t.insert('a', 1, CALENDAR_END - 1, intervals=1),
                     lambda: t.insert('a', 1, CALENDAR_FIRST, intervals=-1),
                     lambda: t.bulk_insert({T0: {'a': [1]}, CALENDAR_END - 1: {'a': [1]}},
                                           intervals=3),
                     lambda: t.series('a', 'day', start=CALENDAR_END - 1, steps=2),
                     lambda: t.series('a', 'week', end=CALENDAR_FIRST, steps=2)):
            self.assert_unchanged(t, before, call, InvalidTimestamp, '9999')

    def test_buckets_past_int64(self):
        """A bucket number past a 64-bit integer raises InvalidTimestamp before any interval is written."""
        t = self.make(SECONDS)
        before = self.snapshot()
        for call in (lambda: t.insert('a', 1, PAST_INT64),
                     lambda: t.insert('a', 1, -PAST_INT64),
                     lambda: t.insert('a', 1, 2 ** 63 - 1, intervals=1),
                     lambda: t.bulk_insert({T0: {'a': [1]}, PAST_INT64: {'a': [1]}}),
                     lambda: t.get('a', 'second', PAST_INT64),
                     lambda: t.series('a', 'second', start=2 ** 63 - 1, steps=2)):
            self.assert_unchanged(t, before, call, InvalidTimestamp, '64-bit')

    def test_largest_bucket_is_stored(self):
        """The largest 64-bit bucket number is stored and read back."""
        t = self.make(SECONDS)
        t.insert('a', 1, 2 ** 63 - 1)
        self.assertEqual({2 ** 63 - 1: 1}, dict(t.get('a', 'second', 2 ** 63 - 1)))

    def test_unencodable_interval_name(self):
        """An interval name that is not valid unicode raises ConfigurationError."""
        with self.assertRaises(ConfigurationError) as caught:
            self.make({'a\udfff': {'step': 60}})
        self.assertIn(repr('a\udfff'), str(caught.exception))

    def test_unencodable_name(self):
        """A statistic name that is not valid unicode raises InvalidName and writes nothing."""
        t = self.make(SECONDS)
        before = self.snapshot()
        for call in (lambda: t.insert('a\udfff', 1, T0),
                     lambda: t.bulk_insert({T0: {'b': [1], 'a\udfff': [1]}}),
                     lambda: t.get('a\udfff', 'hour', T0)):
            self.assert_unchanged(t, before, call, InvalidName, repr('a\udfff'))

    def test_shift_maximum(self):
        """intervals= beyond MAX_SHIFT either way raises InvalidQuery and writes nothing."""
        t = self.make(SECONDS)
        before = self.snapshot()
        for shift in (MAX_SHIFT + 1, -MAX_SHIFT - 1, 1000000):
            for call in (lambda: t.insert('a', 1, T0, intervals=shift),
                         lambda: t.bulk_insert({T0: {'a': [1]}}, intervals=shift)):
                self.assert_unchanged(t, before, call, InvalidQuery, str(MAX_SHIFT))
        t.insert('a', 1, T0, intervals=MAX_SHIFT)
        rows = t.series('a', 'second', start=T0, end=T0 + 5000)
        self.assertEqual(MAX_SHIFT + 1, sum(1 for count in rows.values() if count))

    def test_read_maximum(self):
        """A read of more than MAX_READ_BUCKETS buckets raises InvalidQuery."""
        t = self.make(dict(SECONDS, minute={'step': 60}, day={'step': 'daily'}))
        for call in (lambda: t.series('a', 'minute', start=0, end=1e15),
                     lambda: t.series('a', 'minute', steps=10 ** 12),
                     lambda: t.series('a', 'second', start=T0, steps=MAX_READ_BUCKETS + 1),
                     lambda: t.series('a', 'day', start=CALENDAR_FIRST, end=CALENDAR_END - 1)):
            with self.assertRaises(InvalidQuery) as caught:
                call()
            self.assertIn(str(MAX_READ_BUCKETS), str(caught.exception))
        rows = t.series('a', 'second', end=T0, steps=MAX_READ_BUCKETS)
        self.assertEqual(MAX_READ_BUCKETS, len(rows))

    def test_read_maximum_configured_steps(self):
        """An interval keeping more steps than one read takes reads any range within the maximum."""
        t = self.make({'minute': {'step': 60, 'steps': 10 * MAX_READ_BUCKETS}})
        t.insert('a', 1, T0)
        rows = t.series('a', 'minute', start=T0 - 600, end=T0 + 600)
        self.assertEqual((21, 1), (len(rows), sum(rows.values())))
        for call in (lambda: t.series('a', 'minute'), lambda: t.series('a', 'minute', start=T0)):
            with self.assertRaises(InvalidQuery) as caught:
                call()
            self.assertIn(str(MAX_READ_BUCKETS), str(caught.exception))


class TestInputBoundsRedis(InputBoundsBehaviour, RedisCase):

    # only Redis uses a prefix (Mongo and SQL ignore it with a warning)
    def test_unencodable_prefix(self):
        """A prefix that is not valid unicode raises ConfigurationError on Redis."""
        with self.assertRaises(ConfigurationError) as caught:
            self.make(SECONDS, prefix='a\udfff')
        self.assertIn(repr('a\udfff'), str(caught.exception))


class TestInputBoundsRedisCluster(TestInputBoundsRedis, RedisClusterCase):
    """The same on a Redis Cluster."""


class TestInputBoundsMongo(InputBoundsBehaviour, MongoCase):
    pass


class TestInputBoundsSqlite(InputBoundsBehaviour, SqliteCase):
    pass


class TestInputBoundsPostgres(InputBoundsBehaviour, PostgresCase):
    pass


class TestInputBoundsMysql(InputBoundsBehaviour, MysqlCase):
    pass
