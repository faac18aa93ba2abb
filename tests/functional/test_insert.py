"""insert(): default values, write_func/read_func, intervals=+N/-N neighbours, clock."""

from tests.support import MongoCase, RedisCase, RedisClusterCase
from tests.functional.common import at, intervals, plain


class InsertBehaviour:

    async_twin = True

    def make(self, type='series', **kwargs):
        kwargs.setdefault('intervals', intervals())
        return self.timeseries(type=type, prefix='kairos', **kwargs)

    def get(self, t, *args, **kwargs):
        return plain(t.get(*args, **kwargs))

    def test_count_default_value_is_one(self):
        """A count insert without a value adds 1."""
        t = self.make('count')
        for _ in range(3):
            t.insert('hits', timestamp=at(10))
        t.insert('hits', 5, timestamp=at(10))
        self.assertEqual(self.get(t, 'hits', 'minute', timestamp=at(10)), {at(0): 8})

    def test_write_func_applies_before_storing(self):
        """write_func transforms each value before it is stored."""
        t = self.make(write_func=lambda v: v * 10, read_func=int)
        t.insert('x', 3, timestamp=at(10))
        t.insert('x', 4, timestamp=at(20))
        self.assertEqual(self.get(t, 'x', 'minute', timestamp=at(10)), {at(0): [30, 40]})

    def test_write_func_applies_to_count_default(self):
        """write_func also applies to a count's default value of 1."""
        t = self.make('count', write_func=lambda v: v + 1)
        t.insert('x', timestamp=at(10))
        self.assertEqual(self.get(t, 'x', 'minute', timestamp=at(10)), {at(0): 2})

    def test_read_func_series_and_set(self):
        """read_func applies to each value of series and set rows."""
        for type, empty in (('series', list), ('set', set)):
            t = self.make(type, read_func=lambda v: 'r%s' % v)
            t.insert(type, 7, timestamp=at(10))
            self.assertEqual(self.get(t, type, 'minute', timestamp=at(10)),
                             {at(0): empty(['r7'])})

    def test_read_func_histogram_keys(self):
        """read_func applies to histogram values; counts stay ints."""
        t = self.make('histogram', read_func=float)
        t.insert('h', 7, timestamp=at(10))
        t.insert('h', 7, timestamp=at(11))
        got = self.get(t, 'h', 'minute', timestamp=at(10))
        self.assertEqual(got, {at(0): {7.0: 2}})
        self.assertIsInstance(list(got[at(0)])[0], float)

    def test_read_func_gauge(self):
        """read_func applies to a gauge's stored value."""
        t = self.make('gauge', read_func=lambda v: ('g', str(v)))
        t.insert('g', 7, timestamp=at(10))
        self.assertEqual(self.get(t, 'g', 'minute', timestamp=at(10)), {at(0): ('g', '7')})

    def test_read_func_count(self):
        """read_func applies to a count's total."""
        t = self.make('count', read_func=lambda v: v * 100)
        t.insert('c', 2, timestamp=at(10))
        self.assertEqual(self.get(t, 'c', 'minute', timestamp=at(10)), {at(0): 200})

    def test_insert_default_timestamp_is_clock(self):
        """Without a timestamp, insert writes into the bucket of the clock's now."""
        t = self.make(read_func=int, clock=lambda: at(130))
        t.insert('x', 1)
        self.assertEqual(self.get(t, 'x', 'minute', timestamp=at(121)), {at(120): [1]})
        self.assertEqual(self.get(t, 'x', 'hour', timestamp=at(121)), {at(120): [1]})

    def test_insert_writes_every_interval(self):
        """One insert lands in every configured interval."""
        t = self.make(read_func=int)
        t.insert('x', 1, timestamp=at(3725))
        self.assertEqual(self.get(t, 'x', 'minute', timestamp=at(3725)), {at(3720): [1]})
        self.assertEqual(self.get(t, 'x', 'hour', timestamp=at(3725)), {at(3720): [1]})

    def test_intervals_positive(self):
        """intervals=N also writes the value into the N following buckets."""
        t = self.make(read_func=int)
        calc = t._intervals['minute']['i_calc']
        ts1 = at(10)
        ts2, ts3, ts4 = calc.normalize(ts1, 1), calc.normalize(ts1, 2), calc.normalize(ts1, 3)
        self.assertEqual((ts2, ts3, ts4), (at(60), at(120), at(180)))
        t.insert('x', 32, timestamp=ts1, intervals=1)
        t.insert('x', 42, timestamp=ts1, intervals=2)
        self.assertEqual(self.get(t, 'x', 'minute', timestamp=ts1), {at(0): [32, 42]})
        self.assertEqual(self.get(t, 'x', 'minute', timestamp=ts2), {ts2: [32, 42]})
        self.assertEqual(self.get(t, 'x', 'minute', timestamp=ts3), {ts3: [42]})
        self.assertEqual(self.get(t, 'x', 'minute', timestamp=ts4), {ts4: []})

    def test_intervals_negative(self):
        """intervals=-N also writes the value into the N preceding buckets."""
        t = self.make(read_func=int)
        calc = t._intervals['minute']['i_calc']
        ts1 = at(130)
        ts2, ts3 = calc.normalize(ts1, -1), calc.normalize(ts1, -2)
        self.assertEqual((ts2, ts3), (at(60), at(0)))
        t.insert('x', 32, timestamp=ts1, intervals=-1)
        t.insert('x', 42, timestamp=ts1, intervals=-2)
        self.assertEqual(self.get(t, 'x', 'minute', timestamp=ts1), {at(120): [32, 42]})
        self.assertEqual(self.get(t, 'x', 'minute', timestamp=ts2), {ts2: [32, 42]})
        self.assertEqual(self.get(t, 'x', 'minute', timestamp=ts3), {ts3: [42]})
        self.assertEqual(self.get(t, 'x', 'minute', timestamp=at(-60)), {at(-60): []})

    def test_intervals_fine_neighbour_bucket(self):
        """On a fine interval a neighbour goes to the resolution bucket at its interval start."""
        t = self.make(read_func=int)
        t.insert('x', 5, timestamp=at(3725), intervals=1)
        self.assertEqual(self.get(t, 'x', 'hour', timestamp=at(3725)), {at(3720): [5]})
        self.assertEqual(self.get(t, 'x', 'hour', timestamp=at(7200)), {at(7200): [5]})
        # the minute interval's neighbour is the next minute
        self.assertEqual(self.get(t, 'x', 'minute', timestamp=at(3780)), {at(3780): [5]})
        self.assertEqual(self.get(t, 'x', 'hour', timestamp=at(3780)), {at(3720): [5]})

    def test_intervals_count(self):
        """intervals=N adds a count's value to each neighbour bucket too."""
        t = self.make('count')
        t.insert('c', timestamp=at(10), intervals=2)
        got = plain(t.series('c', 'minute', start=at(0), steps=4))
        self.assertEqual(got, {at(0): 1, at(60): 1, at(120): 1, at(180): 0})


class TestInsertRedis(InsertBehaviour, RedisCase):
    pass


class TestInsertRedisCluster(TestInsertRedis, RedisClusterCase):
    """The same on a Redis Cluster."""


class TestInsertMongo(InsertBehaviour, MongoCase):
    pass
