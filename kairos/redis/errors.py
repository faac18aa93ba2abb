"""What redis-py's errors and refused replies mean to kairos: the kairos error for
each (refused credentials included), and the server as a message names it.
"""

from typing import Any, Dict

import redis
from redis.exceptions import (AskError, ClusterDownError, NoPermissionError,
                              RedisClusterException, ResponseError, TryAgainError)

from ..exceptions import AuthenticationError, DataConflict, StorageUnavailable

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


def root_error(error: Any) -> Any:
    """The redis-py error a cluster client's RedisClusterException wraps, else ``error``."""
    if isinstance(error, RedisClusterException) and \
            isinstance(error.__cause__, redis.RedisError):
        return error.__cause__
    return error


def authentication_error(server: str, error: Any, sent: bool = False) -> AuthenticationError:
    """The AuthenticationError for a refusal by ``server`` (host:port, no credentials);
    ``sent``: the refusal came in reply to the call's commands, not as they connected."""
    return AuthenticationError('authentication failed: Redis at %s refused this client\'s '
                               'credentials or their rights%s: %s' % (
                                   server, '' if sent else '; nothing was sent', error))


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
    """host:port of a cluster client's default node: the cluster as a message names it."""
    try:
        return cluster_node(client.get_default_node().name)
    except (AttributeError, redis.RedisError):
        return 'a Redis Cluster'


def driver_error(server: str, exc: Exception) -> Exception:
    """The kairos error for an error redis-py raised talking to ``server``."""
    if refuses_credentials(exc):   # before ConnectionError: redis-py derives it from that
        exc = root_error(exc)
        return authentication_error(server, exc, isinstance(exc, ResponseError))
    if isinstance(exc, (redis.ConnectionError, redis.TimeoutError)):
        return StorageUnavailable('Redis at %s is unreachable: %s' % (server, exc))
    if isinstance(exc, (ClusterDownError, TryAgainError, AskError)):   # MOVED included
        return StorageUnavailable('Redis Cluster could not serve the command: %s' % exc)
    if isinstance(exc, ResponseError):
        return DataConflict('Redis refused the command: %s' % exc)
    # a cluster client's own errors: no node for a slot
    return StorageUnavailable('Redis failed: %s' % exc)


def refusal(server: str, message: str, reply: ResponseError) -> Exception:
    """A refused command's error: AuthenticationError for the client's credentials or
    rights (``message`` unused), else DataConflict with ``message % reply``."""
    if refuses_credentials(reply):
        return authentication_error(server, reply, True)
    return DataConflict(message % (reply,))


def chain(error: Exception, cause: Exception) -> Exception:
    """``error`` with ``cause`` as its ``__cause__``, as ``raise error from cause`` sets it."""
    error.__cause__ = cause
    return error
