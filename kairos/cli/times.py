"""Times on the command line, and times shown: parsed once, resolved against a clock.

A time (``--start``, ``--end``, ``--at``, ``--now``) is one of::

    now                        the clock's time
    1800000000  1800000000.5   seconds since the epoch (UTC)
    2027-01-15  2027-01-15T08:30  2027-01-15 08:30:00
                               ISO 8601 without an offset: UTC
    2027-01-15T09:30+01:00  2027-01-15T08:30Z
                               ISO 8601 with an offset
    -1h  -7d  -30m  +90s  -1h30m  now-2w
                               relative to now: a sign, then counts of s, m (or min),
                               h, d and w; ``m`` is a minute here, unlike a step's
                               ``'5m'`` (kairos 0.5.0's month), and months and years,
                               whose length varies, are not taken

A relative time is kept relative (:class:`TimeSpec`), so that ``kairos watch``
slides its window as the clock moves; ``at(now)`` gives its seconds. The clock
is the caller's: nothing here reads the system's time.

>>> parse_time('-1h30m').at(1800000000)
1799994600.0
>>> parse_time('2027-01-15T09:00+01:00').at(0)
1800000000.0
"""

import math
import re
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Iterable, NamedTuple, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.parser import isoparse

from .errors import UsageError

# seconds per unit of a relative time
UNITS = {'s': 1, 'm': 60, 'min': 60, 'h': 3600, 'd': 86400, 'w': 604800}
_PART = r'(\d+(?:\.\d+)?)(min|[smhdw])'
RELATIVE = re.compile(r'(?:now)?\s*([+-])\s*((?:%s)+)\Z' % _PART)
_PARTS = re.compile(_PART)
_EPOCH = re.compile(r'[+-]?(\d+(\.\d*)?|\.\d+)\Z')


class TimeSpec(NamedTuple):
    """A time as given: ``offset`` seconds from now when ``relative``, else ``offset``
    seconds since the epoch; ``text`` is what was written."""

    text: str
    relative: bool
    offset: float

    def at(self, now: float) -> float:
        """Seconds since the epoch that this time means when the clock says ``now``."""
        return float(now + self.offset if self.relative else self.offset)


def parse_time(text: str) -> TimeSpec:
    """``text`` as a :class:`TimeSpec`; UsageError naming the forms when it is none."""
    given = text.strip()
    lowered = given.lower()
    if lowered == 'now':
        return TimeSpec(text, True, 0.0)
    relative = RELATIVE.match(lowered)
    if relative is not None:
        seconds = sum(float(count) * UNITS[unit]
                      for count, unit in _PARTS.findall(relative.group(2)))
        return TimeSpec(text, True, -seconds if relative.group(1) == '-' else seconds)
    if _EPOCH.match(given):
        seconds = float(given)
        if math.isfinite(seconds):
            return TimeSpec(text, False, seconds)
    try:
        moment = isoparse(given.replace(' ', 'T', 1))
    except (ValueError, OverflowError):
        raise UsageError('%r is not a time: use now, seconds since the epoch, ISO 8601 '
                         '(2027-01-15T08:30, UTC without an offset) or a relative time '
                         '(-1h, -7d, -30m, now-1h30m)' % text) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return TimeSpec(text, False, moment.timestamp())


def looks_relative(text: str) -> bool:
    """True for a relative time that starts with a sign (``-1h``), which argparse would
    otherwise take for an option."""
    return RELATIVE.match(text.strip().lower()) is not None and text.lstrip()[:1] in '+-'


def parse_zone(name: Optional[str]) -> Optional[tzinfo]:
    """The zone of an IANA name (``Europe/Berlin``, ``UTC``); None for the system's own."""
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError('unknown timezone %r: use an IANA name such as UTC or '
                         'Europe/Berlin' % name) from None


def local(seconds: float, zone: Optional[tzinfo]) -> datetime:
    """The aware datetime of ``seconds`` in ``zone`` (None: the system's local zone)."""
    moment = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=seconds)
    return moment.astimezone(zone) if zone is not None else moment.astimezone()


def zone_label(zone: Optional[tzinfo], now: float) -> str:
    """How a table names its times' zone: the IANA name, else the local abbreviation."""
    key = getattr(zone, 'key', None)
    if isinstance(key, str):
        return key
    return local(now, zone).tzname() or 'local'


def time_format(moments: Iterable[datetime]) -> str:
    """The shortest strftime format that shows all of ``moments`` whole: a date alone
    when they are all midnights, minutes when no seconds are set."""
    date_only = True
    for moment in moments:
        if moment.second or moment.microsecond:
            return '%Y-%m-%d %H:%M:%S'
        if moment.hour or moment.minute:
            date_only = False
    return '%Y-%m-%d' if date_only else '%Y-%m-%d %H:%M'


def iso(seconds: float, zone: Optional[tzinfo]) -> str:
    """ISO 8601 with its offset, in ``zone`` (None: UTC): the machine formats' time."""
    moment = local(seconds, zone if zone is not None else timezone.utc)
    return moment.isoformat(timespec='seconds' if not moment.microsecond else 'auto')
