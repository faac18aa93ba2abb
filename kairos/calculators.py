"""Bucket calculators: RelativeTime (fixed steps), GregorianTime (the UTC calendar) and,
for an interval with a ``timezone``, LocalCalendar and LocalDays (:mod:`kairos.calendars`).

A timestamp (seconds since the epoch, UTC) maps to a bucket, an integer::

    relative step N seconds   bucket = floor(timestamp / N)
    daily                     bucket = YYYYMMDD   (as strftime '%Y%m%d')
    weekly                    bucket = YYYYWW     (as strftime '%Y%U', weeks start on Sunday,
                                                   week 00 holds the days before the first Sunday)
    isoweekly                 bucket = GGGGVV     (ISO 8601 year * 100 + ISO week, as strftime
                                                   '%G%V': weeks start on Monday, week 01 holds
                                                   the year's first Thursday)
    monthly                   bucket = YYYYMM     (as strftime '%Y%m')
    yearly                    bucket = YYYY       (as strftime '%Y')

Without a timezone, calendar buckets use the UTC calendar. With one (an IANA
zone, e.g. ``'Europe/Berlin'``), they use its local calendar instead, and so
does a relative step of whole days (86400 * N seconds)::

    calendar step in a zone   the same ids, of the local date
    N whole days in a zone    bucket = (local date - 1970-01-01).days // N
                              (in UTC, the same as floor(timestamp / (N * 86400)))

A local bucket starts at the first instant of its first local date: local
midnight, or the end of the gap where a change of offset skips midnight. So a
local day lasts 23 or 25 hours where clocks change. Relative steps under a day
(60, 3600, ...) count from the epoch, in UTC, in every zone: in a zone whose
offset is not whole hours, hour buckets do not start on its local hours.

Calendar buckets are ordered like the time they cover, so a range of buckets can
be compared as integers.

Every calculator shares an integer API used inside kairos (``bucket``,
``check``, ``shift``, ``span``, ``count``, ``from_bucket``, ``end_of``) and
kairos 0.5.0's public one (``to_bucket``, ``buckets``, ``normalize``,
``step_size``, ``ttl``), where calendar buckets are strftime strings such as
'20380201', as 0.5.0 returned them. ``calculator(step, timezone=None)`` makes
the one a resolved step needs.

``check`` returns a timestamp's bucket if it lies in the range kairos stores
(:mod:`kairos.units` names the limits: buckets within a 64-bit integer, calendar
buckets within years 1 to 9999, UTC and local), else raises InvalidTimestamp
naming the limit.
"""

from datetime import tzinfo
from typing import List, Optional, Union

# the calendar calculators, importable from here too
from .calendars import (GregorianTime as GregorianTime, Numbered, ttl as ttl, _EPOCH as _EPOCH,
                        _to_datetime as _to_datetime)
from .zones import (LocalCalendar as LocalCalendar, LocalDays as LocalDays,
                    UTC_NAMES as UTC_NAMES, parse_timezone as parse_timezone)
from .exceptions import InvalidTimestamp
from .units import (BUCKET_MAX, BUCKET_MIN, _DAY, check_calendar as check_calendar,
                    check_timestamp)


class RelativeTime(Numbered):
    """Buckets of a fixed number of seconds, counted from the epoch.

    >>> RelativeTime(60).to_bucket(125), RelativeTime(60).from_bucket(2)
    (2, 120)
    """

    def __init__(self, step: int = 1):
        self._step = step

    def step_size(self, t0: Optional[float] = None, t1: Optional[float] = None) -> int:
        """The step in seconds; with ``t0`` and ``t1``, the seconds from the start of
        t0's bucket to the end of t1's, as ``GregorianTime.step_size``.

        >>> RelativeTime(86400).step_size(), RelativeTime(86400).step_size(0, 86400)
        (86400, 172800)
        """
        if t0 is None or t1 is None:
            return self._step
        return (self.to_bucket(t1) + 1 - self.to_bucket(t0)) * self._step

    def to_bucket(self, timestamp: float, steps: int = 0) -> int:
        check_timestamp(timestamp)
        return int(timestamp // self._step) + steps

    def bucket(self, timestamp: float) -> int:
        """to_bucket for a timestamp already checked (the write path's hot loop)."""
        return int(timestamp // self._step)

    def check(self, timestamp: float, what: str = 'this interval') -> int:
        """The bucket of a finite ``timestamp``, refused unless it fits in BUCKET_MIN..BUCKET_MAX."""
        bucket = int(timestamp // self._step)
        if not BUCKET_MIN <= bucket <= BUCKET_MAX:
            raise InvalidTimestamp(
                'timestamp %r is outside what %s takes: its bucket must fit in a 64-bit '
                'integer, timestamps from %d up to (not including) %d'
                % (timestamp, what, BUCKET_MIN * self._step, (BUCKET_MAX + 1) * self._step))
        return bucket

    def from_bucket(self, bucket: int) -> int:
        return int(bucket) * self._step

    def end_of(self, bucket: int) -> int:
        """The timestamp at which ``bucket`` ends (the next one's start)."""
        return (int(bucket) + 1) * self._step

    def __repr__(self) -> str:
        return 'RelativeTime(%d)' % self._step


def bucket_starts(calc: 'Calculator', buckets: List[int]) -> List[int]:
    """The start of each bucket (a read's hot loop: arithmetic for a fixed step)."""
    if type(calc) is RelativeTime:
        step = calc.step_size()
        return [bucket * step for bucket in buckets]
    return [calc.from_bucket(bucket) for bucket in buckets]


def calculator(step: Union[int, str],
               timezone: Union[str, tzinfo, None] = None) -> 'Calculator':
    """The bucket calculator for a resolved step, in ``timezone``'s local calendar if
    given (an IANA name or a ZoneInfo; UTC and None mean the UTC calendar).

    >>> calculator(60, 'Europe/Berlin'), calculator('daily', 'Europe/Berlin')
    (RelativeTime(60), LocalCalendar('daily', 'Europe/Berlin'))
    """
    zone = parse_timezone(timezone)
    if isinstance(step, int):
        if zone is not None and step % _DAY == 0:
            return LocalDays(step, zone)
        return RelativeTime(step)
    return GregorianTime(step) if zone is None else LocalCalendar(step, zone)


# what a bucket calculator is: each shares bucket, shift, span, from_bucket, step_size;
# a LocalCalendar is a GregorianTime
Calculator = Union[RelativeTime, GregorianTime, LocalDays]
