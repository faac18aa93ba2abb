"""What redis-py's errors and refused replies mean to kairos: refused credentials,
the errors kairos raises for them, and the server as a message names it.
"""

from typing import Any, Dict

import redis
from redis.exceptions import NoPermissionError, RedisClusterException, ResponseError

from ..exceptions import AuthenticationError

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


def cluster_server(client: Any) -> str:
    """host:port of a cluster client's default node: the cluster as a message names it."""
    try:
        return '%s (a Redis Cluster node)' % client.get_default_node().name
    except (AttributeError, redis.RedisError):
        return 'a Redis Cluster'
