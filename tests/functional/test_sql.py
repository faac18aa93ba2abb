"""What only the SQL backend has: value types, retention, transactions, pipeline=, fetch."""

import datetime
import os
import shutil
import tempfile
import unittest
from decimal import Decimal
from unittest import mock

import sqlalchemy
from sqlalchemy import exc as sa_exc

from kairos import (ConfigurationError, DataConflict, InvalidValue, KairosWarning, StorageError,
                    Timeseries)
from kairos.sql_backend import io

from tests.functional.common import at, backend_label, intervals, plain, sql_fetch
from tests.functional.test_example import ExampleChecks, run_example
from tests.support import SQL_CASES, DroppedTables, free_port, sends_bytes

COARSE = {'minute': {'step': 60}}
TYPES = ('series', 'histogram', 'count', 'gauge', 'set')


class SqlBehaviour:

    async_twin = True  # run on kairos.asyncio too (tests.support.AsyncCase)

    def setUp(self):
        super().setUp()
        self.drop_tables()   # some tests build tables of their own

    def tearDown(self):
        self.drop_tables()
        super().tearDown()

    def rows(self, table):
        quote = self.engine.dialect.identifier_preparer.quote
        with self.engine.connect() as connection:
            return connection.exec_driver_sql('SELECT * FROM %s' % quote(table)).mappings().all()

    # -- value types ---------------------------------------------------------

    def test_value_types_round_trip(self):
        """value_type float (default), int, decimal, datetime, blob, text and SQLAlchemy types."""
        when = datetime.datetime(2027, 1, 15, 8, 30)
        cases = [(float, 2.5), ('int', -7), ('decimal', Decimal('1.25')), ('datetime', when),
                 ('blob', b'\x00\xffkairos'), ('text', 'x' * 1000 + '\u4e2d'),
                 (sqlalchemy.Unicode(20), 'caf\u00e9'), (int, 2 ** 31 - 1)]
        for index, (value_type, value) in enumerate(cases):
            with self.subTest(value_type=value_type):
                if value is cases[4][1] and not sends_bytes(self.store_client()):
                    self.skipTest('aiomysql cannot send bytes with this PyMySQL: it calls '
                                  'escape_bytes_prefixed, a placeholder string since 1.2.3')
                t = self.timeseries(type='series', value_type=value_type,
                                    table_name='values_%d' % index, intervals=intervals())
                t.insert('v', value, timestamp=at(10))
                t.insert('v', value, timestamp=at(11))
                self.assertEqual(plain(t.get('v', 'minute', timestamp=at(10))),
                                 {at(0): [value, value]})

    def test_prefix_is_ignored_with_a_warning(self):
        """prefix (Redis's key prefix) is ignored on SQL with a KairosWarning naming
        table_name, which does that job here."""
        with self.assertWarnsRegex(KairosWarning, "prefix 'app' is ignored on SQL: use "
                                                  "table_name"):
            t = self.built(type='count', prefix='app', intervals=intervals())
        t.insert('p', 1, timestamp=at(10))
        self.assertEqual(self.rows('count')[0]['name'], 'p')

    def test_table_names_with_percent_signs(self):
        """A table_name holding % and %(x)s (the drivers' parameter markers) works, every type."""
        for type_ in TYPES:
            with self.subTest(type=type_):
                t = self.timeseries(type=type_, table_name='%%(x)s %% ' + type_,
                                    intervals=intervals())
                t.insert('p', 1, timestamp=at(10))
                t.bulk_insert({at(70): {'p': [2], 'q': [3]}})
                got = t.series(['p', 'q'], 'hour', end=at(70), steps=1)[at(0)]
                self.assertEqual(list(got), [at(0), at(60)])
                one = {'series': ['1'], 'histogram': {'1': 1}, 'count': 1, 'gauge': '1',
                       'set': {'1'}}[type_]
                self.assertEqual(t.get('p', 'minute', timestamp=at(10)), {at(0): one})

    def test_single_precision_values_read_as_stored(self):
        """A REAL value column reads back 0.1, as the driver's text format gives it (the
        binary one would give float32's 0.10000000149011612 on PostgreSQL)."""
        t = self.timeseries(type='series', value_type=sqlalchemy.REAL, table_name='real',
                            intervals=intervals())
        t.insert('r', 0.1, timestamp=at(10))
        self.assertEqual(plain(t.get('r', 'minute', timestamp=at(10))), {at(0): [0.1]})

    def test_default_value_type_is_float(self):
        """Without value_type, values are floats and text is refused, naming the value."""
        t = self.built(type='histogram', intervals=intervals())
        t.insert('h', 3, timestamp=at(10))
        t.insert('h', 3.0, timestamp=at(10))
        self.assertEqual(plain(t.get('h', 'minute', timestamp=at(10))), {at(0): {3.0: 2}})
        with self.assertRaisesRegex(InvalidValue, "'three'"):
            t.insert('h', 'three', timestamp=at(10))

    def test_float_counts_refused_by_a_0_10_1_integer_column(self):
        """A count table with 0.10.1's INTEGER column refuses float counts, before writing."""
        legacy_table('count', sqlalchemy.MetaData()).create(self.engine)
        t = self.built(type='count', intervals=COARSE)   # (asyncio: reflected at insert)
        t.insert('c', 2, timestamp=at(10))
        before = self.snapshot()
        with self.assertRaisesRegex(InvalidValue, '1.5'):
            t.insert('c', [1, 1.5], timestamp=at(10))
        self.assertEqual(before, self.snapshot())

    def test_unknown_dialect_and_bad_keywords(self):
        """Bad keywords raise ConfigurationError naming them."""
        for kwargs, needle in (({'value_type': 'varchar'}, 'varchar'),
                               ({'string_length': -1}, '-1'), ({'table_name': 5}, '5')):
            with self.assertRaisesRegex(ConfigurationError, needle):
                self.timeseries(type='series', intervals=intervals(), **kwargs)

    # -- the fixed schema: one row per bucket, also without resolution ------------

    def test_coarse_buckets_stay_one_row(self):
        """Upserts into an interval without resolution (r_time NULL) keep one row a bucket."""
        for type_ in ('histogram', 'count', 'gauge', 'set'):
            t = self.timeseries(type=type_, intervals=intervals())
            for _ in range(3):
                t.insert('x', 1, timestamp=at(10))
                t.bulk_insert({at(11): {'x': [1, 1]}})
            minute = [r for r in self.rows(type_) if r['interval'] == 'minute']
            self.assertEqual(len(minute), 1, type_)
            self.assertIsNone(minute[0]['r_time'])
            hour = [r for r in self.rows(type_) if r['interval'] == 'hour']
            self.assertEqual([r['r_time'] for r in hour], [30000000], type_)

    def test_names_differ_by_case_and_trailing_space(self):
        """'a', 'A' and 'a ' are three statistics on every dialect."""
        t = self.timeseries(type='count', intervals=intervals())
        for n, name in enumerate(['a', 'A', 'a ', '\u00e4']):
            t.insert(name, n + 1, timestamp=at(10))
        self.assertEqual([t.get(name, 'minute', timestamp=at(10))[at(0)]
                          for name in ['a', 'A', 'a ', '\u00e4']], [1, 2, 3, 4])

    # -- retention -----------------------------------------------------------

    def test_retention_hides_then_expire_deletes(self):
        """A bucket reads as empty once steps * step seconds have passed since its latest
        write (by the clock); expire() deletes it."""
        now = [at(10)]
        t = self.timeseries(type='count', clock=lambda: now[0], intervals={
            'minute': {'step': 60, 'steps': 2}, 'day': {'step': 'daily', 'steps': 1},
            'forever': {'step': 60}})
        t.insert('a', 1, timestamp=at(10))
        t.insert('b', 1, timestamp=at(10))
        now[0] = at(70)
        t.insert('a', 1, timestamp=at(70))
        now[0] = at(130)          # 120 s after the first writes: still there
        self.assertEqual(plain(t.series('a', 'minute', end=now[0], steps=3)),
                         {at(0): 1, at(60): 1, at(120): 0})
        self.assertEqual(t.expire(), 0)
        now[0] = at(131)          # past: gone from reads; the bucket written at 70 stays
        self.assertEqual(plain(t.series('a', 'minute', end=now[0], steps=3)),
                         {at(0): 0, at(60): 1, at(120): 0})
        self.assertEqual(plain(t.get('a', 'forever', timestamp=at(0))), {at(0): 1})
        self.assertEqual(t.expire('a'), 1)
        self.assertEqual(t.expire(), 1)   # b's minute row
        self.assertEqual(t.expire(), 0)
        now[0] += 2 * 86400
        self.assertEqual(t.expire(), 3)   # a's second minute row, the day rows of a and b
        self.assertEqual(plain(t.get('a', 'forever', timestamp=at(0))), {at(0): 1})

    def test_a_bucket_lives_after_its_latest_write_whole(self):
        """A later write keeps all of its bucket, the rows written before it included, for
        every type of many rows a bucket, with and without resolution."""
        for kind, empty in (('histogram', {}), ('series', []), ('set', set())):
            with self.subTest(type=kind):
                self.drop_tables()
                now = [at(0)]
                t = self.timeseries(type=kind, clock=lambda: now[0], intervals={
                    'minute': {'step': 60, 'steps': 2},
                    'fine': {'step': 120, 'steps': 1, 'resolution': 60}})
                t.insert('h', 'x', timestamp=at(0))
                now[0] = at(100)
                t.insert('h', 'y', timestamp=at(0))          # backfill of the same bucket
                t.insert('h', 'z', timestamp=at(60))         # the next bucket
                now[0] = at(200)   # x was written 200 s ago, y 100 s ago: the bucket is kept
                both = {'x': 1, 'y': 1} if kind == 'histogram' else \
                    ['x', 'y'] if kind == 'series' else {'x', 'y'}
                self.assertEqual(plain(t.get('h', 'minute', timestamp=at(0))), {at(0): both})
                self.assertEqual(plain(t.get('h', 'fine', timestamp=at(0)))[at(0)], both)
                self.assertEqual(t.expire(), 0)
                now[0] = at(221)
                self.assertEqual(plain(t.get('h', 'minute', timestamp=at(0))), {at(0): empty})
                self.assertEqual(plain(t.get('h', 'fine', timestamp=at(0))), {})
                self.assertEqual(t.expire(), 6)   # x, y, z in both intervals

    # -- transactions --------------------------------------------------------

    def test_pipeline_is_the_callers_transaction(self):
        """insert(pipeline=connection) writes in the caller's transaction: rolled back or committed together."""
        t = self.timeseries(type='count', intervals=intervals())
        before = self.snapshot()
        for end in ('rollback', 'commit'):
            connection, transaction = self.transaction(t)
            t.insert('p', 1, timestamp=at(10), pipeline=connection)
            t.bulk_insert({at(70): {'p': [2, 3]}}, pipeline=connection)
            self.done(getattr(transaction, end)())
            self.done(connection.close())
            if end == 'rollback':
                self.assertEqual(before, self.snapshot())
        self.assertEqual(plain(t.get('p', 'hour', timestamp=at(10), condensed=True)),
                         {at(0): 6})

    def transaction(self, t):
        """(connection, transaction): a connection of ``t``'s engine (an AsyncConnection
        on asyncio) in a transaction begun."""
        connection = self.done(t._engine.connect())
        return connection, self.done(connection.begin())

    def test_pipeline_of_the_other_kind_is_refused(self):
        """pipeline= takes a Connection of the Timeseries' kind of I/O: on asyncio an
        AsyncConnection, else a Connection; anything else raises InvalidValue."""
        t = self.timeseries(type='count', intervals=intervals())
        wanted = 'AsyncConnection' if self.io == 'asyncio' else 'Connection'
        with self.engine.connect() as blocking:
            others = [object(), self.engine] + ([blocking] if self.io == 'asyncio' else [])
            for other in others:
                with self.assertRaisesRegex(InvalidValue, r'takes an SQLAlchemy %s\b.*, not'
                                            % wanted):
                    t.insert('p', 1, timestamp=at(10), pipeline=other)

    def test_pipeline_refusal_names_the_callers_transaction(self):
        """A pipeline= write refused at its first statement has applied False; refused at a
        later one, applied None and a message saying the caller's transaction holds the rest."""
        t = self.timeseries(type='count', intervals=intervals())
        real = io.run_batches
        # coarse and fine rows: two statements, one on MariaDB/MySQL (one unique index)
        statements = 1 if self.dialect in ('mysql', 'mariadb') else 2
        for refused in range(statements):
            calls = []

            def execute(connection, batches, *rest):
                calls.append(len(batches))
                if len(calls) > refused:
                    raise sa_exc.IntegrityError('INSERT', {}, Exception('refused here'))
                real(connection, batches, *rest)
            connection, transaction = self.transaction(t)
            with mock.patch.object(io, 'run_batches', execute):
                with self.assertRaises(DataConflict) as caught:
                    t.insert('q', 1, timestamp=at(10), pipeline=connection)
            self.done(transaction.rollback())
            self.done(connection.close())
            message = str(caught.exception)
            self.assertIn("the caller's transaction (pipeline=): refused here", message)
            self.assertNotIn('rolled back', message)
            if refused:
                self.assertIsNone(caught.exception.applied)
                self.assertIn('1 statement(s) of this write ran in the caller', message)
            else:
                self.assertIs(caught.exception.applied, False)
            self.assertEqual(calls, [1] * (refused + 1))

    def test_failure_mid_insert_rolls_back_every_interval(self):
        """A database error after the first statement of an insert leaves nothing written."""
        for type_ in TYPES:
            t = self.timeseries(type=type_, intervals=intervals())
            t.insert('x', 1, timestamp=at(10))
            before = self.snapshot()
            real = io.run_batches

            def execute_then_fail(connection, batches, *rest):
                real(connection, batches[:1], *rest)
                raise sa_exc.OperationalError('INSERT', {}, Exception('server went away'))
            with mock.patch.object(io, 'run_batches', execute_then_fail):
                with self.assertRaises(StorageError) as caught:
                    t.insert('x', 2, timestamp=at(10))
            # the driver's own error is the cause, not SQLAlchemy's wrapper of it
            self.assertEqual(str(caught.exception.__cause__), 'server went away')
            self.assertEqual(before, self.snapshot(), type_)

    # -- fetch ---------------------------------------------------------------

    def test_fetch_gets_connection_and_statement(self):
        """fetch(connection, statement) replaces the read; its rows are what is read."""
        t = self.timeseries(type='series', read_func=int, intervals=intervals())
        t.insert('f', [1, 2], timestamp=at(10))
        t.insert('f', 3, timestamp=at(70))
        calls = []

        def only_odd(rows, statement):
            calls.append(statement)
            return [row for row in rows if int(row[3]) % 2]
        only_odd = sql_fetch(self.io, only_odd)
        self.assertEqual(plain(t.series('f', 'hour', end=at(70), steps=1, fetch=only_odd)),
                         {at(0): {at(0): [1], at(60): [3]}})
        self.assertEqual(len(calls), 1)
        self.assertIsInstance(calls[0], sqlalchemy.sql.Select)

    def test_fetch_rows_in_any_order_read_the_same(self):
        """Rows a fetch returns out of name and time order (a series' always come by insert
        time) read as the built-in read's, for one name and joined names, every type."""
        for type_ in TYPES:
            with self.subTest(type=type_):
                t = self.timeseries(type=type_, table_name='order_' + type_,
                                    intervals=intervals())
                for second in (150, 10, 70, 75, 3600 + 10, 15):  # later inserts, earlier minutes
                    for name in ('a', 'b'):
                        t.insert(name, second % 7 + (name == 'b'), timestamp=at(second))

                reversed_rows = sql_fetch(self.io, lambda rows, statement: rows[::-1])
                for names in ('a', ['a', 'b'], ['b', 'a']):
                    for interval in ('minute', 'hour'):
                        expected = t.series(names, interval, start=at(0), end=at(3600))
                        got = t.series(names, interval, start=at(0), end=at(3600),
                                       fetch=reversed_rows)
                        for rval in (expected, got):  # every row in time order
                            rows = rval.values() if interval == 'hour' else [rval]
                            self.assertEqual([list(row) for row in rows],
                                             [sorted(row) for row in rows])
                        if type_ == 'gauge':   # the last row read wins: here the first
                            continue
                        if type_ == 'series':  # values in the order of the rows
                            got = {i: {r: sorted(v) for r, v in row.items()}
                                   if isinstance(row, dict) else sorted(row)
                                   for i, row in got.items()}
                            expected = {i: {r: sorted(v) for r, v in row.items()}
                                        if isinstance(row, dict) else sorted(row)
                                        for i, row in expected.items()}
                        self.assertEqual(got, expected, (names, interval))
                        self.assertTrue(expected[at(0)], 'the test reads data')


    def test_connecting_fails_then_works_again(self):
        """While no connection can be made, reads (built-in and fetch) and writes raise
        StorageError with the driver's error as cause; then the same Timeseries works."""
        engine = self.other_engine(poolclass=sqlalchemy.pool.NullPool)
        t = self.built(engine, type='count', intervals=intervals())
        t.insert('c', 2, timestamp=at(10))
        refusing = []

        @sqlalchemy.event.listens_for(getattr(engine, 'sync_engine', engine), 'do_connect')
        def refuse(dialect, record, args, kwargs):
            if refusing:
                raise dialect.loaded_dbapi.OperationalError('connection refused (a test)')
        refusing.append(True)
        calls = {'get': lambda: t.get('c', 'minute', timestamp=at(10)),
                 'series': lambda: t.series('c', 'hour', end=at(10), steps=1),
                 'fetch': lambda: t.series('c', 'minute', end=at(10), steps=1,
                                           fetch=lambda connection, s: connection.execute(s)),
                 'insert': lambda: t.insert('c', 5, timestamp=at(10))}
        for label, call in calls.items():
            with self.assertRaises(StorageError, msg=label) as caught:
                call()
            self.assertIsInstance(caught.exception.__cause__, engine.dialect.loaded_dbapi.Error,
                                  label)
        refusing.clear()
        self.assertEqual(plain(t.get('c', 'minute', timestamp=at(10))), {at(0): 2})


class SqliteOnly:

    def test_in_memory_database(self):
        """An in-memory SQLite engine works like a file."""
        t = self.built(self.other_engine('sqlite://'), type='set', value_type=int,
                       intervals=intervals())
        t.insert('m', [1, 2, 2], timestamp=at(10))
        self.assertEqual(plain(t.get('m', 'hour', timestamp=at(10))), {at(0): {1, 2}})


class ServerOnly:

    def test_connections_killed_by_the_server(self):
        """The server kills every pooled connection (a restart): the next read runs again on
        a new one and succeeds; the next write raises StorageError, writes nothing, and the
        one after works."""
        engine = self.other_engine(pool_size=3, max_overflow=0)
        t = self.built(engine, type='count', intervals=intervals())
        t.insert('c', 2, timestamp=at(10))
        postgres = self.dialect == 'postgresql'

        def kill_all():
            connections = [self.done(engine.connect()) for _ in range(3)]   # fill the pool
            pids = [self.done(c.exec_driver_sql('SELECT pg_backend_pid()' if postgres else
                                                'SELECT CONNECTION_ID()')).scalar()
                    for c in connections]
            for connection in connections:
                self.done(connection.close())
            with self.engine.begin() as connection:
                for pid in pids:
                    connection.exec_driver_sql(('SELECT pg_terminate_backend(%d, 10000)'
                                                if postgres else 'KILL %d') % pid)
        kill_all()
        self.assertEqual(plain(t.get('c', 'minute', timestamp=at(10))), {at(0): 2})
        self.assertEqual(plain(t.series('c', 'hour', end=at(10), steps=1)), {at(0): {at(0): 2}})
        kill_all()
        with self.assertRaises(StorageError):
            t.insert('c', 5, timestamp=at(10))
        self.assertEqual(plain(t.get('c', 'minute', timestamp=at(10))), {at(0): 2})
        t.insert('c', 5, timestamp=at(10))
        self.assertEqual(plain(t.get('c', 'minute', timestamp=at(10))), {at(0): 7})

    def test_unreachable_server_is_a_storage_error(self):
        """A server that does not answer raises StorageError, the driver's error as cause."""
        engine = self.other_engine(self.engine.url.set(host='127.0.0.1', port=free_port()))
        with self.assertRaises(StorageError) as caught:
            t = self.built(engine, type='count', intervals=intervals())
            t.insert('c', 1)   # on asyncio the table is set up at the first call
        # (asyncpg raises the OSError of a connection refused itself)
        self.assertIsInstance(caught.exception.__cause__, (engine.dialect.loaded_dbapi.Error,)
                              + ((OSError,) if self.io == 'asyncio' else ()))


class PostgresOnly:

    def test_client_side_cursors(self):
        """An engine whose connections make psycopg ClientCursors (as behind pgbouncer)
        reads and writes every type: such cursors take no binary rows."""
        if self.io == 'asyncio':
            self.skipTest('psycopg cursor factories and binary rows are of the blocking read '
                          'path (a raw DB-API cursor); the asyncio one runs through '
                          'SQLAlchemy on asyncpg')
        import psycopg
        engine = sqlalchemy.create_engine(self.engine.url, connect_args={
            'cursor_factory': psycopg.ClientCursor})
        self.addCleanup(engine.dispose)
        for type_ in TYPES:
            with self.subTest(type=type_):
                t = Timeseries(engine, type=type_, value_type=int, table_name='cc_' + type_,
                               intervals=intervals())
                t.bulk_insert({at(10): {'c': [3]}, at(70): {'c': [3], 'd': [4]}})
                one = {'series': [3], 'histogram': {3: 1}, 'count': 3, 'gauge': 3,
                       'set': {3}}[type_]
                self.assertEqual(plain(t.series('c', 'hour', end=at(70), steps=1)),
                                 {at(0): {at(0): one, at(60): one}})


class TestExampleSql(ExampleChecks, unittest.TestCase):

    def test_sqlite_file_accumulates_across_runs(self):
        """script/example --url sqlite:///file shows every type and keeps earlier runs' data."""
        directory = tempfile.mkdtemp(prefix='kairos-example-test-')
        self.addCleanup(shutil.rmtree, directory, True)
        url = 'sqlite:///' + os.path.join(directory, 'kairos.db')
        first = run_example('--url', url)
        self.check_output(first)
        self.assertTrue(first.stdout.startswith('kairos example on ' + url))
        self.check_output(run_example('--url', url))
        engine = sqlalchemy.create_engine(url)
        with engine.connect() as connection:
            total = connection.exec_driver_sql(
                "SELECT SUM(count) FROM kairos_example_count WHERE interval = 'minute'").scalar()
        engine.dispose()
        self.assertGreater(total, 38)   # two runs of 38 points, each 1 to 5 hits


# -- kairos 0.10.1's tables ---------------------------------------------------

def legacy_table(type_, metadata, value_type=sqlalchemy.Float):
    """A table exactly as kairos 0.10.1 declared it, from its column lists."""
    from sqlalchemy import Column, Float, Integer, String, UniqueConstraint
    columns = [Column('name', String(255), nullable=False),
               Column('interval', String(255), nullable=False)]
    if type_ == 'series':
        columns.append(Column('insert_time', Float, nullable=False))
    columns += [Column('i_time', Integer, nullable=False),
                Column('r_time', Integer, nullable=True)]
    if type_ != 'count':
        columns.append(Column('value', value_type, nullable=False))
    if type_ in ('histogram', 'count'):
        columns.append(Column('count', Integer, nullable=False))
    if type_ == 'histogram':
        columns.append(UniqueConstraint('name', 'interval', 'i_time', 'r_time', 'value',
                                        name='unique_value'))
    elif type_ in ('count', 'gauge'):
        columns.append(UniqueConstraint('name', 'interval', 'i_time', 'r_time',
                                        name='unique_count'))
    return sqlalchemy.Table(type_, metadata, *columns)


class LegacyBehaviour(DroppedTables):
    """Rows in 0.10.1's tables read back; rows we write fit 0.10.1's tables."""

    def lay(self, type_, rows):
        table = legacy_table(type_, sqlalchemy.MetaData())
        table.create(self.engine)
        with self.engine.begin() as connection:
            connection.execute(table.insert(), rows)
        return table

    def make(self, type_, **kwargs):
        return Timeseries(self.engine, type=type_, intervals=intervals(),
                          **kwargs)

    def select(self, table):
        with self.engine.connect() as connection:
            return [dict(row) for row in connection.execute(
                sqlalchemy.select(table).order_by(*table.c)).mappings()]

    def test_series(self):
        """0.10.1 series rows read back in insert_time order, coarse and fine; ours append."""
        table = self.lay('series', [
            dict(name='s', interval='minute', insert_time=2.0, i_time=30000001, r_time=None,
                 value=6.0),
            dict(name='s', interval='minute', insert_time=1.0, i_time=30000001, r_time=None,
                 value=5.0),
            dict(name='s', interval='hour', insert_time=1.0, i_time=500000, r_time=30000001,
                 value=5.0),
            dict(name='s', interval='hour', insert_time=2.0, i_time=500000, r_time=30000003,
                 value=6.0)])
        t = self.make('series', read_func=int)
        self.assertEqual(plain(t.get('s', 'minute', timestamp=at(100))), {at(60): [5, 6]})
        self.assertEqual(plain(t.get('s', 'hour', timestamp=at(0))),
                         {at(60): [5], at(180): [6]})
        t.insert('s', 7, timestamp=at(100))
        self.assertEqual(plain(t.get('s', 'minute', timestamp=at(100))), {at(60): [5, 6, 7]})
        new = [r for r in self.select(table) if r['value'] == 7.0]
        self.assertEqual([(r['interval'], r['i_time'], r['r_time']) for r in new],
                         [('hour', 500000, 30000001), ('minute', 30000001, None)])

    def test_histogram_count_gauge(self):
        """0.10.1 histogram, count and gauge rows read back, and our upserts land on them."""
        for type_, row, value, expected in (
                ('histogram', dict(value=5.0, count=2), 5, {5.0: 3}),
                ('count', dict(count=3), 2, 5),
                ('gauge', dict(value=7.0), 9, 9.0)):
            with self.subTest(type=type_):
                self.drop_tables()
                table = self.lay(type_, [dict(row, name='x', interval='minute',
                                              i_time=30000001, r_time=None)])
                t = self.make(type_)
                before = len(self.select(table))
                t.insert('x', value, timestamp=at(100))
                self.assertEqual(plain(t.get('x', 'minute', timestamp=at(100))),
                                 {at(60): expected})
                # the minute row was updated in place; the hour interval added one row
                rows = self.select(table)
                self.assertEqual(len(rows), before + 1)
                self.assertEqual(sorted((r['interval'], r['r_time'] or 0) for r in rows),
                                 [('hour', 30000001), ('minute', 0)])

    def test_gregorian_buckets(self):
        """0.10.1 Gregorian buckets (YYYYMMDD, YYYYMM) read back."""
        self.lay('count', [dict(name='g', interval='daily', i_time=20380201, r_time=None,
                                count=4),
                           dict(name='g', interval='monthly', i_time=203802, r_time=None,
                                count=9)])
        t = Timeseries(self.engine, type='count', intervals={'daily': {'step': 'daily'},
                                                              'monthly': {'step': 'monthly'}})
        feb1 = 2148595200
        self.assertEqual(plain(t.get('g', 'daily', timestamp=feb1 + 5)), {feb1: 4})
        self.assertEqual(plain(t.get('g', 'monthly', timestamp=feb1)), {feb1: 9})

    def test_names_read_exactly_whatever_the_collation(self):
        """A name reads its own rows only, though a 0.10.1 table on MariaDB/MySQL compares
        names by a collation where 'hits' = 'HITS' = 'hits '."""
        names = (('hits', 1), ('HITS', 2), ('hits ', 4))
        self.lay('count', [dict(name=name, interval='hour', i_time=500000, r_time=30000000 + n,
                                count=n) for name, n in names])
        t = self.make('count')
        for name, n in names:
            self.assertEqual(plain(t.get(name, 'hour', timestamp=at(0))),
                             {at(60 * n): n}, repr(name))
        self.assertEqual(plain(t.get(['hits', 'HITS'], 'hour', timestamp=at(0))),
                         {at(60): 1, at(120): 2})

    def test_duplicated_rows_of_a_race_are_summed_then_refused(self):
        """Two 0.10.1 rows of one coarse bucket (its racing UPDATE/INSERT) read as one, and
        building a Timeseries on that table says to merge them."""
        table = self.lay('count', [dict(name='d', interval='minute', i_time=30000001,
                                        r_time=None, count=n) for n in (2, 3)])
        from kairos import DataConflict
        with self.assertRaisesRegex(DataConflict, 'merge'):
            self.make('count')
        with self.engine.begin() as connection:
            connection.execute(table.delete().where(table.c['count'] == 3))
        self.assertEqual(plain(self.make('count').get('d', 'minute', timestamp=at(60))),
                         {at(60): 2})

    def test_rows_without_write_time_keep_their_bucket_by_its_time(self):
        """A 0.10.1 table gets a NULL w_time column: its rows are kept while their bucket
        is one of the last ``steps``, as 0.10.1 kept them; a write keeps the bucket on."""
        self.lay('count', [dict(name='c', interval='minute', i_time=30000001, r_time=None,
                                count=4),
                           dict(name='c', interval='minute', i_time=30000000, r_time=None,
                                count=2)])
        now = [at(100)]
        t = Timeseries(self.engine, type='count', clock=lambda: now[0],
                       intervals={'minute': {'step': 60, 'steps': 1}})
        column = {c['name']: c for c in sqlalchemy.inspect(self.engine).get_columns('count')}
        self.assertTrue(column['w_time']['nullable'])
        self.assertEqual(plain(t.series('c', 'minute', start=at(0), end=at(60))),
                         {at(0): 2, at(60): 4})
        now[0] = at(150)
        t.insert('c', 1, timestamp=at(0))   # at(0)'s bucket, past by its time: kept again
        self.assertEqual(plain(t.series('c', 'minute', start=at(0), end=at(120))),
                         {at(0): 3, at(60): 4, at(120): 0})
        now[0] = at(180)    # at(60)'s bucket is past by its time; at(0)'s lives till 210
        self.assertEqual(plain(t.series('c', 'minute', start=at(0), end=at(120))),
                         {at(0): 3, at(60): 0, at(120): 0})
        self.assertEqual(t.expire(), 1)
        now[0] = at(211)
        self.assertEqual(t.expire(), 1)
        self.assertEqual(self.select(legacy_table('count', sqlalchemy.MetaData())), [])

    def test_our_tables_fit_0_10_1(self):
        """The tables we create have 0.10.1's columns, nullability and kinds of type."""
        for type_ in ('series', 'histogram', 'count', 'gauge'):
            self.make(type_)
            ours = {c['name']: c for c in sqlalchemy.inspect(self.engine).get_columns(type_)}
            for column in legacy_table(type_, sqlalchemy.MetaData()).c:
                self.assertIn(column.name, ours)
                self.assertEqual(ours[column.name]['nullable'], column.nullable, column.name)
                python = ours[column.name]['type'].python_type
                self.assertTrue(issubclass(python, (int, float, Decimal)) if column.name != 'name'
                                and column.name != 'interval' else python is str, column.name)


for _case in SQL_CASES:
    for _behaviour, _label in ((SqlBehaviour, 'Sql'), (LegacyBehaviour, 'Legacy0101')):
        _extra = {'sqlite': (SqliteOnly,), 'postgresql': (ServerOnly, PostgresOnly)}.get(
            _case.dialect, (ServerOnly,))
        _name = 'Test%s%s' % (_label, backend_label(_case))
        globals()[_name] = type(_name, (_behaviour,) + (_extra if _behaviour is SqlBehaviour
                                                         else ()) + (_case,),
                                {'__module__': __name__})
del _case, _behaviour, _label, _extra, _name
