"""The types of timeseries, each a small class filling the same hooks: series,
histogram, count, gauge and set here, summary and sketch in modules of their own.

A type never talks to a database. It knows how to

- ``prepare`` a value for writing (after ``write_func``), refusing what it cannot store;
- ``merge`` many prepared values bound for one bucket into one write (bulk inserts);
- ``process_row`` a stored bucket into a Python row, applying ``read_func``;
- ``condense`` rows of one statistic over time, or ``join`` rows of several
  statistics at one time, into a single row;
- ``no_value``: the row of a bucket without data (a gauge's is ``read_func('')``, or
  None where read_func refuses '');
- ``transforms``: the named transforms it supports.

A type's settings (a sketch's ``relative_accuracy``) are the keyword-only parameters
of its constructor, which the Timeseries takes as keywords of its own (``settings``).
"""

import inspect
import math
import numbers
import re
from collections import Counter
from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Optional, Type

from . import transforms
from .exceptions import InvalidValue


class _Missing:
    """Marks a bucket that holds no data, until results are finalised."""

    def __repr__(self) -> str:
        return 'MISSING'


MISSING = _Missing()


class Duplicates(list[Any]):
    """Several stored records of one bucket, joined when read.

    Two first writes racing to upsert one Mongo bucket can create two
    documents (kairos 0.5.0's indexes are not unique); reading joins them.
    """


class SeriesType:
    """Base of the type hooks; see the module docstring."""

    name = ''
    default_value: Any = None
    transforms: Dict[str, Callable[..., Any]] = {}

    def __init__(self, read_func: Optional[Callable[[Any], Any]] = None):
        self.read_func = read_func

    def prepare(self, value: Any) -> Any:
        if value is None:
            raise InvalidValue('a %s needs a value, got None' % self.name)
        return value

    def merge(self, values: List[Any]) -> Any:
        return list(values)

    def process_row(self, raw: Any) -> Any:
        raise NotImplementedError

    def no_value(self) -> Any:
        raise NotImplementedError

    def dumped(self, row: Any) -> Any:
        """A row read without read_func as plain JSON data (lists, dicts, numbers, strs),
        which ``restored`` takes back (see :mod:`kairos.dumps`); None for a row that
        holds no data."""
        raise NotImplementedError

    def restored(self, data: Any) -> Any:
        """What ``merge`` makes of the values a bucket ``dumped`` held, each checked as
        ``prepare`` checks an insert's: InvalidValue where data is not such a bucket."""
        raise NotImplementedError

    def _restored_values(self, data: Any) -> Any:
        if not isinstance(data, list) or not data:
            raise InvalidValue('a dumped %s bucket is a non-empty list of values, not %s'
                               % (self.name, _short(data)))
        return self.merge([self.prepare(value) for value in data])

    def _restored_value(self, data: Any) -> Any:
        return self.merge([self.prepare(data)])

    def condense(self, rows: List[Any]) -> Any:
        raise NotImplementedError

    def join(self, rows: List[Any]) -> Any:
        return self.condense(rows)

    def finalize(self, row: Any) -> Any:
        return self.no_value() if row is MISSING else row


_SETTINGS: Dict[type, FrozenSet[str]] = {}


def settings(kind: Type[SeriesType]) -> FrozenSet[str]:
    """The settings of a type: the keyword-only parameters of its constructor."""
    found = _SETTINGS.get(kind)
    if found is None:
        parameters = inspect.signature(kind.__init__).parameters.values()
        found = _SETTINGS[kind] = frozenset(p.name for p in parameters
                                            if p.kind is p.KEYWORD_ONLY)
    return found


class Series(SeriesType):
    """Each bucket is a list of every value inserted, in arrival order."""

    name = 'series'
    transforms = transforms.SEQUENCE

    def process_row(self, raw: Any) -> List[Any]:
        if self.read_func:
            return [self.read_func(v) for v in raw]
        return raw if type(raw) is list else list(raw)  # decoded rows are fresh lists

    def no_value(self) -> List[Any]:
        return []

    def condense(self, rows: List[Any]) -> List[Any]:
        return [value for row in rows for value in row]

    def dumped(self, row: Any) -> List[Any]:
        return list(row)

    def restored(self, data: Any) -> Any:
        return self._restored_values(data)


class Histogram(SeriesType):
    """Each bucket maps each distinct value to the number of times it was seen."""

    name = 'histogram'
    transforms = transforms.HISTOGRAM

    def merge(self, values: List[Any]) -> List[Any]:
        """[(value, count)], one per distinct stored value: 1 and 1.0 stay apart."""
        if len(values) == 1:   # an insert() of one value
            return [(values[0], 1)]
        counts = Counter((value.__class__, value) for value in values)
        return [(value, count) for (_, value), count in counts.items()]

    def process_row(self, raw: Any) -> Dict[Any, int]:
        # backends deliver a fresh dict of value -> int count
        if not self.read_func:
            return raw  # type: ignore[no-any-return]
        rval: Dict[Any, int] = {}
        for value, count in raw.items():  # read_func may map two values to one
            value = self.read_func(value)
            rval[value] = rval.get(value, 0) + count
        return rval

    def no_value(self) -> Dict[Any, int]:
        return {}

    def dumped(self, row: Any) -> List[List[Any]]:
        """[[value, count], ...] in a canonical order: values keep their JSON type (a
        dict's keys would not)."""
        return [[value, row[value]] for value in _canonical(row)]

    def restored(self, data: Any) -> List[Any]:
        if not isinstance(data, list) or not data or not all(
                isinstance(pair, list) and len(pair) == 2 and type(pair[1]) is int
                and pair[1] > 0 for pair in data):
            raise InvalidValue('a dumped histogram bucket is a non-empty list of [value, '
                               'count > 0] pairs, not %s' % _short(data))
        return [(self.prepare(value), count) for value, count in data]

    def condense(self, rows: List[Any]) -> Dict[Any, int]:
        rval: Dict[Any, int] = {}
        for row in rows:
            for value, count in row.items():
                rval[value] = rval.get(value, 0) + count
        return rval


# a count takes a number written as a string, as Redis' own counters do: '5', '-2.5', '1e3'
_INTEGER = re.compile(r'[+-]?[0-9]+\Z')
_DECIMAL = re.compile(r'[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\Z')


class Count(SeriesType):
    """Each bucket is a counter; an insert adds its value (default 1).

    A value is a number, or a str spelling one (``'5'`` adds 5, ``'2.5'`` adds 2.5).
    """

    name = 'count'
    default_value = 1
    transforms = transforms.COUNT

    def prepare(self, given: Any) -> Any:
        value = _number(given) if isinstance(given, str) else given
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise InvalidValue('a count needs a number (or a str of one) to add, not %s'
                               % _short(given))
        if isinstance(value, int):
            if not -2 ** 63 <= value < 2 ** 63:
                raise InvalidValue('a count cannot add %s: out of the 64-bit range'
                                   % _short(given))
        else:
            value = float(value)
            if not math.isfinite(value):
                raise InvalidValue('a count cannot add %s' % _short(given))
        return value

    def merge(self, values: List[Any]) -> Any:
        total = sum(values)
        if isinstance(total, int) and not -2 ** 63 <= total < 2 ** 63:
            total = float(total)  # beyond a 64-bit counter: add it as a float
        return total

    def process_row(self, raw: Any) -> Any:
        if isinstance(raw, str):
            try:
                raw = int(raw)
            except ValueError:
                raw = float(raw)
        return self.read_func(raw) if self.read_func else raw

    def no_value(self) -> int:
        return 0

    def condense(self, rows: List[Any]) -> Any:
        return sum(rows)

    def dumped(self, row: Any) -> Any:
        return row

    def restored(self, data: Any) -> Any:
        return self._restored_value(data)


def _number(text: str) -> Any:
    """The int or float a count's string value spells, or the string if it spells none."""
    try:
        if _INTEGER.match(text):
            return int(text)
        if _DECIMAL.match(text):
            return float(text)
    except ValueError:  # more digits than int() takes
        pass
    return text


def _canonical(values: Iterable[Any]) -> List[Any]:
    """Distinct values in one order whatever the store's: by type, then repr."""
    return sorted(values, key=lambda value: (type(value).__name__, repr(value)))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:40] + '...' + text[-10:]


class Gauge(SeriesType):
    """Each bucket holds the most recent value written to it."""

    name = 'gauge'
    transforms = transforms.SCALAR

    def merge(self, values: List[Any]) -> Any:
        return values[-1]

    def process_row(self, raw: Any) -> Any:
        return self.read_func(raw) if self.read_func else raw

    def no_value(self) -> Any:
        """``read_func('')``, as kairos 0.5.0 read an empty gauge (``int(v or 0)`` gives 0),
        or None where read_func cannot read '' (``float``, ``Decimal``)."""
        if self.read_func is None:
            return None
        try:
            return self.read_func('')
        except (ValueError, TypeError, ArithmeticError):
            return None

    def condense(self, rows: List[Any]) -> Any:
        return rows[-1]

    def dumped(self, row: Any) -> Any:
        return row

    def restored(self, data: Any) -> Any:
        return self._restored_value(data)


class Set(SeriesType):
    """Each bucket is the set of distinct values inserted."""

    name = 'set'
    transforms = transforms.SET

    def prepare(self, value: Any) -> Any:
        value = super().prepare(value)
        try:
            hash(value)
        except TypeError:
            raise InvalidValue('a set stores hashable values, not %r' % (value,)) from None
        return value

    def merge(self, values: List[Any]) -> List[Any]:
        # distinct as stored: 1 and 1.0 are two members
        return [value for _, value in dict.fromkeys((v.__class__, v) for v in values)]

    def process_row(self, raw: Any) -> set[Any]:
        return {self.read_func(v) for v in raw} if self.read_func else set(raw)

    def no_value(self) -> set[Any]:
        return set()

    def condense(self, rows: List[Any]) -> set[Any]:
        return set().union(*rows)

    def dumped(self, row: Any) -> List[Any]:
        return _canonical(row)

    def restored(self, data: Any) -> Any:
        return self._restored_values(data)


TYPES: Dict[str, Type[SeriesType]] = {
    cls.name: cls for cls in (Series, Histogram, Count, Gauge, Set)}

# the summary's hooks live in their own module, built on this one's
from .summary import Summary  # noqa: E402
TYPES[Summary.name] = Summary

# and so do the distinct type's, on kairos.hll
from .distinct import Distinct  # noqa: E402
TYPES[Distinct.name] = Distinct
# so do the sketch's
from .sketch_type import Sketch  # noqa: E402
TYPES[Sketch.name] = Sketch
