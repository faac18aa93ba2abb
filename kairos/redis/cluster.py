"""Where the Redis backend's packets go: ``Router`` sends them, one per hash slot on a
Redis Cluster (``ClusterNodes`` maps slots to nodes), and sends again only a packet
Redis refused to run (NOSCRIPT, MOVED, ASK, TRYAGAIN, CLUSTERDOWN).
"""

import sys
import time
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import redis
from redis.exceptions import (AskError, ClusterDownError, MovedError, NoScriptError,
                              ResponseError, TryAgainError)

from ..exceptions import StorageError, StorageUnavailable
from ..log import LOGGER
from ..steps import Steps
from .errors import DRIVER_ERRORS, cluster_server, no_slot_map, outcome
from .wire import Command, Wire, exchange

# Times a packet Redis Cluster did not run (MOVED, ASK, TRYAGAIN, CLUSTERDOWN) is sent
# again, waiting RESEND_PAUSE * attempt seconds before a TRYAGAIN's or CLUSTERDOWN's.
RESENDS = 8
RESEND_PAUSE = 0.05


class ClusterNodes:
    """Where a Redis Cluster client's commands go: a key's slot, a slot's master's Wire.

    The slot map is redis-py's own (``nodes_manager``); the steps of ``refresh()``
    reload it after a MOVED reply or a node that stopped answering. A node's Wire
    is ``make(handle(node))``, made again when its handle changes: the node's own
    redis client for a blocking client, the node itself for an asyncio one.
    """

    def __init__(self, client: Any, make: Callable[[Any], Any] = Wire,
                 handle: Optional[Callable[[Any], Any]] = None):
        self.client = client
        self._make = make
        self._handle = handle or client.get_redis_connection
        self._wires: Dict[str, Tuple[Any, Any]] = {}   # node name -> (its handle, its Wire)

    def slot(self, key: str) -> int:
        return self.client.keyslot(key)  # type: ignore[no-any-return]

    def wire(self, slot: int) -> Any:
        try:
            node = self.client.nodes_manager.get_node_from_slot(slot)
        except DRIVER_ERRORS as exc:
            raise StorageUnavailable('Redis Cluster has no node for slot %d: %s'
                                     % (slot, exc)) from exc
        return self._wire(node)

    def knows(self, host: str, port: int) -> bool:
        """Whether the slot map has a node at host:port (an ASK redirection's target)."""
        return self.client.nodes_manager.get_node(host, port) is not None

    def wire_at(self, host: str, port: int) -> Any:
        """The Wire of the node at host:port (an ASK redirection's target)."""
        node = self.client.nodes_manager.get_node(host, port)
        if node is None:
            raise StorageUnavailable('Redis Cluster node %s:%d is unknown' % (host, port))
        return self._wire(node)

    def _wire(self, node: Any) -> Any:
        handle = self._handle(node)
        known = self._wires.get(node.name)
        if known is None or known[0] is not handle:
            known = self._wires[node.name] = (handle, self._make(handle))
        return known[1]

    def connected(self) -> bool:
        """False for an asyncio client before its first call (or after aclose())."""
        return self.client.get_default_node() is not None

    def refresh(self) -> Steps[None]:
        """Reload the slot map: a client without one (an asyncio client before its
        first call) connects through its own ``initialize``, as its commands would."""
        connect = getattr(self.client, 'initialize', None)   # an asyncio client's
        try:
            if connect is not None and not self.connected():
                yield (connect,)
            else:
                yield (self.client.nodes_manager.initialize,)
        except DRIVER_ERRORS as exc:
            raise no_slot_map(cluster_server(self.client), exc) from exc


class Router:
    """Where each packet of commands goes: the one Wire of a single Redis, or on a Redis
    Cluster each hash slot's packet to that slot's master, one round trip per node.

    ``scripts`` maps the SHA1 of each script sent by EVALSHA to its text, for
    NOSCRIPT; ``wait`` is a WAIT command sent after every node's write packets;
    ``binary``: replies are read as bytes where redis-py would decode them (see
    ``wire``).
    """

    def __init__(self, client: Any, scripts: Dict[str, str],
                 wait: Optional[Command] = None, binary: bool = False):
        single = not is_cluster(client)
        self.wire: Any = None   # single Redis's
        self.nodes: Optional[ClusterNodes] = None
        if is_async(client):
            from .awire import AsyncWire, aexchange, node_wire, pause
            if single:
                self.wire = AsyncWire(client.connection_pool, binary)
            else:
                self.nodes = ClusterNodes(client, partial(node_wire, binary=binary),
                                          lambda node: node)
            self.exchange: Callable[..., Any] = aexchange
            self.pause: Callable[[float], Any] = pause
        else:
            if single:
                self.wire = Wire(client, binary)
            else:
                self.nodes = ClusterNodes(client, partial(Wire, binary=binary))
            self.exchange, self.pause = exchange, time.sleep
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

    def send(self, packets: Sequence[Tuple[Any, List[Command]]],
             write: bool) -> Steps[List[Any]]:
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
                replies = yield (self.wire.round_trip, packets[0][1], write)
            except StorageError as exc:
                return [exc]
            if not_run(replies)[0] is None:
                return [replies]
            # NOSCRIPT: the loop below sends it again (the script in full the second time)
        if self.stale or (self.nodes is not None and not self.nodes.connected()):
            self.stale = False
            yield from self.nodes.refresh()  # type: ignore[union-attr]  # only a cluster's
        rval: List[Any] = [None] * len(packets)
        packets = list(packets)
        asking: Dict[int, Any] = {}   # packet -> ASK's (host, port)
        todo = list(range(len(packets)))
        for attempt in range(RESENDS + 1):
            sends: List[Tuple[Wire, List[Command]]] = []
            sent: List[int] = []   # the packets of sends, in order
            for i in todo:
                slot, commands = packets[i]
                try:
                    if self.nodes is None:
                        sends.append((self.wire, commands))
                    elif i in asking:
                        sends.append((self.nodes.wire_at(*asking.pop(i)),
                                      [('ASKING',)] + commands))
                    else:
                        sends.append((self.nodes.wire(slot), commands))
                except StorageError as exc:   # no node to send it to: nothing of it ran
                    rval[i] = exc
                    continue
                sent.append(i)
            waits: List[Wire] = []
            if write and self.wait is not None:
                waits = list({wire: None for wire, _ in sends})
                sends.extend((wire, [self.wait]) for wire in waits)
            replies = yield (self.exchange, sends, write)
            self._check_waits(sent, sends, waits, replies)
            again, pause, moved = [], False, False
            for i, (_, commands), reply in zip(sent, sends, replies):
                if isinstance(reply, StorageError):
                    self.stale = self.nodes is not None
                    rval[i] = reply
                    continue
                if commands[0] == ('ASKING',):
                    reply = reply[1:]
                why, where = not_run(reply)
                if why is None or attempt == RESENDS:
                    rval[i] = reply if why is None else outcome(StorageUnavailable(
                        'Redis Cluster did not take this packet for slot %s after %d attempts '
                        '(%s); nothing of it was written' % (packets[i][0], attempt + 1, why)),
                        False)
                    continue
                again.append(i)
                LOGGER.debug('Redis Cluster did not run the packet for slot %s (%s): sending it '
                             'again', packets[i][0], why)
                if why == 'noscript':
                    packets[i] = (packets[i][0], [('EVAL', self.scripts[c[1]]) + c[2:]
                                                  if c[0] == 'EVALSHA' else c
                                                  for c in packets[i][1]])
                elif why == 'ask':
                    asking[i] = where
                    # a target the slot map lacks: reload it before sending there
                    moved = moved or not self.nodes.knows(*asking[i])  # type: ignore[union-attr]
                moved = moved or why == 'moved'
                pause = pause or why == 'retry'
            if not again:
                break
            if moved:
                try:
                    yield from self.nodes.refresh()  # type: ignore[union-attr]  # a cluster's
                except StorageError as exc:   # the packets still to send never ran
                    for i in again:
                        rval[i] = exc
                    break
            if pause:
                yield (self.pause, RESEND_PAUSE * (attempt + 1))
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
                replies[index] = outcome(StorageUnavailable(
                    'the write was applied on the master but %s of the %d replicas asked for '
                    'acknowledged it in time: a failover may lose it' % (
                        'not' if isinstance(answer, StorageError) else answer[0], wanted)), True)

    def read(self, commands: List[Command]) -> Steps[List[Any]]:
        """Replies to read commands in their order; raises StorageError."""
        if self.nodes is None:
            replies: List[Any] = yield (self.wire.round_trip, commands, False)
            return replies
        slots: Dict[int, List[int]] = {}
        for position, command in enumerate(commands):
            slots.setdefault(self.nodes.slot(hashed(command[1])), []).append(position)
        groups = list(slots.items())
        replies = [None] * len(commands)
        answers = yield from self.send([(s, [commands[p] for p in positions])
                                        for s, positions in groups], False)
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


def is_async(client: Any) -> bool:
    """Whether ``client`` is a redis.asyncio client, single or cluster (its calls are
    awaited); such a client implies redis.asyncio is imported."""
    if 'redis.asyncio' not in sys.modules:
        return False
    from redis.asyncio import Redis as AsyncRedis
    from redis.asyncio.cluster import RedisCluster as AsyncCluster
    return isinstance(client, (AsyncRedis, AsyncCluster))


def is_cluster(client: Any) -> bool:
    """Whether ``client`` is a Redis Cluster client, blocking or asyncio."""
    if isinstance(client, redis.Redis):
        return False
    if is_async(client):
        from redis.asyncio import Redis as AsyncRedis
        return not isinstance(client, AsyncRedis)
    return True


def hashed(key: str) -> str:
    """The part of a key Redis Cluster hashes: its first non-empty {...}, else all of it."""
    start = key.find('{')
    if start >= 0:
        end = key.find('}', start + 1)
        if end > start + 1:
            return key[start + 1:end]
    return key
