"""Redis storage, byte-compatible with kairos 0.5.0.

Keys::

    key      := prefix name ":" interval ":" i_bucket                 interval without resolution
              | prefix name ":" interval ":" i_bucket ":" r_bucket    interval with resolution
    index    := prefix name ":" interval ":" i_bucket                 SET of the r_buckets holding data
    i_bucket := r_bucket := integer    floor(t / step), or YYYYMMDD / YYYYWW / YYYYMM / YYYY (UTC)
                                       (isoweekly GGGGVV; with a timezone, the local calendar's:
                                       the layout is in kairos.calculators)

With ``hash_tag=True``, ``name`` is ``"{" name "}"`` in every key, so that one
statistic's keys share a Redis Cluster hash slot (not readable by 0.5.0).

Data per type: series LIST (RPUSH), histogram HASH value -> count (HINCRBY),
count STRING (INCRBY, INCRBYFLOAT for floats), gauge STRING (SET), set SET
(SADD), summary ZSET of count, sum, sumsq (ZINCRBY), min (ZADD LT), max (ZADD GT),
distinct Redis's HyperLogLog STRING (PFADD).
sketch ZSET of its bins, count, sum (ZINCRBY), min (ZADD LT), max (ZADD GT): members as
kairos.sketch's bucket grammar names its fields (``p231``, ``n-5``, ``z``, ``count``...).
When the interval has ``steps``, every key written gets
``EXPIRE steps * step`` (calendar steps as 1, 7, 30 or 365 days).

Writes of one call go in one round trip, atomically: in MULTI/EXEC once this
object has seen each key hold the right kind of data, and otherwise through a
fixed Lua script that first checks the keys it has not seen (see
``RedisBackend``). They are never retried: an increment whose outcome is
unknown must not be applied twice.
Reads are plain commands in at most two pipelined round trips, so no read
holds the server for longer than one command.

A distinct bucket is read whole (GET, as bytes whatever the client's
``decode_responses``) and decoded into its registers in Python
(``kairos.hll.from_redis``), rather than counted by PFCOUNT: a PFCOUNT of
several keys (a condensed hour, ``every``, joined or many names) needs them in
one hash slot of a Redis Cluster, which keys without a hash tag are not in;
merged in Python, every union takes one path, the same on every backend, and
gives the estimate PFCOUNT gives for the same registers. A dense bucket is
12,304 bytes on the wire.

On a Redis Cluster the same commands are grouped by hash slot; each slot's are
one atomic packet as above, sent to the slot's master, one round trip per
node, all nodes at once (``kairos.redis.cluster.Router``). A packet Redis did
not run (MOVED, ASK, TRYAGAIN, CLUSTERDOWN, NOSCRIPT) is sent again; nothing else is.
"""

import hashlib  # noqa: F401
import re  # noqa: F401
import time  # noqa: F401
from itertools import islice  # noqa: F401
from typing import (AbstractSet, Any, Callable, Dict, Iterable, Iterator,  # noqa: F401
                    List, Optional, Tuple)

import redis
from redis.exceptions import (AskError, ClusterDownError, ResponseError,  # noqa: F401
                              TryAgainError)

from .exceptions import (ConfigurationError, DataConflict, InvalidValue,  # noqa: F401
                         KairosException, StorageError, StorageUnavailable, UnsupportedClient,
                         applied_before)
from .intervals import Interval
from .redis.atomic import AtomicWrites
from .redis.cluster import Router, is_async, is_cluster
from .redis.commands import OPS, READ_TAILS, write_commands
from .redis.errors import DRIVER_ERRORS, cluster_server, driver_error, pool_server, refusal
from .redis.keys import Keys, scan_match
from .redis.replies import BINARY, DECODERS, as_str, read_rows
from .redis.scripts import WRITE_SCRIPT, WRITE_SHA
from .redis.wire import Command
from .timeseries import Core, Timeseries, Write, typed_classes
from .units import valid_unicode

# the parts' names that code may import from this path too (the modules and typing
# names above included)
from .redis.atomic import EXPIRE_REFRESH as EXPIRE_REFRESH
from .redis.atomic import VERIFIED_KEYS as VERIFIED_KEYS
from .redis.commands import MAX_ARGS as MAX_ARGS
from .redis.errors import authentication_error as authentication_error
from .redis.errors import chain as _chain  # noqa: F401
from .redis.errors import refuses_credentials as refuses_credentials
from .redis.errors import root_error as root_error
from .redis.keys import BUCKET as _BUCKET  # noqa: F401
from .redis.keys import GLOB_SPECIAL as _GLOB_SPECIAL  # noqa: F401
from .redis.replies import _decode_hash, _decode_members, _decode_string  # noqa: F401
from .redis.replies import as_str as _str  # noqa: F401
from .redis.scripts import KINDS as KINDS
from .redis.scripts import WRITE_SHA as _WRITE_SHA  # noqa: F401
from .redis.scripts import _sha  # noqa: F401
from .series_types import MISSING as MISSING
from .steps import Call, Steps, ataken, done, taken

# Keys asked of each SCAN call (list, properties, delete_all).
SCAN_COUNT = 10000
# redis-py's option (redis.client.NEVER_DECODE) of a command whose reply stays bytes
NEVER_DECODE = 'NEVER_DECODE'


class RedisStore(Core[Any]):
    """Timeseries stored in Redis; see the module docstring for the layout.

    ``write_mode`` is 'multi' (default), 'script' or 'pipeline':

    - 'multi': the first write of a key by this object goes through the
      checking script, which checks the keys not verified yet; once every key
      of a call is verified (remembered, up to VERIFIED_KEYS), the call is one
      MULTI/EXEC (one command goes alone), and a key's EXPIRE is sent again
      only when EXPIRE_REFRESH of its lifetime has passed.
    - 'script': every call through the checking script, with every EXPIRE.
    - 'pipeline': a plain pipeline, not atomic, unchecked; on a Redis Cluster
      redis-py's cluster pipeline, which may retry it after a connection error.

    On a Redis Cluster each hash slot's part of a call is chosen and sent this
    way on its own. Reads are plain commands sent by kairos itself
    (``fast_reads``, the default), or through redis-py pipelines for ``fetch``.
    ``hash_tag`` puts every key of a name in one cluster slot; ``wait_replicas``
    makes a write wait (WAIT, ``wait_timeout`` ms) until that many replicas hold it.
    """

    @staticmethod
    def accepts(client: Any) -> bool:
        """Whether ``client`` is a redis-py client, single or cluster, blocking or asyncio."""
        try:
            from redis.cluster import RedisCluster
        except ImportError:  # redis-py before 4.1
            RedisCluster = ()  # type: ignore[misc, assignment]
        return isinstance(client, (redis.Redis, RedisCluster)) or is_async(client)

    def __init__(self, client: Any, prefix: Optional[str] = None, hash_tag: bool = False,
                 wait_replicas: int = 0, wait_timeout: int = 1000, **kwargs: Any):
        if not self.accepts(client):
            raise UnsupportedClient('a Redis timeseries needs a redis-py client, not %r'
                                    % (client,))
        self._check_io(client, is_async(client))
        super().__init__(client, **kwargs)
        prefix = prefix or ''
        if not isinstance(prefix, str):
            raise ConfigurationError('prefix must be a str, not %r' % (prefix,))
        if not valid_unicode(prefix):
            raise ConfigurationError('prefix must be valid unicode, not %r' % (prefix,))
        if prefix and not prefix.endswith(':'):
            prefix += ':'
        if not isinstance(hash_tag, bool):
            raise ConfigurationError('hash_tag must be True or False, not %r' % (hash_tag,))
        for value, what in ((wait_replicas, 'wait_replicas'), (wait_timeout, 'wait_timeout')):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigurationError('%s must be an integer >= 0, not %r' % (what, value))
        self._keys = Keys(prefix, hash_tag, self._intervals)
        self._ops = OPS[self._type.name]
        self._router = Router(client, {WRITE_SHA: WRITE_SCRIPT},
                              ('WAIT', wait_replicas, wait_timeout) if wait_replicas else None,
                              self._ops[2] in BINARY)
        self._wire = self._router.wire
        self._split_writes = self._wire is None   # a cluster: one packet per node
        # the server as messages name it
        self._server = pool_server(client.connection_pool) if self._wire is not None \
            else cluster_server(client)
        self.write_mode = 'multi'
        self.fast_reads = True
        self._atomic = AtomicWrites(self._router, self._server)
        nodes = self._router.nodes
        if nodes is not None and not nodes.connected():
            # an asyncio cluster client asks for the slot map on first use: before the
            # first call, which raises what the blocking client raises as it is built
            self._start(nodes.refresh)

    @property
    def read_scripts(self) -> bool:
        """The name ``fast_reads`` had while reads ran in a Lua script."""
        return self.fast_reads

    @read_scripts.setter
    def read_scripts(self, value: bool) -> None:
        self.fast_reads = value

    # -- storage primitives --------------------------------------------------

    def _check_value(self, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, (str, bytes, int, float)):
            raise InvalidValue('Redis stores str, bytes, int or float values, not %r'
                               % (value,))
        if isinstance(value, str):
            try:
                value.encode('utf-8')
            except UnicodeEncodeError:
                raise InvalidValue('%r is not valid unicode' % (value,)) from None

    def _write(self, writes: List[Write], pipeline: Any = None) -> Steps[None]:
        mode = 'pipeline' if pipeline is not None else self.write_mode
        commands = write_commands(self._keys, self._ops[0], writes, exact=mode != 'pipeline')
        if pipeline is not None:
            for command in commands:
                pipeline.execute_command(*command)
        elif mode == 'pipeline':
            yield from self._send_pipeline(commands)
        else:
            yield from self._atomic.send(commands, mode)

    def _read(self, interval: Interval, names: List[str], buckets: List[int],
              fetch: Optional[Callable[..., Any]]) -> Steps[Dict[str, List[Any]]]:
        # each name's keys: its head (the key of bucket '') and the bucket
        heads = [self._keys.key(name, interval, '') for name in names]
        keys = [head + str(bucket) for head in heads for bucket in buckets]
        if fetch is None and self.fast_reads:
            send = self._read_keys
        else:
            send = lambda keys, index=False: self._fetch_all(keys, fetch or self._fetch, index)
        rows = yield from read_rows(keys, interval.coarse, DECODERS[self._ops[2]], send)
        per_name = len(buckets)
        return {name: rows[index * per_name:(index + 1) * per_name]
                for index, name in enumerate(names)}

    def _delete(self, name: str) -> Steps[int]:
        head = self._keys.head(name)
        owned = self._keys.owned
        # keys deleted here are written, and checked, afresh
        self._atomic.forget()
        return (yield from self._delete_found(lambda keys: [key for key in keys
                                                            if owned(key[len(head):])], head))

    def _list_names(self) -> Steps[Iterable[str]]:
        names: set[str] = set()
        name_of = self._keys.name
        scan = self._scan(self._keys.prefix)
        while (keys := (yield from scan.next())) is not None:
            # every name has interval:i_bucket keys (data or index)
            names.update(name for name in (name_of(key, False) for key in keys) if name)
        return names

    def _extent(self, name: str) -> Steps[Dict[str, Tuple[int, int]]]:
        head = self._keys.head(name)
        rval: Dict[str, Tuple[int, int]] = {}
        scan = self._scan(head)
        while (keys := (yield from scan.next())) is not None:
            for found in (self._keys.bucket(key[len(head):]) for key in keys):
                if found is not None:
                    interval, bucket = found
                    first, last = rval.get(interval, (bucket, bucket))
                    rval[interval] = (min(first, bucket), max(last, bucket))
        return rval

    def _delete_all(self) -> Steps[int]:
        name_of = self._keys.name
        # keys deleted here are written, and checked (their EXPIRE too), afresh
        self._atomic.forget()
        return (yield from self._delete_found(lambda keys: [key for key in keys
                                                            if name_of(key)],
                                              self._keys.prefix))

    def _delete_found(self, doomed: Callable[[List[str]], List[str]],
                      head: str) -> Steps[int]:
        """Delete the keys ``doomed`` picks in each batch of those starting with ``head``
        (SCAN still returns every key that stays)."""
        removed = 0
        scan = self._scan(head)
        try:
            while (keys := (yield from scan.next())) is not None:
                # as stored: a key that is not UTF-8 went through as_str's surrogateescape
                found = [key.encode('utf-8', 'surrogateescape') for key in doomed(keys)]
                for start in range(0, len(found), 500):
                    # a cluster client splits a DEL per slot: some may run, not others
                    removed += yield from self._call(
                        (self._client.delete, *found[start:start + 500]),
                        self._wire is not None)
        except KairosException as exc:
            if removed:
                applied_before(exc, '%d keys were deleted' % removed)
            raise
        return removed

    def _expire(self, name: Optional[str], now: float) -> Steps[int]:
        return done(0)  # every key carries its EXPIRE

    def _scan(self, head: str) -> 'Scan':
        """The keys starting with ``head``, a batch at a time: SCAN, an escaped
        pattern, never KEYS."""
        return Scan(self._client, scan_match(head), self._server)

    # -- writing -------------------------------------------------------------

    def _reopened(self) -> Steps[Any]:
        """The client, for redis-py's own pipelines. A closed cluster client has lost its
        default node, which they need: the slot map is reloaded, as after a failure, so
        that they reconnect as kairos' own commands and a closed single client do."""
        nodes = self._router.nodes
        if nodes is not None and not nodes.connected():
            yield from nodes.refresh()
        return self._client

    def _send_pipeline(self, commands: List[Command]) -> Steps[None]:
        if self._wire is None:  # a cluster client: redis-py groups the commands by node
            pipe = (yield from self._reopened()).pipeline(transaction=False)
            for command in commands:
                pipe.execute_command(*command)
            yield from self._call((pipe.execute,), False)
            return
        replies = yield (self._wire.round_trip, commands, True)
        for command, reply in zip(commands, replies):
            if isinstance(reply, ResponseError):
                raise refusal(self._server,
                              'Redis refused %s %s: %%s' % (command[0], command[1]),
                              reply) from reply

    # -- reading -------------------------------------------------------------

    def _read_keys(self, keys: List[str], index: bool = False) -> Steps[List[Any]]:
        """The data (or index members) of keys, read by kairos itself in one round trip
        (one per node on a Redis Cluster)."""
        if not keys:
            return []
        read = self._ops[1]
        command, tail = ('SMEMBERS', ()) if index else (read, READ_TAILS.get(read, ()))
        replies: List[Any]
        if self._wire is not None:
            replies = yield (self._wire.read_each, command, keys, tail)
        else:
            replies = yield from self._router.read([(command, key) + tail for key in keys])
        for reply in replies:
            if isinstance(reply, ResponseError):
                raise refusal(self._server, 'Redis refused the command: %s', reply) from reply
        return replies

    def _fetch_all(self, keys: List[str], fetch: Callable[..., Any],
                   index: bool) -> Steps[List[Any]]:
        """Run ``fetch(pipe, key)`` per key (or SMEMBERS of an ``index``).

        One command queued gives its reply, several a list, none what fetch returned.
        """
        if not keys:
            return []
        pipe = (yield from self._reopened()).pipeline(transaction=False)
        spans: List[Tuple[int, int, Any]] = []
        for key in keys:
            before = len(pipe)
            returned = pipe.smembers(key) if index else fetch(pipe, key)
            spans.append((before, len(pipe), returned))
        replies = yield from self._call((pipe.execute,))
        rval: List[Any] = []
        for before, after, returned in spans:
            if after == before:
                rval.append(returned)
            elif after == before + 1:
                rval.append(replies[before])
            else:
                rval.append(replies[before:after])
        return rval

    def _fetch(self, handle: Any, key: str) -> Any:
        command, tail = self._ops[1], READ_TAILS.get(self._ops[1], ())
        if self._ops[2] in BINARY:   # bytes, whatever the client's decode_responses
            return handle.execute_command(command, key, *tail, **{NEVER_DECODE: []})
        return handle.execute_command(command, key, *tail)

    def _call(self, call: Call, whole: bool = True) -> Steps[Any]:
        """Make a read or idempotent call through redis-py, translating its errors;
        ``whole``: one command, not a pipeline."""
        try:
            return (yield call)
        except DRIVER_ERRORS as exc:
            raise driver_error(self._server, exc, whole) from exc


class Scan:
    """The keys a SCAN of ``match`` finds, a batch at a time: ``yield from scan.next()``
    gives the next batch, None at the end; a cluster client scans node by node, through
    its own ``scan_iter``, whose next keys are taken a batch per call."""

    def __init__(self, client: Any, match: str, server: str):
        self._client, self._match, self._server = client, match, server
        self._cursor: Any = None
        self._found: Any = None   # a cluster client's own iterator of keys

    def next(self) -> Steps[Optional[List[str]]]:
        try:
            if not is_cluster(self._client):
                if self._cursor == 0:
                    return None
                self._cursor, keys = yield (self._client.scan, self._cursor or 0,
                                            self._match, SCAN_COUNT)
            else:
                if self._found is None:
                    self._found = self._client.scan_iter(match=self._match,
                                                         count=SCAN_COUNT)
                keys = yield (ataken if is_async(self._client) else taken,
                              self._found, SCAN_COUNT)
                if not keys:
                    return None
        except DRIVER_ERRORS as exc:
            raise driver_error(self._server, exc) from exc
        return [as_str(key) for key in keys]


class RedisBackend(RedisStore, Timeseries[Any]):
    """A Redis timeseries with blocking I/O: see :class:`RedisStore`."""


STORE = RedisStore
BACKEND = RedisBackend
(RedisSeries, RedisHistogram, RedisCount, RedisGauge, RedisSet,
 RedisSummary, RedisDistinct, RedisSketch) = typed_classes(RedisBackend)
