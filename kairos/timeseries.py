"""The public API with blocking I/O, and the factory that picks a backend by its client.

``Timeseries(client, ...)`` returns a :class:`~kairos.redis_backend.RedisBackend`,
a :class:`~kairos.mongo_backend.MongoBackend` or a
:class:`~kairos.sql_backend.SqlBackend`, chosen by the client's class;
``Timeseries(url, client_config={...}, ...)`` first builds the client from the
URL (:mod:`kairos.urls`). Each is a backend's store (a :class:`~kairos.core.Core`
filling the storage primitives drawn in :mod:`kairos.core`) whose calls run
blocking; :mod:`kairos.asyncio` awaits the same stores. The classes kairos 0.5.0
named (``Count``, ``RedisCount``, ...) are built here too.
"""

import importlib
import operator  # noqa: F401  kairos 0.5.0 exposed these modules here; old code star-imports them
import re  # noqa: F401
import sys
import time  # noqa: F401
from collections import OrderedDict
from datetime import datetime, timedelta  # noqa: F401
from typing import Any, Callable, Dict, List, Literal, Optional, Tuple, Type, TypeVar, overload

from .buffer import Buffering
from .dumps import Dumps
# the names this module had before the core moved out stay importable from here
from .core import (KNOWN_IGNORED as KNOWN_IGNORED, Core as Core, Intervals, _OWN_TYPE,
                   keywords as keywords, now as now)
from .exceptions import (AuthenticationError, ConfigurationError, DataConflict,  # noqa: F401
                         InvalidName, InvalidQuery, InvalidTimestamp, InvalidValue,
                         KairosException, KairosWarning, StorageError, StorageUnavailable,
                         UnknownInterval, UnsupportedClient, warn)
from .intervals import (GREGORIAN_TIMES, NUMBER_TIME, SIMPLE_TIME, SIMPLE_TIMES,  # noqa: F401
                        GregorianTime, Interval, RelativeTime, check_timestamp, close_match)
from .meta import MetaData  # noqa: F401
from .plan import SEEN_VALUES as SEEN_VALUES, Write as Write, check_name as check_name
from .queries import _SPECIAL as _SPECIAL, Fetch as Fetch, Names as Names, V as V
from .queries import Reads  # noqa: F401
from .reads import Condense as Condense, ReadHooks as ReadHooks, either as either
from .series_types import MISSING as MISSING, Duplicates as Duplicates
from .series_types import TYPES, SeriesType  # noqa: F401
from .steps import Steps, run, run_each
from .transforms import TransformArg as TransformArg
from .urls import ClientFromURL, client_from_url  # noqa: F401
from .writes import BULK_CHUNK as BULK_CHUNK, BULK_WRITES as BULK_WRITES, Writes  # noqa: F401

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

_Self = TypeVar('_Self', bound='Timeseries[Any]')
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


class Timeseries(Core[V], Buffering, Dumps, metaclass=ClientFromURL):
    """Bucketed time series of one type in Redis, MongoDB or an SQL database.

    ``Timeseries(client, type=..., intervals=...)`` returns an instance of the
    class for the client's backend and the type (a ``RedisCount`` for a count
    on Redis, a ``MongoSeries``, an ``SqlGauge``...), each a subclass of
    ``Timeseries``. ``client`` is a redis-py client, a pymongo or mongomock
    client or database, an SQLAlchemy engine, or a URL (:mod:`kairos.urls`).
    ``clock`` is what "now" means to it; the default, :func:`kairos.timeseries.now`,
    reads ``time.time()`` at each call, so ``mock.patch('time.time')`` and freezegun
    move it too:

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

    # how the steps of a call are run (kairos.steps): here with blocking I/O, as they
    # come; kairos.asyncio's Timeseries awaits them
    _run = staticmethod(run)
    _run_write = staticmethod(run)
    _run_each = staticmethod(run_each)

    def _start(self, setup: Callable[[], Steps[None]]) -> None:
        """Run a backend's set-up (its tables, its indexes): at once, when blocking."""
        run(setup())

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
                 intervals: Optional[Intervals] = None, clock: Callable[[], float] = now,
                 **kwargs: Any) -> None: ...

    @overload
    def __init__(self: 'Timeseries[List[Any]]', client: Any, type: Literal['series'] = ...,
                 prefix: Optional[str] = None, read_func: None = None,
                 write_func: Optional[Callable[[Any], Any]] = None,
                 intervals: Optional[Intervals] = None, clock: Callable[[], float] = now,
                 **kwargs: Any) -> None: ...

    @overload
    def __init__(self: 'Timeseries[Dict[Any, int]]', client: Any, type: Literal['histogram'],
                 prefix: Optional[str] = None, read_func: None = None,
                 write_func: Optional[Callable[[Any], Any]] = None,
                 intervals: Optional[Intervals] = None, clock: Callable[[], float] = now,
                 **kwargs: Any) -> None: ...

    @overload
    def __init__(self: 'Timeseries[set[Any]]', client: Any, type: Literal['set'],
                 prefix: Optional[str] = None, read_func: None = None,
                 write_func: Optional[Callable[[Any], Any]] = None,
                 intervals: Optional[Intervals] = None, clock: Callable[[], float] = now,
                 **kwargs: Any) -> None: ...

    @overload
    def __init__(self: 'Timeseries[Any]', client: Any, type: str = ...,
                 prefix: Optional[str] = None, read_func: Optional[Callable[[Any], Any]] = None,
                 write_func: Optional[Callable[[Any], Any]] = None,
                 intervals: Optional[Intervals] = None, clock: Callable[[], float] = now,
                 **kwargs: Any) -> None: ...

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

    # -- resources -----------------------------------------------------------

    def close(self) -> None:
        """Release the client built from a URL: its connections, an engine's files.

        A client passed in is the caller's, and stays open. The Timeseries is
        not to be used after; ``with Timeseries(url, ...) as t:`` closes it at
        the block's end. A dropped Timeseries releases its client all the same.
        """
        if self._release is not None:
            self._release()

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


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


class Summary(Timeseries[Any]):
    """A timeseries whose buckets keep the count, sum, min, max and spread of their values."""
    _series_type = 'summary'


class Distinct(Timeseries[int]):
    """A timeseries whose buckets estimate how many distinct values they saw."""
    _series_type = 'distinct'


class Sketch(Timeseries[Any]):
    """A timeseries whose buckets keep a DDSketch of their values: quantiles within a
    relative accuracy."""
    _series_type = 'sketch'


def typed_classes(backend: 'Type[Timeseries[Any]]') -> Tuple[type, ...]:
    """Build ``backend.TYPED``: its class per type, named as 0.5.0 named them (RedisCount).

    Returns the classes of series, histogram, count, gauge, set, summary, distinct and
    sketch, in that order.
    """
    stem = backend.__name__[:-len('Backend')]
    backend.TYPED = {cls._series_type: type(stem + cls.__name__, (backend, cls),
                                            {'__module__': backend.__module__,
                                             '__doc__': 'A %s timeseries on %s.'
                                                        % (cls._series_type, stem)})
                     for cls in (Series, Histogram, Count, Gauge, Set, Summary, Distinct,
                                 Sketch)}
    return tuple(backend.TYPED.values())
