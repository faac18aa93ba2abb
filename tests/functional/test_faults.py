"""Writes that fail part-way on the wire land whole or not at all (Redis).

A FaultyConnection (tests/functional/faulty.py) fails a seeded random share
of kairos writes: before sending, after a strict prefix of the bytes, or
after sending everything but before the reply. The checks are in
tests/functional/fault_harness.py.
"""

import unittest

import redis

from kairos import StorageError, Timeseries
from kairos.timeseries import BULK_CHUNK
from tests.functional.fault_harness import (BASE, CALLS, INTERVALS, FaultBehaviour,
                                            report_totals)
from tests.functional.faulty import FaultPlan, faulty_client
from tests.support import RedisCase, redis_url


class RedisFaults(FaultBehaviour):
    write_mode = 'script'
    driver_errors = (redis.ConnectionError,)

    def faulty(self, kind, plan):
        client = faulty_client(redis_url(), plan)
        ts = Timeseries(client, type=kind, intervals=INTERVALS)
        ts.write_mode = self.write_mode
        return ts, client.close


class TestFaultsScript(RedisFaults, RedisCase):
    write_mode = 'script'


class TestFaultsMulti(RedisFaults, RedisCase):
    write_mode = 'multi'
    calls = max(CALLS // 3, 100)


class TestWriteNeverRetried(RedisCase):
    """Writes whose reply was lost are reported, not sent again."""

    def lost_reply(self, write_mode, method):
        plan = FaultPlan(seed=0, rate=0.0)
        client = faulty_client(redis_url(), plan)
        self.addCleanup(client.close)
        ts = Timeseries(client, type='count', intervals=INTERVALS)
        ts.write_mode = write_mode
        ts.insert('warm', 1, timestamp=BASE)          # connection and script are ready
        plan.forced = ['after']
        with self.assertRaises(StorageError) as caught:
            if method == 'insert':
                ts.insert('hits', 5, timestamp=BASE)
            else:
                ts.bulk_insert({BASE: {'hits': [2, 3]}})
        self.assertIsInstance(caught.exception.__cause__, redis.ConnectionError)
        self.assertEqual(plan.counts['after'], 1)
        reader = Timeseries(self.client, type='count', intervals=INTERVALS)
        self.assertEqual(5, reader.get('hits', 'minute', timestamp=BASE)[BASE])
        self.assertEqual(5, reader.get('hits', 'hour', timestamp=BASE, condensed=True)[BASE])

    def test_script_insert(self):
        """An insert whose reply is lost raises StorageError and is applied once."""
        self.lost_reply('script', 'insert')

    def test_multi_bulk_insert(self):
        """A MULTI/EXEC bulk insert whose reply is lost raises and is applied once."""
        self.lost_reply('multi', 'bulk_insert')

    def test_pipeline_insert(self):
        """A pipeline-mode insert whose reply is lost raises and is applied once, not retried."""
        self.lost_reply('pipeline', 'insert')


class TestChunkedBulkInsert(RedisCase):
    """A bulk insert larger than one chunk either lands whole or not at all."""

    def test_fault_in_second_chunk(self):
        """A fault in the second piece of a bulk insert keeps the first, reported, and none of the second."""
        plan = FaultPlan(seed=0, rate=0.0)
        client = faulty_client(redis_url(), plan)
        self.addCleanup(client.close)
        ts = Timeseries(client, type='count', intervals=INTERVALS)
        ts.insert('warm', 1, timestamp=BASE)
        for mode in ('before', 'partial'):
            sent = []
            plan.choose = lambda: sent.append(1) or (mode if len(sent) == 2 else None)
            inserts = {BASE + i: {mode: [1]} for i in range(BULK_CHUNK + 10)}
            with self.assertRaises(StorageError) as raised:
                ts.bulk_insert(inserts)
            self.assertEqual(2, len(sent))
            self.assertEqual(BULK_CHUNK, raised.exception.values_written)
            reader = Timeseries(self.client, type='count', intervals=INTERVALS)
            stored = reader.series(mode, 'minute', start=BASE, end=BASE + BULK_CHUNK + 10)
            self.assertEqual(BULK_CHUNK, sum(stored.values()))


def tearDownModule():
    report_totals()


if __name__ == '__main__':
    unittest.main()
