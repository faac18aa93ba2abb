"""Writes as Redis commands: the commands of each type, and the commands of a call's
writes, the same whichever way they are sent.
"""

from typing import List

from ..exceptions import InvalidValue
from ..timeseries import Write
from .keys import Keys
from .wire import Command

# type -> (write command, read command, kind of reply)
OPS = {
    'series': ('RPUSH', 'LRANGE', 'list'),
    'histogram': ('HINCRBY', 'HGETALL', 'hash'),
    'count': ('INCRBY', 'GET', 'string'),
    'gauge': ('SET', 'GET', 'string'),
    'set': ('SADD', 'SMEMBERS', 'set'),
    # a sorted set of five members: count, sum and sumsq by ZINCRBY, min and max by
    # ZADD LT / GT, so that every field merges in one plain command
    'summary': ('ZINCRBY', 'ZRANGE', 'zset'),
    # Redis's own HyperLogLog, read whole (GET) for its registers: see kairos.hll
    'distinct': ('PFADD', 'GET', 'hll'),
    # a sorted set of a member per bin (ZINCRBY its count) and count, sum (ZINCRBY), min
    # and max (ZADD LT / GT): the summary's commands
    'sketch': ('ZINCRBY', 'ZRANGE', 'zset'),
}

# read command -> the arguments after its key
READ_TAILS = {'LRANGE': (0, -1), 'ZRANGE': (0, -1, 'WITHSCORES')}

# Values per RPUSH/SADD/PFADD command, well below Lua's unpack() limit.
MAX_ARGS = 1000


def write_commands(keys: Keys, command: str, writes: List[Write],
                   exact: bool = True) -> List[Command]:
    """The commands of some writes by a type whose write command is ``command``
    (its OPS entry's first), every EXPIRE included.

    ``exact``: integer increments go as INCRBY, for a script that falls back
    to INCRBYFLOAT or a counter known to hold an integer; else as INCRBYFLOAT.
    A count's increment of 0 writes no data key (kairos 0.5.0 skipped it too,
    listing the bucket in the index only; reads give the type's empty value).
    """
    commands: List[Command] = []
    for write in writes:
        interval = write.interval
        key = keys.key(write.name, interval, write.i_bucket)
        if not interval.coarse:
            commands.append(('SADD', key, write.r_bucket))
            if interval.expire:
                commands.append(('EXPIRE', key, interval.expire))
            key = '%s:%s' % (key, write.r_bucket)
        payload = write.payload
        if command == 'HINCRBY':
            commands.extend(('HINCRBY', key, value, count) for value, count in payload)
        elif command == 'ZINCRBY':   # fields: min and max compare, every other one adds
            commands.extend(('ZINCRBY', key, number, field) for field, number in payload.items()
                            if field != 'min' and field != 'max')
            commands.append(('ZADD', key, 'LT', payload['min'], 'min'))
            commands.append(('ZADD', key, 'GT', payload['max'], 'max'))
        elif command == 'PFADD' and not payload:
            raise InvalidValue('Redis cannot take a distinct bucket of registers alone (a '
                               'restored dump): PFADD adds values; restore it into MongoDB '
                               'or SQL')
        elif command in ('RPUSH', 'SADD', 'PFADD'):
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
