"""Checking what is to be written and grouping it into one Write per bucket: no I/O.

``check_name`` and ``check_shift`` refuse bad arguments, ``bulk_groups`` checks a
whole bulk insert before anything is written (each value through the caller's
``prepare``), ``plan`` groups the values of one timestamp by bucket into
``pending``, and ``merged`` turns that into the Writes a backend's ``_write`` applies.
"""

import collections.abc
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple

from .exceptions import InvalidName, InvalidQuery
from .intervals import Interval, check_timestamp
from .units import MAX_SHIFT, valid_unicode


class Write:
    """The values bound for one bucket of one statistic in one interval.

    ``payload`` is first the list of values, then the type's merge of them.
    """

    __slots__ = ('interval', 'name', 'i_bucket', 'r_bucket', 'payload')

    def __init__(self, interval: Interval, name: str, i_bucket: int, r_bucket: Optional[int],
                 payload: Any):
        self.interval, self.name, self.payload = interval, name, payload
        self.i_bucket, self.r_bucket = i_bucket, r_bucket

    def __repr__(self) -> str:
        return 'Write(%s, %r, %r, %r, %r)' % (self.interval.name, self.name, self.i_bucket,
                                              self.r_bucket, self.payload)


# Distinct int, float and str values a bulk insert remembers as checked, so that a
# value repeated many times is checked once.
SEEN_VALUES = 10000
# {(interval name, i_bucket, r_bucket): {name: Write}}: the writes planned so far
Pending = Dict[Tuple[str, int, Optional[int]], Dict[str, 'Write']]


def check_name(name: Any) -> str:
    """Return ``name`` if it is a non-empty str of valid unicode, else raise InvalidName."""
    if not isinstance(name, str):
        raise InvalidName('a statistic name must be a str, not %r' % (name,))
    if not name:
        raise InvalidName('a statistic name cannot be empty')
    if not valid_unicode(name):
        raise InvalidName('a statistic name must be valid unicode, not %r' % (name,))
    return name


def check_shift(intervals: Any) -> int:
    """The number of following (or, negative, preceding) buckets a value also goes to."""
    if isinstance(intervals, bool) or not isinstance(intervals, int):
        raise InvalidQuery('intervals must be an integer number of buckets, not %r'
                           % (intervals,))
    if abs(intervals) > MAX_SHIFT:
        raise InvalidQuery('intervals=%d writes too many buckets: at most %d either way'
                           % (intervals, MAX_SHIFT))
    return intervals


def check_range(intervals: Iterable[Interval], timestamp: float, shift: int) -> float:
    """Return ``timestamp`` if every interval stores its buckets (shift included), else
    raise InvalidTimestamp (see Interval.check)."""
    for interval in intervals:
        interval.check(timestamp, shift)
    return timestamp


def bulk_groups(inserts: Mapping[Any, Mapping[str, Any]], now: float,
                prepare: Callable[[Any], Any], keep: bool, pure: bool,
                check: Callable[[float], Any] = check_timestamp
                ) -> Iterator[Tuple[float, Any, int, bool]]:
    """Check every name, timestamp and value of a bulk insert, and prepare the values.

    Yields (timestamp, [(name, values)] if ``keep`` else None, how many values, whether
    they are all as given: in non-empty lists, none changed by preparing) per timestamp.
    ``prepare`` checks one value and returns it ready to store; ``pure`` says it has no
    side effects (no write_func), so that a value that passed once passes again.
    ``check`` refuses a timestamp outside the range stored (after check_timestamp).
    """
    if not isinstance(inserts, collections.abc.Mapping):
        raise InvalidQuery('bulk_insert takes {timestamp: {name: [values]}}, not %r'
                           % (inserts,))
    names_seen: set[Any] = set()
    # values of these exact types that passed the checks unchanged (without a write_func,
    # checks are pure): {type: set of values}, up to SEEN_VALUES in all
    passed: Optional[Dict[type, set[Any]]] = \
        {int: set(), float: set(), str: set()} if pure else None
    room = SEEN_VALUES
    for timestamp, by_name in inserts.items():
        timestamp = check(now if timestamp is None else check_timestamp(timestamp))
        if not isinstance(by_name, (dict, collections.abc.Mapping)):  # dict: the fast check
            raise InvalidQuery('bulk_insert takes {timestamp: {name: [values]}}, '
                               'not %r at %r' % (by_name, timestamp))
        named: Any
        named, count, given = [] if keep else None, 0, True
        for name, raw in by_name.items():
            if type(raw) is list:
                values = raw
            else:   # a list subclass, a tuple or a set is several values; else one
                values = list(raw) if isinstance(raw, (list, tuple, set)) else [raw]
                given = False
            if not values:  # an empty list asks for nothing to be written
                given = False
                continue
            if type(name) is not str or name not in names_seen:
                check_name(name)
                names_seen.add(name)
            prepared = None
            for index, value in enumerate(values):
                known = passed.get(type(value)) if passed is not None else None
                if known is not None and value in known:
                    continue
                ready = prepare(value)
                if ready is not value:
                    if prepared is None:
                        prepared = list(values)
                    prepared[index] = ready
                elif known is not None and room:
                    known.add(value)
                    room -= 1
            if prepared is not None:
                values, given = prepared, False
            if keep:
                named.append((name, values))
            count += len(values)
        yield timestamp, named, count, given


def split_large(groups: Iterable[Tuple[float, Any, int, bool]], values: int, names: int
                ) -> Iterator[Tuple[float, Any, int, bool]]:
    """``groups`` as bulk_groups yields them, a timestamp holding more than ``values``
    values or ``names`` names cut into consecutive parts within both (a name's values
    keep their order), so that a piece of a bulk insert stays bounded."""
    for timestamp, named, count, given in groups:
        if count <= values and len(named) <= names:
            yield timestamp, named, count, given
            continue
        part: List[Tuple[str, Any]] = []
        size = 0
        for name, chunk in named:
            chunk = list(chunk)
            for start in range(0, len(chunk), values):
                piece = chunk[start:start + values]
                if part and (size + len(piece) > values or len(part) >= names):
                    yield timestamp, part, size, given
                    part, size = [], 0
                part.append((name, piece))
                size += len(piece)
        if part:
            yield timestamp, part, size, given


def plan(intervals: Iterable[Interval], timestamp: float,
         named: Iterable[Tuple[str, Iterable[Any]]], shift: int, pending: Pending) -> int:
    """Group the values of one timestamp by the bucket they land in, in every interval:
    ``pending`` is {(interval, i_bucket, r_bucket): {name: Write}}. Returns how many
    Writes (buckets of one name) it added."""
    added = 0
    for interval in intervals:
        stamps = [timestamp]
        if shift:
            step = 1 if shift > 0 else -1
            stamps += [interval.i_calc.normalize(timestamp, n)
                       for n in range(step, shift + step, step)]
        for stamp in stamps:
            i_bucket = interval.i_calc.bucket(stamp)
            r_bucket = None if interval.coarse else interval.r_calc.bucket(stamp)
            group = pending.get((interval.name, i_bucket, r_bucket))
            if group is None:
                group = pending[(interval.name, i_bucket, r_bucket)] = {}
            for name, values in named:
                write = group.get(name)
                if write is None:
                    group[name] = Write(interval, name, i_bucket, r_bucket, list(values))
                    added += 1
                else:
                    write.payload.extend(values)
    return added


def merged(merge: Callable[[List[Any]], Any], pending: Dict[Any, Dict[str, Write]]
           ) -> List[Write]:
    """The writes of ``pending``, each payload merged by the type's ``merge``."""
    writes = [write for group in pending.values() for write in group.values()]
    for write in writes:
        write.payload = merge(write.payload)
    return writes
