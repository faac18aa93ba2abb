"""Redis Cluster specifics, on the shared test cluster: what a cluster client stores, the
hash_tag layout, per-slot atomicity, round trips per node, delete on every master.

The behaviour bodies of the other test files run on the cluster too (the *RedisCluster
and *RedisClusterHashTag classes); these are what only a cluster has.
"""

import redis

from kairos import Timeseries
from kairos.exceptions import DataConflict

from tests.support import CountingConnection, RedisClusterCase, redis_cluster_url, redis_url
from tests.functional.common import at, intervals

TYPES = {'series': [1, 'a', 2.5], 'histogram': [1, 1, 'x'], 'count': [1, 2, 0.5],
         'gauge': ['a', 'b', 3], 'set': [1, 'a', 1]}
NAMES = ['n%d' % i for i in range(12)] + ['{tag}', 'a}b', 'x{y', 'sp ace', 'é']


def fill(t, typ, names=NAMES):
    for n, value in enumerate(TYPES[typ]):
        t.insert(names[n % len(names)], value, timestamp=at(7 * n))
    t.bulk_insert({at(61 + n): {name: TYPES[typ] for name in names} for n in range(3)})
    t.insert(names[0], TYPES[typ][0], timestamp=at(3700), intervals=2)


class TestClusterStorage(RedisClusterCase):
    """A cluster client stores exactly what a single-Redis client does."""

    def setUp(self):
        super().setUp()
        self.single = redis.Redis.from_url(redis_url())
        self.single.flushdb()

    def tearDown(self):
        self.single.flushdb()
        self.single.close()
        super().tearDown()

    @staticmethod
    def content(client, keys):
        """key -> (type, value, TTL set); DUMP's bytes of a hashtable depend on the server's seed."""
        read = {b'string': client.get, b'list': lambda k: client.lrange(k, 0, -1),
                b'set': client.smembers, b'hash': client.hgetall}
        rval = {}
        for key in keys:
            kind = client.type(key)
            rval[key] = (kind, read[kind](key), client.ttl(key) > 0)
        return rval

    def test_same_keys_values_and_ttls_as_single_redis(self):
        """Every type's data written through RedisCluster is byte-identical to single Redis's."""
        for hash_tag in (False, True):
            for typ in TYPES:
                with self.subTest(type=typ, hash_tag=hash_tag):
                    self.clear()
                    self.single.flushdb()
                    for client in (self.client, self.single):
                        fill(Timeseries(client, type=typ, prefix='p', intervals=intervals(),
                                        hash_tag=hash_tag), typ)
                    mine = self.content(self.client, self.snapshot())
                    theirs = self.content(self.single, self.single.scan_iter(count=1000))
                    self.assertEqual(set(mine), set(theirs))
                    for key in mine:
                        self.assertEqual(mine[key], theirs[key], key)
                    ttls = {k: self.single.ttl(k) for k in self.single.scan_iter()}
                    for key, ttl in ttls.items():
                        self.assertAlmostEqual(self.client.ttl(key), ttl, delta=1)

    def test_hash_tag_layout(self):
        """hash_tag=True writes prefix:{name}:interval:bucket[:r_bucket], one slot per name."""
        for name in NAMES:
            t = Timeseries(self.client, type='count', prefix='p', intervals=intervals(),
                           hash_tag=True)
            t.insert(name, timestamp=at(61))
            keys = sorted(k.decode() for k in self.snapshot() if b'{' in k)
            self.assertEqual(keys, ['p:{%s}:hour:500000' % name, 'p:{%s}:hour:500000:30000001'
                                    % name, 'p:{%s}:minute:30000001' % name])
            self.assertEqual(len({self.client.keyslot(k) for k in keys}), 1, name)
            self.assertEqual(t.delete(name), 3)
            self.assertEqual(self.snapshot(), {})

    def test_type_conflict_refuses_only_that_slot(self):
        """A type conflict in one slot writes nothing of that slot, not even an EXPIRE."""
        t = Timeseries(self.client, type='count', prefix='p', intervals=intervals())
        t.insert('n', timestamp=at(61))   # the keys are verified: the next call uses MULTI
        doomed = 'p:n:minute:30000001'
        for write_mode in ('script', 'multi'):
            with self.subTest(write_mode=write_mode):
                t.write_mode = write_mode
                self.client.delete(doomed)
                self.client.rpush(doomed, 'not a count')
                slot = self.client.keyslot(doomed)
                before = self.snapshot()
                with self.assertRaises(DataConflict):
                    t.insert('n', timestamp=at(62))
                after = self.snapshot()
                changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
                self.assertTrue(changed)
                self.assertNotIn(slot, {self.client.keyslot(k) for k in changed})
                self.assertEqual(self.client.ttl(doomed), -1)

    def test_delete_on_every_master(self):
        """delete(name) removes that statistic's keys on every master, and nothing else."""
        for hash_tag in (False, True):
            with self.subTest(hash_tag=hash_tag):
                self.clear()
                t = Timeseries(self.client, type='series', prefix='p', intervals=intervals(),
                               hash_tag=hash_tag)
                fill(t, 'series', ['d'])
                own = set(self.snapshot())
                if not hash_tag:
                    self.assertGreater(len({self.client.keyslot(k) for k in own}), 1)
                for name in ['d:60', 'dd', '{d}', 'd}', 'x']:
                    fill(t, 'series', [name])
                before = set(self.snapshot())
                self.assertEqual(t.delete('d'), len(own))
                self.assertEqual(set(self.snapshot()), before - own)
                self.assertEqual(t.delete('d'), 0)


    def test_list_properties_delete_all_in_both_layouts(self):
        """list(), properties() and delete_all() see every master's keys, in both layouts."""
        for hash_tag in (False, True):
            with self.subTest(hash_tag=hash_tag):
                self.clear()
                t = Timeseries(self.client, type='count', prefix='p', intervals=intervals(),
                               hash_tag=hash_tag)
                fill(t, 'count')
                self.client.set('p:not-kairos', 1)
                self.assertEqual(sorted(t.list()), sorted(NAMES))
                self.assertEqual(sorted(t.properties('{tag}')), ['hour', 'minute'])
                self.assertGreater(t.delete_all(), 0)
                self.assertEqual(t.list(), [])
                self.assertEqual(list(self.snapshot()), [b'p:not-kairos'])


class TestClusterRoundTrips(RedisClusterCase):
    """One round trip per node for a write, at most two per node for a read."""

    def setUp(self):
        super().setUp()
        from redis.cluster import RedisCluster
        self.counted = RedisCluster.from_url(redis_cluster_url(),
                                             connection_class=CountingConnection)

    def tearDown(self):
        self.counted.close()
        super().tearDown()

    def trips(self, func, *args, **kwargs):
        before = CountingConnection.sent
        func(*args, **kwargs)
        return CountingConnection.sent - before

    def test_round_trips(self):
        """insert: one per node (one in all with hash_tag); series: two per node at most."""
        day = {'minute': {'step': 60, 'steps': 1440}, 'day': {'step': 86400, 'resolution': 60}}
        masters = len(self.client.get_primaries())
        for hash_tag, writes, reads in ((False, masters, 2 * masters), (True, 1, 2)):
            with self.subTest(hash_tag=hash_tag):
                t = Timeseries(self.counted, type='count', prefix='rt', intervals=day,
                               hash_tag=hash_tag)
                t.bulk_insert({at(60 * m): {'r': [1]} for m in range(1440)})
                t.insert('r', timestamp=at(5))
                self.assertLessEqual(self.trips(t.insert, 'r', timestamp=at(5)), writes)
                self.assertLessEqual(self.trips(t.series, 'r', 'minute', end=at(86399)),
                                     masters if not hash_tag else 1)
                self.assertLessEqual(self.trips(t.get, 'r', 'day', timestamp=at(0)), reads)
                joined = ['r', 's', 't', 'u', 'v']
                self.assertLessEqual(self.trips(t.series, joined, 'minute', end=at(86399)),
                                     masters)
                self.assertEqual(list(t.get('r', 'day', timestamp=at(0), condensed=True)
                                      .values()), [962])   # 960 minutes of it in that day
