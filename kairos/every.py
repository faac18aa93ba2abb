"""Re-bucketing at read time (``every=``) and the choice of what to read for a range
(``choose``): pure functions of a configuration, no I/O.

``every`` is written as a step is (:mod:`kairos.units`): seconds, ``900``,
``'15min'`` or ``'1 hour'``, or a calendar step, ``'daily'``, ``'weekly'``,
``'isoweekly'``, ``'monthly'``, ``'yearly'``. A read with ``every`` groups the
buckets of the *level* it reads into buckets of ``every``::

    level        the resolution buckets of an interval that has one, unless the read
                 condenses; else the interval's own buckets
    grouping     each level bucket goes to the ``every`` bucket holding its start:
                 seconds are aligned to multiples of ``every`` since the epoch,
                 calendar steps start at midnight (in the interval's timezone); a
                 resolution bucket that straddles two of its interval's (in a zone
                 whose offset it does not divide) holds a part in each, and each
                 part goes where its interval bucket is
    merging      exact, before any transform, with the type's own merge: lists
                 concatenated in time order, histograms and counts summed, sets
                 united, a gauge's last value; then collapse, then the transform
    window       the ``every`` buckets holding the range asked for (a ``get``: its
                 bucket), whole, so none is cut at either end

``every`` must be a whole multiple of the level's step (:func:`kairos.units.nests`):
seconds of a step in seconds, or a calendar step the level nests in (a day
holds whole level buckets when their seconds divide a day; days nest in every
calendar step and in whole days; ``%U`` weeks and months in years; ISO weeks
only in themselves). Seconds that make whole days follow the interval's local
days where it has a timezone.

``choose(intervals, start, end, max_points, now)`` is what ``series`` without an
interval reads: the finest level (resolution before step, by length) whose
interval still holds the whole range (no retention, or ``start`` within its
last ``steps`` buckets as of ``now``) in at most MAX_READ_BUCKETS buckets of the
level, with the smallest ``every`` (a multiple of the level's step, or the
first calendar step it nests in) that gives at most ``max_points`` buckets.
"""

from collections import OrderedDict
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Tuple, Union

from .calculators import Calculator, calculator
from .exceptions import ConfigurationError, InvalidQuery, InvalidTimestamp
from .intervals import Interval
from .series_types import MISSING
from .units import CALENDAR_STEPS, MAX_READ_BUCKETS, approx_seconds, nests, resolve_time

# the calendar steps in the order choose() tries them, finest first
_CALENDAR_ORDER = sorted(CALENDAR_STEPS, key=approx_seconds)
DEFAULT_POINTS = 300  # max_points of a series without an interval
# what every= takes: seconds, a count and a unit, or a calendar step
EveryArg = Union[int, float, str]


class Choice(NamedTuple):
    """What ``choose`` reads: ``interval``'s resolution buckets (``resolution`` True)
    or its own, grouped by ``every``."""
    interval: str
    resolution: bool
    every: Union[int, str]


class Every(NamedTuple):
    """A checked ``every=``: the calculator of its buckets, for a level of ``config``."""
    calc: Calculator
    level: Union[int, str]   # the step of the level grouped
    fine: bool               # True: the level is the interval's resolution

    def window(self, config: Interval, low: float, high: float) -> Tuple[int, int, int, int]:
        """(first, last) interval buckets to read, and (first, last) ``every`` buckets,
        for a read of ``low`` to ``high``: the ``every`` buckets holding them, whole."""
        calc = self.calc
        first, last = calc.bucket(low), calc.bucket(high)
        start, end = calc.from_bucket(first), calc.end_of(last) - 1
        return config.check(start), config.check(end), first, last

    def group(self, pairs: Iterable[Tuple[int, Any]], first: int, last: int,
              merge: Callable[[List[Any]], Any]) -> 'OrderedDict[int, Any]':
        """``{every time: row}`` for every ``every`` bucket from ``first`` to ``last``: the
        rows of ``pairs`` ((level time, row), in time order) merged; MISSING where none."""
        calc = self.calc
        groups: Dict[int, List[Any]] = OrderedDict(
            (bucket, []) for bucket in calc.span(first, last))
        for when, row in pairs:
            rows = groups.get(calc.bucket(when))
            # the window's whole interval buckets may reach past the last every bucket
            if rows is not None and row is not MISSING:
                rows.append(row)
        return OrderedDict((calc.from_bucket(bucket), merge(rows) if rows else MISSING)
                           for bucket, rows in groups.items())

    def length(self, when: int) -> int:
        """Seconds of the ``every`` bucket starting at ``when`` (23 or 25 hours for a day
        of a DST change)."""
        return self.calc.end_of(self.calc.bucket(when)) - when


def every_of(every: Any, config: Interval, fine: bool) -> Every:
    """``every`` checked against the level of ``config`` a read groups (its resolution
    when ``fine``); InvalidQuery names what would do."""
    level = config.resolution if fine else config.step
    what = "the %s of interval %r" % ('resolution' if fine else 'step', config.name)
    try:
        value = resolve_time(every, 'every')
    except ConfigurationError as exc:
        raise InvalidQuery(str(exc)) from None
    if not nests(level, value):
        raise InvalidQuery('every=%r is not a whole multiple of %s, %r: %s' % (
            every, what, level, _multiples(level)))
    return Every(calculator(value, config.timezone), level, fine)


def _multiples(level: Union[int, str]) -> str:
    coarser = ', '.join(name for name in _CALENDAR_ORDER if nests(level, name))
    if isinstance(level, int):
        return 'use a multiple of %d seconds%s' % (level, ' or one of ' + coarser
                                                   if coarser else '')
    return 'use one of %s%s' % (coarser, ', or a multiple of 86400 seconds (whole days)'
                                if level == 'daily' else '')


def smallest_every(config: Interval, fine: bool, start: float, end: float,
                   max_points: int) -> Optional[Union[int, str]]:
    """The smallest ``every`` for the level of ``config`` (its resolution when ``fine``)
    that groups ``start`` to ``end`` into at most ``max_points`` buckets, or None."""
    level = config.resolution if fine else config.step
    zone = config.timezone

    def count(every: Union[int, str]) -> int:
        calc = calculator(every, zone)
        return calc.count(calc.bucket(start), calc.bucket(end))
    if isinstance(level, int):
        times = max(1, int((end - start) // (level * max_points)))
        while count(level * times) > max_points:
            times += 1
        return level * times
    for name in _CALENDAR_ORDER:
        if nests(level, name) and count(name) <= max_points:
            return name
    return None


def check_points(max_points: Any) -> int:
    """``max_points`` if it is a positive int, else InvalidQuery."""
    if isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 1:
        raise InvalidQuery('max_points must be a positive integer, not %r' % (max_points,))
    return max_points


def choose(intervals: Iterable[Interval], start: float, end: float, max_points: int,
           now: float) -> Choice:
    """The level and ``every`` a read of ``start`` to ``end`` without an interval takes:
    see the module docstring. InvalidQuery says why none does: what kept each interval
    that holds the range from reading it, or which holds the most of it."""
    check_points(max_points)
    if start > end:
        raise InvalidQuery('start %r is after end %r' % (start, end))
    configs = list(intervals)
    if not configs:
        raise InvalidQuery('no intervals to choose from')
    levels = [(config, fine) for config in configs
              for fine in ((True, False) if not config.coarse else (False,))]
    levels.sort(key=lambda level: approx_seconds(
        level[0].resolution if level[1] else level[0].step))
    refusals: List[str] = []
    for config, fine in levels:
        if _share(config, start, end, now) < 1.0:
            continue
        try:
            refusal = _refusal(config, fine, start, end, max_points)
        except InvalidTimestamp:   # a local calendar's dates end before the range's
            refusal = '%r cannot reach those dates in its calendar' % config.name
        if isinstance(refusal, Choice):
            return refusal
        refusals.append(refusal)
    if refusals:
        raise InvalidQuery('no interval reads %r to %r in at most %d points: %s'
                           % (start, end, max_points, '; '.join(dict.fromkeys(refusals))))
    best = max(configs, key=lambda config: (_share(config, start, end, now),
                                            config.expire or 0))
    share = _share(best, start, end, now)
    kept = 'its last %d buckets, from %d' % (best.steps or 0, _oldest(best, now))
    if share == 0.0:
        raise InvalidQuery('no interval holds any of %r to %r: %r keeps the longest (%s)'
                           % (start, end, best.name, kept))
    raise InvalidQuery('no interval holds %r to %r: %r holds the most of it (%.0f%%, %s)'
                       % (start, end, best.name, share * 100, kept))


def _refusal(config: Interval, fine: bool, start: float, end: float,
             max_points: int) -> Union[Choice, str]:
    """The choice of a level of ``config`` that holds the range, or why it cannot read it."""
    what = '%r%s' % (config.name, ' (its resolution)' if fine else '')
    calc = config.r_calc if fine else config.i_calc
    if calc.count(calc.bucket(start), calc.bucket(end)) > MAX_READ_BUCKETS:
        return '%s would read more than %d buckets' % (what, MAX_READ_BUCKETS)
    every = smallest_every(config, fine, start, end, max_points)
    if every is None:
        return '%s gives more than %d buckets even by years' % (what, max_points)
    every_of(every, config, fine).window(config, start, end)  # its whole buckets fit
    return Choice(config.name, fine, every)


def _oldest(config: Interval, now: float) -> int:
    """The start of the oldest bucket ``config`` still holds as of ``now``."""
    calc = config.i_calc
    return calc.from_bucket(calc.shift(calc.bucket(now), -((config.steps or 1) - 1)))


def _share(config: Interval, start: float, end: float, now: float) -> float:
    """The share of ``start`` to ``end`` (1.0 for all of it) that ``config`` still holds
    as of ``now``: buckets within its last ``steps``."""
    if not config.expire or not config.steps:
        return 1.0
    try:
        oldest = _oldest(config, now)
    except InvalidTimestamp:
        return 0.0
    if start >= oldest:
        return 1.0
    if end <= oldest:
        return 0.0
    return (end - oldest) / (end - start)
