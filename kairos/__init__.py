"""kairos: RRD/whisper-style bucketed time series in Redis and MongoDB.

    from kairos import Timeseries
    t = Timeseries(redis.Redis(), type='histogram', read_func=int,
                   intervals={'minute': {'step': 60, 'steps': 120}})
    t.insert('example', 3)
    t.get('example', 'minute')
"""

from .exceptions import (ConfigurationError, DataConflict, InvalidName, InvalidQuery,
                         InvalidTimestamp, InvalidValue, KairosException, KairosWarning,
                         StorageError, UnknownInterval, UnsupportedClient)
from .timeseries import Timeseries

__version__ = '1.0.0'

__all__ = ['Timeseries', 'KairosException', 'UnknownInterval', 'ConfigurationError',
           'UnsupportedClient', 'InvalidName', 'InvalidValue', 'InvalidTimestamp',
           'InvalidQuery', 'DataConflict', 'StorageError', 'KairosWarning', '__version__']
