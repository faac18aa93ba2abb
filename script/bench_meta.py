"""The cost of the meta data methods on Redis: list() over many keys, iterate()'s memory.

    script/bench_meta                  1,000,000 keys for list(), 100,000 buckets to iterate
    script/bench_meta --quick          a smoke run (10,000 keys, 1,000 buckets)
    script/bench_meta --keys N --buckets N

Starts a private redis-server. list() is timed on N keys of this configuration
(N / 100 names x 100 minute buckets) and on N keys of another prefix next to
1,000 of ours (SCAN walks the whole keyspace either way), and its memory
with tracemalloc in a second, untimed call. iterate() walks
``--buckets`` minute buckets of one count (data in the first and last only),
one get per bucket; the figure is the growth of the peak RSS while it runs.
Run on Redis only: mongomock's cost would be mongomock's.
"""

import argparse
import os
import resource
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import redis  # noqa: E402

from kairos import Timeseries  # noqa: E402
from tests.support import RedisServer  # noqa: E402

INTERVALS = {'minute': {'step': 60}, 'hour': {'step': 3600, 'resolution': 60}}
T0 = 1800000000


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def fill(client, prefix, keys, names_of=100):
    """``keys`` minute-interval count keys: keys / names_of names x names_of buckets."""
    pipe = client.pipeline(transaction=False)
    batch = {}
    for n in range(keys):
        name, bucket = divmod(n, names_of)
        batch['%sstat:%d:minute:%d' % (prefix, name, T0 // 60 + bucket)] = 1
        if len(batch) == 10000:
            pipe.mset(batch)
            batch = {}
            if len(pipe) == 10:
                pipe.execute()
    if batch:
        pipe.mset(batch)
    pipe.execute()


def timed(func):
    start = time.perf_counter()
    result = func()
    return result, time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--keys', type=int, default=1000000)
    parser.add_argument('--buckets', type=int, default=100000)
    parser.add_argument('--quick', action='store_true')
    args = parser.parse_args(argv)
    if args.quick:
        args.keys, args.buckets = 10000, 1000
    server = RedisServer(prefix='kairos-bench-meta-').start()
    try:
        client = redis.Redis.from_url(server.url)
        t = Timeseries(server.url, type='count', prefix='ours', intervals=INTERVALS)

        t.insert('walk', 1, T0)
        t.insert('walk', 1, T0 + 60 * (args.buckets - 1))
        before = peak_rss_mb()
        count, seconds = timed(lambda: sum(1 for _ in t.iterate('walk', 'minute',
                                                               transform='rate')))
        print('iterate() over %d minute buckets: %.1f s, peak RSS +%.1f MB'
              % (count, seconds, peak_rss_mb() - before))
        t.delete_all()

        fill(client, 'ours:', args.keys)
        names, seconds = timed(t.list)
        tracemalloc.start()  # filling raised the peak RSS: count list()'s own allocations
        t.list()
        peak = tracemalloc.get_traced_memory()[1] / 1024.0 / 1024.0
        tracemalloc.stop()
        print('list() on %d keys of ours (%d names): %.2f s, peak Python heap %.1f MB'
              % (client.dbsize(), len(names), seconds, peak))
        client.flushdb()

        fill(client, 'theirs:', args.keys)
        fill(client, 'ours:', 1000)
        names, seconds = timed(t.list)
        print('list() of %d names next to %d keys of another prefix: %.2f s'
              % (len(names), args.keys, seconds))
        client.close()
    finally:
        server.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
