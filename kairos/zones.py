"""Local calendars: LocalCalendar (the calendar steps in an IANA time zone) and
LocalDays (relative steps of whole days counted in a zone's local dates).

Their bucket ids are laid out in :mod:`kairos.calculators`' docstring: those of
the UTC calendar, of the local date. The calendar arithmetic is GregorianTime's,
on dates; only two conversions differ: a timestamp's local date, and a date's
first instant (its midnight, or the end of the gap where a change of offset
skips midnight). A local day lasts from one first instant to the next: 23 or 25
hours on the days clocks change. Zones come from ``zoneinfo``: the system's
database, else the ``tzdata`` package.
"""

from datetime import date, datetime, tzinfo
from typing import Optional, Union
from zoneinfo import ZoneInfo, available_timezones

from .calendars import GregorianTime, Numbered, _EPOCH_ORDINAL
from .exceptions import ConfigurationError, InvalidTimestamp
from .typos import close_match
from .units import _DAY, check_calendar, check_timestamp

_FIRST_ORDINAL, _LAST_ORDINAL = date.min.toordinal(), date.max.toordinal()

# names of zones that are UTC, always: they get the UTC calculators
UTC_NAMES = frozenset({'UTC', 'Etc/UTC', 'UCT', 'Etc/UCT', 'Universal', 'Etc/Universal',
                       'Zulu', 'Etc/Zulu'})


def parse_timezone(value: Union[str, tzinfo, None], where: str = '') -> Optional[ZoneInfo]:
    """The ZoneInfo of an IANA zone name (or a ZoneInfo), None for UTC or none;
    ``where`` (e.g. " of interval 'daily'") goes into the refusal of any other value.

    >>> parse_timezone('Europe/Berlin'), parse_timezone('UTC')
    (zoneinfo.ZoneInfo(key='Europe/Berlin'), None)
    """
    if value is None:
        return None
    if isinstance(value, ZoneInfo):
        return None if value.key in UTC_NAMES else value
    if not isinstance(value, str):
        raise ConfigurationError('timezone%s must be an IANA zone name such as '
                                 '"Europe/Berlin", not %r' % (where, value))
    if value in UTC_NAMES:
        return None
    try:
        return ZoneInfo(value)
    except (KeyError, ValueError, OSError, TypeError):
        pass
    names = available_timezones()
    meant = {name.lower(): name for name in names}.get(value.lower()) or \
        close_match(value, names)
    raise ConfigurationError('unknown timezone %r%s: use an IANA zone name such as '
                             '"Europe/Berlin" (from the system or the tzdata package)%s'
                             % (value, where, ', did you mean %r?' % meant if meant else ''))


class _Zoned:
    """Dates of a time zone: a timestamp's local date, and a local date's first instant."""

    _zone: ZoneInfo

    @property
    def timezone(self) -> ZoneInfo:
        return self._zone

    def _local_date(self, timestamp: float, what: str = 'this interval') -> date:
        try:
            # local dates change only on whole seconds: floored, no rounding moves a
            # timestamp into the next day
            return datetime.fromtimestamp(timestamp // 1, self._zone).date()
        except (OverflowError, ValueError, OSError):
            raise InvalidTimestamp(
                'timestamp %r is outside what %s takes: its date in %s must lie in years '
                '1 to 9999' % (timestamp, what, self._zone.key)) from None

    def _stamp(self, ordinal: int) -> int:
        """The first instant of the local date of ``ordinal``; past the ends of the
        calendar, counted in days of 86400 seconds from them."""
        if ordinal < _FIRST_ORDINAL:
            return self._stamp(_FIRST_ORDINAL) - (_FIRST_ORDINAL - ordinal) * _DAY
        if ordinal > _LAST_ORDINAL:
            return self._stamp(_LAST_ORDINAL) + (ordinal - _LAST_ORDINAL) * _DAY
        day = date.fromordinal(ordinal)
        midnight = datetime(day.year, day.month, day.day, tzinfo=self._zone)
        first, second = int(midnight.timestamp()), int(midnight.replace(fold=1).timestamp())
        early, late = min(first, second), max(first, second)
        if early == late or self._local_date(early) >= day:
            return early  # midnight, the first time it happens
        # midnight falls in a gap: the day starts where the gap ends, between the two
        while late - early > 1:
            middle = (early + late) // 2
            if self._local_date(middle) >= day:
                late = middle
            else:
                early = middle
        return late


class LocalCalendar(_Zoned, GregorianTime):
    """Calendar buckets (daily, weekly, isoweekly, monthly, yearly) of a time zone's
    local dates, each starting at the first instant of its local date.

    >>> from zoneinfo import ZoneInfo
    >>> berlin = LocalCalendar('daily', ZoneInfo('Europe/Berlin'))
    >>> berlin.to_bucket(1711839600), berlin.step_size(1711839600)  # 2024-03-31, 23 hours
    ('20240331', 82800)
    """

    def __init__(self, step: str, timezone: ZoneInfo):
        super().__init__(step)
        self._zone = timezone

    def bucket(self, timestamp: float) -> int:
        """to_bucket for a timestamp already checked (the write path's hot loop)."""
        return self._bucket_of(self._local_date(timestamp))

    def check(self, timestamp: float, what: str = 'this interval') -> int:
        """The bucket of a finite ``timestamp``, refused outside years 1 to 9999, UTC or local."""
        return self._bucket_of(self._local_date(check_calendar(timestamp, what), what))

    def __repr__(self) -> str:
        return 'LocalCalendar(%r, %r)' % (self._step, self._zone.key)


class LocalDays(_Zoned, Numbered):
    """Relative steps of N whole days in a time zone: bucket = (local date - 1970-01-01)
    in days // N, each starting at the first instant of its first local date.

    >>> from zoneinfo import ZoneInfo
    >>> days = LocalDays(86400, ZoneInfo('America/New_York'))
    >>> days.to_bucket(1710046800), days.end_of(19792) - days.from_bucket(19792)  # 2024-03-10
    (19792, 82800)
    """

    def __init__(self, step: int, timezone: ZoneInfo):
        if step % _DAY or step <= 0:
            raise ConfigurationError('LocalDays needs a step of whole days, not %r' % (step,))
        self._step = step
        self._days = step // _DAY
        self._zone = timezone

    def bucket(self, timestamp: float) -> int:
        """to_bucket for a timestamp already checked (the write path's hot loop)."""
        return (self._local_date(timestamp).toordinal() - _EPOCH_ORDINAL) // self._days

    def check(self, timestamp: float, what: str = 'this interval') -> int:
        """The bucket of a finite ``timestamp``, refused outside years 1 to 9999, UTC or local."""
        day = self._local_date(check_calendar(timestamp, what), what)
        return (day.toordinal() - _EPOCH_ORDINAL) // self._days

    def to_bucket(self, timestamp: float, steps: int = 0) -> int:
        return self.bucket(check_timestamp(timestamp)) + steps

    def from_bucket(self, bucket: int) -> int:
        return self._stamp(_EPOCH_ORDINAL + int(bucket) * self._days)

    def end_of(self, bucket: int) -> int:
        """The timestamp at which ``bucket`` ends (the next one's start)."""
        return self._stamp(_EPOCH_ORDINAL + (int(bucket) + 1) * self._days)

    def step_size(self, t0: Optional[float] = None, t1: Optional[float] = None) -> int:
        """The nominal step in seconds; with ``t0``, the seconds from the start of t0's
        bucket to the end of t1's (or t0's): a local day lasts 23 to 25 hours."""
        if t0 is None:
            return self._step
        return self.end_of(self.to_bucket(t1 if t1 is not None else t0)) - \
            self.from_bucket(self.to_bucket(t0))

    def __repr__(self) -> str:
        return 'LocalDays(%d, %r)' % (self._step, self._zone.key)
