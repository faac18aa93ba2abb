"""The summary type on every backend: count, sum, min, max, mean and stddev per bucket,
against a plain-Python model of the values inserted (hypothesis), through get, series,
condense, collapse, every and joined names, and its refusals."""

import math
from collections import defaultdict

from hypothesis import given, strategies as st

from kairos import InvalidQuery, InvalidValue

from tests.functional.common import FUZZ, plain
from tests.support import (MongoCase, MysqlCase, PostgresCase, RedisCase, RedisClusterCase,
                           RedisClusterHashTagCase, SqliteCase)

T0 = 1800000000
NOW = T0 + 7200
INTERVALS = {'minute': {'step': 60}, 'hour': {'step': 3600, 'resolution': 60}}
values = st.one_of(st.integers(-10 ** 6, 10 ** 6),
                   st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: round(f, 3)))
points = st.lists(st.tuples(st.sampled_from(['a', 'b']), st.integers(0, 7199), values),
                  max_size=30)


def model(values):
    """The row of some values, computed plainly; None for none."""
    if not values:
        return None
    n = len(values)
    mean = math.fsum(values) / n
    return {'count': n, 'sum': math.fsum(values), 'min': min(values), 'max': max(values),
            'mean': mean, 'stddev': math.sqrt(math.fsum((v - mean) ** 2 for v in values) / n)}


class SummaryBehaviour:

    async_twin = True

    def make(self):
        return self.timeseries(type='summary', intervals=INTERVALS, clock=lambda: NOW)

    def assert_rows(self, want, got):
        self.assertEqual(list(want), list(got))
        for when in want:
            expected, row = want[when], got[when]
            if expected is None:
                self.assertIsNone(row, when)
                continue
            self.assertEqual(expected['count'], row['count'])
            for figure in ('sum', 'min', 'max', 'mean', 'stddev'):
                self.assertTrue(math.isclose(expected[figure], row[figure], rel_tol=1e-9,
                                             abs_tol=1e-6), (when, figure, expected, row))

    @FUZZ
    @given(points, st.sampled_from([None, '3min', '10min']))
    def test_rows_are_the_statistics_of_the_values(self, points, every):
        """Each bucket reads as its values' statistics: minute buckets, the hour condensed,
        regrouped by every, and two names joined."""
        self.clear()
        t = self.make()
        by_minute, by_name = defaultdict(list), defaultdict(list)
        for name, offset, value in points:
            t.insert(name, value, timestamp=T0 + offset)
            by_name[name].append((offset, value))
        step = 60 if every is None else {'3min': 180, '10min': 600}[every]
        for name in ('a', 'b'):
            by_minute = defaultdict(list)
            for offset, value in by_name[name]:
                by_minute[T0 + offset // step * step].append(value)
            want = {T0 + m * step: model(by_minute[T0 + m * step])
                    for m in range(7200 // step)}
            got = t.series(name, 'minute', start=T0, end=T0 + 7199, every=every)
            self.assert_rows(want, got)
            hours = t.series(name, 'hour', start=T0, steps=2, condense=True)
            self.assert_rows({T0 + h * 3600: model([v for o, v in by_name[name]
                                                    if o // 3600 == h]) for h in (0, 1)},
                             hours)
        joined = t.series(['a', 'b'], 'hour', start=T0, steps=2, collapse=True)
        self.assert_rows({T0: model([v for _, _, v in points])}, joined)

    def test_transforms(self):
        """Its figures are its transforms, with rate the count per second."""
        t = self.make()
        for value in (1, 2, 3, 6):
            t.insert('x', value, timestamp=T0)
        got = t.get('x', 'minute', T0, transform=['count', 'mean', 'stddev', 'rate', 'max'])
        self.assertEqual({T0: {'count': 4, 'mean': 3.0, 'stddev': math.sqrt(3.5),
                               'rate': 4 / 60, 'max': 6}}, plain(got))
        with self.assertRaisesRegex(InvalidQuery, 'a summary row holds only their count, '
                                    'sum, sum of squares, min and max: a summary supports'):
            t.get('x', 'minute', T0, transform='p99')

    def test_refusals_write_nothing(self):
        """A value that is not a finite number is refused before anything is written."""
        t = self.make()
        for bad in ('five', None, float('nan'), True, {'x': 1}):
            with self.assertRaises(InvalidValue):
                t.insert('x', bad, timestamp=T0)
            with self.assertRaises(InvalidValue):
                t.bulk_insert({T0: {'x': [1, bad]}})
        self.assertEqual([], t.list())


class TestSummaryRedis(SummaryBehaviour, RedisCase):
    pass


class TestSummaryRedisCluster(SummaryBehaviour, RedisClusterCase):
    pass


class TestSummaryRedisClusterHashTag(SummaryBehaviour, RedisClusterHashTagCase):
    pass


class TestSummaryMongo(SummaryBehaviour, MongoCase):
    pass


class TestSummarySqlite(SummaryBehaviour, SqliteCase):
    pass


class TestSummaryPostgres(SummaryBehaviour, PostgresCase):
    pass


class TestSummaryMysql(SummaryBehaviour, MysqlCase):
    pass
