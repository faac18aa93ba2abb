"""How fast kairos is next to hand-written redis-py code, in one run.

Starts a private redis-server, measures every figure ``repeats`` times
(kairos and its baseline alternately, so drift hits both alike), prints the
medians in one table and exits 1 if a goal of issue 3 is missed.

    script/bench              the full run (about 3 to 4 minutes on 2 cores)
    script/bench --quick      a smoke run with small sizes
    script/bench --repeats 9

Round trips are counted as calls of ``Connection.send_packed_command``
outside the connection handshake: redis-py sends one command, one pipeline
or one MULTI/EXEC block with one such call.
"""

import argparse
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import redis  # noqa: E402

import kairos  # noqa: E402
from kairos import Timeseries  # noqa: E402
from bench_mongo import bench_mongo  # noqa: E402
from tests.support import CountingConnection, RedisServer  # noqa: E402

TYPES = ('series', 'histogram', 'count', 'gauge', 'set')
INTERVALS = {
    'minute': {'step': 60, 'steps': 120},
    'hour': {'step': 3600, 'steps': 24, 'resolution': 60},
    'day': {'step': 86400, 'steps': 30},
}
# name, step, resolution (None when coarse), expire: the layout kairos writes
PLAN = [(name, c['step'], c.get('resolution'), c['step'] * c['steps'])
        for name, c in INTERVALS.items()]
WRITE = {'series': 'rpush', 'histogram': 'hincrby', 'count': 'incrby', 'gauge': 'set',
         'set': 'sadd'}
READ = {'series': lambda p, k: p.lrange(k, 0, -1), 'histogram': lambda p, k: p.hgetall(k),
        'count': lambda p, k: p.get(k), 'gauge': lambda p, k: p.get(k),
        'set': lambda p, k: p.smembers(k)}


def value(typ, i):
    return 1 if typ == 'count' else str(i % 10)


def start_redis():
    server = RedisServer(prefix='kairos-bench-').start()
    return server.url, server.stop


class Bench:
    def __init__(self, args, url):
        self.args, self.url = args, url
        self.client = redis.Redis.from_url(url)
        self.counting = redis.Redis(connection_pool=redis.ConnectionPool.from_url(
            url, connection_class=CountingConnection))
        self.rows, self.missed = [], []
        self.now = int(time.time()) // 86400 * 86400

    # -- table -----------------------------------------------------------------

    def section(self, title):
        self.rows.append(('## ' + title,))
        print('running', title.split(':')[0], '...', file=sys.stderr, flush=True)

    def row(self, what, unit, ours, base=None, base_name='', goal=None, better='higher',
            note=''):
        """One line: kairos' median next to the baseline's; check a ratio goal."""
        ratio = ours / base if base else None
        verdict = ''
        if goal is not None:
            ok = ratio >= goal if better == 'higher' else ratio <= goal
            verdict = ('ok' if ok else 'MISSED') + (' (goal %s %sx)' % (
                '>=' if better == 'higher' else '<=', goal))
            if not ok:
                self.missed.append('%s: %.2fx, goal %s %sx' % (
                    what, ratio, '>=' if better == 'higher' else '<=', goal))
        self.rows.append((what, unit, ours, base, base_name, ratio, verdict, note))

    def check(self, what, ok, detail):
        self.rows.append((what, '', None, None, '', None, 'ok' if ok else 'MISSED', detail))
        if not ok:
            self.missed.append('%s: %s' % (what, detail))

    def print_table(self):
        print('%-44s %14s %14s  %-16s %7s  %s' % ('measurement (median)', 'kairos', 'baseline',
                                                  'baseline is', 'ratio', 'goal / note'))
        for row in self.rows:
            if len(row) == 1:
                print('\n' + row[0])
                continue
            what, unit, ours, base, base_name, ratio, verdict, note = row
            fmt = lambda v: '' if v is None else ('%.3g %s' % (v, unit) if v < 100
                                                  else '%.0f %s' % (v, unit))
            print('%-44s %14s %14s  %-16s %7s  %s' % (
                what, fmt(ours), fmt(base), base_name,
                '' if ratio is None else '%.2fx' % ratio,
                ' '.join(x for x in (verdict, note) if x)))

    # -- helpers -----------------------------------------------------------------

    def medians(self, *jobs, reset=None):
        """Run each job ``repeats`` times, in turn; the median seconds of each.

        ``reset`` runs before every timed job (e.g. to empty the database).
        """
        times = [[] for _ in jobs]
        order = list(enumerate(jobs))
        for _ in range(self.args.repeats):
            order.reverse()  # ABC CBA ABC: neither side always runs first
            for index, job in order:
                if reset:
                    reset()
                start = time.perf_counter()
                job()
                times[index].append(time.perf_counter() - start)
        return [statistics.median(t) for t in times]

    def kairos(self, typ, client=None):
        return Timeseries(self.client if client is None else client, type=typ,
                          intervals=INTERVALS)

    # -- 1. insert ----------------------------------------------------------------

    def baseline_insert(self, typ, name, val, stamp):
        pipe = self.client.pipeline(transaction=False)
        write = getattr(pipe, WRITE[typ])
        for interval, step, resolution, expire in PLAN:
            key = '%s:%s:%d' % (name, interval, stamp // step)
            if resolution:
                index, r_bucket = key, stamp // resolution
                pipe.sadd(index, r_bucket)
                key = '%s:%d' % (index, r_bucket)
            write(key, val, 1) if typ == 'histogram' else write(key, val)
            if resolution:
                pipe.expire(index, expire)
            pipe.expire(key, expire)
        pipe.execute()

    def bench_insert(self):
        n = self.args.inserts
        self.section('1. insert(): calls/s, %d calls per repeat, intervals minute + hour '
                     '(resolution 60) + day' % n)
        calls = [('n%d' % (i % 10), i, self.now - 3600 + i * 7) for i in range(n)]
        for typ in TYPES:
            script, multi = self.kairos(typ), self.kairos(typ)
            multi.write_mode = 'multi'

            def run(t):
                return lambda: [t.insert(name, value(typ, i), timestamp=s)
                                for name, i, s in calls]
            base = lambda: [self.baseline_insert(typ, name, value(typ, i), s)
                            for name, i, s in calls]
            t_script, t_multi, t_base = self.medians(run(script), run(multi), base,
                                                     reset=self.client.flushdb)
            self.row('insert %s (script)' % typ, '/s', n / t_script, n / t_base,
                     'redis-py pipeline', goal=1.0)
            self.row('insert %s (write_mode multi)' % typ, '/s', n / t_multi, n / t_base,
                     'redis-py pipeline', note='info')

    # -- 2. bulk_insert -------------------------------------------------------------

    def bulk_data(self, typ, points, names):
        """{timestamp: {name: [value]}}: points / names timestamps, 1 value per name."""
        stamps = points // names
        return {self.now - 3600 + i * 3: {'n%d' % j: [value(typ, i + j)] for j in range(names)}
                for i in range(stamps)}

    def bench_bulk(self):
        names, loop_points = 100, self.args.inserts
        self.section('2. bulk_insert(): points/s over %d names, %d points per repeat for count, '
                     '%d for the others, vs an insert() loop over the first %d of them'
                     % (names, self.args.bulk_points, self.args.bulk_other, loop_points))
        for typ in TYPES:
            points = self.args.bulk_points if typ == 'count' else self.args.bulk_other
            t = self.kairos(typ)
            data = self.bulk_data(typ, points, names)
            flat = [(n, v[0], s) for s, by_name in data.items() for n, v in by_name.items()]
            flat = flat[:loop_points]
            loop = lambda: [t.insert(n, v, timestamp=s) for n, v, s in flat]
            t_bulk, t_loop = self.medians(lambda: t.bulk_insert(data), loop,
                                          reset=self.client.flushdb)
            self.row('bulk_insert %s' % typ, '/s', points / t_bulk, len(flat) / t_loop,
                     'insert() loop', goal=20.0 if typ == 'count' else None)
            if typ == 'count':
                self.client.flushdb()
                t.bulk_insert(data)
                self.check_totals(t, data, names)

    def check_totals(self, t, data, names):
        """Every point of a count bulk is in every interval: read the totals back."""
        stamps = sorted(data)
        expected = len(stamps)
        lost = []
        for name in ('n%d' % j for j in range(names)):
            for interval in INTERVALS:
                got = t.series(name, interval, start=stamps[0], end=stamps[-1], collapse=True)
                total = sum(got.values())
                if total != expected:
                    lost.append('%s/%s: %s of %s' % (name, interval, total, expected))
        self.check('bulk_insert count: no point lost', not lost,
                   '%d points read back in each of %d intervals' % (len(data) * names,
                                                                    len(INTERVALS))
                   if not lost else '; '.join(lost[:3]))

    def bench_memory(self):
        points = self.args.memory_points
        out = subprocess.run([sys.executable, os.path.abspath(__file__), '--memory-child',
                              self.url, str(points)], capture_output=True, text=True)
        if out.returncode:
            self.check('bulk_insert peak memory', False, out.stderr.strip()[-300:])
            return
        increase, seconds = (float(x) for x in out.stdout.split())
        what = 'bulk_insert %d count points: peak RSS increase' % points
        self.rows.append((what, 'MB', increase, None, '', None, ('ok' if increase <= 200
                          else 'MISSED') + ' (goal <= 200 MB)', 'took %.1f s' % seconds))
        if increase > 200:
            self.missed.append('%s: %.0f MB, goal <= 200 MB' % (what, increase))

    # -- 3. reads --------------------------------------------------------------------

    def fill(self, typ, names):
        """24 hours of one value a minute for every name, in every interval."""
        end = self.now + 86400 - 60
        data = {end - i * 60: {name: [value(typ, i)] for name in names}
                for i in range(24 * 60)}
        self.client.flushdb()
        self.kairos(typ).bulk_insert(data)
        return end

    def baseline_read(self, typ, names, interval, steps, end, resolution):
        step = INTERVALS[interval]['step']
        last = end // step
        keys = ['%s:%s:%d' % (n, interval, b) for n in names
                for b in range(last - steps + 1, last + 1)]
        read = READ[typ]
        pipe = self.client.pipeline(transaction=False)
        if not resolution:
            for key in keys:
                read(pipe, key)
            return dict(zip(keys, pipe.execute()))
        for key in keys:
            pipe.smembers(key)
        members = [sorted(m, key=int) for m in pipe.execute()]
        for key, ms in zip(keys, members):
            for m in ms:
                read(pipe, b'%s:%s' % (key.encode(), m))
        data = iter(pipe.execute())
        return {key: {m: next(data) for m in ms} for key, ms in zip(keys, members)}

    def bench_reads(self):
        calls = self.args.reads
        self.section('3. reads: ms per call; hour = 24 steps x 60 resolution buckets, '
                     'minute = 120 coarse steps, all filled')
        names = ['n%d' % j for j in range(10)]
        for typ in TYPES:
            end = self.fill(typ, names)
            t = self.kairos(typ, self.counting)
            cases = [('series %s hour, 1 name' % typ, 'n0', 'hour', 24, True, 0.6),
                     ('series %s hour, 10 names' % typ, names, 'hour', 24, True, None),
                     ('series %s minute, 1 name' % typ, 'n0', 'minute', 120, False, None),
                     ('get %s hour, 1 name' % typ, 'n0', 'hour', 1, True, None)]
            for what, name, interval, steps, resolution, goal in cases:
                group = name if isinstance(name, list) else [name]
                repeat = max(1, calls // len(group))
                if what.startswith('get'):
                    read = lambda: t.get(name, interval, timestamp=end)
                else:
                    read = lambda: t.series(name, interval, steps=steps, end=end)
                read()
                base = lambda: self.baseline_read(typ, group, interval, steps, end, resolution)
                ours = lambda: [read() for _ in range(repeat)]

                def pipelined():
                    t.read_scripts = False
                    try:
                        [read() for _ in range(repeat)]
                    finally:
                        t.read_scripts = True
                before = CountingConnection.sent
                read()
                trips = CountingConnection.sent - before
                t_ours, t_piped, t_base = self.medians(
                    ours, pipelined, lambda: [base() for _ in range(repeat)])
                self.row(what, 'ms', 1000 * t_ours / repeat, 1000 * t_base / repeat,
                         'two pipelines' if resolution else 'one pipeline', goal=goal,
                         better='lower', note='%d round trip(s)' % trips)
                self.row('  same, read_scripts=False', 'ms', 1000 * t_piped / repeat,
                         1000 * t_base / repeat, 'two pipelines' if resolution
                         else 'one pipeline', note='info')
                most = 2 if resolution else 1
                if trips > most:
                    self.missed.append('%s: %d round trips, goal <= %d' % (what, trips, most))


def memory_child(url, points):
    """Print the peak RSS increase (MB) during one bulk_insert, and its seconds."""
    client = redis.Redis.from_url(url)
    client.flushdb()
    t = Timeseries(client, type='count', intervals=INTERVALS)
    now = int(time.time()) // 3600 * 3600 - 3600
    names = ['n%d' % j for j in range(100)]
    data = {now + i * 0.25: {name: [1] for name in names} for i in range(points // 100)}
    t.insert('warm', 1)

    def rss_kb(field):
        with open('/proc/self/status') as status:
            for line in status:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
    try:
        with open('/proc/self/clear_refs', 'w') as clear:
            clear.write('5')  # resets VmHWM, the peak RSS, to the current RSS
        peak_kb = lambda: rss_kb('VmHWM')
    except OSError:  # no /proc: the process' peak so far, which may hide a smaller one
        peak_kb = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    before = rss_kb('VmRSS')
    start = time.perf_counter()
    t.bulk_insert(data)
    seconds = time.perf_counter() - start
    print((peak_kb() - before) / 1024, seconds)
    client.flushdb()


SIZES = {  # full run, --quick run
    'inserts': (1000, 200), 'bulk_points': (100000, 5000), 'bulk_other': (20000, 2000),
    'memory_points': (1000000, 50000), 'reads': (10, 2),
    'mongo_inserts': (100, 30), 'mongo_bulk': (2000, 300), 'mongo_hours': (6, 2),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeats', type=int, default=5, help='repeats per figure (5)')
    parser.add_argument('--quick', action='store_true', help='small sizes: a smoke run')
    parser.add_argument('--memory-child', nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        return memory_child(args.memory_child[0], int(args.memory_child[1]))
    for key, sizes in SIZES.items():
        setattr(args, key, sizes[1] if args.quick else sizes[0])
    if args.repeats < 1:
        parser.error('--repeats must be positive')
    print('$ script/bench %s' % ' '.join(sys.argv[1:]))
    print('date %s; kairos %s, Python %s, redis-py %s, %s, %d CPUs' % (
        datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC'), kairos.__version__,
        platform.python_version(), redis.__version__,
        subprocess.run(['redis-server', '--version'], capture_output=True,
                       text=True).stdout.split(' sha=')[0].strip(), os.cpu_count()))
    print('medians of %d repeats; ratio = kairos / baseline%s\n'
          % (args.repeats, '; QUICK run: sizes too small to judge' if args.quick else ''))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that finally: stops Redis
    url, stop = start_redis()
    started = time.perf_counter()
    try:
        bench = Bench(args, url)
        bench.bench_insert()
        bench.bench_bulk()
        bench.bench_memory()
        bench.bench_reads()
        bench_mongo(bench, TYPES, INTERVALS, PLAN, value)
    finally:
        stop()
    bench.print_table()
    print('\n%.0f s' % (time.perf_counter() - started))
    if bench.missed:
        print('\nGOALS MISSED:\n  ' + '\n  '.join(bench.missed))
        return 1
    print('\nall goals met')
    return 0


if __name__ == '__main__':
    sys.exit(main())
