"""MongoDB errors surface as kairos errors, and failed writes do not land half-way.

mongomock_ng has no network, so errors are injected by patching its
Collection methods: connection failures must raise StorageUnavailable (a
StorageError and a ConnectionError) chaining the driver's error, refusals (OperationFailure and
its subclasses) DataConflict. The random fault run of fault_harness.py is
then repeated with bulk_write failing before it applies anything, after
applying a prefix of its ordered requests, or after applying all of them.
These tests need mongomock_ng: a real server cannot be patched this way.
"""

import unittest
from unittest import mock

import mongomock_ng.collection
from pymongo.errors import (AutoReconnect, BulkWriteError, ConnectionFailure,
                            NetworkTimeout, OperationFailure, ServerSelectionTimeoutError,
                            WriteError)

from kairos import DataConflict, StorageError, StorageUnavailable
from tests.functional.fault_harness import CALLS as FAULT_CALLS
from tests.functional.fault_harness import INTERVALS, FaultBehaviour, report_totals
from tests.support import MongoCase

Collection = mongomock_ng.collection.Collection
T0 = 1700000000 - 1700000000 % 3600

UNREACHABLE = [
    AutoReconnect('injected: primary stepped down'),
    ServerSelectionTimeoutError('injected: no server'),
    NetworkTimeout('injected: timed out'),
    ConnectionFailure('injected: connection lost'),
]
REFUSED = [
    OperationFailure('injected: refused', code=2),
    WriteError('injected: bad update', code=14, details={}),
    BulkWriteError({'writeErrors': [{'index': 0, 'code': 14, 'errmsg': 'injected'}],
                    'nInserted': 0, 'nUpserted': 0, 'nMatched': 0, 'nModified': 0,
                    'nRemoved': 0, 'upserted': []}),
]

# call -> the Collection method it reaches
CALLS = [
    ('insert', 'bulk_write', lambda ts: ts.insert('hits', 1, T0)),
    ('bulk_insert', 'bulk_write', lambda ts: ts.bulk_insert({T0: {'hits': [1, 2]},
                                                             T0 + 60: {'more': [3]}})),
    ('get', 'find', lambda ts: ts.get('hits', 'minute', T0)),
    ('get fine', 'find', lambda ts: ts.get(['hits', 'more'], 'hour', T0)),
    ('series', 'find', lambda ts: ts.series('hits', 'minute', start=T0, steps=3)),
    ('series condensed', 'find',
     lambda ts: ts.series('hits', 'hour', start=T0, steps=2, condensed=True)),
    ('series fetch', 'find',
     lambda ts: ts.series('hits', 'minute', start=T0, steps=3,
                          fetch=lambda coll, **kw: getattr(coll, kw.pop('method'))(**kw))),
    ('get fetch', 'find_one',
     lambda ts: ts.get('hits', 'minute', T0,
                       fetch=lambda coll, **kw: getattr(coll, kw.pop('method'))(kw['spec']))),
    ('delete', 'delete_many', lambda ts: ts.delete('hits')),
]


class TestErrorTranslation(MongoCase):
    """Each public call turns driver errors into kairos errors that chain them."""

    mock_twin = False  # errors are injected into mongomock_ng

    def check(self, errors, kairos_error):
        for kind in ('series', 'histogram', 'count', 'gauge', 'set'):
            self.clear()       # one type per collection at a time
            ts = self.timeseries(type=kind, intervals=INTERVALS)
            ts.insert('hits', 1 if kind == 'count' else 'v', T0)
            for error in errors:
                for label, method, call in CALLS:
                    before = self.snapshot()
                    with mock.patch.object(Collection, method, side_effect=error):
                        with self.assertRaises(kairos_error, msg=(kind, label, error)) as caught:
                            call(ts)
                    self.assertIs(caught.exception.__cause__, error, (kind, label))
                    self.assertEqual(before, self.snapshot(), (kind, label))

    def test_unreachable_raises_storage_error(self):
        """AutoReconnect, ServerSelectionTimeout, NetworkTimeout: StorageError from every call."""
        self.check(UNREACHABLE, StorageUnavailable)
        self.assertTrue(issubclass(StorageUnavailable, ConnectionError))

    def test_refusal_raises_data_conflict(self):
        """OperationFailure and its write errors raise DataConflict from every call."""
        self.check(REFUSED, DataConflict)

    def test_constructor_unreachable(self):
        """Creating the indexes on an unreachable server raises StorageError."""
        error = ServerSelectionTimeoutError('injected: no server')
        with mock.patch.object(Collection, 'create_index', side_effect=error):
            with self.assertRaises(StorageError) as caught:
                self.timeseries(type='count', intervals=INTERVALS)
        self.assertIs(caught.exception.__cause__, error)

    def test_works_after_the_error(self):
        """The same Timeseries writes and reads normally once the driver recovers."""
        ts = self.timeseries(type='count', intervals=INTERVALS)
        with mock.patch.object(Collection, 'bulk_write', side_effect=UNREACHABLE[0]):
            with self.assertRaises(StorageError):
                ts.insert('hits', 5, T0)
        ts.insert('hits', 2, T0)
        self.assertEqual(2, ts.get('hits', 'minute', T0)[T0])
        self.assertEqual(2, ts.get('hits', 'hour', T0, condensed=True)[T0])


class TestFaultsMongo(FaultBehaviour, MongoCase):
    """The random fault run, with bulk_write failing before, part-way or after applying."""

    mock_twin = False

    driver_errors = (ConnectionFailure,)
    atomic_calls = False   # one collection per interval: atomic per bucket document
    calls = max(FAULT_CALLS // 8, 60)      # mongomock upserts scan the whole collection

    def faulty(self, kind, plan):
        ts = self.timeseries(type=kind, intervals=INTERVALS)
        real = Collection.bulk_write

        def bulk_write(collection, requests, *args, **kwargs):
            mode = plan.choose()
            if mode is None:
                return real(collection, requests, *args, **kwargs)
            plan.counts[mode] += 1
            applied = {'before': 0, 'after': len(requests),
                       'partial': plan.rng.randrange(len(requests))}[mode]
            plan.log.append((mode, applied, len(requests)))
            if applied:
                real(collection, requests[:applied], *args, **kwargs)
            raise AutoReconnect('injected after %d of %d requests' % (applied, len(requests)))

        patcher = mock.patch.object(Collection, 'bulk_write', bulk_write)
        patcher.start()
        return ts, patcher.stop


def tearDownModule():
    report_totals()


if __name__ == '__main__':
    unittest.main()
