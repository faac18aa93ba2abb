"""Bucket calculators: RelativeTime (fixed steps) and GregorianTime (UTC calendar).

A timestamp (seconds since the epoch, UTC) maps to a bucket, an integer::

    relative step N seconds   bucket = floor(timestamp / N)
    daily                     bucket = YYYYMMDD   (as strftime '%Y%m%d')
    weekly                    bucket = YYYYWW     (as strftime '%Y%U', weeks start on Sunday,
                                                   week 00 holds the days before the first Sunday)
    monthly                   bucket = YYYYMM     (as strftime '%Y%m')
    yearly                    bucket = YYYY       (as strftime '%Y')

Gregorian buckets use the UTC calendar and are ordered like the time they
cover, so a range of buckets can be compared as integers.

Both calculators share an integer API used inside kairos (``bucket``,
``shift``, ``span``, ``from_bucket``) and keep kairos 0.5.0's public one
(``to_bucket``, ``buckets``, ``normalize``, ``step_size``), where Gregorian
buckets are strftime strings such as '20380201', as 0.5.0 returned them.
"""

import calendar
from datetime import date, datetime, timedelta
from typing import List, Literal, Optional, Union, overload

from dateutil.relativedelta import relativedelta

from .exceptions import ConfigurationError
from .units import SIMPLE_TIMES, check_timestamp

_EPOCH = datetime(1970, 1, 1)


def _to_datetime(timestamp: float) -> datetime:
    check_timestamp(timestamp)
    # timedelta arithmetic handles negative and fractional timestamps alike
    return _EPOCH + timedelta(seconds=timestamp)


class RelativeTime:
    """Buckets of a fixed number of seconds, counted from the epoch.

    >>> RelativeTime(60).to_bucket(125), RelativeTime(60).from_bucket(2)
    (2, 120)
    """

    def __init__(self, step: int = 1):
        self._step = step

    def step_size(self, t0: Optional[float] = None, t1: Optional[float] = None) -> int:
        return self._step

    def to_bucket(self, timestamp: float, steps: int = 0) -> int:
        check_timestamp(timestamp)
        return int(timestamp // self._step) + steps

    def bucket(self, timestamp: float) -> int:
        """to_bucket for a timestamp already checked (the write path's hot loop)."""
        return int(timestamp // self._step)

    def from_bucket(self, bucket: int) -> int:
        return int(bucket) * self._step

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

    def ttl(self, steps: Optional[int]) -> Optional[int]:
        return steps * self._step if steps else None

    def __repr__(self) -> str:
        return 'RelativeTime(%d)' % self._step


class GregorianTime:
    """Calendar buckets (daily, weekly, monthly, yearly) in UTC.

    >>> GregorianTime('monthly').to_bucket(0), GregorianTime('monthly').from_bucket(197002)
    ('197001', 2678400)
    """

    FORMATS = {
        'daily': '%Y%m%d',
        'weekly': '%Y%U',
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
        first = date(year, 1, 1)
        if week == 0:
            return first
        first_sunday = first + timedelta(days=(6 - first.weekday()) % 7)
        return first_sunday + timedelta(weeks=week - 1)

    def _next_start(self, start: date) -> date:
        if self._step == 'daily':
            return start + timedelta(days=1)
        if self._step == 'monthly':
            return start + relativedelta(months=1)
        if self._step == 'yearly':
            return start + relativedelta(years=1)
        # a week never runs into the next year: the year's last week is cut short
        following = start + timedelta(days=7 - (start.weekday() + 1) % 7)
        return min(following, date(start.year + 1, 1, 1))

    # -- the public calculator API, shared with RelativeTime ----------------

    def shift(self, bucket: int, steps: int) -> int:
        """The bucket ``steps`` buckets after (or before, if negative) ``bucket``."""
        start = self._start_of(bucket)
        if self._step == 'daily':
            return self._bucket_of(start + timedelta(days=steps))
        if self._step == 'monthly':
            return self._bucket_of(start + relativedelta(months=steps))
        if self._step == 'yearly':
            return self._bucket_of(start + relativedelta(years=steps))
        for _ in range(abs(steps)):
            start = self._next_start(start) if steps > 0 else self._start_of(
                self._bucket_of(start - timedelta(days=1)))
        return self._bucket_of(start)

    def to_bucket(self, timestamp: float, steps: int = 0) -> str:
        """The bucket's strftime name, e.g. '20380201' for daily (a str, as in 0.5.0)."""
        return str(self._to_bucket(timestamp, steps))

    def _to_bucket(self, timestamp: float, steps: int = 0) -> int:
        bucket = self._bucket_of(_to_datetime(timestamp).date())
        return self.shift(bucket, steps) if steps else bucket

    def bucket(self, timestamp: float) -> int:
        """to_bucket for a timestamp already checked (the write path's hot loop)."""
        return self._bucket_of((_EPOCH + timedelta(seconds=timestamp)).date())

    @overload
    def from_bucket(self, bucket: int, native: Literal[False] = False) -> int: ...

    @overload
    def from_bucket(self, bucket: int, native: Literal[True]) -> datetime: ...

    @overload
    def from_bucket(self, bucket: int, native: bool) -> Union[int, datetime]: ...

    def from_bucket(self, bucket: int, native: bool = False) -> Union[int, datetime]:
        """UTC start of the bucket: a timestamp, or a naive UTC datetime if native."""
        start = datetime.combine(self._start_of(bucket), datetime.min.time())
        if native:
            return start
        return calendar.timegm(start.timetuple())

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
            day = self._next_start(day)
            bucket = self._bucket_of(day)
        return rval

    def normalize(self, timestamp: float, steps: int = 0) -> int:
        return self.from_bucket(self._to_bucket(timestamp, steps))

    def step_size(self, t0: float, t1: Optional[float] = None) -> int:
        """Seconds from the start of t0's bucket to the end of t1's (or t0's) bucket."""
        first = self._start_of(self._to_bucket(t0))
        last = self._start_of(self._to_bucket(t1 if t1 is not None else t0))
        return int((datetime.combine(self._next_start(last), datetime.min.time())
                    - datetime.combine(first, datetime.min.time())).total_seconds())

    def ttl(self, steps: Optional[int]) -> Optional[int]:
        return steps * SIMPLE_TIMES[self._step[0]] if steps else None

    def __repr__(self) -> str:
        return 'GregorianTime(%r)' % self._step


def calculator(step: Union[int, str]) -> 'Calculator':
    """The bucket calculator for a resolved step."""
    return RelativeTime(step) if isinstance(step, int) else GregorianTime(step)


# what a bucket calculator is: both share bucket, shift, span, from_bucket, step_size
Calculator = Union[RelativeTime, GregorianTime]
