"""Writers on the same SQL buckets at once (contention_load.py's workload; its
8 x 2,000-call run is script/soak_sql.py), and the order their upserts lock rows in."""

import datetime
import os
import unittest

import sqlalchemy

from kairos import Timeseries

from tests.functional import contention_load as load
from tests.functional.common import at, backend_label, plain
from tests.support import SQL_CASES, MariadbServer


class ContentionBehaviour:

    WORKERS, CALLS = 8, 200

    def test_processes_on_the_same_buckets_deadlock_never_and_lose_nothing(self):
        """8 processes mixing insert and bulk_insert of every type into the same buckets of
        three intervals: no call fails, no transaction is aborted, every total is exact."""
        url = self.engine.url.render_as_string(hide_password=False)
        outcome, _ = load.run(url, self.WORKERS, self.CALLS)
        self.assertEqual(outcome.errors, [])
        self.assertEqual((outcome.failed, outcome.aborted), (0, 0))
        got = load.totals(load.build(self.engine))
        self.assertEqual(load.check(got, load.expected(self.WORKERS, self.CALLS)), [])

    def test_values_that_do_not_compare_are_written_in_a_lock_order_all_the_same(self):
        """A set's naive and aware datetimes in one insert, which do not compare with each
        other, are sorted into the order of their writes by their repr: both are stored."""
        t = self.timeseries(type='set', value_type=datetime.datetime, table_name='times',
                            intervals={'minute': {'step': 60}})
        self.addCleanup(self.drop_tables)
        naive = datetime.datetime(2020, 1, 1, 12)
        aware = datetime.datetime(2020, 1, 1, 13, tzinfo=datetime.timezone.utc)
        t.insert('d', [naive, aware], timestamp=at(10))
        self.assertEqual(len(t.get('d', 'minute', timestamp=at(10))[at(0)]), 2)


class StatementLoggingServer(MariadbServer):
    """A private MariaDB whose binary log holds statements (binlog_format=STATEMENT)."""

    log_bin = ('--log-bin=binlog', '--binlog-format=STATEMENT', '--server-id=1')


class TestStatementLoggingMariadb(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if not StatementLoggingServer.available() and os.environ.get('CI') != 'true':
            raise unittest.SkipTest('mariadbd is not installed')
        cls.server = StatementLoggingServer(prefix='kairos-binlog-').start()
        cls.engine = sqlalchemy.create_engine(cls.server.url)

    @classmethod
    def tearDownClass(cls):
        cls.engine.dispose()
        cls.server.stop()

    def test_upserts_keep_the_session_level_where_statements_are_logged(self):
        """A server logging statements refuses writes made in READ COMMITTED: there upserts
        run at the session's level, and every type is written."""
        one = {'series': ['3'], 'histogram': {'3': 1}, 'count': 3, 'gauge': '3', 'set': {'3'}}
        for type_, row in one.items():
            with self.subTest(type=type_):
                t = Timeseries(self.engine, type=type_, value_type=str,
                               intervals={'minute': {'step': 60},
                                          'hour': {'step': 3600, 'resolution': 60}})
                t.bulk_insert({at(10): {'c': [3]}})
                self.assertEqual(plain(t.series('c', 'hour', end=at(10), steps=1)),
                                 {at(0): {at(0): row}})


for _case in SQL_CASES:
    _name = 'TestContention%s' % backend_label(_case)
    globals()[_name] = type(_name, (ContentionBehaviour, _case), {'__module__': __name__})
del _case, _name
