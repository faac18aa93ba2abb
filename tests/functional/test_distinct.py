"""The distinct type on every backend: each bucket reads as the HyperLogLog estimate of
its distinct values, equal to kairos.hll's estimate of the registers of a plain-Python
model of the values inserted (hypothesis), through get, series, condense, collapse,
every, joined and many names and bulk_insert; its refusals, reads of empty buckets,
delete, expire, list and properties; and, on Redis, that its registers are Redis's own.
"""

import random
from collections import defaultdict

import redis
import redis.asyncio
from hypothesis import given, strategies as st

from kairos import DataConflict, InvalidQuery, InvalidValue, hll

from tests.functional.common import FUZZ, plain
from tests.support import (MongoCase, MysqlCase, PostgresCase, RedisCase, RedisClusterCase,
                           RedisClusterHashTagCase, SqliteCase, redis_cluster_url, redis_url)

T0 = 1800000000
NOW = T0 + 7200
INTERVALS = {'minute': {'step': 60}, 'hour': {'step': 3600, 'resolution': 60}}
EVERY = {None: 60, '3min': 180, '10min': 600}
# few distinct values, so that they repeat, each an int, its str or its bytes (one value
# to Redis, so to kairos); and some strs and bytes of any kind
values = st.one_of(
    st.integers(0, 30).flatmap(lambda n: st.sampled_from([n, str(n), str(n).encode()])),
    st.text(st.characters(blacklist_categories=('Cs',)), max_size=5), st.binary(max_size=5))
points = st.lists(st.tuples(st.sampled_from(['a', 'b']), st.integers(0, 7199), values),
                  max_size=40)


def model(found):
    """The estimate kairos must read for some values: that of their registers, computed
    from the values themselves."""
    return hll.estimate(hll.registers(found))


def spread(points, step, name=None):
    """{bucket start: [values]} of the points (of one name), in buckets of ``step``."""
    buckets = defaultdict(list)
    for point_name, offset, value in points:
        if name is None or point_name == name:
            buckets[T0 + offset // step * step].append(value)
    return buckets


class DistinctBehaviour:

    async_twin = True

    def make(self, **kwargs):
        kwargs.setdefault('intervals', INTERVALS)
        return self.timeseries(type='distinct', clock=lambda: NOW, **kwargs)

    def assert_estimates(self, found, got):
        """Each of ``got``'s rows is the model's estimate of ``found``'s values there (none:
        0), and within three standard errors of their true number (a tiny set: exactly)."""
        self.assertEqual(sorted(found), sorted(got))
        for when, row in got.items():
            truth = len({hll.encode(value) for value in found[when]})
            self.assertEqual(model(found[when]), row, when)
            self.assertIsInstance(row, int)
            self.assertLessEqual(abs(row - truth), 3 * hll.STANDARD_ERROR * truth + 1, when)

    @FUZZ
    @given(points, st.sampled_from(sorted(EVERY, key=str)))
    def test_rows_estimate_the_distinct_values(self, points, every):
        """Each bucket reads as the estimate of its values: minute buckets, regrouped by
        every, the hour condensed, two names joined, and each name of many."""
        self.clear()
        t = self.make()
        for name, offset, value in points:
            t.insert(name, value, timestamp=T0 + offset)
        step = EVERY[every]
        for name in ('a', 'b'):
            by_step = spread(points, step, name)
            want = {T0 + m * step: by_step[T0 + m * step] for m in range(7200 // step)}
            self.assert_estimates(want, t.series(name, 'minute', start=T0, end=T0 + 7199,
                                                 every=every))
            hours = spread(points, 3600, name)
            self.assert_estimates({T0: hours[T0], T0 + 3600: hours[T0 + 3600]},
                                  t.series(name, 'hour', start=T0, steps=2, condense=True))
        everything = [value for _, _, value in points]
        self.assert_estimates({T0: everything}, t.series(['a', 'b'], 'hour', start=T0,
                                                         steps=2, collapse=True))
        minutes = spread(points, 60)
        self.assert_estimates({T0 + 60: minutes[T0 + 60]},
                              t.get(['a', 'b'], 'minute', timestamp=T0 + 60))
        many = t.series_many(['a', 'b'], 'hour', start=T0, steps=2, condense=True)
        for name in ('a', 'b'):
            hours = spread(points, 3600, name)
            self.assert_estimates({T0: hours[T0], T0 + 3600: hours[T0 + 3600]}, many[name])

    @FUZZ
    @given(points)
    def test_bulk_insert_equals_inserts(self, points):
        """bulk_insert of the points reads as inserting them one by one, registers too."""
        self.clear()
        t = self.make()
        bulk = defaultdict(lambda: defaultdict(list))
        for name, offset, value in points:
            t.insert(name, value, timestamp=T0 + offset)
            bulk[T0 + offset]['bulk-' + name].append(value)
        t.bulk_insert(bulk)
        for name in ('a', 'b'):
            one = t.series(name, 'hour', start=T0, steps=2)
            other = t.series('bulk-' + name, 'hour', start=T0, steps=2)
            self.assertEqual(plain(one), plain(other))
            self.assertEqual([row.registers for hour in one.values() for row in hour.values()],
                             [row.registers for hour in other.values()
                              for row in hour.values()])

    def test_large_buckets_and_their_union(self):
        """20,000 and 15,000 distinct values (a dense key on Redis), overlapping by 5,000,
        read as the model's estimates, and condensed as that of their union."""
        t = self.make()
        rng = random.Random(7)
        first = [rng.getrandbits(48) for _ in range(15000)] + \
            ['v%d' % n for n in range(5000)]
        second = [b'v%d' % n for n in range(5000)] + \
            ['\u00e9%x' % rng.getrandbits(48) for _ in range(10000)]
        t.bulk_insert({T0: {'big': first}, T0 + 60: {'big': second}})
        self.assert_estimates({T0: first, T0 + 60: second},
                              t.series('big', 'minute', start=T0, steps=2))
        self.assert_estimates({T0: first + second},
                              t.get('big', 'hour', timestamp=T0, condense=True))
        self.assert_estimates({T0: first + second},
                              t.series('big', 'minute', start=T0, steps=2, collapse=True))

    def test_empty_buckets_read_zero(self):
        """A bucket without values reads as 0, alone, condensed, joined and regrouped."""
        t = self.make()
        t.insert('a', 'x', timestamp=T0 + 60)
        self.assertEqual({T0: 0}, plain(t.get('a', 'minute', timestamp=T0)))
        self.assertEqual({T0: 0, T0 + 60: 1},
                         plain(t.series('a', 'minute', start=T0, steps=2)))
        self.assertEqual({T0 + 3600: 0},
                         plain(t.get('a', 'hour', timestamp=T0 + 3600, condense=True)))
        self.assertEqual({T0: 0}, plain(t.get(['b', 'c'], 'minute', timestamp=T0)))
        self.assertEqual({T0: 1}, plain(t.series('a', 'minute', start=T0, steps=2,
                                                 every='2min')))

    def test_transforms(self):
        """count is the estimate as a plain int; a callable sees the row; transforms that
        need the values are refused, naming what a distinct row holds."""
        t = self.make()
        t.bulk_insert({T0: {'x': ['a', 'b', 'b', 1, '1']}})
        got = t.get('x', 'minute', T0, transform=['count', lambda row: row + 1])
        self.assertEqual([3, 4], list(got[T0].values()))
        self.assertIs(type(got[T0]['count']), int)
        for name in ('mean', 'sum', 'max', 'median', 'p99', 'stddev', 'first', 'rate'):
            with self.subTest(transform=name):
                with self.assertRaisesRegex(InvalidQuery, 'distinct'):
                    t.get('x', 'minute', T0, transform=name)
        with self.assertRaisesRegex(InvalidQuery, 'a distinct row holds only an estimate of '
                                    'how many distinct values it saw: a distinct supports '
                                    'count'):
            t.get('x', 'minute', T0, transform='p99')

    def test_refusals_write_nothing(self):
        """A value not a str, bytes or int (a bool, a float, None, a bytearray), or a str
        that is not valid unicode, is refused before anything is written."""
        t = self.make()
        for bad in (True, 1.5, None, bytearray(b'1'), 'a\ud800', {'x': 1}):
            with self.assertRaises(InvalidValue):
                t.insert('x', bad, timestamp=T0)
            with self.assertRaises(InvalidValue):
                t.bulk_insert({T0: {'x': ['fine', bad]}})
        self.assertEqual([], t.list())

    def test_delete_list_and_properties(self):
        """list and properties see the names written; delete removes one name's buckets."""
        t = self.make()
        t.insert('a', 'x', timestamp=T0)
        t.insert('a', 'y', timestamp=T0 + 3600)
        t.insert('b', 'x', timestamp=T0 + 120)
        self.assertEqual(['a', 'b'], sorted(t.list()))
        self.assertEqual({'minute': {'first': T0, 'last': T0 + 3600},
                          'hour': {'first': T0, 'last': T0 + 3600}},
                         plain(t.properties('a')))
        self.assertGreater(t.delete('a'), 0)
        self.assertEqual(['b'], t.list())
        self.assertEqual({T0: 0}, plain(t.get('a', 'minute', timestamp=T0)))
        self.assertEqual({T0 + 120: 1}, plain(t.get('b', 'minute', timestamp=T0 + 120)))

    def test_retention(self):
        """With steps, a bucket lives steps * step after its latest write: Redis keys get
        that TTL, Mongo documents expire_from; SQL reads hide it, then expire() deletes it."""
        now = [T0]
        t = self.timeseries(type='distinct', clock=lambda: now[0],
                            intervals={'minute': {'step': 60, 'steps': 2},
                                       'hour': {'step': 3600, 'steps': 1, 'resolution': 60}})
        t.bulk_insert({T0: {'a': ['x', 'y']}})
        if self.backend == 'redis':
            self.assertTrue(all(ttl for _, _, ttl in self.snapshot().values()))
        elif self.backend == 'mongo':
            for collection in ('minute', 'hour'):
                self.assertTrue(all('expire_from' in document
                                    for document in self.client[collection].find()))
        else:
            now[0] = T0 + 3601
            self.assertEqual({T0: 0}, plain(t.get('a', 'minute', timestamp=T0)))
            self.assertGreater(t.expire(), 0)
            self.assertEqual({}, self.snapshot())
            return
        self.assertEqual(0, t.expire())
        self.assertEqual({T0: 2}, plain(t.get('a', 'minute', timestamp=T0)))


class TestDistinctRedis(DistinctBehaviour, RedisCase):
    pass


class TestDistinctRedisCluster(DistinctBehaviour, RedisClusterCase):
    pass


class TestDistinctRedisClusterHashTag(DistinctBehaviour, RedisClusterHashTagCase):
    pass


class TestDistinctMongo(DistinctBehaviour, MongoCase):
    pass


class TestDistinctSqlite(DistinctBehaviour, SqliteCase):
    pass


class TestDistinctPostgres(DistinctBehaviour, PostgresCase):
    pass


class TestDistinctMysql(DistinctBehaviour, MysqlCase):
    pass


class _OwnReading(redis.Connection):
    """A connection that reads replies its own way: kairos leaves them to it."""

    def read_response(self, *args, **kwargs):
        return super().read_response(*args, **kwargs)


class _AsyncOwnReading(redis.asyncio.Connection):
    """The same for redis.asyncio."""

    async def read_response(self, *args, **kwargs):
        return await super().read_response(*args, **kwargs)


def random_values(n, seed):
    """n distinct values of mixed kinds: ints, strs (not all ASCII) and bytes."""
    rng, found = random.Random(seed), set()
    while len(found) < n:
        kind = rng.randrange(3)
        found.add(rng.getrandbits(40) if kind == 0 else '\u00e9:%x' % rng.getrandbits(40)
                  if kind == 1 else rng.randbytes(rng.randrange(1, 12)))
    return list(found)


class RedisRegistersBehaviour:
    """On Redis, the registers are Redis's own, and reach Python whole."""

    async_twin = True

    def connect_with(self, **options):
        """Another client of the case's Redis and I/O, with these options."""
        url = redis_cluster_url() if self.cluster else redis_url()
        if self.io == 'asyncio':
            from redis.asyncio.cluster import RedisCluster
            if options.get('connection_class'):
                options['connection_class'] = _AsyncOwnReading
            client = (RedisCluster if self.cluster else redis.asyncio.Redis).from_url(
                url, **options)
            self.async_clients.append(client)
            return self.seen(self.kairos(client, type='distinct', intervals=INTERVALS))
        from redis.cluster import RedisCluster
        client = (RedisCluster if self.cluster else redis.Redis).from_url(url, **options)
        self.addCleanup(client.close)
        return self.kairos(client, type='distinct', intervals=INTERVALS)

    def test_registers_and_estimates_are_redis_own(self):
        """For value sets of several sizes (sparse and dense keys), PFCOUNT of the key
        kairos wrote equals kairos.hll's estimate of the values' registers, and the key's
        string decodes to those registers."""
        t = self.timeseries(type='distinct', intervals={'minute': {'step': 60}})
        for n in (1, 10, 100, 1000, 3000, 12000, 50000):
            with self.subTest(n=n):
                found = random_values(n, n)
                t.bulk_insert({T0: {'n%d' % n: found}})
                key = t._keys.key('n%d' % n, t._intervals['minute'], T0 // 60)
                registers = hll.registers(found)
                self.assertEqual(hll.estimate(registers), self.client.pfcount(key))
                self.assertEqual(hll.dense(registers), hll.from_redis(self.client.get(key)))
                self.assertEqual({T0: hll.estimate(registers)},
                                 plain(t.get('n%d' % n, 'minute', timestamp=T0)))

    def test_reads_whatever_the_client_decodes(self):
        """Rows read alike through kairos' reader and redis-py's, from a client that
        decodes replies (decode_responses=True), and one whose connections read replies
        their own way."""
        t = self.timeseries(type='distinct', intervals=INTERVALS)
        t.bulk_insert({T0: {'a': random_values(5000, 1)}, T0 + 60: {'a': ['x', 'y']}})
        want = plain(t.series('a', 'hour', start=T0, steps=1))
        kinds = [{'decode_responses': True},
                 {'decode_responses': True, 'connection_class': _OwnReading}]
        for options in kinds if not self.cluster else kinds[:1]:
            other = self.connect_with(**options)
            for fast in (True, False):
                with self.subTest(options=options, fast_reads=fast):
                    other.fast_reads = fast
                    self.assertEqual(want, plain(other.series('a', 'hour', start=T0,
                                                              steps=1)))

    def test_another_kind_of_data_is_a_conflict(self):
        """A key holding a string that is no HyperLogLog is refused as DataConflict by
        writes (the checking script, before anything is written) and reads."""
        t = self.timeseries(type='distinct', intervals={'minute': {'step': 60}})
        key = t._keys.key('x', t._intervals['minute'], T0 // 60)
        self.client.set(key, 'not a HyperLogLog')
        with self.assertRaises(DataConflict):
            t.insert('x', 'a', timestamp=T0)
        with self.assertRaises(DataConflict):
            t.get('x', 'minute', timestamp=T0)
        self.assertEqual(b'not a HyperLogLog', self.client.get(key))


class TestDistinctRegistersRedis(RedisRegistersBehaviour, RedisCase):
    pass


class TestDistinctRegistersRedisCluster(RedisRegistersBehaviour, RedisClusterCase):
    pass
