"""Read-side transforms: name -> function tables, one per shape of row.

A transform turns one row of data (after ``read_func`` and after any
condensing) into a summary. Rows are lists (series), sets (set), dicts of
value -> count (histogram) or single values (count, gauge).

A transform that needs the length of its row's bucket in seconds (``rate``,
or any callable with exactly two required positional parameters, as kairos
0.10.1 called them) is called ``f(data, duration)``; any other callable
(one parameter, builtins such as ``sum``, optional extras) is called
``f(data)``, as kairos 0.5.0 did. ``compile_transform`` makes that choice
once per read.
"""

import inspect
from collections import OrderedDict
from typing import AbstractSet, Any, Callable, Dict, Iterable, Mapping, Optional, Sequence, Union

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


SEQUENCE: Dict[str, Callable[..., Any]] = {
    'mean': _seq_mean,
    'count': len,
    'min': _seq_min,
    'max': _seq_max,
    'sum': sum,
    'rate': _seq_rate,
}


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
    if isinstance(spec, str) and spec in table:
        return _named(spec, table[spec])
    if not callable(spec):
        raise InvalidQuery('unknown transform %r for a %s: use a callable or one of %s'
                           % (spec, type_name, ', '.join(table) or '(none)'))
    func: Callable[..., Any] = spec
    return func if takes_duration(func) else lambda data, duration: func(data)


def _named(name: str, func: Callable[..., Any]) -> Transform:
    """A named transform, refusing with InvalidQuery a row it cannot summarize.

    A series or set may hold values of several types ('5' and 3, say): Python 3
    cannot order or add them, where kairos 0.5.0's Python 2 ordered them arbitrarily.
    """
    takes = func in _TAKE_DURATION

    def run(data: Any, duration: Any) -> Any:
        try:
            return func(data, duration) if takes else func(data)
        except TypeError as exc:
            kinds = sorted({type(value).__name__ for value in _values(data)})
            raise InvalidQuery('transform %r cannot summarize a row of %s: %s'
                               % (name, ' and '.join(kinds) or 'no values', exc)) from None
    return run


def _values(data: Any) -> Iterable[Any]:
    if isinstance(data, (list, tuple, set, frozenset, dict)):
        return data
    return [data]


# the named transforms that take the duration, found once
_TAKE_DURATION = frozenset(func for table in (SEQUENCE, HISTOGRAM, SCALAR, COUNT)
                           for func in table.values() if takes_duration(func))
