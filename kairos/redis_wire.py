"""The Redis backend's one sending mechanism: commands to one pooled connection, in one round trip.

``round_trip(commands)`` packs every command (hiredis when it is installed),
sends them with a single ``send_packed_command`` and reads one reply per
command. The replies are parsed by a ``hiredis.Reader`` straight from the
socket, as ``str`` (utf-8, surrogateescape): redis-py's per-reply machinery
costs more than Redis itself for a read of 1,440 buckets, and a third of an
``insert()``'s own time. Without hiredis, or with a connection class that
reads replies its own way, they go through the connection's
``read_response``. A command Redis refused comes back as a ``ResponseError``
in its place, not raised.

Nothing here retries a packet whose connection failed: a caller that may
resend (a read) does so itself. ``exchange`` does a round trip for several
packets on several nodes at once: every packet is sent before any reply is
read, so the nodes work in parallel and each takes one round trip.
``Router`` sends the backend's packets, one per hash slot on a Redis Cluster
(``ClusterNodes`` maps slots to nodes), and sends again only a packet Redis
refused to run (NOSCRIPT, MOVED, ASK, TRYAGAIN, CLUSTERDOWN).
"""

import inspect
import os
import socket
import time
import weakref
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import redis
from redis.exceptions import (AskError, ClusterDownError, MovedError, NoPermissionError,
                              NoScriptError, RedisClusterException, ResponseError,
                              TryAgainError)

try:
    import hiredis
except ImportError:  # hiredis is optional
    hiredis = None  # type: ignore[assignment]

from .exceptions import AuthenticationError, StorageError, StorageUnavailable

# redis-py before 5.3 needs a command name to hand out a connection; later ones deprecate it
_GET_CONNECTION_ARGS = () if inspect.signature(
    redis.ConnectionPool.get_connection).parameters['command_name'].default \
    is not inspect.Parameter.empty else ('EVALSHA',)
_FAILURES = (redis.ConnectionError, redis.TimeoutError, OSError)
# what redis-py raises: a cluster client's own errors are not RedisErrors
DRIVER_ERRORS = (redis.RedisError, RedisClusterException)
_CHUNK = 65536
# Times a packet Redis Cluster did not run (MOVED, ASK, TRYAGAIN, CLUSTERDOWN) is sent
# again, waiting RESEND_PAUSE * attempt seconds before a TRYAGAIN's or CLUSTERDOWN's.
RESENDS = 8
RESEND_PAUSE = 0.05

# error codes of replies refusing the client's credentials or their rights
_AUTH_CODES = ('NOAUTH', 'WRONGPASS', 'NOPERM')

# the read_response of redis-py's own connection classes
_STOCK_READ = getattr(redis.connection, 'AbstractConnection', redis.Connection).read_response
_MORE = object()   # what a hiredis Reader returns while a reply is incomplete
# Idle connections kept per pool (see _Kept), for pools of at least KEEP_FROM_POOLS_OF.
KEEP = 2
KEEP_FROM_POOLS_OF = 50
_KEPT: 'weakref.WeakKeyDictionary[Any, _Kept]' = weakref.WeakKeyDictionary()
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


class Wire:
    """Round trips on the connections of one redis-py client's pool."""

    def __init__(self, client: Any):
        self.pool = client.connection_pool
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
            else b''.join(connection.pack_commands(commands))))

    def _send_packed(self, write: bool, pack: Callable[[Any], bytes]) -> Any:
        connection: Any
        try:
            connection = self.kept and self.kept.take()
            if connection is None:
                connection = self.pool.get_connection(*_GET_CONNECTION_ARGS)
        except redis.AuthenticationError as exc:   # a ConnectionError to redis-py
            raise authentication_error(self.server, exc) from exc
        except _FAILURES as exc:
            raise StorageUnavailable('Redis at %s is unreachable%s: %s' % (
                self.server, '; nothing was written' if write else '', exc)) from exc
        try:
            # one item: redis-py sends each item of a list with its own sendall
            connection.send_packed_command([pack(connection)])
            return connection
        except BaseException as exc:
            self._drop(connection)
            if isinstance(exc, redis.AuthenticationError):   # refused as it (re)connected
                raise authentication_error(self.server, exc) from exc
            if isinstance(exc, _FAILURES):
                raise StorageUnavailable('%s: %s' % (
                    'write to Redis failed; its outcome is unknown' if write
                    else 'read from Redis failed', exc)) from exc
            raise

    def receive(self, connection: Any, count: int, write: bool) -> List[Any]:
        """Read ``count`` replies from a connection ``send`` returned, then give it back."""
        try:
            if self.fast:
                replies = self._read_fast(connection, count)
            else:
                replies = [_reply(connection) for _ in range(count)]
        except BaseException as exc:
            self._drop(connection)   # replies may be left unread: the connection is unusable
            if isinstance(exc, _FAILURES):
                raise StorageUnavailable('%s: %s' % (
                    'write to Redis failed; its outcome is unknown' if write
                    else 'read from Redis failed', exc)) from exc
            raise
        if self.kept is None or not self.kept.give(connection):
            self.pool.release(connection)
        if replies and (isinstance(replies[0], ResponseError) or
                        isinstance(replies[-1], ResponseError)):
            # a refusal of the credentials refuses every command; of their rights, some
            for reply in replies:
                if refuses_credentials(reply):
                    raise authentication_error(self.server, reply, True) from reply
        return replies

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


def _reply(connection: Any) -> Any:
    try:
        return connection.read_response()
    except ResponseError as exc:
        return exc


def exchange(packets: Sequence[Tuple[Wire, List[Command]]], write: bool) -> List[Any]:
    """Send every ``(wire, commands)`` packet, then read each one's replies.

    Packets for the same wire go in one round trip. The result holds the
    replies of each packet, or the StorageError of its node in their place:
    the other nodes' replies are read all the same (their writes happened).
    """
    by_wire: Dict[Wire, List[int]] = {}
    for index, (wire, commands) in enumerate(packets):
        by_wire.setdefault(wire, []).append(index)
    sent = []
    for wire, indices in by_wire.items():
        commands = [c for i in indices for c in packets[i][1]]
        try:
            sent.append((wire, indices, wire.send(commands, write), len(commands)))
        except StorageError as exc:
            sent.append((wire, indices, exc, 0))
    rval: List[Any] = [None] * len(packets)
    for wire, indices, connection, count in sent:
        replies = connection
        if not isinstance(connection, StorageError):
            try:
                replies = wire.receive(connection, count, write)
            except StorageError as exc:
                replies = exc
        offset = 0
        for i in indices:
            if isinstance(replies, StorageError):
                rval[i] = replies
            else:
                rval[i] = replies[offset:offset + len(packets[i][1])]
                offset += len(packets[i][1])
    return rval


class ClusterNodes:
    """Where a Redis Cluster client's commands go: a key's slot, a slot's master's Wire.

    The slot map is redis-py's own (``nodes_manager``); ``refresh()`` reloads it
    after a MOVED reply or a node that stopped answering.
    """

    def __init__(self, client: Any):
        self.client = client
        self._wires: Dict[str, Tuple[Any, Wire]] = {}   # node name -> (its redis client, its Wire)

    def slot(self, key: str) -> int:
        return self.client.keyslot(key)  # type: ignore[no-any-return]

    def wire(self, slot: int) -> Wire:
        try:
            node = self.client.nodes_manager.get_node_from_slot(slot)
        except DRIVER_ERRORS as exc:
            raise StorageUnavailable('Redis Cluster has no node for slot %d: %s'
                                     % (slot, exc)) from exc
        return self._wire(node)

    def wire_at(self, host: str, port: int) -> Wire:
        """The Wire of the node at host:port (an ASK redirection's target)."""
        node = self.client.nodes_manager.get_node(host, port)
        if node is None:
            self.refresh()
            node = self.client.nodes_manager.get_node(host, port)
            if node is None:
                raise StorageUnavailable('Redis Cluster node %s:%d is unknown' % (host, port))
        return self._wire(node)

    def _wire(self, node: Any) -> Wire:
        client = self.client.get_redis_connection(node)
        known = self._wires.get(node.name)
        if known is None or known[0] is not client:
            known = self._wires[node.name] = (client, Wire(client))
        return known[1]

    def refresh(self) -> None:
        try:
            self.client.nodes_manager.initialize()
        except DRIVER_ERRORS as exc:
            if refuses_credentials(exc):
                raise authentication_error(cluster_server(self.client), root_error(exc)) \
                    from exc
            raise StorageUnavailable('Redis Cluster is unreachable: %s' % exc) from exc


class Router:
    """Where each packet of commands goes: the one Wire of a single Redis, or on a Redis
    Cluster each hash slot's packet to that slot's master, one round trip per node.

    ``scripts`` maps the SHA1 of each script sent by EVALSHA to its text, for
    NOSCRIPT; ``wait`` is a WAIT command sent after every node's write packets.
    """

    def __init__(self, client: Any, scripts: Dict[str, str],
                 wait: Optional[Command] = None):
        single = isinstance(client, redis.Redis)
        self.wire = Wire(client) if single else None
        self.nodes = None if single else ClusterNodes(client)
        self.stale = False   # a cluster node failed: reload the slot map before the next call
        self.scripts, self.wait = scripts, wait

    def slots(self, commands: List[Command]) -> List[Tuple[Optional[int], List[Command]]]:
        """[(slot, its commands)] in order of first appearance; one part on single Redis."""
        if self.nodes is None:
            return [(None, commands)]
        parts: Dict[Optional[int], List[Command]] = {}
        slots: Dict[str, int] = {}
        for command in commands:
            tag = hashed(command[1])
            slot = slots.get(tag)
            if slot is None:
                slot = slots[tag] = self.nodes.slot(tag)
            parts.setdefault(slot, []).append(command)
        return list(parts.items())

    def send(self, packets: Sequence[Tuple[Any, List[Command]]], write: bool) -> List[Any]:
        """The replies of each (slot, commands) packet, or a StorageError in their place.

        Every packet goes to its slot's node, a node's packets in one round
        trip, the nodes in parallel. A packet Redis did not run (NOSCRIPT, or
        on a cluster MOVED, ASK, TRYAGAIN, CLUSTERDOWN) is sent again, which is
        safe for a write too; one whose connection failed never is.
        """
        if self.nodes is None and self.wait is None and len(packets) == 1:
            # single Redis, one packet: the usual write, sent without grouping
            assert self.wire is not None  # single Redis
            try:
                replies = self.wire.round_trip(packets[0][1], write)
            except StorageError as exc:
                return [exc]
            if not_run(replies)[0] is None:
                return [replies]
            # NOSCRIPT: the loop below sends it again (the script in full the second time)
        if self.stale:
            self.stale = False
            self.nodes.refresh()  # type: ignore[union-attr]  # only a cluster goes stale
        rval: List[Any] = [None] * len(packets)
        packets = list(packets)
        asking: Dict[int, Any] = {}   # packet -> ASK's (host, port)
        todo = list(range(len(packets)))
        for attempt in range(RESENDS + 1):
            sends: List[Tuple[Wire, List[Command]]] = []
            for i in todo:
                slot, commands = packets[i]
                if self.nodes is None:
                    sends.append((self.wire, commands))  # type: ignore[arg-type]
                elif i in asking:
                    sends.append((self.nodes.wire_at(*asking.pop(i)), [('ASKING',)] + commands))
                else:
                    sends.append((self.nodes.wire(slot), commands))
            waits: List[Wire] = []
            if write and self.wait is not None:
                waits = list({wire: None for wire, _ in sends})
                sends.extend((wire, [self.wait]) for wire in waits)
            replies = exchange(sends, write)
            self._check_waits(todo, sends, waits, replies)
            again, pause, moved = [], False, False
            for i, (_, commands), reply in zip(todo, sends, replies):
                if isinstance(reply, StorageError):
                    self.stale = self.nodes is not None
                    rval[i] = reply
                    continue
                if commands[0] == ('ASKING',):
                    reply = reply[1:]
                why, where = not_run(reply)
                if why is None or attempt == RESENDS:
                    rval[i] = reply if why is None else StorageUnavailable(
                        'Redis Cluster did not take this packet for slot %s after %d attempts '
                        '(%s); nothing of it was written' % (packets[i][0], attempt + 1, why))
                    continue
                again.append(i)
                if why == 'noscript':
                    packets[i] = (packets[i][0], [('EVAL', self.scripts[c[1]]) + c[2:]
                                                  if c[0] == 'EVALSHA' else c
                                                  for c in packets[i][1]])
                elif why == 'ask':
                    asking[i] = where
                moved = moved or why == 'moved'
                pause = pause or why == 'retry'
            if not again:
                break
            if moved:
                self.nodes.refresh()  # type: ignore[union-attr]  # only a cluster moves slots
            if pause:
                time.sleep(RESEND_PAUSE * (attempt + 1))
            todo = again
        return rval

    def _check_waits(self, todo: List[int], sends: List[Tuple[Wire, List[Command]]],
                     waits: List[Wire], replies: List[Any]) -> None:
        """With wait_replicas: a node's WAIT answered by too few replicas fails its packets."""
        if not waits:
            return
        answers = dict(zip(waits, replies[len(todo):]))
        del replies[len(todo):]
        wanted = self.wait[1]  # type: ignore[index]  # waits are sent only with a WAIT
        for index, ((wire, _), reply) in enumerate(zip(sends, replies)):
            answer = answers[wire]
            if isinstance(reply, StorageError) or not_run(reply)[0] is not None:
                continue
            if isinstance(answer, StorageError) or answer[0] < wanted:
                replies[index] = StorageUnavailable(
                    'the write was applied on the master but %s of the %d replicas asked for '
                    'acknowledged it in time: a failover may lose it' % (
                        'not' if isinstance(answer, StorageError) else answer[0], wanted))

    def read(self, commands: List[Command]) -> List[Any]:
        """Replies to read commands in their order; raises StorageError."""
        if self.nodes is None:
            return self.wire.round_trip(commands, False)  # type: ignore[union-attr]
        slots: Dict[int, List[int]] = {}
        for position, command in enumerate(commands):
            slots.setdefault(self.nodes.slot(hashed(command[1])), []).append(position)
        groups = list(slots.items())
        replies: List[Any] = [None] * len(commands)
        answers = self.send([(s, [commands[p] for p in positions]) for s, positions in groups],
                            False)
        for (_, positions), answer in zip(groups, answers):
            if isinstance(answer, StorageError):
                raise answer
            for position, reply in zip(positions, answer):
                replies[position] = reply
        return replies


def not_run(replies: Sequence[Any]) -> Tuple[Optional[str], Optional[Tuple[str, int]]]:
    """Why Redis did not run a packet at all, so that sending it again is safe.

    ('moved' | 'ask' | 'retry' | 'noscript', ASK's (host, port)), or (None, None).
    Inside MULTI a redirected command aborts the EXEC, so nothing of it ran either.
    """
    for reply in replies:
        if not isinstance(reply, ResponseError):
            continue
        if isinstance(reply, NoScriptError):
            return 'noscript', None
        if isinstance(reply, MovedError):
            return 'moved', None
        if isinstance(reply, AskError):
            return 'ask', reply.node_addr
        if isinstance(reply, (TryAgainError, ClusterDownError)):
            return 'retry', None
        words = str(reply).split()   # hiredis's replies keep the error code
        code = words[0] if words else ''
        if code == 'ASK':
            host, port = words[2].rsplit(':', 1)
            return 'ask', (host, int(port))
        if code in ('MOVED', 'TRYAGAIN', 'CLUSTERDOWN', 'NOSCRIPT'):
            return {'MOVED': 'moved', 'NOSCRIPT': 'noscript'}.get(code, 'retry'), None
    return None, None


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


def hashed(key: str) -> str:
    """The part of a key Redis Cluster hashes: its first non-empty {...}, else all of it."""
    start = key.find('{')
    if start >= 0:
        end = key.find('}', start + 1)
        if end > start + 1:
            return key[start + 1:end]
    return key
