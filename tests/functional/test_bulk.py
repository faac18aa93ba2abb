"""bulk_insert, and insert() of many values, on every type and backend.

The reference for every bulk write is the same points inserted one at a
time: the two must read back identically in every interval, with and
without resolution.
"""

import copy
import itertools
import time
from collections import OrderedDict
from types import MappingProxyType
from unittest import mock

import kairos.series_types
import kairos.timeseries
import kairos.writes
from kairos import KairosException

from tests.support import MongoCase, RedisCase, RedisClusterCase, RedisClusterHashTagCase

TYPES = tuple(kairos.series_types.TYPES)   # every type needs its VALUES below

INTERVALS = {
    'minute': {'step': 60, 'steps': 120},
    'hour': {'step': 3600, 'steps': 24, 'resolution': 60},
    'day': {'step': 'daily', 'resolution': 3600},
    'forever': {'step': 600},
}

# Values to insert, per type; several repeat so that merging has work to do.
VALUES = {
    'series': ['a', 'b', 'a', 'c', 'b', 'd', 'a', 'e', 'f', 'a', 'g', 'b'],
    'histogram': ['1', '2', '1', '3', '2', '1', '4', '1', '5', '2', '1', '6'],
    'count': [1, 2, 3, 1, 5, 1, 7, 2, 1, 10, 1, 3],
    'gauge': ['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8', 'v9', 'v10', 'v11', 'v12'],
    'set': ['a', 'b', 'a', 'c', 'b', 'd', 'a', 'e', 'f', 'a', 'g', 'b'],
    'summary': [3, -1, 3, 7, 0, 12, -5, 3, 2, 8, 1, 4],
    'distinct': ['a', 'b', 'a', 'c', 'b', 'd', 'a', 'e', 'f', 'a', 'g', 'b'],
    'sketch': [3, -1, 3, 7, 0, 12, -5, 3, 2, 8, 1, 4],
}


def now_hour() -> int:
    """A recent hour start, so Mongo's TTL index keeps what the tests write."""
    return int(time.time()) // 3600 * 3600 - 3600


def bulk_points(typ, base):
    """{timestamp: {name: [values]}} spread over several buckets and names."""
    values = VALUES[typ]
    offsets = (0, 1, 59, 61, 61, 600, 1800, 3599, 3600, 3700)
    rval = OrderedDict()
    for index, offset in enumerate(offsets):
        stamp = base + offset
        by_name = rval.setdefault(stamp, OrderedDict())
        by_name.setdefault('n%d' % (index % 3), []).extend(
            values[index:index + 1 + index % 4])
        by_name.setdefault('n3', []).append(values[-1 - index])
    return rval


def one_by_one(t, inserts, rename=lambda name: name, intervals=0):
    """Insert every point of a bulk structure with one insert() call each."""
    for stamp, by_name in inserts.items():
        for name, values in by_name.items():
            for value in values:
                t.insert(rename(name), value, timestamp=stamp, intervals=intervals)


def renamed(inserts, rename):
    return OrderedDict((stamp, OrderedDict((rename(n), list(v)) for n, v in by_name.items()))
                       for stamp, by_name in inserts.items())


def reads(t, names, base):
    """Everything readable about ``names`` around ``base``, for comparison."""
    start, end = base - 7200, base + 4 * 3600
    rval = []
    for interval in INTERVALS:
        for name in names:
            rval.append(t.series(name, interval, start=start, end=end))
            rval.append(t.series(name, interval, start=start, end=end, condensed=True))
            for offset in (0, 61, 3700):
                rval.append(t.get(name, interval, timestamp=base + offset))
        rval.append(t.series(names, interval, start=start, end=end))
        rval.append(t.get(names, interval, timestamp=base, condensed=True))
    return rval


class BulkBehaviour:
    """bulk_insert reads back exactly as the same points inserted one by one."""

    async_twin = True  # run on kairos.asyncio too (tests.support.AsyncCase)

    def make(self, typ, **kwargs):
        return self.timeseries(type=typ, prefix=typ, intervals=INTERVALS, **kwargs)

    def assert_same_as_one_by_one(self, typ, inserts, base, intervals=0):
        self.clear()
        t = self.make(typ)
        names = sorted({name for by_name in inserts.values() for name in by_name})
        one_by_one(t, inserts, lambda n: 'one-' + n, intervals=intervals)
        t.bulk_insert(renamed(inserts, lambda n: 'bulk-' + n), intervals=intervals)
        expected = reads(t, ['one-' + n for n in names], base)
        self.assertEqual(expected, reads(t, ['bulk-' + n for n in names], base))
        self.assertNotEqual(expected, reads(t, ['none-' + n for n in names], base),
                            'nothing was written')

    def test_bulk_insert_reads_back_as_one_by_one_inserts(self):
        """bulk_insert gives the same data as inserting each point alone, for every type."""
        base = now_hour()
        for typ in TYPES:
            with self.subTest(type=typ):
                self.assert_same_as_one_by_one(typ, bulk_points(typ, base), base)

    def test_bulk_insert_intervals_n_matches_one_by_one(self):
        """intervals=N in bulk_insert writes the same neighbouring buckets as insert()."""
        base = now_hour()
        for typ in TYPES:
            for shift in (2, -1):
                with self.subTest(type=typ, intervals=shift):
                    self.assert_same_as_one_by_one(typ, bulk_points(typ, base), base,
                                                   intervals=shift)

    def test_small_chunks_give_identical_results(self):
        """Sending a bulk in chunks of 7 values reads back the same as one by one."""
        base = now_hour()
        for typ in TYPES:
            with self.subTest(type=typ):
                inserts = bulk_points(typ, base)
                inserts[base + 5] = {'n0': VALUES[typ] * 2, 'n1': VALUES[typ][:3]}
                with mock.patch.object(kairos.writes, 'BULK_CHUNK', 7):
                    self.assert_same_as_one_by_one(typ, inserts, base)

    def test_progress_reports_each_piece(self):
        """progress(written, total) is called after the check and after each piece stored,
        ending at the total; the values it reports stored are readable."""
        base = now_hour()
        t = self.make('count')
        inserts = {base + i: {'n%d' % (i % 3): [1] * (1 + i % 4)} for i in range(40)}
        total = sum(len(v) for by_name in inserts.values() for v in by_name.values())
        calls = []
        with mock.patch.object(kairos.writes, 'BULK_CHUNK', 7):
            t.bulk_insert(inserts, progress=lambda written, of: calls.append((written, of)))
        self.assertEqual((0, total), calls[0])
        self.assertEqual((total, total), calls[-1])
        self.assertGreater(len(calls), 3)
        self.assertTrue(all(of == total for _, of in calls))
        self.assertEqual(sorted(written for written, _ in calls), [w for w, _ in calls])
        stored = t.series(['n0', 'n1', 'n2'], 'forever', start=base, end=base + 40,
                          collapse=True)
        self.assertEqual([total], list(stored.values()))

    def test_insert_of_a_list_tuple_or_set_goes_through_bulk_insert(self):
        """insert(name, [v1, v2]) / tuple / set inserts each value via bulk_insert."""
        if getattr(self, 'io', None) == 'asyncio':
            self.skipTest('it spies on a blocking call inside insert; the bodies below it '
                          'check the same reads on kairos.asyncio')
        base = now_hour()
        for typ in TYPES:
            values = VALUES[typ][:5]
            containers = [list, tuple] + ([] if typ in ('series', 'gauge') else [set])
            for container in containers:
                with self.subTest(type=typ, container=container.__name__):
                    self.clear()
                    t = self.make(typ)
                    name = 'many-' + container.__name__
                    for value in container(values):
                        t.insert('single-' + name, value, timestamp=base)
                    with mock.patch.object(t, 'bulk_insert', wraps=t.bulk_insert) as spy:
                        t.insert(name, container(values), timestamp=base)
                    spy.assert_called_once()
                    self.assertEqual(spy.call_args[0][0], {base: {name: container(values)}})
                    self.assertEqual(reads(t, ['single-' + name], base),
                                     reads(t, [name], base))

    def test_none_timestamp_means_now(self):
        """A None timestamp in bulk_insert stands for the clock's now."""
        base = now_hour() + 125
        for typ in TYPES:
            with self.subTest(type=typ):
                self.clear()
                t = self.make(typ, clock=lambda: base)
                value = VALUES[typ][0]
                t.insert('one', value, timestamp=base)
                t.bulk_insert({None: {'bulk': [value]}})
                self.assertEqual(reads(t, ['one'], base), reads(t, ['bulk'], base))
                written = t.get('one', 'minute', timestamp=base)[base - 5]
                self.assertNotIn(written, ([], {}, 0, None, set()))

    def test_ordered_dict_order_is_kept_for_series_and_gauge(self):
        """Timestamps of an OrderedDict are applied in its order, not sorted."""
        base = now_hour()
        inserts = OrderedDict([(base + 50, {'x': ['late', 'late2']}),
                               (base + 10, {'x': ['early']}),
                               (base + 30, {'x': ['middle']})])
        series = self.make('series')
        series.bulk_insert(inserts)
        self.assertEqual(series.get('x', 'minute', timestamp=base),
                         OrderedDict([(base, ['late', 'late2', 'early', 'middle'])]))
        self.clear()
        gauge = self.make('gauge')
        gauge.bulk_insert(inserts)
        self.assertEqual(gauge.get('x', 'minute', timestamp=base),
                         OrderedDict([(base, 'middle')]))
        reverse = OrderedDict(reversed(list(inserts.items())))
        gauge.bulk_insert(reverse)
        self.assertEqual(gauge.get('x', 'minute', timestamp=base),
                         OrderedDict([(base, 'late2')]))

    def test_callers_dict_is_not_modified(self):
        """bulk_insert leaves the caller's structure exactly as it was."""
        base = now_hour()
        for typ in TYPES:
            with self.subTest(type=typ):
                inserts = bulk_points(typ, base)
                inserts[base + 7] = OrderedDict([('t', tuple(VALUES[typ][:3])),
                                                 ('s', set(VALUES[typ][:3]))])
                before = copy.deepcopy(inserts)
                with mock.patch.object(kairos.writes, 'BULK_CHUNK', 7):
                    self.clear()
                    self.make(typ).bulk_insert(inserts, intervals=1)
                self.assertEqual(inserts, before)
                self.assertEqual(list(inserts), list(before))
                for stamp in inserts:
                    self.assertEqual(list(inserts[stamp]), list(before[stamp]))

    def test_a_list_subclass_is_several_values(self):
        """Values in a list subclass are several values, as in a list (bulk_insert, insert)."""
        class Values(list):
            pass
        base = now_hour()
        t = self.make('count')
        t.bulk_insert({base: {'a': Values([1, 2])}})
        t.insert('a', Values([3, 4]), timestamp=base)
        self.assertEqual(t.get('a', 'minute', timestamp=base), {base: 10})

    def test_bad_input_anywhere_writes_nothing(self):
        """A bad value, name or timestamp anywhere in a bulk raises and writes nothing."""
        base = now_hour()
        bad_value = {'series': None, 'histogram': None, 'count': 'x', 'gauge': None,
                     'set': None, 'summary': 'x', 'distinct': None, 'sketch': 'x'}
        for typ in TYPES:
            good = bulk_points(typ, base)
            last = list(good)[-1]
            cases = {
                'value in the last name': (last, 'zz', [VALUES[typ][0], bad_value[typ]]),
                'empty name': (last, '', [VALUES[typ][0]]),
                'non-str name': (last, 7, [VALUES[typ][0]]),
                'timestamp': ('soon', 'n0', [VALUES[typ][0]]),
            }
            # the first values given as a tuple, or an empty list: checked values are kept
            for (what, (stamp, name, values)), first in itertools.product(
                    cases.items(), ('list', 'tuple', 'and an empty list')):
                with self.subTest(type=typ, bad=what, first=first):
                    self.clear()
                    inserts = copy.deepcopy(good)
                    by_name = inserts[list(inserts)[0]]
                    head = list(by_name)[0]
                    if first == 'tuple':
                        by_name[head] = tuple(by_name[head])
                    elif first == 'and an empty list':
                        by_name['empty'] = []
                    inserts.setdefault(stamp, OrderedDict())[name] = values
                    t = self.make(typ)
                    before = self.snapshot()
                    with mock.patch.object(kairos.writes, 'BULK_CHUNK', 7):
                        with self.assertRaises(KairosException):
                            t.bulk_insert(inserts)
                    self.assertEqual(self.snapshot(), before)

    def test_a_bad_value_equal_to_a_good_one_seen_before_is_refused(self):
        """Values are checked once per distinct value and exact type: True after many 1s
        (equal, but a count refuses booleans), a name or value repeated, then a bad one."""
        base = now_hour()
        cases = [('count', [1] * 50 + [True]), ('count', [2 ** 62] * 3 + [2 ** 64]),
                 ('count', [1.5] * 3 + [float('nan')]), ('series', ['x'] * 50 + ['\ud800']),
                 ('set', ['x'] * 50 + [['x']])]
        for typ, values in cases:
            with self.subTest(type=typ, last=values[-1]):
                t = self.make(typ)
                inserts = OrderedDict((base + i, {'a': [v], 'b': [values[0]]})
                                      for i, v in enumerate(values))
                before = self.snapshot()
                with self.assertRaises(KairosException):
                    t.bulk_insert(inserts)
                self.assertEqual(self.snapshot(), before)

    def test_read_only_mappings_are_taken(self):
        """bulk_insert takes any mapping of timestamps and of names, as it takes dicts."""
        base = now_hour()
        t = self.make('count')
        t.bulk_insert(MappingProxyType({base: MappingProxyType({'x': [1, 2]}),
                                        base + 60: {'x': 3}}))
        self.assertEqual(list(t.get('x', 'hour', timestamp=base, condense=True).values()), [6])

    def test_bad_structure_raises_and_writes_nothing(self):
        """A bulk that is not {timestamp: {name: values}} raises and writes nothing."""
        base = now_hour()
        t = self.make('count')
        before = self.snapshot()
        for inserts in ([(base, {'x': [1]})], {base: {'x': [1]}, base + 1: ['x', 1]}):
            with self.subTest(inserts=inserts):
                with self.assertRaises(KairosException):
                    t.bulk_insert(inserts)
                self.assertEqual(self.snapshot(), before)


class RedisPipelineBehaviour:
    """insert(..., pipeline=p) only queues its writes on the caller's pipeline."""

    def test_insert_with_pipeline_writes_on_execute(self):
        """insert(pipeline=p) writes nothing until p.execute(), then what insert() writes."""
        base = now_hour()
        for typ in TYPES:
            for transaction in (True, False):
                with self.subTest(type=typ, transaction=transaction):
                    self.client.flushdb()
                    t = self.timeseries(type=typ, prefix=typ, intervals=INTERVALS)
                    values = VALUES[typ][:4]
                    for value in values:
                        t.insert('direct', value, timestamp=base + 61)
                    before = self.snapshot()
                    pipe = self.client.pipeline(transaction=transaction)
                    for value in values:
                        t.insert('piped', value, timestamp=base + 61, pipeline=pipe)
                    self.assertEqual(self.snapshot(), before)
                    self.assertGreater(len(pipe), 0)
                    pipe.execute()
                    self.assertNotEqual(self.snapshot(), before)
                    self.assertEqual(reads(t, ['direct'], base),
                                     reads(t, ['piped'], base))

    def test_bulk_insert_with_pipeline_writes_on_execute(self):
        """bulk_insert(pipeline=p) writes nothing until p.execute()."""
        base = now_hour()
        t = self.timeseries(type='histogram', intervals=INTERVALS)
        pipe = self.client.pipeline(transaction=False)
        before = self.snapshot()
        t.bulk_insert(renamed(bulk_points('histogram', base), lambda n: 'piped-' + n),
                      pipeline=pipe)
        t.bulk_insert(renamed(bulk_points('histogram', base), lambda n: 'direct-' + n))
        self.assertEqual({k for k in self.snapshot() if b'piped' in k}, set())
        pipe.execute()
        names = ['n0', 'n1', 'n2', 'n3']
        self.assertEqual(reads(t, ['direct-' + n for n in names], base),
                         reads(t, ['piped-' + n for n in names], base))
        self.assertNotEqual(before, self.snapshot())


class TestBulkRedis(BulkBehaviour, RedisCase):

    def test_backfill_of_many_new_keys_by_a_fresh_object(self):
        """12,000 keys new to the object in one piece (more than Lua's unpack() takes at
        once): with none of them in Redis, then with one of them there already."""
        base = now_hour()
        names = ['k%05d' % i for i in range(12000)]
        for existing in ([], names[-1:]):
            with self.subTest(existing=existing):
                self.clear()
                for name in existing:
                    self.timeseries(type='count', intervals={'minute': {'step': 60}}).insert(
                        name, 5, timestamp=base)
                t = self.timeseries(type='count', intervals={'minute': {'step': 60}})
                t.bulk_insert({base: {name: [1] for name in names}})
                self.assertEqual(t.get(names, 'minute', timestamp=base),
                                 {base: 12000 + 5 * len(existing)})


class TestBulkRedisCluster(TestBulkRedis, RedisClusterCase):
    """The same on a Redis Cluster."""


class TestBulkMongo(BulkBehaviour, MongoCase):
    pass


class TestPipelineRedis(RedisPipelineBehaviour, RedisCase):
    pass
class TestPipelineRedisCluster(TestPipelineRedis, RedisClusterHashTagCase):
    """The same on a Redis Cluster; hash_tag=True puts each call in one slot, as a
    transactional cluster pipeline needs."""


