"""The read methods of a Timeseries, get and series, written once on a backend's ``_read``.

``Reads`` turns the raw rows ``_read`` returns (see :mod:`kairos.timeseries`) into
the rows a read returns, through the read hooks of :mod:`kairos.reads`, and
carries the typing of those reads: ``V``, the value of one bucket.
``Timeseries`` inherits this mixin.
"""

from collections import OrderedDict
from typing import (TYPE_CHECKING, Any, Callable, Dict, Generic, List, Literal, NamedTuple,
                    Optional, Sequence, Tuple, TypeVar, Union, overload)

from .calculators import RelativeTime, bucket_starts
from .every import DEFAULT_POINTS, Every, EveryArg
from .exceptions import InvalidQuery
from .intervals import Interval
from .units import MAX_READ_BUCKETS
from .reads import Condense, ReadHooks, either
from .series_types import MISSING, Duplicates
from .steps import R, Steps
from .transforms import TransformArg

if TYPE_CHECKING:
    from .series_types import SeriesType

_SPECIAL = (Duplicates, type(MISSING))  # raw values that process_row does not take

V = TypeVar('V')  # the value of one bucket a read returns (see Timeseries)
# a statistic's name, or several names read together (in a list, a tuple or a set)
Names = Union[str, List[str], Tuple[str, ...], set[str]]
Fetch = Callable[..., Any]


class Query(NamedTuple):
    """A read, checked: its buckets of one interval, for names, through hooks; ``read``
    holds the arguments of the backend's ``_read`` (the only I/O of a read);
    ``regroup``, the ``every`` of a re-bucketing read and its first and last bucket."""
    config: Interval
    names: List[str]
    buckets: List[int]
    hooks: ReadHooks
    read: Tuple[Interval, List[str], List[int], Optional[Fetch]]
    regroup: Optional[Tuple[Every, int, int]] = None


class Reads(Generic[V]):
    """get and series of :class:`~kairos.timeseries.Timeseries`, generic in ``V``."""

    if TYPE_CHECKING:
        # what Timeseries and its backends provide
        _intervals: Dict[str, Interval]
        _type: SeriesType
        _rows_final: bool

        def _read(self, interval: Interval, names: List[str], buckets: List[int],
                  fetch: Optional[Fetch]) -> Steps[Dict[str, List[Any]]]: ...

        def _run(self, steps: Steps[R]) -> R: ...

        def _interval(self, interval: Any) -> Interval: ...

        def _names(self, name: Any) -> List[str]: ...

        def _timestamp(self, timestamp: Any) -> float: ...

        # kairos.regrouping's
        def _chosen_query(self, names: List[str], steps: Optional[int],
                          start: Optional[float], end: Optional[float],
                          fetch: Optional[Fetch], shape: Tuple[Any, ...], every: Any,
                          max_points: int) -> 'Query': ...

        def _regroup_query(self, config: Interval, names: List[str], fetch: Optional[Fetch],
                           hooks: ReadHooks, low: float, high: float, every: Any,
                           max_points: Optional[int] = None) -> 'Query': ...

        def _regrouped(self, query: 'Query',
                       raw: Dict[str, List[Any]]) -> 'OrderedDict[int, Any]': ...

    @overload
    def get(self, name: Names, interval: str, timestamp: Optional[float] = None,
            condensed: bool = False, transform: None = None, fetch: Optional[Fetch] = None, *,
            process_row: None = None, condense: Optional[bool] = None,
            join_rows: None = None) -> 'OrderedDict[int, V]': ...

    @overload
    def get(self, name: Names, interval: str, timestamp: Optional[float] = None,
            condensed: Condense = False, transform: Optional[TransformArg] = None,
            fetch: Optional[Fetch] = None, *, process_row: Optional[Callable[[Any], Any]] = None,
            condense: Optional[Condense] = None,
            join_rows: Optional[Callable[[List[Any]], Any]] = None,
            every: Optional[EveryArg] = None) -> 'OrderedDict[int, Any]': ...

    def get(self, name: Names, interval: str, timestamp: Optional[float] = None,
            condensed: Condense = False, transform: Optional[TransformArg] = None,
            fetch: Optional[Fetch] = None, *, process_row: Optional[Callable[[Any], Any]] = None,
            condense: Optional[Condense] = None,
            join_rows: Optional[Callable[[List[Any]], Any]] = None,
            every: Optional[EveryArg] = None) -> 'OrderedDict[int, Any]':
        """The data in the bucket of ``interval`` that holds ``timestamp`` (default now).

        ``condense`` (0.5.0: ``condensed``), ``process_row`` and ``join_rows``
        customize the read: see :mod:`kairos.reads`. With ``every`` (see
        :mod:`kairos.every`), what ``series`` with ``every`` returns for that bucket:
        its resolution buckets regrouped, or the ``every`` bucket holding ``timestamp``.
        """
        return self._run(self._get((name, interval, timestamp, condensed, transform, fetch,
                                    process_row, condense, join_rows, every)))

    def _get(self, args: Tuple[Any, ...]) -> 'Steps[OrderedDict[int, Any]]':
        query = self._get_query(*args)   # checked in the steps: an awaited get raises there
        raw = yield from self._read(*query.read)
        return self._get_result(query, raw)

    def _get_query(self, name: Names, interval: str, timestamp: Optional[float],
                   condensed: Condense, transform: Optional[TransformArg],
                   fetch: Optional[Fetch], process_row: Optional[Callable[[Any], Any]],
                   condense: Optional[Condense],
                   join_rows: Optional[Callable[[List[Any]], Any]],
                   every: Optional[EveryArg] = None) -> Query:
        """What ``get`` reads, its arguments checked."""
        config = self._interval(interval)
        names = self._names(name)
        hooks = ReadHooks(self._type, transform, either(condense, condensed), False,
                          process_row, join_rows)
        bucket = config.check(self._timestamp(timestamp))
        if every is None:
            return self._query(config, names, [bucket], fetch, hooks)
        # the every buckets of the whole bucket: its resolution buckets regrouped, or
        # the one every bucket holding it
        return self._regroup_query(config, names, fetch, hooks,
                                   config.i_calc.from_bucket(bucket),
                                   config.i_calc.end_of(bucket) - 1, every)

    def _get_result(self, query: Query, raw: Dict[str, List[Any]]) -> 'OrderedDict[int, Any]':
        """What ``get`` returns for the raw rows ``_read`` gave for ``query``."""
        if query.regroup is not None:
            return self._regrouped(query, raw)
        config, hooks, (i_bucket,) = query.config, query.hooks, query.buckets
        row = self._rows(query, raw)[0]
        i_time = config.i_calc.from_bucket(i_bucket)
        if config.coarse:
            return hooks.finish(OrderedDict([(i_time, row)]), config.i_calc.step_size)
        if hooks.condense:
            return hooks.finish(OrderedDict([(i_time, hooks.condensed(row))]),
                                config.i_calc.step_size)
        return hooks.finish(row, config.r_calc.step_size)

    # one row per bucket, of V where the rows are condensed or collapsed
    @overload
    def series(self, name: Names, interval: str, steps: Optional[int] = None, *,
               condensed: Literal[True], start: Optional[float] = None,
               end: Optional[float] = None, collapse: bool = False,
               condense: Optional[bool] = None, transform: None = None,
               fetch: Optional[Fetch] = None, process_row: None = None,
               join_rows: None = None) -> 'OrderedDict[int, V]': ...

    @overload
    def series(self, name: Names, interval: str, steps: Optional[int] = None,
               condensed: bool = False, start: Optional[float] = None,
               end: Optional[float] = None, *, condense: Literal[True], collapse: bool = False,
               transform: None = None, fetch: Optional[Fetch] = None, process_row: None = None,
               join_rows: None = None) -> 'OrderedDict[int, V]': ...

    @overload
    def series(self, name: Names, interval: str, steps: Optional[int] = None,
               condensed: bool = False, start: Optional[float] = None,
               end: Optional[float] = None, *, collapse: Literal[True],
               condense: Optional[bool] = None, transform: None = None,
               fetch: Optional[Fetch] = None, process_row: None = None,
               join_rows: None = None) -> 'OrderedDict[int, V]': ...

    # else a bucket of an interval with a resolution holds its resolution rows
    @overload
    def series(self, name: Names, interval: str, steps: Optional[int] = None,
               condensed: bool = False, start: Optional[float] = None,
               end: Optional[float] = None, transform: None = None, collapse: bool = False,
               fetch: Optional[Fetch] = None, *, process_row: None = None,
               condense: Optional[bool] = None, join_rows: None = None
               ) -> 'OrderedDict[int, Union[V, OrderedDict[int, V]]]': ...

    @overload
    def series(self, name: Names, interval: Optional[str] = None, steps: Optional[int] = None,
               condensed: Condense = False, start: Optional[float] = None,
               end: Optional[float] = None, transform: Optional[TransformArg] = None,
               collapse: Condense = False, fetch: Optional[Fetch] = None, *,
               process_row: Optional[Callable[[Any], Any]] = None,
               condense: Optional[Condense] = None,
               join_rows: Optional[Callable[[List[Any]], Any]] = None,
               every: Optional[EveryArg] = None, max_points: Optional[int] = None
               ) -> 'OrderedDict[int, Any]': ...

    def series(self, name: Names, interval: Optional[str] = None, steps: Optional[int] = None,
               condensed: Condense = False, start: Optional[float] = None,
               end: Optional[float] = None, transform: Optional[TransformArg] = None,
               collapse: Condense = False, fetch: Optional[Fetch] = None, *,
               process_row: Optional[Callable[[Any], Any]] = None,
               condense: Optional[Condense] = None,
               join_rows: Optional[Callable[[List[Any]], Any]] = None,
               every: Optional[EveryArg] = None, max_points: Optional[int] = None
               ) -> 'OrderedDict[int, Any]':
        """The data in a run of consecutive buckets of ``interval``.

        With ``start`` and ``end`` the run covers both; with one of them,
        ``steps`` buckets from ``start`` or up to ``end``; with neither,
        ``steps`` buckets up to now. ``steps`` defaults to the interval's.
        ``condense``, ``collapse``, ``process_row``, ``join_rows``: see :mod:`kairos.reads`.

        ``every`` regroups the buckets into coarser ones (``'15min'``, ``'daily'``);
        ``max_points`` picks the smallest ``every`` that gives at most that many;
        without ``interval``, ``start`` to ``end`` (default now) is read from the
        interval ``choose`` picks, in at most ``max_points`` (default 300) buckets.
        Those reads return ``{time: row}``: see :mod:`kairos.every`.
        """
        return self._run(self._series((name, interval, steps, condensed, start, end,
                                       transform, collapse, fetch, process_row, condense,
                                       join_rows, every, max_points)))

    def _series(self, args: Tuple[Any, ...]) -> 'Steps[OrderedDict[int, Any]]':
        query = self._series_query(*args)
        raw = yield from self._read(*query.read)
        return self._series_result(query, raw)

    def _series_query(self, name: Names, interval: str, steps: Optional[int],
                      condensed: Condense, start: Optional[float], end: Optional[float],
                      transform: Optional[TransformArg], collapse: Condense,
                      fetch: Optional[Fetch], process_row: Optional[Callable[[Any], Any]],
                      condense: Optional[Condense],
                      join_rows: Optional[Callable[[List[Any]], Any]],
                      every: Optional[EveryArg] = None,
                      max_points: Optional[int] = None) -> Query:
        """What ``series`` reads, its arguments checked."""
        names = self._names(name)
        if every is not None and max_points is not None:
            raise InvalidQuery('every= and max_points= both choose the buckets: give one')
        if interval is None:
            return self._chosen_query(names, steps, start, end, fetch, (
                transform, collapse, process_row, join_rows),
                every, DEFAULT_POINTS if max_points is None else max_points)
        config = self._interval(interval)
        hooks = ReadHooks(self._type, transform, either(condense, condensed), collapse,
                          process_row, join_rows)
        buckets = self._window(config, steps, start, end)
        if every is None and max_points is None:
            return self._query(config, names, buckets, fetch, hooks)
        # the range asked for: start and end, else the ends of the buckets read
        low = config.i_calc.from_bucket(buckets[0]) if start is None else self._timestamp(start)
        high = config.i_calc.end_of(buckets[-1]) - 1 if end is None else self._timestamp(end)
        return self._regroup_query(config, names, fetch, hooks, low, high, every, max_points)

    def _series_result(self, query: Query,
                       raw: Dict[str, List[Any]]) -> 'OrderedDict[int, Any]':
        """What ``series`` returns for the raw rows ``_read`` gave for ``query``."""
        if query.regroup is not None:
            return self._regrouped(query, raw)
        config, hooks, buckets = query.config, query.hooks, query.buckets
        rows = self._rows(query, raw)
        calc = config.i_calc
        i_times = bucket_starts(calc, buckets)
        if not config.coarse and (hooks.condense or hooks.collapse):
            rows = [hooks.condensed(row) for row in rows]
        rval = OrderedDict(zip(i_times, rows))
        if hooks.collapse:
            # a collapsed row lasts the whole range
            length = calc.end_of(buckets[-1]) - i_times[0]
            return hooks.finish(OrderedDict([(i_times[0], hooks.collapsed(rval))]),
                                lambda _: length)
        if config.coarse or hooks.condense:
            return hooks.finish(rval, calc.step_size)
        if hooks.transform is not None or not self._rows_final:  # else nothing to fill
            for row in rval.values():
                hooks.finish(row, config.r_calc.step_size)
        return rval

    def _window(self, config: Interval, steps: Any, start: Optional[float],
                end: Optional[float]) -> List[int]:
        calc = config.i_calc
        if steps is None:
            steps = config.steps or 1
        elif isinstance(steps, bool) or not isinstance(steps, int) or steps <= 0:
            raise InvalidQuery('steps must be a positive integer, not %r' % (steps,))
        # with both ends given, steps is not used and the range's count is checked below
        if steps > MAX_READ_BUCKETS and (start is None or end is None):
            raise InvalidQuery('steps=%d reads too many buckets of interval %r: at most %d '
                               'in one read' % (steps, config.name, MAX_READ_BUCKETS))
        # config.check refuses the far end of a run of steps before it is computed
        if start is not None:
            first = config.check(self._timestamp(start), 0 if end is not None else steps - 1)
            last = config.check(self._timestamp(end)) if end is not None \
                else calc.shift(first, steps - 1)
        else:
            last = config.check(self._timestamp(end), -(steps - 1))
            first = calc.shift(last, -(steps - 1))
        if first > last:
            raise InvalidQuery('start %r is after end %r' % (start, end))
        count = calc.count(first, last)
        if count > MAX_READ_BUCKETS:
            raise InvalidQuery('start %r to end %r is %d buckets of interval %r: at most %d '
                               'in one read' % (start, end, count, config.name,
                                                MAX_READ_BUCKETS))
        return calc.span(first, last)

    @staticmethod
    def _query(config: Interval, names: List[str], buckets: List[int], fetch: Optional[Fetch],
               hooks: ReadHooks) -> Query:
        if fetch is not None and not callable(fetch):
            raise InvalidQuery('fetch must be callable, not %r' % (fetch,))
        return Query(config, names, buckets, hooks, (config, names, buckets, fetch))

    def _rows(self, query: Query, raw: Dict[str, List[Any]]) -> List[Any]:
        """One processed row per bucket of ``query`` from the raw rows ``_read`` gave, the
        names' data joined together.

        A row is MISSING or data for a coarse interval, else an ordered dict
        of resolution timestamp -> data holding the resolution buckets with data.
        """
        config, names, hooks = query.config, query.names, query.hooks
        if self._rows_final:
            return self._join_final(config.coarse, names, raw, hooks)
        one = hooks.process
        process = hooks.process_row or self._type.process_row
        r_time = config.r_calc.from_bucket

        if config.coarse:
            if len(names) == 1:
                return [process(row) if type(row) not in _SPECIAL else one(row)
                        for row in raw[names[0]]]
            return [hooks.join([one(row) for row in per_name])
                    for per_name in zip(*(raw[name] for name in names))]
        # the hot loops of a read: one pass per resolution bucket, few calls
        step = config.r_calc.step_size() if isinstance(config.r_calc, RelativeTime) else None
        if len(names) == 1:
            return [OrderedDict([
                (r * step if step else r_time(r),
                 process(data) if type(data) not in _SPECIAL else one(data))
                for r, data in sorted(row.items())]) for row in raw[names[0]]]
        rval, join = [], hooks.join
        per_name: Sequence[Any]
        for per_name in zip(*(raw[name] for name in names)):
            # each name's processed rows, then joined per resolution bucket
            per_name = [{r: process(data) if type(data) not in _SPECIAL else one(data)
                         for r, data in row.items()} for row in per_name]
            rval.append(OrderedDict(
                (r * step if step else r_time(r),
                 join([row.get(r, MISSING) for row in per_name]))
                for r in sorted(set().union(*per_name))))
        return rval

    def _join_final(self, coarse: bool, names: List[str], raw: Dict[str, List[Any]],
                    hooks: ReadHooks) -> List[Any]:
        """``_rows`` of a backend with ``_rows_final``: its rows, processed only for a
        read_func or process_row, then joined."""
        if hooks.process_row is not None or self._type.read_func is not None:
            one = hooks.process
            for rows in raw.values():
                rows[:] = [one(row) for row in rows] if coarse else \
                    [OrderedDict((r, one(data)) for r, data in row.items()) for row in rows]
        if len(names) == 1:
            return raw[names[0]]
        join = hooks.join
        if coarse:
            return [join(list(per_name)) for per_name in zip(*(raw[name] for name in names))]
        return [OrderedDict((r, join([row.get(r, MISSING) for row in per_name]))
                            for r in sorted(set().union(*per_name)))
                for per_name in zip(*(raw[name] for name in names))]
