"""A small in-memory reference model of kairos semantics, for test_model.py.

Written from the documented behaviour (kairos 0.5.0 plus the deliberate
fixes listed in the project notes), without calling the library. Only the
intervals used by the model tests are supported: relative steps in seconds
and 'daily', which in UTC is a relative step of 86400 seconds.

Data is kept already read back, the way ``read_func`` returns it::

    cells[(interval, name)] = {i_start: row}                  no resolution
                            | {i_start: {r_start: row}}       with a resolution
"""

import contextlib
import math
from collections import Counter, OrderedDict
from fractions import Fraction

import numpy

MISSING = object()
DAY = 86400


class ModelQueryError(Exception):
    """The model expects the library to raise InvalidQuery."""


def seconds(step):
    return DAY if step == 'daily' else int(step)


def floor_to(timestamp, step):
    return int(math.floor(timestamp / step)) * step


# -- per type: how values land in a row, and how rows combine ---------------

def _apply(kind, row, values):
    if kind == 'series':
        return (row if row is not MISSING else []) + list(values)
    if kind == 'histogram':
        row = Counter(row if row is not MISSING else {})
        row.update(values)
        return dict(row)
    if kind == 'count':
        return (row if row is not MISSING else 0) + sum(values)
    if kind == 'gauge':
        return values[-1]
    if kind == 'set':
        return (row if row is not MISSING else set()) | set(values)
    raise AssertionError(kind)


def combine(kind, rows):
    """Condense rows over time, or join rows of several names: same rule per type."""
    rows = [row for row in rows if row is not MISSING]
    if not rows:
        return MISSING
    if kind == 'series':
        return [value for row in rows for value in row]
    if kind == 'histogram':
        total = Counter()
        for row in rows:
            total.update(row)
        return dict(total)
    if kind == 'count':
        return sum(rows)
    if kind == 'gauge':
        return rows[-1]
    if kind == 'set':
        return set().union(*rows)
    raise AssertionError(kind)


def no_value(kind):
    return {'series': [], 'histogram': {}, 'count': 0, 'gauge': None, 'set': set()}[kind]


def _value_statistic(name, values):
    """median, p<q>, stddev, first, last of a bucket's values (in order); None when empty.

    Percentiles are numpy's default method; stddev the exact population variance,
    rounded once, then its square root."""
    if not values:
        return None
    if name == 'first':
        return values[0]
    if name == 'last':
        return values[-1]
    if name == 'stddev':
        mean = Fraction(sum(values), len(values))
        return math.sqrt(float(sum((Fraction(v) - mean) ** 2 for v in values) / len(values)))
    q = 50 if name == 'median' else float(name[1:])
    return float(numpy.percentile(numpy.array(values), q))


VALUE_STATISTICS = ('median', 'stddev', 'first', 'last')


def _is_value_statistic(name):
    return name in VALUE_STATISTICS or name.startswith('p')


def _sequence_transform(name, data):
    if _is_value_statistic(name):
        return _value_statistic(name, list(data) if isinstance(data, list) else sorted(data))
    data = list(data)
    if name == 'mean':
        return sum(data) / len(data) if data else 0
    if name == 'count':
        return len(data)
    if name == 'min':
        return min(data) if data else 0
    if name == 'max':
        return max(data) if data else 0
    return sum(data)


def _histogram_transform(name, data):
    if _is_value_statistic(name):
        return _value_statistic(name, sorted(Counter(data).elements()))
    total = sum(data.values())
    weighted = sum(value * count for value, count in data.items())
    if name == 'mean':
        return weighted / total if total else 0
    if name == 'count':
        return total
    if name == 'min':
        return min(data) if data else 0
    if name == 'max':
        return max(data) if data else 0
    return weighted


def transform(kind, data, how):
    if how is None:
        return data
    if isinstance(how, (list, tuple)):
        return OrderedDict((t, transform(kind, data, t)) for t in how)
    if isinstance(how, dict):
        return OrderedDict((key, transform(kind, data, t)) for key, t in how.items())
    if callable(how):
        return how(data)
    if kind in ('count', 'gauge'):
        return data
    if kind == 'histogram':
        return _histogram_transform(how, data)
    return _sequence_transform(how, data)


# -- the model ---------------------------------------------------------------

class Model:
    """What a Timeseries of one type should hold and return."""

    def __init__(self, kind, intervals, backend):
        self.kind, self.backend = kind, backend
        self.intervals = {}
        for name, config in intervals.items():
            step = seconds(config['step'])
            resolution = seconds(config.get('resolution', config['step']))
            self.intervals[name] = (step, None if resolution == step else resolution,
                                    config.get('steps'))
        self.cells = {}
        # Redis count cells holding a data key: a call whose increments into a cell add
        # up to 0 writes none (as kairos 0.5.0), so delete() counts one key fewer
        self.keyed = set()
        self.call_sums = None

    # writing

    @contextlib.contextmanager
    def call(self):
        """Group the writes of one library call (its increments are merged per bucket)."""
        self.call_sums = Counter()
        try:
            yield
        finally:
            self.keyed.update(cell for cell, total in self.call_sums.items() if total)
            self.call_sums = None

    def write(self, name, timestamp, values, shift=0):
        if not values:
            return  # no values: nothing written
        if self.call_sums is None:
            with self.call():
                return self.write(name, timestamp, values, shift)
        for interval, (step, resolution, _) in self.intervals.items():
            stamps = [timestamp]
            if shift:
                sign = 1 if shift > 0 else -1
                base = floor_to(timestamp, step)
                stamps += [base + n * step for n in range(sign, shift + sign, sign)]
            table = self.cells.setdefault((interval, name), {})
            for stamp in stamps:
                i_start = floor_to(stamp, step)
                if resolution is None:
                    r_start = None
                    table[i_start] = _apply(self.kind, table.get(i_start, MISSING), values)
                else:
                    inner = table.setdefault(i_start, {})
                    r_start = floor_to(stamp, resolution)
                    inner[r_start] = _apply(self.kind, inner.get(r_start, MISSING), values)
                if self.kind == 'count':
                    self.call_sums[(interval, name, i_start, r_start)] += sum(values)

    def delete(self, name):
        """Remove ``name``; the number of records the backend reports removing."""
        removed = 0
        for interval, (_, resolution, _) in self.intervals.items():
            table = self.cells.pop((interval, name), {})
            for i_start, row in table.items():
                if self.backend == 'sql':
                    removed += sum(map(self._sql_rows, row.values() if resolution else [row]))
                elif resolution is None:
                    removed += self._records(interval, name, i_start, None)
                else:
                    # Redis: an index key plus a key per resolution; Mongo: a document each
                    removed += sum(self._records(interval, name, i_start, r_start)
                                   for r_start in row) + (self.backend == 'redis')
        self.keyed = {cell for cell in self.keyed if cell[1] != name}
        return removed

    def _records(self, interval, name, i_start, r_start):
        if self.kind == 'count' and self.backend == 'redis':
            return int((interval, name, i_start, r_start) in self.keyed)
        return 1

    def _sql_rows(self, data):
        """SQL rows of one bucket: a row per value (series), distinct value or member."""
        return len(data) if self.kind in ('series', 'histogram', 'set') else 1

    # reading

    def _row(self, interval, names, i_start):
        """The joined row of ``names`` in one interval bucket (dict by r_start if fine)."""
        resolution = self.intervals[interval][1]
        tables = [self.cells.get((interval, name), {}) for name in names]
        if resolution is None:
            return combine(self.kind, [t.get(i_start, MISSING) for t in tables])
        inners = [t.get(i_start, {}) for t in tables]
        r_starts = sorted(set().union(*inners))
        return OrderedDict((r, combine(self.kind, [inner.get(r, MISSING) for inner in inners]))
                           for r in r_starts)

    def _final(self, row, how):
        return transform(self.kind, no_value(self.kind) if row is MISSING else row, how)

    def get(self, names, interval, timestamp, condensed=False, how=None):
        step, resolution, _ = self.intervals[interval]
        names = [names] if isinstance(names, str) else list(names)
        i_start = floor_to(timestamp, step)
        row = self._row(interval, names, i_start)
        if resolution is None:
            return OrderedDict([(i_start, self._final(row, how))])
        if condensed:
            return OrderedDict([(i_start, self._final(combine(self.kind, row.values()), how))])
        return OrderedDict((r, self._final(data, how)) for r, data in row.items())

    def window(self, interval, now, steps=None, start=None, end=None):
        step, _, default_steps = self.intervals[interval]
        steps = steps if steps is not None else (default_steps or 1)
        if start is not None:
            first = floor_to(start, step)
            last = floor_to(end, step) if end is not None else first + (steps - 1) * step
        else:
            last = floor_to(end if end is not None else now, step)
            first = last - (steps - 1) * step
        if first > last:
            raise ModelQueryError('start after end')
        return list(range(first, last + step, step))

    def series(self, names, interval, now, steps=None, condensed=False, start=None, end=None,
               how=None, collapse=False):
        resolution = self.intervals[interval][1]
        names = [names] if isinstance(names, str) else list(names)
        starts = self.window(interval, now, steps, start, end)
        rows = [self._row(interval, names, i_start) for i_start in starts]
        if resolution is not None and (condensed or collapse):
            rows = [combine(self.kind, row.values()) for row in rows]
        if collapse:
            return OrderedDict([(starts[0], self._final(combine(self.kind, rows), how))])
        if resolution is not None and not condensed:
            return OrderedDict(
                (i_start, OrderedDict((r, self._final(data, how)) for r, data in row.items()))
                for i_start, row in zip(starts, rows))
        return OrderedDict((i_start, self._final(row, how)) for i_start, row in zip(starts, rows))


def shape(result):
    """Results as nested lists of (key, value) pairs, so that key order is compared too.

    Row values (lists, sets, histogram dicts) compare as they are.
    """
    if isinstance(result, OrderedDict):
        return [(key, shape(value)) for key, value in result.items()]
    return result
