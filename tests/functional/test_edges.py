"""Edge inputs over the whole public API, on every backend: refused cleanly or stored right.

Hypothesis draws constructor configurations, names, values, timestamps, shifts and
read options from edge_strategies (extreme floats, huge ints, calendar limits,
odd unicode, glob characters). Each call must either succeed or raise a
KairosException; a call that raises must leave the store as it was (its
``snapshot()``); reads never change the store; and what accepted writes stored
reads back as a small model says (counts add up, series append, sets unite,
histograms count every value, gauges keep the last). The examples are fixed
(``derandomize``), so every run tries the same inputs; KAIROS_EDGE_EXAMPLES
sets how many each test tries per backend.
"""

import math
import os
import warnings
from collections import OrderedDict

from hypothesis import HealthCheck, given, settings, strategies as st

from kairos import InvalidQuery, KairosException, KairosWarning
from kairos.units import check_timestamp

from tests.functional import edge_strategies as edge
from tests.functional.edge_strategies import T0
from tests.support import (MongoCase, MysqlCase, PostgresCase, RedisCase, RedisClusterCase,
                           RedisClusterHashTagCase, SqliteCase)

EXAMPLES = int(os.environ.get('KAIROS_EDGE_EXAMPLES', 100))
EDGE_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None,
                         derandomize=True, suppress_health_check=list(HealthCheck))

TYPES = ('series', 'histogram', 'count', 'gauge', 'set')
# name -> (intervals, the interval without resolution and retention the model reads, or None)
CONFIGS = {
    'seconds': ({'second': {'step': 1}, 'hour': {'step': 3600, 'resolution': 60}}, 'second'),
    'calendar': ({'day': {'step': 'daily'}, 'month': {'step': 'monthly', 'resolution': 'daily'},
                  'year': {'step': 'yearly'}}, 'day'),
    'big': ({'huge': {'step': 2 ** 62}, 'big': {'step': 10 ** 12, 'resolution': 10 ** 6},
             'week': {'step': 'weekly', 'resolution': 3600}}, 'huge'),
    'retained': ({'minute': {'step': 60, 'steps': 5},
                  'day': {'step': 'daily', 'steps': 3, 'resolution': 3600}}, None),
}
# a value each type stores on every backend
PLAIN = {'series': 'v', 'histogram': 'v', 'count': 2, 'gauge': 'v', 'set': 'v'}
# ... and one that read_func=float reads
NUMERIC = {'series': '1.5', 'histogram': '2', 'count': 2, 'gauge': '-1', 'set': '3'}
REFUSED = object()


def type_values(kind):
    """Values to insert into a ``kind``: edge cases of every kind, and ones the model reads."""
    modelled = edge.count_values if kind == 'count' else edge.text_values
    one = st.one_of(modelled, modelled, edge.values)
    return st.one_of(one, st.lists(one, max_size=3), st.tuples(one, one))


@st.composite
def write_calls(draw, kind):
    """('insert', args) or ('bulk_insert', args) with edge names, values, stamps and shifts."""
    values = type_values(kind)
    if draw(st.booleans()):
        value = draw(st.one_of(values, st.just(None)))
        return 'insert', (draw(edge.names), value, draw(edge.timestamps), draw(edge.shifts))
    inserts = draw(st.dictionaries(
        edge.timestamps, st.dictionaries(edge.names, values, max_size=3), max_size=3))
    return 'bulk_insert', (inserts, draw(edge.shifts))


def allowed(kwargs):
    """False for the reads whose rows a callable condense or collapse shapes (see below)."""
    transform = kwargs['transform']
    names = transform.values() if isinstance(transform, dict) else \
        transform if isinstance(transform, list) else [transform]
    named = {name for name in names if isinstance(name, str)}
    # a callable condense or collapse makes rows of its own shape: a named transform or the
    # type's collapse of them raises what the rows make it raise, as a hook's errors do
    shaped = any(callable(kwargs.get(key)) for key in ('condensed', 'collapse'))
    return not (shaped and (named or kwargs.get('collapse') is True))


@st.composite
def read_calls(draw, intervals):
    """('get', kwargs) or ('series', kwargs) with edge names, intervals and options."""
    name = draw(st.one_of(edge.names, st.lists(edge.names, max_size=3),
                          st.sampled_from(['a', ['a', 'b']])))
    interval = draw(st.one_of(st.sampled_from(sorted(intervals)),
                              st.sampled_from(['bogus', None, 5])))
    kwargs = {'transform': draw(edge.transforms)}
    if draw(st.integers(0, 9)) == 0:
        kwargs['fetch'] = draw(st.sampled_from([5, 'x']))  # callables differ per backend
    if draw(st.booleans()):
        kwargs.update(timestamp=draw(st.one_of(st.just(T0), edge.timestamps)),
                      condensed=draw(edge.condensing))
        return 'get', name, interval, kwargs
    for key in ('steps', 'start', 'end'):
        if draw(st.booleans()):
            kwargs[key] = draw(edge.steps if key == 'steps' else
                               st.one_of(st.just(T0), edge.timestamps))
    kwargs.update(condensed=draw(edge.condensing), collapse=draw(edge.condensing))
    return 'series', name, interval, kwargs


def values_of(raw):
    """The values one name of an insert or bulk_insert stands for."""
    return list(raw) if isinstance(raw, (list, tuple, set)) else [raw]


class Model:
    """What the accepted writes put into each bucket of one coarse interval, as given."""

    def __init__(self, kind, calc):
        self.kind, self.calc = kind, calc
        self.cells = OrderedDict()   # (name, bucket) -> values in write order
        self.unknown = set()         # (name, bucket) that took a write the model does not know

    def add(self, name, values, timestamp, shift, known=True):
        timestamp = T0 if timestamp is None else check_timestamp(timestamp)
        bucket = self.calc.bucket(timestamp)
        step = 1 if shift > 0 else -1
        buckets = [bucket] + [self.calc.shift(bucket, n) for n in range(step, shift + step, step)
                              if shift]
        for bucket in buckets:
            self.cells.setdefault((name, bucket), []).extend(values)
            if not known:
                self.unknown.add((name, bucket))

    def record(self, call, args):
        if call == 'insert':
            name, value, timestamp, shift = args
            # what insert(name, None) stores is not modelled
            self.add(name, values_of(value), timestamp, shift, value is not None)
        else:
            inserts, shift = args
            for timestamp, by_name in inserts.items():
                for name, raw in by_name.items():
                    self.add(name, values_of(raw), timestamp, shift)


class EdgeBehaviour:
    """Edge inputs are refused with a KairosException that wrote nothing, or stored right."""

    def make(self, intervals, kind='series', **kwargs):
        if self.backend == 'redis' and 'prefix' not in kwargs:
            kwargs['prefix'] = 'edge'
        elif self.backend != 'redis':
            kwargs.pop('prefix', None)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', KairosWarning)
            return self.timeseries(type=kind, intervals=intervals, clock=lambda: T0, **kwargs)

    def attempt(self, call, *args, **kwargs):
        """call(*args, **kwargs), or REFUSED where it raised a KairosException that left
        the store as it was; any other exception fails the test."""
        before = self.snapshot()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore', KairosWarning)
                return call(*args, **kwargs)
        except KairosException as exc:
            self.assertEqual(before, self.snapshot(), 'refused with %r, yet wrote' % (exc,))
            return REFUSED

    @EDGE_SETTINGS
    @given(kind=edge.types, intervals=edge.intervals, prefix=edge.prefixes,
           read_func=edge.funcs, write_func=edge.funcs)
    def test_constructor_configurations(self, kind, intervals, prefix, read_func, write_func):
        """Any constructor configuration builds or raises a KairosException, and what builds can be called."""
        self.clear()
        t = self.attempt(self.make, intervals, kind, prefix=prefix, read_func=read_func,
                         write_func=write_func)
        if t is REFUSED:
            return
        interval = next(iter(intervals), 'minute')
        value = PLAIN.get(kind, 'v')
        for call, args in ((t.insert, ('a', value, T0)), (t.get, ('a', interval, T0)),
                           (t.series, ('a', interval)), (t.properties, ('a',)),
                           (t.list, ()), (t.delete, ('a',)), (t.delete_all, ())):
            self.attempt(call, *args)

    @EDGE_SETTINGS
    @given(config=st.sampled_from(sorted(CONFIGS)), kind=st.sampled_from(TYPES), data=st.data())
    def test_writes(self, config, kind, data):
        """insert and bulk_insert of edge inputs write nothing when refused and read back the model when accepted."""
        self.clear()
        intervals, modelled = CONFIGS[config]
        t = self.make(intervals, kind)
        model = Model(kind, t._intervals[modelled].i_calc) if modelled else None
        for _ in range(data.draw(st.integers(1, 4), label='calls')):
            call, args = data.draw(write_calls(kind), label='write')
            if self.attempt(getattr(t, call), *args) is not REFUSED and model:
                model.record(call, args)
        if model:
            for (name, bucket), values in model.cells.items():
                if (name, bucket) in model.unknown:
                    continue
                stamp = model.calc.from_bucket(bucket)
                self.check_row(kind, values, t.get(name, modelled, stamp)[stamp])

    def check_row(self, kind, values, row):
        """One bucket read back holds what the model says of ``values``."""
        text = all(isinstance(value, str) for value in values)
        if kind == 'count':
            if all(type(value) is int for value in values):
                self.assertEqual(sum(values), row)
            elif all(isinstance(value, (int, float)) for value in values):
                total = sum(values)
                if not math.isfinite(total):
                    # past the float range Redis adds on in long double (2e308 reads back
                    # as an int); Mongo and SQLite read back inf
                    return
                tolerance = 1e-9 * sum(abs(value) for value in values)
                if self.backend == 'redis':
                    # Redis's INCRBYFLOAT keeps 17 decimal places: 1e-290 adds 0 there
                    tolerance += 1e-17 * len(values)
                self.assertTrue(row == total or abs(row - total) <= tolerance,
                                '%r read back, %r added' % (row, values))
        elif kind == 'series':
            self.assertEqual(values if text else len(values), row if text else len(row))
        elif kind == 'set' and text:
            self.assertEqual(set(values), row)
        elif kind == 'histogram':
            self.assertEqual(len(values), sum(row.values()))
        elif kind == 'gauge' and isinstance(values[-1], str):
            self.assertEqual(values[-1], row)

    @EDGE_SETTINGS
    @given(config=st.sampled_from(sorted(CONFIGS)), kind=st.sampled_from(TYPES), data=st.data())
    def test_reads(self, config, kind, data):
        """get and series with edge names, stamps and options return or raise a KairosException, and write nothing."""
        self.clear()
        intervals = CONFIGS[config][0]
        read_func = data.draw(st.sampled_from([None, float]), label='read_func')
        t = self.make(intervals, kind, read_func=read_func)
        value = NUMERIC[kind]
        t.bulk_insert({T0: {'a': [value]}, T0 + 86400: {'a': [value], 'b': [value]}})
        before = self.snapshot()
        for _ in range(data.draw(st.integers(1, 4), label='reads')):
            call, name, interval, kwargs = data.draw(read_calls(intervals).filter(
                lambda read: allowed(read[3])), label='read')
            rows = self.attempt(getattr(t, call), name, interval, **kwargs)
            if rows is not REFUSED:
                self.assertIsInstance(rows, OrderedDict)
            self.assertEqual(before, self.snapshot())

    def test_fetch_not_callable(self):
        """A fetch that is not callable raises InvalidQuery in get, series and iterate."""
        t = self.make(CONFIGS['seconds'][0], 'count')
        t.insert('a', 1, T0)
        for fetch in (5, 'x'):
            for call in (lambda: t.get('a', 'second', T0, fetch=fetch),
                         lambda: t.series('a', 'hour', end=T0, fetch=fetch),
                         lambda: list(t.iterate('a', 'second', fetch=fetch))):
                with self.assertRaises(InvalidQuery) as caught:
                    call()
                self.assertIn(repr(fetch), str(caught.exception))

    @EDGE_SETTINGS
    @given(config=st.sampled_from(['seconds', 'calendar', 'big']), kind=st.sampled_from(TYPES),
           data=st.data())
    def test_meta_data(self, config, kind, data):
        """list, properties, expire, delete and delete_all of edge names see exactly the names written."""
        self.clear()
        intervals = CONFIGS[config][0]
        t = self.make(intervals, kind)
        written = set()
        for name in data.draw(st.lists(edge.names, min_size=1, max_size=4), label='names'):
            stamp = data.draw(st.one_of(st.just(T0), edge.timestamps), label='stamp')
            if self.attempt(t.insert, name, PLAIN[kind], stamp) is not REFUSED:
                written.add(name)
        self.assertEqual(sorted(written), t.list())
        for name in data.draw(st.lists(edge.names, min_size=1, max_size=3), label='deleted'):
            properties = self.attempt(t.properties, name)
            if properties is not REFUSED:
                self.assertEqual(sorted(intervals) if name in written else [],
                                 sorted(properties))
            self.assertIn(self.attempt(t.expire, name), (0, REFUSED))
            if config == 'big' and name in written:   # a few buckets of 2**62 seconds
                times = [time for time, _ in t.iterate(name, 'huge')]
                self.assertEqual(properties['huge']['first'], times[0])
                self.assertEqual(properties['huge']['last'], times[-1])
            if self.attempt(t.delete, name) is not REFUSED:
                written.discard(name)
            self.assertEqual(sorted(written), t.list())
        t.delete_all()
        self.assertEqual([], t.list())


class TestEdgesRedis(EdgeBehaviour, RedisCase):
    pass


class TestEdgesRedisCluster(EdgeBehaviour, RedisClusterCase):
    pass


class TestEdgesRedisClusterHashTag(EdgeBehaviour, RedisClusterHashTagCase):
    pass


class TestEdgesMongo(EdgeBehaviour, MongoCase):
    pass


class TestEdgesSqlite(EdgeBehaviour, SqliteCase):
    pass


class TestEdgesPostgres(EdgeBehaviour, PostgresCase):
    pass


class TestEdgesMysql(EdgeBehaviour, MysqlCase):
    pass
