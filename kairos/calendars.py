"""The calendar calculator, GregorianTime (daily, weekly, isoweekly, monthly, yearly
in UTC), and ``ttl``, the retention every calculator computes.

Its buckets are laid out in :mod:`kairos.calculators`' docstring. The
calendar arithmetic is done on dates, so that :mod:`kairos.zones` reuses it in
any time zone: only a timestamp's date and a date's first instant differ.
"""

import calendar
import time
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, List, Literal, Optional, Union, cast, overload

from dateutil.relativedelta import relativedelta

from .exceptions import ConfigurationError, InvalidTimestamp
from .units import CALENDAR_SECONDS, _DAY, check_calendar, check_timestamp

if TYPE_CHECKING:
    from .calculators import Calculator

_EPOCH = datetime(1970, 1, 1)
_EPOCH_ORDINAL = _EPOCH.toordinal()

def _to_datetime(timestamp: float) -> datetime:
    check_timestamp(timestamp)
    # timedelta arithmetic handles negative and fractional timestamps alike
    return _EPOCH + timedelta(seconds=timestamp)


class GregorianTime:
    """Calendar buckets (daily, weekly, isoweekly, monthly, yearly) in UTC.

    >>> GregorianTime('monthly').to_bucket(0), GregorianTime('monthly').from_bucket(197002)
    ('197001', 2678400)
    >>> GregorianTime('isoweekly').to_bucket(1609372800)  # Thursday 2020-12-31
    '202053'
    """

    FORMATS = {
        'daily': '%Y%m%d',
        'weekly': '%Y%U',
        'isoweekly': '%G%V',
        'monthly': '%Y%m',
        'yearly': '%Y',
    }

    def __init__(self, step: str = 'daily'):
        if step not in self.FORMATS:
            raise ConfigurationError('unknown Gregorian step %r' % (step,))
        self._step = step
        self.format = self.FORMATS[step]

    # -- calendar <-> bucket ------------------------------------------------

    def _bucket_of(self, day: date) -> int:
        step = self._step
        if step == 'daily':
            return day.year * 10000 + day.month * 100 + day.day
        if step == 'monthly':
            return day.year * 100 + day.month
        if step == 'yearly':
            return day.year
        if step == 'isoweekly':
            year, week, _ = day.isocalendar()
            return year * 100 + week
        # '%U': days before the year's first Sunday are week 0
        sunday_based_weekday = (day.weekday() + 1) % 7
        week = (day.timetuple().tm_yday - 1 + 7 - sunday_based_weekday) // 7
        return day.year * 100 + week

    def _start_of(self, bucket: int) -> date:
        bucket = int(bucket)
        step = self._step
        if step == 'daily':
            return date(bucket // 10000, bucket // 100 % 100, bucket % 100)
        if step == 'monthly':
            return date(bucket // 100, bucket % 100, 1)
        if step == 'yearly':
            return date(bucket, 1, 1)
        year, week = divmod(bucket, 100)
        if step == 'isoweekly':
            return date.fromisocalendar(year, week, 1)
        first = date(year, 1, 1)
        if week == 0:
            return first
        first_sunday = first + timedelta(days=(6 - first.weekday()) % 7)
        return first_sunday + timedelta(weeks=week - 1)

    def _next_ordinal(self, start: date) -> int:
        """The ordinal of the date the bucket starting on ``start`` ends on (past
        ``date.max`` for the last buckets of year 9999)."""
        step, ordinal = self._step, start.toordinal()
        if step == 'daily':
            return ordinal + 1
        if step == 'monthly':
            return ordinal + calendar.monthrange(start.year, start.month)[1]
        if step == 'yearly':
            return ordinal + 365 + calendar.isleap(start.year)
        if step == 'isoweekly':
            return ordinal + 7
        # a '%U' week never runs into the next year: the year's last week is cut short
        return min(ordinal + 7 - (start.weekday() + 1) % 7,
                   date(start.year, 12, 31).toordinal() + 1)

    def _next_start(self, start: date) -> date:
        return date.fromordinal(self._next_ordinal(start))

    def _stamp(self, ordinal: int) -> int:
        """The timestamp at which the date of ``ordinal`` starts (any ordinal)."""
        return (ordinal - _EPOCH_ORDINAL) * _DAY

    # -- the public calculator API, shared with RelativeTime ----------------

    def shift(self, bucket: int, steps: int) -> int:
        """The bucket ``steps`` buckets after (or before, if negative) ``bucket``.

        Raises InvalidTimestamp where that passes year 1 or 9999.
        """
        try:
            return self._shift(bucket, steps)
        except (OverflowError, ValueError):
            raise InvalidTimestamp(
                '%d buckets from %d is outside what a %s interval takes: years 1 to 9999'
                % (steps, bucket, self._step)) from None

    def _shift(self, bucket: int, steps: int) -> int:
        start = self._start_of(bucket)
        if self._step == 'daily':
            return self._bucket_of(start + timedelta(days=steps))
        if self._step == 'monthly':
            return self._bucket_of(start + relativedelta(months=steps))
        if self._step == 'yearly':
            return self._bucket_of(start + relativedelta(years=steps))
        if self._step == 'isoweekly':
            return self._bucket_of(start + timedelta(weeks=steps))
        for _ in range(abs(steps)):
            start = self._next_start(start) if steps > 0 else self._start_of(
                self._bucket_of(start - timedelta(days=1)))
        return self._bucket_of(start)

    def to_bucket(self, timestamp: float, steps: int = 0) -> str:
        """The bucket's strftime name, e.g. '20380201' for daily (a str, as in 0.5.0)."""
        return str(self._to_bucket(timestamp, steps))

    def _to_bucket(self, timestamp: float, steps: int = 0) -> int:
        bucket = self.bucket(check_timestamp(timestamp))
        return self.shift(bucket, steps) if steps else bucket

    def bucket(self, timestamp: float) -> int:
        """to_bucket for a timestamp already checked (the write path's hot loop)."""
        return self._bucket_of((_EPOCH + timedelta(seconds=timestamp)).date())

    def check(self, timestamp: float, what: str = 'this interval') -> int:
        """The bucket of a finite ``timestamp``, refused outside years 1 to 9999."""
        return self.bucket(check_calendar(timestamp, what))

    def end_of(self, bucket: int) -> int:
        """The timestamp at which ``bucket`` ends (the next one's start)."""
        return self._stamp(self._next_ordinal(self._start_of(bucket)))

    def count(self, first: int, last: int) -> int:
        """How many buckets ``span(first, last)`` holds, without listing them."""
        if last < first:
            return 0
        step = self._step
        if step == 'daily':
            return (self._start_of(last) - self._start_of(first)).days + 1
        if step == 'monthly':
            return (last // 100 * 12 + last % 100) - (first // 100 * 12 + first % 100) + 1
        if step == 'yearly':
            return last - first + 1
        if step == 'isoweekly':
            return (self._start_of(last) - self._start_of(first)).days // 7 + 1
        # a year's weeks run from its first (0, or 1 where it starts on a Sunday) to the
        # week of its 31 December
        return sum(self._week_index(self._bucket_of(date(year, 12, 31))) + 1
                   for year in range(first // 100, last // 100)) \
            - self._week_index(first) + self._week_index(last) + 1

    @staticmethod
    def _week_index(bucket: int) -> int:
        """The place of a weekly bucket among its year's weeks, from 0."""
        year, week = divmod(bucket, 100)
        return week - (date(year, 1, 1).weekday() == 6)

    @overload
    def from_bucket(self, bucket: int, native: Literal[False] = False) -> int: ...

    @overload
    def from_bucket(self, bucket: int, native: Literal[True]) -> datetime: ...

    @overload
    def from_bucket(self, bucket: int, native: bool) -> Union[int, datetime]: ...

    def from_bucket(self, bucket: int, native: bool = False) -> Union[int, datetime]:
        """Start of the bucket: a timestamp, or a naive UTC datetime if native."""
        start = self._stamp(self._start_of(bucket).toordinal())
        return _EPOCH + timedelta(seconds=start) if native else start

    def buckets(self, start: float, end: float) -> List[str]:
        """The names of the buckets from ``start``'s to ``end``'s (str, as in 0.5.0)."""
        return [str(bucket) for bucket in
                self.span(self._to_bucket(start), self._to_bucket(end))]

    def span(self, first: int, last: int) -> List[int]:
        """Every bucket from ``first`` to ``last``, both included."""
        rval: List[int] = []
        day = self._start_of(first)
        bucket = first
        while bucket <= last:
            rval.append(bucket)
            try:
                day = self._next_start(day)
            except (OverflowError, ValueError):
                break  # the last bucket of year 9999
            bucket = self._bucket_of(day)
        return rval

    def normalize(self, timestamp: float, steps: int = 0) -> int:
        return self.from_bucket(self._to_bucket(timestamp, steps))

    def step_size(self, t0: float, t1: Optional[float] = None) -> int:
        """Seconds from the start of t0's bucket to the end of t1's (or t0's) bucket."""
        first = self._start_of(self._to_bucket(t0))
        last = self._start_of(self._to_bucket(t1 if t1 is not None else t0))
        return self._stamp(self._next_ordinal(last)) - self._stamp(first.toordinal())

    def ttl(self, steps: Optional[int], relative_time: Optional[float] = None,
            now: Optional[float] = None) -> Optional[int]:
        """Seconds that ``steps`` buckets last (a month as 30 days, a year as 365), or None
        without steps; see :func:`ttl`."""
        return ttl(self, steps, steps * CALENDAR_SECONDS[self._step] if steps else 0,
                   relative_time, now)

    def __repr__(self) -> str:
        return 'GregorianTime(%r)' % self._step


def ttl(calc: 'Calculator', steps: Optional[int], lifetime: int,
        relative_time: Optional[float], now: Optional[float]) -> Optional[int]:
    """``lifetime``, the seconds ``steps`` buckets last, or None without steps.

    With ``relative_time``, as in kairos 0.10.1: the seconds from ``now`` (default
    ``time.time()``) until data of ``relative_time``'s bucket is past its retention,
    counted from the bucket starts; 0 when it already is.
    """
    if not steps:
        return None
    if relative_time is None:
        return lifetime
    current = time.time() if now is None else now
    age = calc.from_bucket(calc.bucket(check_timestamp(current))) - \
        calc.from_bucket(calc.bucket(check_timestamp(relative_time)))
    return max(0, lifetime - age)


class Numbered:
    """Arithmetic of buckets numbered one after another (a fixed number of seconds, or
    of local days): shared by RelativeTime and LocalDays, which give ``_step``,
    ``to_bucket`` and ``from_bucket``."""

    _step: int

    if TYPE_CHECKING:
        def to_bucket(self, timestamp: float, steps: int = 0) -> int: ...

        def from_bucket(self, bucket: int) -> int: ...

    def count(self, first: int, last: int) -> int:
        """How many buckets ``span(first, last)`` holds."""
        return last - first + 1

    def shift(self, bucket: int, steps: int) -> int:
        """The bucket ``steps`` buckets after (or before, if negative) ``bucket``."""
        return bucket + steps

    def buckets(self, start: float, end: float) -> List[int]:
        return self.span(self.to_bucket(start), self.to_bucket(end))

    def span(self, first: int, last: int) -> List[int]:
        """Every bucket from ``first`` to ``last``, both included."""
        return list(range(first, last + 1))

    def normalize(self, timestamp: float, steps: int = 0) -> int:
        return self.from_bucket(self.to_bucket(timestamp, steps))

    def ttl(self, steps: Optional[int], relative_time: Optional[float] = None,
            now: Optional[float] = None) -> Optional[int]:
        """Seconds that ``steps`` buckets last nominally (a local day as 86400 seconds),
        or None without steps; see :func:`ttl`.

        >>> from kairos.calculators import RelativeTime
        >>> RelativeTime(60).ttl(5), RelativeTime(60).ttl(5, relative_time=0, now=125)
        (300, 180)
        """
        return ttl(cast('Calculator', self), steps, steps * self._step if steps else 0,
                   relative_time, now)
