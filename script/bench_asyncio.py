"""What kairos.asyncio costs next to the blocking API, on one private Redis, in one process.

    script/bench --asyncio              medians of 5 repeats
    script/bench --asyncio --quick      a smoke run with small sizes
    script/bench --asyncio --repeats 9

Jobs, each run ``repeats`` times, blocking and asyncio in turn (ABBA...), the
database flushed before each:

    insert      seconds per insert() of a count into three intervals (one with a
                resolution), one call at a time: kairos.Timeseries, then awaited on
                kairos.asyncio (goal: asyncio within 1.2x)
    series      seconds per series(hour, steps=24) of 24 x 60 resolution buckets
                (goal: within 1.2x)
    server      Redis microseconds per insert (INFO commandstats), blocking and asyncio,
                shown only: on 2 cores the same commands' usec swing by up to 1.6x
                between loops while the bench loads the machine. The goal is that
                the commands, counted per name, are the same on both APIs
    many        inserts/s of 1,000 asyncio tasks at once against 8 threads on the blocking
                API, the same calls, every count read back

Exits 1 if a goal is missed or a total read back is wrong.
"""

import argparse
import asyncio
import os
import signal
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import redis  # noqa: E402
import redis.asyncio  # noqa: E402

from bench import OWN, Server, conclude, machine  # noqa: E402
from kairos import Timeseries  # noqa: E402
from kairos.asyncio import Timeseries as AsyncTimeseries  # noqa: E402
from tests.support import RedisServer  # noqa: E402

INTERVALS = {
    'minute': {'step': 60, 'steps': 120},
    'hour': {'step': 3600, 'steps': 24, 'resolution': 60},
    'day': {'step': 86400, 'steps': 30},
}
NOW = 1700000000


class Jobs:
    """One blocking and one asyncio Timeseries of the same configuration, the same Redis."""

    def __init__(self, url, args):
        self.args = args
        self.client = redis.Redis.from_url(url)
        self.server = Server(self.client)
        self.blocking = Timeseries(self.client, type='count', intervals=INTERVALS,
                                   clock=lambda: NOW)
        self.loop = asyncio.new_event_loop()
        self.aclient = redis.asyncio.Redis.from_url(url)
        self.awaiting = AsyncTimeseries(self.aclient, type='count', intervals=INTERVALS,
                                        clock=lambda: NOW)
        self.commands = {False: [], True: []}   # each insert loop's commands, counted by name

    def close(self):
        self.loop.run_until_complete(self.aclient.aclose())
        self.loop.close()
        self.client.close()

    def inserts(self, asyncio_api):
        """(seconds per insert, server usec per insert)."""
        self.client.flushdb()
        n = self.args.inserts
        self.server.reset()
        if asyncio_api:
            async def run():
                start = time.perf_counter()
                for i in range(n):
                    await self.awaiting.insert('hits', 1, timestamp=NOW - i % 3600)
                return time.perf_counter() - start
            seconds = self.loop.run_until_complete(run())
        else:
            start = time.perf_counter()
            for i in range(n):
                self.blocking.insert('hits', 1, timestamp=NOW - i % 3600)
            seconds = time.perf_counter() - start
        usec = self.server.read()[0]
        calls = {name: stats['calls'] for name, stats in self.client.info('commandstats').items()
                 if name[len('cmdstat_'):].split('|')[0] not in OWN}
        self.commands[asyncio_api].append(calls)
        self.check(n)
        return seconds / n, usec / n

    def series(self, asyncio_api):
        """Seconds per series() of a full day of minutes in hours."""
        self.client.flushdb()
        self.blocking.bulk_insert({NOW - 60 * i: {'hits': [1]} for i in range(24 * 60)})
        n = self.args.reads
        if asyncio_api:
            async def run():
                start = time.perf_counter()
                for _ in range(n):
                    await self.awaiting.series('hits', 'hour', end=NOW, steps=24)
                return time.perf_counter() - start
            seconds = self.loop.run_until_complete(run())
        else:
            start = time.perf_counter()
            for _ in range(n):
                self.blocking.series('hits', 'hour', end=NOW, steps=24)
            seconds = time.perf_counter() - start
        return seconds / n

    def many(self, asyncio_api):
        """Inserts per second of 1,000 tasks (asyncio) or 8 threads (blocking)."""
        self.client.flushdb()
        total = self.args.many
        if asyncio_api:
            async def task(k):
                for i in range(k, total, 1000):
                    await self.awaiting.insert('hits', 1, timestamp=NOW - i % 3600)

            async def run():
                start = time.perf_counter()
                await asyncio.gather(*(task(k) for k in range(1000)))
                return time.perf_counter() - start
            seconds = self.loop.run_until_complete(run())
        else:
            def thread(k):
                for i in range(k, total, 8):
                    self.blocking.insert('hits', 1, timestamp=NOW - i % 3600)
            threads = [threading.Thread(target=thread, args=(k,)) for k in range(8)]
            start = time.perf_counter()
            for each in threads:
                each.start()
            for each in threads:
                each.join()
            seconds = time.perf_counter() - start
        self.check(total)
        return total / seconds

    def check(self, n):
        got = sum(self.blocking.series('hits', 'day', end=NOW, steps=2).values())
        if got != n:
            raise SystemExit('read back %d counts, not %d' % (got, n))


def medians(jobs, job, repeats):
    """Median of each side's figures, blocking and asyncio alternating (ABBA...)."""
    runs = {False: [], True: []}
    for repeat in range(repeats):
        for side in ((False, True) if repeat % 2 == 0 else (True, False)):
            runs[side].append(job(side))
    if isinstance(runs[False][0], tuple):
        return tuple(tuple(statistics.median(r[i] for r in runs[side]) for side in (False, True))
                     for i in range(len(runs[False][0])))
    return tuple(statistics.median(runs[side]) for side in (False, True))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--asyncio', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--quick', action='store_true')
    args = parser.parse_args()
    args.inserts, args.reads, args.many = (300, 20, 2000) if args.quick else (3000, 200, 20000)
    print('$ script/bench --asyncio %s' % ' '.join(a for a in sys.argv[1:] if a != '--asyncio'))
    print(machine())
    print('medians of %d repeats, blocking and asyncio alternating\n' % args.repeats)
    server = RedisServer(prefix='kairos-bench-asyncio-').start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    jobs = Jobs(server.url, args)
    missed = []
    try:
        (sync_s, async_s), (sync_us, async_us) = medians(jobs, jobs.inserts, args.repeats)
        sync_read, async_read = medians(jobs, jobs.series, args.repeats)
        sync_many, async_many = medians(jobs, jobs.many, args.repeats)
    finally:
        jobs.close()
        server.stop()
    rows = [
        ('insert(), one at a time', '%.1f us' % (sync_s * 1e6), '%.1f us' % (async_s * 1e6),
         async_s / sync_s, 1.2),
        ('series(hour, steps=24), 24 x 60', '%.2f ms' % (sync_read * 1e3),
         '%.2f ms' % (async_read * 1e3), async_read / sync_read, 1.2),
        ('Redis server usec per insert', '%.2f' % sync_us, '%.2f' % async_us,
         async_us / sync_us, None),
        ('inserts/s: 8 threads | 1,000 tasks', '%.0f' % sync_many, '%.0f' % async_many,
         async_many / sync_many, None),
    ]
    # after the first loop of each (whose keys were new), the same commands each time;
    # a verified key's EXPIRE is sent again by time (EXPIRE_REFRESH), so not counted
    loops = [[sorted((name, calls) for name, calls in c.items() if name != 'cmdstat_expire')
              for c in jobs.commands[side][1:]] for side in (False, True)]
    same = len({repr(c) for c in loops[0] + loops[1]}) == 1
    print('commands per insert loop the same on both APIs: %s (%s)\n' % (
        'yes' if same else 'NO', ', '.join('%s %d' % (name[len('cmdstat_'):], calls)
                                         for name, calls in sorted(jobs.commands[True][-1].items()))))
    if not same:
        missed.append('the asyncio API sent other commands than the blocking one')
    print('%-36s %12s %12s %9s %8s' % ('figure', 'blocking', 'asyncio', 'ratio', 'goal'))
    for label, sync, awaited, ratio, goal in rows:
        print('%-36s %12s %12s %8.2fx %8s' % (label, sync, awaited, ratio,
                                               '<= %.1fx' % goal if goal else '-'))
        if goal and ratio > goal and not args.quick:
            missed.append('%s: %.2fx (goal <= %.1fx)' % (label, ratio, goal))
    return conclude(missed)


if __name__ == '__main__':
    sys.exit(main())
