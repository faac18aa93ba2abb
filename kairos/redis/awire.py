"""The Redis backend's round trips on a ``redis.asyncio`` client: what ``wire.Wire``
does for a blocking client, awaited.

A packet is sent with one ``send_packed_command`` on a connection taken from
the client's pool (a cluster node's own connections, through ``NodePool``),
and one reply per command is read back (a refused command as its
``ResponseError``, in its place). A task cancelled while its packet is being
sent or its replies read drops the connection: Redis runs nothing of a packet
it did not receive whole when that packet is one command or one MULTI/EXEC,
and replies left unread would be read by the next user of the connection. The
errors are ``wire``'s, built by the same functions.
"""

import asyncio
from typing import Any, List, Optional, Sequence, Tuple

import redis
from redis.exceptions import ResponseError

from ..exceptions import StorageError
from .errors import pool_server
from .wire import Command, checked, one_unit, per_wire, receive_failed, send_failed, \
    spread, unreachable

_FAILURES = (redis.ConnectionError, redis.TimeoutError, OSError)


class AsyncWire:
    """Round trips on the connections of one pool: a redis.asyncio client's, or a
    cluster node's (``NodePool``)."""

    def __init__(self, pool: Any):
        self.pool = pool
        self.server = pool_server(pool)

    async def round_trip(self, commands: Sequence[Command], write: bool) -> List[Any]:
        """Send ``commands`` in one packet; return their replies (see ``Wire.round_trip``)."""
        try:
            connection = await self.pool.get_connection()
        except _FAILURES as exc:
            raise unreachable(self.server, exc, write) from exc
        sending = False
        try:
            packet = b''.join(connection.pack_commands(commands))
            sending = True
            await connection.send_packed_command([packet])
            sending = False
            replies = [await _reply(connection) for _ in commands]
        except BaseException as exc:
            await _drop(self.pool, connection)
            if isinstance(exc, _FAILURES):
                if sending:
                    raise send_failed(self.server, exc, write, one_unit(commands)) from exc
                raise receive_failed(exc, write) from exc
            raise
        await self.pool.release(connection)
        return checked(self.server, replies, write)

    async def read_each(self, command: str, keys: Sequence[str],
                        tail: Tuple[Any, ...] = ()) -> List[Any]:
        """``command key *tail`` for every key, in one round trip."""
        return await self.round_trip([(command, key) + tail for key in keys], False)


async def _reply(connection: Any) -> Any:
    try:
        return await connection.read_response()
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


def node_wire(node: Any) -> AsyncWire:
    """The AsyncWire of a redis.asyncio cluster node."""
    return AsyncWire(NodePool(node))


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
