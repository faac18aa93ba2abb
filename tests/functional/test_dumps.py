"""dump and restore: random inserts into one backend, dumped as JSON lines, restored into
every backend (each case's own under another prefix, and Redis, the Redis Cluster,
MongoDB, SQLite, PostgreSQL and MariaDB), read back the same in every read."""

import json
import os
import uuid

import redis
from hypothesis import HealthCheck, given, settings, strategies as st

import kairos.dumps
import kairos.series_types
from kairos import InvalidValue, Timeseries
from kairos.dumps import DUMP_PAGE

from tests.support import (MongoCase, MysqlCase, PostgresCase, RedisCase, RedisClusterCase,
                           RedisClusterHashTagCase, SqliteCase, ignoring_prefix, mongo_database,
                           redis_cluster_url, redis_url, sql_engine)

EXAMPLES = max(2, int(os.environ.get('KAIROS_FUZZ_EXAMPLES', 25)) // 8)
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                suppress_health_check=list(HealthCheck))
T0 = 1800000000
SPAN = 6 * 3600   # seconds of data from T0
INTERVALS = {'minute': {'step': 60}, 'hour': {'step': 3600, 'resolution': 60},
             'day': {'step': 'daily', 'resolution': 3600}}
# values per type that every backend's test configuration stores as given (no count of
# 0: Redis keeps no bucket for it, the others do)
TYPES = tuple(kairos.series_types.TYPES)
VALUES = {'series': st.sampled_from(['a', 'b', '3']), 'histogram': st.sampled_from(['1', '2']),
          'count': st.integers(1, 50), 'gauge': st.sampled_from(['x', 'y', '7']),
          'set': st.sampled_from(['a', 'b', 'c']), 'summary': st.integers(-100, 100),
          'distinct': st.sampled_from(['a', 'b', 'c', 7]),
          'sketch': st.integers(-100, 100)}
TARGETS = ('redis', 'cluster', 'mongo', 'sqlite', 'postgresql', 'mysql')


def inserts(kind):
    """{timestamp: {name: [values]}} over two days and three names."""
    point = st.tuples(st.integers(0, SPAN), st.sampled_from(['a', 'b', 'c:d']),
                      VALUES[kind])
    return st.lists(point, min_size=1, max_size=25).map(_grouped)


def _grouped(points):
    rval = {}
    for offset, name, value in points:
        rval.setdefault(T0 + offset, {}).setdefault(name, []).append(value)
    return rval


def reads(t, names):
    """Every read of ``names`` over the data's range, to compare."""
    rval = []
    for interval in INTERVALS:
        for condense in (False, True):
            rval.append(t.series(list(names), interval, start=T0, end=T0 + SPAN,
                                 condense=condense))
            for name in names:
                rval.append(t.series(name, interval, start=T0, end=T0 + SPAN,
                                     condense=condense))
    return rval


class DumpBehaviour:
    """Each case's store is the source; the targets are every backend."""

    def target(self, where, kind):
        """A Timeseries of ``kind`` on an empty store of ``where``, removed after the test."""
        tag = 'restored_%s_%s' % (kind, uuid.uuid4().hex[:8])
        if where in ('redis', 'cluster'):
            client = redis.Redis.from_url(redis_url()) if where == 'redis' else \
                redis.cluster.RedisCluster.from_url(redis_cluster_url())
            self.addCleanup(client.close)
            t = Timeseries(client, type=kind, prefix=tag + ':', intervals=INTERVALS)
            self.addCleanup(t.delete_all)
            return t
        if where == 'mongo':
            database = mongo_database(name=tag)
            self.addCleanup(database.client.drop_database, tag)
            with ignoring_prefix():
                return Timeseries(database, type=kind, intervals=INTERVALS)
        engine = sql_engine(where)   # a table of its own, emptied before and after
        table = 'restored_' + kind
        self.empty(engine, table)
        self.addCleanup(self.empty, engine, table)
        return Timeseries(engine, type=kind, intervals=INTERVALS, table_name=table,
                          value_type=str)

    @staticmethod
    def empty(engine, table):
        import sqlalchemy
        if sqlalchemy.inspect(engine).has_table(table):
            with engine.begin() as connection:
                connection.exec_driver_sql('DELETE FROM %s' % table)

    def check_kind(self, kind, data):
        self.clear()
        source = self.timeseries(type=kind, prefix='source:', intervals=INTERVALS)
        source.bulk_insert(data)
        names = sorted({name for by_name in data.values() for name in by_name})
        dumped = [json.loads(line) for line in (json.dumps(r) for r in source.dump())]
        self.assertEqual(names, sorted({record['name'] for record in dumped}))
        want = reads(source, names)
        for where in TARGETS:
            if kind == 'distinct' and where in ('redis', 'cluster'):
                continue   # PFADD takes values, not registers: see test_distinct_into_redis
            with self.subTest(kind=kind, target=where):
                target = self.target(where, kind)
                self.assertEqual(len(dumped), target.restore(dumped))
                self.assertEqual(want, reads(target, names))
                self.assertEqual(dumped, list(target.dump(names)))

    @FUZZ
    @given(st.data())
    def test_every_type_round_trips_into_every_backend(self, data):
        """A store's dump restored into each backend reads back the same, and dumps
        the same, for every type."""
        for kind in TYPES:
            self.check_kind(kind, data.draw(inserts(kind), label=kind))

    def test_distinct_into_redis_is_refused(self):
        """A distinct dump holds registers, which Redis's PFADD cannot take: restoring
        one into Redis is refused, and writes nothing."""
        source = self.timeseries(type='distinct', prefix='source:', intervals=INTERVALS)
        source.insert('a', 'x', timestamp=T0)
        dumped = list(source.dump())
        self.assertEqual(1, len(dumped[0]['data']))   # one value sets one register
        target = self.target('redis', 'distinct')
        with self.assertRaises(InvalidValue) as caught:
            target.restore(dumped)
        self.assertIn('restore it into MongoDB or SQL', str(caught.exception))
        self.assertEqual([], list(target.dump()))

    def test_dump_reads_in_pages(self):
        """A dump longer than a page holds every bucket once, in time order."""
        t = self.timeseries(type='count', intervals={'minute': {'step': 60}})
        t.bulk_insert({T0 + 60 * i: {'a': [i + 1]} for i in range(DUMP_PAGE + 5)})
        records = list(t.dump())
        self.assertEqual([T0 + 60 * i for i in range(DUMP_PAGE + 5)],
                         [record['time'] for record in records])
        self.assertEqual(list(range(1, DUMP_PAGE + 6)), [record['data'] for record in records])

    def test_bad_record_stops_with_its_position(self):
        """A record of another type, interval or shape is refused with its position;
        the pieces before it stay written and are counted."""
        t = self.timeseries(type='count', intervals=INTERVALS)
        empty = self.snapshot()
        good = {'name': 'a', 'interval': 'minute', 'time': T0, 'type': 'count', 'data': 2}
        bad = [dict(good, type='gauge'), dict(good, interval='week'), dict(good, data='x'),
               dict(good, interval='hour'), {'name': 'a'}, dict(good, name=''),
               dict(good, interval='hour', resolution=T0 + 3600)]
        for record in bad:
            with self.subTest(record=record):
                self.clear()
                with self.assertRaises(kairos.KairosException) as caught:
                    t.restore([good, record])
                self.assertIn('record 2', str(caught.exception))
                self.assertEqual(0, caught.exception.records_written)
                self.assertEqual(empty, self.snapshot())
        self.clear()
        with self.subTest('after a written piece'):
            old = kairos.dumps.RESTORE_WRITES
            kairos.dumps.RESTORE_WRITES = 2
            try:
                with self.assertRaises(InvalidValue) as caught:
                    t.restore([good, good, dict(good, data=None)])
            finally:
                kairos.dumps.RESTORE_WRITES = old
            self.assertEqual(2, caught.exception.records_written)
            self.assertIn('wrote 2 records', str(caught.exception))
            self.assertEqual({T0: 4}, dict(t.get('a', 'minute', timestamp=T0)))


class TestDumpRedis(DumpBehaviour, RedisCase):
    pass


class TestDumpRedisCluster(DumpBehaviour, RedisClusterCase):
    pass


class TestDumpRedisClusterHashTag(DumpBehaviour, RedisClusterHashTagCase):
    pass


class TestDumpMongo(DumpBehaviour, MongoCase):
    pass


class TestDumpSqlite(DumpBehaviour, SqliteCase):
    pass


class TestDumpPostgres(DumpBehaviour, PostgresCase):
    pass


class TestDumpMysql(DumpBehaviour, MysqlCase):
    pass
