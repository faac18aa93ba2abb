"""Redis storage, byte-compatible with kairos 0.5.0.

Keys::

    key      := prefix name ":" interval ":" i_bucket                 interval without resolution
              | prefix name ":" interval ":" i_bucket ":" r_bucket    interval with resolution
    index    := prefix name ":" interval ":" i_bucket                 SET of the r_buckets holding data
    i_bucket := r_bucket := integer    floor(t / step), or YYYYMMDD / YYYYWW / YYYYMM / YYYY (UTC)

Data per type: series LIST (RPUSH), histogram HASH value -> count (HINCRBY),
count STRING (INCRBY, INCRBYFLOAT for floats), gauge STRING (SET), set SET
(SADD). When the interval has ``steps``, every key written gets
``EXPIRE steps * step`` (Gregorian steps as 1, 7, 30 or 365 days).

Writes of one call go in one round trip, atomically, through a fixed Lua
script (MULTI/EXEC or a plain pipeline where scripts cannot be used). They
are sent on a connection of their own and never retried: an increment whose
outcome is unknown must not be applied twice. Reads go through redis-py,
which may retry them.
"""

import hashlib
import inspect
import re
from typing import Callable, Dict, List, Optional

import redis
from redis.exceptions import NoScriptError, ResponseError

try:
    from hiredis import pack_command as _hiredis_pack
except ImportError:  # hiredis is optional
    _hiredis_pack = None

from .exceptions import (ConfigurationError, DataConflict, InvalidValue, StorageError,
                         UnsupportedClient)
from .series_types import MISSING
from .timeseries import Timeseries, typed_classes

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

# ARGV[1..#KEYS] is the kind each key must hold ('list', 'hash', 'set',
# 'number', or '' for any); then records: command, index into KEYS, n, then n
# arguments. The script refuses the whole write if a key holds another kind,
# so that no command can fail half-way, then applies every record.
WRITE_SCRIPT = """
local allowed = {RPUSH=true, HINCRBY=true, INCRBY=true, INCRBYFLOAT=true, SADD=true,
                 SET=true, EXPIRE=true}
for k, key in ipairs(KEYS) do
  local want = ARGV[k]
  if want ~= '' then
    local have = redis.call('TYPE', key)['ok']
    if want == 'number' then
      if have ~= 'none' and (have ~= 'string' or not tonumber(redis.call('GET', key))) then
        return redis.error_reply('WRONGTYPE kairos: ' .. key .. ' does not hold a number')
      end
    elseif have ~= 'none' and have ~= want then
      return redis.error_reply('WRONGTYPE kairos: ' .. key .. ' holds a ' .. have)
    end
  end
end
local i = #KEYS + 1
while i <= #ARGV do
  local cmd, key, n = ARGV[i], KEYS[tonumber(ARGV[i + 1])], tonumber(ARGV[i + 2])
  if not allowed[cmd] then return redis.error_reply('ERR kairos: unknown command ' .. cmd) end
  if cmd == 'INCRBY' then
    -- a counter that already holds a float takes integer increments as floats
    local done = redis.pcall('INCRBY', key, ARGV[i + 3])
    if type(done) == 'table' and done.err then
      redis.call('INCRBYFLOAT', key, ARGV[i + 3])
    end
  else
    redis.call(cmd, key, unpack(ARGV, i + 3, i + 2 + n))
  end
  i = i + 3 + n
end
return 1
"""

# KEYS are interval keys; ARGV[1] the read command, ARGV[2] '1' when coarse.
# Returns, per key, its data; or, with a resolution, three flat arrays: the
# resolution buckets in its index, the number of items each holds, and all
# those items in a row. Flat arrays cost far less to build and to parse than
# one array per bucket.
READ_SCRIPT = """
local cmd, coarse = ARGV[1], ARGV[2] == '1'
local call = redis.call
local function read(key)
  if cmd == 'LRANGE' then return call('LRANGE', key, 0, -1) end
  if cmd == 'HGETALL' or cmd == 'GET' or cmd == 'SMEMBERS' then return call(cmd, key) end
  return redis.error_reply('ERR kairos: unknown read ' .. cmd)
end
local rval = {}
for i, key in ipairs(KEYS) do
  if coarse then
    rval[i] = read(key)
  else
    local members = call('SMEMBERS', key)
    local sizes, items, n = {}, {}, 0
    for j, member in ipairs(members) do
      local data = read(key .. ':' .. member)
      if type(data) == 'table' then
        sizes[j] = #data
        for k = 1, #data do items[n + k] = data[k] end
        n = n + #data
      else
        sizes[j], items[n + 1] = 1, data
        n = n + 1
      end
    end
    rval[i] = {members, sizes, items}
  end
end
return rval
"""

_GLOB_SPECIAL = re.compile(r'([\\*?\[\]])')


def _sha(script: str) -> str:
    return hashlib.sha1(script.encode()).hexdigest()


def _str(value):
    """Redis replies as str, whatever the client's decode_responses."""
    if isinstance(value, bytes):
        return value.decode('utf-8', 'surrogateescape')
    if isinstance(value, (list, tuple, set)):
        return [_str(v) for v in value]
    if isinstance(value, dict):
        return {_str(k): _str(v) for k, v in value.items()}
    return value


def _decode_string(raw):
    if raw is None:
        return MISSING
    return raw.decode('utf-8', 'surrogateescape') if isinstance(raw, bytes) else _str(raw)


def _decode_members(raw):
    if not raw:
        return MISSING
    try:
        return [value.decode() for value in raw]
    except (AttributeError, UnicodeDecodeError):  # already str, or not utf-8
        return [_str(value) for value in raw]


def _decode_hash(raw):
    """value -> int count (int() reads bytes and str alike)."""
    if not raw:
        return MISSING
    if isinstance(raw, dict):
        return {_str(k): int(v) for k, v in raw.items()}
    pairs = iter(raw)
    try:
        return {value.decode(): int(count) for value, count in zip(pairs, pairs)}
    except (AttributeError, UnicodeDecodeError):  # already str, or not utf-8
        pairs = iter(raw)
        return {_str(value): int(count) for value, count in zip(pairs, pairs)}


# kind of reply -> decoder of one stored bucket into str-based data, or MISSING
DECODERS = {'string': _decode_string, 'list': _decode_members, 'set': _decode_members,
            'hash': _decode_hash}


class RedisBackend(Timeseries):
    """Timeseries stored in Redis; see the module docstring for the layout.

    ``write_mode`` is 'script' (default: one atomic EVALSHA per call),
    'multi' (MULTI/EXEC: atomic against faults, but a command refused by the
    server does not undo the others) or 'pipeline' (not atomic; used for
    cluster clients, whose scripts cannot span keys in several slots, and
    there the only write path that redis-py may retry).
    """

    @staticmethod
    def accepts(client) -> bool:
        """Whether ``client`` is a redis-py client, single or cluster."""
        try:
            from redis.cluster import RedisCluster
        except ImportError:  # redis-py before 4.1
            RedisCluster = ()
        return isinstance(client, (redis.Redis, RedisCluster))

    def __init__(self, client, prefix: Optional[str] = None, **kwargs):
        if not self.accepts(client):
            raise UnsupportedClient('a Redis timeseries needs a redis-py client, not %r'
                                    % (client,))
        super().__init__(client, **kwargs)
        prefix = prefix or ''
        if not isinstance(prefix, str):
            raise ConfigurationError('prefix must be a str, not %r' % (prefix,))
        if prefix and not prefix.endswith(':'):
            prefix += ':'
        self._prefix = prefix
        single = isinstance(client, redis.Redis)
        options = getattr(client, 'connection_pool', None)
        options = getattr(options, 'connection_kwargs', {})
        # hiredis packs exactly as redis-py's encoder does for utf-8, in a tenth of the time
        self._fast_pack = _hiredis_pack is not None and \
            options.get('encoding', 'utf-8').lower().replace('-', '') == 'utf8' and \
            options.get('encoding_errors', 'strict') == 'strict'
        self.write_mode = 'script' if single else 'pipeline'
        self.read_scripts = single
        self._ops = OPS[self._type.name]
        # the rest of a key of this statistic: interval, bucket and, with a resolution only,
        # the resolution bucket (so 'a' never owns 'a:60:...' of an interval named '60')
        self._owned = re.compile('|'.join(
            r'(?:%s:-?\d+%s\Z)' % (re.escape(name), '' if i.coarse else r'(?::-?\d+)?')
            for name, i in self._intervals.items()))

    # -- storage primitives --------------------------------------------------

    def _check_value(self, value) -> None:
        if isinstance(value, bool) or not isinstance(value, (str, bytes, int, float)):
            raise InvalidValue('Redis stores str, bytes, int or float values, not %r'
                               % (value,))
        if isinstance(value, str):
            try:
                value.encode('utf-8')
            except UnicodeEncodeError:
                raise InvalidValue('%r is not valid unicode' % (value,)) from None

    def _write(self, writes, pipeline=None) -> None:
        commands = self._commands(writes, pipeline is None and self.write_mode == 'script')
        if pipeline is not None:
            for command in commands:
                pipeline.execute_command(*command)
        elif self.write_mode == 'script':
            self._send_script(commands)
        elif self.write_mode == 'multi':
            self._send([('MULTI',)] + commands + [('EXEC',)])
        elif hasattr(self._client, 'connection_pool'):
            self._send(commands)
        else:
            self._send_pipeline(commands)

    def _read(self, interval, names: List[str], buckets: List[int], fetch: Optional[Callable]):
        keys = [self._key(name, interval, bucket) for name in names for bucket in buckets]
        decode = DECODERS[self._ops[2]]
        if fetch is None and self.read_scripts:
            rows = self._read_script(keys, interval.coarse, decode)
        else:
            rows = self._read_pipelined(keys, interval.coarse, fetch, decode)
        per_name = len(buckets)
        return {name: rows[index * per_name:(index + 1) * per_name]
                for index, name in enumerate(names)}

    def _delete(self, name: str) -> int:
        head = self._prefix + name + ':'
        match = _GLOB_SPECIAL.sub(r'\\\1', head) + '*'
        doomed, removed = [], 0
        for key in self._call(lambda: list(self._client.scan_iter(match=match, count=1000))):
            if self._owned.match(_str(key)[len(head):]):
                doomed.append(key)
        for start in range(0, len(doomed), 500):
            removed += self._call(lambda: self._client.delete(*doomed[start:start + 500]))
        return removed

    # -- writing -------------------------------------------------------------

    def _key(self, name: str, interval, i_bucket) -> str:
        return '%s%s:%s:%s' % (self._prefix, name, interval.name, i_bucket)

    def _commands(self, writes, scripted: bool = True) -> List[tuple]:
        """The commands of ``writes``; a count's increment of 0 writes no data key.

        (kairos 0.5.0 skipped it too, listing the bucket in the index only; reads
        give the type's empty value for such an entry.)
        """
        command = self._ops[0]
        commands = []
        for write in writes:
            interval = write.interval
            key = self._key(write.name, interval, write.i_bucket)
            if not interval.coarse:
                commands.append(('SADD', key, write.r_bucket))
                index, key = key, '%s:%s' % (key, write.r_bucket)
            payload = write.payload
            if command == 'HINCRBY':
                commands.extend(('HINCRBY', key, value, count) for value, count in payload)
            elif command in ('RPUSH', 'SADD'):
                for start in range(0, len(payload), MAX_ARGS):
                    commands.append((command, key) + tuple(payload[start:start + MAX_ARGS]))
            elif command == 'INCRBY' and not payload:
                pass
            elif command == 'INCRBY' and (isinstance(payload, float) or not scripted):
                # outside the script nothing falls back to INCRBYFLOAT when a counter
                # already holds a float, so send it always: exact for integers too
                commands.append(('INCRBYFLOAT', key, payload))
            else:
                commands.append((command, key, payload))
            if interval.expire:
                if not interval.coarse:
                    commands.append(('EXPIRE', index, interval.expire))
                commands.append(('EXPIRE', key, interval.expire))
        return commands

    def _send_script(self, commands) -> None:
        key_index: Dict[str, int] = {}
        kinds = []
        argv = []
        for command in commands:
            key = command[1]
            index = key_index.get(key)
            if index is None:
                index = key_index[key] = len(key_index) + 1
                kinds.append('')
            kind = KINDS.get(command[0])
            if kind:
                kinds[index - 1] = kind
            argv.extend((command[0], index, len(command) - 2))
            argv.extend(command[2:])
        args = (len(key_index),) + tuple(key_index) + tuple(kinds) + tuple(argv)
        try:
            self._send([('EVALSHA', _WRITE_SHA) + args])
        except NoScriptError:
            # NOSCRIPT means nothing ran, so sending the script itself is safe
            self._send([('EVAL', WRITE_SCRIPT) + args])

    def _send(self, commands) -> list:
        """Send commands on one pooled connection in one round trip; never retried."""
        pool = self._client.connection_pool
        try:
            connection = pool.get_connection(*_GET_CONNECTION_ARGS)
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            # nothing was sent: the write certainly did not happen
            raise StorageError('Redis is unreachable; nothing was written: %s' % exc) from exc
        try:
            if self._fast_pack:
                packed = [_hiredis_pack(command) for command in commands]
            else:
                packed = connection.pack_commands(commands)
            connection.send_packed_command(packed)
            replies = [self._reply(connection) for _ in commands]
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            connection.disconnect()
            raise StorageError('write to Redis failed; its outcome is unknown: %s' % exc) \
                from exc
        finally:
            pool.release(connection)
        for reply in replies:
            for error in (reply if isinstance(reply, list) else [reply]):
                if isinstance(error, ResponseError):
                    raise DataConflict('Redis refused the write: %s' % error) from error
        return replies

    @staticmethod
    def _reply(connection):
        try:
            return connection.read_response()
        except NoScriptError:
            raise
        except ResponseError as exc:
            return exc

    def _send_pipeline(self, commands) -> None:
        pipe = self._client.pipeline(transaction=False)
        for command in commands:
            pipe.execute_command(*command)
        self._call(pipe.execute)

    # -- reading -------------------------------------------------------------

    def _read_script(self, keys: List[str], coarse: bool, decode: Callable) -> list:
        args = (len(keys),) + tuple(keys) + (self._ops[1], '1' if coarse else '0')
        try:
            replies = self._call(lambda: self._client.execute_command('EVALSHA', _READ_SHA, *args))
        except NoScriptError:
            replies = self._call(lambda: self._client.execute_command('EVAL', READ_SCRIPT, *args))
        if coarse:
            return [decode(reply) for reply in replies]
        kind = self._ops[2]
        rows = []
        for members, sizes, items in replies:
            row, at = {}, 0
            if kind in ('list', 'set'):  # decode every item at once, then cut
                items = _decode_members(items) if items else []
                for member, size in zip(members, sizes):
                    # in the index without data (expired, or a 0.5.0 zero increment): MISSING
                    row[int(member)] = items[at:at + size] if size else MISSING
                    at += size
            elif kind == 'hash':  # likewise: fields and counts of every bucket at once
                fields = _decode_members(items[0::2]) if items else []
                counts = [int(count) for count in items[1::2]]
                for member, size in zip(members, sizes):
                    half = at // 2
                    row[int(member)] = dict(zip(fields[half:half + size // 2],
                                                counts[half:half + size // 2])) \
                        if size else MISSING
                    at += size
            else:
                for member, size in zip(members, sizes):
                    row[int(member)] = decode(items[at])
                    at += size
            rows.append(row)
        return rows

    def _read_pipelined(self, keys: List[str], coarse: bool, fetch: Optional[Callable],
                        decode: Callable) -> list:
        fetch = fetch or self._fetch
        if coarse:
            return [decode(reply) for reply in self._fetch_all(keys, fetch)]
        pipe = self._client.pipeline(transaction=False)
        for key in keys:
            pipe.smembers(key)
        members = [[int(m) for m in ms] for ms in self._call(pipe.execute)]
        data = self._fetch_all(['%s:%s' % (key, m) for key, ms in zip(keys, members)
                                for m in ms], fetch)
        rows, offset = [], 0
        for ms in members:
            row = zip(ms, map(decode, data[offset:offset + len(ms)]))
            rows.append(dict(row))
            offset += len(ms)
        return rows

    def _fetch_all(self, keys: List[str], fetch: Callable) -> list:
        """Run ``fetch(pipe, key)`` per key; one command queued gives its reply."""
        if not keys:
            return []
        pipe = self._client.pipeline(transaction=False)
        spans = []
        for key in keys:
            before = len(pipe)
            returned = fetch(pipe, key)
            spans.append((before, len(pipe), returned))
        replies = self._call(pipe.execute)
        rval = []
        for before, after, returned in spans:
            if after == before:
                rval.append(returned)
            elif after == before + 1:
                rval.append(replies[before])
            else:
                rval.append(replies[before:after])
        return rval

    def _fetch(self, handle, key: str):
        command = self._ops[1]
        if command == 'LRANGE':
            return handle.lrange(key, 0, -1)
        return handle.execute_command(command, key)

    @staticmethod
    def _call(func):
        """Run a read or idempotent command, translating connection failures."""
        try:
            return func()
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise StorageError('Redis is unreachable: %s' % exc) from exc
        except NoScriptError:
            raise
        except ResponseError as exc:
            raise DataConflict('Redis refused the command: %s' % exc) from exc


# redis-py before 5.3 needs a command name to hand out a connection; later ones deprecate it
_GET_CONNECTION_ARGS = () if inspect.signature(
    redis.ConnectionPool.get_connection).parameters['command_name'].default \
    is not inspect.Parameter.empty else ('EVALSHA',)
_WRITE_SHA = _sha(WRITE_SCRIPT)
_READ_SHA = _sha(READ_SCRIPT)

BACKEND = RedisBackend
RedisSeries, RedisHistogram, RedisCount, RedisGauge, RedisSet = typed_classes(RedisBackend)
