"""The Redis backend's one sending mechanism: commands to one pooled connection, in one round trip.

``round_trip(commands)`` packs every command (hiredis when it is installed),
sends them with a single ``send_packed_command`` and reads one reply per
command. The replies of a read are parsed by a ``hiredis.Reader`` straight
from the socket, as ``str`` (utf-8, surrogateescape): redis-py's per-reply
machinery costs more than Redis itself for a read of 1,440 buckets. A write's
few replies go through the connection's own ``read_response``. A command
Redis refused comes back as a ``ResponseError`` in its place, not raised.

Nothing here retries: a caller that may resend (a read) does so itself. A
Redis Cluster client would send each hash slot's commands with this same
function on that slot's node.
"""

import inspect
from typing import List, Sequence

import redis
from redis.exceptions import ResponseError

try:
    import hiredis
except ImportError:  # hiredis is optional
    hiredis = None

from .exceptions import StorageError

# redis-py before 5.3 needs a command name to hand out a connection; later ones deprecate it
_GET_CONNECTION_ARGS = () if inspect.signature(
    redis.ConnectionPool.get_connection).parameters['command_name'].default \
    is not inspect.Parameter.empty else ('EVALSHA',)
_FAILURES = (redis.ConnectionError, redis.TimeoutError, OSError)
_CHUNK = 65536
_MORE = object()   # what a hiredis Reader returns while a reply is incomplete


class Wire:
    """Round trips on the connections of one redis-py client's pool."""

    def __init__(self, client):
        self.pool = client.connection_pool
        options = self.pool.connection_kwargs
        # hiredis packs exactly as redis-py's encoder does for utf-8, in a tenth of the time;
        # its Reader is used only where nothing else may arrive between replies (no client cache)
        self.fast = hiredis is not None and \
            options.get('encoding', 'utf-8').lower().replace('-', '') == 'utf8' and \
            options.get('encoding_errors', 'strict') == 'strict' and \
            getattr(self.pool, 'cache', None) is None

    def round_trip(self, commands: Sequence[tuple], write: bool) -> list:
        """Send ``commands`` in one packet; return their replies.

        Raises StorageError when Redis cannot be reached or the connection
        breaks; for a ``write`` the message says whether it may have landed.
        """
        return self._exchange(len(commands), write, lambda connection: (
            b''.join([hiredis.pack_command(c) for c in commands]) if self.fast
            else b''.join(connection.pack_commands(commands))))

    def read_each(self, command: str, keys: Sequence[str], tail: tuple = ()) -> list:
        """``command key *tail`` for every key, in one round trip: a read's replies."""
        if not self.fast:
            return self.round_trip([(command, key) + tail for key in keys], False)
        # the same command for every key: pack its fixed parts once
        fixed = hiredis.pack_command((command, 'k') + tail)
        head = fixed[:fixed.index(b'$1\r\nk\r\n')]
        rest = fixed[len(head) + 7:]
        encoded = [key.encode() for key in keys]
        return self._exchange(len(keys), False, lambda connection: b''.join(
            [b'%s$%d\r\n%s\r\n%s' % (head, len(key), key, rest) for key in encoded]))

    def _exchange(self, count: int, write: bool, pack) -> list:
        try:
            connection = self.pool.get_connection(*_GET_CONNECTION_ARGS)
        except _FAILURES as exc:
            raise StorageError('Redis is unreachable%s: %s' % (
                '; nothing was written' if write else '', exc)) from exc
        try:
            # one item: redis-py sends each item of a list with its own sendall
            connection.send_packed_command([pack(connection)])
            if self.fast and not write:
                return self._read_fast(connection, count)
            return [_reply(connection) for _ in range(count)]
        except _FAILURES as exc:
            connection.disconnect()
            raise StorageError('%s: %s' % ('write to Redis failed; its outcome is unknown'
                                           if write else 'read from Redis failed', exc)) from exc
        except BaseException:
            connection.disconnect()   # replies may be left unread: the connection is unusable
            raise
        finally:
            self.pool.release(connection)

    @staticmethod
    def _read_fast(connection, count: int) -> List:
        reader = hiredis.Reader(replyError=ResponseError, notEnoughData=_MORE,
                                encoding='utf-8', errors='surrogateescape')
        gets, recv, replies = reader.gets, connection._sock.recv, []
        append = replies.append
        for _ in range(count):
            reply = gets()
            while reply is _MORE:
                data = recv(_CHUNK)
                if not data:
                    raise redis.ConnectionError('Redis closed the connection')
                reader.feed(data)
                reply = gets()
            append(reply)
        return replies


def _reply(connection):
    try:
        return connection.read_response()
    except ResponseError as exc:
        return exc
