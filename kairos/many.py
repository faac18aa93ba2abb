"""Many names in one read: ``series_many`` and ``get_many`` return ``{name: result}``.

Where ``series`` of a list of names joins them into one row per bucket, these
keep each name apart, and read them all with one ``_read`` call per at most
MANY_KEYS name-buckets: one round trip on Redis (two for an interval with a
resolution, whose index is read first; one per node on a Redis Cluster), one
query on Mongo and SQL. ``names`` is an iterable of names, or a str: a glob
pattern (``fnmatch``: ``*``, ``?``, ``[abc]``; ``[[]`` is a literal ``[``)
matched against ``list()``, which costs that listing first: one name is
``[name]``. They take the keywords of ``series`` and ``get`` but ``join_rows``
(no names are joined). ``Timeseries`` inherits this mixin.
"""

import fnmatch
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, Union

from .every import EveryArg
from .exceptions import InvalidName
from .plan import check_name
from .reads import Condense
from .steps import R, Steps
from .transforms import TransformArg
from .units import MAX_READ_BUCKETS

if TYPE_CHECKING:
    from .queries import Fetch, Query
    from .intervals import Interval

# the most name-buckets one _read call asks for: more names are read in further calls
MANY_KEYS = MAX_READ_BUCKETS

# names=: names, or a glob pattern over list()
ManyNames = Union[str, Iterable[str]]
Result = Callable[['Query', Dict[str, List[Any]]], Any]


class ManyReads:
    """``series_many`` and ``get_many``; see the module docstring."""

    if TYPE_CHECKING:
        # what Timeseries provides
        def _run(self, steps: Steps[R]) -> R: ...

        def _list(self) -> Steps[List[str]]: ...

        def _read(self, interval: 'Interval', names: List[str], buckets: List[int],
                  fetch: Optional['Fetch']) -> Steps[Dict[str, List[Any]]]: ...

        def _series_query(self, *args: Any) -> 'Query': ...

        def _series_result(self, query: 'Query', raw: Dict[str, List[Any]]) -> Any: ...

        def _get_query(self, *args: Any) -> 'Query': ...

        def _get_result(self, query: 'Query', raw: Dict[str, List[Any]]) -> Any: ...

    def series_many(self, names: ManyNames, interval: Optional[str] = None,
                    steps: Optional[int] = None, condensed: Condense = False,
                    start: Optional[float] = None, end: Optional[float] = None,
                    transform: Optional[TransformArg] = None, collapse: Condense = False,
                    fetch: Optional['Fetch'] = None, *,
                    process_row: Optional[Callable[[Any], Any]] = None,
                    condense: Optional[Condense] = None, every: Optional[EveryArg] = None,
                    max_points: Optional[int] = None) -> Dict[str, Any]:
        """``{name: series(name, ...)}`` for each name, read together.

        >>> t.series_many(['a', 'b'], 'minute', steps=2)             # doctest: +SKIP
        {'a': OrderedDict([(60, 1), (120, 0)]), 'b': OrderedDict([(60, 0), (120, 4)])}
        """
        return self._run(self._many(names, lambda chosen: self._series_query(
            chosen, interval, steps, condensed, start, end, transform, collapse, fetch,
            process_row, condense, None, every, max_points), self._series_result))

    def get_many(self, names: ManyNames, interval: str, timestamp: Optional[float] = None,
                 condensed: Condense = False, transform: Optional[TransformArg] = None,
                 fetch: Optional['Fetch'] = None, *,
                 process_row: Optional[Callable[[Any], Any]] = None,
                 condense: Optional[Condense] = None,
                 every: Optional[EveryArg] = None) -> Dict[str, Any]:
        """``{name: get(name, ...)}`` for each name, read together."""
        return self._run(self._many(names, lambda chosen: self._get_query(
            chosen, interval, timestamp, condensed, transform, fetch, process_row, condense,
            None, every), self._get_result))

    def _many(self, names: ManyNames, build: Callable[[List[str]], 'Query'],
              result: Result) -> Steps[Dict[str, Any]]:
        chosen = yield from self._chosen_names(names)
        # every name and argument checked before any read; without names, the other
        # arguments on a stand-in name
        query = build(chosen or ['-'])
        if not chosen:
            return {}
        config, buckets, fetch = query.config, query.buckets, query.read[3]
        per_call = max(1, MANY_KEYS // len(buckets))
        rval: Dict[str, Any] = {}
        for at in range(0, len(chosen), per_call):
            part = chosen[at:at + per_call]
            raw = yield from self._read(config, part, buckets, fetch)
            for name in part:
                rval[name] = result(query._replace(names=[name]), {name: raw[name]})
        return rval

    def _chosen_names(self, names: ManyNames) -> Steps[List[str]]:
        """The names given, once each in their order, or those of ``list()`` (sorted) that
        match a pattern."""
        if isinstance(names, str):
            listed = yield from self._list()
            return [name for name in listed if fnmatch.fnmatchcase(name, names)]
        if isinstance(names, (bytes, dict)) or not isinstance(names, Iterable):
            raise InvalidName('names must be an iterable of names or a glob pattern (a str), '
                              'not %r' % (names,))
        given = list(names)
        for name in given:
            check_name(name)
        return list(OrderedDict.fromkeys(given))
