"""The sketch type on every backend: count, sum, min, max, mean and quantiles per bucket
against a plain-Python model of the values inserted (hypothesis): the bins the core makes
of them, and numpy's order statistics, through get, series, condense, collapse, every,
joined names, series_many and bulk_insert; its storage, settings and refusals."""

import math
from collections import defaultdict

import numpy as np
from hypothesis import given, strategies as st

from kairos import ConfigurationError, InvalidQuery, InvalidValue, sketch
from kairos.transforms import percentile

from tests.functional.common import FUZZ, plain
from tests.support import (MongoCase, MysqlCase, PostgresCase, RedisCase, RedisClusterCase,
                           RedisClusterHashTagCase, SqliteCase)

T0 = 1800000000
NOW = T0 + 7200
INTERVALS = {'minute': {'step': 60}, 'hour': {'step': 3600, 'resolution': 60}}
QS = {'median': 50, 'p90': 90, 'p99': 99, 'p99.9': 99.9}
# every quantile, and the row itself, in one read
READ = dict({'row': lambda row: row}, **{name: name for name in QS})
# logs and exps round to about 1e-13 of a value; the guarantee is a plus this
ROUNDING = 1e-12
values = st.one_of(st.integers(-10 ** 6, 10 ** 6), st.sampled_from([0, 0.0, -0.5, 1e-9]),
                   st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: round(f, 3)))
points = st.lists(st.tuples(st.sampled_from(['a', 'b']), st.integers(0, 7199), values),
                  max_size=30)
# (relative_accuracy, max_bins): the defaults, another accuracy, and few enough bins
# that merges collapse
configs = st.sampled_from([(0.01, 2048), (0.05, 2048), (0.01, 4)])


def model(values, mapping, max_bins):
    """What a bucket of ``values`` reads as: its figures, bins and stored form; None for
    none."""
    if not values:
        return None
    stored = sketch.collapse(sketch.bucket(values, mapping), max_bins)
    floats = [float(v) for v in values]
    return {'count': len(values), 'sum': math.fsum(floats), 'min': min(floats),
            'max': max(floats), 'mean': math.fsum(floats) / len(values),
            'bins': {k: n for k, n in stored.items() if k not in sketch.STATS},
            'stored': stored, 'values': floats,
            'collapsed': len(sketch.bins(values, mapping)) > max_bins}


class SketchBehaviour:

    async_twin = True

    def make(self, **settings):
        return self.timeseries(type='sketch', intervals=INTERVALS, clock=lambda: NOW,
                               **settings)

    def assert_row(self, expected, row, mapping, where):
        """A row is the model's: count, min, max and bins exact, sum and mean to rounding."""
        if expected is None:
            self.assertIsNone(row, where)
            return
        self.assertEqual((expected['count'], expected['min'], expected['max'], expected['bins']),
                         (row['count'], row['min'], row['max'], row.bins), where)
        for figure in ('sum', 'mean'):
            self.assertTrue(math.isclose(expected[figure], row[figure], rel_tol=1e-9,
                                         abs_tol=1e-6), (where, figure, expected, row))

    def assert_quantiles(self, expected, got, mapping, where):
        """Each quantile is the core's of the model's bucket, and, where no bin was
        collapsed, within the relative accuracy of numpy's order statistic ('lower')."""
        a = mapping.relative_accuracy
        for name, q in QS.items():
            if expected is None:
                self.assertIsNone(got[name], (where, name))
                continue
            self.assertEqual(sketch.quantile(expected['stored'], q, mapping), got[name],
                             (where, name))
            if not expected['collapsed']:
                exact = float(np.percentile(expected['values'], q, method='lower'))
                self.assertLessEqual(abs(got[name] - exact), (a + ROUNDING) * abs(exact),
                                     (where, name, exact, got[name]))

    def assert_read(self, want, got, mapping):
        """``got`` (rows read with READ) is ``want`` ({time: model or None})."""
        self.assertEqual(list(want), list(got))
        for when, expected in want.items():
            self.assert_row(expected, got[when]['row'], mapping, when)
            self.assert_quantiles(expected, got[when], mapping, when)

    @FUZZ
    @given(points, st.sampled_from([None, '3min', '10min']), configs)
    def test_rows_are_the_sketches_of_the_values(self, points, every, config):
        """Each bucket reads as the sketch of its values, its quantiles within the relative
        accuracy: minute buckets, regrouped by every, the hour condensed, two names joined
        and series_many; bulk_insert stores what the inserts store."""
        self.clear()
        accuracy, max_bins = config
        t = self.make(relative_accuracy=accuracy, max_bins=max_bins)
        mapping = sketch.Mapping(accuracy)
        by_name, bulk = defaultdict(list), defaultdict(lambda: defaultdict(list))
        for name, offset, value in points:
            t.insert(name, value, timestamp=T0 + offset)
            by_name[name].append((offset, value))
            bulk[T0 + offset][name.upper()].append(value)
        t.bulk_insert(bulk)
        step = 60 if every is None else {'3min': 180, '10min': 600}[every]

        def rows(values_of):
            return {when: model(values, mapping, max_bins) for when, values in values_of}
        for name in ('a', 'b'):
            per_step = defaultdict(list)
            for offset, value in by_name[name]:
                per_step[offset // step].append(value)
            want = rows((T0 + n * step, per_step[n]) for n in range(7200 // step))
            self.assert_read(want, t.series(name, 'minute', start=T0, end=T0 + 7199,
                                            every=every, transform=READ), mapping)
            hours = rows((T0 + h * 3600, [v for o, v in by_name[name] if o // 3600 == h])
                         for h in (0, 1))
            self.assert_read(hours, t.series(name, 'hour', start=T0, steps=2, condense=True,
                                             transform=READ), mapping)
            for bulked, inserted in zip(
                    t.series(name.upper(), 'hour', start=T0, steps=2, condense=True).values(),
                    t.series(name, 'hour', start=T0, steps=2, condense=True).values()):
                self.assertEqual(*[None if row is None else (row.bins, row['count'],
                                                             row['min'], row['max'])
                                   for row in (bulked, inserted)])
        joined = rows([(T0, [v for _, _, v in points])])
        self.assert_read(joined, t.series(['a', 'b'], 'hour', start=T0, steps=2,
                                          collapse=True, transform=READ), mapping)
        many = t.series_many(['a', 'b'], 'hour', start=T0, steps=2, collapse=True,
                             transform=READ)
        for name in ('a', 'b'):
            self.assert_read(rows([(T0, [v for _, v in by_name[name]])]), many[name], mapping)

    def test_transforms(self):
        """Its figures and quantiles are its transforms, rate the count per second; a
        transform that needs the values themselves is refused."""
        t = self.make()
        for value in (1, '2', 3.0, 6, -1, 0):
            t.insert('x', value, timestamp=T0)
        got = plain(t.get('x', 'minute', T0, transform=['count', 'sum', 'min', 'max', 'mean',
                                                          'rate']))
        self.assertEqual({T0: {'count': 6, 'sum': 11.0, 'min': -1.0, 'max': 6.0,
                               'mean': 11 / 6, 'rate': 6 / 60}}, got)
        got = t.get('x', 'minute', T0, transform=['median', 'p100', percentile(20)])[T0]
        # sorted -1, 0, 1, 2, 3, 6: ranks 2 (median), 5 and 1 (zero), within 1 %
        self.assertEqual([1.0, 6.0, 0.0], [round(got[name], 1) for name in
                                           ('median', 'p100', percentile(20))])
        self.assertLessEqual(abs(got['median'] - 1), 0.01 + ROUNDING)
        self.assertLessEqual(abs(got['p100'] - 6), 0.06)
        empty = plain(t.get('x', 'minute', T0 + 60, transform=['count', 'median', 'rate']))
        self.assertEqual({T0 + 60: {'count': None, 'median': None, 'rate': 0}}, empty)
        self.assertEqual({T0 + 60: None}, plain(t.get('x', 'minute', T0 + 60)))
        for name in ('stddev', 'first'):
            with self.assertRaisesRegex(InvalidQuery, 'a sketch row holds only their count, '
                                        'sum, min, max and how many fell in each logarithmic '
                                        'bin: a sketch supports'):
                t.get('x', 'minute', T0, transform=name)

    def test_read_func_is_not_applied(self):
        """A read_func leaves a sketch's rows as they are: they are statistics of the values."""
        t = self.timeseries(type='sketch', intervals=INTERVALS, read_func=int)
        t.insert('x', [1.5, 2.5], timestamp=T0)
        self.assertEqual({T0: {'count': 2, 'sum': 4.0, 'min': 1.5, 'max': 2.5, 'mean': 2.0}},
                         plain(t.get('x', 'minute', T0)))
        self.assertEqual({T0: 2}, plain(t.get('x', 'hour', T0, transform='count')))

    def test_settings(self):
        """relative_accuracy and max_bins are checked as the Timeseries is built, taken as
        given (the caller's dict untouched) and refused for another type."""
        config = {'relative_accuracy': 0.05, 'max_bins': 3}
        t = self.make(**config)
        self.assertEqual({'relative_accuracy': 0.05, 'max_bins': 3}, config)
        t.insert('x', [1, 10, 100, 1000, 10000], timestamp=T0)
        row = t.get('x', 'minute', T0)[T0]
        self.assertEqual(3, len(row.bins))
        self.assertEqual(sketch.Mapping(0.05), row.mapping)
        for bad in ({'relative_accuracy': 0}, {'relative_accuracy': 1},
                    {'relative_accuracy': 1e-7}, {'relative_accuracy': '0.01'},
                    {'max_bins': 0}, {'max_bins': 2.5}, {'max_bins': True}):
            with self.assertRaisesRegex(ConfigurationError, list(bad)[0]):
                self.make(**bad)
        with self.assertRaisesRegex(ConfigurationError, 'max_bins is a setting of a sketch, '
                                    'not of a summary'):
            self.timeseries(type='summary', intervals=INTERVALS, max_bins=10)
        with self.assertRaisesRegex(ConfigurationError, "did you mean 'relative_accuracy'"):
            self.make(relative_acuracy=0.1)

    def test_lognormal_at_another_accuracy(self):
        """At a relative accuracy of 5 %, two thousand lognormal values in two buckets keep
        every quantile within 5 % of numpy's, alone and condensed, in fewer bins than at 1 %."""
        t = self.make(relative_accuracy=0.05)
        mapping = sketch.Mapping(0.05)
        data = np.random.default_rng(7).lognormal(0, 1, 2000).tolist()
        t.bulk_insert({T0: {'x': data[:1000]}, T0 + 60: {'x': data[1000:]}})
        minutes = t.series('x', 'minute', start=T0, steps=2, transform=READ)
        self.assert_read({T0: model(data[:1000], mapping, 2048),
                          T0 + 60: model(data[1000:], mapping, 2048)}, minutes, mapping)
        hour = t.get('x', 'hour', T0, condensed=True, transform=READ)
        self.assert_read({T0: model(data, mapping, 2048)}, hour, mapping)
        self.assertLess(len(hour[T0]['row'].bins),
                        len(sketch.bins(data, sketch.Mapping(0.01))) / 4)

    def test_storage(self):
        """A bucket is stored as kairos.sketch's fields: a sorted set of them on Redis, a
        document's value on Mongo, a row each in SQL."""
        t = self.make()
        t.insert('x', [1, 1, 2.5, -3, 0], timestamp=T0)
        want = sketch.bucket([1, 1, 2.5, -3, 0], sketch.Mapping(0.01))
        self.assertEqual({'p0': 2, 'p46': 1, 'n55': 1, 'z': 1, 'count': 5, 'sum': 1.5,
                          'min': -3.0, 'max': 2.5}, want)
        if self.backend == 'redis':
            [key] = [key for key in self.snapshot() if b':minute:' in key]
            stored = {member.decode(): score
                      for member, score in self.client.zrange(key, 0, -1, withscores=True)}
        elif self.backend == 'mongo':
            stored = self.client['minute'].find_one({'name': 'x'})['value']
        else:
            quote = self.engine.dialect.identifier_preparer.quote
            with self.engine.connect() as connection:
                stored = dict(connection.exec_driver_sql(
                    "SELECT field, value FROM sketch WHERE name = 'x' AND %s = 'minute'"
                    % quote('interval')).all())
        self.assertEqual(want, stored)

    def test_refusals_write_nothing(self):
        """A value that is not a finite number of magnitude up to 1e300 is refused before
        anything is written."""
        t = self.make()
        for bad in ('five', None, float('nan'), float('-inf'), True, {'x': 1}, 1e301, '1e400',
                    10 ** 400):
            with self.assertRaises(InvalidValue):
                t.insert('x', bad, timestamp=T0)
            with self.assertRaises(InvalidValue):
                t.bulk_insert({T0: {'x': [1, bad]}})
        self.assertEqual([], t.list())
        self.assertEqual({}, self.snapshot())

    def test_meta_data(self):
        """list, properties and delete see a sketch's buckets as any type's."""
        t = self.make()
        t.insert('a', [1, 2], timestamp=T0)
        t.insert('a', 3, timestamp=T0 + 3600)
        t.insert('b', -4, timestamp=T0 + 60)
        self.assertEqual(['a', 'b'], t.list())
        self.assertEqual({'minute': {'first': T0, 'last': T0 + 3600},
                          'hour': {'first': T0, 'last': T0 + 3600}}, t.properties('a'))
        self.assertGreater(t.delete('a'), 0)
        self.assertEqual(['b'], t.list())
        self.assertEqual({T0 + 60: 1}, plain(t.get('b', 'minute', T0 + 60, transform='count')))

    def test_retention(self):
        """A bucket lives steps * step after its latest write: Redis (EXPIRE) and Mongo (its
        TTL index) expire it themselves, so expire() is 0 there; SQL hides it from reads,
        and expire() deletes its rows."""
        now = [T0]
        t = self.timeseries(type='sketch', clock=lambda: now[0],
                            intervals={'minute': {'step': 60, 'steps': 2}})
        t.insert('x', [1, 2.5, -3], timestamp=T0)
        self.assertEqual(3, t.get('x', 'minute', T0)[T0]['count'])
        now[0] = T0 + 121
        if self.backend == 'sql':
            self.assertEqual({T0: None}, plain(t.get('x', 'minute', T0)))
            self.assertEqual(7, t.expire())   # three bins, count, sum, min, max
            self.assertEqual([], t.list())
        else:
            self.assertEqual(0, t.expire())
            if self.backend == 'redis':
                self.assertTrue(all(ttl for _, _, ttl in self.snapshot().values()))
            else:
                indexes = self.client['minute'].index_information().values()
                self.assertIn(120, [index.get('expireAfterSeconds') for index in indexes])


class TestSketchRedis(SketchBehaviour, RedisCase):
    pass


class TestSketchRedisCluster(SketchBehaviour, RedisClusterCase):
    pass


class TestSketchRedisClusterHashTag(SketchBehaviour, RedisClusterHashTagCase):
    pass


class TestSketchMongo(SketchBehaviour, MongoCase):
    pass


class TestSketchSqlite(SketchBehaviour, SqliteCase):
    pass


class TestSketchPostgres(SketchBehaviour, PostgresCase):
    pass


class TestSketchMysql(SketchBehaviour, MysqlCase):
    pass
