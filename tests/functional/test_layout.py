"""Storage layout: the exact Redis keys and Mongo documents kairos writes (0.5.0-compatible)."""

from datetime import datetime, timedelta

import redis

from tests.support import MongoCase, RedisCase, redis_url
from tests.functional.common import at, intervals, utc

FEB1 = utc(2038, 2, 1)


def gregorian(steps=None):
    config = {'daily': {'step': 'daily'}, 'weekly': {'step': 'weekly'},
              'monthly': {'step': 'monthly'}, 'yearly': {'step': 'yearly'}}
    if steps:
        config['daily']['steps'] = steps
    return config


def utcdatetime(ts):
    return datetime(1970, 1, 1) + timedelta(seconds=ts)


class TestRedisLayout(RedisCase):

    def setUp(self):
        super().setUp()
        self.text = redis.Redis.from_url(redis_url(), decode_responses=True)

    def tearDown(self):
        self.text.close()
        super().tearDown()

    def keys(self):
        return sorted(self.text.keys('*'))

    def test_series_keys(self):
        """series: a LIST per coarse bucket; a SET index and a LIST per resolution when fine."""
        t = self.timeseries(type='series', prefix='kairos', intervals=intervals())
        t.insert('test', 5, timestamp=at(100))
        t.insert('test', 6, timestamp=at(110))
        self.assertEqual(self.keys(), ['kairos:test:hour:500000', 'kairos:test:hour:500000:30000001',
                                       'kairos:test:minute:30000001'])
        self.assertEqual(self.text.type('kairos:test:minute:30000001'), 'list')
        self.assertEqual(self.text.lrange('kairos:test:minute:30000001', 0, -1), ['5', '6'])
        self.assertEqual(self.text.type('kairos:test:hour:500000'), 'set')
        self.assertEqual(self.text.smembers('kairos:test:hour:500000'), {'30000001'})
        self.assertEqual(self.text.lrange('kairos:test:hour:500000:30000001', 0, -1), ['5', '6'])

    def test_ttl(self):
        """Keys of an interval with steps expire after steps*step; others never."""
        t = self.timeseries(type='series', prefix='kairos', intervals=intervals())
        t.insert('test', 5, timestamp=at(100))
        ttl = self.text.ttl('kairos:test:minute:30000001')
        self.assertTrue(5 * 60 - 2 <= ttl <= 5 * 60, ttl)
        self.assertEqual(self.text.ttl('kairos:test:hour:500000'), -1)
        self.assertEqual(self.text.ttl('kairos:test:hour:500000:30000001'), -1)

    def test_ttl_fine_interval(self):
        """With steps on a fine interval both the index and the data key expire."""
        t = self.timeseries(type='count', prefix='kairos',
                            intervals={'hour': {'step': 3600, 'steps': 3, 'resolution': 60}})
        t.insert('c', timestamp=at(100))
        for key in ('kairos:c:hour:500000', 'kairos:c:hour:500000:30000001'):
            ttl = self.text.ttl(key)
            self.assertTrue(3 * 3600 - 2 <= ttl <= 3 * 3600, (key, ttl))

    def test_prefix(self):
        """prefix 'kairos' and 'kairos:' give 'kairos:' keys; no prefix gives bare names."""
        for prefix, key in (('kairos', 'kairos:a:minute:30000001'),
                            ('kairos:', 'kairos:a:minute:30000001'),
                            (None, 'a:minute:30000001'), ('', 'a:minute:30000001'),
                            ('p:q', 'p:q:a:minute:30000001')):
            self.client.flushdb()
            t = self.timeseries(type='gauge', prefix=prefix,
                                intervals={'minute': {'step': 60}})
            t.insert('a', 1, timestamp=at(100))
            self.assertEqual(self.keys(), [key], prefix)

    def test_type_keys(self):
        """histogram HASH value->count, count STRING, gauge STRING, set SET."""
        config = {'minute': {'step': 60}}
        hist = self.timeseries(type='histogram', prefix='kairos', intervals=config)
        hist.insert('h', 5, timestamp=at(100))
        hist.insert('h', 5, timestamp=at(101))
        hist.insert('h', 'x', timestamp=at(101))
        self.assertEqual(self.text.type('kairos:h:minute:30000001'), 'hash')
        self.assertEqual(self.text.hgetall('kairos:h:minute:30000001'), {'5': '2', 'x': '1'})
        count = self.timeseries(type='count', prefix='kairos', intervals=config)
        count.insert('c', timestamp=at(100))
        count.insert('c', 4, timestamp=at(100))
        self.assertEqual(self.text.type('kairos:c:minute:30000001'), 'string')
        self.assertEqual(self.text.get('kairos:c:minute:30000001'), '5')
        count.insert('f', 1.5, timestamp=at(100))
        self.assertEqual(float(self.text.get('kairos:f:minute:30000001')), 1.5)
        gauge = self.timeseries(type='gauge', prefix='kairos', intervals=config)
        gauge.insert('g', 3, timestamp=at(100))
        gauge.insert('g', 7, timestamp=at(101))
        self.assertEqual(self.text.type('kairos:g:minute:30000001'), 'string')
        self.assertEqual(self.text.get('kairos:g:minute:30000001'), '7')
        set_ = self.timeseries(type='set', prefix='kairos', intervals=config)
        for value in (3, 3, 0, -2):
            set_.insert('s', value, timestamp=at(100))
        self.assertEqual(self.text.type('kairos:s:minute:30000001'), 'set')
        self.assertEqual(self.text.smembers('kairos:s:minute:30000001'), {'3', '0', '-2'})

    def test_gregorian_keys(self):
        """Gregorian buckets appear in keys as YYYYMMDD, YYYYWW, YYYYMM and YYYY."""
        t = self.timeseries(type='series', prefix='kairos', intervals=gregorian(steps=5))
        t.insert('test', 1, timestamp=FEB1 + 3600)
        self.assertEqual(self.keys(), ['kairos:test:daily:20380201', 'kairos:test:monthly:203802',
                                       'kairos:test:weekly:203805', 'kairos:test:yearly:2038'])
        ttl = self.text.ttl('kairos:test:daily:20380201')
        self.assertTrue(5 * 86400 - 2 <= ttl <= 5 * 86400, ttl)
        self.assertEqual(self.text.ttl('kairos:test:yearly:2038'), -1)

    def test_gregorian_resolution_keys(self):
        """A weekly interval with resolution 60 indexes minute buckets under the week key."""
        t = self.timeseries(type='series', prefix='kairos',
                            intervals={'weekly': {'step': 'weekly', 'resolution': 60}})
        t.insert('test', 1, timestamp=FEB1 + 60)
        minute = (FEB1 + 60) // 60
        self.assertEqual(self.keys(), ['kairos:test:weekly:203805',
                                       'kairos:test:weekly:203805:%d' % minute])
        self.assertEqual(self.text.smembers('kairos:test:weekly:203805'), {str(minute)})

    def test_neighbour_keys(self):
        """intervals=2 writes the two following buckets' keys too."""
        t = self.timeseries(type='series', prefix='kairos', intervals={'minute': {'step': 60}})
        t.insert('n', 1, timestamp=at(100), intervals=2)
        self.assertEqual(self.keys(), ['kairos:n:minute:30000001', 'kairos:n:minute:30000002',
                                       'kairos:n:minute:30000003'])


class TestMongoLayout(MongoCase):

    def docs(self, collection):
        return sorted(({k: v for k, v in doc.items() if k != '_id'}
                       for doc in self.client[collection].find()),
                      key=lambda d: (d['name'], str(d['interval']), str(d.get('resolution'))))

    def test_series_documents(self):
        """One document per bucket: name, interval[, resolution], value[, expire_from]."""
        t = self.timeseries(type='series', intervals=intervals(), clock=lambda: at(500))
        t.insert('test', 5, timestamp=at(100))
        t.insert('test', 6, timestamp=at(110))
        self.assertEqual(sorted(self.client.list_collection_names()), ['hour', 'minute'])
        self.assertEqual(self.docs('minute'), [{'name': 'test', 'interval': 30000001,
                                                'value': [5, 6],
                                                'expire_from': utcdatetime(at(500))}])
        self.assertEqual(self.docs('hour'), [{'name': 'test', 'interval': 500000,
                                              'resolution': 30000001, 'value': [5, 6]}])
        doc = self.client['minute'].find_one()
        self.assertIn('_id', doc)

    def test_type_documents(self):
        """histogram {value: count}, count number, gauge value, set array."""
        config = {'minute': {'step': 60}}
        hist = self.timeseries(type='histogram', intervals=config)
        hist.insert('h', 5, timestamp=at(100))
        hist.insert('h', 5, timestamp=at(101))
        hist.insert('h', 'x', timestamp=at(101))
        count = self.timeseries(type='count', intervals=config)
        count.insert('c', timestamp=at(100))
        count.insert('c', 4, timestamp=at(100))
        gauge = self.timeseries(type='gauge', intervals=config)
        gauge.insert('g', 3, timestamp=at(100))
        gauge.insert('g', 7, timestamp=at(101))
        set_ = self.timeseries(type='set', intervals=config)
        for value in (3, 3, 0, -2):
            set_.insert('s', value, timestamp=at(100))
        docs = {d['name']: d['value'] for d in self.docs('minute')}
        self.assertEqual(docs['h'], {'5': 2, 'x': 1})
        self.assertEqual(docs['c'], 5)
        self.assertEqual(docs['g'], 7)
        self.assertEqual(sorted(docs['s']), [-2, 0, 3])

    def test_histogram_escaped_keys(self):
        """Histogram keys store '.' as U+FFFF and a leading '$' as U+FF04."""
        t = self.timeseries(type='histogram', intervals={'minute': {'step': 60}})
        for value in ('a.b', '$x', 3.5, 'y$'):
            t.insert('h', value, timestamp=at(100))
        self.assertEqual(self.docs('minute')[0]['value'],
                         {'a\uffffb': 1, '\uff04x': 1, '3\uffff5': 1, 'y$': 1})

    def test_gregorian_documents(self):
        """Gregorian buckets are stored as strings."""
        t = self.timeseries(type='count', intervals=gregorian())
        t.insert('test', timestamp=FEB1 + 3600)
        for name, bucket in (('daily', '20380201'), ('weekly', '203805'),
                             ('monthly', '203802'), ('yearly', '2038')):
            self.assertEqual(self.docs(name), [{'name': 'test', 'interval': bucket, 'value': 1}])

    def test_gregorian_resolution_documents(self):
        """A weekly interval with resolution 60: string week, int minute resolution."""
        t = self.timeseries(type='count', intervals={'weekly': {'step': 'weekly',
                                                                'resolution': 60}})
        t.insert('test', timestamp=FEB1 + 60)
        self.assertEqual(self.docs('weekly'), [{'name': 'test', 'interval': '203805',
                                                'resolution': (FEB1 + 60) // 60, 'value': 1}])

    def test_expire_from_of_neighbours(self):
        """expire_from is the write's time, for the neighbours intervals= writes too."""
        t = self.timeseries(type='count', intervals={'minute': {'step': 60, 'steps': 5}},
                            clock=lambda: at(1000.5))
        t.insert('n', timestamp=at(100), intervals=1)
        self.assertEqual(self.docs('minute'), [
            {'name': 'n', 'interval': 30000001, 'value': 1,
             'expire_from': utcdatetime(at(1000.5))},
            {'name': 'n', 'interval': 30000002, 'value': 1,
             'expire_from': utcdatetime(at(1000.5))}])

    def test_expire_from_is_the_latest_write(self):
        """Each write sets expire_from to its time, whatever the data's timestamp; a writer
        whose clock lags leaves it (0.5.0 set the data's timestamp)."""
        now = [at(200)]
        t = self.timeseries(type='count', intervals={'minute': {'step': 60, 'steps': 5}},
                            clock=lambda: now[0])
        t.insert('n', timestamp=at(110))
        self.assertEqual(self.docs('minute')[0]['expire_from'], utcdatetime(at(200)))
        now[0] = at(300)
        t.bulk_insert({at(65): {'n': [1]}, at(61): {'n': [1]}})     # a backfill
        self.assertEqual(self.docs('minute'), [
            {'name': 'n', 'interval': 30000001, 'value': 3, 'expire_from': utcdatetime(at(300))}])
        now[0] = at(250)
        t.insert('n', timestamp=at(115))
        self.assertEqual(self.docs('minute')[0]['expire_from'], utcdatetime(at(300)))

    def test_indexes(self):
        """Indexes: (interval, name) coarse, (interval, resolution, name) fine, TTL on expire_from."""
        self.timeseries(type='series', intervals=intervals())
        minute = self.client['minute'].index_information()
        hour = self.client['hour'].index_information()
        keys = lambda info: sorted(tuple(tuple(k) for k in i['key']) for i in info.values())
        self.assertIn((('interval', 1), ('name', 1)), keys(minute))
        self.assertIn((('interval', 1), ('resolution', 1), ('name', 1)), keys(hour))
        ttl = [i for i in minute.values() if [tuple(k) for k in i['key']] == [('expire_from', 1)]]
        self.assertEqual(len(ttl), 1)
        self.assertEqual(ttl[0]['expireAfterSeconds'], 300)
        self.assertFalse([i for i in hour.values() if 'expireAfterSeconds' in i])

    def test_gregorian_ttl_index(self):
        """A Gregorian interval with steps gets a TTL of steps days (weeks, ...)."""
        self.timeseries(type='series', intervals=gregorian(steps=5))
        info = self.client['daily'].index_information()
        self.assertEqual([i['expireAfterSeconds'] for i in info.values()
                          if 'expireAfterSeconds' in i], [5 * 86400])
