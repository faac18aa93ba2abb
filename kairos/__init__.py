"""kairos: RRD/whisper-style bucketed time series in Redis, MongoDB and SQL databases.

One :class:`Timeseries` per statistic type and set of intervals; its client
is a redis-py client (single Redis or Cluster), a pymongo (or mongomock)
client or database, an SQLAlchemy engine, or a URL naming one of them::

    from kairos import Timeseries
    t = Timeseries('redis://localhost:6379/0', type='histogram', read_func=int,
                   intervals={'minute': {'step': 60, 'steps': 120}})
    t.insert('example', 3)
    t.get('example', 'minute')   # OrderedDict([(bucket start, {3: 1})])

``kairos.asyncio.Timeseries`` is the same, its calls awaited, over asyncio
clients. Every error kairos raises derives from :class:`KairosException`
(:mod:`kairos.exceptions`).

Where things are (docs/development.rst has the whole map): every call is
written once as steps (:mod:`kairos.steps`) in :mod:`kairos.timeseries`,
``writes``, ``queries`` (with ``regrouping`` and ``many``) and ``meta``, on the storage primitives of a store
(``redis_backend`` with ``kairos/redis/``, ``mongo_backend`` with
``kairos/mongo/``, ``sql_backend/``); ``steps.run`` makes their driver calls
blocking, ``steps.arun`` awaits them (:mod:`kairos.asyncio`). Redis commands
are built in ``kairos/redis/commands.py`` and ``keys.py``, SQL in
``kairos/sql_backend/statements.py``, whichever API calls.
"""

from .exceptions import (AuthenticationError, ConfigurationError, DataConflict, FlushError,
                         InvalidName, InvalidQuery, InvalidTimestamp, InvalidValue,
                         KairosException, KairosWarning, StorageError, StorageFull,
                         StorageUnavailable, UnknownInterval, UnsupportedClient)
from .intervals import IntervalConfig
from .timeseries import Timeseries

__version__ = '1.0.0'

__all__ = ['Timeseries', 'KairosException', 'UnknownInterval', 'ConfigurationError',
           'UnsupportedClient', 'InvalidName', 'InvalidValue', 'InvalidTimestamp',
           'InvalidQuery', 'DataConflict', 'FlushError', 'StorageError', 'StorageUnavailable',
           'StorageFull', 'AuthenticationError', 'KairosWarning', 'IntervalConfig', '__version__']
