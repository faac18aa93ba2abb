"""Reads that regroup their buckets (``every=``) and reads that choose their interval
(``series`` without one, ``choose``), on the pure rules of :mod:`kairos.every`.

``Reads`` (:mod:`kairos.queries`) hands these its checked arguments; the rows are
read by the same one ``_read`` call as any series, widened to whole ``every`` buckets.
``Timeseries`` inherits this mixin.
"""

from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from .calculators import bucket_starts
from .every import Choice, DEFAULT_POINTS, check_points, choose, every_of, smallest_every
from .exceptions import InvalidQuery
from .intervals import Interval
from .reads import ReadHooks
from .units import MAX_READ_BUCKETS

if TYPE_CHECKING:
    from .queries import Fetch, Query
    from .series_types import SeriesType


class Regrouping:
    """``every=``, ``choose`` and series without an interval; see the module docstring."""

    if TYPE_CHECKING:
        # what Timeseries provides
        _intervals: Dict[str, Interval]
        _type: SeriesType
        _clock: Callable[[], float]

        def _timestamp(self, timestamp: Any) -> float: ...

        def _window(self, config: Interval, steps: Any, start: Optional[float],
                    end: Optional[float]) -> List[int]: ...

        @staticmethod
        def _query(config: Interval, names: List[str], buckets: List[int],
                   fetch: Optional[Fetch], hooks: ReadHooks) -> Query: ...

        def _rows(self, query: Query, raw: Dict[str, List[Any]]) -> List[Any]: ...

    def _chosen_query(self, names: List[str], steps: Optional[int], start: Optional[float],
                      end: Optional[float], fetch: 'Optional[Fetch]', shape: Tuple[Any, ...],
                      every: Any, max_points: int) -> 'Query':
        """What ``series`` without an interval reads: what ``choose`` picks."""
        for given, what in ((steps, 'steps= counts the buckets of an interval'),
                            (every, 'every= is picked by max_points=')):
            if given is not None:
                raise InvalidQuery('%s: a series without an interval reads start to end' % what)
        if start is None:
            raise InvalidQuery('a series without an interval needs start= (end= is now '
                               'by default)')
        first, last = self._timestamp(start), self._timestamp(end)
        choice = choose(self._intervals.values(), first, last, max_points, self._clock())
        config = self._intervals[choice.interval]
        # the choice decides whether the interval's buckets are condensed
        transform, collapse, process_row, join_rows = shape
        hooks = ReadHooks(self._type, transform, not choice.resolution, collapse, process_row,
                          join_rows)
        return self._regroup_query(config, names, fetch, hooks, first, last, choice.every)

    def choose(self, start: float, end: Optional[float] = None,
               max_points: int = DEFAULT_POINTS) -> Choice:
        """What ``series(name, start=start, end=end, max_points=max_points)`` reads:
        ``Choice(interval, resolution, every)`` (see :func:`kairos.every.choose` for
        the rule). No I/O: awaited by neither API."""
        return choose(self._intervals.values(), self._timestamp(start), self._timestamp(end),
                      max_points, self._clock())

    def _regroup_query(self, config: Interval, names: List[str], fetch: 'Optional[Fetch]',
                       hooks: ReadHooks, low: float, high: float, every: Any,
                       max_points: Optional[int] = None) -> 'Query':
        """A read of ``low`` to ``high`` regrouped by ``every`` (or the smallest that
        gives at most ``max_points`` buckets), widened to whole buckets of it."""
        if callable(hooks.condense):
            raise InvalidQuery('every= merges rows with the type\'s own merge: condense= '
                               'takes True or False with it, not a callable')
        fine = not (config.coarse or hooks.condense)
        if max_points is not None:
            every = smallest_every(config, fine, low, high, check_points(max_points))
            if every is None:
                raise InvalidQuery('no calendar step groups %r to %r of interval %r into '
                                   'at most %d buckets' % (low, high, config.name, max_points))
        regroup = every_of(every, config, fine)
        first, last, first_every, last_every = regroup.window(config, low, high)
        for calc, since, until, what in (
                (config.i_calc, first, last, 'buckets of interval %r' % config.name),
                (regroup.calc, first_every, last_every, 'buckets of every=%r' % (every,))):
            count = calc.count(since, until)
            if count > MAX_READ_BUCKETS:
                raise InvalidQuery('this read is %d %s: at most %d in one read'
                                   % (count, what, MAX_READ_BUCKETS))
        return self._query(config, names, config.i_calc.span(first, last), fetch,
                           hooks)._replace(regroup=(regroup, first_every, last_every))

    def _regrouped(self, query: 'Query', raw: Dict[str, List[Any]]) -> 'OrderedDict[int, Any]':
        """What a read with ``every`` returns: the level's rows merged per ``every``
        bucket, then collapsed or transformed."""
        assert query.regroup is not None
        every, first, last = query.regroup
        config, hooks = query.config, query.hooks
        rows = self._rows(query, raw)
        times = bucket_starts(config.i_calc, query.buckets)
        pairs: Any
        if config.coarse:
            pairs = zip(times, rows)
        elif every.fine:
            # a resolution bucket straddling two interval buckets (a zone's offset it
            # does not divide) has a part in each: each part counts in its own bucket
            pairs = ((max(when, start), data) for start, row in zip(times, rows)
                     for when, data in row.items())
        else:
            pairs = ((when, hooks.condensed(row)) for when, row in zip(times, rows))
        grouped = every.group(pairs, first, last, self._type.condense)
        if hooks.collapse:
            start = next(iter(grouped))
            length = every.calc.end_of(last) - start
            return hooks.finish(OrderedDict([(start, hooks.collapsed(grouped))]),
                                lambda _: length)
        return hooks.finish(grouped, every.length)
