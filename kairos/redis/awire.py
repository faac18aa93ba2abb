"""The Redis backend's round trips on a ``redis.asyncio`` client: what ``wire.Wire``
does for a blocking client, awaited.

A packet is sent in one write on a connection taken from the client's pool
(a cluster node's own connections, through ``NodePool``), and one reply per
command is read back (a refused command as its
``ResponseError``, in its place). A task cancelled while its packet is
being sent or its replies read drops the connection: Redis runs nothing of a
packet it did not receive whole when that packet is one command or one
MULTI/EXEC, and replies left unread would be read by the next user of the
connection. The errors are ``wire``'s, built by the same functions.
"""

import asyncio
import sys
from typing import Any, List, Optional, Sequence, Tuple

import redis
import redis.asyncio.connection
from redis.exceptions import ResponseError

from ..exceptions import StorageError
from .errors import pool_server
from .wire import (_CHUNK, _MORE, KEEP, Command, checked, hiredis, one_unit, per_wire,
                   receive_failed, send_failed, spread, unreachable)

_FAILURES = (redis.ConnectionError, redis.TimeoutError, OSError)
# the read_response of redis-py's own asyncio connection classes
_STOCK_READ = redis.asyncio.connection.AbstractConnection.read_response


class AsyncWire:
    """Round trips on the connections of one pool: a redis.asyncio client's, or a
    cluster node's (``NodePool``).

    As ``wire.Wire`` does, it packs with hiredis and parses the replies with a
    ``hiredis.Reader`` straight from the connection's stream, and keeps a few
    idle connections out of the pool, where the connections are redis-py's own
    (``fast``); else it goes through the connection's own send and read.
    """

    def __init__(self, pool: Any, binary: bool = False):
        self.pool = pool
        self.binary = binary   # as Wire's
        self.server = pool_server(pool)
        options = self.pool.connection_kwargs
        connection_class = getattr(self.pool, 'connection_class', None)
        self.fast = hiredis is not None and \
            options.get('encoding', 'utf-8').lower().replace('-', '') == 'utf8' and \
            options.get('encoding_errors', 'strict') == 'strict' and \
            getattr(connection_class, 'read_response', None) is _STOCK_READ and \
            getattr(self.pool, 'cache', None) is None
        self.timeout = options.get('socket_timeout')
        shared = vars(self.pool)
        # kairos' round trips on a pool wait for one of its connections rather than fail
        # with "Too many connections" (a pool holds at most max_connections, 100 by default)
        self.slots: asyncio.Semaphore = shared.setdefault(
            '_kairos_slots', asyncio.Semaphore(getattr(self.pool, 'max_connections', 100)))
        # idle connections kairos keeps out of a plain pool (no credential rotation)
        self.idle: List[Any] = shared.setdefault('_kairos_idle', []) \
            if self.fast and type(self.pool).__name__ == 'ConnectionPool' and \
            options.get('credential_provider') is None else []
        self.keep = KEEP if self.idle is shared.get('_kairos_idle') else 0

    async def round_trip(self, commands: Sequence[Command], write: bool) -> List[Any]:
        """Send ``commands`` in one packet; return their replies (see ``Wire.round_trip``)."""
        async with self.slots:
            return await self._round_trip(commands, write)

    async def _round_trip(self, commands: Sequence[Command], write: bool) -> List[Any]:
        try:
            connection = await self._take()
        except _FAILURES as exc:
            raise unreachable(self.server, exc, write) from exc
        sending = False
        try:
            if self.fast:
                packet = b''.join([hiredis.pack_command(c) for c in commands])
            else:
                packet = b''.join(connection.pack_commands(commands))
            if not connection.is_connected:
                await connection.connect()   # nothing is sent yet
            sending = True
            if self.fast:
                connection._writer.write(packet)
                await connection._writer.drain()
            else:
                await connection.send_packed_command([packet])
            sending = False
            if not self.fast:
                replies = [await _reply(connection, self.binary) for _ in commands]
            elif self.timeout:
                async with _timeout(self.timeout):
                    replies = await _read_fast(connection, len(commands))
            else:
                replies = await _read_fast(connection, len(commands))
        except BaseException as exc:
            await _drop(self.pool, connection)
            if isinstance(exc, asyncio.TimeoutError):
                exc = redis.TimeoutError('Timeout reading from Redis')
            if isinstance(exc, _FAILURES):
                if sending:
                    raise send_failed(self.server, exc, write, one_unit(commands)) from exc
                raise receive_failed(exc, write) from exc
            raise
        if len(self.idle) < self.keep:
            self.idle.append(connection)
        else:
            await self.pool.release(connection)
        return checked(self.server, replies, write)

    async def _take(self) -> Any:
        """A kept connection with nothing waiting on it (else reconnected), or the pool's."""
        while self.idle:
            connection = self.idle.pop()
            reader = connection._reader
            if reader is not None and (reader.at_eof() or len(reader._buffer)):
                await connection.disconnect()   # the server closed it: reconnected on send
            return connection
        return await self.pool.get_connection()

    async def read_each(self, command: str, keys: Sequence[str],
                        tail: Tuple[Any, ...] = ()) -> List[Any]:
        """``command key *tail`` for every key, in one round trip."""
        return await self.round_trip([(command, key) + tail for key in keys], False)


if sys.version_info >= (3, 11):
    _timeout = asyncio.timeout
else:   # pragma: no cover  (Python 3.9 and 3.10)
    from async_timeout import timeout as _timeout  # type: ignore[import-not-found]


async def _read_fast(connection: Any, count: int) -> List[Any]:
    reader = hiredis.Reader(replyError=ResponseError, notEnoughData=_MORE,
                            encoding='utf-8', errors='surrogateescape')
    gets, read, replies = reader.gets, connection._reader.read, []
    for _ in range(count):
        reply = gets()
        while reply is _MORE:
            data = await read(_CHUNK)
            if not data:
                raise redis.ConnectionError('Redis closed the connection')
            reader.feed(data)
            reply = gets()
        replies.append(reply)
    return replies


async def _reply(connection: Any, binary: bool = False) -> Any:
    try:
        return await (connection.read_response(disable_decoding=True) if binary
                      else connection.read_response())
    except ResponseError as exc:
        return exc


async def _drop(pool: Any, connection: Any) -> None:
    """Close a connection whose replies may be left unread, and give it back: shielded,
    so that a second cancellation cannot leave it half closed and out of the pool."""
    async def close() -> None:
        try:
            await connection.disconnect()
        finally:
            await pool.release(connection)
    await asyncio.shield(close())


class NodePool:
    """A redis.asyncio cluster node's connections as AsyncWire takes them from a pool:
    taken with the node's ``acquire_connection`` and given back with its ``release``
    (the node's own commands share them), connected before they are used.

    A node holding all the connections it may (``max_connections``) makes a call
    wait for one this pool handed out, as a blocking pool would, rather than fail;
    with none of them out, nothing would end the wait, and the call fails as
    redis-py's own commands do.
    """

    def __init__(self, node: Any):
        from redis.exceptions import MaxConnectionsError   # with redis.asyncio.cluster
        self.node = node
        self.connection_kwargs = node.connection_kwargs
        self.connection_class = getattr(node, 'connection_class', None)
        self._exhausted = MaxConnectionsError
        self._out = 0   # connections handed out and not given back
        self._freed: Optional[asyncio.Condition] = None   # made in the loop that waits

    async def get_connection(self) -> Any:
        if self._freed is None:
            self._freed = asyncio.Condition()
        async with self._freed:
            while True:
                try:
                    connection = self.node.acquire_connection()
                    break
                except self._exhausted:
                    if not self._out:
                        raise
                    await self._freed.wait()
        self._out += 1
        try:
            # a connection redis-py marked to reconnect (a failover, maintenance) does so
            marked = getattr(self.node, 'disconnect_if_needed', None)
            if marked is not None:
                await marked(connection)
            await connection.connect()
        except BaseException:
            await _drop(self, connection)
            raise
        return connection

    async def release(self, connection: Any) -> None:
        self.node.release(connection)
        self._out -= 1
        if self._freed is not None:
            async with self._freed:
                self._freed.notify()


def node_wire(node: Any, binary: bool = False) -> AsyncWire:
    """The AsyncWire of a redis.asyncio cluster node."""
    return AsyncWire(NodePool(node), binary)


async def aexchange(packets: Sequence[Tuple[AsyncWire, List[Command]]],
                    write: bool) -> List[Any]:
    """``wire.exchange`` awaited: each wire's packets in one round trip, the wires at once."""
    by_wire = per_wire(packets)

    async def one(wire: AsyncWire, commands: List[Command]) -> Any:
        try:
            return await wire.round_trip(commands, write)
        except StorageError as exc:
            return exc
    replies = await asyncio.gather(*(one(wire, commands) for wire, commands in by_wire.values()))
    return spread(packets, by_wire, list(replies))


pause = asyncio.sleep
