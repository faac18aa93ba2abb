"""Time parsing and bucket arithmetic, shared by every backend.

A timestamp (seconds since the epoch, UTC) maps to a bucket, an integer::

    relative step N seconds   bucket = floor(timestamp / N)
    daily                     bucket = YYYYMMDD   (as strftime '%Y%m%d')
    weekly                    bucket = YYYYWW     (as strftime '%Y%U', weeks start on Sunday,
                                                   week 00 holds the days before the first Sunday)
    monthly                   bucket = YYYYMM     (as strftime '%Y%m')
    yearly                    bucket = YYYY       (as strftime '%Y')

Gregorian buckets use the UTC calendar and are ordered like the time they
cover, so a range of buckets can be compared as integers.

A step or a resolution is written as seconds (``60``, ``'60'``), a Gregorian
name, or a count and a unit with an optional space between (``'30s'``,
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

A resolution finer than its step must nest in it, so that no resolution bucket
straddles two of the step's: a relative resolution divides a relative step, or a
day for a Gregorian step; 'daily' nests in a relative step of whole days and in
every Gregorian step, 'monthly' in 'yearly', and 'weekly' in 'yearly' (a
'%U' week ends with its year), never in 'monthly'. A resolution coarser than
its step is stored as kairos 0.5.0 stored it, one per bucket, with a warning.

Both calculators share an integer API used inside kairos (``bucket``,
``shift``, ``span``, ``from_bucket``) and keep kairos 0.5.0's public one
(``to_bucket``, ``buckets``, ``normalize``, ``step_size``), where Gregorian
buckets are strftime strings such as '20380201', as 0.5.0 returned them.
"""

import calendar
import collections.abc
import math
import numbers
import re
from datetime import date, datetime, timedelta
from typing import Any, Iterable, List, Literal, Optional, TypedDict, Union, overload

from dateutil.relativedelta import relativedelta

from .exceptions import ConfigurationError, InvalidTimestamp, warn

_MINUTE, _HOUR, _DAY = 60, 60 * 60, 60 * 60 * 24

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

GREGORIAN_TIMES = ('daily', 'weekly', 'monthly', 'yearly')

# groups (count, unit), as 0.5.0's r'^(\d+)([hdwmy])$', which it still matches
SIMPLE_TIME = re.compile(r'^(\d+) ?(%s)$' % '|'.join(SIMPLE_TIMES))
NUMBER_TIME = re.compile(r'^\d+$')
_UNITS = 's, min, h, d, w, m (30 days), y (365 days), or sec(s), second(s), min(s), ' \
         'minute(s), hour(s), day(s), week(s), month(s), year(s)'
_EPOCH = datetime(1970, 1, 1)


class _IntervalStep(TypedDict):
    step: Union[int, float, str]


class IntervalConfig(_IntervalStep, total=False):
    """One interval's configuration, e.g. ``{'step': '1h', 'steps': 24, 'resolution': 60}``.

    ``step`` is required; ``resolution`` defaults to the step, ``steps`` (the
    buckets kept) to no retention.
    """

    steps: Optional[int]
    resolution: Union[int, float, str]


def check_timestamp(timestamp: Any) -> Union[int, float]:
    """Return ``timestamp`` if it is a finite real number, else raise InvalidTimestamp."""
    if isinstance(timestamp, bool) or not isinstance(timestamp, numbers.Real):
        raise InvalidTimestamp('timestamp must be a number of seconds, not %r' % (timestamp,))
    if not math.isfinite(timestamp):
        raise InvalidTimestamp('timestamp must be finite, not %r' % (timestamp,))
    return timestamp  # type: ignore[return-value]  # or a Fraction, which computes alike


def resolve_time(value: Any, what: str = 'step') -> Union[int, str]:
    """Parse a step or resolution: seconds, a count and a unit, or a Gregorian name.

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
    elif isinstance(value, str) and value in GREGORIAN_TIMES:
        return value
    else:
        raise ConfigurationError(
            'unsupported %s %r: use seconds, a count and a unit such as "30s", "5min" or '
            '"2 hours" (units: %s), or one of %s'
            % (what, value, _UNITS, ', '.join(GREGORIAN_TIMES)))
    if seconds <= 0:
        raise ConfigurationError('%s must be a positive number of seconds, not %r' % (what, value))
    return seconds


def approx_seconds(step: Union[int, str]) -> int:
    """Length of a step in seconds, Gregorian steps approximated as 0.5.0 did."""
    return step if isinstance(step, int) else SIMPLE_TIMES[step[0]]


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


class Interval:
    """One configured interval, parsed once and never changed.

    ``interval['i_calc']``-style access keeps working for code written
    against kairos 0.5.0, which kept these values in a dict.
    """

    __slots__ = ('name', 'step', 'steps', 'resolution', 'i_calc', 'r_calc',
                 'coarse', 'expire')

    _LEGACY_KEYS = frozenset(__slots__) | {'interval'}
    _KEYS = ('step', 'steps', 'resolution')  # those a configuration gives

    name: str
    step: Union[int, str]
    steps: Optional[int]
    resolution: Union[int, str]
    i_calc: 'Calculator'
    r_calc: 'Calculator'
    coarse: bool
    expire: Optional[int]

    def __init__(self, name: str, config: Any):
        if not isinstance(name, str) or not name:
            raise ConfigurationError('interval names must be non-empty strings, not %r' % (name,))
        if not isinstance(config, collections.abc.Mapping):
            raise ConfigurationError('interval %r needs a dict with a "step"' % (name,))
        unknown = sorted(set(config) - set(self._KEYS), key=str)
        for key in unknown:
            meant = close_match(key, self._KEYS)
            if meant:
                raise ConfigurationError('unknown key %r in interval %r: did you mean %r?'
                                         % (key, name, meant))
        if 'step' not in config:
            raise ConfigurationError('interval %r needs a dict with a "step"' % (name,))
        step = resolve_time(config['step'], 'step of interval %r' % name)
        resolution = resolve_time(config.get('resolution', step),
                                  'resolution of interval %r' % name)
        steps = config.get('steps')
        if steps == 0 and not isinstance(steps, bool):
            steps = None  # as in kairos 0.5.0: no retention
        if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int)
                                  or steps < 0):
            raise ConfigurationError(
                'steps of interval %r must be a positive integer, not %r' % (name, steps))
        _check_nesting(name, config, step, resolution)
        if unknown:
            warn('interval %r: ignored key(s) %s' % (name, ', '.join(map(repr, unknown))))
        set_ = object.__setattr__
        set_(self, 'name', name)
        set_(self, 'step', step)
        set_(self, 'steps', steps)
        set_(self, 'resolution', resolution)
        set_(self, 'i_calc', calculator(step))
        set_(self, 'r_calc', calculator(resolution))
        set_(self, 'coarse', resolution == step)
        set_(self, 'expire', self.i_calc.ttl(steps))

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError('Interval is read-only')

    def __delattr__(self, key: str) -> None:
        raise AttributeError('Interval is read-only')

    def __getitem__(self, key: str) -> Any:
        if key not in self._LEGACY_KEYS:
            raise KeyError(key)
        return self.name if key == 'interval' else getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return key in self._LEGACY_KEYS

    def __repr__(self) -> str:
        return 'Interval(%r, step=%r, steps=%r, resolution=%r)' % (
            self.name, self.step, self.steps, self.resolution)


# what a bucket calculator is: both share bucket, shift, span, from_bucket, step_size
Calculator = Union[RelativeTime, GregorianTime]

_GREGORIAN_ORDER = {name: rank for rank, name in enumerate(GREGORIAN_TIMES)}


def _check_nesting(name: str, config: Any, step: Any, resolution: Union[int, str]) -> None:
    """Refuse a finer resolution whose buckets straddle the step's; warn where the
    configuration is likely a mistake but means what kairos 0.5.0 made of it."""
    written_step, written_resolution = config['step'], config.get('resolution', step)
    if _coarser(resolution, step):
        warn('resolution %r of interval %r is coarser than its step %r: each bucket '
             'holds one resolution bucket, stamped with its start (as kairos 0.5.0 '
             'did)%s' % (written_resolution, name, written_step, _months(written_resolution)))
        return
    if resolution == step:
        return
    if isinstance(step, int) and isinstance(resolution, int):
        nests, why = step % resolution == 0, ''
    elif isinstance(step, int):
        nests = resolution == 'daily' and step % _DAY == 0
        why = ": of the calendar's resolutions only 'daily' nests, in a step of whole days"
    elif isinstance(resolution, int):
        nests, why = _DAY % resolution == 0, ': a calendar step needs one that divides a day'
    else:
        nests = resolution == 'daily' or step == 'yearly'
        why = ": weeks straddle months; 'daily' nests in every calendar step"
    if not nests:
        raise ConfigurationError('resolution %r of interval %r does not divide its step %r%s%s' % (
            written_resolution, name, written_step, why,
            _months(written_step) or _months(written_resolution)))
    if _months(written_step) and isinstance(resolution, int) and resolution < _HOUR:
        warn('step %r of interval %r is %s days, with a resolution of %r%s' % (
            written_step, name, step // _DAY, written_resolution, _months(written_step)))


def _months(written: Any) -> str:
    """A hint for a step or resolution written with 0.5.0's 'm', a month, not a minute."""
    match = SIMPLE_TIME.match(written) if isinstance(written, str) else None
    if match is None or match.group(2) != 'm':
        return ''
    return " ('m' is a month of 30 days, as in kairos 0.5.0: minutes are '%smin')" \
        % match.group(1)


def close_match(word: Any, candidates: Iterable[str]) -> Optional[str]:
    """The candidate ``word`` is likely a typo of: one or two letters off (one for
    candidates of four letters or fewer, so short words stay apart), else None."""
    if not isinstance(word, str):
        return None
    best, best_distance = None, 3
    for candidate in candidates:
        limit = 1 if len(candidate) <= 4 else 2
        distance = _edits(word, candidate)
        if distance <= limit and distance < best_distance:
            best, best_distance = candidate, distance
    return best


def _edits(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment): insertions, deletions,
    substitutions and swaps of two neighbouring letters."""
    before, above = None, list(range(len(b) + 1))
    for i, letter in enumerate(a, 1):
        row = [i]
        for j, other in enumerate(b, 1):
            cost = min(above[j] + 1, row[j - 1] + 1, above[j - 1] + (letter != other))
            if i > 1 and j > 1 and letter == b[j - 2] and a[i - 2] == other:
                cost = min(cost, before[j - 2] + 1)  # type: ignore[index]  # set once i > 1
            row.append(cost)
        before, above = above, row
    return above[-1]


def _coarser(resolution: Union[int, str], step: Union[int, str]) -> bool:
    if isinstance(resolution, str) and isinstance(step, str):
        return _GREGORIAN_ORDER[resolution] > _GREGORIAN_ORDER[step]
    return approx_seconds(resolution) > approx_seconds(step)
