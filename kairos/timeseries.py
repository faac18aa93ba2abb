"""The public API, written once on top of a backend's few storage primitives.

``Timeseries(client, ...)`` returns a :class:`~kairos.redis_backend.RedisBackend`,
a :class:`~kairos.mongo_backend.MongoBackend` or a
:class:`~kairos.sql_backend.SqlBackend`, chosen by the client's class;
``Timeseries(url, client_config={...}, ...)`` first builds the client from the
URL (:mod:`kairos.urls`). A backend implements these primitives::

    _check_value(value)                          refuse what it cannot store
    _write(writes, pipeline=None)                writes: [Write], applied in order
    _read(interval, names, i_buckets, fetch)     -> {name: [raw row per bucket]}
    _delete(name)                                -> number of records removed
    _list_names()                                -> iterable of every name stored under
                                                    this configuration (prefix, intervals)
    _extent(name)                                -> {interval name: (first i_bucket,
                                                    last i_bucket)} where name has data
    _delete_all()                                -> number of records removed: every
                                                    statistic of this configuration
    _expire(name, now)                           -> number of records removed: those past
                                                    retention (name None: every name);
                                                    0 where the store expires data itself

A raw row is MISSING, a decoded stored value (or Duplicates of several), or,
for an interval with a resolution, a dict of resolution bucket -> such a value
holding the resolution buckets the store lists (Redis's index, Mongo's
documents); one listed without data is MISSING there and reads as the type's
empty value, as in kairos 0.5.0. A backend with ``_rows_final`` (SQL) delivers
rows as ``_rows`` returns them instead: data as the type's ``process_row``
makes it without ``read_func``, resolution rows keyed by time, in time order,
without MISSING; reads then only apply hooks. The meta data methods built on
the last four live in :mod:`kairos.meta`; the read hooks in :mod:`kairos.reads`.

A keyword the constructors do not take is ignored with a KairosWarning, as
0.5.0 ignored it, unless it is one or two letters off one they take (read from
their signatures, so a backend's own keywords count on that backend): then it
is refused as a typo, ``interval`` for ``intervals`` included, since its
timeseries would store nothing. Keywords of other kairos versions
(KNOWN_IGNORED: ``ttl``, 0.10.1's SQL ones) always just warn.
"""

import collections.abc
import importlib
import inspect
import operator  # noqa: F401  kairos 0.5.0 exposed these modules here; old code star-imports them
import re  # noqa: F401
import sys
import time
from collections import OrderedDict
from datetime import datetime, timedelta  # noqa: F401
from typing import (TYPE_CHECKING, Any, Callable, Dict, FrozenSet, Generic, Iterable, Iterator,
                    List, Literal, Mapping, Optional, Sequence, Tuple, Type, TypeVar, Union,
                    overload)

from .exceptions import (AuthenticationError, ConfigurationError, DataConflict, InvalidName,
                         InvalidQuery, InvalidTimestamp, InvalidValue, KairosException,
                         KairosWarning, StorageError, StorageUnavailable, UnknownInterval,
                         UnsupportedClient, warn)
from .intervals import (GREGORIAN_TIMES, NUMBER_TIME, SIMPLE_TIME, SIMPLE_TIMES, GregorianTime,
                        Interval, RelativeTime, check_timestamp, close_match)
from .meta import MetaData
from .reads import Condense, ReadHooks, either
from .series_types import MISSING, TYPES, Duplicates, SeriesType
from .transforms import TransformArg
from .urls import ClientFromURL, client_from_url

# What ``from kairos.timeseries import *`` gives: kairos 0.5.0's module had no
# __all__, so code written for it may rely on any of these, modules included.
__all__ = ['Timeseries', 'Series', 'Histogram', 'Count', 'Gauge', 'Set',
           'RelativeTime', 'GregorianTime', 'BACKENDS', 'NUMBER_TIME', 'SIMPLE_TIME',
           'SIMPLE_TIMES', 'GREGORIAN_TIMES', 'time', 'sys', 're', 'operator', 'datetime',
           'timedelta', 'OrderedDict', 'KairosException', 'KairosWarning', 'UnknownInterval',
           'ConfigurationError', 'UnsupportedClient', 'InvalidName', 'InvalidValue',
           'InvalidTimestamp', 'InvalidQuery', 'DataConflict', 'StorageError',
           'StorageUnavailable', 'AuthenticationError']

# driver module -> the kairos module whose BACKEND takes that driver's clients.
# A client of a driver implies the driver is imported, so only imported drivers
# are tried, and a backend module is imported only when its client arrives.
BACKENDS = OrderedDict([
    ('redis', 'kairos.redis_backend'),
    ('pymongo', 'kairos.mongo_backend'),
    ('mongomock', 'kairos.mongo_backend'),
    ('mongomock_ng', 'kairos.mongo_backend'),
    ('sqlalchemy', 'kairos.sql_backend'),
])

_SPECIAL = (Duplicates, type(MISSING))  # raw values that process_row does not take

V = TypeVar('V')  # the value of one bucket a read returns (see Timeseries)
_Stamp = TypeVar('_Stamp', bound=Optional[float])
# a statistic's name, or several names read together (in a list, a tuple or a set)
Names = Union[str, List[str], Tuple[str, ...], set[str]]
# intervals=: {name: IntervalConfig}, typed loosely: mypy types the README's dict literal
# held in a variable, {'minute': {'step': 60, ...}, 'hour': {'step': '1h', ...}}, as
# dict[str, object]; __init__ refuses a value that is not an interval's dict
Intervals = Mapping[str, object]
Fetch = Callable[..., Any]


class _DefaultType(str):
    """The default type: 'series', or the own type of a 0.5.0 class such as Count."""


_OWN_TYPE = _DefaultType('series')


class Write:
    """The values bound for one bucket of one statistic in one interval.

    ``payload`` is first the list of values, then the type's merge of them.
    ``stamp`` is the latest timestamp among them (Mongo's ``expire_from``).
    """

    __slots__ = ('interval', 'name', 'i_bucket', 'r_bucket', 'payload', 'stamp')

    def __init__(self, interval: Interval, name: str, i_bucket: int, r_bucket: Optional[int],
                 payload: Any, stamp: float):
        self.interval, self.name, self.payload, self.stamp = interval, name, payload, stamp
        self.i_bucket, self.r_bucket = i_bucket, r_bucket

    def __repr__(self) -> str:
        return 'Write(%s, %r, %r, %r, %r)' % (self.interval.name, self.name, self.i_bucket,
                                              self.r_bucket, self.payload)


# A bulk insert is sent in pieces of about this many values (whole timestamps), times a
# backend's _bulk_pieces.
BULK_CHUNK = 20000
# Distinct int, float and str values a bulk insert remembers as checked, so that a
# value repeated many times is checked once.
SEEN_VALUES = 10000


def _backend_class(client: Any) -> 'Type[Timeseries[Any]]':
    """The backend class that takes ``client``, found through BACKENDS."""
    for driver, module in BACKENDS.items():
        if driver in sys.modules:
            backend = importlib.import_module(module).BACKEND
            if backend.accepts(client):
                return backend  # type: ignore[no-any-return]
    raise UnsupportedClient('unsupported client %r: pass a redis.Redis, a pymongo '
                            'MongoClient or Database, their mongomock versions, or an '
                            'SQLAlchemy Engine' % (client,))


# Keywords that code written for other kairos versions passes: ignored with a warning,
# as 0.5.0 ignored every unknown keyword, and never taken for a typo.
KNOWN_IGNORED = frozenset({'ttl', 'string_length', 'text_length', 'table_name'})

_KEYWORDS: Dict[type, FrozenSet[str]] = {}


def keywords(cls: type) -> FrozenSet[str]:
    """The keywords a class's constructors take, read from their signatures (with the
    URL constructor's ``client_config`` and ``database``)."""
    known = _KEYWORDS.get(cls)
    if known is None:
        functions = [klass.__dict__['__init__'] for klass in cls.__mro__
                     if '__init__' in klass.__dict__ and issubclass(klass, Timeseries)]
        known = _KEYWORDS[cls] = frozenset(
            name for function in functions + [client_from_url]
            for name, parameter in inspect.signature(function).parameters.items()
            if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)
            and name not in ('self', 'client', 'url'))
    return known


def _check_unknown(cls: type, unknown: Dict[str, Any]) -> None:
    """Refuse a likely typo of a keyword; warn of the others, which 0.5.0 ignored."""
    known = keywords(cls)
    for key in sorted(unknown):
        meant = None if key in KNOWN_IGNORED or key in known else close_match(key, known)
        if meant:
            raise ConfigurationError('unknown keyword %r: did you mean %r?' % (key, meant))
    warn('ignored argument(s): %s' % ', '.join(sorted(unknown)))


def check_name(name: Any) -> str:
    if not isinstance(name, str):
        raise InvalidName('a statistic name must be a str, not %r' % (name,))
    if not name:
        raise InvalidName('a statistic name cannot be empty')
    try:
        name.encode('utf-8')
    except UnicodeEncodeError:
        raise InvalidName('a statistic name must be valid unicode, not %r' % (name,)) from None
    return name


class Timeseries(MetaData, Generic[V], metaclass=ClientFromURL):
    """Bucketed time series of one type in Redis, MongoDB or an SQL database.

    ``Timeseries(client, type=..., intervals=...)`` returns an instance of the
    class for the client's backend and the type (a ``RedisCount`` for a count
    on Redis, a ``MongoSeries``, an ``SqlGauge``...), each a subclass of
    ``Timeseries``. ``client`` is a redis-py client, a pymongo or mongomock
    client or database, an SQLAlchemy engine, or a URL (:mod:`kairos.urls`).
    ``clock`` (default ``time.time``) is what "now" means to it:

    >>> import redis
    >>> t = Timeseries(redis.Redis(), type='count', clock=lambda: 1700000000,
    ...                intervals={'minute': {'step': 60, 'steps': 120}})
    >>> t.insert('hits', 3)
    >>> t.get('hits', 'minute')
    OrderedDict([(1699999980, 3)])

    For a type checker, a Timeseries is generic in ``V``, the value of one
    bucket that ``get`` and ``series`` return: ``float`` for a count (an int
    or a float), ``List[Any]`` for a series, ``Dict[Any, int]`` for a
    histogram, ``set[Any]`` for a set and ``Any`` for a gauge, whatever the
    backend. ``Timeseries(client, type='count', ...)`` is a
    ``Timeseries[float]``, as is ``Count(client, ...)``; a ``type`` the
    checker cannot read as one of those literals, or a ``read_func`` (which
    decides the values), gives ``Timeseries[Any]`` (the 0.5.0 classes keep
    their type's ``V``: a read_func given to ``Count`` is expected to return
    numbers). ``get`` returns ``OrderedDict[int, V]`` (bucket or resolution
    times); ``series`` returns that with ``condense=True`` or
    ``collapse=True``, else ``OrderedDict[int, V | OrderedDict[int, V]]``, as
    an interval with a resolution gives each bucket its resolution rows. A
    ``transform``, ``process_row``, ``join_rows`` or callable ``condense``
    reshapes the rows: those reads return ``OrderedDict[int, Any]``.
    """

    # the type of the classes that kairos 0.5.0 named (Count, RedisCount, ...)
    _series_type: Optional[str] = None
    # on a backend: its class per type, built by typed_classes()
    TYPED: Optional[Dict[str, type]] = None
    # True on a backend whose _read delivers rows as _rows returns them: data as the type's
    # process_row makes it without read_func (never Duplicates), resolution rows keyed by
    # time in time order
    _rows_final = False
    # bulk pieces of BULK_CHUNK values times this: Redis's bound how long one blocks the server
    _bulk_pieces = 1

    if TYPE_CHECKING:
        # the storage primitives every backend fills (see the module docstring)
        @staticmethod
        def accepts(client: Any) -> bool: ...

        def _check_value(self, value: Any) -> None: ...

        def _write(self, writes: List[Write], pipeline: Any = None) -> None: ...

        def _read(self, interval: Interval, names: List[str], buckets: List[int],
                  fetch: Optional[Fetch]) -> Dict[str, List[Any]]: ...

        def _delete(self, name: str) -> int: ...

    def __new__(cls, client: Any = None, *args: Any, **kwargs: Any) -> 'Timeseries[Any]':
        """Build the backend's class for the type: Timeseries(redis, type='count') is a RedisCount."""
        typed = cls.TYPED or _backend_class(client).TYPED
        assert typed is not None  # a backend module builds TYPED when it loads
        name = cls._series_type or kwargs.get('type', args[0] if args else _OWN_TYPE)
        # an unknown type is refused by __init__
        return super().__new__(
            typed.get(name if isinstance(name, str) else '', typed['series']))

    # the value type V follows type= (see the class docstring)
    @overload
    def __init__(self: 'Timeseries[float]', client: Any, type: Literal['count'],
                 prefix: Optional[str] = None, read_func: None = None,
                 write_func: Optional[Callable[[Any], Any]] = None,
                 intervals: Optional[Intervals] = None, clock: Callable[[], float] = time.time,
                 **kwargs: Any) -> None: ...

    @overload
    def __init__(self: 'Timeseries[List[Any]]', client: Any, type: Literal['series'] = ...,
                 prefix: Optional[str] = None, read_func: None = None,
                 write_func: Optional[Callable[[Any], Any]] = None,
                 intervals: Optional[Intervals] = None, clock: Callable[[], float] = time.time,
                 **kwargs: Any) -> None: ...

    @overload
    def __init__(self: 'Timeseries[Dict[Any, int]]', client: Any, type: Literal['histogram'],
                 prefix: Optional[str] = None, read_func: None = None,
                 write_func: Optional[Callable[[Any], Any]] = None,
                 intervals: Optional[Intervals] = None, clock: Callable[[], float] = time.time,
                 **kwargs: Any) -> None: ...

    @overload
    def __init__(self: 'Timeseries[set[Any]]', client: Any, type: Literal['set'],
                 prefix: Optional[str] = None, read_func: None = None,
                 write_func: Optional[Callable[[Any], Any]] = None,
                 intervals: Optional[Intervals] = None, clock: Callable[[], float] = time.time,
                 **kwargs: Any) -> None: ...

    @overload
    def __init__(self: 'Timeseries[Any]', client: Any, type: str = ...,
                 prefix: Optional[str] = None, read_func: Optional[Callable[[Any], Any]] = None,
                 write_func: Optional[Callable[[Any], Any]] = None,
                 intervals: Optional[Intervals] = None, clock: Callable[[], float] = time.time,
                 **kwargs: Any) -> None: ...

    def __init__(self, client: Any, type: str = _OWN_TYPE, prefix: Optional[str] = None,
                 read_func: Optional[Callable[[Any], Any]] = None,
                 write_func: Optional[Callable[[Any], Any]] = None,
                 intervals: Optional[Intervals] = None, clock: Callable[[], float] = time.time,
                 **kwargs: Any):
        if kwargs:
            _check_unknown(self.__class__, kwargs)
        if type is _OWN_TYPE:
            type = self._series_type or 'series'
        if not isinstance(type, str) or type not in TYPES:
            raise ConfigurationError('unknown type %r: use one of %s' % (type, ', '.join(TYPES)))
        if self._series_type not in (None, type):
            raise ConfigurationError('a %s cannot be built with type=%r'
                                     % (self.__class__.__name__, type))
        if intervals is None or intervals == {}:
            warn('no intervals: inserts store nothing and every read raises UnknownInterval')
            intervals = {}
        if not isinstance(intervals, collections.abc.Mapping):
            raise ConfigurationError('intervals must be a dict, not %r' % (intervals,))
        for func, what in ((read_func, 'read_func'), (write_func, 'write_func')):
            if func is not None and not callable(func):
                raise ConfigurationError('%s must be callable, not %r' % (what, func))
        self._client = client
        self._type: SeriesType = TYPES[type](read_func)
        self._read_func = read_func
        self._write_func = write_func
        self._clock = clock
        self._intervals: Dict[str, Interval] = OrderedDict(
            (name, Interval(name, config)) for name, config in intervals.items())

    # -- writing -------------------------------------------------------------

    def insert(self, name: str, value: Any = None, timestamp: Optional[float] = None,
               intervals: int = 0, pipeline: Any = None) -> None:
        """Add ``value`` to the bucket of ``timestamp`` (default now) in every interval.

        A list, tuple or set of values is inserted as a bulk insert.
        ``intervals=N`` also writes the value into the N following buckets
        (preceding ones when negative).
        """
        check_name(name)
        if isinstance(value, (list, tuple, set)):
            if not value:
                raise InvalidValue('insert needs at least one value, got %r' % (value,))
            return self.bulk_insert({timestamp: {name: value}}, intervals, pipeline)
        value = self._prepare(self._type.default_value if value is None else value)
        timestamp = self._timestamp(timestamp)
        pending = self._plan(timestamp, [(name, [value])], self._check_shift(intervals), {})
        self._write(self._merged(pending), pipeline)

    def bulk_insert(self, inserts: Mapping[_Stamp, Mapping[str, Any]],
                    intervals: int = 0, pipeline: Any = None) -> None:
        """Insert many points: ``{timestamp: {name: [value, ...]}}``.

        Everything is checked before anything is written; the writes are then
        merged per bucket and sent in pieces of about BULK_CHUNK values (five
        times that on SQL), each atomic on Redis, a transaction on SQL. If a
        piece fails, the StorageError raised carries ``values_written``: how
        many values the earlier pieces stored. The input is read twice, to
        check then to plan, rather than copied, so memory stays flat (with a
        ``write_func``, its results are kept, so that it runs once a value;
        values that checking changed are checked again).
        """
        shift = self._check_shift(intervals)
        now = self._clock()
        groups: Iterable[Tuple[float, Any, int, bool]]
        if self._write_func:
            groups = list(self._bulk_groups(inserts, now, keep=True))
        else:
            as_given = True
            for *_, given in self._bulk_groups(inserts, now, keep=False):  # check it all
                as_given = as_given and given
            # every value passed as it was given, in non-empty lists: plan from the input
            groups = ((now if timestamp is None else check_timestamp(timestamp),
                       by_name.items(), sum(map(len, by_name.values())), True)
                      for timestamp, by_name in inserts.items()) if as_given else \
                self._bulk_groups(inserts, now, keep=True)
        pending: Dict[Tuple[str, int, Optional[int]], Dict[str, Write]] = {}
        size, written = 0, 0
        try:
            for timestamp, named, count, _ in groups:
                self._plan(timestamp, named, shift, pending)
                size += count
                if size >= BULK_CHUNK * self._bulk_pieces:
                    self._write(self._merged(pending), pipeline)
                    written += size
                    pending, size = {}, 0
            if pending:
                self._write(self._merged(pending), pipeline)
        except StorageError as exc:
            exc.values_written = written
            raise

    def _bulk_groups(self, inserts: Mapping[Any, Mapping[str, Any]], now: float,
                     keep: bool) -> Iterator[Tuple[float, Any, int, bool]]:
        """Check every name, timestamp and value of a bulk insert, and prepare the values.

        Yields (timestamp, [(name, values)] if ``keep`` else None, how many values, whether
        they are all as given: in non-empty lists, none changed by preparing) per timestamp.
        """
        if not isinstance(inserts, collections.abc.Mapping):
            raise InvalidQuery('bulk_insert takes {timestamp: {name: [values]}}, not %r'
                               % (inserts,))
        names_seen: set[Any] = set()
        # values of these exact types that passed the checks unchanged (without a write_func,
        # checks are pure): {type: set of values}, up to SEEN_VALUES in all
        passed: Optional[Dict[type, set[Any]]] = \
            None if self._write_func else {int: set(), float: set(), str: set()}
        room = SEEN_VALUES
        for timestamp, by_name in inserts.items():
            timestamp = now if timestamp is None else check_timestamp(timestamp)
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
                    ready = self._prepare(value)
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

    def _merged(self, pending: Dict[Any, Dict[str, Write]]) -> List[Write]:
        merge = self._type.merge
        writes = [write for group in pending.values() for write in group.values()]
        for write in writes:
            write.payload = merge(write.payload)
        return writes

    def _prepare(self, value: Any) -> Any:
        if self._write_func:
            value = self._write_func(value)
        value = self._type.prepare(value)
        self._check_value(value)
        return value

    def _plan(self, timestamp: float, named: Iterable[Tuple[str, Iterable[Any]]], shift: int,
              pending: Dict[Tuple[str, int, Optional[int]], Dict[str, Write]]
              ) -> Dict[Tuple[str, int, Optional[int]], Dict[str, Write]]:
        """Group the values of one timestamp by the bucket they land in, in every interval:
        ``pending`` is {(interval, i_bucket, r_bucket): {name: Write}}."""
        for interval in self._intervals.values():
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
                        group[name] = Write(interval, name, i_bucket, r_bucket, list(values),
                                            stamp)
                    else:
                        write.payload.extend(values)
                        if stamp > write.stamp:
                            write.stamp = stamp
        return pending

    @staticmethod
    def _check_shift(intervals: Any) -> int:
        if isinstance(intervals, bool) or not isinstance(intervals, int):
            raise InvalidQuery('intervals must be an integer number of buckets, not %r'
                               % (intervals,))
        return intervals

    # -- reading -------------------------------------------------------------

    @overload
    def get(self, name: Names, interval: str, timestamp: Optional[float] = None,
            condensed: bool = False, transform: None = None, fetch: Optional[Fetch] = None, *,
            process_row: None = None, condense: Optional[bool] = None,
            join_rows: None = None) -> 'OrderedDict[int, V]': ...

    @overload
    def get(self, name: Names, interval: str, timestamp: Optional[float] = None,
            condensed: Condense = False, transform: Optional[TransformArg] = None,
            fetch: Optional[Fetch] = None, *, process_row: Optional[Callable[[Any], Any]] = None,
            condense: Optional[Condense] = None,
            join_rows: Optional[Callable[[List[Any]], Any]] = None) -> 'OrderedDict[int, Any]': ...

    def get(self, name: Names, interval: str, timestamp: Optional[float] = None,
            condensed: Condense = False, transform: Optional[TransformArg] = None,
            fetch: Optional[Fetch] = None, *, process_row: Optional[Callable[[Any], Any]] = None,
            condense: Optional[Condense] = None,
            join_rows: Optional[Callable[[List[Any]], Any]] = None) -> 'OrderedDict[int, Any]':
        """The data in the bucket of ``interval`` that holds ``timestamp`` (default now).

        ``condense`` (0.5.0: ``condensed``), ``process_row`` and ``join_rows``
        customize the read: see :mod:`kairos.reads`.
        """
        config = self._interval(interval)
        names = self._names(name)
        hooks = ReadHooks(self._type, transform, either(condense, condensed), False,
                          process_row, join_rows)
        i_bucket = config.i_calc.bucket(self._timestamp(timestamp))
        return self._get(config, names, i_bucket, fetch, hooks)

    def _get(self, config: Interval, names: List[str], i_bucket: int, fetch: Optional[Fetch],
             hooks: ReadHooks) -> 'OrderedDict[int, Any]':
        row = self._rows(config, names, [i_bucket], fetch, hooks)[0]
        i_time = config.i_calc.from_bucket(i_bucket)
        if config.coarse:
            return hooks.finish(OrderedDict([(i_time, row)]), config.i_calc.step_size)
        if hooks.condense:
            return hooks.finish(OrderedDict([(i_time, hooks.condensed(row))]),
                                config.i_calc.step_size)
        return hooks.finish(row, config.r_calc.step_size)

    # one row per bucket, of V where the rows are condensed or collapsed
    @overload
    def series(self, name: Names, interval: str, steps: Optional[int] = None, *,
               condensed: Literal[True], start: Optional[float] = None,
               end: Optional[float] = None, collapse: bool = False,
               condense: Optional[bool] = None, transform: None = None,
               fetch: Optional[Fetch] = None, process_row: None = None,
               join_rows: None = None) -> 'OrderedDict[int, V]': ...

    @overload
    def series(self, name: Names, interval: str, steps: Optional[int] = None,
               condensed: bool = False, start: Optional[float] = None,
               end: Optional[float] = None, *, condense: Literal[True], collapse: bool = False,
               transform: None = None, fetch: Optional[Fetch] = None, process_row: None = None,
               join_rows: None = None) -> 'OrderedDict[int, V]': ...

    @overload
    def series(self, name: Names, interval: str, steps: Optional[int] = None,
               condensed: bool = False, start: Optional[float] = None,
               end: Optional[float] = None, *, collapse: Literal[True],
               condense: Optional[bool] = None, transform: None = None,
               fetch: Optional[Fetch] = None, process_row: None = None,
               join_rows: None = None) -> 'OrderedDict[int, V]': ...

    # else a bucket of an interval with a resolution holds its resolution rows
    @overload
    def series(self, name: Names, interval: str, steps: Optional[int] = None,
               condensed: bool = False, start: Optional[float] = None,
               end: Optional[float] = None, transform: None = None, collapse: bool = False,
               fetch: Optional[Fetch] = None, *, process_row: None = None,
               condense: Optional[bool] = None, join_rows: None = None
               ) -> 'OrderedDict[int, Union[V, OrderedDict[int, V]]]': ...

    @overload
    def series(self, name: Names, interval: str, steps: Optional[int] = None,
               condensed: Condense = False, start: Optional[float] = None,
               end: Optional[float] = None, transform: Optional[TransformArg] = None,
               collapse: Condense = False, fetch: Optional[Fetch] = None, *,
               process_row: Optional[Callable[[Any], Any]] = None,
               condense: Optional[Condense] = None,
               join_rows: Optional[Callable[[List[Any]], Any]] = None
               ) -> 'OrderedDict[int, Any]': ...

    def series(self, name: Names, interval: str, steps: Optional[int] = None,
               condensed: Condense = False, start: Optional[float] = None,
               end: Optional[float] = None, transform: Optional[TransformArg] = None,
               collapse: Condense = False, fetch: Optional[Fetch] = None, *,
               process_row: Optional[Callable[[Any], Any]] = None,
               condense: Optional[Condense] = None,
               join_rows: Optional[Callable[[List[Any]], Any]] = None
               ) -> 'OrderedDict[int, Any]':
        """The data in a run of consecutive buckets of ``interval``.

        With ``start`` and ``end`` the run covers both; with one of them,
        ``steps`` buckets from ``start`` or up to ``end``; with neither,
        ``steps`` buckets up to now. ``steps`` defaults to the interval's.
        ``condense``, ``collapse``, ``process_row``, ``join_rows``: see :mod:`kairos.reads`.
        """
        config = self._interval(interval)
        names = self._names(name)
        hooks = ReadHooks(self._type, transform, either(condense, condensed), collapse,
                          process_row, join_rows)
        buckets = self._window(config, steps, start, end)
        rows = self._rows(config, names, buckets, fetch, hooks)
        calc = config.i_calc
        i_times = [calc.from_bucket(b) for b in buckets]
        if not config.coarse and (hooks.condense or hooks.collapse):
            rows = [hooks.condensed(row) for row in rows]
        rval = OrderedDict(zip(i_times, rows))
        if hooks.collapse:
            # a collapsed row lasts the whole range
            length = calc.from_bucket(calc.shift(buckets[-1], 1)) - i_times[0]
            return hooks.finish(OrderedDict([(i_times[0], hooks.collapsed(rval))]),
                                lambda _: length)
        if config.coarse or hooks.condense:
            return hooks.finish(rval, calc.step_size)
        if hooks.transform is not None or not self._rows_final:  # else nothing to fill
            for row in rval.values():
                hooks.finish(row, config.r_calc.step_size)
        return rval

    def _window(self, config: Interval, steps: Any, start: Optional[float],
                end: Optional[float]) -> List[int]:
        calc = config.i_calc
        if steps is None:
            steps = config.steps or 1
        elif isinstance(steps, bool) or not isinstance(steps, int) or steps <= 0:
            raise InvalidQuery('steps must be a positive integer, not %r' % (steps,))
        if start is not None:
            first = calc.bucket(self._timestamp(start))
            last = calc.bucket(self._timestamp(end)) if end is not None \
                else calc.shift(first, steps - 1)
        else:
            last = calc.bucket(self._timestamp(end))
            first = calc.shift(last, -(steps - 1))
        if first > last:
            raise InvalidQuery('start %r is after end %r' % (start, end))
        return calc.span(first, last)

    def _rows(self, config: Interval, names: List[str], buckets: List[int],
              fetch: Optional[Fetch], hooks: ReadHooks) -> List[Any]:
        """One processed row per bucket, the names' data joined together.

        A row is MISSING or data for a coarse interval, else an ordered dict
        of resolution timestamp -> data holding the resolution buckets with data.
        """
        raw = self._read(config, names, buckets, fetch)
        if self._rows_final:
            return self._join_final(config.coarse, names, raw, hooks)
        one = hooks.process
        process = hooks.process_row or self._type.process_row
        r_time = config.r_calc.from_bucket

        if config.coarse:
            if len(names) == 1:
                return [one(row) for row in raw[names[0]]]
            return [hooks.join([one(row) for row in per_name])
                    for per_name in zip(*(raw[name] for name in names))]
        # the hot loops of a read: one pass per resolution bucket, few calls
        step = config.r_calc.step_size() if isinstance(config.r_calc, RelativeTime) else None
        if len(names) == 1:
            return [OrderedDict([
                (r * step if step else r_time(r),
                 process(data) if type(data) not in _SPECIAL else one(data))
                for r, data in sorted(row.items())]) for row in raw[names[0]]]
        rval, join = [], hooks.join
        per_name: Sequence[Any]
        for per_name in zip(*(raw[name] for name in names)):
            # each name's processed rows, then joined per resolution bucket
            per_name = [{r: process(data) if type(data) not in _SPECIAL else one(data)
                         for r, data in row.items()} for row in per_name]
            rval.append(OrderedDict(
                (r * step if step else r_time(r),
                 join([row.get(r, MISSING) for row in per_name]))
                for r in sorted(set().union(*per_name))))
        return rval

    def _join_final(self, coarse: bool, names: List[str], raw: Dict[str, List[Any]],
                    hooks: ReadHooks) -> List[Any]:
        """``_rows`` of a backend with ``_rows_final``: its rows, processed only for a
        read_func or process_row, then joined."""
        if hooks.process_row is not None or self._type.read_func is not None:
            one = hooks.process
            for rows in raw.values():
                rows[:] = [one(row) for row in rows] if coarse else \
                    [OrderedDict((r, one(data)) for r, data in row.items()) for row in rows]
        if len(names) == 1:
            return raw[names[0]]
        join = hooks.join
        if coarse:
            return [join(list(per_name)) for per_name in zip(*(raw[name] for name in names))]
        return [OrderedDict((r, join([row.get(r, MISSING) for row in per_name]))
                            for r in sorted(set().union(*per_name)))
                for per_name in zip(*(raw[name] for name in names))]

    # -- deleting ------------------------------------------------------------

    def delete(self, name: str) -> int:
        """Remove every bucket of ``name`` in every interval; return how many records went."""
        return self._delete(check_name(name))

    # -- helpers -------------------------------------------------------------

    def _interval(self, interval: Any) -> Interval:
        try:
            return self._intervals[interval]
        except (KeyError, TypeError):
            raise UnknownInterval(interval, tuple(self._intervals)) from None

    @staticmethod
    def _names(name: Any) -> List[str]:
        if isinstance(name, (list, tuple, set)):
            if not name:
                raise InvalidName('a list of names cannot be empty')
            return [check_name(n) for n in name]
        return [check_name(name)]

    def _timestamp(self, timestamp: Any) -> float:
        return self._clock() if timestamp is None else check_timestamp(timestamp)


# The classes of kairos 0.5.0's API, one per type: isinstance(t, Count) holds for
# a count on any backend. They add no behaviour (a type's behaviour lives in
# series_types); built directly, they build their type on the client's backend.

class Series(Timeseries[List[Any]]):
    """A timeseries whose buckets are lists of every value inserted."""
    _series_type = 'series'


class Histogram(Timeseries[Dict[Any, int]]):
    """A timeseries whose buckets count each distinct value."""
    _series_type = 'histogram'


class Count(Timeseries[float]):
    """A timeseries whose buckets are counters."""
    _series_type = 'count'


class Gauge(Timeseries[Any]):
    """A timeseries whose buckets hold the last value written."""
    _series_type = 'gauge'


class Set(Timeseries[set[Any]]):
    """A timeseries whose buckets are sets of distinct values."""
    _series_type = 'set'


def typed_classes(backend: 'Type[Timeseries[Any]]') -> Tuple[type, ...]:
    """Build ``backend.TYPED``: its class per type, named as 0.5.0 named them (RedisCount).

    Returns the classes of series, histogram, count, gauge and set, in that order.
    """
    stem = backend.__name__[:-len('Backend')]
    backend.TYPED = {cls._series_type: type(stem + cls.__name__, (backend, cls),
                                            {'__module__': backend.__module__,
                                             '__doc__': 'A %s timeseries on %s.'
                                                        % (cls._series_type, stem)})
                     for cls in (Series, Histogram, Count, Gauge, Set)}
    return tuple(backend.TYPED.values())
