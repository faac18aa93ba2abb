"""kairos: RRD/whisper-style bucketed time series in Redis, MongoDB and SQL databases.

One :class:`Timeseries` per statistic type and set of intervals; its client
is a redis-py client (single Redis or Cluster), a pymongo (or mongomock)
client or database, an SQLAlchemy engine, or a URL naming one of them::

    from kairos import Timeseries
    t = Timeseries('redis://localhost:6379/0', type='histogram', read_func=int,
                   intervals={'minute': {'step': 60, 'steps': 120}})
    t.insert('example', 3)
    t.get('example', 'minute')   # OrderedDict([(bucket start, {3: 1})])

Every error kairos raises derives from :class:`KairosException`
(:mod:`kairos.exceptions`).
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
