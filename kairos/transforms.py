"""Read-side transforms: name -> function tables, one per shape of row.

A transform turns one row of data (after ``read_func`` and after any
condensing) into a summary. Rows are lists (series), sets (set), dicts of
value -> count (histogram), single values (count, gauge) or dicts of figures
(summary, sketch: their types hold their own tables).

Besides kairos 0.5.0's mean, count, min, max, sum (and 0.10.1's rate), rows
that hold values take ``median``, ``stddev`` and percentiles named ``p<q>``
(``p50``, ``p99.9``; see kairos.stats, and kairos.sketch_type for a sketch's,
read from its bins); a series, whose values keep their order, also takes
``first`` and ``last``. ``percentile(q)`` is the callable form of ``p<q>``.

A transform that needs the length of its row's bucket in seconds (``rate``,
or any callable with exactly two required positional parameters, as kairos
0.10.1 called them) is called ``f(data, duration)``; any other callable
(one parameter, builtins such as ``sum``, optional extras) is called
``f(data)``, as kairos 0.5.0 did. ``compile_transform`` makes that choice
once per read.
"""

import collections.abc
import inspect
import numbers
import re
from collections import OrderedDict
from decimal import Decimal
from typing import AbstractSet, Any, Callable, Dict, Iterable, Mapping, Optional, Sequence, Union

from . import stats
from .exceptions import InvalidQuery

# a transform as a read runs it: f(data, duration in seconds)
Transform = Callable[[Any, Any], Any]
# what ``transform=`` takes: a name, a callable, several of them, or {label: one of them}
TransformSpec = Union[str, Callable[..., Any]]
TransformArg = Union[TransformSpec, Sequence[TransformSpec], AbstractSet[TransformSpec],
                     Mapping[Any, TransformSpec]]


def _seq_mean(data: Iterable[Any]) -> Any:
    data = list(data)
    return float(sum(data)) / len(data) if data else 0


def _seq_min(data: Any) -> Any:
    return min(data) if data else 0


def _seq_max(data: Any) -> Any:
    return max(data) if data else 0


def _seq_rate(data: Any, duration: Any) -> Any:
    """Values per second of the bucket."""
    return len(data) / duration


class Percentile:
    """The transform ``p<q>``: the q-th percentile (0 < q <= 100) of a row's values.

    It takes a series' list, a set, or a histogram's ``{value: count}``
    (whose counts are not expanded), and gives a float, or None for an empty
    row; see kairos.stats for the method. In a list of transforms it labels
    its results, and prints as its name:

    >>> percentile(99.9)
    p99.9
    >>> percentile(50)([4, 1, 3, 2]), percentile(50)({1: 3, 10: 1})
    (2.5, 1.0)
    """

    q: float
    __name__: str

    def __init__(self, q: float):
        if isinstance(q, bool) or not isinstance(q, numbers.Real) or not 0 < q <= 100:
            raise InvalidQuery('a percentile takes a number q with 0 < q <= 100, not %r'
                               % (q,))
        self.q = float(q)
        self.__name__ = 'p' + _decimal(self.q)

    def __call__(self, data: Any) -> Optional[float]:
        if isinstance(data, collections.abc.Mapping):
            return stats.percentile_of_counts(data, self.q)
        if isinstance(data, (str, bytes)) or not isinstance(data, collections.abc.Iterable):
            raise InvalidQuery('transform %s needs a row of values (a list, a set or a '
                               'dict of value -> count), not %r' % (self.__name__, data))
        return stats.percentile(data, self.q)

    def __repr__(self) -> str:
        return self.__name__

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Percentile) and other.q == self.q

    def __hash__(self) -> int:
        return hash((Percentile, self.q))


def percentile(q: float) -> Percentile:
    """The transform giving the q-th percentile (0 < q <= 100): ``transform=percentile(99.9)``
    is ``transform='p99.9'``. A q outside (0, 100] or not a number raises InvalidQuery."""
    return Percentile(q)


def _decimal(q: float) -> str:
    """q in plain decimal digits, as few as read back as q: 99.9 -> '99.9', 1e-05 -> '0.00001'."""
    text = format(Decimal(repr(q)), 'f')
    return text.rstrip('0').rstrip('.') if '.' in text else text


# the table key that stands for every percentile name p<q> of a type that takes them;
# its entry is a class (Percentile, or the sketch's), of which _lookup builds one per name
PERCENTILES = 'p<q>'
_PERCENTILE_NAME = re.compile(r'p([0-9]+(?:\.[0-9]+)?)\Z')
_LIKE_PERCENTILE = re.compile(r'p([^a-zA-Z]|nan|inf|\Z)')  # p0, p-1, p, pnan: told the form
MEDIAN = Percentile(50)


def _first(data: Any) -> Any:
    return data[0] if data else None


def _last(data: Any) -> Any:
    return data[-1] if data else None


SEQUENCE: Dict[str, Callable[..., Any]] = {
    'mean': _seq_mean,
    'count': len,
    'min': _seq_min,
    'max': _seq_max,
    'sum': sum,
    'rate': _seq_rate,
    'median': MEDIAN,
    PERCENTILES: Percentile,
    'stddev': stats.stddev,
    'first': _first,
    'last': _last,
}

# a set's members have no order: no first or last
SET: Dict[str, Callable[..., Any]] = {
    name: func for name, func in SEQUENCE.items() if name not in ('first', 'last')}


def _hist_count(data: Any) -> Any:
    return sum(data.values())


def _hist_sum(data: Any) -> Any:
    return sum(value * count for value, count in data.items())


def _hist_mean(data: Any) -> Any:
    count = _hist_count(data)
    return float(_hist_sum(data)) / count if count else 0


def _hist_rate(data: Any, duration: Any) -> Any:
    return _hist_count(data) / duration


HISTOGRAM: Dict[str, Callable[..., Any]] = {
    'mean': _hist_mean,
    'count': _hist_count,
    'min': lambda data: min(data) if data else 0,
    'max': lambda data: max(data) if data else 0,
    'sum': _hist_sum,
    'rate': _hist_rate,
    'median': MEDIAN,
    PERCENTILES: Percentile,
    'stddev': stats.stddev_of_counts,
}


def _single(data: Any) -> Any:
    """A count or gauge row is one value: its mean, min, max and sum are itself.

    'count' also returns the value unchanged, as kairos 0.5.0 did for these types.
    """
    return data


# a gauge holds a level, not events: it has no rate
SCALAR: Dict[str, Callable[..., Any]] = dict.fromkeys(
    ('mean', 'count', 'min', 'max', 'sum'), _single)


def _count_rate(data: Any, duration: Any) -> Any:
    return data / duration


COUNT: Dict[str, Callable[..., Any]] = dict(SCALAR, rate=_count_rate)


def takes_duration(func: Callable[..., Any]) -> bool:
    """True when ``func`` has exactly two required positional parameters."""
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: sum, max, dict, ...
        return False
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    required = [p for p in parameters
                if p.kind in positional and p.default is inspect.Parameter.empty]
    return len(required) == 2


def compile_transform(spec: Optional[TransformArg], table: Dict[str, Callable[..., Any]],
                      type_name: str) -> Optional[Transform]:
    """``spec`` as one function ``f(data, duration)``, or None for no transform.

    ``spec`` is a name in ``table``, a callable, a list/tuple/set of those
    (each row becomes ``{spec: result}``) or a dict ``{label: spec}``.
    """
    if spec is None:
        return None
    if isinstance(spec, (list, tuple, set, dict)):
        labelled = spec.items() if isinstance(spec, dict) else ((t, t) for t in spec)
        parts = [(label, _one(t, table, type_name)) for label, t in labelled]
        return lambda data, duration: OrderedDict(
            (label, f(data, duration)) for label, f in parts)
    return _one(spec, table, type_name)


def _one(spec: Any, table: Dict[str, Callable[..., Any]],
         type_name: str) -> Transform:
    if isinstance(spec, str):
        return _named(spec, _lookup(spec, table, type_name))
    if isinstance(spec, Percentile):
        if PERCENTILES not in table:
            raise _not_for(spec.__name__, table, type_name)
        return _named(spec.__name__, table[PERCENTILES](spec.q))
    if not callable(spec):
        raise _unknown(spec, table, type_name)
    func: Callable[..., Any] = spec
    return func if takes_duration(func) else lambda data, duration: func(data)


# the transforms that need a bucket's values, and those that need their order too
_OF_VALUES = ('mean', 'min', 'max', 'sum', 'median', PERCENTILES, 'stddev', 'first', 'last')
_IN_ORDER = ('first', 'last')
# what a row of each type keeps of its bucket's values, for refusals
_ROW_HOLDS = {
    'count': 'only their total',
    'gauge': 'only the last one written',
    'histogram': 'how often each value was seen, not their order',
    'set': 'the distinct values, not their order',
    'summary': 'only their count, sum, sum of squares, min and max',
    'distinct': 'only an estimate of how many distinct values it saw',
    'sketch': 'only their count, sum, min, max and how many fell in each logarithmic bin',
}


def _lookup(name: str, table: Dict[str, Callable[..., Any]],
            type_name: str) -> Callable[..., Any]:
    """The function of a transform name in ``table``, or InvalidQuery saying why not."""
    if name in table and name != PERCENTILES:
        return table[name]
    if name in _OF_VALUES and name not in table:
        raise _not_for(name, table, type_name)
    match = _PERCENTILE_NAME.match(name)
    if match and 0 < float(match.group(1)) <= 100:
        if PERCENTILES not in table:
            raise _not_for(name, table, type_name)
        built: Callable[..., Any] = table[PERCENTILES](float(match.group(1)))
        return built
    raise _unknown(name, table, type_name)


def _not_for(name: str, table: Dict[str, Callable[..., Any]], type_name: str) -> InvalidQuery:
    needs = 'the values of a bucket in order' if name in _IN_ORDER else 'the values of a bucket'
    return InvalidQuery('transform %r needs %s, and a %s row holds %s: a %s supports %s'
                        % (name, needs, type_name, _ROW_HOLDS.get(type_name, 'other data'),
                           type_name, ', '.join(table)))


def _unknown(spec: Any, table: Dict[str, Callable[..., Any]], type_name: str) -> InvalidQuery:
    hint = ''
    if isinstance(spec, str) and _LIKE_PERCENTILE.match(spec):
        hint = 'a percentile is p<q> with q a decimal number in (0, 100], as p50, p99 or p99.9; '
    return InvalidQuery('unknown transform %r for a %s: %suse a callable or one of %s'
                        % (spec, type_name, hint, ', '.join(table) or '(none)'))


def _named(name: str, func: Callable[..., Any]) -> Transform:
    """A named transform, refusing with InvalidQuery a row it cannot summarize.

    A series or set may hold values of several types ('5' and 3, say): Python 3
    cannot order or add them, where kairos 0.5.0's Python 2 ordered them arbitrarily.
    Arithmetic that fails on the values (an int too large for a float, a Decimal
    NaN compared) is refused the same way.
    """
    takes = func in _TAKE_DURATION or takes_duration(func)

    def run(data: Any, duration: Any) -> Any:
        try:
            return func(data, duration) if takes else func(data)
        except (TypeError, ArithmeticError) as exc:
            kinds = sorted({type(value).__name__ for value in _values(data)})
            raise InvalidQuery('transform %r cannot summarize a row of %s: %s'
                               % (name, ' and '.join(kinds) or 'no values', exc)) from None
    return run


def _values(data: Any) -> Iterable[Any]:
    if isinstance(data, (list, tuple, set, frozenset, dict)):
        return data
    return [data]


# the named transforms that take the duration, found once
_TAKE_DURATION = frozenset(func for table in (SEQUENCE, SET, HISTOGRAM, SCALAR, COUNT)
                           for func in table.values() if takes_duration(func))
