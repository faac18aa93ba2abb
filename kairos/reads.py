"""The customized reads of get, series and iterate, named as kairos 0.10.1 named them.

One ``ReadHooks`` is built per call, checking its arguments once. It shapes
the rows a backend read, running each hook where 0.10.1 ran it::

    stored row -> process_row -> join_rows (several names, at one time)
      -> condense (the resolution rows of one bucket) -> collapse (a series' buckets)
      -> transform(row, duration)

process_row(stored)   replaces the type's decoding of one stored row (then
                      ``read_func`` is its business); default: the type's.
join_rows(rows)       one row per name, in the order given (a name without data
                      there gives the type's empty value); called only where
                      some name has data. Default: the type's join.
condense              True: the type's condense; a callable gets one bucket's
                      ``{resolution time: row}`` (``{}`` when it holds no data; a
                      resolution bucket listed without data holds the empty value).
collapse              True: the type's condense over the series; a callable gets
                      ``{bucket time: row}`` of the whole range, every bucket present.
"""

from typing import Any, Callable, Iterable, List, MutableMapping, Optional, TypeVar, Union

from .exceptions import InvalidQuery
from .series_types import MISSING, Duplicates, SeriesType
from .transforms import TransformArg, compile_transform

# condense= and collapse=: True or False, or a callable of {time: row}
Condense = Union[bool, Callable[[Any], Any]]
_Rows = TypeVar('_Rows', bound=MutableMapping[Any, Any])


def either(condense: Optional[Condense], condensed: Condense) -> Condense:
    """``condense`` (0.10.1) wins over its 0.5.0 synonym ``condensed`` when given."""
    return condensed if condense is None or condense is False else condense


class ReadHooks:
    """The hooks and transform of one read; see the module docstring."""

    __slots__ = ('type', 'process_row', 'join_rows', 'condense', 'collapse', 'transform')

    def __init__(self, series_type: SeriesType, transform: Optional[TransformArg] = None,
                 condense: Condense = False, collapse: Condense = False,
                 process_row: Optional[Callable[[Any], Any]] = None,
                 join_rows: Optional[Callable[[List[Any]], Any]] = None):
        for hook, what in ((process_row, 'process_row'), (join_rows, 'join_rows')):
            if hook is not None and not callable(hook):
                raise InvalidQuery('%s must be callable, not %r' % (what, hook))
        self.type = series_type
        self.process_row = process_row
        self.join_rows = join_rows
        self.condense = condense if callable(condense) else bool(condense)
        self.collapse = collapse if callable(collapse) else bool(collapse)
        self.transform = compile_transform(transform, series_type.transforms, series_type.name)

    def process(self, data: Any) -> Any:
        """One stored row (or Duplicates of one bucket) as a row; MISSING stays."""
        if data is MISSING:
            return MISSING
        if self.process_row is None:
            if type(data) is Duplicates:
                return self.type.join([self.type.process_row(d) for d in data])
            return self.type.process_row(data)
        if type(data) is Duplicates:  # the hook sees one stored row, as it would in Redis
            data = self.type.join(list(data))
        return self.process_row(data)

    def join(self, rows: List[Any]) -> Any:
        """The rows of several names at one time (MISSING where a name has none)."""
        present = [row for row in rows if row is not MISSING]
        if not present:
            return MISSING
        if self.join_rows is None:
            return self.type.join(present)
        return self.join_rows([self.type.no_value() if row is MISSING else row
                               for row in rows])

    def condensed(self, row: Any) -> Any:
        """One bucket's ``{resolution time: row}`` as one row."""
        if callable(self.condense):
            return self.condense(self.fill(row))
        return _combine(row.values(), self.type.condense)

    def collapsed(self, rval: Any) -> Any:
        """``{bucket time: row}`` of a whole series as one row."""
        if callable(self.collapse):
            return self.collapse(self.fill(rval))
        return _combine(rval.values(), self.type.condense)

    def fill(self, rval: _Rows) -> _Rows:
        """In place: rows without data become the type's empty value."""
        for key, data in rval.items():
            if data is MISSING:
                rval[key] = self.type.no_value()
        return rval

    def finish(self, rval: _Rows, duration: Callable[[Any], Any]) -> _Rows:
        """In place: fill, then transform each row; ``duration(time)`` is its bucket's seconds."""
        transform = self.transform
        if transform is None:
            return self.fill(rval)
        finalize = self.type.finalize
        for key, data in rval.items():
            rval[key] = transform(finalize(data), duration(key))
        return rval


def _combine(rows: Iterable[Any], combine: Callable[[List[Any]], Any]) -> Any:
    """combine() the rows that hold data; MISSING when none does."""
    rows = [row for row in rows if row is not MISSING]
    return combine(rows) if rows else MISSING
