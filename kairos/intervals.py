"""Interval objects: one configured interval parsed once, its step, retention and resolution.

A resolution finer than its step must nest in it, so that no resolution bucket
straddles two of the step's: a relative resolution divides a relative step, or a
day for a Gregorian step; 'daily' nests in a relative step of whole days and in
every Gregorian step, 'monthly' in 'yearly', and 'weekly' in 'yearly' (a
'%U' week ends with its year), never in 'monthly'; 'isoweekly' nests in no
other step (an ISO week can start in one year and end in the next). A
resolution coarser than its step is stored as kairos 0.5.0 stored it, one per
bucket, with a warning.

An interval's ``timezone`` (an IANA name, parsed once into a ZoneInfo) puts its
calendar steps and resolutions, and relative ones of whole days, on the zone's
local dates (:mod:`kairos.zones`); steps under a day stay UTC. On an interval
without a day-based step or resolution, the timezone only gives reads that
regroup by days (``every='daily'``) its local days.

Steps and resolutions are read by :mod:`kairos.units`, buckets counted by
:mod:`kairos.calculators`; the names of both are importable from here as well.
"""

import collections.abc
from typing import Any, Optional, TypedDict, Union
from zoneinfo import ZoneInfo

# the names of kairos.units, kairos.calculators and kairos.typos are importable from here too
from .calculators import (Calculator as Calculator, GregorianTime as GregorianTime,
                          LocalCalendar as LocalCalendar, LocalDays as LocalDays,
                          RelativeTime as RelativeTime, calculator as calculator, _EPOCH as _EPOCH,
                          _to_datetime as _to_datetime, check_calendar, parse_timezone)
from .exceptions import ConfigurationError, warn
from .exceptions import InvalidTimestamp as InvalidTimestamp
from .typos import _edits as _edits, close_match as close_match
from .units import (GREGORIAN_TIMES as GREGORIAN_TIMES, NUMBER_TIME as NUMBER_TIME,
                    CALENDAR_STEPS as CALENDAR_STEPS,
                    SIMPLE_TIME as SIMPLE_TIME, SIMPLE_TIMES as SIMPLE_TIMES,
                    approx_seconds as approx_seconds, check_timestamp as check_timestamp,
                    resolve_time as resolve_time, _DAY as _DAY, _HOUR as _HOUR, _MINUTE as _MINUTE,
                    _UNITS as _UNITS, MAX_RETENTION, nests, valid_unicode)


class _IntervalStep(TypedDict):
    step: Union[int, float, str]


class IntervalConfig(_IntervalStep, total=False):
    """One interval's configuration, e.g. ``{'step': '1h', 'steps': 24, 'resolution': 60}``.

    ``step`` is required; ``resolution`` defaults to the step, ``steps`` (the
    buckets kept) to no retention, ``timezone`` (an IANA name such as
    ``'Europe/Berlin'``) to UTC.
    """

    steps: Optional[int]
    resolution: Union[int, float, str]
    timezone: Optional[str]


class Interval:
    """One configured interval, parsed once and never changed.

    ``interval['i_calc']``-style access keeps working for code written
    against kairos 0.5.0, which kept these values in a dict. ``timezone`` is
    the ZoneInfo of the interval's local calendar, None for UTC.
    """

    __slots__ = ('name', 'step', 'steps', 'resolution', 'i_calc', 'r_calc',
                 'coarse', 'expire', 'timezone')

    _LEGACY_KEYS = frozenset(__slots__) | {'interval'}
    _KEYS = ('step', 'steps', 'resolution', 'timezone')  # those a configuration gives

    name: str
    step: Union[int, str]
    steps: Optional[int]
    resolution: Union[int, str]
    i_calc: 'Calculator'
    r_calc: 'Calculator'
    coarse: bool
    expire: Optional[int]
    timezone: Optional[ZoneInfo]

    def __init__(self, name: str, config: Any):
        if not isinstance(name, str) or not name:
            raise ConfigurationError('interval names must be non-empty strings, not %r' % (name,))
        if not valid_unicode(name):
            raise ConfigurationError('interval names must be valid unicode, not %r' % (name,))
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
        zone = parse_timezone(config.get('timezone'), ' of interval %r' % name)
        i_calc, r_calc = calculator(step, zone), calculator(resolution, zone)
        expire = i_calc.ttl(steps)
        if expire is not None and expire > MAX_RETENTION:
            raise ConfigurationError(
                'steps of interval %r keep %d seconds of data: at most %d (MAX_RETENTION, '
                'years 1 to 9999); leave steps out to keep data for good'
                % (name, expire, MAX_RETENTION))
        if unknown:
            warn('interval %r: ignored key(s) %s' % (name, ', '.join(map(repr, unknown))))
        set_ = object.__setattr__
        set_(self, 'name', name)
        set_(self, 'step', step)
        set_(self, 'steps', steps)
        set_(self, 'resolution', resolution)
        set_(self, 'i_calc', i_calc)
        set_(self, 'r_calc', r_calc)
        set_(self, 'coarse', resolution == step)
        set_(self, 'expire', expire)
        set_(self, 'timezone', zone)

    def check(self, timestamp: float, shift: int = 0) -> int:
        """The bucket of a finite ``timestamp``, refused with InvalidTimestamp where it, or the
        bucket ``shift`` buckets away, is outside the range this interval stores.

        That range is bucket numbers (step and resolution) within a 64-bit integer,
        and years 1 to 9999 UTC for a calendar step or resolution, or with retention
        (Mongo dates the retention clock), and of the local calendar with a
        timezone: the same on every backend.
        """
        what = 'interval %r' % self.name
        i_bucket = self.i_calc.check(timestamp, what)
        stamps = [timestamp]
        if shift:
            stamps.append(self.i_calc.from_bucket(self.i_calc.shift(i_bucket, shift)))
        for n, stamp in enumerate(stamps):
            if self.expire:
                check_calendar(stamp, what + ' (with retention)')
            if n:   # the first one's bucket was checked above
                self.i_calc.check(stamp, what)
            if not self.coarse:
                self.r_calc.check(stamp, what)
        return i_bucket

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
        zone = '' if self.timezone is None else ', timezone=%r' % self.timezone.key
        return 'Interval(%r, step=%r, steps=%r, resolution=%r%s)' % (
            self.name, self.step, self.steps, self.resolution, zone)


# which calendar step is coarser: the two kinds of week are neither
_GREGORIAN_ORDER = {'daily': 0, 'weekly': 1, 'isoweekly': 1, 'monthly': 2, 'yearly': 3}


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
        why = ''
    elif isinstance(step, int):
        why = ": of the calendar's resolutions only 'daily' nests, in a step of whole days"
    elif isinstance(resolution, int):
        why = ': a calendar step needs one that divides a day'
    else:
        why = ": %s; 'daily' nests in every calendar step" % (
            'an ISO week can start in one year and end in the next (week 1 can start in '
            'December)' if resolution == 'isoweekly' else
            "ISO weeks start on Mondays, 'weekly' ones on Sundays" if step == 'isoweekly' else
            'weeks straddle months')
    if not nests(resolution, step):
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


def _coarser(resolution: Union[int, str], step: Union[int, str]) -> bool:
    if isinstance(resolution, str) and isinstance(step, str):
        return _GREGORIAN_ORDER[resolution] > _GREGORIAN_ORDER[step]
    return approx_seconds(resolution) > approx_seconds(step)
