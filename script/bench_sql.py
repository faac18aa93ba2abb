"""How fast the SQL backend is next to hand-written driver code, in one run.

    script/bench_sql.py              SQLite file (temp dir) and a private PostgreSQL
    script/bench_sql.py --quick      small sizes, a smoke run
    script/bench_sql.py --postgres-url postgresql://user@host/db   an existing server

Every figure is the median of ``--repeats`` runs, kairos and its baseline
alternately on the same database. The baselines do by hand what kairos does:

* bulk: merge the points per bucket in a dict, then ``executemany`` the same
  upserts (``INSERT ... ON CONFLICT ... DO UPDATE``) in one transaction, with
  sqlite3 or psycopg directly;
* read: one SELECT of the name's rows in the 24 buckets, grouped into
  {bucket start: {minute start: count}} with every bucket present, as
  ``series()`` returns it.

Prints each ratio next to its goal; exits 1 when one is missed.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import OrderedDict

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import sqlalchemy  # noqa: E402

from kairos import Timeseries  # noqa: E402

INTERVALS = {
    'minute': {'step': 60, 'steps': 120},
    'hour': {'step': 3600, 'steps': 24, 'resolution': 60},
    'day': {'step': 86400, 'steps': 30},
}
NAMES = ['n%d' % j for j in range(100)]
UPSERT = ('INSERT INTO count (name, "interval", i_time, r_time, count) VALUES ({p}, {p}, {p}, '
          '{p}, {p}) ON CONFLICT (name, "interval", i_time{r}) {where}DO UPDATE SET '
          'count = count.count + excluded.count')
SELECT = ('SELECT i_time, r_time, count FROM count WHERE "interval" = {p} AND name = {p} '
          'AND i_time BETWEEN {p} AND {p}')


def points(count, now):
    """{timestamp: {name: [1]}}: ``count`` points, 100 names, a timestamp every 15 s."""
    return {now - i * 15: {name: [1] for name in NAMES} for i in range(count // len(NAMES))}


def merged(data, prefix):
    """The upserts of ``data`` by hand: {(interval, name, i_time, r_time): count}."""
    rows = {}
    plan = [(name, c['step'], c.get('resolution')) for name, c in INTERVALS.items()]
    for stamp, by_name in data.items():
        buckets = [(interval, int(stamp // step), int(stamp // res) if res else None)
                   for interval, step, res in plan]
        for name, values in by_name.items():
            total = sum(values)
            for interval, i_time, r_time in buckets:
                key = (prefix + name, interval, i_time, r_time)
                rows[key] = rows.get(key, 0) + total
    return rows


class Driver:
    """The hand-written side: a DB-API connection and the SQL of one dialect."""

    def __init__(self, engine):
        self.dialect = engine.dialect.name
        self.connection = engine.raw_connection().driver_connection
        p = '?' if self.dialect == 'sqlite' else '%s'
        self.coarse = UPSERT.format(p=p, r='', where='WHERE r_time IS NULL ')
        self.fine = UPSERT.format(p=p, r=', r_time', where='')
        self.select = SELECT.format(p=p)

    def bulk(self, data):
        coarse, fine = [], []
        for (name, interval, i_time, r_time), count in merged(data, 'hand-').items():
            (coarse if r_time is None else fine).append((name, interval, i_time, r_time, count))
        cursor = self.connection.cursor()
        if self.dialect == 'sqlite':
            cursor.execute('BEGIN')
        cursor.executemany(self.coarse, coarse)
        cursor.executemany(self.fine, fine)
        self.connection.commit()

    def series(self, name, end):
        last = end // 3600
        first = last - 23
        cursor = self.connection.cursor()
        cursor.execute(self.select, ('hour', name, first, last))
        rval = OrderedDict((i * 3600, {}) for i in range(first, last + 1))
        for i_time, r_time, count in sorted(cursor.fetchall(), key=lambda row: row[1]):
            rval[i_time * 3600][r_time * 60] = int(count) if count == int(count) else count
        self.connection.commit()
        return rval


def timed(func, *args):
    start = time.perf_counter()
    func(*args)
    return time.perf_counter() - start


def clear(engine):
    with engine.begin() as connection:
        connection.exec_driver_sql('DELETE FROM count')


def bench(label, url, args, rows, missed):
    engine = sqlalchemy.create_engine(url)
    now = int(time.time()) // 3600 * 3600 - 1
    # the clock stays at now: an hour turning mid-run must not retire the oldest bucket read
    t = Timeseries(engine, type='count', intervals=INTERVALS, clock=lambda: now)
    driver = Driver(engine)
    data = points(args.points, now)

    # bulk_insert against the hand-written executemany, and against insert()
    ours, theirs, singles = [], [], []
    for _ in range(args.repeats):
        clear(engine)
        theirs.append(timed(driver.bulk, data))
        ours.append(timed(t.bulk_insert, data))
        stamps = list(data)[:args.inserts // len(NAMES) or 1]
        singles.append(timed(lambda: [t.insert('one-' + n, 1, timestamp=s)
                                      for s in stamps for n in NAMES]) /
                       (len(stamps) * len(NAMES)))
    rate, base = args.points / statistics.median(ours), args.points / statistics.median(theirs)
    insert_rate = 1 / statistics.median(singles)
    check(rows, missed, '%s bulk_insert %d count points, 100 names' % (label, args.points),
          '%.0f /s' % rate, '%.0f /s executemany' % base, rate / base, '>=', 0.8)
    check(rows, missed, '%s bulk_insert vs insert() loop' % label, '%.0f /s' % rate,
          '%.0f /s insert()' % insert_rate, rate / insert_rate, '>=', 20)

    # series() of 24 hours at minute resolution: one query
    clear(engine)
    end = now
    t.bulk_insert({end - i * 60: {'read': [1 + i % 3]} for i in range(24 * 60)})
    expected = driver.series('read', end)
    got = t.series('read', 'hour', steps=24, end=end)
    assert got == expected, 'kairos and the baseline disagree'
    ours, theirs = [], []
    for _ in range(args.repeats * 20):   # a read is short: many pairs for a steady median
        theirs.append(timed(driver.series, 'read', end))
        ours.append(timed(t.series, 'read', 'hour', 24, False, None, end))
    check(rows, missed, '%s series(hour, steps=24), 24 x 60 buckets' % label,
          '%.2f ms' % (1000 * statistics.median(ours)),
          '%.2f ms query+grouping' % (1000 * statistics.median(theirs)),
          statistics.median(ours) / statistics.median(theirs), '<=', 1.2)
    clear(engine)
    driver.connection.close()
    engine.dispose()


def check(rows, missed, what, ours, base, ratio, sense, goal):
    ok = ratio >= goal if sense == '>=' else ratio <= goal
    rows.append('%-52s %12s %24s %6.2fx  goal %s %sx %s' % (
        what, ours, base, ratio, sense, goal, '' if ok else 'MISSED'))
    if not ok:
        missed.append(what)


def memory_child(url, count):
    """Print the peak RSS increase (MB) of one bulk_insert of ``count`` points."""
    engine = sqlalchemy.create_engine(url)
    t = Timeseries(engine, type='count', intervals=INTERVALS)
    data = points(count, int(time.time()) // 3600 * 3600 - 1)
    t.insert('warm', 1)
    with open('/proc/self/clear_refs', 'w') as refs:
        refs.write('5')   # resets VmHWM, the peak RSS, to the current RSS

    def status(field):
        with open('/proc/self/status') as lines:
            return next(int(line.split()[1]) for line in lines if line.startswith(field))
    before = status('VmRSS:')
    start = time.perf_counter()
    t.bulk_insert(data)
    print((status('VmHWM:') - before) / 1024, time.perf_counter() - start)


def start_postgres():
    from tests.support import PostgresServer
    server = PostgresServer(prefix='kairos-bench-').start()
    return server.url, server.stop


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true')
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--postgres-url')
    parser.add_argument('--memory-child', nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        return memory_child(args.memory_child[0], int(args.memory_child[1]))
    args.points, args.inserts, memory = (5000, 300, 50000) if args.quick else \
        (100000, 2000, 1000000)
    directory = tempfile.mkdtemp(prefix='kairos-bench-sql-')
    rows, missed, stops = [], [], [lambda: shutil.rmtree(directory, ignore_errors=True)]
    try:
        sqlite = 'sqlite:///' + os.path.join(directory, 'bench.db')
        bench('SQLite', sqlite, args, rows, missed)
        url = args.postgres_url
        if not url:
            url, stop = start_postgres()
            stops.append(stop)
        url = url.replace('postgresql://', 'postgresql+psycopg://', 1)
        bench('PostgreSQL', url, args, rows, missed)
        out = subprocess.run([sys.executable, os.path.abspath(__file__), '--memory-child',
                              sqlite, str(memory)], capture_output=True, text=True)
        if out.returncode:
            rows.append('memory run failed: ' + out.stderr.strip()[-300:])
            missed.append('memory')
        else:
            growth, seconds = (float(x) for x in out.stdout.split())
            ok = growth <= 200
            rows.append('%-52s %12s %24s %7s  goal <= 200 MB %s' % (
                'SQLite bulk_insert of %d count points' % memory, '+%.1f MB' % growth,
                'peak RSS (%.1f s)' % seconds, '', '' if ok else 'MISSED'))
            if not ok:
                missed.append('memory')
    finally:
        for stop in stops:
            stop()
    print('script/bench_sql.py%s  (%s UTC, medians of %d; Python %s, SQLAlchemy %s, SQLite %s)'
          % (' --quick' if args.quick else '', time.strftime('%Y-%m-%d %H:%M', time.gmtime()),
             args.repeats, sys.version.split()[0], sqlalchemy.__version__,
             __import__('sqlite3').sqlite_version))
    for row in rows:
        print(row)
    if missed:
        print('missed: ' + '; '.join(missed))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
