"""The longest single Redis command that the largest accepted call makes.

No input kairos accepts should make one server-side command (a MULTI/EXEC, a
script, a pipelined read) run for longer than LONGEST_GOAL: Redis serves no
other client meanwhile. Each case runs the largest call of its kind, ``runs``
times on a flushed private Redis, and reads the longest entry of ``SLOWLOG``
(every command logged); the table gives the median of the runs' longest and
fails the goal if it is over.

    script/bench --bounds              3 runs per case
    script/bench --bounds --runs 5
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import redis  # noqa: E402

from kairos import Timeseries  # noqa: E402
from kairos.timeseries import BULK_CHUNK  # noqa: E402
from kairos.units import MAX_READ_BUCKETS, MAX_SHIFT  # noqa: E402
from tests.support import RedisServer  # noqa: E402

LONGEST_GOAL = 50.0  # milliseconds
T0 = 1800000000
INTERVALS = {'second': {'step': 1, 'steps': 86400},
             'minute': {'step': 60, 'steps': 10 ** 6},
             'hour': {'step': 3600, 'steps': 10 ** 5, 'resolution': 60}}


def shift_insert(client, mode, sign):
    t = Timeseries(client, type='histogram', intervals=INTERVALS)
    t.write_mode = mode
    return lambda: t.insert('shifted', 7, timestamp=T0, intervals=sign * MAX_SHIFT)


def bulk_insert(client, mode, kind):
    # BULK_CHUNK values, each to its own buckets: cut into pieces by BULK_WRITES
    t = Timeseries(client, type=kind, intervals=INTERVALS)
    t.write_mode = mode
    data = {T0 + i: {'n%d' % (i % 97): [i % 10]} for i in range(BULK_CHUNK)}
    return lambda: t.bulk_insert(data)


def max_read(client, interval, scripts):
    t = Timeseries(client, type='count', intervals=INTERVALS)
    t.read_scripts = scripts
    step = {'second': 1, 'minute': 60, 'hour': 3600}[interval]
    # data in every bucket read, so that each one costs what a full read costs
    t.bulk_insert({T0 + i * step: {'r': [1]} for i in range(0, MAX_READ_BUCKETS, 1)}
                  if interval == 'second' else {T0: {'r': [1]}})
    return lambda: t.series('r', interval, start=T0, steps=MAX_READ_BUCKETS)


CASES = [
    ('insert intervals=+%d histogram, multi' % MAX_SHIFT, lambda c: shift_insert(c, 'multi', 1)),
    ('insert intervals=-%d histogram, multi' % MAX_SHIFT, lambda c: shift_insert(c, 'multi', -1)),
    ('insert intervals=+%d histogram, script' % MAX_SHIFT,
     lambda c: shift_insert(c, 'script', 1)),
    ('bulk_insert of %d values, each its own bucket, count, multi' % BULK_CHUNK,
     lambda c: bulk_insert(c, 'multi', 'count')),
    ('bulk_insert of %d values, each its own bucket, series, script' % BULK_CHUNK,
     lambda c: bulk_insert(c, 'script', 'series')),
    ('series of %d second buckets, read scripts' % MAX_READ_BUCKETS,
     lambda c: max_read(c, 'second', True)),
    ('series of %d second buckets, pipelined' % MAX_READ_BUCKETS,
     lambda c: max_read(c, 'second', False)),
    ('series of %d hour buckets (resolution), read scripts' % MAX_READ_BUCKETS,
     lambda c: max_read(c, 'hour', True)),
]


def longest(client, call):
    """Run ``call`` with every command logged; (the longest command in ms, its name)."""
    client.slowlog_reset()
    call()
    entries = client.slowlog_get(-1)  # all of them
    top = max(entries, key=lambda e: e['duration'])
    command = top['command']
    name = (command.decode() if isinstance(command, bytes) else str(command)).split(' ')[0]
    return top['duration'] / 1000.0, name


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--bounds', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--runs', type=int, default=3, help='runs per case (3)')
    args = parser.parse_args(argv)
    server = RedisServer(prefix='kairos-bench-bounds-').start()
    started = time.perf_counter()
    missed = []
    try:
        client = redis.Redis.from_url(server.url)
        client.config_set('slowlog-log-slower-than', 0)
        client.config_set('slowlog-max-len', 100000)
        print('longest Redis command of the largest accepted call (SLOWLOG), median of %d runs; '
              'goal <= %.0f ms; load %s\n' % (args.runs, LONGEST_GOAL,
                                              ' '.join('%.2f' % x for x in os.getloadavg())))
        print('%-62s %10s  %-10s %s' % ('call', 'longest', 'command', 'runs (ms)'))
        for what, build in CASES:
            runs = []
            for _ in range(args.runs):
                client.flushdb()
                call = build(client)
                runs.append(longest(client, call))
            median = statistics.median(ms for ms, _ in runs)
            verdict = 'ok' if median <= LONGEST_GOAL else 'MISSED'
            if verdict != 'ok':
                missed.append('%s: %.1f ms' % (what, median))
            print('%-62s %7.1f ms  %-10s %s  %s' % (
                what, median, runs[0][1], ' '.join('%.1f' % ms for ms, _ in runs), verdict))
    finally:
        server.stop()
    print('\n%.0f s' % (time.perf_counter() - started))
    if missed:
        print('\nGOALS MISSED:\n  ' + '\n  '.join(missed))
        return 1
    print('\nall goals met')
    return 0


if __name__ == '__main__':
    sys.exit(main())
