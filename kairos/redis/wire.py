"""The Redis backend's one sending mechanism: commands to one pooled connection, in one round trip.

``round_trip(commands)`` packs every command (hiredis when it is installed),
sends them with a single ``send_packed_command`` and reads one reply per
command. The replies are parsed by a ``hiredis.Reader`` straight from the
socket, as ``str`` (utf-8, surrogateescape): redis-py's per-reply machinery
costs more than Redis itself for a read of 1,440 buckets, and a third of an
``insert()``'s own time. Without hiredis, or with a connection class that
reads replies its own way, they go through the connection's
``read_response``. A command Redis refused comes back as a ``ResponseError``
in its place, not raised. A ``binary`` Wire reads those as bytes whatever the
client's ``decode_responses``, so that a value no encoding may decode (a
HyperLogLog) arrives whole; kairos' own reader gives str that
``.encode('utf-8', 'surrogateescape')`` turns back into the bytes sent.

Nothing here retries a packet whose connection failed: a caller that may
resend (a read) does so itself. ``exchange`` does a round trip for several
packets on several nodes at once: every packet is sent before any reply is
read, so the nodes work in parallel and each takes one round trip.
"""

import inspect
import os
import socket
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import redis
from redis.exceptions import ExecAbortError, ResponseError

try:
    import hiredis as hiredis  # re-exported by kairos.redis_wire
except ImportError:  # hiredis is optional
    hiredis = None  # type: ignore[assignment]

from ..exceptions import KairosException, StorageError, StorageUnavailable
from .errors import authentication_error, outcome, pool_server, refuses_credentials

# redis-py before 5.3 needs a command name to hand out a connection; later ones deprecate it
_GET_CONNECTION_ARGS = () if inspect.signature(
    redis.ConnectionPool.get_connection).parameters['command_name'].default \
    is not inspect.Parameter.empty else ('EVALSHA',)
_FAILURES = (redis.ConnectionError, redis.TimeoutError, OSError)
_CHUNK = 65536
# the read_response of redis-py's own connection classes
_STOCK_READ = getattr(redis.connection, 'AbstractConnection', redis.Connection).read_response
_MORE = object()   # what a hiredis Reader returns while a reply is incomplete
# Idle connections kept per pool (see _Kept), for pools of at least KEEP_FROM_POOLS_OF.
KEEP = 2
KEEP_FROM_POOLS_OF = 50
# a command: its name, then its arguments
Command = Tuple[Any, ...]


class _Kept:
    """Idle connections of one pool that kairos keeps instead of giving back to it.

    Taking a connection from redis-py's pool and giving it back costs about
    as much as a round trip on loopback. A kept connection is checked as the
    pool checks one it hands out: one that has data waiting (the server
    closed it, say) is reconnected. A forked child never uses its parent's.
    """

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.idle: List[Any] = []

    def take(self) -> Any:
        """A kept connection ready for a command, or None."""
        if self.pid != os.getpid():
            self.pid, self.idle = os.getpid(), []
        try:
            connection = self.idle.pop()   # atomic: threads never share a connection
        except IndexError:
            return None
        try:
            if connection.can_read():
                connection.disconnect()    # reconnected by send_packed_command
        except _FAILURES:
            connection.disconnect()
        return connection

    def give(self, connection: Any) -> bool:
        """Keep a connection whose replies were all read; False when enough are kept."""
        if len(self.idle) >= KEEP or self.pid != os.getpid():
            return False
        self.idle.append(connection)
        return True


class _KeptByPool:
    """Each pool's _Kept, held by the pool itself, so that it goes when the pool goes.

    A kept connection refers back to its pool (redis-py's maintenance
    notification handler does), so a map held anywhere else, even one weakly
    keyed by the pool, would keep the pool and its connections alive for good.
    """

    ATTRIBUTE = '_kairos_kept'

    def get(self, pool: Any) -> Optional[_Kept]:
        kept: Optional[_Kept] = vars(pool).get(self.ATTRIBUTE)
        return kept

    def setdefault(self, pool: Any, kept: _Kept) -> _Kept:
        mine: _Kept = vars(pool).setdefault(self.ATTRIBUTE, kept)   # atomic: one per pool
        return mine


_KEPT = _KeptByPool()


class Wire:
    """Round trips on the connections of one redis-py client's pool; ``binary``: see the
    module docstring."""

    def __init__(self, client: Any, binary: bool = False):
        self.pool = client.connection_pool
        self.binary = binary
        options = self.pool.connection_kwargs
        self.server = pool_server(self.pool)
        # hiredis packs exactly as redis-py's encoder does for utf-8, in a tenth of the time;
        # its Reader is used only where nothing else may arrive between replies (no client
        # cache) and where the connections read as redis-py's own do (a connection class
        # that reads its own way, to instrument or to inject faults, is left to do so)
        connection_class = getattr(self.pool, 'connection_class', redis.Connection)
        self.fast = hiredis is not None and \
            options.get('encoding', 'utf-8').lower().replace('-', '') == 'utf8' and \
            options.get('encoding_errors', 'strict') == 'strict' and \
            getattr(self.pool, 'cache', None) is None and \
            getattr(connection_class, 'read_response', None) is _STOCK_READ
        # connections kept out of the pool between calls, shared by the Wires of one pool:
        # only for redis-py's own unbounded ConnectionPool (a bounded or blocking one must
        # get them back) without credential rotation (which re-authenticates on release)
        self.kept = _KEPT.setdefault(self.pool, _Kept()) \
            if type(self.pool) is redis.ConnectionPool and \
            self.pool.max_connections >= KEEP_FROM_POOLS_OF and \
            options.get('credential_provider') is None else None

    def round_trip(self, commands: Sequence[Command], write: bool) -> List[Any]:
        """Send ``commands`` in one packet; return their replies.

        Raises StorageError when Redis cannot be reached or the connection
        breaks; for a ``write`` the message says whether it may have landed.
        """
        return self.receive(self.send(commands, write), len(commands), write)

    def read_each(self, command: str, keys: Sequence[str],
                  tail: Tuple[Any, ...] = ()) -> List[Any]:
        """``command key *tail`` for every key, in one round trip: a read's replies."""
        if not self.fast:
            return self.round_trip([(command, key) + tail for key in keys], False)
        # the same command for every key: pack its fixed parts once
        fixed = hiredis.pack_command((command, 'k') + tail)
        head = fixed[:fixed.index(b'$1\r\nk\r\n')]
        rest = fixed[len(head) + 7:]
        encoded = [key.encode() for key in keys]
        connection = self._send_packed(False, lambda connection: b''.join(
            [b'%s$%d\r\n%s\r\n%s' % (head, len(key), key, rest) for key in encoded]))
        return self.receive(connection, len(keys), False)

    def send(self, commands: Sequence[Command], write: bool) -> Any:
        """Send ``commands`` in one packet on a pooled connection; return the connection."""
        return self._send_packed(write, lambda connection: (
            b''.join([hiredis.pack_command(c) for c in commands]) if self.fast
            else b''.join(connection.pack_commands(commands))), one_unit(commands))

    def _send_packed(self, write: bool, pack: Callable[[Any], bytes],
                     whole: bool = False) -> Any:
        """``whole``: Redis runs nothing of the packet unless it receives all of it."""
        connection: Any
        try:
            connection = self.kept and self.kept.take()
            if connection is None:
                connection = self.pool.get_connection(*_GET_CONNECTION_ARGS)
        except _FAILURES as exc:
            raise unreachable(self.server, exc, write) from exc
        sending = False
        try:
            packet = pack(connection)
            if getattr(connection, '_sock', True) is None:
                connection.connect()   # a kept one the server closed: nothing is sent yet
            sending = True
            # one item: redis-py sends each item of a list with its own sendall
            connection.send_packed_command([packet])
            return connection
        except BaseException as exc:
            self._drop(connection)
            if isinstance(exc, _FAILURES):
                raise send_failed(self.server, exc, write, not sending or whole) from exc
            raise

    def receive(self, connection: Any, count: int, write: bool) -> List[Any]:
        """Read ``count`` replies from a connection ``send`` returned, then give it back."""
        try:
            if self.fast:
                replies = self._read_fast(connection, count)
            else:
                replies = [_reply(connection, self.binary) for _ in range(count)]
        except BaseException as exc:
            self._drop(connection)   # replies may be left unread: the connection is unusable
            if isinstance(exc, _FAILURES):
                raise receive_failed(exc, write) from exc
            raise
        if self.kept is None or not self.kept.give(connection):
            self.pool.release(connection)
        return checked(self.server, replies, write)

    def _drop(self, connection: Any) -> None:
        connection.disconnect()
        self.pool.release(connection)

    @staticmethod
    def _read_fast(connection: Any, count: int) -> List[Any]:
        reader = hiredis.Reader(replyError=ResponseError, notEnoughData=_MORE,
                                encoding='utf-8', errors='surrogateescape')
        replies: List[Any]
        gets, recv, replies = reader.gets, connection._sock.recv, []
        append = replies.append
        for _ in range(count):
            reply = gets()
            while reply is _MORE:
                try:
                    data = recv(_CHUNK)
                except socket.timeout as exc:   # redis-py's own errors, as read_response raises
                    raise redis.TimeoutError('Timeout reading from Redis: %s' % exc) from exc
                except OSError as exc:
                    raise redis.ConnectionError('Error reading from Redis: %s' % exc) from exc
                if not data:
                    raise redis.ConnectionError('Redis closed the connection')
                reader.feed(data)
                reply = gets()
            append(reply)
        return replies


def unreachable(server: str, exc: BaseException, write: bool) -> KairosException:
    """The error of a connection that could not be had from the pool."""
    if isinstance(exc, redis.AuthenticationError):   # a ConnectionError to redis-py
        return authentication_error(server, exc)
    return outcome(StorageUnavailable('Redis at %s is unreachable%s: %s' % (
        server, '; nothing was written' if write else '', exc)), False)


def send_failed(server: str, exc: BaseException, write: bool,
                unrun: bool) -> KairosException:
    """The error of a packet whose sending failed; ``unrun``: Redis ran none of it (it
    was not sent, or it runs whole or not at all), since a failed send delivered a strict
    prefix of the packet at most."""
    if isinstance(exc, redis.AuthenticationError):   # refused as it (re)connected
        return authentication_error(server, exc)
    return outcome(StorageUnavailable('%s: %s' % (
        'read from Redis failed' if not write else
        'write to Redis at %s failed before Redis received all of it, so none '
        'of it ran' % server if unrun else
        'write to Redis failed while sending; its outcome is unknown', exc)),
        False if unrun or not write else None)


def receive_failed(exc: BaseException, write: bool) -> KairosException:
    """The error of a packet sent whole whose replies could not be read."""
    return outcome(StorageUnavailable('%s: %s' % (
        'write to Redis failed after it was sent; its outcome is unknown' if write
        else 'read from Redis failed', exc)), None if write else False)


def checked(server: str, replies: List[Any], write: bool) -> List[Any]:
    """``replies``, unless they refuse the client's credentials: a refusal of the
    credentials refuses every command; of their rights, some."""
    if replies and (isinstance(replies[0], ResponseError) or
                    isinstance(replies[-1], ResponseError)):
        for reply in replies:
            if refuses_credentials(reply):
                raise authentication_error(server, reply, True,
                                           write and ran_some(replies)) from reply
    return replies


def one_unit(commands: Sequence[Command]) -> bool:
    """Whether Redis runs nothing of these commands unless it receives them all: one
    command, or one MULTI/EXEC (after an ASKING, which writes nothing)."""
    names = [c[0] for c in commands if c[0] != 'ASKING']
    return len(names) == 1 or (len(names) > 1 and names[0] == 'MULTI' and
                               names.count('EXEC') == 1 and names[-1] == 'EXEC')


def ran_some(replies: Sequence[Any]) -> bool:
    """Whether a packet whose replies these are ran any command: one that did not fail,
    outside a MULTI/EXEC that Redis aborted (whose MULTI and queued ones say OK, QUEUED)."""
    if replies and (isinstance(replies[-1], ExecAbortError) or
                    str(replies[-1]).startswith('EXECABORT')):
        return False
    return any(not isinstance(reply, ResponseError) for reply in replies)


def _reply(connection: Any, binary: bool = False) -> Any:
    try:
        return connection.read_response(disable_decoding=True) if binary \
            else connection.read_response()
    except ResponseError as exc:
        return exc


def exchange(packets: Sequence[Tuple[Wire, List[Command]]], write: bool) -> List[Any]:
    """Send every ``(wire, commands)`` packet, then read each one's replies.

    Packets for the same wire go in one round trip. The result holds the
    replies of each packet, or the StorageError of its node in their place:
    the other nodes' replies are read all the same (their writes happened).
    """
    by_wire = per_wire(packets)
    sent = []
    for wire, commands in by_wire.values():
        try:
            sent.append((wire, wire.send(commands, write), len(commands)))
        except StorageError as exc:
            sent.append((wire, exc, 0))
    replies: List[Any] = []
    for wire, connection, count in sent:
        if isinstance(connection, StorageError):
            replies.append(connection)
            continue
        try:
            replies.append(wire.receive(connection, count, write))
        except StorageError as exc:
            replies.append(exc)
    return spread(packets, by_wire, replies)


PerWire = Dict[Any, Tuple[Any, List[Command]]]


def per_wire(packets: Sequence[Tuple[Any, List[Command]]]) -> PerWire:
    """{wire: (wire, the commands of its packets in order)}, in order of first appearance."""
    by_wire: PerWire = {}
    for wire, commands in packets:
        by_wire.setdefault(wire, (wire, []))[1].extend(commands)
    return by_wire


def spread(packets: Sequence[Tuple[Any, List[Command]]], by_wire: PerWire,
           replies: List[Any]) -> List[Any]:
    """Each packet's replies from each wire's (as ``per_wire`` grouped them), or the
    StorageError of its wire."""
    per: Dict[Any, Any] = {wire: reply for wire, reply in zip(by_wire, replies)}
    offsets: Dict[Any, int] = {}
    rval: List[Any] = []
    for wire, commands in packets:
        reply = per[wire]
        if isinstance(reply, StorageError):
            rval.append(reply)
            continue
        offset = offsets.get(wire, 0)
        rval.append(reply[offset:offset + len(commands)])
        offsets[wire] = offset + len(commands)
    return rval
