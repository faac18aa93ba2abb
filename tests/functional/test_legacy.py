"""Data laid down by kairos 0.5.0 (written here with raw client calls) reads back."""

from datetime import datetime

import importlib

from kairos import Timeseries

from tests.support import MongoCase, RedisCase, RedisClusterCase
from tests.functional.common import at, intervals, plain, utc

FEB1 = utc(2038, 2, 1)


def gregorian():
    return {'daily': {'step': 'daily', 'steps': 5},
            'weekly': {'step': 'weekly', 'resolution': 60},
            'monthly': {'step': 'monthly'},
            'yearly': {'step': 'yearly'}}


class RedisLegacy:
    """Writes buckets as kairos 0.5.0 did in Redis (prefix 'kairos:')."""

    def lay(self, type, name, interval, i_bucket, value, r_bucket=None):
        key = 'kairos:%s:%s:%s' % (name, interval, i_bucket)
        if r_bucket is not None:
            self.client.sadd(key, str(r_bucket))
            key = '%s:%s' % (key, r_bucket)
        if type == 'series':
            self.client.rpush(key, *[str(v) for v in value])
        elif type == 'histogram':
            self.client.hset(key, mapping={str(k): str(v) for k, v in value.items()})
        elif type == 'set':
            self.client.sadd(key, *[str(v) for v in value])
        else:
            self.client.set(key, str(value))

    def records(self):
        return len(self.snapshot())


class MongoLegacy:
    """Writes documents as kairos 0.5.0 did in Mongo."""

    def lay(self, type, name, interval, i_bucket, value, r_bucket=None):
        doc = {'name': name, 'interval': i_bucket, 'value': value,
               'expire_from': datetime(2027, 1, 15, 8)}
        if r_bucket is not None:
            doc['resolution'] = r_bucket
        self.client[interval].insert_one(doc)

    def records(self):
        return sum(self.client[c].count_documents({}) for c in self.client.list_collection_names())


class LegacyBehaviour:

    async_twin = True  # run on kairos.asyncio too (tests.support.AsyncCase)

    def make(self, type, read_func=int, config=None):
        return self.timeseries(type=type, prefix='kairos', read_func=read_func,
                               intervals=config or intervals())

    def test_series_coarse(self):
        """A 0.5.0 series bucket reads back through get and series."""
        self.lay('series', 'test', 'minute', 30000001, [5, 6])
        t = self.make('series')
        self.assertEqual(plain(t.get('test', 'minute', timestamp=at(100))), {at(60): [5, 6]})
        self.assertEqual(plain(t.series('test', 'minute', start=at(0), steps=2)),
                         {at(0): [], at(60): [5, 6]})

    def test_series_fine(self):
        """0.5.0 resolution buckets of a fine interval read back, nested and condensed."""
        self.lay('series', 'test', 'hour', 500000, [1, 2], r_bucket=30000001)
        self.lay('series', 'test', 'hour', 500000, [3], r_bucket=30000003)
        t = self.make('series')
        self.assertEqual(plain(t.get('test', 'hour', timestamp=at(0))),
                         {at(60): [1, 2], at(180): [3]})
        self.assertEqual(plain(t.get('test', 'hour', timestamp=at(0), condensed=True)),
                         {at(0): [1, 2, 3]})
        self.assertEqual(plain(t.series('test', 'hour', end=at(3600), steps=2)),
                         {at(0): {at(60): [1, 2], at(180): [3]}, at(3600): {}})

    def test_histogram(self):
        """A 0.5.0 histogram bucket reads back with int counts."""
        self.lay('histogram', 'h', 'minute', 30000001, {'5': 2, '7': 1})
        t = self.make('histogram')
        self.assertEqual(plain(t.get('h', 'minute', timestamp=at(100))), {at(60): {5: 2, 7: 1}})

    def test_count_and_append(self):
        """A 0.5.0 count reads back, and kairos adds to it."""
        self.lay('count', 'c', 'minute', 30000001, 3)
        t = self.make('count', read_func=None)
        self.assertEqual(plain(t.get('c', 'minute', timestamp=at(100))), {at(60): 3})
        before = self.records()
        t.insert('c', timestamp=at(100))
        self.assertEqual(plain(t.get('c', 'minute', timestamp=at(100))), {at(60): 4})
        # the minute bucket is reused; only the hour interval gains records
        t2 = self.make('count', read_func=None, config={'minute': {'step': 60}})
        t2.insert('c', timestamp=at(100))
        self.assertEqual(plain(t.get('c', 'minute', timestamp=at(100))), {at(60): 5})
        self.assertEqual(self.records(), before + (2 if self.backend == 'redis' else 1))

    def test_gauge(self):
        """A 0.5.0 gauge reads back and is overwritten by kairos."""
        self.lay('gauge', 'g', 'minute', 30000001, 7)
        t = self.make('gauge')
        self.assertEqual(plain(t.get('g', 'minute', timestamp=at(100))), {at(60): 7})
        t.insert('g', 9, timestamp=at(100))
        self.assertEqual(plain(t.get('g', 'minute', timestamp=at(100))), {at(60): 9})

    def test_series_append(self):
        """kairos appends to a 0.5.0 series bucket instead of starting another."""
        self.lay('series', 'test', 'minute', 30000001, [5])
        t = self.make('series', config={'minute': {'step': 60, 'steps': 5}})
        before = self.records()
        t.insert('test', 6, timestamp=at(61))
        self.assertEqual(plain(t.get('test', 'minute', timestamp=at(100))), {at(60): [5, 6]})
        self.assertEqual(self.records(), before)

    def test_gregorian(self):
        """0.5.0 Gregorian buckets (YYYYMMDD, YYYYWW, YYYYMM, YYYY) read back."""
        week_start = utc(2038, 1, 31)
        self.lay('series', 'g', 'daily', '20380201', [1])
        self.lay('series', 'g', 'weekly', '203805', [2], r_bucket=(FEB1 + 60) // 60)
        self.lay('series', 'g', 'monthly', '203802', [3])
        self.lay('series', 'g', 'yearly', '2038', [4])
        t = self.make('series', config=gregorian())
        self.assertEqual(plain(t.get('g', 'daily', timestamp=FEB1 + 5)), {FEB1: [1]})
        self.assertEqual(plain(t.get('g', 'weekly', timestamp=FEB1)), {FEB1 + 60: [2]})
        self.assertEqual(plain(t.get('g', 'weekly', timestamp=FEB1, condensed=True)),
                         {week_start: [2]})
        self.assertEqual(plain(t.get('g', 'monthly', timestamp=FEB1)), {FEB1: [3]})
        self.assertEqual(plain(t.get('g', 'yearly', timestamp=FEB1)), {utc(2038, 1, 1): [4]})
        self.assertEqual(plain(t.series('g', 'daily', end=utc(2038, 2, 2), steps=3)),
                         {utc(2038, 1, 31): [], FEB1: [1], utc(2038, 2, 2): []})
        self.assertEqual(plain(t.series('g', 'monthly', start=utc(2038, 1, 1), steps=3)),
                         {utc(2038, 1, 1): [], FEB1: [3], utc(2038, 3, 1): []})

    def test_gregorian_append(self):
        """kairos writes into the same Gregorian bucket 0.5.0 wrote."""
        self.lay('series', 'g', 'daily', '20380201', [1])
        t = self.make('series', config={'daily': {'step': 'daily'}})
        before = self.records()
        t.insert('g', 2, timestamp=FEB1 + 7200)
        self.assertEqual(plain(t.get('g', 'daily', timestamp=FEB1)), {FEB1: [1, 2]})
        self.assertEqual(self.records(), before)

    def test_joined_with_new_data(self):
        """0.5.0 data and kairos data join in one read."""
        self.lay('series', 'old', 'minute', 30000001, [5])
        t = self.make('series')
        t.insert('new', 6, timestamp=at(70))
        self.assertEqual(plain(t.get(['old', 'new'], 'minute', timestamp=at(100))),
                         {at(60): [5, 6]})

    def test_zero_count_is_listed(self):
        """A count's increment of 0 lists its resolution bucket, which reads as 0 (0.5.0's answer)."""
        t = self.make('count', read_func=None)
        t.insert('c', 0, timestamp=at(0))
        t.insert('c', 2, timestamp=at(60))
        self.assertEqual(plain(t.get('c', 'hour', timestamp=at(0))), {at(0): 0, at(60): 2})
        self.assertEqual(plain(t.get('c', 'hour', timestamp=at(0), condensed=True)), {at(0): 2})
        self.assertEqual(plain(t.get('c', 'minute', timestamp=at(0))), {at(0): 0})
        # Redis: the hour's index, the hour's data of 2 and the minute key of 2, as 0.5.0
        # wrote them; Mongo: a document per bucket written, as 0.5.0's $inc upserts made them
        self.assertEqual(t.delete('c'), 3 if self.backend == 'redis' else 4)

    def test_delete_legacy(self):
        """delete removes 0.5.0 data of the name."""
        self.lay('series', 'old', 'minute', 30000001, [5])
        self.lay('series', 'old', 'hour', 500000, [5], r_bucket=30000001)
        t = self.make('series')
        self.assertEqual(t.delete('old'), 3 if self.backend == 'redis' else 2)
        self.assertEqual(self.records(), 0)


class TestLegacyRedis(LegacyBehaviour, RedisLegacy, RedisCase):

    def test_set(self):
        """A 0.5.0 Redis set bucket reads back."""
        self.lay('set', 's', 'minute', 30000001, [1, 2])
        t = self.make('set')
        self.assertEqual(plain(t.get('s', 'minute', timestamp=at(100))), {at(60): {1, 2}})

    def test_index_entries_without_data(self):
        """0.5.0 listed buckets it wrote no data for: each reads as its type's empty value."""
        laid = {'series': ([5], [5], []), 'histogram': ({'5': 2}, {5: 2}, {}),
                'count': (3, 3, 0), 'gauge': (7, 7, 0), 'set': ([5], {5}, set())}
        for type, (stored, read, empty) in laid.items():
            with self.subTest(type=type):
                self.clear()
                self.lay(type, type, 'hour', 500000, stored, r_bucket=30000001)
                self.client.sadd('kairos:%s:hour:500000' % type, '30000000', '30000002')
                read_func = int if type != 'gauge' else (lambda v: int(v or 0))
                t = self.make(type, read_func=read_func)
                self.assertEqual(plain(t.get(type, 'hour', timestamp=at(0))),
                                 {at(0): empty, at(60): read, at(120): empty})
                self.assertEqual(plain(t.get(type, 'hour', timestamp=at(0), condensed=True)),
                                 {at(0): read})
                self.assertEqual(plain(t.series([type, 'none'], 'hour', end=at(0), steps=1)),
                                 {at(0): {at(0): empty, at(60): read, at(120): empty}})

    def test_gauge_index_entry_without_read_func(self):
        """With no read_func, a gauge listed without data reads as None."""
        self.client.sadd('kairos:g:hour:500000', '30000000')
        t = self.make('gauge', read_func=None)
        self.assertEqual(plain(t.get('g', 'hour', timestamp=at(0))), {at(0): None})

    def test_unprefixed(self):
        """0.5.0 data written without a prefix reads back with no prefix."""
        self.client.rpush('test:minute:30000001', '5')
        t = self.timeseries(type='series', read_func=int, intervals=intervals())
        self.assertEqual(plain(t.get('test', 'minute', timestamp=at(100))), {at(60): [5]})


class TestLegacyRedisCluster(TestLegacyRedis, RedisClusterCase):
    """The same on a Redis Cluster."""


class TestLegacyMongo(LegacyBehaviour, MongoLegacy, MongoCase):

    def test_database_from_client(self):
        """0.5.0 data in the 'kairos' database reads back through a MongoClient."""
        client = importlib.import_module(self.driver).MongoClient()
        client['kairos']['minute'].insert_one({'name': 'x', 'interval': 30000001, 'value': [5]})
        try:
            t = Timeseries(client, type='series', intervals=intervals())
            self.assertEqual(plain(t.get('x', 'minute', timestamp=at(100))), {at(60): [5]})
        finally:
            client.drop_database('kairos')
