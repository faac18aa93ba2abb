"""The behaviour bodies other test modules declare for Redis and Mongo, run on SQL too.

Each behaviour below runs on SQLite, PostgreSQL and MariaDB/MySQL (one class
per dialect, ``Test<Label><Dialect>``). Modules built on ``declare_cases``
(get, series) get their SQL classes there. Where a body states something only
true of key-value stores, an SQL version of that test replaces it here.
"""

from hypothesis import HealthCheck, assume, given, settings, strategies as st

from kairos.sql_backend import SqlBackend

from tests.functional import concurrency_load as load
from tests.functional.common import at, backend_label
from tests.functional.test_bad_input import BadInputBehaviour as BadInputTable, _only
from tests.functional.test_bulk import BulkBehaviour
from tests.functional.test_fixes import FixesBehaviour
from tests.functional.test_gevent import ThreadsBehaviour
from tests.functional.test_gregorian import GregorianBehaviour
from tests.functional.test_insert import InsertBehaviour
from tests.functional.test_isolation import EXAMPLES, IsolationBehaviour, name_lists
from tests.functional.test_model import ModelBehaviour
from tests.functional.test_names import BadInputBehaviour as BadNames, DeleteBehaviour
from tests.functional.test_surface import SurfaceBehaviour
from tests.functional.test_types import (CountTypeBehaviour, FloatGaugeBehaviour,
                                         GaugeTypeBehaviour, HistogramTypeBehaviour,
                                         SeriesTypeBehaviour, SetTypeBehaviour)
from tests.support import SQL_CASES


class SqlFixes(FixesBehaviour):

    def test_bucket_of_another_type_is_a_data_conflict(self):
        """Each type has a table of its own: a histogram never reads a series' rows."""
        series = self.make('series')
        series.insert('x', 1, timestamp=at(10))
        histogram = self.make('histogram')
        self.assertEqual(histogram.get('x', 'minute', timestamp=at(10)), {at(0): {}})
        histogram.insert('x', 'v', timestamp=at(10))
        self.assertEqual(series.get('x', 'minute', timestamp=at(10)), {at(0): ['1']})


class SqlIsolation(IsolationBehaviour):

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(names=name_lists, prefix=st.sampled_from([None, 'kairos', 'k*[?]']),
           data=st.data())
    def test_reads_and_deletes_reach_only_the_named_statistic(self, names, prefix, data):
        """get, joined get, series and delete of one name see and remove only its own data."""
        # PostgreSQL text cannot hold NUL: such names are refused there (see test_bad_input)
        assume(self.dialect != 'postgresql' or not any('\0' in name for name in names))
        IsolationBehaviour.test_reads_and_deletes_reach_only_the_named_statistic.hypothesis \
            .inner_test(self, names, prefix, data)


class SqlSurface(SurfaceBehaviour):
    backend_class = SqlBackend


class SqlThreads(ThreadsBehaviour):

    def test_threads_sharing_one_timeseries_lose_no_insert(self):
        """8 OS threads sharing one Timeseries per type: every insert lands."""
        self.threads_lose_nothing(load.build(self.engine, value_type=str), self.WORKERS,
                                  self.ITERATIONS)


class SqlBadInput(BadInputTable):
    locals().update(_only('sql'))


BEHAVIOURS = [
    (InsertBehaviour, 'Insert'), (BulkBehaviour, 'Bulk'), (SqlFixes, 'Fixes'),
    (SeriesTypeBehaviour, 'SeriesType'), (HistogramTypeBehaviour, 'HistogramType'),
    (CountTypeBehaviour, 'CountType'), (GaugeTypeBehaviour, 'GaugeType'),
    (FloatGaugeBehaviour, 'FloatGauge'),
    (SetTypeBehaviour, 'SetType'), (GregorianBehaviour, 'Gregorian'),
    (SqlIsolation, 'Isolation'), (ModelBehaviour, 'Model'), (DeleteBehaviour, 'Delete'),
    (BadNames, 'BadNames'), (SqlBadInput, 'BadInput'), (SqlSurface, 'Surface'),
    (SqlThreads, 'Threads'),
]

for _behaviour, _label in BEHAVIOURS:
    for _case in SQL_CASES:
        _name = 'Test%s%s' % (_label, backend_label(_case))
        globals()[_name] = type(_name, (_behaviour, _case), {'__module__': __name__})
del _behaviour, _label, _case, _name
