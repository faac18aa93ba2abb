"""Names and queries: delete touches only its own statistic; bad names, intervals, transforms."""

import kairos
from kairos.exceptions import InvalidName, InvalidQuery, KairosException, UnknownInterval

from tests.support import MongoCase, RedisCase, RedisClusterCase
from tests.functional.common import at, intervals, plain

NAMES = ['a', 'a:minute:5', 'a:b', 'a*', 'a?', 'a[b]', '*', 'a b', 'ä€名', 'b', 'ab',
         'a:hour:500000', 'a\\']
# records one statistic with data at at(10) and at(70) has: Redis 2 minute keys,
# 1 hour index and 2 resolution keys; Mongo 2 minute and 2 hour documents; SQL 4 rows
RECORDS = {'redis': 5, 'mongo': 4, 'sql': 4}


class DeleteBehaviour:

    async_twin = True  # run on kairos.asyncio too (tests.support.AsyncCase)

    def setUp(self):
        super().setUp()
        self.t = self.timeseries(type='series', read_func=str, prefix='kairos',
                                 intervals=intervals())
        for name in NAMES:
            self.t.insert(name, name, timestamp=at(10))
            self.t.insert(name, name, timestamp=at(70))

    def read(self, name):
        return (plain(self.t.series(name, 'minute', end=at(70), steps=2)),
                plain(self.t.series(name, 'hour', end=at(70), steps=1)))

    def expected(self, name):
        return ({at(0): [name], at(60): [name]}, {at(0): {at(0): [name], at(60): [name]}})

    def test_delete_each_name_alone(self):
        """delete(name) removes that name's data, returns its record count, leaves the rest."""
        for name in NAMES:
            self.assertEqual(self.read(name), self.expected(name), name)
        gone = []
        for name in NAMES:
            self.assertEqual(self.t.delete(name), RECORDS[self.backend], name)
            gone.append(name)
            for other in NAMES:
                if other in gone:
                    self.assertEqual(self.read(other), ({at(0): [], at(60): []}, {at(0): {}}),
                                     (name, other))
                else:
                    self.assertEqual(self.read(other), self.expected(other), (name, other))

    def test_delete_prefix_of_another(self):
        """Deleting 'a' keeps 'a:minute:5', 'a:b' and 'a*', whose keys start like it."""
        self.assertEqual(self.t.delete('a'), RECORDS[self.backend])
        for other in NAMES[1:]:
            self.assertEqual(self.read(other), self.expected(other), other)

    def test_delete_missing_name(self):
        """Deleting a name without data returns 0 and changes nothing."""
        before = self.snapshot()
        self.assertEqual(self.t.delete('nothing'), 0)
        self.assertEqual(self.t.delete('a:'), 0)
        self.assertEqual(self.snapshot(), before)

    def test_delete_glob_names(self):
        """A name made of glob characters only removes itself."""
        before = self.snapshot()
        self.assertEqual(self.t.delete('*'), RECORDS[self.backend])
        after = self.snapshot()
        self.assertNotEqual(before, after)
        for other in NAMES:
            if other != '*':
                self.assertEqual(self.read(other), self.expected(other), other)


class BadInputBehaviour:

    async_twin = True  # run on kairos.asyncio too (tests.support.AsyncCase)

    def setUp(self):
        super().setUp()
        self.t = self.timeseries(type='count', prefix='kairos', intervals=intervals())
        self.t.insert('test', timestamp=at(10))

    def test_bad_names_raise_invalid_name_and_write_nothing(self):
        """insert/bulk_insert/delete with a non-str or empty name raise InvalidName, writing nothing."""
        before = self.snapshot()
        for name in (b'test', {'$ne': None}, None, '', 5):
            with self.assertRaises(InvalidName, msg=repr(name)):
                self.t.insert(name, timestamp=at(10))
            with self.assertRaises(InvalidName, msg=repr(name)):
                self.t.delete(name)
            if isinstance(name, (str, bytes, int)) or name is None:
                with self.assertRaises(InvalidName, msg=repr(name)):
                    self.t.bulk_insert({at(10): {name: [1]}})
        self.assertEqual(self.snapshot(), before)

    def test_bad_names_in_reads(self):
        """get/series with a non-str, empty, or list holding such a name raise InvalidName."""
        for name in (b'test', {'$ne': None}, None, '', ['test', b'test'], [], ['test', None]):
            with self.assertRaises(InvalidName, msg=repr(name)):
                self.t.get(name, 'minute', timestamp=at(10))
            with self.assertRaises(InvalidName, msg=repr(name)):
                self.t.series(name, 'minute', end=at(10))

    def test_invalid_name_is_value_and_type_error(self):
        """InvalidName is a KairosException, a ValueError and a TypeError."""
        for base in (KairosException, ValueError, TypeError):
            with self.assertRaises(base):
                self.t.insert(b'test')

    def test_dict_name_deletes_nothing(self):
        """delete({'$ne': None}) raises and removes no statistic."""
        before = self.snapshot()
        with self.assertRaises(InvalidName):
            self.t.delete({'$ne': None})
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(plain(self.t.get('test', 'minute', timestamp=at(10))), {at(0): 1})

    def test_unknown_interval(self):
        """get and series with an unconfigured interval raise UnknownInterval (a LookupError)."""
        for call in (lambda: self.t.get('test', 'day', timestamp=at(10)),
                     lambda: self.t.series('test', 'day', end=at(10)),
                     lambda: self.t.get('test', None),
                     lambda: self.t.series(['test'], 'Minute')):
            with self.assertRaises(UnknownInterval):
                call()
            with self.assertRaises(LookupError):
                call()
        self.assertTrue(issubclass(kairos.UnknownInterval, KairosException))

    def test_unknown_transform(self):
        """An unknown transform name raises InvalidQuery, alone, in a list or in a dict."""
        for transform in ('mode', ['min', 'mode'], {'m': 'mode'}, 5):
            with self.assertRaises(InvalidQuery, msg=repr(transform)):
                self.t.get('test', 'minute', timestamp=at(10), transform=transform)
            with self.assertRaises(InvalidQuery, msg=repr(transform)):
                self.t.series('test', 'minute', end=at(10), transform=transform)

    def test_count_accepts_named_transforms(self):
        """A count accepts mean/count/min/max/sum and returns its value for each."""
        got = self.t.get('test', 'minute', timestamp=at(10),
                         transform=['mean', 'count', 'min', 'max', 'sum'])
        self.assertEqual(plain(got), {at(0): dict.fromkeys(['mean', 'count', 'min', 'max',
                                                            'sum'], 1)})

    def test_gauge_accepts_named_transforms(self):
        """A gauge accepts mean/count/min/max/sum and returns its value for each."""
        t = self.timeseries(type='gauge', read_func=int, intervals=intervals())
        t.insert('g', 7, timestamp=at(10))
        got = t.get('g', 'minute', timestamp=at(10), transform={'m': 'mean', 'c': 'count'})
        self.assertEqual(plain(got), {at(0): {'m': 7, 'c': 7}})


class TestDeleteRedis(DeleteBehaviour, RedisCase):
    pass


class TestDeleteRedisCluster(TestDeleteRedis, RedisClusterCase):
    """The same on a Redis Cluster."""


class TestDeleteMongo(DeleteBehaviour, MongoCase):
    pass


class TestBadInputRedis(BadInputBehaviour, RedisCase):
    pass


class TestBadInputRedisCluster(TestBadInputRedis, RedisClusterCase):
    """The same on a Redis Cluster."""


class TestBadInputMongo(BadInputBehaviour, MongoCase):
    pass
