"""Units of time and the parsing of steps and resolutions, shared by every backend.

A step or a resolution is written as seconds (``60``, ``'60'``), a calendar
name (``'daily'``, ``'weekly'``, ``'isoweekly'``, ``'monthly'``, ``'yearly'``),
or a count and a unit with an optional space between (``'30s'``,
``'5min'``, ``'2 hours'``)::

    unit                              seconds
    s  sec  secs  second  seconds     1
    min  mins  minute  minutes        60
    h  hour  hours                    3600
    d  day  days                      86400
    w  week  weeks                    604800
    m  month  months                  2592000   (30 days: 'm' is kairos 0.5.0's month)
    y  year  years                    31536000  (365 days)

Units are lower case only: ``'5M'`` is refused rather than read as a minute or a
month. ``'5m'`` stays five months, so 0.5.0 configurations keep their buckets;
it warns only where the rest of its interval reads like minutes (a resolution
under an hour in an ``'Nm'`` step, or an ``'Nm'`` resolution coarser than its
step), and every refusal of an ``'Nm'`` value says that minutes are ``'Nmin'``.

A timestamp is seconds since the epoch (UTC), a finite real number: ``check_timestamp``
refuses anything else.

The limits of what one call may ask for are named here, once::

    BUCKET_MIN .. BUCKET_MAX      bucket numbers (Redis keys, SQL i_time/r_time, Mongo
                                  interval/resolution): a 64-bit integer, -2**63 excluded
                                  (MariaDB's stand-in for "no resolution")
    CALENDAR_FIRST .. CALENDAR_END  timestamps of a calendar interval (daily, weekly,
                                  isoweekly, monthly, yearly, or whole days in a
                                  ``timezone``) or of one with retention (``steps``):
                                  years 1 to 9999 UTC, the end excluded (and, in a
                                  timezone, years 1 to 9999 of its local calendar)
    MAX_RETENTION                 longest retention (``steps`` times the step), in seconds:
                                  years 1 to 9999, the span of the calendar
    MAX_SHIFT                     largest ``intervals=`` of an insert, either way
    MAX_READ_BUCKETS              most buckets one get/series reads
"""

import math
import numbers
import re
from typing import Any, Union

from .exceptions import ConfigurationError, InvalidTimestamp

_MINUTE, _HOUR, _DAY = 60, 60 * 60, 60 * 60 * 24

# A timestamp outside these raises InvalidTimestamp, an argument past the maxima
# InvalidQuery, all before anything is written or read.
BUCKET_MIN, BUCKET_MAX = -2 ** 63 + 1, 2 ** 63 - 1
CALENDAR_FIRST, CALENDAR_END = -62135596800, 253402300800  # 0001-01-01, 10000-01-01 UTC
MAX_RETENTION = CALENDAR_END - CALENDAR_FIRST  # longer is forever: refused as a mistake
MAX_SHIFT = 1000
MAX_READ_BUCKETS = 100000

# unit -> seconds. kairos 0.5.0's five one-letter units keep their values ('m' a
# 30-day month); the rest are the spellings of carbon, RRDtool and Prometheus users.
SIMPLE_TIMES = {
    'h': _HOUR,
    'd': _DAY,
    'w': 7 * _DAY,
    'm': 30 * _DAY,
    'y': 365 * _DAY,
    's': 1, 'sec': 1, 'secs': 1, 'second': 1, 'seconds': 1,
    'min': _MINUTE, 'mins': _MINUTE, 'minute': _MINUTE, 'minutes': _MINUTE,
    'hour': _HOUR, 'hours': _HOUR,
    'day': _DAY, 'days': _DAY,
    'week': 7 * _DAY, 'weeks': 7 * _DAY,
    'month': 30 * _DAY, 'months': 30 * _DAY,
    'year': 365 * _DAY, 'years': 365 * _DAY,
}

GREGORIAN_TIMES = ('daily', 'weekly', 'monthly', 'yearly')  # kairos 0.5.0's
# every calendar step: 0.5.0's and the ISO 8601 week (Monday to Sunday, '%G%V')
CALENDAR_STEPS = GREGORIAN_TIMES + ('isoweekly',)
# a calendar step's nominal length, as 0.5.0 reckoned it: a month 30 days, a year 365
CALENDAR_SECONDS = {'daily': _DAY, 'weekly': 7 * _DAY, 'isoweekly': 7 * _DAY,
                    'monthly': 30 * _DAY, 'yearly': 365 * _DAY}

# groups (count, unit), as 0.5.0's r'^(\d+)([hdwmy])$', which it still matches
SIMPLE_TIME = re.compile(r'^(\d+) ?(%s)$' % '|'.join(SIMPLE_TIMES))
NUMBER_TIME = re.compile(r'^\d+$')
_UNITS = 's, min, h, d, w, m (30 days), y (365 days), or sec(s), second(s), min(s), ' \
         'minute(s), hour(s), day(s), week(s), month(s), year(s)'


def valid_unicode(text: str) -> bool:
    """Whether ``text`` encodes as UTF-8 (no lone surrogates), so every store can hold it."""
    try:
        text.encode('utf-8')
    except UnicodeEncodeError:
        return False
    return True


def check_timestamp(timestamp: Any) -> Union[int, float]:
    """Return ``timestamp`` if it is a finite real number, else raise InvalidTimestamp.

    An int or a float comes back as given; another real number (a Fraction, a numpy
    scalar) as an int if it is integral, else as a float, which the calendar takes.
    """
    if type(timestamp) is int:
        return timestamp  # exact, however large: the range checks refuse it later
    if isinstance(timestamp, bool) or not isinstance(timestamp, numbers.Real):
        raise InvalidTimestamp('timestamp must be a number of seconds, not %r' % (timestamp,))
    if isinstance(timestamp, numbers.Integral):
        return int(timestamp)
    try:
        seconds = float(timestamp)
    except OverflowError:
        seconds = math.inf
    if not math.isfinite(seconds):
        raise InvalidTimestamp('timestamp must be finite, not %r' % (timestamp,))
    return timestamp if isinstance(timestamp, float) else seconds


def resolve_time(value: Any, what: str = 'step') -> Union[int, str]:
    """Parse a step or resolution: seconds, a count and a unit, or a calendar name.

    >>> resolve_time('2h'), resolve_time(60), resolve_time('5min'), resolve_time('monthly')
    (7200, 60, 300, 'monthly')
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    elif isinstance(value, str) and NUMBER_TIME.match(value):
        seconds = int(value)
    elif isinstance(value, str) and SIMPLE_TIME.match(value):
        count, unit = SIMPLE_TIME.match(value).groups()  # type: ignore[union-attr]
        seconds = int(count) * SIMPLE_TIMES[unit]
    elif isinstance(value, str) and value in CALENDAR_STEPS:
        return value
    else:
        raise ConfigurationError(
            'unsupported %s %r: use seconds, a count and a unit such as "30s", "5min" or '
            '"2 hours" (units: %s), or one of %s'
            % (what, value, _UNITS, ', '.join(CALENDAR_STEPS)))
    if seconds <= 0:
        raise ConfigurationError('%s must be a positive number of seconds, not %r' % (what, value))
    return seconds


def nests(inner: Union[int, str], outer: Union[int, str]) -> bool:
    """Whether each bucket of the step ``inner`` lies within one bucket of ``outer``
    (both resolved): seconds that divide theirs or a day, a day in whole days, days in
    every calendar step, ``%U`` weeks and months in years, and each step in itself.

    >>> nests(60, 3600), nests(3600, 'monthly'), nests('daily', 172800), nests('weekly', 'monthly')
    (True, True, True, False)
    """
    if inner == outer:
        return True
    if isinstance(inner, int):
        return outer % inner == 0 if isinstance(outer, int) else _DAY % inner == 0
    if isinstance(outer, int):
        return inner == 'daily' and outer % _DAY == 0
    return inner == 'daily' or (outer == 'yearly' and inner in ('weekly', 'monthly'))


def approx_seconds(step: Union[int, str]) -> int:
    """Length of a step in seconds, calendar steps approximated as 0.5.0 did."""
    return step if isinstance(step, int) else CALENDAR_SECONDS[step]


def check_calendar(timestamp: float, what: str) -> float:
    """Return ``timestamp`` if it lies within years 1 to 9999 UTC, else raise InvalidTimestamp."""
    if not CALENDAR_FIRST <= timestamp < CALENDAR_END:
        raise InvalidTimestamp(
            'timestamp %r is outside what %s takes: years 1 to 9999 UTC, timestamps from '
            '%d up to (not including) %d' % (timestamp, what, CALENDAR_FIRST, CALENDAR_END))
    return timestamp
