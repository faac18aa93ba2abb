"""A failed write says what it did: ``applied`` False (nothing), None (unknown), True (a part).

Real servers where the state can be made: a Redis at ``maxmemory`` with
``noeviction`` (tests/support.py ``OomRedisServer``; on the shared cluster,
every master's ``maxmemory`` lowered for the test), servers that are not
there, an SQLite file another connection holds locked. Faults the servers
cannot be made to show are injected: FaultyConnection (faulty.py) cuts a
Redis write before, part-way through or after sending it; a patched
mongomock_ng Collection or SQLAlchemy dialect raises the driver's error.
"""

import contextlib
import sqlite3
import unittest
from unittest import mock

import mongomock_ng.collection
import pymongo
import pymongo.collection
import redis
import sqlalchemy
from pymongo.errors import (AutoReconnect, BulkWriteError, InvalidOperation, NetworkTimeout,
                            ServerSelectionTimeoutError)
from redis.backoff import NoBackoff
from redis.exceptions import (ClusterDownError, ClusterError, MaxConnectionsError,
                              RedisClusterException, SlotNotCoveredError)
from redis.retry import Retry

from kairos import (InvalidTimestamp, InvalidValue, KairosException, StorageError, StorageFull,
                    StorageUnavailable, Timeseries)
from kairos.timeseries import BULK_CHUNK
from tests.functional.faulty import FaultPlan, faulty_client
from tests.support import (MongoCase, MysqlCase, PostgresCase, RedisCase, RedisClusterCase,
                           SqliteCase, free_port, oom_redis_server, redis_url, sql_url)

T0 = 1700000000 - 1700000000 % 3600
# EXPIREs too: in a script, one that runs lets Redis out of memory take the writes after it
INTERVALS = {'minute': {'step': 60, 'steps': 5},
             'hour': {'step': 3600, 'resolution': 60, 'steps': 2}}
KEPT = {'minute': {'step': 60}, 'hour': {'step': 3600, 'resolution': 60}}
# the intervals keep their steps newest buckets by this clock: those written here
NOW = lambda: T0 + 60  # noqa: E731
WRITES = [
    ('insert', lambda t: t.insert('hits', 1, T0)),
    ('bulk_insert', lambda t: t.bulk_insert({T0: {'hits': [1, 2]}, T0 + 60: {'more': [3]}})),
    ('insert of a new name', lambda t: t.insert('fresh', 1, T0)),
]


class Outcomes:
    """Checks of a failed write's error."""

    def failed(self, error, call, *args):
        """The ``error`` ``call(*args)`` raises, whose message does not contradict itself."""
        with self.assertRaises(error) as caught:
            call(*args)
        exc = caught.exception
        self.assertIsInstance(exc, KairosException)
        text = str(exc)
        if exc.applied is False:
            for claim in ('were applied', 'was applied', 'is unknown'):
                self.assertNotIn(claim, text.replace('nothing of it was applied', ''))
        if exc.applied is None:
            self.assertNotIn('nothing', text)
        return exc


# -- Redis out of memory -------------------------------------------------------

class OutOfMemory(Outcomes):
    """Needs exhaust() and relieve(): Redis refusing, then taking, writes out of memory."""

    def test_out_of_memory(self):
        """A write Redis refuses out of memory raises StorageFull with applied False, saying
        that the server is out of memory and nothing was applied, and changes nothing."""
        for mode in ('script', 'multi'):
            ts = self.timeseries(type='count', intervals=INTERVALS, clock=NOW, prefix=mode)
            ts.write_mode = mode
            for _, call in WRITES[:2]:
                call(ts)       # the keys exist: 'multi' sends MULTI/EXEC, not the script
            self.exhaust()
            try:
                for label, call in WRITES:
                    with self.subTest(mode=mode, call=label):
                        before = self.snapshot()
                        exc = self.failed(StorageFull, call, ts)
                        self.assertIs(exc.applied, False)
                        self.assertIn('out of memory', str(exc))
                        self.assertIn('nothing of it was applied', str(exc))
                        self.assertNotIsInstance(exc, ConnectionError)
                        self.assertIsInstance(exc.__cause__, redis.ResponseError)
                        self.assertEqual(before, self.snapshot())
            finally:
                self.relieve()
            WRITES[0][1](ts)   # with memory back, writes are taken again
            self.assertEqual(ts.get('hits', 'minute', T0)[T0], 5)


class TestOutOfMemory(OutOfMemory, RedisCase):

    @staticmethod
    def connect():
        return redis.Redis(port=oom_redis_server().port)

    def exhaust(self):
        oom_redis_server().exhaust()

    def relieve(self):
        oom_redis_server().relieve()


class TestOutOfMemoryCluster(OutOfMemory, RedisClusterCase):
    """Every master's maxmemory is set below what it uses, and back after."""

    def masters(self):
        return [self.client.get_redis_connection(n) for n in self.client.get_primaries()]

    def exhaust(self):
        for node in self.masters():
            node.config_set('maxmemory-policy', 'noeviction')
            node.config_set('maxmemory', 1)

    def relieve(self):
        for node in self.masters():
            node.config_set('maxmemory', 0)

    def test_message_names_the_slots(self):
        """A call spanning several hash slots, refused in each, says so."""
        ts = self.timeseries(type='count', intervals=INTERVALS, clock=NOW)
        self.exhaust()
        try:
            exc = self.failed(StorageFull, WRITES[1][1], ts)
        finally:
            self.relieve()
        self.assertIs(exc.applied, False)
        self.assertIn('hash slots this call spans; it failed in each', str(exc))


    def test_one_node_full(self):
        """A call refused out of memory on one node only has applied True and says in how
        many of its hash slots it failed and was applied."""
        ts = self.timeseries(type='count', intervals=INTERVALS, clock=NOW)
        full = self.masters()[0]
        full.config_set('maxmemory-policy', 'noeviction')
        full.config_set('maxmemory', 1)
        try:
            exc = self.failed(StorageFull, ts.bulk_insert,
                              {T0: {'name%d' % i: [1] for i in range(30)}})
        finally:
            self.relieve()
        self.assertIs(exc.applied, True)
        self.assertRegex(str(exc), r'it failed in \d+ of them, and was applied in the other \d+')
        self.assertEqual(full.dbsize(), 0)
        self.assertTrue(self.snapshot())


# -- Redis: what reached the server --------------------------------------------

class TestRedisFaults(Outcomes, RedisCase):
    """Faults injected on the wire of a single Redis."""

    def faulty(self, mode='multi', intervals=INTERVALS):
        plan = FaultPlan(seed=3, rate=0.0)
        client = faulty_client(redis_url(), plan)
        self.addCleanup(client.close)
        ts = Timeseries(client, type='count', intervals=intervals, clock=NOW)
        ts.write_mode = mode
        for _, call in WRITES:
            call(ts)        # connected, the script loaded, the keys verified
        return ts, plan

    def test_unsent_write(self):
        """A write that fails before Redis received all of it (none of it, or a strict
        prefix) has applied False and changes nothing."""
        for mode in ('script', 'multi'):
            ts, plan = self.faulty(mode)
            for fault in ('before', 'partial'):
                for label, call in WRITES:
                    with self.subTest(mode=mode, fault=fault, call=label):
                        before = self.snapshot()
                        plan.forced = [fault]
                        exc = self.failed(StorageUnavailable, call, ts)
                        self.assertIs(exc.applied, False)
                        self.assertIn('none of it ran', str(exc))
                        self.assertEqual(before, self.snapshot())

    def test_lost_reply(self):
        """A write whose reply was lost after sending has applied None."""
        for mode in ('script', 'multi', 'pipeline'):
            ts, plan = self.faulty(mode)
            for label, call in WRITES:
                with self.subTest(mode=mode, call=label):
                    plan.forced = ['after']
                    exc = self.failed(StorageUnavailable, call, ts)
                    self.assertIsNone(exc.applied)
                    self.assertIn('outcome is unknown', str(exc))

    def test_pipeline_cut(self):
        """In pipeline mode a write cut part-way has applied None: its first commands may
        have run."""
        ts, plan = self.faulty('pipeline')
        plan.forced = ['partial']
        self.assertIsNone(self.failed(StorageUnavailable, WRITES[0][1], ts).applied)

    def test_later_piece(self):
        """A bulk_insert whose second piece fails has applied True with values_written
        when that piece never ran, None when its reply was lost."""
        for fault, applied in (('before', True), ('partial', True), ('after', None)):
            with self.subTest(fault=fault):
                ts, plan = self.faulty(intervals=KEPT)   # hours of data, all kept
                plan.forced = [None, fault]
                inserts = {T0 + i: {fault: [1]} for i in range(BULK_CHUNK + 10)}
                exc = self.failed(StorageUnavailable, ts.bulk_insert, inserts)
                self.assertIs(exc.applied, applied)
                self.assertEqual(exc.values_written, BULK_CHUNK)
                self.assertIn('before this, the earlier pieces of this bulk_insert stored '
                              '%d values' % BULK_CHUNK, str(exc))

    def test_unreachable(self):
        """A write to a server that is not there has applied False; a delete's is unknown,
        as redis-py may have sent it before a retry failed to connect."""
        client = redis.Redis(port=free_port(), retry=Retry(NoBackoff(), 0),
                             socket_connect_timeout=0.5)
        self.addCleanup(client.close)
        ts = Timeseries(client, type='count', intervals=INTERVALS, clock=NOW)
        for mode in ('script', 'multi', 'pipeline'):
            ts.write_mode = mode
            for label, call in WRITES:
                with self.subTest(mode=mode, call=label):
                    exc = self.failed(StorageUnavailable, call, ts)
                    self.assertIs(exc.applied, False)
                    self.assertIn('nothing was written', str(exc))
        self.assertIsNone(self.failed(StorageUnavailable, ts.delete, 'hits').applied)


class TestClusterErrors(Outcomes, RedisClusterCase):
    """redis-py's cluster errors, raised by the cluster client kairos drives."""

    ERRORS = [ClusterDownError('CLUSTERDOWN injected'), ClusterError('TTL exhausted'),
              RedisClusterException('injected'), SlotNotCoveredError('slot 1 not covered'),
              MaxConnectionsError('Too many connections')]

    def test_driver_errors(self):
        """Every cluster error redis-py raises reaches the caller as StorageUnavailable
        chaining it, its outcome unknown (redis-py may have sent the command before)."""
        ts = self.timeseries(type='count', intervals=INTERVALS, clock=NOW)
        ts.insert('hits', 1, T0)
        for error in self.ERRORS:
            for label, call in (('delete', lambda: ts.delete('hits')),
                                ('delete_all', ts.delete_all)):
                with self.subTest(error=error, call=label):
                    with mock.patch.object(self.client, 'delete', side_effect=error):
                        exc = self.failed(StorageUnavailable, call)
                    self.assertIs(exc.__cause__, error)
                    self.assertIsNone(exc.applied)

    def test_slot_map_lost(self):
        """A write whose slot's node cannot be found has applied False."""
        ts = self.timeseries(type='count', intervals=INTERVALS, clock=NOW)
        manager = self.client.nodes_manager
        for error in self.ERRORS:
            with self.subTest(error=error):
                with mock.patch.object(manager, 'get_node_from_slot', side_effect=error):
                    exc = self.failed(StorageUnavailable, WRITES[0][1], ts)
                self.assertIs(exc.applied, False)


# -- every backend: bad input --------------------------------------------------

class BadInput(Outcomes):

    async_twin = True  # run on kairos.asyncio too (tests.support.AsyncCase)

    def test_bad_input(self):
        """Bad input raises before any I/O with applied False, and writes nothing."""
        ts = self.timeseries(type='count', intervals=INTERVALS, clock=NOW)
        ts.insert('hits', 1, T0)
        before = self.snapshot()
        for error, call in (
                (InvalidValue, lambda: ts.insert('hits', object(), T0)),
                (InvalidTimestamp, lambda: ts.insert('hits', 1, 'noon')),
                (InvalidValue, lambda: ts.bulk_insert({T0: {'hits': [1]},
                                                       T0 + 1: {'hits': [object()]}}))):
            with self.subTest(error=error):
                self.assertIs(self.failed(error, call).applied, False)
        self.assertEqual(before, self.snapshot())


class TestBadInputRedis(BadInput, RedisCase):
    pass


class TestBadInputMongo(BadInput, MongoCase):
    pass


class TestBadInputSqlite(BadInput, SqliteCase):
    pass


# -- MongoDB -------------------------------------------------------------------

Collection = mongomock_ng.collection.Collection


class TestMongo(Outcomes, MongoCase):
    """The driver's errors, injected into mongomock_ng's Collection."""

    mock_twin = False

    def test_outcomes(self):
        """No server to send to, a closed client: applied False; a connection lost or timed
        out after sending: None; a bulk_write refused after some requests: True."""
        refused = BulkWriteError({'writeErrors': [{'index': 1, 'code': 14, 'errmsg': 'no'}],
                                  'nUpserted': 1, 'nMatched': 0, 'nModified': 0})
        ts = self.timeseries(type='count', intervals=INTERVALS, clock=NOW)
        for error, applied in ((ServerSelectionTimeoutError('no server'), False),
                               (InvalidOperation('Cannot use MongoClient after close'), False),
                               (AutoReconnect('connection closed'), None),
                               (NetworkTimeout('timed out'), None), (refused, True)):
            with self.subTest(error=error):
                with mock.patch.object(Collection, 'bulk_write', side_effect=error):
                    exc = self.failed(KairosException, WRITES[0][1], ts)
                self.assertIs(exc.applied, applied)
                self.assertIs(exc.__cause__, error)

    def test_later_collection(self):
        """A write refused in its second interval's collection has applied True, naming
        the first in intervals_written."""
        ts = self.timeseries(type='count', intervals=INTERVALS, clock=NOW)
        real = Collection.bulk_write

        def bulk_write(collection, *args, **kwargs):
            if collection.name == 'hour':
                raise ServerSelectionTimeoutError('no server')
            return real(collection, *args, **kwargs)
        with mock.patch.object(Collection, 'bulk_write', bulk_write):
            exc = self.failed(StorageUnavailable, WRITES[0][1], ts)
        self.assertIs(exc.applied, True)
        self.assertEqual(exc.intervals_written, ['minute'])
        self.assertIn('before this, the write of minute was applied', str(exc))

    def test_unreachable(self):
        """A write to a MongoDB that is not there has applied False."""
        client = pymongo.MongoClient(port=free_port(), serverSelectionTimeoutMS=200,
                                     connect=False)
        self.addCleanup(client.close)
        database = client['kairos_test']
        with mock.patch.object(pymongo.collection.Collection, 'create_index'):
            ts = Timeseries(database, type='count', intervals=INTERVALS, clock=NOW)
        exc = self.failed(StorageUnavailable, WRITES[0][1], ts)
        self.assertIs(exc.applied, False)


# -- SQL -----------------------------------------------------------------------

class SqlOutcomes(Outcomes):

    async_twin = True

    def test_commit_lost(self):
        """A write whose COMMIT failed has applied None: the database may have taken it."""
        ts = self.timeseries(type='count', intervals=INTERVALS, clock=NOW)
        ts.list()   # (on asyncio, the set-up's COMMITs are made before the patch)
        dialect = ts._engine.dialect
        dbapi = dialect.loaded_dbapi
        with mock.patch.object(type(dialect), 'do_commit',
                               side_effect=dbapi.OperationalError('connection lost')):
            exc = self.failed(StorageUnavailable, WRITES[0][1], ts)
        self.assertIsNone(exc.applied)
        self.assertIn('COMMIT', str(exc))


class RolledBack(Outcomes):
    """Needs impatient(), an engine that does not wait long for a lock, and locked()."""

    async_twin = True

    def test_rolled_back(self):
        """A write whose transaction the database rolled back (a lock it could not get)
        has applied False, and nothing of it is stored."""
        ts = self.timeseries(type='count', intervals=INTERVALS, clock=NOW)
        ts.insert('hits', 1, T0)
        other = self.built(self.impatient(), type='count', intervals=INTERVALS, clock=NOW,
                           value_type=str)
        other.list()   # set up before the lock
        before = self.snapshot()
        with self.locked(), mock.patch('time.sleep'):
            exc = self.failed(StorageError, WRITES[0][1], other)
        self.assertIs(exc.applied, False)
        self.assertIn('rolled', str(exc))
        self.assertEqual(before, self.snapshot())


class TestSqlite(SqlOutcomes, RolledBack, SqliteCase):

    def impatient(self):
        """An engine that does not wait for a lock."""
        return self.other_engine(connect_args={'timeout': 0})

    @contextlib.contextmanager
    def locked(self):
        """The database file locked for writing by another connection."""
        holder = sqlite3.connect(sql_url('sqlite')[len('sqlite:///'):])
        try:
            holder.execute('BEGIN IMMEDIATE')
            yield
        finally:
            holder.rollback()
            holder.close()


class Unreachable(Outcomes):
    """On a database server, reached at a port where nothing listens."""

    async_twin = True

    def test_unreachable(self):
        """A write or delete to a database that is not there has applied False."""
        engine = self.other_engine()
        ts = self.built(engine, type='count', intervals=INTERVALS, clock=NOW, value_type=str)
        ts.list()   # set up (on asyncio at the first call)
        self.done(engine.dispose())
        port = free_port()

        @sqlalchemy.event.listens_for(getattr(engine, 'sync_engine', engine), 'do_connect')
        def connect(dialect, record, args, kwargs):
            kwargs.update(port=port)
        for label, call in WRITES + [('delete', lambda t: t.delete('hits'))]:
            with self.subTest(call=label):
                exc = self.failed(StorageUnavailable, call, ts)
                self.assertIs(exc.applied, False)


class TestPostgres(SqlOutcomes, RolledBack, Unreachable, PostgresCase):

    def impatient(self):
        """An engine whose statements wait 50 ms at most for a lock."""
        return self.other_engine(connect_args={'server_settings': {'lock_timeout': '50'}}
                                 if self.io == 'asyncio' else
                                 {'options': '-c lock_timeout=50'})

    @contextlib.contextmanager
    def locked(self):
        """Every table locked by another connection's transaction."""
        with self.engine.connect() as holder:
            holder.exec_driver_sql('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE'
                                   % ', '.join(self.tables()))
            try:
                yield
            finally:
                holder.rollback()


class TestMysql(SqlOutcomes, Unreachable, MysqlCase):
    pass


if __name__ == '__main__':
    unittest.main()
