"""Exceptions raised by kairos.

Every error kairos raises on purpose derives from :class:`KairosException`.
Each one also derives from the builtin a caller would naturally catch, so
code written against plain Python errors keeps working::

    KairosException
     ├── UnknownInterval          (LookupError)   interval name not configured
     ├── ConfigurationError       (ValueError)    bad constructor arguments
     │    └── UnsupportedClient   (+ TypeError, ImportError)  not a Redis, MongoDB
     │                                            or SQL client, or its driver is absent
     ├── InvalidName              (ValueError, TypeError)  name not a non-empty str
     ├── InvalidValue             (ValueError, TypeError)  value the type/backend cannot store
     ├── InvalidTimestamp         (ValueError, TypeError)  timestamp not a finite number
     ├── InvalidQuery             (ValueError)    bad steps/start/end/transform in a read
     ├── DataConflict             (ValueError)    stored data is not of the kind this
     │                                            series writes (e.g. another type's key)
     ├── FlushError                               a buffered writer's flush failed: its
     │                                            values are not retried; chains the error
     └── StorageError                             the database failed the call; chains
          │                                       the driver's error as __cause__
          ├── StorageUnavailable  (ConnectionError)  unreachable, or the connection broke
          │                                       mid-command: a retry may succeed
          ├── StorageFull                         the server is out of memory (Redis
          │                                       maxmemory) and refused the write
          └── AuthenticationError                 the server refused the client's credentials
                                                  or their rights: a retry fails the same way

A plain :class:`StorageError` is a failure no retry mends either (a closed
client, say). Only :class:`StorageUnavailable` is a ``ConnectionError``, so a
loop that retries on connection errors never retries a bad password.
Every exception says in ``applied`` what a failed write (``insert``,
``bulk_insert``, ``delete``, ``delete_all``, ``expire``) did to the data:

* ``False``: nothing was applied. Bad input is refused before any I/O, so a
  validation error is always ``False``; so is a server that could not be
  reached, refused the credentials, ran out of memory or rolled the
  transaction back, and a packet that never reached it whole.
* ``None``: unknown, for some or all of it: the connection broke or timed out
  after the write was sent (or during an SQL ``COMMIT``). kairos never retries
  such a write on its own.
* ``True``: part of it was applied, and the message says which (other hash
  slots of a Redis Cluster call, other commands, earlier pieces).

A ``bulk_insert`` that fails in a later piece also carries ``values_written``
on a :class:`StorageError`: that many values of the earlier pieces are stored
for certain, and ``applied`` is then ``True`` (unless the failed piece's own
outcome is unknown: ``None``). A read's error has ``applied`` ``False``.
Messages name the server by host and port, never by a password.

A configuration that kairos 0.5.0 accepted but ignored, or that means little,
still constructs and warns with :class:`KairosWarning` (a ``UserWarning``).
"""

import sys
import warnings
from typing import TYPE_CHECKING, Any, List, Optional

if TYPE_CHECKING:
    from types import FrameType


class KairosException(Exception):
    """Root of every exception kairos raises on purpose.

    ``applied``: what a failed write did: False nothing, None unknown, True a part.
    """

    applied: Optional[bool] = False


class UnknownInterval(KairosException, LookupError):
    """The interval name is not one of the configured intervals.

    ``args[0]`` is the name asked for; ``configured`` the names configured, if given.

    >>> str(UnknownInterval('minutes', ['minute', 'hour']))
    "unknown interval 'minutes': configured intervals are 'minute', 'hour'"
    """

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.configured = tuple(args[1]) if len(args) > 1 else None

    def __str__(self) -> str:
        if not self.args:
            return 'unknown interval'
        if self.configured is None:
            return 'unknown interval %r' % (self.args[0],)
        if not self.configured:
            return 'unknown interval %r: no intervals are configured' % (self.args[0],)
        return 'unknown interval %r: configured intervals are %s' % (
            self.args[0], ', '.join(map(repr, self.configured)))


class ConfigurationError(KairosException, ValueError):
    """The Timeseries configuration is invalid; raised at construction."""


class UnsupportedClient(ConfigurationError, TypeError, ImportError):
    """The client (or URL) is not one of Redis, MongoDB or SQL that kairos takes.

    Also an ``ImportError``, which kairos 0.5.0 raised for a client it did not know
    and which a URL's missing driver is.
    """


class InvalidName(KairosException, ValueError, TypeError):
    """A statistic name must be a non-empty ``str``."""


class InvalidValue(KairosException, ValueError, TypeError):
    """A value cannot be stored by this type of series on this backend."""


class InvalidTimestamp(KairosException, ValueError, TypeError):
    """A timestamp must be a finite int or float of seconds since the epoch."""


class InvalidQuery(KairosException, ValueError):
    """Arguments to get/series do not describe a valid read."""


class DataConflict(KairosException, ValueError):
    """The database refused the command because of what it already holds."""


class FlushError(KairosException):
    """A flush of a buffered writer (:mod:`kairos.buffer`) failed, and is never retried.

    ``values``: how many values the flush held; ``values_lost``: how many of them are
    not stored for certain (those of a bulk_insert's pieces before the failed one
    are). ``applied`` is the failed write's; its error is the ``__cause__``.
    """

    def __init__(self, *args: Any, values: int = 0, values_lost: int = 0) -> None:
        super().__init__(*args)
        self.values, self.values_lost = values, values_lost


class StorageError(KairosException):
    """The database failed the call; the driver's error is the ``__cause__``."""

    # set by bulk_insert: how many values the pieces before the failed one stored
    values_written: int
    # set by a Mongo write: the intervals whose collections took it
    intervals_written: List[str]


class StorageUnavailable(StorageError, ConnectionError):
    """The database could not be reached or failed mid-command; a retry may succeed.

    For a write, the outcome is unknown: kairos does not retry it.
    """


class StorageFull(StorageError):
    """The server is out of memory (Redis at ``maxmemory`` with ``noeviction``) and
    refused the write; it stays refused until memory is freed or the limit raised.

    Not a ``ConnectionError``: retrying at once fails the same way.
    """


class AuthenticationError(StorageError):
    """The server refused the client's credentials (or their rights); nothing was done.

    Not a ``ConnectionError``: retrying with the same credentials fails again.
    """


class KairosWarning(UserWarning):
    """A configuration kairos accepts, as 0.5.0 did, but ignores or finds meaningless."""


def applied_before(error: KairosException, what: str) -> None:
    """Mark ``error``, raised by a later part of a call, as one whose earlier part
    (``what``) was applied, and say so in its message."""
    if error.applied is False:
        error.applied = True
    error.args = ('%s (before this, %s)' % (error, what),)


def warn(message: str) -> None:
    """Warn with KairosWarning, attributed to the first caller outside kairos."""
    frame: Optional[FrameType]
    level, frame = 2, sys._getframe(1)
    while frame is not None and frame.f_globals.get('__name__', '').startswith('kairos.'):
        level, frame = level + 1, frame.f_back
    warnings.warn(message, KairosWarning, stacklevel=level)
