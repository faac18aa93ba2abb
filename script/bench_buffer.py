"""What the buffered writer (kairos.buffer) gains over insert() on Redis, and what a flush costs.

    script/bench_buffer              medians of 5 repeats, 100,000 buffered inserts each
    script/bench_buffer --quick      a smoke run with small sizes
    script/bench_buffer --repeats 9

Starts a private redis-server and measures, in this process, on one count
Timeseries of three intervals (minute, hour with a resolution, day):

    buffer     inserts/s through t.buffer(max_values=10,000, max_delay=1.0): one insert
               call per value, each with its own timestamp, 10 names; the time
               includes the last flush on leaving the with block
    insert()   inserts/s of the same calls made with t.insert() (the first --inserts)
    bulk       points/s of one t.bulk_insert of the same points
    flush      seconds of one flush of max_values held values (flush() alone)

Each job runs ``repeats`` times, in turn (ABC CBA ...), the database flushed
before each; the table shows the medians, the ratios of the buffer to insert()
and to bulk_insert, and exits 1 if the buffer is under 30x insert()'s rate or a
read-back total is wrong.
"""

import argparse
import os
import signal
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import redis  # noqa: E402

from bench import conclude, machine  # noqa: E402
from kairos import Timeseries  # noqa: E402
from tests.support import RedisServer  # noqa: E402

INTERVALS = {
    'minute': {'step': 60, 'steps': 120},
    'hour': {'step': 3600, 'steps': 24, 'resolution': 60},
    'day': {'step': 86400, 'steps': 30},
}
GOAL = 30.0   # the buffer's inserts/s over insert()'s
MAX_VALUES = 10000


def calls(count, start):
    """(name, value, timestamp): one a call, 10 names, 30 ms apart (as a clock would)."""
    return [('n%d' % (i % 10), 1, start + i * 0.03) for i in range(count)]


def timed(job, reset, repeats):
    """The median seconds of ``job`` over ``repeats`` runs, ``reset`` before each."""
    seconds = []
    for _ in range(repeats):
        reset()
        started = time.perf_counter()
        job()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def measure(jobs, reset, repeats):
    """Median seconds of each job, run in turn, ABC CBA, so that drift hits all alike."""
    runs = {name: [] for name in jobs}
    order = list(jobs)
    for _ in range(repeats):
        order.reverse()
        for name in order:
            runs[name].append(timed(jobs[name], reset, 1))
    return {name: statistics.median(seconds) for name, seconds in runs.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeats', type=int, default=5, help='repeats per figure (5)')
    parser.add_argument('--quick', action='store_true', help='small sizes: a smoke run')
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error('--repeats must be positive')
    values, inserts = (20000, 500) if args.quick else (100000, 5000)
    print('$ script/bench_buffer %s' % ' '.join(sys.argv[1:]))
    print(machine())
    print('medians of %d repeats%s\n' % (args.repeats,
                                          '; QUICK run: sizes too small to judge'
                                          if args.quick else ''))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that finally: stops Redis
    server = RedisServer(prefix='kairos-bench-buffer-').start()
    try:
        client = redis.Redis.from_url(server.url)
        t = Timeseries(client, type='count', intervals=INTERVALS)
        start = int(time.time()) // 86400 * 86400
        points = calls(values, start)
        by_stamp = {stamp: {name: [value]} for name, value, stamp in points}
        held = t.buffer(max_values=MAX_VALUES + 1, max_delay=None)   # flushed only by flush()

        def buffered():
            with t.buffer(max_values=MAX_VALUES, max_delay=1.0) as b:
                for name, value, stamp in points:
                    b.insert(name, value, stamp)

        def plain():
            for name, value, stamp in points[:inserts]:
                t.insert(name, value, timestamp=stamp)

        def hold():   # untimed: fills the buffer whose flush is timed
            client.flushdb()
            for name, value, stamp in points[:MAX_VALUES]:
                held.insert(name, value, stamp)
        seconds = measure({'buffer': buffered, 'insert': plain,
                           'bulk': lambda: t.bulk_insert(by_stamp)}, client.flushdb,
                          args.repeats)
        seconds['flush'] = timed(held.flush, hold, args.repeats)
        held.close()
        client.flushdb()
        buffered()
        total = sum(t.series('n0', 'day', start=start, end=start, collapse=True).values())
        client.close()
    finally:
        server.stop()
    rates = {'buffer': values / seconds['buffer'], 'insert': inserts / seconds['insert'],
             'bulk': values / seconds['bulk']}
    rows = [('buffer insert()', '%.0f /s' % rates['buffer'], ''),
            ('plain insert()', '%.0f /s' % rates['insert'],
             'buffer %.1fx (goal >= %.0fx)' % (rates['buffer'] / rates['insert'], GOAL)),
            ('bulk_insert()', '%.0f points/s' % rates['bulk'],
             'buffer %.2fx' % (rates['buffer'] / rates['bulk'])),
            ('flush of %d values' % MAX_VALUES, '%.1f ms' % (1000 * seconds['flush']), '')]
    for row in rows:
        print('%-26s %16s   %s' % row)
    missed = []
    if rates['buffer'] / rates['insert'] < GOAL:
        missed.append('buffer over insert(): %.1fx, goal >= %.0fx'
                      % (rates['buffer'] / rates['insert'], GOAL))
    if total != values // 10:
        missed.append('read back %s of %d buffered inserts of n0' % (total, values // 10))
    return conclude(missed)


if __name__ == '__main__':
    sys.exit(main())
