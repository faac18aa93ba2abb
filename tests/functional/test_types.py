"""Concrete results per type, as pinned by the kairos 0.5.0 test helpers.

Data: 'test' gets one value per second for t = 1..299 and 'test2' for
t = 60..119, with the type's value of t (one bulk_insert); minute is step 60 / steps 5 and
hour step 3600 / resolution 60 (see common.intervals()).
"""

from tests.support import MongoCase, RedisCase, RedisClusterCase
from tests.functional.common import at, gauge_read, intervals, plain


class Filled:

    async_twin = True  # run on kairos.asyncio too (tests.support.AsyncCase)
    type = None
    read_func = None

    def value(self, t):
        return t

    def setUp(self):
        super().setUp()
        self.t = self.timeseries(type=self.type, read_func=self.read_func, prefix='kairos',
                                 intervals=intervals())
        inserts = {at(t): {'test': [self.value(t)]} for t in range(1, 300)}
        for t in range(60, 120):
            inserts[at(t)]['test2'] = [self.value(t)]
        self.t.bulk_insert(inserts)

    def get(self, *args, **kwargs):
        return plain(self.t.get(*args, **kwargs))

    def series(self, *args, **kwargs):
        return plain(self.t.series(*args, **kwargs))


class SeriesTypeBehaviour(Filled):
    type = 'series'
    read_func = int

    def test_get(self):
        """A series bucket lists the values inserted into it, in order."""
        self.assertEqual(self.get('test', 'minute', timestamp=at(100)),
                         {at(60): list(range(60, 120))})
        self.assertEqual(self.get('test', 'minute', timestamp=at(59)),
                         {at(0): list(range(1, 60))})

    def test_transforms(self):
        """Series transforms: count, min, max, sum, mean of the values."""
        got = self.get('test', 'minute', timestamp=at(100),
                       transform=['count', 'min', 'max', 'sum', 'mean'])
        self.assertEqual(got, {at(60): {'count': 60, 'min': 60, 'max': 119,
                                        'sum': sum(range(60, 120)), 'mean': 89.5}})

    def test_hour(self):
        """Hour with resolution 60: one row per minute; condensed, all values."""
        got = self.get('test', 'hour', timestamp=at(100))
        self.assertEqual(len(got), 5)
        self.assertEqual(got[at(60)], list(range(60, 120)))
        self.assertEqual(self.get('test', 'hour', timestamp=at(100), condensed=True),
                         {at(0): list(range(1, 300))})
        self.assertEqual(self.get('test', 'hour', timestamp=at(100), condensed=True,
                                  transform=['min', 'max']), {at(0): {'min': 1, 'max': 299}})

    def test_series(self):
        """Series over 5 minutes, then collapsed."""
        got = self.series('test', 'minute', end=at(250))
        self.assertEqual(list(got), [at(0), at(60), at(120), at(180), at(240)])
        self.assertEqual(got[at(0)], list(range(1, 60)))
        self.assertEqual(self.series('test', 'minute', end=at(250), collapse=True),
                         {at(0): list(range(1, 300))})
        self.assertEqual(self.series('test', 'minute', end=at(250), collapse=True,
                                     transform=['min', 'count']),
                         {at(0): {'min': 1, 'count': 299}})

    def test_joined(self):
        """Joined series concatenate the names' values in name order."""
        self.assertEqual(self.get(['test', 'test2'], 'minute', timestamp=at(100)),
                         {at(60): list(range(60, 120)) * 2})
        self.assertEqual(self.get(['test', 'test2'], 'hour', timestamp=at(100), condensed=True,
                                  transform=['min', 'max', 'count']),
                         {at(0): {'min': 1, 'max': 299, 'count': 359}})


class HistogramTypeBehaviour(Filled):
    type = 'histogram'
    read_func = int

    def value(self, t):
        return t // 2

    def test_get(self):
        """A histogram bucket counts each value."""
        self.assertEqual(self.get('test', 'minute', timestamp=at(100)),
                         {at(60): dict.fromkeys(range(30, 60), 2)})

    def test_transforms(self):
        """Histogram transforms weigh each value by its count."""
        got = self.get('test', 'minute', timestamp=at(100),
                       transform=['count', 'min', 'max', 'sum', 'mean'])
        self.assertEqual(got, {at(60): {'count': 60, 'min': 30, 'max': 59,
                                        'sum': 2 * sum(range(30, 60)), 'mean': 44.5}})

    def test_series(self):
        """Histogram series, condensed hour and collapse add counts up."""
        got = self.series('test', 'minute', end=at(250))
        expected = dict.fromkeys(range(1, 30), 2)
        expected[0] = 1
        self.assertEqual(got[at(0)], expected)
        collapsed = self.series('test', 'minute', end=at(250), collapse=True)[at(0)]
        self.assertEqual(sorted(collapsed), list(range(150)))
        self.assertEqual(sum(collapsed.values()), 299)
        condensed = self.get('test', 'hour', timestamp=at(100), condensed=True)[at(0)]
        self.assertEqual(condensed, collapsed)

    def test_joined(self):
        """Joined histograms add counts per value."""
        self.assertEqual(self.get(['test', 'test2'], 'minute', timestamp=at(100)),
                         {at(60): dict.fromkeys(range(30, 60), 4)})
        self.assertEqual(self.get(['test', 'test2'], 'minute', timestamp=at(400)),
                         {at(360): {}})


class CountTypeBehaviour(Filled):
    type = 'count'

    def value(self, t):
        return 1

    def test_get(self):
        """A count bucket counts the inserts; an empty one is 0."""
        self.assertEqual(self.get('test', 'minute', timestamp=at(100)), {at(60): 60})
        self.assertEqual(self.get('test', 'minute', timestamp=at(400)), {at(360): 0})
        self.assertEqual(self.get('test', 'hour', timestamp=at(100), condensed=True),
                         {at(0): 299})

    def test_transforms(self):
        """Named count transforms return the value; callables get the value."""
        self.assertEqual(self.get('test', 'minute', timestamp=at(100),
                                  transform=['mean', 'count', 'min', 'max', 'sum']),
                         {at(60): dict.fromkeys(['mean', 'count', 'min', 'max', 'sum'], 60)})
        self.assertEqual(self.get('test', 'minute', timestamp=at(100),
                                  transform=lambda v: v * 2), {at(60): 120})

    def test_series(self):
        """Count series per minute, collapsed to the total."""
        self.assertEqual(list(self.series('test', 'minute', end=at(250)).values()),
                         [59, 60, 60, 60, 60])
        self.assertEqual(self.series('test', 'minute', end=at(250), collapse=True),
                         {at(0): 299})

    def test_joined(self):
        """Joined counts add up; joined empty is 0."""
        self.assertEqual(self.get(['test', 'test2'], 'minute', timestamp=at(100)),
                         {at(60): 120})
        self.assertEqual(self.get(['test', 'test2'], 'minute', timestamp=at(400)),
                         {at(360): 0})


class GaugeTypeBehaviour(Filled):
    type = 'gauge'
    read_func = staticmethod(gauge_read)

    def test_get(self):
        """A gauge bucket holds the last value; an empty one reads as read_func('')."""
        self.assertEqual(self.get('test', 'minute', timestamp=at(100)), {at(60): 119})
        self.assertEqual(self.get('test', 'minute', timestamp=at(400)), {at(360): 0})
        self.assertEqual(self.get('test', 'hour', timestamp=at(100), condensed=True),
                         {at(0): 299})

    def test_series(self):
        """A gauge series holds each bucket's last value; collapse keeps the latest."""
        self.assertEqual(self.series('test', 'minute', end=at(240), steps=2),
                         {at(180): 239, at(240): 299})
        self.assertEqual(self.series('test', 'minute', end=at(240), steps=2, collapse=True),
                         {at(180): 299})

    def test_joined(self):
        """Joined gauges take the last name's value; joined empty is read_func('')."""
        self.assertEqual(self.get(['test', 'test2'], 'minute', timestamp=at(100)),
                         {at(60): 119})
        self.assertEqual(self.get(['test', 'test2'], 'minute', timestamp=at(400)),
                         {at(360): 0})
        self.assertEqual(self.get(['test', 'test2'], 'hour', timestamp=at(100),
                                  condensed=True), {at(0): 299})


class FloatGaugeBehaviour(Filled):
    """A gauge whose read_func cannot read '' (float): its empty buckets read as None."""
    type = 'gauge'
    read_func = float

    def test_get_gaps(self):
        """get of an empty gauge bucket, coarse or condensed, is None; full ones are floats."""
        self.assertEqual(self.get('test', 'minute', timestamp=at(100)), {at(60): 119.0})
        self.assertEqual(self.get('test', 'minute', timestamp=at(400)), {at(360): None})
        self.assertEqual(self.get('test', 'hour', timestamp=at(3700)), {})
        self.assertEqual(self.get('test', 'hour', timestamp=at(3700), condensed=True),
                         {at(3600): None})
        self.assertEqual(self.get('test', 'hour', timestamp=at(3700), condensed=True,
                                  transform=lambda row, duration: (row, duration)),
                         {at(3600): (None, 3600)})
        self.assertEqual(self.get('test', 'minute', timestamp=at(400), transform='max'),
                         {at(360): None})

    def test_series_gaps(self):
        """A gauge series reads each empty bucket as None, coarse, condensed or collapsed."""
        self.assertEqual(self.series('test', 'minute', end=at(420), steps=4),
                         {at(240): 299.0, at(300): None, at(360): None, at(420): None})
        self.assertEqual(self.series('test', 'minute', start=at(360), steps=2, collapse=True),
                         {at(360): None})
        self.assertEqual(self.series('test', 'hour', end=at(3600), steps=2, condensed=True),
                         {at(0): 299.0, at(3600): None})
        self.assertEqual(self.series('test', 'hour', end=at(7200), steps=2,
                                     condense=lambda rows: rows),
                         {at(3600): {}, at(7200): {}})
        rows = self.series('test', 'hour', end=at(3600), steps=2)
        self.assertEqual(rows[at(3600)], {})
        self.assertEqual(rows[at(0)][at(240)], 299.0)
        self.assertEqual(self.series('test', 'minute', end=at(420), steps=2, transform='mean'),
                         {at(360): None, at(420): None})

    def test_joined_gaps(self):
        """Joined gauges read a gap as None, and join_rows gets None for a name without data."""
        self.assertEqual(self.get(['test', 'test2'], 'minute', timestamp=at(400)),
                         {at(360): None})
        self.assertEqual(self.get(['test', 'test2'], 'minute', timestamp=at(200),
                                  join_rows=lambda rows: rows), {at(180): [239.0, None]})
        self.assertEqual(self.series(['test', 'test2'], 'hour', end=at(3600), steps=2,
                                     condensed=True), {at(0): 299.0, at(3600): None})
        self.assertEqual(self.series(['test', 'test2'], 'hour', end=at(3600), steps=2,
                                     join_rows=lambda rows: rows)[at(0)][at(180)],
                         [239.0, None])


class SetTypeBehaviour(Filled):
    type = 'set'
    read_func = int

    def value(self, t):
        return t // 15

    def test_get(self):
        """A set bucket holds the distinct values, 0 included."""
        self.assertEqual(self.get('test', 'minute', timestamp=at(0)), {at(0): {0, 1, 2, 3}})
        self.assertEqual(self.get('test', 'minute', timestamp=at(60)), {at(60): {4, 5, 6, 7}})
        self.assertEqual(self.get('test', 'minute', timestamp=at(400)), {at(360): set()})

    def test_series(self):
        """Set condensed and collapse take the union."""
        self.assertEqual(self.get('test', 'hour', timestamp=at(100), condensed=True),
                         {at(0): set(range(20))})
        self.assertEqual(self.series('test', 'minute', end=at(250), collapse=True),
                         {at(0): set(range(20))})
        self.assertEqual(self.get('test', 'minute', timestamp=at(60), transform='count'),
                         {at(60): 4})

    def test_joined(self):
        """Joined sets take the union; joined empty is set()."""
        self.assertEqual(self.get(['test', 'test2'], 'minute', timestamp=at(60)),
                         {at(60): {4, 5, 6, 7}})
        self.assertEqual(self.series(['test', 'test2'], 'minute', start=at(400), steps=1),
                         {at(360): set()})


class TestSeriesTypeRedis(SeriesTypeBehaviour, RedisCase):
    pass


class TestSeriesTypeRedisCluster(TestSeriesTypeRedis, RedisClusterCase):
    """The same on a Redis Cluster."""


class TestSeriesTypeMongo(SeriesTypeBehaviour, MongoCase):
    pass


class TestHistogramTypeRedis(HistogramTypeBehaviour, RedisCase):
    pass


class TestHistogramTypeRedisCluster(TestHistogramTypeRedis, RedisClusterCase):
    """The same on a Redis Cluster."""


class TestHistogramTypeMongo(HistogramTypeBehaviour, MongoCase):
    pass


class TestCountTypeRedis(CountTypeBehaviour, RedisCase):
    pass


class TestCountTypeRedisCluster(TestCountTypeRedis, RedisClusterCase):
    """The same on a Redis Cluster."""


class TestCountTypeMongo(CountTypeBehaviour, MongoCase):
    pass


class TestGaugeTypeRedis(GaugeTypeBehaviour, RedisCase):
    pass


class TestGaugeTypeRedisCluster(TestGaugeTypeRedis, RedisClusterCase):
    """The same on a Redis Cluster."""


class TestGaugeTypeMongo(GaugeTypeBehaviour, MongoCase):
    pass


class TestFloatGaugeRedis(FloatGaugeBehaviour, RedisCase):
    pass


class TestFloatGaugeRedisCluster(TestFloatGaugeRedis, RedisClusterCase):
    """The same on a Redis Cluster."""


class TestFloatGaugeMongo(FloatGaugeBehaviour, MongoCase):
    pass


class TestSetTypeRedis(SetTypeBehaviour, RedisCase):
    pass


class TestSetTypeRedisCluster(TestSetTypeRedis, RedisClusterCase):
    """The same on a Redis Cluster."""


class TestSetTypeMongo(SetTypeBehaviour, MongoCase):
    pass
