"""Deliberate fixes over kairos 0.5.0: value types, gauges, sets, timestamp 0, Mongo keys."""

import redis

from kairos import DataConflict, InvalidValue

from tests.support import MongoCase, RedisCase, RedisClusterCase, redis_url
from tests.functional.common import at, intervals, plain, recording_fetch


NO_TTL = {'minute': {'step': 60}, 'hour': {'step': 3600, 'resolution': 60}}


def gauge_or_missing(value):
    """read_func telling a missing gauge ('') from a stored one."""
    return 'missing' if value == '' else int(value)


class StrValuesBehaviour:
    """Redis values read back as str, whatever the client's decode_responses."""

    def make(self, type, **kwargs):
        return self.timeseries(type=type, prefix='kairos', intervals=intervals(), **kwargs)

    def test_series_values_are_str(self):
        """Series values without read_func are str, coarse, fine, joined and fetched."""
        t = self.make('series')
        t.insert('a', 5, timestamp=at(100))
        t.insert('b', 'x', timestamp=at(100))
        self.assertEqual(plain(t.get('a', 'minute', timestamp=at(100))), {at(60): ['5']})
        self.assertEqual(plain(t.get('a', 'hour', timestamp=at(100))), {at(60): ['5']})
        self.assertEqual(plain(t.get(['a', 'b'], 'minute', timestamp=at(100))),
                         {at(60): ['5', 'x']})
        fetch = recording_fetch('redis', 'series', [])
        self.assertEqual(plain(t.get('a', 'hour', timestamp=at(100), fetch=fetch)),
                         {at(60): ['5']})
        self.assertEqual(plain(t.series('a', 'minute', end=at(100), steps=1, fetch=fetch)),
                         {at(60): ['5']})

    def test_histogram_keys_are_str(self):
        """Histogram values without read_func are str keys with int counts."""
        t = self.make('histogram')
        t.insert('h', 5, timestamp=at(100))
        t.insert('h', 5, timestamp=at(101))
        self.assertEqual(plain(t.get('h', 'minute', timestamp=at(100))), {at(60): {'5': 2}})
        self.assertEqual(plain(t.get('h', 'hour', timestamp=at(100), condensed=True)),
                         {at(0): {'5': 2}})

    def test_set_members_are_str(self):
        """Set members without read_func are str."""
        t = self.make('set')
        t.insert('s', 5, timestamp=at(100))
        self.assertEqual(plain(t.get('s', 'minute', timestamp=at(100))), {at(60): {'5'}})
        self.assertEqual(plain(t.series('s', 'hour', end=at(100), steps=1)),
                         {at(0): {at(60): {'5'}}})

    def test_gauge_value_is_str_and_count_is_number(self):
        """A gauge reads back as str; a count as a number."""
        gauge = self.make('gauge')
        gauge.insert('g', 5, timestamp=at(100))
        self.assertEqual(plain(gauge.get('g', 'minute', timestamp=at(100))), {at(60): '5'})
        count = self.make('count')
        count.insert('c', 5, timestamp=at(100))
        self.assertEqual(plain(count.get('c', 'minute', timestamp=at(100))), {at(60): 5})


class TestStrValuesBytesClient(StrValuesBehaviour, RedisCase):
    pass


class TestStrValuesTextClient(StrValuesBehaviour, RedisCase):

    def setUp(self):
        super().setUp()
        self.bytes_client = self.client
        self.client = redis.Redis.from_url(redis_url(), decode_responses=True)

    def tearDown(self):
        self.client.close()
        self.client = self.bytes_client
        super().tearDown()


class FixesBehaviour:

    async_twin = True  # run on kairos.asyncio too (tests.support.AsyncCase)

    def make(self, type, **kwargs):
        kwargs.setdefault('intervals', intervals())
        return self.timeseries(type=type, prefix='kairos', **kwargs)

    def test_float_counts(self):
        """Counts may hold floats; they read back as floats and mix with ints."""
        t = self.make('count')
        t.insert('f', 1.5, timestamp=at(100))
        t.insert('f', 1.5, timestamp=at(101))
        t.insert('f', 0.25, timestamp=at(102))
        got = t.get('f', 'minute', timestamp=at(100))[at(60)]
        self.assertEqual(got, 3.25)
        self.assertIsInstance(got, float)
        t.insert('m', 1, timestamp=at(100))
        t.insert('m', 0.5, timestamp=at(100))
        t.insert('m', timestamp=at(100))
        self.assertEqual(plain(t.get('m', 'minute', timestamp=at(100))), {at(60): 2.5})
        self.assertEqual(plain(t.get('m', 'hour', timestamp=at(100), condensed=True)),
                         {at(0): 2.5})
        self.assertEqual(plain(t.get(['f', 'm'], 'minute', timestamp=at(100))), {at(60): 5.75})
        self.assertEqual(plain(t.series('m', 'minute', end=at(100), steps=2, collapse=True)),
                         {at(0): 2.5})

    def test_gauge_missing_is_none(self):
        """A missing gauge reads as None without read_func, on coarse, fine and joined reads."""
        t = self.make('gauge')
        self.assertEqual(plain(t.get('g', 'minute', timestamp=at(100))), {at(60): None})
        self.assertEqual(plain(t.get('g', 'hour', timestamp=at(100), condensed=True)),
                         {at(0): None})
        self.assertEqual(plain(t.get(['g', 'h'], 'minute', timestamp=at(100))), {at(60): None})
        self.assertEqual(plain(t.series('g', 'minute', end=at(100), steps=2)),
                         {at(0): None, at(60): None})

    def test_gauge_missing_is_read_func_of_empty(self):
        """A missing gauge reads as read_func('')."""
        t = self.make('gauge', read_func=gauge_or_missing)
        self.assertEqual(plain(t.get('g', 'minute', timestamp=at(100))), {at(60): 'missing'})
        self.assertEqual(plain(t.series('g', 'minute', end=at(100), steps=2, collapse=True)),
                         {at(0): 'missing'})
        self.assertEqual(plain(t.get(['g', 'h'], 'hour', timestamp=at(100), condensed=True)),
                         {at(0): 'missing'})

    def test_gauge_zero_is_a_value(self):
        """A gauge of 0 is a value: get, condensed, collapse and joined keep it."""
        t = self.make('gauge', read_func=gauge_or_missing)
        t.insert('g', 5, timestamp=at(10))
        t.insert('g', 0, timestamp=at(70))
        t.insert('z', 0, timestamp=at(10))
        self.assertEqual(plain(t.get('g', 'minute', timestamp=at(70))), {at(60): 0})
        self.assertEqual(plain(t.get('g', 'hour', timestamp=at(70), condensed=True)),
                         {at(0): 0})
        self.assertEqual(plain(t.series('g', 'minute', end=at(70), steps=2, collapse=True)),
                         {at(0): 0})
        self.assertEqual(plain(t.series('g', 'minute', end=at(70), steps=2)),
                         {at(0): 5, at(60): 0})
        self.assertEqual(plain(t.get(['g', 'z'], 'minute', timestamp=at(10))), {at(0): 0})
        self.assertEqual(plain(t.get(['z', 'g'], 'minute', timestamp=at(10))), {at(0): 5})
        self.assertEqual(plain(t.get(['g', 'z'], 'minute', timestamp=at(70))), {at(60): 0})

    def test_set_keeps_zero_and_negatives(self):
        """A set stores 0 and negative values like any other."""
        t = self.make('set', read_func=int)
        for value in (0, -3, 2, 0):
            t.insert('s', value, timestamp=at(10))
        self.assertEqual(plain(t.get('s', 'minute', timestamp=at(10))), {at(0): {0, -3, 2}})
        self.assertEqual(plain(t.get('s', 'hour', timestamp=at(10), condensed=True)),
                         {at(0): {0, -3, 2}})
        self.assertEqual(plain(t.get('s', 'minute', timestamp=at(10), transform='min')),
                         {at(0): -3})

    def test_timestamp_zero_is_the_epoch(self):
        """timestamp=0 (insert, get) and start=0 / end=0 (series) mean the epoch, not now."""
        # no steps: a TTL (Mongo's expire_from index) would drop data from 1970 at once
        t = self.make('series', read_func=int, clock=lambda: at(100), intervals=NO_TTL)
        t.insert('e', 1, timestamp=0)
        t.insert('e', 2, timestamp=0.0)
        self.assertEqual(plain(t.get('e', 'minute', timestamp=0)), {0: [1, 2]})
        self.assertEqual(plain(t.get('e', 'hour', timestamp=0)), {0: [1, 2]})
        self.assertEqual(plain(t.get('e', 'minute', timestamp=at(100))), {at(60): []})
        self.assertEqual(plain(t.series('e', 'minute', start=0, steps=2)), {0: [1, 2], 60: []})
        self.assertEqual(plain(t.series('e', 'minute', end=0, steps=2)), {-60: [], 0: [1, 2]})
        self.assertEqual(plain(t.series('e', 'minute', start=0, end=0)), {0: [1, 2]})

    def test_negative_float_timestamp_floors(self):
        """A negative float timestamp lands in floor(t/step), the bucket before 0."""
        t = self.make('series', read_func=int, intervals=NO_TTL)
        t.insert('n', 1, timestamp=-0.5)
        self.assertEqual(plain(t.get('n', 'minute', timestamp=-0.5)), {-60: [1]})
        self.assertEqual(plain(t.get('n', 'minute', timestamp=-60)), {-60: [1]})
        self.assertEqual(plain(t.get('n', 'minute', timestamp=0)), {0: []})
        self.assertEqual(plain(t.get('n', 'hour', timestamp=-1)), {-60: [1]})

    def test_histogram_awkward_values(self):
        """Histogram values with '.', a leading '$' and floats round-trip on every read."""
        t = self.make('histogram')
        values = ['a.b', '$x', '$', '.', 3.14, 'x$y']
        for value in values:
            t.insert('h', value, timestamp=at(10))
        t.insert('h', 3.14, timestamp=at(70))
        t.insert('k', 'a.b', timestamp=at(10))
        first = {'a.b': 1, '$x': 1, '$': 1, '.': 1, '3.14': 1, 'x$y': 1}
        self.assertEqual(plain(t.get('h', 'minute', timestamp=at(10))), {at(0): first})
        self.assertEqual(plain(t.get('h', 'hour', timestamp=at(10))),
                         {at(0): first, at(60): {'3.14': 1}})
        both = dict(first, **{'3.14': 2})
        self.assertEqual(plain(t.get('h', 'hour', timestamp=at(10), condensed=True)),
                         {at(0): both})
        self.assertEqual(plain(t.series('h', 'minute', end=at(70), steps=2)),
                         {at(0): first, at(60): {'3.14': 1}})
        self.assertEqual(plain(t.series('h', 'minute', end=at(70), steps=2, collapse=True)),
                         {at(0): both})
        self.assertEqual(plain(t.get(['h', 'k'], 'minute', timestamp=at(10))),
                         {at(0): dict(first, **{'a.b': 2})})
        self.assertEqual(plain(t.get('h', 'minute', timestamp=at(10), transform='count')),
                         {at(0): 6})

    def test_histogram_float_read_func(self):
        """Float histogram values read back as floats with read_func=float."""
        t = self.make('histogram', read_func=float)
        t.insert('h', 3.14, timestamp=at(10))
        t.insert('h', 2.5, timestamp=at(10))
        t.insert('h', 2.5, timestamp=at(11))
        self.assertEqual(plain(t.get('h', 'minute', timestamp=at(10), transform=['sum', 'max'])),
                         {at(0): {'sum': 3.14 + 5.0, 'max': 3.14}})

    def test_bucket_of_another_type_is_a_data_conflict(self):
        """Reading or writing a bucket that another type wrote raises DataConflict, both ways."""
        series = self.make('series')
        series.insert('x', 1, timestamp=at(10))
        histogram = self.make('histogram')
        for read in (lambda: histogram.get('x', 'minute', timestamp=at(10)),
                     lambda: histogram.series('x', 'hour', end=at(10), steps=1)):
            with self.assertRaises(DataConflict):
                read()
        if self.backend == 'redis':  # Mongo's $inc on an array is refused by a real server
            before = self.snapshot()
            with self.assertRaises(DataConflict):
                histogram.insert('x', 'v', timestamp=at(10))
            self.assertEqual(before, self.snapshot())

    def test_bulk_keeps_values_apart_as_one_by_one_does(self):
        """1 and 1.0 are two histogram values and set members, in one bulk call or two."""
        for kind in ('histogram', 'set'):
            self.clear()
            t = self.make(kind)
            t.insert('bulk', [1, 1.0, 1], timestamp=at(10))
            for value in (1, 1.0, 1):
                t.insert('single', value, timestamp=at(10))
            self.assertEqual(t.get('bulk', 'hour', timestamp=at(10)),
                             t.get('single', 'hour', timestamp=at(10)), kind)

    def test_delete_with_a_numeric_interval_name_keeps_other_statistics(self):
        """delete('a') leaves 'a:60', even with an interval named '60'."""
        t = self.make('count', intervals={'60': {'step': 60}, 'h': {'step': 3600,
                                                                  'resolution': 60}})
        t.insert('a', 1, timestamp=at(10))
        t.insert('a:60', 5, timestamp=at(10))
        t.delete('a')
        self.assertEqual(t.get('a:60', '60', timestamp=at(10)), {at(0): 5})
        self.assertEqual(t.get('a:60', 'h', timestamp=at(10), condensed=True), {at(0): 5})
        self.assertEqual(t.get('a', '60', timestamp=at(10)), {at(0): 0})

    def test_counts_beyond_64_bits_add_up_as_floats(self):
        """Counts whose sum leaves the 64-bit range are added as floats, not refused."""
        t = self.make('count')
        t.insert('c', [2 ** 62, 2 ** 62], timestamp=at(10))
        (stored,) = t.get('c', 'minute', timestamp=at(10)).values()
        self.assertAlmostEqual(stored, 2 ** 63, delta=2 ** 63 * 1e-12)


class TestFixesRedis(FixesBehaviour, RedisCase):

    def test_float_counter_takes_integers_on_every_write_path(self):
        """After a float, integer increments work through pipeline=, 'multi' and 'pipeline'."""
        t = self.make('count')
        t.insert('c', 0.5, timestamp=at(10))
        pipe = self.client.pipeline()
        t.insert('c', 1, timestamp=at(10), pipeline=pipe)
        pipe.execute()
        for mode in ('multi', 'pipeline'):
            t.write_mode = mode
            t.insert('c', 1, timestamp=at(10))
        self.assertEqual(t.get('c', 'minute', timestamp=at(10)), {at(0): 3.5})

    def test_gauge_does_not_overwrite_another_types_key(self):
        """A gauge insert into a key holding a list raises DataConflict and writes nothing."""
        self.make('series').insert('x', 1, timestamp=at(10))
        before = self.snapshot()
        with self.assertRaises(DataConflict):
            self.make('gauge').insert('x', 2, timestamp=at(10))
        self.assertEqual(before, self.snapshot())

    def test_conflict_on_a_verified_key_applies_the_rest_once_then_nothing(self):
        """A verified key whose type changed behind kairos' back: its command is refused and
        the call's other commands are applied; once forgotten, it is checked again, and a
        conflict then writes nothing."""
        t = self.timeseries(type='count', prefix='kairos', intervals={
            'minute': {'step': 60, 'steps': 5}, 'day': {'step': 86400, 'steps': 2}})
        t.insert('c', 1, timestamp=at(10))   # verifies minute and day keys
        day = 'kairos:c:day:%d' % (at(10) // 86400)
        self.client.delete(day)
        self.client.rpush(day, 'not a count')
        # a new minute bucket goes through the checking script, the verified day key is trusted
        with self.assertRaises(DataConflict) as raised:
            t.insert('c', 1, timestamp=at(70))
        self.assertIn(day, str(raised.exception))
        self.assertEqual(t.get('c', 'minute', timestamp=at(70)), {at(60): 1})
        self.assertEqual(self.client.lrange(day, 0, -1), [b'not a count'])
        self.assertEqual(self.client.ttl(day), -1)
        before = self.snapshot()
        with self.assertRaises(DataConflict):
            t.insert('c', 1, timestamp=at(130))   # a new minute bucket, refused with it
        after = self.snapshot()
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        if isinstance(self.client, redis.Redis):
            self.assertEqual(changed, set())
        else:   # atomic per slot: only the other slots' parts are applied
            self.assertNotIn(self.client.keyslot(day), {self.client.keyslot(k) for k in changed})


class TestFixesRedisCluster(TestFixesRedis, RedisClusterCase):
    """The same on a Redis Cluster."""


class TestFixesMongo(FixesBehaviour, MongoCase):

    def test_values_mongo_cannot_store_are_refused(self):
        """Values BSON cannot hold, and tuples in sets, raise InvalidValue; nothing is written."""
        cases = [(self.make(kind), value) for kind, value in (
            ('series', object()), ('series', 2 ** 64), ('gauge', {1, 2}), ('set', (1, 2)))]
        before = self.snapshot()
        for t, value in cases:
            with self.assertRaises(InvalidValue):
                t.bulk_insert({at(10): {'x': ['fine', value]}})
        self.assertEqual(before, self.snapshot())
