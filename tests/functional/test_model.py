"""Random operation sequences checked against the reference model in model.py.

For each type and backend a hypothesis state machine runs inserts, bulk
inserts, gets, series (every read option), deletes and clock moves, and
compares every answer with the model. Timestamps come from a few hours and
days around one instant, so buckets collide often.

The example budget is ``KAIROS_FUZZ_EXAMPLES`` (default 100) per type and
backend; RUNS counts the examples and steps actually run.
"""

import os

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis import stateful
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from kairos import InvalidQuery, InvalidValue

from tests.functional.model import Model, ModelQueryError, shape
from tests.support import MongoCase, RedisCase, RedisClusterCase

RUNS = {'examples': 0, 'steps': 0}

T0 = 1800000000  # 2027-01-15 08:00 UTC, an hour start
INTERVALS = {
    'm': {'step': 60},
    'h': {'step': 3600, 'resolution': 60},
    'd': {'step': 'daily', 'steps': 3, 'resolution': 3600},
}
NAMES = ['a', 'b', 'a:b', 'b*']
TRANSFORM_NAMES = ['mean', 'count', 'min', 'max', 'sum']
# the transforms of a bucket's values, on the types whose rows hold them
VALUE_TRANSFORMS = {
    'series': ['median', 'p50', 'p90', 'p99.9', 'stddev', 'first', 'last'],
    'histogram': ['median', 'p50', 'p90', 'p99.9', 'stddev'],
    'set': ['median', 'p50', 'p90', 'p99.9', 'stddev'],
}


def _size(data):
    """A callable transform valid for every type: the row's size, or the value itself."""
    return len(data) if isinstance(data, (list, set, dict)) else data


READ_FUNCS = {
    'series': int,
    'histogram': int,
    'count': None,
    'gauge': lambda v: int(v) if v != '' else None,
    'set': int,
}

timestamps = st.builds(
    lambda minute, second: T0 + minute * 60 + second,
    st.one_of(st.integers(-3, 3), st.integers(-1500, 1500)),
    st.sampled_from([0, 1, 30, 59, 59.5]))
maybe_timestamps = st.one_of(st.none(), timestamps)
names = st.sampled_from(NAMES)
name_args = st.one_of(names, st.lists(names, min_size=1, max_size=3))
shifts = st.sampled_from([0, 0, 0, 1, -1, 2])


def transforms_for(kind):
    """transform= arguments for a type: its names, lists and dicts of them, or a callable."""
    names = TRANSFORM_NAMES + VALUE_TRANSFORMS.get(kind, [])
    return st.one_of(
        st.none(),
        st.sampled_from(names),
        st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True),
        st.dictionaries(st.sampled_from(['x', 'y']), st.sampled_from(names + [_size]),
                        min_size=1),
        st.just(_size))


intervals = st.sampled_from(sorted(INTERVALS))


def values_for(kind):
    if kind == 'count':
        return st.one_of(st.integers(-3, 3), st.sampled_from([0.5, -1.5, 2.5]))
    return st.integers(-3, 3)


def value_lists(kind, empty):
    return st.lists(values_for(kind), min_size=0 if empty else 1, max_size=4)


# insert(name, []) is refused; in bulk_insert an empty list writes nothing.
# Set to False to look past those cases.
EMPTY_VALUE_LISTS = os.environ.get('KAIROS_MODEL_EMPTY_LISTS', '1') == '1'


def machine_for(case, kind):
    """A state machine class bound to one test case (backend) and type."""
    values = values_for(kind)
    lists = value_lists(kind, EMPTY_VALUE_LISTS)
    transforms = transforms_for(kind)

    class Machine(RuleBasedStateMachine):

        def __init__(self):
            super().__init__()
            RUNS['examples'] += 1
            case.clear()
            self.now = T0 + 30
            self.model = Model(kind, INTERVALS, case.backend)
            self.t = case.timeseries(type=kind, intervals=INTERVALS, read_func=READ_FUNCS[kind],
                                     clock=lambda: self.now)

        def check(self, what, expected, actual):
            RUNS['steps'] += 1
            assert shape(expected) == shape(actual), '%s:\n expected %r\n actual   %r' % (
                what, expected, actual)

        @initialize(name=names, value=values, timestamp=timestamps)
        def seed(self, name, value, timestamp):
            self.t.insert(name, value, timestamp)
            self.model.write(name, timestamp, [value])

        @rule(now=timestamps)
        def move_clock(self, now):
            self.now = now

        @rule(name=names, value=st.one_of(values, lists), timestamp=maybe_timestamps,
              shift=shifts, default=st.booleans())
        def insert(self, name, value, timestamp, shift, default):
            stamp = self.now if timestamp is None else timestamp
            if value == []:
                # nothing to insert is a mistake worth telling: refused, nothing written
                try:
                    self.t.insert(name, value, timestamp, intervals=shift)
                except InvalidValue:
                    RUNS['steps'] += 1
                    return
                raise AssertionError('insert(%r, []) did not raise InvalidValue' % name)
            if kind == 'count' and default:
                self.t.insert(name, timestamp=timestamp, intervals=shift)
                value = 1
            else:
                self.t.insert(name, value, timestamp, intervals=shift)
            self.model.write(name, stamp, value if isinstance(value, list) else [value], shift)

        @rule(points=st.dictionaries(maybe_timestamps, st.dictionaries(
                  names, st.one_of(values, lists), min_size=1, max_size=3),
                  min_size=1, max_size=3),
              shift=shifts)
        def bulk_insert(self, points, shift):
            self.t.bulk_insert(points, intervals=shift)
            with self.model.call():
                for timestamp, by_name in points.items():
                    stamp = self.now if timestamp is None else timestamp
                    for name, value in by_name.items():
                        self.model.write(name, stamp,
                                         value if isinstance(value, list) else [value], shift)

        @rule(name=name_args, interval=intervals, timestamp=maybe_timestamps,
              condensed=st.booleans(), how=transforms)
        def get(self, name, interval, timestamp, condensed, how):
            actual = self.t.get(name, interval, timestamp, condensed=condensed, transform=how)
            stamp = self.now if timestamp is None else timestamp
            expected = self.model.get(name, interval, stamp, condensed, how)
            self.check('get(%r, %r, %r, condensed=%r, transform=%r)'
                       % (name, interval, timestamp, condensed, how), expected, actual)

        @rule(name=name_args, interval=intervals, steps=st.one_of(st.none(), st.integers(1, 4)),
              start=maybe_timestamps, end=maybe_timestamps, condensed=st.booleans(),
              collapse=st.booleans(), how=transforms)
        def series(self, name, interval, steps, start, end, condensed, collapse, how):
            call = 'series(%r, %r, steps=%r, start=%r, end=%r, condensed=%r, collapse=%r, ' \
                   'transform=%r)' % (name, interval, steps, start, end, condensed, collapse, how)
            try:
                expected = self.model.series(name, interval, self.now, steps, condensed, start,
                                             end, how, collapse)
            except ModelQueryError:
                try:
                    self.t.series(name, interval, steps=steps, condensed=condensed, start=start,
                                  end=end, transform=how, collapse=collapse)
                except InvalidQuery:
                    RUNS['steps'] += 1
                    return
                raise AssertionError('%s: expected InvalidQuery' % call)
            actual = self.t.series(name, interval, steps=steps, condensed=condensed, start=start,
                                   end=end, transform=how, collapse=collapse)
            self.check(call, expected, actual)

        @rule(name=names)
        def delete(self, name):
            self.check('delete(%r)' % name, self.model.delete(name), self.t.delete(name))

    Machine.__name__ = 'Model_%s_%s' % (kind, case.backend)
    return Machine


SETTINGS = settings(max_examples=int(os.environ.get('KAIROS_FUZZ_EXAMPLES', 100)),
                    deadline=None, stateful_step_count=15, database=None,
                    suppress_health_check=list(HealthCheck))


class ModelBehaviour:
    """Every type agrees with the reference model over random operation sequences."""

    async_twin = True  # run on kairos.asyncio too (tests.support.AsyncCase)

    def run_model(self, kind):
        stateful.run_state_machine_as_test(machine_for(self, kind), settings=SETTINGS)

    def test_series_matches_model(self):
        """A series agrees with the model over random operations."""
        self.run_model('series')

    def test_histogram_matches_model(self):
        """A histogram agrees with the model over random operations."""
        self.run_model('histogram')

    def test_count_matches_model(self):
        """A count agrees with the model over random operations."""
        self.run_model('count')

    def test_gauge_matches_model(self):
        """A gauge agrees with the model over random operations."""
        self.run_model('gauge')

    def test_set_matches_model(self):
        """A set agrees with the model over random operations."""
        self.run_model('set')


class TestModelRedis(ModelBehaviour, RedisCase):
    pass


class TestModelRedisCluster(TestModelRedis, RedisClusterCase):
    """The same on a Redis Cluster."""


class TestModelMongo(ModelBehaviour, MongoCase):
    pass


def _report():
    if os.environ.get('KAIROS_FUZZ_REPORT'):
        print('test_model: %(examples)d examples, %(steps)d checked steps' % RUNS)


__import__('atexit').register(_report)
