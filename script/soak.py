"""What 1,000 Timeseries, each created, used (insert, get, series) and dropped, leave behind.

For each backend and each way of giving it a client (a client object made for
each Timeseries, or a URL the Timeseries builds its client from), prints the
process's RSS before and after, and what is still alive once ``gc.collect()``
ran: driver pools, connections, engines and clients, open files, and the
connections the server counts. Exits 1 if anything but RSS grew.

    script/soak                       every backend, 1,000 Timeseries each
    script/soak --count 200 --only redis,sqlite
    script/soak --trace               also the memory tracemalloc counts (much slower)

The backends: redis, cluster, mongo (mongomock_ng; KAIROS_TEST_MONGO_URL for a
real one), sqlite (a file and memory), postgresql, mysql (private servers where
installed, as the tests start them; skipped otherwise).
"""

import argparse
import atexit
import importlib
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import redis  # noqa: E402

from kairos import Timeseries  # noqa: E402
from tests.functional.soak import INTERVALS, soak  # noqa: E402
from tests import support  # noqa: E402

BACKENDS = ('redis', 'cluster', 'mongo', 'sqlite', 'postgresql', 'mysql')


def _clients(client):
    return int(client.info('clients')['connected_clients'])


def redis_sources():
    url = support.redis_url()
    probe = redis.Redis.from_url(url)
    yield 'redis.Redis objects', lambda: redis.Redis.from_url(url), lambda: _clients(probe)
    yield 'redis:// URLs', lambda: url, lambda: _clients(probe)


def cluster_sources():
    from redis.cluster import RedisCluster
    url = support.redis_cluster_url()
    probe = RedisCluster.from_url(url)

    def server():
        return sum(_clients(probe.get_redis_connection(node)) for node in probe.get_nodes())
    yield 'RedisCluster objects', lambda: RedisCluster.from_url(url), server
    yield 'redis+cluster:// URLs', lambda: url.replace('redis://', 'redis+cluster://', 1), \
        server


def mongo_sources():
    url = os.environ.get('KAIROS_TEST_MONGO_URL')
    if url:
        import pymongo
        probe = pymongo.MongoClient(url)

        def server():
            return int(probe.admin.command('serverStatus')['connections']['current'])
        yield 'pymongo clients', lambda: pymongo.MongoClient(url)['kairos_soak'], server
        yield 'mongodb:// URLs', lambda: url, server
        return
    for driver in ('mongomock_ng', 'mongomock'):
        module = importlib.import_module(driver)
        yield '%s clients' % driver, module.MongoClient, None
    yield 'mongomock:// URLs', lambda: 'mongomock:///kairos_soak', None


def sql_sources(dialect):
    import sqlalchemy
    url = support.sql_url(dialect)
    probe = sqlalchemy.create_engine(url)
    atexit.register(probe.dispose)
    query = {'postgresql': "SELECT count(*) FROM pg_stat_activity "
                           "WHERE backend_type = 'client backend'",
             'mysql': "SHOW STATUS LIKE 'Threads_connected'"}.get(dialect)

    def server():
        with probe.connect() as connection:
            return int(connection.exec_driver_sql(query).one()[-1])
    server = server if query else None
    yield 'Engine objects', lambda: sqlalchemy.create_engine(url), server
    yield '%s URLs' % dialect, lambda: url, server
    if dialect == 'sqlite':
        yield 'sqlite:// (memory) URLs', lambda: 'sqlite://', None


SOURCES = {'redis': redis_sources, 'cluster': cluster_sources, 'mongo': mongo_sources,
           'sqlite': lambda: sql_sources('sqlite'),
           'postgresql': lambda: sql_sources('postgresql'),
           'mysql': lambda: sql_sources('mysql')}


SERVERS = {'redis': ('KAIROS_TEST_REDIS_URL', support.redis_url),
           'cluster': ('KAIROS_TEST_REDIS_CLUSTER_URL', support.redis_cluster_url),
           # exported without their +driver, which tests/support.py adds back
           'postgresql': ('KAIROS_TEST_POSTGRES_URL',
                          lambda: support.sql_url('postgresql').replace('+psycopg', '', 1)),
           'mysql': ('KAIROS_TEST_MYSQL_URL',
                     lambda: support.sql_url('mysql').replace('+pymysql', '', 1))}


def row(backend, index, count, trace):
    """Soak the ``index``-th source of ``backend``; print its line; True if anything grew."""
    label, source, server = list(SOURCES[backend]())[index]

    def make():
        return Timeseries(source(), type='count', intervals=INTERVALS)
    # the garbage collector runs as it would in a program (tests/functional/
    # test_resources.py checks that a URL's client goes without it)
    result = soak(make, count, server, hold_gc=False, trace=trace)
    left = result.collected.growth(result.baseline)
    traced = (result.collected.traced - result.baseline.traced) / 2 ** 20
    print('%-12s %-26s %8.1f -> %6.1f  %s%s' % (
        backend, label, result.baseline.rss, result.collected.rss,
        ', '.join('%s %+d' % item for item in sorted(left.items())) or 'nothing',
        ', traced %+.1f MB' % traced if trace else ''), flush=True)
    return bool(left)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--count', type=int, default=1000)
    parser.add_argument('--only', default=','.join(BACKENDS),
                        help='comma-separated backends: %s' % ','.join(BACKENDS))
    parser.add_argument('--trace', action='store_true', help='count memory with tracemalloc')
    parser.add_argument('--row', help=argparse.SUPPRESS)   # backend:index, in a child
    args = parser.parse_args()
    if args.row:
        backend, index = args.row.split(':')
        return 1 if row(backend, int(index), args.count, args.trace) else 0
    # each row in a process of its own, so that its RSS is its own; the servers are
    # started here once, and the children find them in the environment
    print('%-12s %-26s %18s  %s' % ('backend', 'clients', 'RSS MB before/after',
                                    'left once collected'), flush=True)
    failed = False
    for backend in args.only.split(','):
        try:
            if backend in SERVERS:
                variable, start = SERVERS[backend]
                os.environ[variable] = start()
            rows = len(list(SOURCES[backend]()))
        except unittest.SkipTest as exc:
            print('%-12s skipped: %s' % (backend, exc), flush=True)
            continue
        for index in range(rows):
            command = [sys.executable, __file__, '--row', '%s:%d' % (backend, index),
                       '--count', str(args.count)] + (['--trace'] if args.trace else [])
            failed = subprocess.call(command) != 0 or failed
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
