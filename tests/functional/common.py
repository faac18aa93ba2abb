"""Shared constants and small helpers for the functional tests.

The timeline follows the kairos 0.5.0 test helpers: ``at(t)`` is
1800000000 + t, an exact hour (bucket 30000000 of a 60 s step, bucket
500000 of a 3600 s step).
"""

import calendar
import os
import math
from collections import Counter
from datetime import datetime
from fractions import Fraction

from hypothesis import HealthCheck, settings

import kairos.summary

T0 = 1800000000


# hypothesis settings of the model-based tests: KAIROS_FUZZ_EXAMPLES examples, the same
# ones every run
FUZZ = settings(max_examples=int(os.environ.get('KAIROS_FUZZ_EXAMPLES', 25)), deadline=None,
                database=None, derandomize=True, suppress_health_check=list(HealthCheck))

# three values each type stores on every backend; every type kairos has must be here
SAMPLES = {'series': ['a', 'b', 'a'], 'histogram': ['1', '2', '1'], 'count': [1, 2, 5],
           'gauge': ['x', 'y', 'z'], 'set': ['a', 'b', 'a'], 'summary': [1, 2.5, -4],
           'distinct': ['a', 'b', 'a'], 'sketch': [1, 2.5, -4]}


def at(t):
    """The timestamp t seconds after T0."""
    return T0 + t


def utc(*args):
    """UTC timestamp of datetime(*args)."""
    return calendar.timegm(datetime(*args).timetuple())


def intervals():
    """minute: step 60, steps 5 (coarse); hour: step 3600, resolution 60 (fine)."""
    return {'minute': {'step': 60, 'steps': 5},
            'hour': {'step': 3600, 'resolution': 60}}


def without_retention():
    """intervals() without steps: reads that see every bucket, whatever the clock says
    of its latest write (SQL hides by the reader's clock; Redis and Mongo by the
    server's)."""
    return {name: {k: v for k, v in config.items() if k != 'steps'}
            for name, config in intervals().items()}


def gauge_read(value):
    """read_func for gauges as in the 0.5.0 helpers: '' (missing) reads as 0."""
    return int(value or 0)


def canonical(row) -> str:
    """repr of a row, histograms sorted: the order of a dict's keys is not promised."""
    return repr(sorted(row.items()) if isinstance(row, dict) else row)


def plain(value):
    """Turn OrderedDicts (nested too) into dicts, for readable comparisons."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


class Model:
    """What a type stores, computed independently of kairos.

    A data point is a source number ``s``; ``value(s)`` is what is inserted.
    ``row(ss)`` is the row one bucket holding those points reads back as,
    ``combine(rows)`` joins rows of several names, ``empty`` is a bucket
    without data and ``stat(name, row)`` a named transform.
    """

    type = None
    read_func = None
    empty = None

    def value(self, s):
        return s

    def row(self, ss):
        raise NotImplementedError

    def combine(self, rows):
        raise NotImplementedError

    def elements(self, row):
        return list(row)

    def row_type(self, row):
        """The class of kairos's row where the model's is ``row``."""
        return type(row)

    def stat(self, name, row):
        data = self.elements(row)
        if name == 'count':
            return len(data)
        if name == 'sum':
            return sum(data)
        if name == 'min':
            return min(data) if data else 0
        if name == 'max':
            return max(data) if data else 0
        if name == 'mean':
            return float(sum(data)) / len(data) if data else 0
        raise KeyError(name)


class SeriesModel(Model):
    type = 'series'
    read_func = int
    empty = []

    def row(self, ss):
        return list(ss)

    def combine(self, rows):
        return [v for row in rows for v in row]


class HistogramModel(Model):
    type = 'histogram'
    read_func = int
    empty = {}

    def value(self, s):
        return s // 2

    def row(self, ss):
        return dict(Counter(s // 2 for s in ss))

    def combine(self, rows):
        total = Counter()
        for row in rows:
            total.update(row)
        return dict(total)

    def elements(self, row):
        return list(Counter(row).elements())


class CountModel(Model):
    type = 'count'
    empty = 0

    def value(self, s):
        return 1

    def row(self, ss):
        return len(ss) if ss else 0

    def combine(self, rows):
        return sum(rows)

    def stat(self, name, row):
        return row  # a count is one value: every named transform returns it


class GaugeModel(Model):
    type = 'gauge'
    read_func = staticmethod(gauge_read)
    empty = 0

    def row(self, ss):
        return ss[-1] if ss else 0

    def combine(self, rows):
        return rows[-1]

    def stat(self, name, row):
        return row


class SetModel(Model):
    type = 'set'
    read_func = int
    empty = set()

    def value(self, s):
        return s // 15

    def row(self, ss):
        return {s // 15 for s in ss}

    def combine(self, rows):
        return set().union(*rows)


class SummaryRow(dict):
    """A model summary row: the statistics of ``values``, which it keeps for joins."""

    def __init__(self, values):
        n, total = len(values), sum(values)
        variance = Fraction(n * sum(v * v for v in values) - total * total, n * n)
        super().__init__(count=n, sum=total, min=min(values), max=max(values),
                         mean=total / n, stddev=math.sqrt(variance))
        self.values = list(values)


class SummaryModel(Model):
    type = 'summary'
    empty = None

    def row(self, ss):
        return SummaryRow(ss) if ss else None

    def combine(self, rows):
        return self.row([v for row in rows if row for v in row.values])

    def elements(self, row):
        return row.values if row else []

    def row_type(self, row):
        return kairos.summary.SummaryRow

    def stat(self, name, row):
        return None if row is None else row[name]


MODELS = {m.type: m for m in (SeriesModel(), HistogramModel(), CountModel(), GaugeModel(),
                              SetModel(), SummaryModel())}

# what each type's bucket is read with, for custom Redis fetch hooks
REDIS_READS = {
    'series': lambda handle, key: handle.lrange(key, 0, -1),
    'histogram': lambda handle, key: handle.hgetall(key),
    'count': lambda handle, key: handle.get(key),
    'gauge': lambda handle, key: handle.get(key),
    'set': lambda handle, key: handle.smembers(key),
    'summary': lambda handle, key: handle.zrange(key, 0, -1, withscores=True),
}


def sql_fetch(io, pick):
    """An SQL fetch hook returning what ``pick(rows, statement)`` makes of the rows its
    statement selects: on a Connection, or with ``io`` 'asyncio' on an AsyncConnection,
    whose execute it awaits."""
    if io == 'asyncio':
        async def fetch(connection, statement):
            return pick((await connection.execute(statement)).all(), statement)
    else:
        def fetch(connection, statement):
            return pick(connection.execute(statement).all(), statement)
    return fetch


def recording_fetch(backend, type_name, seen, io='blocking'):
    """A fetch hook for ``backend`` that records its calls and reads as kairos would
    (``io``: the kind of client it gets, on SQL)."""
    if backend == 'redis':
        read = REDIS_READS[type_name]

        def fetch(handle, key):
            seen.append(key)
            return read(handle, key)
    elif backend == 'sql':
        def record(rows, statement):
            seen.extend(sorted({row[0] for row in rows}))   # the names whose rows it read
            return rows
        fetch = sql_fetch(io, record)
    else:
        def fetch(collection, spec, method, sort=None):
            seen.append((method, spec))
            if method == 'find_one':
                return collection.find_one(spec)
            return collection.find(spec, sort=sort)
    return fetch


class TypeFixture:
    """Mixin: a Timeseries of ``model.type`` filled with a little data.

    'test' holds points t = 1, 4, ..., 298 and 3600, 3603, ..., 3657 (value
    from s = t); 'other' holds t = 60, 64, ..., 176 (value from s = t + 10000).
    """

    async_twin = True  # run on kairos.asyncio too (tests.support.AsyncCase)

    model = None
    POINTS = {
        'test': [(t, t) for t in list(range(1, 300, 3)) + list(range(3600, 3660, 3))],
        'other': [(t, t + 10000) for t in range(60, 180, 4)],
    }

    def setUp(self):
        super().setUp()
        self.t = self.make()
        inserts = {}
        for name, points in self.POINTS.items():
            for t, s in points:
                inserts.setdefault(at(t), {})[name] = [self.model.value(s)]
        self.t.bulk_insert(dict(sorted(inserts.items())))

    def make(self, **kwargs):
        kwargs.setdefault('type', self.model.type)
        kwargs.setdefault('read_func', self.model.read_func)
        kwargs.setdefault('prefix', 'kairos')
        kwargs.setdefault('intervals', intervals())
        return self.timeseries(**kwargs)

    def row(self, lo, hi, names=('test',)):
        """Expected row of the names joined, for points with lo <= t < hi."""
        rows = []
        for name in names:
            ss = [s for t, s in self.POINTS[name] if lo <= t < hi]
            if ss:
                rows.append(self.model.row(ss))
        if not rows:
            return self.model.empty
        return rows[0] if len(rows) == 1 else self.model.combine(rows)

    def fine(self, lo, hi, names=('test',)):
        """Expected {minute start: row} of the minutes in [lo, hi) that hold data."""
        rval = {}
        for m in range(lo - lo % 60, hi, 60):
            if any(m <= t < m + 60 for name in names for t, _ in self.POINTS[name]):
                rval[at(m)] = self.row(m, m + 60, names)
        return rval


def backend_label(case) -> str:
    """'Redis', 'RedisCluster', 'Mongo', 'Sqlite', ...: the suffix of a test class name."""
    return getattr(case, 'label', None) or \
        (getattr(case, 'dialect', None) or case.backend).title()


def declare_cases(namespace, behaviour, label):
    """Add Test<Type><label><Backend> classes: ``behaviour`` on every type and backend."""
    from tests.support import (SQL_CASES, MongoCase, RedisCase, RedisClusterCase,
                               RedisClusterHashTagCase)
    for kind, model in MODELS.items():
        mixin = type('%s%s' % (kind.title(), label), (behaviour,), {'model': model})
        for case in (RedisCase, RedisClusterCase, RedisClusterHashTagCase, MongoCase) + SQL_CASES:
            name = 'Test%s%s%s' % (kind.title(), label, backend_label(case))
            namespace[name] = type(name, (mixin, case), {'__module__': namespace['__name__']})
