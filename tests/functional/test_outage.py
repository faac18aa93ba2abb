"""The Redis server goes away and comes back under one Timeseries.

Each test runs its own redis-server (a private port and directory) so it can
kill, freeze and restart it. During an outage every call raises StorageError
(a ConnectionError chaining the driver's error) within the client's timeouts;
after a restart the same Timeseries works again.

The 10 s bound on each call is a hang guard, far above the 1 s timeouts set
on the client, not a performance assertion.
"""

import threading
import time
import unittest

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from kairos import StorageError, Timeseries
from tests.support import RedisServer

HANG_GUARD = 10.0
INTERVALS = {'minute': {'step': 60, 'steps': 1000},
             'hour': {'step': 3600, 'resolution': 60, 'steps': 100}}
T0 = 1700000000 - 1700000000 % 3600


class OutageCase(unittest.TestCase):

    def setUp(self):
        self.server = RedisServer(prefix='kairos-outage-')
        self.addCleanup(self.server.stop)
        self.server.start()
        self.client = redis.Redis(port=self.server.port, socket_timeout=1,
                                  socket_connect_timeout=1, retry=Retry(NoBackoff(), 1))
        self.addCleanup(self.client.close)

    def timeseries(self, kind='count'):
        return Timeseries(self.client, type=kind, intervals=INTERVALS)

    def timed(self, func, *args, **kwargs):
        """Run func; return (result or exception, seconds); fail if it hangs."""
        started = time.monotonic()
        try:
            result = func(*args, **kwargs)
        except Exception as exc:     # the test inspects what was raised
            result = exc
        elapsed = time.monotonic() - started
        self.assertLess(elapsed, HANG_GUARD, 'call hung for %.1f s' % elapsed)
        return result

    def assert_storage_error(self, outcome, what):
        self.assertIsInstance(outcome, StorageError, '%s: %r' % (what, outcome))
        self.assertIsInstance(outcome, ConnectionError)
        self.assertIsInstance(outcome.__cause__, (redis.ConnectionError, redis.TimeoutError),
                              '%s: cause %r' % (what, outcome.__cause__))

    def calls(self, ts):
        """Every public call, reads and writes, as (label, function, args)."""
        return [
            ('insert', ts.insert, ('hits', 1, T0)),
            ('bulk_insert', ts.bulk_insert, ({T0: {'hits': [1, 2]}},)),
            ('get', ts.get, ('hits', 'minute', T0)),
            ('get fine', ts.get, ('hits', 'hour', T0)),
            ('series', ts.series, ('hits', 'minute'), {'start': T0, 'steps': 5}),
            ('series fetch', ts.series, ('hits', 'minute'),
             {'start': T0, 'steps': 5, 'fetch': lambda pipe, key: pipe.get(key)}),
            ('delete', ts.delete, ('hits',)),
        ]


class TestServerKilled(OutageCase):

    def test_calls_during_outage_raise_storage_error(self):
        """With the server dead, every call raises StorageError chaining the driver's error."""
        ts = self.timeseries()
        for i in range(20):
            ts.insert('hits', 1, T0 + i)
        self.server.kill()
        for _ in range(2):       # the first call finds a dead pooled connection, later ones none
            for label, func, args, *kwargs in self.calls(ts):
                outcome = self.timed(func, *args, **(kwargs[0] if kwargs else {}))
                self.assert_storage_error(outcome, label)

    def test_same_timeseries_works_after_restart(self):
        """After the server restarts on the same port, the same Timeseries writes and reads."""
        ts = self.timeseries()
        ts.insert('hits', 1, T0)
        self.server.kill()
        self.assert_storage_error(self.timed(ts.insert, 'hits', 1, T0), 'insert')
        self.server.start()
        for i in range(10):
            ts.insert('hits', 2, T0 + i)
        ts.bulk_insert({T0 + 60: {'hits': [3, 4]}})
        self.assertEqual(20, ts.get('hits', 'minute', T0)[T0])
        self.assertEqual(27, ts.get('hits', 'hour', T0, condensed=True)[T0])

    def test_kill_and_restart_during_a_stream(self):
        """Inserts from a thread while the server dies and returns: each one lands or raises."""
        ts = self.timeseries()
        results, stop = [], threading.Event()

        def stream():
            i = 0
            while not stop.is_set():
                started = time.monotonic()
                try:
                    ts.insert('hits', 1, T0 + i % 60)
                    outcome = None
                except Exception as exc:     # collected and checked by the test
                    outcome = exc
                results.append((outcome, time.monotonic() - started))
                i += 1

        worker = threading.Thread(target=stream)
        worker.start()
        try:
            self.wait_for(lambda: len(results) >= 50)
            self.server.kill()
            self.wait_for(lambda: any(r[0] is not None for r in results))
            self.server.start()
            after = len(results)
            self.wait_for(lambda: sum(1 for r in results[after:] if r[0] is None) >= 50)
        finally:
            stop.set()
            worker.join(HANG_GUARD * 3)
        self.assertFalse(worker.is_alive(), 'the inserting thread hung')
        failures = [r for r in results if r[0] is not None]
        self.assertTrue(failures)
        for outcome, elapsed in results:
            self.assertLess(elapsed, HANG_GUARD)
            if outcome is not None:
                self.assert_storage_error(outcome, 'insert')
        # the restarted server is empty: it holds the inserts that succeeded after the
        # first failure (the server was down from then until its restart), and at most
        # the ones whose outcome was unknown (those that raised) besides
        first = next(i for i, r in enumerate(results) if r[0] is not None)
        self.assertGreaterEqual(len(results) - after, 50)
        landed_after = sum(1 for r in results[first:] if r[0] is None)
        stored = sum(ts.series('hits', 'minute', start=T0, steps=1).values())
        self.assertGreaterEqual(stored, landed_after)
        self.assertLessEqual(stored, landed_after + sum(1 for r in results[first:] if r[0]))

    def wait_for(self, condition):
        deadline = time.monotonic() + 30
        while not condition():
            self.assertLess(time.monotonic(), deadline, 'condition not reached')
            time.sleep(0.01)


class TestServerFrozen(OutageCase):

    def test_frozen_server_times_out(self):
        """A server that accepts but never answers makes every call raise within the timeout."""
        ts = self.timeseries()
        ts.insert('hits', 1, T0)
        ts.get('hits', 'minute', T0)
        self.server.freeze()
        try:
            for label, func, args, *kwargs in self.calls(ts):
                outcome = self.timed(func, *args, **(kwargs[0] if kwargs else {}))
                self.assert_storage_error(outcome, label)
        finally:
            self.server.thaw()

    def test_writes_to_frozen_server_are_not_repeated(self):
        """Writes that timed out are applied at most once after the server wakes up."""
        ts = self.timeseries()
        ts.insert('hits', 1, T0)
        self.server.freeze()
        try:
            for _ in range(3):
                self.assert_storage_error(self.timed(ts.insert, 'hits', 10, T0), 'insert')
        finally:
            self.server.thaw()
        ts.insert('hits', 100, T0)
        stored = ts.get('hits', 'minute', T0)[T0]
        self.assertIn(stored, (101, 111, 121, 131))
        self.assertEqual(stored, ts.get('hits', 'hour', T0, condensed=True)[T0])


if __name__ == '__main__':
    unittest.main()
