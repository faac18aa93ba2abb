"""Redis storage, byte-compatible with kairos 0.5.0.

Keys::

    key      := prefix name ":" interval ":" i_bucket                 interval without resolution
              | prefix name ":" interval ":" i_bucket ":" r_bucket    interval with resolution
    index    := prefix name ":" interval ":" i_bucket                 SET of the r_buckets holding data
    i_bucket := r_bucket := integer    floor(t / step), or YYYYMMDD / YYYYWW / YYYYMM / YYYY (UTC)

With ``hash_tag=True``, ``name`` is ``"{" name "}"`` in every key, so that one
statistic's keys share a Redis Cluster hash slot (not readable by 0.5.0).

Data per type: series LIST (RPUSH), histogram HASH value -> count (HINCRBY),
count STRING (INCRBY, INCRBYFLOAT for floats), gauge STRING (SET), set SET
(SADD). When the interval has ``steps``, every key written gets
``EXPIRE steps * step`` (Gregorian steps as 1, 7, 30 or 365 days).

Writes of one call go in one round trip, atomically: in MULTI/EXEC once this
object has seen each key hold the right kind of data, and otherwise through a
fixed Lua script that first checks the keys it has not seen (see
``RedisBackend``). They are never retried: an increment whose outcome is
unknown must not be applied twice.
Reads are plain commands in at most two pipelined round trips, so no read
holds the server for longer than one command.

On a Redis Cluster the same commands are grouped by hash slot; each slot's are
one atomic packet as above, sent to the slot's master, one round trip per
node, all nodes at once (``redis_wire.Router``). A packet Redis did not run (MOVED,
ASK, TRYAGAIN, CLUSTERDOWN, NOSCRIPT) is sent again; nothing else is.
"""

import hashlib
import re
import time
from itertools import islice
from typing import AbstractSet, Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple

import redis
from redis.exceptions import AskError, ClusterDownError, ResponseError, TryAgainError

from .exceptions import (ConfigurationError, DataConflict, InvalidValue, StorageError,
                         StorageUnavailable, UnsupportedClient)
from .intervals import Interval
from .redis_wire import (DRIVER_ERRORS, Command, Router, authentication_error, cluster_server,
                         pool_server, refuses_credentials, root_error)
from .series_types import MISSING
from .timeseries import Timeseries, Write, typed_classes

# type -> (write command, read command, kind of reply)
OPS = {
    'series': ('RPUSH', 'LRANGE', 'list'),
    'histogram': ('HINCRBY', 'HGETALL', 'hash'),
    'count': ('INCRBY', 'GET', 'string'),
    'gauge': ('SET', 'GET', 'string'),
    'set': ('SADD', 'SMEMBERS', 'set'),
}

# command -> the kind of value its key must hold before the write
KINDS = {'RPUSH': 'list', 'HINCRBY': 'hash', 'SADD': 'set', 'INCRBY': 'number',
         'INCRBYFLOAT': 'number', 'SET': 'string'}

# Values per RPUSH/SADD command, well below Lua's unpack() limit.
MAX_ARGS = 1000

# Keys a RedisBackend remembers as verified (two generations of half this each;
# about 100 bytes a key): a working set of writes larger than half of it is checked again.
VERIFIED_KEYS = 50000
# In MULTI/EXEC, a verified key's EXPIRE is sent again once this share of its
# lifetime has passed since this object last set it (the script always sends it).
EXPIRE_REFRESH = 0.01

# Keys asked of each SCAN call (list, properties, delete_all).
SCAN_COUNT = 10000

WRITE_SCRIPT = """
-- ARGV[1..#KEYS] is the kind each key must hold ('list', 'hash', 'set',
-- 'number', 'string'), or '' for a key the caller verified before: not
-- checked. Then records: command, index into KEYS, n, then n arguments.
-- The script refuses the whole write if a checked key holds another kind,
-- before running any command. A command on an unchecked key that Redis
-- refuses is skipped and reported; the others run.
-- Returns {indices of the counters that took INCRBY as a float,
-- {index, message} of each refused command, flat}.
local checked = {}
for k = 1, #KEYS do
  if ARGV[k] ~= '' then checked[#checked + 1] = k end
end
if #checked > 1 then  -- keys that do not exist need no check: ask for 1000 at a time
  local found = 0
  for first = 1, #checked, 1000 do
    local keys = {}
    for j = first, math.min(first + 999, #checked) do keys[#keys + 1] = KEYS[checked[j]] end
    found = redis.call('EXISTS', unpack(keys))
    if found > 0 then break end
  end
  if found == 0 then checked = {} end
end
for _, k in ipairs(checked) do
  local key, want = KEYS[k], ARGV[k]
  local have = redis.call('TYPE', key)['ok']
  if want == 'number' then
    if have ~= 'none' and (have ~= 'string' or not tonumber(redis.call('GET', key))) then
      return redis.error_reply('WRONGTYPE kairos: ' .. key .. ' does not hold a number')
    end
  elseif have ~= 'none' and have ~= want then
    return redis.error_reply('WRONGTYPE kairos: ' .. key .. ' holds a ' .. have)
  end
end
local floats, refused = {}, {}
local i = #KEYS + 1
while i <= #ARGV do
  local cmd, index, n = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  local key = KEYS[index]
  local done
  if cmd == 'INCRBY' then
    -- a counter that already holds a float takes integer increments as floats
    done = redis.pcall('INCRBY', key, ARGV[i + 3])
    if type(done) == 'table' and done.err then
      done = redis.pcall('INCRBYFLOAT', key, ARGV[i + 3])
      if not (type(done) == 'table' and done.err) then floats[#floats + 1] = index end
    end
  elseif cmd == 'RPUSH' or cmd == 'HINCRBY' or cmd == 'SADD' or cmd == 'SET' or
         cmd == 'EXPIRE' or cmd == 'INCRBYFLOAT' then
    done = redis.pcall(cmd, key, unpack(ARGV, i + 3, i + 2 + n))
  else
    return redis.error_reply('ERR kairos: unknown command ' .. cmd)
  end
  if type(done) == 'table' and done.err then
    refused[#refused + 1] = index
    refused[#refused + 1] = cmd .. ' ' .. key .. ': ' .. done.err
  end
  i = i + 3 + n
end
return {floats, refused}
"""

_GLOB_SPECIAL = re.compile(r'([\\*?\[\]])')
_BUCKET = re.compile(r'-?[0-9]+\Z')


def _sha(script: str) -> str:
    return hashlib.sha1(script.encode()).hexdigest()


def _str(value: Any) -> Any:
    """Redis replies as str, whatever the client's decode_responses."""
    if isinstance(value, bytes):
        return value.decode('utf-8', 'surrogateescape')
    if isinstance(value, (list, tuple, set)):
        return [_str(v) for v in value]
    if isinstance(value, dict):
        return {_str(k): _str(v) for k, v in value.items()}
    return value


def _decode_string(raw: Any) -> Any:
    if raw is None:
        return MISSING
    return raw if type(raw) is str else _str(raw)


def _decode_members(raw: Any) -> Any:
    if not raw:
        return MISSING
    if type(raw) is list and type(raw[0]) is str:  # hiredis decoded it already
        return raw
    return [_str(value) for value in raw]


def _decode_hash(raw: Any) -> Any:
    """value -> int count (int() reads bytes and str alike)."""
    if not raw:
        return MISSING
    pairs = raw.items() if type(raw) is dict else zip(*[iter(raw)] * 2)  # RESP2: flat
    return {value if type(value) is str else _str(value): int(count) for value, count in pairs}


# kind of reply -> decoder of one stored bucket into str-based data, or MISSING
DECODERS: Dict[str, Callable[[Any], Any]] = {
    'string': _decode_string, 'list': _decode_members, 'set': _decode_members,
    'hash': _decode_hash}


class RedisBackend(Timeseries[Any]):
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
        """Whether ``client`` is a redis-py client, single or cluster."""
        try:
            from redis.cluster import RedisCluster
        except ImportError:  # redis-py before 4.1
            RedisCluster = ()  # type: ignore[misc, assignment]
        return isinstance(client, (redis.Redis, RedisCluster))

    def __init__(self, client: Any, prefix: Optional[str] = None, hash_tag: bool = False,
                 wait_replicas: int = 0, wait_timeout: int = 1000, **kwargs: Any):
        if not self.accepts(client):
            raise UnsupportedClient('a Redis timeseries needs a redis-py client, not %r'
                                    % (client,))
        super().__init__(client, **kwargs)
        prefix = prefix or ''
        if not isinstance(prefix, str):
            raise ConfigurationError('prefix must be a str, not %r' % (prefix,))
        if prefix and not prefix.endswith(':'):
            prefix += ':'
        if not isinstance(hash_tag, bool):
            raise ConfigurationError('hash_tag must be True or False, not %r' % (hash_tag,))
        for value, what in ((wait_replicas, 'wait_replicas'), (wait_timeout, 'wait_timeout')):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigurationError('%s must be an integer >= 0, not %r' % (what, value))
        self._prefix = prefix
        self._hash_tag = hash_tag
        self._router = Router(client, {_WRITE_SHA: WRITE_SCRIPT},
                              ('WAIT', wait_replicas, wait_timeout) if wait_replicas else None)
        self._wire = self._router.wire
        # the server as messages name it
        self._server = pool_server(client.connection_pool) if self._wire is not None \
            else cluster_server(client)
        self.write_mode = 'multi'
        self.fast_reads = True
        self._ops = OPS[self._type.name]
        # key -> time.monotonic() when this object last set its TTL; two generations
        self._verified: Dict[str, float] = {}
        self._verified_before: Dict[str, float] = {}
        # the rest of a key of this statistic: interval, bucket and, with a resolution only,
        # the resolution bucket (so 'a' never owns 'a:60:...' of an interval named '60')
        # keys of this configuration: prefix name:interval:i_bucket, and the resolution
        # keys (:r_bucket) of intervals with one; a name may hold ':'
        intervals = self._intervals.values()
        named = r'\{(.+)\}' if hash_tag else '(.+)'
        self._statistic = re.compile(r'%s%s:(?:%s):-?[0-9]+\Z' % (re.escape(prefix), named,
            '|'.join(re.escape(i.name) for i in intervals) or '(?!)'), re.DOTALL)
        self._resolution_key = re.compile(r'%s%s:(?:%s):-?[0-9]+:-?[0-9]+\Z' % (
            re.escape(prefix), named, '|'.join(re.escape(i.name) for i in intervals
                                               if not i.coarse) or '(?!)'), re.DOTALL)
        self._owned = re.compile('|'.join(
            r'(?:%s:-?\d+%s\Z)' % (re.escape(name), '' if i.coarse else r'(?::-?\d+)?')
            for name, i in self._intervals.items()))

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

    def _write(self, writes: List[Write], pipeline: Any = None) -> None:
        mode = 'pipeline' if pipeline is not None else self.write_mode
        commands = self._commands(writes, exact=mode != 'pipeline')
        if pipeline is not None:
            for command in commands:
                pipeline.execute_command(*command)
        elif mode == 'pipeline':
            self._send_pipeline(commands)
        else:
            self._send_atomic(commands, mode)

    def _read(self, interval: Interval, names: List[str], buckets: List[int],
              fetch: Optional[Callable[..., Any]]) -> Dict[str, List[Any]]:
        keys = [self._key(name, interval, bucket) for name in names for bucket in buckets]
        if fetch is None and self.fast_reads:
            send = self._read_keys
        else:
            send = lambda keys, index=False: self._fetch_all(keys, fetch or self._fetch, index)
        rows = self._read_rows(keys, interval.coarse, send)
        per_name = len(buckets)
        return {name: rows[index * per_name:(index + 1) * per_name]
                for index, name in enumerate(names)}

    def _head(self, name: str) -> str:
        """What every key of ``name`` starts with."""
        return self._prefix + ('{%s}:' % name if self._hash_tag else name + ':')

    def _delete(self, name: str) -> int:
        head = self._head(name)
        match = _GLOB_SPECIAL.sub(r'\\\1', head) + '*'
        doomed: List[Any] = []
        removed = 0
        for key in self._call(lambda: list(self._client.scan_iter(match=match, count=1000))):
            if self._owned.match(_str(key)[len(head):]):
                doomed.append(key)
        # keys deleted here are written, and checked, afresh
        self._verified, self._verified_before = {}, {}
        for start in range(0, len(doomed), 500):
            removed += self._call(lambda: self._client.delete(*doomed[start:start + 500]))
        return removed

    def _list_names(self) -> Iterable[str]:
        names: set[str] = set()
        match = self._statistic.match
        for keys in self._scan(self._prefix):
            names.update(found.group(1) for found in map(match, keys) if found)
        return names

    def _extent(self, name: str) -> Dict[str, Tuple[int, int]]:
        head = self._head(name)
        rval: Dict[str, Tuple[int, int]] = {}
        for keys in self._scan(head):
            for key in keys:
                interval, _, digits = key[len(head):].rpartition(':')
                if interval in self._intervals and _BUCKET.match(digits):
                    bucket = int(digits)
                    first, last = rval.get(interval, (bucket, bucket))
                    rval[interval] = (min(first, bucket), max(last, bucket))
        return rval

    def _delete_all(self) -> int:
        removed = 0
        top, resolution = self._statistic.match, self._resolution_key.match
        # keys deleted here are written, and checked (their EXPIRE too), afresh
        self._verified, self._verified_before = {}, {}
        for keys in self._scan(self._prefix):
            doomed = [key for key in keys if top(key) or resolution(key)]
            for start in range(0, len(doomed), 500):
                removed += self._call(lambda: self._client.delete(*doomed[start:start + 500]))
        return removed

    def _expire(self, name: Optional[str], now: float) -> int:
        return 0  # every key carries its EXPIRE

    def _scan(self, head: str) -> Iterator[List[str]]:
        """Batches of the keys starting with ``head``: SCAN, an escaped pattern, never KEYS."""
        match = _GLOB_SPECIAL.sub(r'\\\1', head) + '*'
        try:
            if isinstance(self._client, redis.Redis):
                batches = self._scan_batches(match)
            else:  # a cluster client scans node by node
                found = self._client.scan_iter(match=match, count=SCAN_COUNT)
                batches = iter(lambda: list(islice(found, SCAN_COUNT)), [])
            for keys in batches:
                yield [_str(key) for key in keys]
        except DRIVER_ERRORS as exc:
            raise self._error(exc) from exc

    def _scan_batches(self, match: str) -> Iterator[List[Any]]:
        cursor = None
        while cursor != 0:
            cursor, keys = self._client.scan(cursor or 0, match=match, count=SCAN_COUNT)
            yield keys

    # -- writing -------------------------------------------------------------

    def _key(self, name: str, interval: Interval, i_bucket: Any) -> str:
        if self._hash_tag:
            return '%s{%s}:%s:%s' % (self._prefix, name, interval.name, i_bucket)
        return '%s%s:%s:%s' % (self._prefix, name, interval.name, i_bucket)

    def _commands(self, writes: List[Write], exact: bool = True) -> List[Command]:
        """The commands of some writes, every EXPIRE included.

        ``exact``: integer increments go as INCRBY, for a script that falls back
        to INCRBYFLOAT or a counter known to hold an integer; else as INCRBYFLOAT.
        A count's increment of 0 writes no data key (kairos 0.5.0 skipped it too,
        listing the bucket in the index only; reads give the type's empty value).
        """
        command = self._ops[0]
        commands: List[Command] = []
        for write in writes:
            interval = write.interval
            key = self._key(write.name, interval, write.i_bucket)
            if not interval.coarse:
                commands.append(('SADD', key, write.r_bucket))
                if interval.expire:
                    commands.append(('EXPIRE', key, interval.expire))
                key = '%s:%s' % (key, write.r_bucket)
            payload = write.payload
            if command == 'HINCRBY':
                commands.extend(('HINCRBY', key, value, count) for value, count in payload)
            elif command in ('RPUSH', 'SADD'):
                for start in range(0, len(payload), MAX_ARGS):
                    commands.append((command, key) + tuple(payload[start:start + MAX_ARGS]))
            elif command == 'SET':
                # GET makes SET refuse a key of another type; KEEPTTL keeps the TTL that
                # the EXPIRE below sets (at half the cost of SET ... EX on every write)
                commands.append(('SET', key, payload, 'GET', 'KEEPTTL')
                                if interval.expire else ('SET', key, payload, 'GET'))
            elif command == 'INCRBY' and not payload:
                continue
            elif command == 'INCRBY' and (isinstance(payload, float) or not exact):
                commands.append(('INCRBYFLOAT', key, payload))
            else:
                commands.append((command, key, payload))
            if interval.expire:
                commands.append(('EXPIRE', key, interval.expire))
        return commands

    def _known(self, key: str) -> Optional[float]:
        """When this object last set the TTL of a key it verified; None if unverified."""
        when = self._verified.get(key)
        if when is None:
            when = self._verified_before.get(key)
            if when is not None:
                self._remember(key, when)
        return when

    def _remember(self, key: str, when: float) -> None:
        self._verified[key] = when
        if len(self._verified) >= VERIFIED_KEYS // 2:
            self._verified_before, self._verified = self._verified, {}

    def _remember_all(self, commands: List[Command], when: float,
                      floats: Iterable[str] = ()) -> None:
        """After a write: its keys are verified, but counters holding floats are not."""
        floats = set(floats).union(c[1] for c in commands if c[0] == 'INCRBYFLOAT')
        for command in commands:
            if command[1] in floats:  # its EXPIRE, sent later, must not verify it again
                self._verified.pop(command[1], None)
                self._verified_before.pop(command[1], None)
            elif command[0] == 'EXPIRE' or command[1] not in self._verified:
                self._remember(command[1], when)

    def _send_atomic(self, commands: List[Command], mode: str) -> None:
        """Each slot's commands in MULTI/EXEC (every key verified) or the script, at once.

        In 'multi' mode a verified key's EXPIRE is left out until it is due,
        and the script checks only the keys not verified yet; one command
        alone needs no MULTI/EXEC. On single Redis everything is one slot.
        Every slot's part is atomic; the first error is raised once every
        part's reply has been handled.
        """
        now = time.monotonic()
        plans: List[Tuple[Optional[int], List[Command], List[Command], Optional[List[str]]]] = []
        names: Optional[List[str]]
        for slot, part in self._router.slots(commands):
            trusted: AbstractSet[str] = set()
            verified = False
            if mode == 'multi':
                known = {c[1]: self._known(c[1]) for c in part}
                part = [c for c in part if c[0] != 'EXPIRE' or known[c[1]] is None or
                        now - known[c[1]] >= c[2] * EXPIRE_REFRESH]  # type: ignore[operator]
                trusted = {key for key, when in known.items() if when is not None}
                verified = len(trusted) == len(known)
            if not part:
                continue
            if verified:
                packet = part if len(part) == 1 else [('MULTI',)] + part + [('EXEC',)]
                plans.append((slot, part, packet, None))
            else:
                names, args = self._script_args(part, trusted)
                plans.append((slot, part, [('EVALSHA', _WRITE_SHA) + args], names))
        if not plans:
            return
        replies = self._router.send([(slot, packet) for slot, _, packet, _ in plans], True)
        errors: List[Exception] = []
        for (slot, part, packet, names), reply in zip(plans, replies):
            error = reply if isinstance(reply, StorageError) else \
                self._settle_multi(part, reply if len(packet) == 1 else reply[-1], now) \
                if names is None else self._settle_script(part, names, reply[0], now)
            if error is not None:
                errors.append(error)
        if errors:
            if len(plans) > 1:   # a cluster: say what the other slots did
                errors[0].args = ('%s (this call spans %d hash slots; %s)' % (
                    errors[0], len(plans), 'each failed' if len(errors) == len(plans) else
                    '%d of them failed, each slot\'s part is atomic, the others were applied'
                    % len(errors)),)
            raise errors[0]

    def _settle_multi(self, commands: List[Command], results: Any,
                      now: float) -> Optional[Exception]:
        """``results``: EXEC's reply, or the one command's reply in a list."""
        if isinstance(results, ResponseError):
            return _chain(self._refusal('Redis refused the write; nothing was written: %s',
                                        results), results)
        return self._settle(commands, now, (), [
            (command[1], '%s %s: %s' % (command[0], command[1], result), result)
            for command, result in zip(commands, results) if isinstance(result, ResponseError)])

    def _settle_script(self, commands: List[Command], names: List[str], reply: Any,
                       now: float) -> Optional[Exception]:
        if isinstance(reply, ResponseError):
            return _chain(self._refusal('Redis refused the write: %s', reply), reply)
        floats, refused = reply
        return self._settle(commands, now, {names[int(i) - 1] for i in floats}, [
            (names[int(refused[i]) - 1], refused[i + 1], None)
            for i in range(0, len(refused), 2)])

    def _settle(self, commands: List[Command], now: float, floats: Iterable[str],
                refused: List[Tuple[str, str, Any]]) -> Optional[Exception]:
        """Remember the keys of an applied write; a DataConflict if Redis refused some of its
        commands ((key, message, error) each: keys verified before, whose type changed).

        The call's other commands were applied; the refused keys are checked again next time.
        """
        doomed = {key for key, _, _ in refused}
        self._remember_all([c for c in commands if c[1] not in doomed], now, floats)
        if not refused:
            return None
        for key in doomed:
            self._verified.pop(key, None)
            self._verified_before.pop(key, None)
        error = DataConflict(
            'Redis refused %d of the %d commands of this write (the others were applied): %s'
            % (len(refused), len(commands), '; '.join(message for _, message, _ in refused[:3])))
        return _chain(error, refused[0][2]) if refused[0][2] is not None else error

    @staticmethod
    def _script_args(commands: List[Command], trusted: AbstractSet[str] = frozenset()
                     ) -> Tuple[List[str], Tuple[Any, ...]]:
        """(the keys in KEYS order, the script's arguments from numkeys on) for some commands.

        Keys in ``trusted`` are verified already: the script does not check them.
        """
        key_index: Dict[str, int] = {}
        kinds: List[str] = []
        argv: List[Any] = []
        for command in commands:
            key = command[1]
            index = key_index.get(key)
            if index is None:
                index = key_index[key] = len(key_index) + 1
                kinds.append('')
            kind = KINDS.get(command[0])
            if kind and key not in trusted:
                kinds[index - 1] = kind
            argv.extend((command[0], index, len(command) - 2))
            argv.extend(command[2:])
        return list(key_index), (len(key_index),) + tuple(key_index) + tuple(kinds) + tuple(argv)

    def _reopened(self) -> Any:
        """The client, for redis-py's own pipelines. A closed cluster client has lost its
        default node, which they need: the slot map is reloaded, as after a failure, so
        that they reconnect as kairos' own commands and a closed single client do."""
        if self._wire is None and self._client.get_default_node() is None:
            self._router.nodes.refresh()  # type: ignore[union-attr]  # a cluster's
        return self._client

    def _send_pipeline(self, commands: List[Command]) -> None:
        if self._wire is None:  # a cluster client: redis-py groups the commands by node
            pipe = self._reopened().pipeline(transaction=False)
            for command in commands:
                pipe.execute_command(*command)
            self._call(pipe.execute)
            return
        for command, reply in zip(commands, self._wire.round_trip(commands, True)):
            if isinstance(reply, ResponseError):
                raise self._refusal('Redis refused %s %s: %%s' % (command[0], command[1]),
                                    reply) from reply

    # -- reading -------------------------------------------------------------

    def _read_rows(self, keys: List[str], coarse: bool,
                   send: Callable[..., List[Any]]) -> List[Any]:
        """One row per key: its data, or {r_bucket: data} for each r_bucket its index lists
        (MISSING for one without data: expired, or a 0.5.0 zero increment).

        ``send(keys, index=False)`` reads the keys' data, or their index's members.
        """
        decode = DECODERS[self._ops[2]]
        if coarse:
            return [decode(reply) for reply in send(keys)]
        members = [[int(m) for m in ms] for ms in send(keys, True)]
        data = send(['%s:%s' % (key, m) for key, ms in zip(keys, members) for m in ms])
        rows: List[Any] = []
        offset = 0
        for ms in members:
            row = zip(ms, map(decode, data[offset:offset + len(ms)]))
            rows.append(dict(row))
            offset += len(ms)
        return rows

    def _read_keys(self, keys: List[str], index: bool = False) -> List[Any]:
        """The data (or index members) of keys, read by kairos itself in one round trip
        (one per node on a Redis Cluster)."""
        if not keys:
            return []
        read = self._ops[1]
        command, tail = ('SMEMBERS', ()) if index else \
            (read, (0, -1) if read == 'LRANGE' else ())
        if self._wire is not None:
            replies = self._wire.read_each(command, keys, tail)
        else:
            replies = self._router.read([(command, key) + tail for key in keys])
        for reply in replies:
            if isinstance(reply, ResponseError):
                raise self._refusal('Redis refused the command: %s', reply) from reply
        return replies

    def _fetch_all(self, keys: List[str], fetch: Callable[..., Any],
                   index: bool) -> List[Any]:
        """Run ``fetch(pipe, key)`` per key (or SMEMBERS of an ``index``).

        One command queued gives its reply, several a list, none what fetch returned.
        """
        if not keys:
            return []
        pipe = self._reopened().pipeline(transaction=False)
        spans: List[Tuple[int, int, Any]] = []
        for key in keys:
            before = len(pipe)
            returned = pipe.smembers(key) if index else fetch(pipe, key)
            spans.append((before, len(pipe), returned))
        replies = self._call(pipe.execute)
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
        command = self._ops[1]
        if command == 'LRANGE':
            return handle.lrange(key, 0, -1)
        return handle.execute_command(command, key)

    def _call(self, func: Callable[[], Any]) -> Any:
        """Run a read or idempotent command through redis-py, translating its errors."""
        try:
            return func()
        except DRIVER_ERRORS as exc:
            raise self._error(exc) from exc

    def _error(self, exc: Exception) -> Exception:
        """The kairos error for an error redis-py raised."""
        if refuses_credentials(exc):   # before ConnectionError: redis-py derives it from that
            exc = root_error(exc)
            return authentication_error(self._server, exc, isinstance(exc, ResponseError))
        if isinstance(exc, (redis.ConnectionError, redis.TimeoutError)):
            return StorageUnavailable('Redis at %s is unreachable: %s' % (self._server, exc))
        if isinstance(exc, (ClusterDownError, TryAgainError, AskError)):   # MOVED included
            return StorageUnavailable('Redis Cluster could not serve the command: %s' % exc)
        if isinstance(exc, ResponseError):
            return DataConflict('Redis refused the command: %s' % exc)
        # a cluster client's own errors: no node for a slot
        return StorageUnavailable('Redis failed: %s' % exc)

    def _refusal(self, message: str, reply: ResponseError) -> Exception:
        """A refused command's error: AuthenticationError for the client's credentials or
        rights (``message`` unused), else DataConflict with ``message % reply``."""
        if refuses_credentials(reply):
            return authentication_error(self._server, reply, True)
        return DataConflict(message % (reply,))


def _chain(error: Exception, cause: Exception) -> Exception:
    error.__cause__ = cause
    return error


_WRITE_SHA = _sha(WRITE_SCRIPT)

BACKEND = RedisBackend
RedisSeries, RedisHistogram, RedisCount, RedisGauge, RedisSet = typed_classes(RedisBackend)
