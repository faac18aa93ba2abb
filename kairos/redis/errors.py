"""What redis-py's errors and refused replies mean to kairos: the kairos error for
each (refused credentials, a server out of memory included), what it applied, and
the server as a message names it.
"""

import re
from typing import Any, Dict, Optional, TypeVar

import redis
from redis.exceptions import (AskError, ClusterError, ExecAbortError, NoPermissionError,
                              NoScriptError, OutOfMemoryError, ReadOnlyError,
                              RedisClusterException, ResponseError, TryAgainError)

from ..exceptions import (AuthenticationError, DataConflict, KairosException, StorageError,
                          StorageFull, StorageUnavailable)

# what redis-py raises: a cluster client's own errors are not RedisErrors
DRIVER_ERRORS = (redis.RedisError, RedisClusterException)

# error codes of replies refusing the client's credentials or their rights
_AUTH_CODES = ('NOAUTH', 'WRONGPASS', 'NOPERM')


def refuses_credentials(error: Any) -> bool:
    """Whether a redis-py error or refused reply says the server refused this client's
    credentials (WRONGPASS, NOAUTH: redis-py raises some, hiredis hands others back)
    or their rights (NOPERM)."""
    error = root_error(error)
    if isinstance(error, (redis.AuthenticationError, NoPermissionError)):
        return True
    if not isinstance(error, ResponseError):
        return False
    message = str(error)
    words = message.split(None, 1)
    # Redis closes an unauthenticated connection that sends a long command, with this error
    return bool(words) and (words[0] in _AUTH_CODES or
                            message.startswith('ERR Protocol error: unauthenticated'))


_E = TypeVar('_E', bound=BaseException)
# a refusal out of memory: the reply's own code, or an EXECABORT's cause (Redis
# refuses EXEC itself when memory ran out after the commands were queued)
_OOM = re.compile(r'(^|: )OOM ')
# error codes of replies refusing a command or a script before it ran
_NOT_RUN_CODES = ('WRONGTYPE', 'OOM', 'BUSY', 'NOSCRIPT', 'READONLY', 'MASTERDOWN',
                  'LOADING', 'MISCONF', 'NOREPLICAS', 'EXECABORT', 'NOAUTH', 'NOPERM')


def out_of_memory(reply: Any) -> bool:
    """Whether a refusal says the server is out of memory (maxmemory, noeviction)."""
    return isinstance(reply, OutOfMemoryError) or bool(_OOM.search(str(reply)))


def refused_unrun(reply: Any) -> bool:
    """Whether an error reply refused its command (or script) before running any of it."""
    if isinstance(reply, (OutOfMemoryError, NoPermissionError, ExecAbortError, ReadOnlyError,
                          NoScriptError)):
        return True
    words = str(reply).split(None, 1)
    return bool(words) and words[0] in _NOT_RUN_CODES


def outcome(error: KairosException, applied: Optional[bool]) -> KairosException:
    """``error`` with its ``applied`` set."""
    error.applied = applied
    return error


def root_error(error: Any) -> Any:
    """The redis-py error a cluster client's RedisClusterException wraps, else ``error``."""
    if isinstance(error, RedisClusterException) and \
            isinstance(error.__cause__, redis.RedisError):
        return error.__cause__
    return error


def authentication_error(server: str, error: Any, sent: bool = False,
                         applied: Optional[bool] = False) -> AuthenticationError:
    """The AuthenticationError for a refusal by ``server`` (host:port, no credentials);
    ``sent``: the refusal came in reply to the call's commands, not as they connected;
    ``applied``: whether some of them ran all the same (others refused their rights)."""
    refused = AuthenticationError('authentication failed: Redis at %s refused this client\'s '
                                  'credentials or their rights%s: %s' % (
                                      server, '' if sent else '; nothing was sent', error))
    refused.applied = applied
    return refused


def full_error(server: str, refused: str = 'the write', applied: Optional[bool] = False,
               detail: Any = None) -> StorageFull:
    """The StorageFull for ``server`` out of memory refusing ``refused``; the message
    says what was applied (``applied``: False none of it, True the rest, None unknown)."""
    tail = {False: 'nothing of it was applied', True: 'the rest of it was applied',
            None: 'what the rest of the call applied is unknown'}[applied]
    error = StorageFull('Redis at %s is out of memory (used memory > maxmemory, no '
                        'eviction) and refused %s; %s%s' % (
                            server, refused, tail, '' if detail is None else ': %s' % detail))
    error.applied = applied
    return error


def pool_server(pool: Any) -> str:
    """host:port (or the socket path) of a connection pool's server."""
    options: Dict[str, Any] = pool.connection_kwargs
    if options.get('path'):
        return options['path']  # type: ignore[no-any-return]  # redis-py's str
    return '%s:%s' % (options.get('host', 'localhost'), options.get('port', 6379))


def cluster_node(address: str) -> str:
    """A cluster node's host:port as a message names it."""
    return '%s (a Redis Cluster node)' % address


def cluster_server(client: Any) -> str:
    """host:port of a cluster client's default node, else of the first node it starts
    from (an asyncio client has no default node until it connects): the cluster as a
    message names it."""
    try:
        node = client.get_default_node() or \
            next(iter(client.nodes_manager.startup_nodes.values()))
        return cluster_node(node.name)
    except (AttributeError, StopIteration, redis.RedisError, RedisClusterException):
        return 'a Redis Cluster'


def no_slot_map(server: str, error: Exception, consequence: str = '') -> KairosException:
    """The error of a cluster client that got no slot map from ``server`` (as
    ``cluster_node`` names it): AuthenticationError for refused credentials, else
    StorageUnavailable; ``consequence`` is said after it. Nothing was sent."""
    if refuses_credentials(error):
        return authentication_error(server, root_error(error))
    return StorageUnavailable('Redis Cluster at %s gave no slot map%s: %s'
                              % (server, consequence, error))


def driver_error(server: str, exc: Exception, whole: bool = True) -> KairosException:
    """The kairos error for an error redis-py raised talking to ``server``.

    ``whole``: the call was one command, which a refusal kept from running; else (a
    pipeline, a command that redis-py splits per slot) other parts may have run:
    ``applied`` is then None, not False.
    """
    error = _driver_error(server, exc)
    if not whole and error.applied is False:
        error.applied = None
    return error


def _driver_error(server: str, exc: Exception) -> KairosException:
    # redis-py retries a command after a connection error, so whether an earlier attempt
    # ran is unknown whatever the last one says; a refusal is not retried
    if refuses_credentials(exc):   # before ConnectionError: redis-py derives it from that
        exc = root_error(exc)
        return authentication_error(server, exc, isinstance(exc, ResponseError))
    if isinstance(exc, (redis.ConnectionError, redis.TimeoutError)):
        return outcome(StorageUnavailable('Redis at %s is unreachable: %s' % (server, exc)),
                       None)
    if isinstance(exc, (ClusterError, TryAgainError, AskError)) or \
            isinstance(exc, RedisClusterException):   # MOVED, no node for a slot, ...
        return outcome(StorageUnavailable('Redis Cluster could not serve the command: %s'
                                          % exc), None)
    if isinstance(exc, ResponseError):
        return refusal(server, 'Redis refused the command: %s', exc, False)
    return outcome(StorageError('Redis failed the call: %s' % exc), None)


def refusal(server: str, message: str, reply: ResponseError,
            applied: Optional[bool] = None) -> KairosException:
    """A refused command's error: AuthenticationError for the client's credentials or
    rights, StorageFull for a server out of memory (``message`` unused), else
    DataConflict with ``message % reply``; ``applied`` as the call's others went."""
    if refuses_credentials(reply):
        return authentication_error(server, reply, True, applied)
    if out_of_memory(reply):
        return full_error(server, 'a command of this call', applied, message % (reply,))
    return outcome(DataConflict(message % (reply,)), applied)


def chain(error: _E, cause: BaseException) -> _E:
    """``error`` with ``cause`` as its ``__cause__``, as ``raise error from cause`` sets it."""
    error.__cause__ = cause
    return error
