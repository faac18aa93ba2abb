"""The Lua script of the Redis backend's checked writes, and the arguments it takes.

The script runs a call's commands after checking that each key not verified
yet holds the kind of data its command writes; it never builds code from data.
"""

import hashlib
from typing import AbstractSet, Any, Dict, List, Tuple

from .wire import Command

# command -> the kind of value its key must hold before the write
KINDS = {'RPUSH': 'list', 'HINCRBY': 'hash', 'SADD': 'set', 'INCRBY': 'number',
         'INCRBYFLOAT': 'number', 'SET': 'string', 'ZINCRBY': 'zset', 'ZADD': 'zset',
         'PFADD': 'hll'}

WRITE_SCRIPT = """
-- ARGV[1..#KEYS] is the kind each key must hold ('list', 'hash', 'set', 'zset',
-- 'number', 'string', 'hll'), or '' for a key the caller verified before: not
-- checked. Then records: command, index into KEYS, n, then n arguments.
-- The script refuses the whole write if a checked key holds another kind,
-- before running any command, and so does Redis out of memory. A command on
-- an unchecked key that Redis refuses is skipped and reported; the others run.
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
  elseif want == 'hll' then
    if have ~= 'none' and (have ~= 'string' or redis.call('GETRANGE', key, 0, 3) ~= 'HYLL') then
      return redis.error_reply('WRONGTYPE kairos: ' .. key .. ' does not hold a HyperLogLog')
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
         cmd == 'EXPIRE' or cmd == 'INCRBYFLOAT' or cmd == 'ZINCRBY' or cmd == 'ZADD' or
         cmd == 'PFADD' then
    done = redis.pcall(cmd, key, unpack(ARGV, i + 3, i + 2 + n))
  else
    return redis.error_reply('ERR kairos: unknown command ' .. cmd)
  end
  if type(done) == 'table' and done.err then
    -- out of memory, Redis refuses the first write but lets a script that wrote on
    if i == #KEYS + 1 and string.sub(done.err, 1, 4) == 'OOM ' then
      return redis.error_reply(done.err)
    end
    refused[#refused + 1] = index
    refused[#refused + 1] = cmd .. ' ' .. key .. ': ' .. done.err
  end
  i = i + 3 + n
end
return {floats, refused}
"""


def _sha(script: str) -> str:
    return hashlib.sha1(script.encode()).hexdigest()


WRITE_SHA = _sha(WRITE_SCRIPT)


def script_args(commands: List[Command], trusted: AbstractSet[str] = frozenset()
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
