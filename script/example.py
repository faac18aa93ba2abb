"""kairos demo: every type of time series, a minute and an hour interval.

    script/example                        Redis at redis://localhost:6379/0, or a private one,
                                          or, without redis-server, an SQLite file in a temp dir
    script/example --url mongodb://host   MongoDB (database kairos_example)
    script/example --url mongomock://     in-memory MongoDB, no server needed
    script/example --url sqlite:///kairos.db        SQL: SQLite, or postgresql://user@host/db,
                                                    mysql://user@host/db (tables kairos_example_*)

Inserts a few dozen seeded-random points per type around now, then prints
what get() and series() return, one line per bucket (times are UTC). The
first line says where the data went. Safe to rerun (e.g. `watch -n 4
script/example`): it only touches its own names, under the Redis prefix
'kairos-example:', the Mongo database 'kairos_example' or the SQL tables
'kairos_example_<type>'. On Redis and Mongo it deletes them before
inserting; on SQL it keeps them, so that `watch -n 4 script/example --url
sqlite:///kairos.db` shows data accumulating across runs.
"""

import argparse
import atexit
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from kairos import Timeseries  # noqa: E402

PREFIX = 'kairos-example:'
SQL_SCHEMES = ('sqlite:', 'postgresql:', 'postgresql+', 'mysql:', 'mysql+', 'mariadb')
DATABASE = 'kairos_example'
MINUTES = 3   # minute buckets shown per type: every type fits one `watch` screen
INTERVALS = {
    'minute': {'step': 60, 'steps': 5},
    'hour': {'step': 3600, 'steps': 24, 'resolution': 60},
}


def gauge_value(raw):
    return float(raw) if raw not in ('', None) else None


# type -> (name, what it measures, read_func, value generator)
DEMOS = [
    ('series', 'latency', 'response times in ms', int,
     lambda rng: int(rng.lognormvariate(3.5, 0.6))),
    ('histogram', 'status', 'HTTP status codes', int,
     lambda rng: rng.choices([200, 301, 404, 500], weights=[80, 6, 10, 4])[0]),
    ('count', 'hits', 'requests', None, lambda rng: rng.randint(1, 5)),
    ('gauge', 'temperature', 'degrees C, last reading wins', gauge_value,
     lambda rng: round(rng.uniform(18, 24), 1)),
    ('set', 'visitors', 'distinct user ids', None, lambda rng: 'u%02d' % rng.randint(1, 12)),
    ('summary', 'payload', 'response sizes in kB, five figures a bucket', None,
     lambda rng: round(rng.lognormvariate(2, 0.8), 1)),
    ('distinct', 'users', 'distinct user ids, estimated (HyperLogLog)', None,
     lambda rng: 'u%02d' % rng.randint(1, 40)),
    ('sketch', 'render', 'render times in ms, percentiles within 1%', None,
     lambda rng: round(rng.lognormvariate(3, 0.7), 1)),
]


def hhmm(timestamp) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime('%H:%M')


# -- connecting ----------------------------------------------------------------

def start_private_redis():
    """Start redis-server on a free port in a temp dir, stopped at exit; return its URL."""
    from tests.support import RedisServer
    server = RedisServer(prefix='kairos-example-').start()
    atexit.register(server.stop)
    return server.url


def connect_sql(url):
    """An SQLAlchemy engine for an sqlite://, postgresql:// or mysql:// URL."""
    try:
        import sqlalchemy
    except ImportError:
        sys.exit('--url %s needs SQLAlchemy: pip install kairos[sql]' % url)
    url = url.replace('postgresql://', 'postgresql+psycopg://', 1).replace(
        'mysql://', 'mysql+pymysql://', 1)
    engine = sqlalchemy.create_engine(url)
    try:
        engine.connect().close()
    except Exception as exc:  # any driver's error: one line, no traceback
        sys.exit('no database answers at %s (%s)' % (url, type(exc).__name__))
    return engine


def sqlite_fallback(why):
    """An SQLite file in a temp dir, removed at exit."""
    directory = tempfile.mkdtemp(prefix='kairos-example-')
    atexit.register(shutil.rmtree, directory, True)
    url = 'sqlite:///' + os.path.join(directory, 'kairos.db')
    return connect_sql(url), 'an SQLite file in a temp dir (%s): %s' % (why, url)


def connect(url):
    """(client, description) for --url; exits with one line when that is impossible."""
    if url.startswith(SQL_SCHEMES):
        return connect_sql(url), url
    if url.startswith('mongomock://'):
        import mongomock_ng
        return mongomock_ng.MongoClient()[DATABASE], 'mongomock (in memory), database ' + DATABASE
    if url.startswith(('mongodb://', 'mongodb+srv://')):
        import pymongo
        client = pymongo.MongoClient(url, serverSelectionTimeoutMS=3000)
        try:
            client.admin.command('ping')
        except pymongo.errors.PyMongoError as exc:
            sys.exit('no MongoDB answers at %s (%s)' % (url, type(exc).__name__))
        return client[DATABASE], '%s, database %s' % (url, DATABASE)
    if not url.startswith(('redis://', 'rediss://', 'unix://')):
        sys.exit('unsupported --url %r: use redis://, mongodb://, mongomock://, sqlite://, '
                 'postgresql:// or mysql://' % url)
    import redis
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError:
        if not shutil.which('redis-server'):
            return sqlite_fallback('no Redis at %s and no redis-server installed' % url)
        url = start_private_redis()
        client = redis.Redis.from_url(url)
        return client, 'a private redis-server at %s (no Redis at the given URL; stopped ' \
            'at exit), prefix %s' % (url, PREFIX)
    return client, '%s, prefix %s' % (url, PREFIX)


# -- the demo ------------------------------------------------------------------

def points(rng, now):
    """Timestamps: most in the last 5 minutes, a few earlier in the last 2 hours."""
    recent = [now - rng.uniform(0, 300) for _ in range(30)]
    older = [now - rng.uniform(300, 7200) for _ in range(8)]
    return sorted(recent + older)


def fill(client, now):
    """One Timeseries per type, fresh data inserted (after the old is deleted, but on SQL)."""
    rng = random.Random(20240229)
    built = []
    sql = type(client).__module__.startswith('sqlalchemy')
    for type_, name, what, read_func, value in DEMOS:
        options = {'value_type': str, 'table_name': 'kairos_example_' + type_} if sql else {}
        t = Timeseries(client, type=type_, prefix=PREFIX, read_func=read_func,
                       intervals=INTERVALS, **options)
        if not sql:
            t.delete(name)
        inserts = {}
        stamps = points(rng, now)
        for stamp in stamps[:-1]:
            inserts.setdefault(stamp, {}).setdefault(name, []).append(value(rng))
        t.bulk_insert(inserts)
        t.insert(name, value(rng), timestamp=stamps[-1])
        built.append((type_, name, what, t))
    return built


def stats(row):
    """Columns for a series row after transform=['count', 'min', 'max', 'mean']."""
    return '%5d %5d %5d %7.1f' % (row['count'], row['min'], row['max'], row['mean'])


def hist(row):
    """Columns for a histogram row after transform={'total': 'count', 'codes': ...}."""
    codes = ' '.join('%d:%d' % (code, n) for code, n in sorted(row['codes'].items()))
    return '%5d  %s' % (row['total'], codes or '-')


def members(row):
    return '%5d  %s' % (row['count'], ' '.join(sorted(row['members'])) or '-')


def figures(row):
    """Columns for a summary row (None: an empty bucket)."""
    if row is None:
        return '%5d' % 0
    return '%5d %5.1f %5.1f %7.1f %6.1f' % (row['count'], row['min'], row['max'], row['mean'],
                                            row['stddev'])


def quantiles(row):
    """Columns for a sketch row after its count and percentile transforms."""
    if row['count'] is None:
        return '%5d' % 0
    return '%5d %5.1f %5.1f %5.1f' % (row['count'], row['p50'], row['p90'], row['p99'])


def bar(value, short=False):
    return '%5d' % value if short else '%5d  %s' % (value, '#' * min(int(value), 40))


def reading(value):
    return '%5s' % ('-' if value is None else '%.1f' % value)


# type -> (column header, transform, formatter)
VIEWS = {
    'series': ('count   min   max    mean', ['count', 'min', 'max', 'mean'], stats),
    'histogram': ('total  value:count', {'total': 'count', 'codes': dict}, hist),
    'count': ('  sum', None, bar),
    'gauge': ('value', None, reading),
    'set': ('count  members', {'count': 'count', 'members': sorted}, members),
    'summary': ('count   min   max    mean stddev', None, figures),
    'distinct': ('users', None, bar),
    'sketch': ('count   p50   p90   p99', {'count': 'count', 'p50': 'median', 'p90': 'p90',
                                         'p99': 'p99'}, quantiles),
}


def short(fmt, row):
    """A row without its bar: hour totals would not fit."""
    return fmt(row, short=True) if fmt is bar else fmt(row)


def show(type_, name, what, t, now):
    header, transform, fmt = VIEWS[type_]
    print('%s %r: %s' % (type_.upper(), name, what))
    print('  %-6s %s' % ('UTC', header))
    minutes = t.series(name, 'minute', end=now, steps=MINUTES, transform=transform)
    for start, row in minutes.items():
        print('  %-6s %s' % (hhmm(start), fmt(row)))
    hour = t.get(name, 'hour', timestamp=now, condensed=True, transform=transform)
    for start, row in hour.items():
        print('  %-6s %s   <- get(hour, condensed)' % (hhmm(start) + 'h', short(fmt, row)))
    two = t.series(name, 'hour', end=now, steps=2, collapse=True, transform=transform)
    for start, row in two.items():
        print('  %-6s %s   <- series(hour, steps=2, collapse)'
              % (hhmm(start) + '+', short(fmt, row)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--url', default='redis://localhost:6379/0',
                        help='redis://..., mongodb://..., mongomock://, sqlite:///file, '
                             'postgresql://... or mysql://... '
                             '(default: %(default)s)')
    args = parser.parse_args(argv)
    client, where = connect(args.url)
    now = time.time()
    built = fill(client, now)
    print('kairos example on %s; now %s UTC' % (where, datetime.fromtimestamp(
        now, timezone.utc).strftime('%H:%M:%S')))
    print('minute: step 60, steps 5 (the last %d shown); hour: step 3600, resolution 60'
          % MINUTES)
    for type_, name, what, t in built:
        show(type_, name, what, t, now)
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except BrokenPipeError:  # e.g. piped into head, which stopped reading: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
