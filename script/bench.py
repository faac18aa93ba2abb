"""What kairos costs, on the client and on the server, next to hand-written redis-py code.

Starts a private redis-server, measures every figure ``repeats`` times
(kairos and its baseline alternately, so drift hits both alike), prints the
medians in one table and exits 1 if one of its goals is missed.

    script/bench              the full run (about 4 minutes on 2 cores)
    script/bench --quick      a smoke run with small sizes
    script/bench --repeats 9
    script/bench --only insert,reads
    script/bench --only wide  many names, percentiles, regrouping (bench_wide.py)
    script/bench --only types the statistics types next to histogram (bench_types.py)
    script/bench --mixed      writers' latency with and without readers (bench_mixed.py)

Server time is what Redis itself counts in ``INFO commandstats``, reset
before and read after each measured loop: the microseconds its commands ran,
without parsing and network I/O. Redis counts a command run inside MULTI/EXEC
or a script twice (in EXEC or EVALSHA, and under its own name), so a loop that
ran any EXEC or script is charged only MULTI, EXEC, EVAL and EVALSHA; a loop
must therefore not mix plain commands with those. The longest command is the
largest p99.9 of ``INFO latencystats`` over a loop, the median over the repeats
(its p100 is shown too: on a shared machine it is often a plain GET that the
kernel paused mid-command).

Round trips are counted as calls of ``Connection.send_packed_command``
outside the connection handshake.
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
from collections import OrderedDict
from datetime import datetime, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import redis  # noqa: E402

import kairos  # noqa: E402
from kairos import Timeseries  # noqa: E402
from bench_mongo import bench_mongo  # noqa: E402
from bench_types import bench_types  # noqa: E402
from bench_wide import bench_wide  # noqa: E402
from tests.support import CountingConnection, RedisServer  # noqa: E402

TYPES = ('series', 'histogram', 'count', 'gauge', 'set')
INTERVALS = {
    'minute': {'step': 60, 'steps': 120},
    'hour': {'step': 3600, 'steps': 24, 'resolution': 60},
    'day': {'step': 86400, 'steps': 30},
}
COARSE = {name: c for name, c in INTERVALS.items() if 'resolution' not in c}


def plan_of(intervals):
    """name, step, resolution (None when coarse), expire: the layout kairos writes."""
    return [(name, c['step'], c.get('resolution'), c['step'] * c['steps'])
            for name, c in intervals.items()]


PLAN = plan_of(INTERVALS)
WRITE = {'series': 'rpush', 'histogram': 'hincrby', 'count': 'incrby', 'gauge': 'set',
         'set': 'sadd'}
READ = {'series': lambda p, k: p.lrange(k, 0, -1), 'histogram': lambda p, k: p.hgetall(k),
        'count': lambda p, k: p.get(k), 'gauge': lambda p, k: p.get(k),
        'set': lambda p, k: p.smembers(k)}
# the bench's own commands, left out of the server figures
OWN = ('info', 'config', 'flushdb', 'client', 'hello', 'select', 'ping', 'command')
WRAPPERS = ('exec', 'eval', 'evalsha')


def value(typ, i):
    return 1 if typ == 'count' else str(i % 10)


def start_redis():
    server = RedisServer(prefix='kairos-bench-').start()
    return server.url, server.stop


class Server:
    """Server time and longest command of a loop, from INFO commandstats and latencystats."""

    def __init__(self, client):
        self.client = client
        client.config_set('latency-tracking-info-percentiles', '50 99 99.9 100')

    def reset(self):
        self.client.config_resetstat()

    def read(self):
        """(microseconds Redis spent, (longest command's p99.9 usec, its name, its p100,
        the largest p99 of any command))."""
        stats = {name[len('cmdstat_'):]: v for name, v in self.client.info('commandstats').items()}
        stats = {name: v for name, v in stats.items() if name.split('|')[0] not in OWN}
        wrapped = any(name in WRAPPERS for name in stats)
        usec = sum(v['usec'] for name, v in stats.items()
                   if not wrapped or name in WRAPPERS + ('multi',))
        prefix = 'latency_percentiles_usec_'
        latencies = {name[len(prefix):]: v
                     for name, v in self.client.info('latencystats').items()
                     if name[len(prefix):].split('|')[0] not in OWN}
        longest = max(((v['p99.9'], name, v['p100']) for name, v in latencies.items()),
                      default=(0, '-', 0))
        return usec, longest + (max((v['p99'] for v in latencies.values()), default=0),)


class Figures:
    """Medians of one job over the repeats: seconds, server usec, longest command, and
    the largest p99 of any command.

    The longest command is the median of the repeats' longest, so that one
    repeat in which the kernel paused the server does not decide it.
    """

    def __init__(self, seconds, usecs, longest):
        self.seconds = statistics.median(seconds)
        self.usec = statistics.median(usecs)
        self.longest = sorted(l[:3] for l in longest)[len(longest) // 2]
        self.p99 = statistics.median(l[3] for l in longest)


class Bench:
    def __init__(self, args, url):
        self.args, self.url = args, url
        self.client = redis.Redis.from_url(url)
        self.counting = redis.Redis(connection_pool=redis.ConnectionPool.from_url(
            url, connection_class=CountingConnection))
        self.server = Server(self.client)
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
                    what.strip(), ratio, '>=' if better == 'higher' else '<=', goal))
        self.rows.append((what, unit, ours, base, base_name, ratio, verdict, note))

    def check(self, what, ok, detail):
        self.rows.append((what, '', None, None, '', None, 'ok' if ok else 'MISSED', detail))
        if not ok:
            self.missed.append('%s: %s' % (what.strip(), detail))

    def server_rows(self, what, ours, base, per, base_name, goal, longest_goal=None):
        """Server usec per call (or point) of kairos and baseline, and kairos' longest command."""
        self.row('  %s server' % what, 'us', ours.usec / per, base.usec / per, base_name,
                 goal=goal, better='lower', note='longest %.0f us (%s, p100 %.0f); baseline '
                 '%.0f us' % (ours.longest + base.longest[:1]))
        if longest_goal is not None:
            self.check('  %s longest command' % what, ours.longest[0] <= longest_goal,
                       '%.0f us %s, goal <= %.0f us' % (ours.longest[0], ours.longest[1],
                                                        longest_goal))

    def print_table(self):
        print('%-44s %14s %14s  %-18s %7s  %s' % ('measurement (median)', 'kairos', 'baseline',
                                                  'baseline is', 'ratio', 'goal / note'))
        for row in self.rows:
            if len(row) == 1:
                print('\n' + row[0])
                continue
            what, unit, ours, base, base_name, ratio, verdict, note = row
            fmt = lambda v: '' if v is None else ('%.3g %s' % (v, unit) if v < 100
                                                  else '%.0f %s' % (v, unit))
            print('%-44s %14s %14s  %-18s %7s  %s' % (
                what, fmt(ours), fmt(base), base_name,
                '' if ratio is None else '%.2fx' % ratio,
                ' '.join(x for x in (verdict, note) if x)))

    # -- helpers -----------------------------------------------------------------

    def measure(self, *jobs, reset=None):
        """Run each job ``repeats`` times, in turn; Figures of each.

        ``reset`` runs before every timed job (e.g. to empty the database).
        """
        runs = [([], [], []) for _ in jobs]
        order = list(enumerate(jobs))
        for _ in range(self.args.repeats):
            order.reverse()  # ABC CBA ABC: neither side always runs first
            for index, job in order:
                if reset:
                    reset()
                self.server.reset()
                start = time.perf_counter()
                job()
                runs[index][0].append(time.perf_counter() - start)
                usec, longest = self.server.read()
                runs[index][1].append(usec)
                runs[index][2].append(longest)
        return [Figures(*run) for run in runs]

    def medians(self, *jobs, reset=None):
        """Median seconds of each job (see measure)."""
        return [f.seconds for f in self.measure(*jobs, reset=reset)]

    def kairos(self, typ, client=None, intervals=INTERVALS):
        return Timeseries(self.client if client is None else client, type=typ,
                          intervals=intervals)

    # -- 1. insert ----------------------------------------------------------------

    def baseline_insert(self, typ, plan, name, val, stamp):
        pipe = self.client.pipeline(transaction=False)
        write = getattr(pipe, WRITE[typ])
        for interval, step, resolution, expire in plan:
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
        self.section('1. insert(): calls/s and server us per call, %d calls per repeat over 10 '
                     'names, a new Timeseries each repeat; "resolution": minute + hour '
                     '(resolution 60) + day, "coarse": minute + day' % n)
        # steady: every name written every 6 s (10 writes per minute bucket);
        # new keys: a name every 70 s, so that every call writes keys no call wrote before
        steady = [('n%d' % (i % 10), i, self.now - 600 + i * 0.6) for i in range(n)]
        sparse = [('n%d' % (i % 10), i, self.now - 3600 + i * 7) for i in range(n)]
        cases = [('resolution', INTERVALS, steady, True), ('coarse', COARSE, steady, True),
                 ('resolution, every key new', INTERVALS, sparse, False)]
        for typ in TYPES:
            for label, intervals, calls, goals in cases:
                plan = plan_of(intervals)

                def ours():
                    t = self.kairos(typ, intervals=intervals)
                    for name, i, stamp in calls:
                        t.insert(name, value(typ, i), timestamp=stamp)

                def base():
                    for name, i, stamp in calls:
                        self.baseline_insert(typ, plan, name, value(typ, i), int(stamp))
                mine, theirs = self.measure(ours, base, reset=self.client.flushdb)
                what = 'insert %s, %s' % (typ, label)
                self.row(what, '/s', n / mine.seconds, n / theirs.seconds,
                         'pipeline per call', goal=1.0 if goals else None,
                         note='' if goals else 'info')
                self.server_rows(what, mine, theirs, n, 'same', 2.0 if goals else None)

    # -- 2. bulk_insert -------------------------------------------------------------

    def bulk_data(self, typ, points, names):
        """{timestamp: {name: [value]}}: points / names timestamps, 1 value per name."""
        stamps = points // names
        return {self.now - 3600 + i * 3: {'n%d' % j: [value(typ, i + j)] for j in range(names)}
                for i in range(stamps)}

    def merged_pipeline(self, typ, data):
        """The writes of a bulk insert merged per bucket by hand: one pipeline per 20,000."""
        buckets = OrderedDict()
        for stamp, by_name in data.items():
            for name, values in by_name.items():
                for interval, step, resolution, expire in PLAN:
                    key = '%s:%s:%d' % (name, interval, stamp // step)
                    r_bucket = stamp // resolution if resolution else None
                    buckets.setdefault((key, r_bucket, expire), []).extend(values)
        pipe = self.client.pipeline(transaction=False)
        for (key, r_bucket, expire), values in buckets.items():
            if r_bucket is not None:
                pipe.sadd(key, r_bucket)
                pipe.expire(key, expire)
                key = '%s:%d' % (key, r_bucket)
            if typ == 'series':
                pipe.rpush(key, *values)
            elif typ == 'histogram':
                for v in OrderedDict.fromkeys(values):
                    pipe.hincrby(key, v, values.count(v))
            elif typ == 'count':
                pipe.incrby(key, sum(values))
            elif typ == 'gauge':
                pipe.set(key, values[-1])
            else:
                pipe.sadd(key, *OrderedDict.fromkeys(values))
            pipe.expire(key, expire)
            if len(pipe) >= 20000:
                pipe.execute()
        pipe.execute()

    def bench_bulk(self):
        names, loop_points = 100, self.args.inserts
        self.section('2. bulk_insert(): points/s over %d names, %d points per repeat for count, '
                     '%d for the others; "new keys": a new Timeseries each repeat, "verified": '
                     'one that wrote the same keys before; vs a hand-merged pipeline and an '
                     'insert() loop over the first %d points'
                     % (names, self.args.bulk_points, self.args.bulk_other, loop_points))
        for typ in TYPES:
            points = self.args.bulk_points if typ == 'count' else self.args.bulk_other
            data = self.bulk_data(typ, points, names)
            flat = [(n, v[0], s) for s, by_name in data.items() for n, v in by_name.items()]
            flat = flat[:loop_points]
            t, warm = self.kairos(typ), self.kairos(typ)
            self.client.flushdb()
            warm.bulk_insert(data)
            loop = lambda: [t.insert(n, v, timestamp=s) for n, v, s in flat]
            fresh, verified, merged, looped = self.measure(
                lambda: self.kairos(typ).bulk_insert(data), lambda: warm.bulk_insert(data),
                lambda: self.merged_pipeline(typ, data), loop, reset=self.client.flushdb)
            what = 'bulk_insert %s' % typ
            # the insert() loop's Timeseries has written its keys before: so has `warm`
            self.row(what + ', verified', '/s', points / verified.seconds,
                     len(flat) / looped.seconds, 'insert() loop',
                     goal=20.0 if typ == 'count' else None)
            self.row(what + ', new keys', '/s', points / fresh.seconds,
                     points / merged.seconds, 'merged pipeline', note='info')
            self.server_rows(what + ', new keys, per point', fresh, merged, points,
                             'merged pipeline', None)
            self.server_rows(what + ', verified, per point', verified, merged, points,
                             'merged pipeline', 1.3)
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
        self.section('3. reads: ms per call and server us per call; hour = 24 steps x 60 '
                     'resolution buckets, minute = 120 coarse steps, all filled')
        names = ['n%d' % j for j in range(10)]
        for typ in TYPES:
            end = self.fill(typ, names)
            t = self.kairos(typ, self.counting)
            cases = [('series %s hour, 1 name' % typ, 'n0', 'hour', 24, True),
                     ('series %s hour, 10 names' % typ, names, 'hour', 24, True),
                     ('series %s minute, 1 name' % typ, 'n0', 'minute', 120, False),
                     ('get %s hour, 1 name' % typ, 'n0', 'hour', 1, True)]
            longest_one = None
            for what, name, interval, steps, resolution in cases:
                group = name if isinstance(name, list) else [name]
                repeat = max(1, calls // len(group))
                if what.startswith('get'):
                    read = lambda: t.get(name, interval, timestamp=end)
                else:
                    read = lambda: t.series(name, interval, steps=steps, end=end)
                read()
                base = lambda: self.baseline_read(typ, group, interval, steps, end, resolution)
                before = CountingConnection.sent
                read()
                trips = CountingConnection.sent - before
                mine, theirs = self.measure(lambda: [read() for _ in range(repeat)],
                                            lambda: [base() for _ in range(repeat)])
                base_name = 'two pipelines' if resolution else 'one pipeline'
                self.row(what, 'ms', 1000 * mine.seconds / repeat, 1000 * theirs.seconds / repeat,
                         base_name, goal=0.6 if steps == 24 else None, better='lower',
                         note='%d round trip(s)' % trips)
                self.server_rows(what, mine, theirs, repeat, base_name, 1.5,
                                 1000 if steps == 24 else None)
                if steps == 24 and len(group) == 1:
                    longest_one = mine.p99
                elif steps == 24:
                    # Growth with the names read is judged on each loop's largest p99: a
                    # p99.9 of a thousand commands is about their maximum, which a kernel
                    # pause of the server decides. Tens of microseconds move by 2x run to
                    # run: growth counts above 100 us.
                    self.check('  10 names block no longer than 1', mine.p99 <= max(
                        2 * longest_one, 100), 'largest p99 %.0f us, 1 name %.0f us (goal <= '
                        '2x or 100 us)' % (mine.p99, longest_one))
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


def machine():
    """One line on when and where a run was made: the versions, the CPUs, the load."""
    return 'date %s; kairos %s, Python %s, redis-py %s, %s, %d CPUs, load %s' % (
        datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC'), kairos.__version__,
        platform.python_version(), redis.__version__,
        subprocess.run(['redis-server', '--version'], capture_output=True,
                       text=True).stdout.split(' sha=')[0].strip(), os.cpu_count(),
        ' '.join('%.2f' % x for x in os.getloadavg()))


def conclude(missed):
    """Print the goals missed, or that all were met; return the exit status."""
    if missed:
        print('\nGOALS MISSED:\n  ' + '\n  '.join(missed))
        return 1
    print('\nall goals met')
    return 0


SIZES = {  # full run, --quick run
    'inserts': (1000, 200), 'bulk_points': (100000, 5000), 'bulk_other': (20000, 2000),
    'memory_points': (1000000, 50000), 'reads': (10, 2),
    'mongo_inserts': (100, 30), 'mongo_bulk': (2000, 300), 'mongo_hours': (6, 2),
    'mixed_seconds': (10, 3),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeats', type=int, default=5, help='repeats per figure (5)')
    parser.add_argument('--quick', action='store_true', help='small sizes: a smoke run')
    parser.add_argument('--mixed', action='store_true',
                        help="only the mixed load: writers' latency with and without readers")
    parser.add_argument('--only', help='comma-separated sections: insert,bulk,memory,reads,mongo,'
                        'wide,types')
    parser.add_argument('--memory-child', nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        return memory_child(args.memory_child[0], int(args.memory_child[1]))
    for key, sizes in SIZES.items():
        setattr(args, key, sizes[1] if args.quick else sizes[0])
    if args.repeats < 1:
        parser.error('--repeats must be positive')
    print('$ script/bench %s' % ' '.join(sys.argv[1:]))
    print(machine())
    print('medians of %d repeats; ratio = kairos / baseline%s\n'
          % (args.repeats, '; QUICK run: sizes too small to judge' if args.quick else ''))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that finally: stops Redis
    url, stop = start_redis()
    started = time.perf_counter()
    try:
        bench = Bench(args, url)
        if args.mixed:
            from bench_mixed import bench_mixed
            bench_mixed(bench)
        else:
            sections = {'insert': bench.bench_insert, 'bulk': bench.bench_bulk,
                        'memory': bench.bench_memory, 'reads': bench.bench_reads,
                        'mongo': lambda: bench_mongo(bench, TYPES, INTERVALS, PLAN, value),
                        'wide': lambda: bench_wide(bench, bench.fill, INTERVALS),
                        'types': lambda: bench_types(bench, INTERVALS)}
            for name in (args.only.split(',') if args.only else sections):
                sections[name]()
    finally:
        stop()
    bench.print_table()
    print('\n%.0f s' % (time.perf_counter() - started))
    return conclude(bench.missed)


if __name__ == '__main__':
    sys.exit(main())
