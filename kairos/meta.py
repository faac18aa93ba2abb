"""Meta data, as kairos 0.10.1 added it: list, properties, iterate, delete_all, expire.

Written once, on four storage primitives every backend fills (see
:mod:`kairos.timeseries`): ``_list_names()``, ``_extent(name)``, ``_delete_all()``
and ``_expire(name, now)``. ``Timeseries`` inherits this mixin.
"""

from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple

from .exceptions import InvalidName
from .intervals import Calculator, Interval, RelativeTime
from .reads import Condense, ReadHooks, either
from .steps import R, Steps, X, Y
from .transforms import TransformArg

if TYPE_CHECKING:
    from .queries import Query
    from .series_types import SeriesType


class MetaData:
    """The meta data methods of :class:`~kairos.timeseries.Timeseries`.

    >>> from kairos import Timeseries
    >>> t = Timeseries('redis://localhost:6379/0', type='count',
    ...                intervals={'minute': {'step': 60}})
    >>> t.insert('hits', 3, timestamp=1385615520)
    >>> t.insert('hits', 6, timestamp=1385615640)
    >>> t.list()
    ['hits']
    >>> t.properties('hits')
    {'minute': {'first': 1385615520, 'last': 1385615640}}
    >>> list(t.iterate('hits', 'minute', transform='rate'))
    [(1385615520, 0.05), (1385615580, 0.0), (1385615640, 0.1)]
    """

    if TYPE_CHECKING:
        # what Timeseries and its backends provide
        _intervals: Dict[str, Interval]
        _type: SeriesType
        _clock: Callable[[], float]

        def _list_names(self) -> Steps[Iterable[str]]: ...

        def _extent(self, name: str) -> Steps[Dict[str, Tuple[int, int]]]: ...

        def _delete_all(self) -> Steps[int]: ...

        def _expire(self, name: Optional[str], now: float) -> Steps[int]: ...

        def _run(self, steps: Steps[R]) -> R: ...

        def _run_write(self, steps: Steps[R]) -> R: ...

        def _run_each(self, first: Steps[Iterable[X]],
                      then: Callable[[X], Steps[Iterable[Y]]]) -> Iterator[Y]: ...

        def _interval(self, interval: Any) -> Interval: ...

        def _names(self, name: Any) -> List[str]: ...

        def _query(self, config: Interval, names: List[str], buckets: List[int],
                   fetch: Any, hooks: ReadHooks) -> Query: ...

        def _read(self, interval: Interval, names: List[str], buckets: List[int],
                  fetch: Any) -> Steps[Dict[str, List[Any]]]: ...

        def _get_result(self, query: Query,
                        raw: Dict[str, List[Any]]) -> 'OrderedDict[int, Any]': ...

    def list(self) -> List[str]:
        """The names of every statistic stored in this configuration's intervals, sorted.

        On Redis this SCANs the keys under the prefix (never KEYS): its cost
        grows with every key of the database that matches the prefix.
        """
        return self._run(self._list())

    def _list(self) -> Steps[List[str]]:
        names = yield from self._list_names()
        return sorted(names)

    def properties(self, name: str) -> Dict[str, Dict[str, int]]:
        """``{interval: {'first': t, 'last': t}}``: the UTC starts of the first and last
        interval buckets holding ``name``, for each interval that holds it."""
        return self._run(self._properties(name))

    def _properties(self, name: str) -> Steps[Dict[str, Dict[str, int]]]:
        extents = yield from self._extent(self._one_name(name))
        rval: Dict[str, Dict[str, int]] = {}
        for interval in self._intervals.values():  # in configured order
            if interval.name in extents:
                first, last = extents[interval.name]
                rval[interval.name] = {'first': interval.i_calc.from_bucket(first),
                                       'last': interval.i_calc.from_bucket(last)}
        return rval

    def iterate(self, name: str, interval: str, condensed: Condense = False,
                transform: Optional[TransformArg] = None, fetch: Any = None, *,
                process_row: Optional[Callable[[Any], Any]] = None,
                condense: Optional[Condense] = None,
                join_rows: Optional[Callable[[List[Any]], Any]] = None
                ) -> Iterator[Tuple[int, Any]]:
        """Every bucket of ``name`` from its first to its last, as ``(time, data)`` pairs.

        Each bucket is read alone, with ``get``'s arguments, and yields what
        ``get`` returns for it: one pair per bucket, empty ones included, or,
        with a resolution and not condensed, one pair per resolution bucket
        holding data. Nothing is yielded for a name without data.
        """
        name = self._one_name(name)
        config = self._interval(interval)
        hooks = ReadHooks(self._type, transform, either(condense, condensed), False,
                          process_row, join_rows)
        return self._run_each(self._extent_buckets(name, config), lambda bucket: self._page(
            name, config, bucket, fetch, hooks))

    def _extent_buckets(self, name: str, config: Interval) -> Steps[Iterable[int]]:
        """The buckets of ``config`` from the first to the last holding ``name``."""
        extents = yield from self._extent(name)
        extent = extents.get(config.name)
        return () if extent is None else _buckets(config.i_calc, *extent)

    def _page(self, name: str, config: Interval, bucket: int, fetch: Any,
              hooks: ReadHooks) -> Steps[Iterable[Tuple[int, Any]]]:
        """What iterate yields of one bucket: what ``get`` returns for it, as pairs."""
        query = self._query(config, [name], [bucket], fetch, hooks)
        raw = yield from self._read(*query.read)
        return self._get_result(query, raw).items()

    def delete_all(self) -> int:
        """Delete every statistic of this configuration; return how many records went.

        Keys of other prefixes (Redis), collections of other intervals (Mongo)
        and anything this configuration would not write are left alone.
        """
        return self._run_write(self._delete_all())

    def expire(self, name: Optional[str] = None) -> int:
        """Remove data past its retention, of ``name`` or of every statistic.

        A no-op returning 0 where the store expires data itself (Redis
        EXPIRE, Mongo's TTL index); the number of records removed elsewhere.
        """
        return self._run_write(self._expire_steps(name))

    def _expire_steps(self, name: Optional[str]) -> Steps[int]:
        if name is not None:
            name = self._one_name(name)
        return (yield from self._expire(name, self._clock()))

    def _one_name(self, name: Any) -> str:
        if not isinstance(name, str):
            raise InvalidName('a statistic name must be a str, not %r' % (name,))
        return self._names(name)[0]  # the checks of every name


def _buckets(calc: Calculator, first: int, last: int) -> Iterator[int]:
    """The buckets from ``first`` to ``last``, one at a time (memory stays flat)."""
    if isinstance(calc, RelativeTime):
        yield from range(first, last + 1)
        return
    bucket = first
    while bucket <= last:
        yield bucket
        bucket = calc.shift(bucket, 1)
