"""The Redis backend's round trips on a ``redis.asyncio`` client: what ``wire.Wire``
does for a blocking client, awaited.

A packet is sent with one ``send_packed_command`` on a connection taken from
the client's pool, and one reply per command is read back (a refused command
as its ``ResponseError``, in its place). A task cancelled while its packet is
being sent or its replies read drops the connection: Redis runs nothing of a
packet it did not receive whole when that packet is one command or one
MULTI/EXEC, and replies left unread would be read by the next user of the
connection. The errors are ``wire``'s, built by the same functions.
"""

import asyncio
from typing import Any, List, Sequence, Tuple

import redis
from redis.exceptions import ResponseError

from ..exceptions import StorageError
from .errors import pool_server
from .wire import Command, checked, one_unit, per_wire, receive_failed, send_failed, \
    spread, unreachable

_FAILURES = (redis.ConnectionError, redis.TimeoutError, OSError)


class AsyncWire:
    """Round trips on the connections of one redis.asyncio client's pool."""

    def __init__(self, client: Any):
        self.pool = client.connection_pool
        self.server = pool_server(self.pool)
        # kairos' round trips on a pool wait for one of its connections rather than fail
        # with "Too many connections" (a pool holds at most max_connections, 100 by default)
        self.slots: asyncio.Semaphore = vars(self.pool).setdefault(
            '_kairos_slots', asyncio.Semaphore(getattr(self.pool, 'max_connections', 100)))

    async def round_trip(self, commands: Sequence[Command], write: bool) -> List[Any]:
        """Send ``commands`` in one packet; return their replies (see ``Wire.round_trip``)."""
        async with self.slots:
            return await self._round_trip(commands, write)

    async def _round_trip(self, commands: Sequence[Command], write: bool) -> List[Any]:
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
