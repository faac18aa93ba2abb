"""list, properties, iterate, delete_all and expire for every type on every backend."""

import warnings

from hypothesis import HealthCheck, given, settings, strategies as st

from kairos import KairosWarning, Timeseries, UnknownInterval
from kairos.exceptions import DataConflict, InvalidName

from tests.functional.common import TypeFixture, at, declare_cases, intervals, plain, utc
from tests.functional.test_isolation import EXAMPLES, HOUR, INTERVALS, T0, name_lists
from tests.support import MongoCase, RedisCase, RedisClusterCase


class MetaBehaviour(TypeFixture):

    def neighbour(self):
        """Another configuration in the same store: other prefix, other interval names."""
        other = self.make(prefix='elsewhere', intervals={'day': {'step': 86400}})
        other.insert('foreign', self.model.value(7), at(0))
        return other

    def test_list(self):
        """list() gives the names of every statistic stored, sorted."""
        self.assertEqual(['other', 'test'], self.t.list())
        self.t.insert('a:b:minute:5', self.model.value(3), at(0))
        self.t.insert('é *?[x]', self.model.value(3), at(0))
        self.assertEqual(['a:b:minute:5', 'other', 'test', 'é *?[x]'], self.t.list())

    def test_list_is_this_configuration_only(self):
        """list() leaves out another prefix's or another interval's statistics."""
        other = self.neighbour()
        self.assertEqual(['other', 'test'], self.t.list())
        self.assertEqual(['foreign'], other.list())

    def test_list_empty(self):
        """list() of a configuration without data, or without intervals, is empty."""
        self.assertEqual([], self.make(prefix='nothing', intervals={'w': {'step': 7}}).list())
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', KairosWarning)
            bare = self.make(intervals={})
        self.assertEqual([], bare.list())
        self.assertEqual({}, bare.properties('test'))
        self.assertEqual(0, bare.delete_all())
        self.assertEqual(['other', 'test'], self.t.list())

    def test_properties(self):
        """properties() gives the starts of the first and last interval buckets, per interval."""
        self.assertEqual({'minute': {'first': at(0), 'last': at(3600)},
                          'hour': {'first': at(0), 'last': at(3600)}},
                         self.t.properties('test'))
        self.assertEqual({'minute': {'first': at(60), 'last': at(120)},
                          'hour': {'first': at(0), 'last': at(0)}},
                         self.t.properties('other'))

    def test_properties_gregorian(self):
        """Gregorian intervals give their UTC bucket starts, with and without resolution."""
        t = self.make(intervals={'daily': {'step': 'daily'},
                                 'monthly': {'step': 'monthly', 'resolution': 'daily'}})
        t.insert('g', self.model.value(5), at(0))
        t.insert('g', self.model.value(5), at(86400 * 40))
        self.assertEqual({'daily': {'first': utc(2027, 1, 15), 'last': utc(2027, 2, 24)},
                          'monthly': {'first': utc(2027, 1, 1), 'last': utc(2027, 2, 1)}},
                         t.properties('g'))

    def test_properties_unknown_name(self):
        """properties() of a name without data is {}."""
        self.assertEqual({}, self.t.properties('nobody'))
        self.assertEqual({}, self.t.properties('tes'))

    def test_properties_name_checked(self):
        """properties() and iterate() take one str name."""
        for bad in ('', ['test'], None):
            self.assertRaises(InvalidName, self.t.properties, bad)
            self.assertRaises(InvalidName, self.t.iterate, bad, 'minute')

    def test_iterate_coarse(self):
        """iterate() yields every bucket from the first to the last, empty ones included."""
        got = list(self.t.iterate('test', 'minute'))
        expected = self.t.series('test', 'minute', start=at(0), end=at(3600))
        self.assertEqual(61, len(got))
        self.assertEqual(list(expected.items()), got)

    def test_iterate_fine(self):
        """With a resolution, one pair per resolution bucket holding data, as get gives them."""
        got = list(self.t.iterate('test', 'hour'))
        expected = list(self.t.get('test', 'hour', at(0)).items()) + \
            list(self.t.get('test', 'hour', at(3600)).items())
        self.assertEqual(expected, got)
        self.assertEqual(plain(dict(got)), {**self.fine(0, 3600), **self.fine(3600, 7200)})

    def test_iterate_condensed_with_transform(self):
        """iterate() passes get's arguments: condensed, a condense callable, transforms."""
        got = list(self.t.iterate('test', 'hour', condensed=True, transform='count'))
        self.assertEqual([(at(0), self.model.stat('count', self.row(0, 3600))),
                          (at(3600), self.model.stat('count', self.row(3600, 7200)))], got)
        got = list(self.t.iterate('test', 'hour', condense=len))
        self.assertEqual([(at(0), 5), (at(3600), 1)], got)

    def test_iterate_no_data(self):
        """iterate() over a name without data yields nothing."""
        self.assertEqual([], list(self.t.iterate('nobody', 'minute')))
        self.assertEqual([], list(self.t.iterate('nobody', 'hour', condensed=True)))

    def test_iterate_unknown_interval(self):
        """An unknown interval is refused when iterate() is called, not when it is consumed."""
        self.assertRaises(UnknownInterval, self.t.iterate, 'test', 'fortnight')

    def test_delete_all(self):
        """delete_all() removes every statistic of this configuration and nothing else."""
        other = self.neighbour()
        before = self.t.list()
        self.assertGreater(self.t.delete_all(), 0)
        self.assertEqual(['other', 'test'], before)
        self.assertEqual([], self.t.list())
        self.assertEqual({}, self.t.properties('test'))
        self.assertEqual(['foreign'], other.list())
        self.assertEqual(plain(other.get('foreign', 'day', at(0))),
                         {at(0) - at(0) % 86400: self.model.row([7])})
        self.assertEqual(0, self.t.delete_all())

    def test_expire_is_a_noop(self):
        """expire() returns 0 and changes nothing where the store expires data itself."""
        before = self.snapshot()
        self.assertEqual(0, self.t.expire())
        self.assertEqual(0, self.t.expire('test'))
        self.assertEqual(before, self.snapshot())


declare_cases(globals(), MetaBehaviour, 'Meta')


class TestIntegerGregorianBucketsMongo(MongoCase):
    """kairos 0.10.1 stored Gregorian buckets in Mongo as ints; we write 0.5.0's strings."""

    def test_reads_take_both_forms(self):
        """get, series, properties, iterate and list read int and str Gregorian buckets."""
        t = Timeseries(self.client, type='count', intervals={
            'daily': {'step': 'daily'}, 'monthly': {'step': 'monthly', 'resolution': 'daily'}})
        self.client['daily'].insert_many([{'name': 'old', 'interval': 20270115, 'value': 3},
                                          {'name': 'old', 'interval': 20270117, 'value': 4}])
        self.client['monthly'].insert_one({'name': 'old', 'interval': 202701,
                                           'resolution': 20270117, 'value': 4})
        t.insert('old', 2, utc(2027, 1, 15))
        self.assertEqual('20270115', self.client['daily'].find_one(
            {'interval': {'$type': 'string'}})['interval'])
        day = 86400
        self.assertEqual({utc(2027, 1, 15): 5}, plain(t.get('old', 'daily', utc(2027, 1, 15))))
        self.assertEqual({utc(2027, 1, 15): 5, utc(2027, 1, 16): 0, utc(2027, 1, 17): 4},
                         plain(t.series('old', 'daily', start=utc(2027, 1, 15), steps=3)))
        self.assertEqual({utc(2027, 1, 15): 2, utc(2027, 1, 17): 4},
                         plain(t.get('old', 'monthly', utc(2027, 1, 20))))
        self.assertEqual({'daily': {'first': utc(2027, 1, 15), 'last': utc(2027, 1, 17)},
                          'monthly': {'first': utc(2027, 1, 1), 'last': utc(2027, 1, 1)}},
                         t.properties('old'))
        self.assertEqual([(utc(2027, 1, 15), 5 / day), (utc(2027, 1, 16), 0.0),
                          (utc(2027, 1, 17), 4 / day)],
                         list(t.iterate('old', 'daily', transform='rate')))
        self.assertEqual(['old'], t.list())
        self.assertEqual(5, t.delete('old'))


class TestForeignKeysRedis(RedisCase):
    """Keys under the prefix that this configuration would not write are not statistics."""

    def test_list_and_delete_all_skip_foreign_keys(self):
        """list() and delete_all() ignore keys of other intervals, shapes and prefixes."""
        t = Timeseries(self.client, type='count', prefix='kairos', intervals=intervals())
        t.insert('x:minute:7', 1, at(0))
        foreign = ['kairos:solo', 'kairos:x:weekly:5', 'kairos:x:minute:abc', 'kairos:minute:5',
                   'kairos:x:minute:5:6', 'kairos:x:hour:5:6:7', 'kairoz:x:minute:5',
                   'x:minute:5']
        for key in foreign:
            self.client.set(key, 1)
        self.assertEqual(['x:minute:7'], t.list())
        self.assertEqual({'minute': {'first': at(0), 'last': at(0)},
                          'hour': {'first': at(0), 'last': at(0)}}, t.properties('x:minute:7'))
        self.assertEqual({}, t.properties('x'))
        self.assertEqual(3, t.delete_all())  # the minute key, the hour index and its data
        self.assertEqual(sorted(foreign), sorted(k.decode() for k in self.client.scan_iter()))


class TestForeignKeysRedisCluster(TestForeignKeysRedis, RedisClusterCase):
    """The same on a Redis Cluster."""


class NamesBehaviour:
    """list(), properties() and delete_all() over names full of glob, separator and unicode."""

    async_twin = True  # run on kairos.asyncio too (tests.support.AsyncCase)

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(names=name_lists, prefix=st.sampled_from([None, 'kairos', 'k*[?]:x']))
    def test_meta_data_of_hostile_names(self, names, prefix):
        """Every name is listed once, has its own extent, and delete_all spares the bystander."""
        self.clear()
        kwargs = {} if self.backend == 'mongo' else {'prefix': prefix}
        t = self.timeseries(type='count', intervals=INTERVALS, **kwargs)
        bystander = self.timeseries(type='count', intervals={'day': {'step': 86400}},
                                    **({} if self.backend == 'mongo' else {'prefix': 'by'}))
        bystander.insert(names[0], 1, T0)
        for index, name in enumerate(names):
            t.insert(name, 1, T0 + index * HOUR)
        self.assertEqual(sorted(names), t.list())
        for index, name in enumerate(names):
            at_hour = T0 + index * HOUR
            self.assertEqual({'minute': {'first': at_hour, 'last': at_hour},
                              'hour': {'first': at_hour, 'last': at_hour}}, t.properties(name))
        # Redis: the minute key, the hour's index and data keys; Mongo: one document per interval
        self.assertEqual((3 if self.backend == 'redis' else 2) * len(names), t.delete_all())
        self.assertEqual([], t.list())
        self.assertEqual([names[0]], bystander.list())


class TestNamesRedis(NamesBehaviour, RedisCase):
    pass


class TestNamesRedisCluster(TestNamesRedis, RedisClusterCase):
    """The same on a Redis Cluster."""


class TestNamesMongo(NamesBehaviour, MongoCase):
    pass


class TestRewriteAfterDeleteAllRedis(RedisCase):
    """What kairos remembers of the keys it wrote does not outlive delete_all."""

    def test_keys_written_again_expire(self):
        """A key written again after delete_all gets its EXPIRE and is checked afresh."""
        t = Timeseries(self.client, type='count', prefix='again', intervals=intervals())
        for _ in range(3):
            t.insert('hits', 1, at(0))
        self.assertGreater(t.delete_all(), 0)
        t.insert('hits', 1, at(0))
        self.assertEqual(300, self.client.ttl('again:hits:minute:%d' % (at(0) // 60)))
        t.delete_all()
        self.client.set('again:hits:minute:%d' % (at(0) // 60), 'not a number')
        with self.assertRaises(DataConflict):
            t.insert('hits', 1, at(0))
class TestRewriteAfterDeleteAllRedisCluster(TestRewriteAfterDeleteAllRedis, RedisClusterCase):
    """The same on a Redis Cluster."""


