"""``script/bench --cluster``: kairos on a local Redis Cluster next to hand-written redis-py.

Starts a private cluster of 3 masters and 3 replicas (tests/support.py), then, for
both layouts (0.5.0's keys, and ``hash_tag=True``), in the same run:

- insert(): a count into minute + hour (resolution 60) + day, against a
  baseline that sends the same commands in one redis-py cluster pipeline per call;
- bulk_insert(): values per second (a point every 3 s for 100 names), against the
  insert() loop;
- series() of 24 hours at minute resolution (1,440 data keys), against a
  baseline of two pipelined stages (SMEMBERS of the indexes, then GET).

Each figure is the median of ``--repeats`` runs, kairos and baseline alternately.
Round trips per call are counted on the connections (``send_packed_command``).
Goals: insert() >= 1.0x the baseline's calls/s; bulk_insert >= 20x the insert()
loop's values/s; series() <= 0.8x the baseline's time. Exits 1 if one is missed.
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from redis.cluster import RedisCluster  # noqa: E402

from kairos import Timeseries  # noqa: E402
from tests.support import CountingConnection, RedisClusterServer  # noqa: E402

INTERVALS = {
    'minute': {'step': 60, 'steps': 120},
    'hour': {'step': 3600, 'steps': 24, 'resolution': 60},
    'day': {'step': 86400, 'steps': 30},
}
BASE = 1800000000 // 86400 * 86400


def key_of(hash_tag, name, interval, bucket):
    return ('b:{%s}:%s:%s' if hash_tag else 'b:%s:%s:%s') % (name, interval, bucket)


def baseline_insert(client, hash_tag, name, stamp):
    """What kairos' insert() writes for a count, in one cluster pipeline."""
    pipe = client.pipeline(transaction=False)
    for interval, config in INTERVALS.items():
        expire = config['step'] * config['steps']
        key = key_of(hash_tag, name, interval, int(stamp // config['step']))
        if 'resolution' in config:
            pipe.sadd(key, int(stamp // config['resolution']))
            pipe.expire(key, expire)
            key = '%s:%d' % (key, int(stamp // config['resolution']))
        pipe.incrby(key, 1)
        pipe.expire(key, expire)
    pipe.execute()


def baseline_series(client, hash_tag, name, end):
    """24 hours at minute resolution: SMEMBERS of 24 indexes, then GET of every member."""
    hours = [int(end // 3600) - n for n in range(23, -1, -1)]
    pipe = client.pipeline(transaction=False)
    for hour in hours:
        pipe.smembers(key_of(hash_tag, name, 'hour', hour))
    members = [sorted(int(m) for m in ms) for ms in pipe.execute()]
    pipe = client.pipeline(transaction=False)
    for hour, ms in zip(hours, members):
        for m in ms:
            pipe.get('%s:%d' % (key_of(hash_tag, name, 'hour', hour), m))
    data = iter(pipe.execute())
    return {hour * 3600: {m * 60: int(next(data)) for m in ms} for hour, ms in zip(hours, members)}


class Figures:

    def __init__(self, client, repeats, quick):
        self.client, self.repeats = client, repeats
        self.calls = 200 if quick else 2000
        self.bulk_values = 5000 if quick else 100000
        self.reads = 5 if quick else 30
        self.rows, self.failed = [], []

    def median(self, *jobs):
        """Median seconds of each job over the repeats, the jobs alternating."""
        times = [[] for _ in jobs]
        for _ in range(self.repeats):
            for job, spent in zip(jobs, times):
                began = time.perf_counter()
                job()
                spent.append(time.perf_counter() - began)
        return [statistics.median(spent) for spent in times]

    @staticmethod
    def trips(func):
        before = CountingConnection.sent
        func()
        return CountingConnection.sent - before

    def row(self, what, ours, base, unit, goal, ok, trips):
        self.rows.append((what, ours, base, unit, goal, ok, trips))
        if not ok:
            self.failed.append(what)

    def run(self, hash_tag):
        layout = 'hash_tag' if hash_tag else '0.5.0 keys'
        t = Timeseries(self.client, type='count', prefix='k', intervals=INTERVALS,
                       hash_tag=hash_tag)
        names = ['n%d' % i for i in range(50)]
        stamp = BASE + 7200.0

        def ours():
            for i in range(self.calls):
                t.insert(names[i % 50], 1, timestamp=stamp + i)

        def base():
            for i in range(self.calls):
                baseline_insert(self.client, hash_tag, names[i % 50], stamp + i)

        ours(), base()   # warm: scripts loaded, keys verified, connections open
        mine, theirs = self.median(ours, base)
        trips = (self.trips(lambda: t.insert('n1', 1, timestamp=stamp)),
                 self.trips(lambda: baseline_insert(self.client, hash_tag, 'n1', stamp)))
        speed = theirs / mine
        self.row('insert() [%s]' % layout, self.calls / mine, self.calls / theirs, 'calls/s',
                 '>= 1.0x', speed >= 1.0, trips)
        insert_rate = self.calls / mine

        # as script/bench: a point every 3 s for each of 100 names
        points = {BASE + 3 * i: {'bulk%d' % j: [1] for j in range(100)}
                  for i in range(self.bulk_values // 100)}
        values = sum(len(n) for n in points.values())
        spent, = self.median(lambda: t.bulk_insert(points))
        ratio = values / spent / insert_rate
        self.row('bulk_insert [%s]' % layout, values / spent, insert_rate, 'values/s',
                 '>= 20x insert()', ratio >= 20, (self.trips(lambda: t.bulk_insert(points)),
                                                  None))

        end = BASE + 86400 - 1
        t.bulk_insert({BASE + 60 * m: {'r': [1]} for m in range(1440)})
        # the baseline reads the same data under its own prefix
        rt = Timeseries(self.client, type='count', prefix='b', intervals=INTERVALS,
                        hash_tag=hash_tag)
        rt.bulk_insert({BASE + 60 * m: {'r': [1]} for m in range(1440)})
        got = t.series('r', 'hour', end=end)
        want = baseline_series(self.client, hash_tag, 'r', end)
        assert {k: dict(v) for k, v in got.items()} == want, 'the two reads disagree'

        def read_ours():
            for _ in range(self.reads):
                t.series('r', 'hour', end=end)

        def read_base():
            for _ in range(self.reads):
                baseline_series(self.client, hash_tag, 'r', end)

        mine, theirs = self.median(read_ours, read_base)
        self.row('series() 24 h by minute [%s]' % layout, mine / self.reads * 1000,
                 theirs / self.reads * 1000, 'ms/call', '<= 0.8x', mine <= 0.8 * theirs,
                 (self.trips(lambda: t.series('r', 'hour', end=end)),
                  self.trips(lambda: baseline_series(self.client, hash_tag, 'r', end))))

    def print(self):
        print('%-34s %14s %14s %-9s %7s  %-16s %s' % ('figure', 'kairos', 'baseline', 'unit',
                                                      'ratio', 'goal', 'round trips'))
        for what, ours, base, unit, goal, ok, trips in self.rows:
            print('%-34s %14.1f %14.1f %-9s %6.2fx  %-16s %s%s' % (
                what, ours, base, unit, ours / base, goal + (' ok' if ok else ' MISSED'),
                trips[0], '' if trips[1] is None else ' vs %d' % trips[1]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--cluster', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--quick', action='store_true', help='small sizes: a smoke run')
    args = parser.parse_args(argv)
    cluster = RedisClusterServer(prefix='kairos-bench-cluster-').start()
    try:
        client = RedisCluster.from_url(cluster.url, connection_class=CountingConnection)
        figures = Figures(client, args.repeats, args.quick)
        for hash_tag in (False, True):
            figures.run(hash_tag)
        client.close()
    finally:
        cluster.stop()
    print('Redis Cluster, 3 masters + 3 replicas on this machine; medians of %d runs'
          % args.repeats)
    figures.print()
    if figures.failed:
        print('goals missed: %s' % ', '.join(figures.failed))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
