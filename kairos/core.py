"""What every Timeseries is, whichever its I/O: ``Core``, its configuration checked as it
is built, and every call written once as steps (:mod:`kairos.steps`) on a backend
store's few storage primitives, each a generator of the driver calls it needs::

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
the last four live in :mod:`kairos.meta`, ``insert`` and ``bulk_insert`` in
:mod:`kairos.writes` (the checking and planning of writes in :mod:`kairos.plan`),
``get`` and ``series`` in :mod:`kairos.queries` (their hooks in :mod:`kairos.reads`).

A keyword the constructors do not take is ignored with a KairosWarning, as
0.5.0 ignored it, unless it is one or two letters off one they take (read from
their signatures, so a backend's own keywords count on that backend): then it
is refused as a typo, ``interval`` for ``intervals`` included, since its
timeseries would store nothing. Keywords of other kairos versions
(KNOWN_IGNORED: ``ttl``, 0.10.1's SQL ones) always just warn. A type's settings
(a sketch's ``relative_accuracy`` and ``max_bins``) are keywords too, handed to the
type, which parses them as it is built; given for another type, they are refused.
"""

import collections.abc
import inspect
import time
from collections import OrderedDict
from typing import (TYPE_CHECKING, Any, Callable, Dict, FrozenSet, List, Mapping, Optional)

from .exceptions import ConfigurationError, InvalidName, UnknownInterval, UnsupportedClient, warn
from .intervals import Interval, check_timestamp, close_match
from .many import ManyReads
from .meta import MetaData
from .plan import Write, check_name
from .queries import Fetch, Reads, V
from .regrouping import Regrouping
from .series_types import TYPES, SeriesType, settings
from .steps import Steps
from .urls import client_from_url
from .writes import Writes

# intervals=: {name: IntervalConfig}, typed loosely: mypy types the README's dict literal
# held in a variable, {'minute': {'step': 60, ...}, 'hour': {'step': '1h', ...}}, as
# dict[str, object]; __init__ refuses a value that is not an interval's dict
Intervals = Mapping[str, object]


class _DefaultType(str):
    """The default type: 'series', or the own type of a 0.5.0 class such as Count."""


_OWN_TYPE = _DefaultType('series')


# Keywords that code written for other kairos versions passes: ignored with a warning,
# as 0.5.0 ignored every unknown keyword, and never taken for a typo.
KNOWN_IGNORED = frozenset({'ttl', 'string_length', 'text_length', 'table_name'})

_KEYWORDS: Dict[type, FrozenSet[str]] = {}


def keywords(cls: type) -> FrozenSet[str]:
    """The keywords a class's constructors take, read from their signatures (with the
    URL constructor's ``client_config`` and ``database``, and every type's settings)."""
    known = _KEYWORDS.get(cls)
    if known is None:
        functions = [klass.__dict__['__init__'] for klass in cls.__mro__
                     if '__init__' in klass.__dict__ and issubclass(klass, Core)]
        known = _KEYWORDS[cls] = frozenset(
            name for function in functions + [client_from_url]
            for name, parameter in inspect.signature(function).parameters.items()
            if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)
            and name not in ('self', 'client', 'url')) | _type_settings()
    return known


def _type_settings() -> FrozenSet[str]:
    """The settings of every type (series_types.settings)."""
    return frozenset().union(*map(settings, TYPES.values()))


def _settings(kind: str, given: Dict[str, Any]) -> Dict[str, Any]:
    """The settings in ``given`` (the keywords of one call) for the type ``kind``;
    one of another type's is refused."""
    for key in sorted(given):
        if key not in settings(TYPES[kind]):
            owners = [name for name, other in TYPES.items() if key in settings(other)]
            raise ConfigurationError('%s is a setting of a %s, not of a %s'
                                     % (key, ' or a '.join(owners), kind))
    return given


def _check_unknown(cls: type, unknown: Dict[str, Any]) -> None:
    """Refuse a likely typo of a keyword; warn of the others, which 0.5.0 ignored."""
    known = keywords(cls)
    for key in sorted(unknown):
        meant = None if key in KNOWN_IGNORED or key in known else close_match(key, known)
        if meant:
            raise ConfigurationError('unknown keyword %r: did you mean %r?' % (key, meant))
    warn('ignored argument(s): %s' % ', '.join(sorted(unknown)))


def now() -> float:
    """The default clock: ``time.time()``, looked up at each call (so a patched one counts)."""
    return time.time()


class Core(MetaData, Writes, ManyReads, Regrouping, Reads[V]):
    """What every Timeseries is, whichever its I/O: its configuration, checked when it is
    built, and every call written once as steps (:mod:`kairos.steps`) over a backend's
    storage primitives (see the module docstring).

    ``Timeseries`` runs the steps with blocking I/O, ``kairos.asyncio.Timeseries``
    awaits them; each backend's store is a ``Core`` filling the primitives.
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

        def _write(self, writes: List[Write], pipeline: Any = None) -> Steps[None]: ...

        def _read(self, interval: Interval, names: List[str], buckets: List[int],
                  fetch: Optional[Fetch]) -> Steps[Dict[str, List[Any]]]: ...

        def _delete(self, name: str) -> Steps[int]: ...

        def _start(self, setup: Callable[[], Steps[None]]) -> None: ...

    # set on a Timeseries built from a URL (kairos.urls): releases the client it built
    _release: Optional[Callable[[], Any]] = None
    # True where the steps are awaited (kairos.asyncio): its clients must be asyncio ones
    _awaits = False
    # True on a store whose insert makes several calls (Mongo: one per interval; a Redis
    # Cluster: one per node): on asyncio it then runs to its end once started, even if
    # its caller is cancelled, as bulk_insert and deletes always do
    _split_writes = False

    def _check_io(self, client: Any, awaiting: bool) -> None:
        """Refuse a client whose calls block for kairos.asyncio, or are awaited for
        kairos.Timeseries."""
        kind = '%s.%s' % (type(client).__module__, type(client).__qualname__)
        if awaiting and not self._awaits:
            raise UnsupportedClient('a %s is an asyncio client: use kairos.asyncio.Timeseries'
                                    % kind)
        if self._awaits and not awaiting:
            raise UnsupportedClient('kairos.asyncio.Timeseries needs an asyncio client '
                                    '(redis.asyncio, pymongo.AsyncMongoClient, an SQLAlchemy '
                                    'AsyncEngine), not a %s: use kairos.Timeseries' % kind)

    def __init__(self, client: Any, type: str = _OWN_TYPE, prefix: Optional[str] = None,
                 read_func: Optional[Callable[[Any], Any]] = None,
                 write_func: Optional[Callable[[Any], Any]] = None,
                 intervals: Optional[Intervals] = None, clock: Callable[[], float] = now,
                 **kwargs: Any):
        # a type's settings (kwargs is this call's own dict)
        own = {key: kwargs.pop(key) for key in _type_settings() & kwargs.keys()}
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
        for func, what in ((read_func, 'read_func'), (write_func, 'write_func'),
                           (clock, 'clock')):
            if func is not None and not callable(func):
                raise ConfigurationError('%s must be callable, not %r' % (what, func))
        self._client = client
        self._type: SeriesType = TYPES[type](read_func, **_settings(type, own))
        self._read_func = read_func
        self._write_func = write_func
        self._clock = now if clock is None else clock
        self._intervals: Dict[str, Interval] = OrderedDict(
            (name, Interval(name, config)) for name, config in intervals.items())

    # -- deleting ------------------------------------------------------------

    def delete(self, name: str) -> int:
        """Remove every bucket of ``name`` in every interval; return how many records went."""
        return self._run_write(self._delete_steps(name))

    def _delete_steps(self, name: str) -> Steps[int]:
        return (yield from self._delete(check_name(name)))

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
