"""Greenlets and OS threads at once, sharing one Timeseries: nothing lost or doubled.

test_gevent.py covers greenlets alone and threads alone; this adds both at
once on the same names (greenlets in a gevent process, mixed_worker.py, threads
here), the MULTI/EXEC write mode, threads sharing a connection pool far smaller
than their number, and a reader running alongside the writers.
"""

import json
import os
import subprocess
import sys
import threading

import redis

from kairos import Timeseries
from tests.functional import concurrency_load as load
from tests.functional.test_gevent import ROOT, TotalsMixin
from tests.support import RedisCase, redis_url

WORKER = os.path.join(ROOT, 'tests', 'functional', 'mixed_worker.py')
GREENLETS, THREADS, ITERATIONS = 200, 8, 8


class TestGreenletsAndThreadsRedis(TotalsMixin, RedisCase):
    """200 greenlets (a gevent process) and 8 OS threads (this one) write the same names."""

    def mixed(self, write_mode):
        prefix = 'mixed-' + write_mode
        env = dict(os.environ, KAIROS_TEST_REDIS_URL=redis_url(), PYTHONPATH=ROOT)
        child = subprocess.Popen(
            [sys.executable, WORKER, str(GREENLETS), str(ITERATIONS), prefix, write_mode],
            env=env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: child.poll() is None and child.kill())
        self.assertEqual('ready', child.stdout.readline().strip())
        series_by_type = load.build(self.client, prefix=prefix)
        for series in series_by_type.values():
            series.write_mode = write_mode
        errors, start = [], threading.Barrier(THREADS + 1)

        def run(worker):
            try:
                start.wait(60)
                load.work(series_by_type, worker, ITERATIONS)
            except BaseException as exc:   # reported below, not lost in the thread
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(GREENLETS + n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        start.wait(60)
        child.stdin.write('go\n')
        child.stdin.flush()
        out, err = child.communicate(timeout=300)
        for thread in threads:
            thread.join(240)
        self.assertEqual(child.returncode, 0, err[-3000:])
        self.assertFalse(any(thread.is_alive() for thread in threads), 'a thread hung')
        self.assertEqual(errors, [])
        report = json.loads(out)
        self.assertTrue(report['patched'])
        self.assertEqual(report['unfinished'], 0)
        got = json.loads(json.dumps(load.totals(series_by_type)))
        self.check_totals(got, GREENLETS + THREADS, ITERATIONS)
        self.assertEqual(got['count']['hour'],
                         sum(load.expected(GREENLETS + THREADS, ITERATIONS)['count']['minute']))

    def test_script_writes(self):
        """200 greenlets and 8 OS threads at once: exact totals on every type (scripts)."""
        self.mixed('script')

    def test_multi_writes(self):
        """200 greenlets and 8 OS threads at once: exact totals on every type (MULTI/EXEC)."""
        self.mixed('multi')


class ThreadsOnOneName:
    """8 threads share one Timeseries per type and write to the same names."""

    WORKERS, ITERATIONS = 8, 30

    def run_threads(self, series_by_type):
        self.threads_lose_nothing(series_by_type, self.WORKERS, self.ITERATIONS)


class TestThreadsRedisModes(ThreadsOnOneName, TotalsMixin, RedisCase):

    def test_multi_mode(self):
        """8 threads writing with MULTI/EXEC through one Timeseries: exact totals."""
        series_by_type = load.build(self.client)
        for series in series_by_type.values():
            series.write_mode = 'multi'
        self.run_threads(series_by_type)

    def test_pool_smaller_than_threads(self):
        """8 threads through a 2-connection blocking pool: connections are handed back."""
        pool = redis.BlockingConnectionPool.from_url(redis_url(), max_connections=2,
                                                     timeout=60)
        client = redis.Redis(connection_pool=pool)
        self.addCleanup(client.close)
        self.run_threads(load.build(client))


class TestThreadsRedisWithReads(ThreadsOnOneName, TotalsMixin, RedisCase):

    def test_threads_with_reads(self):
        """8 threads writing while a ninth reads the same names: exact totals, no errors."""
        series_by_type = load.build(self.client)
        reader_ts = {t: Timeseries(self.client, type=t, intervals=load.INTERVALS)
                     for t in load.TYPES}
        stop, failures = threading.Event(), []

        def reader():
            while not stop.is_set():
                try:
                    load.totals(reader_ts)
                except Exception as exc:    # reported below
                    failures.append(exc)
                    return

        watcher = threading.Thread(target=reader)
        watcher.start()
        try:
            self.run_threads(series_by_type)
        finally:
            stop.set()
            watcher.join(60)
        self.assertEqual(failures, [])
