"""kairos.asyncio on a Redis Cluster (a redis.asyncio.cluster.RedisCluster), on the shared
test cluster: what one facade writes the other reads, concurrent tasks lose no increment,
redirections are followed, and a URL's client fails on first use as the blocking one
fails as it is built.

The behaviour bodies of the other test files run on this client too (their
*RedisClusterAsync and *RedisClusterHashTagAsync classes).
"""

import asyncio
import unittest
from unittest import mock

from kairos import AuthenticationError, StorageUnavailable, Timeseries
from kairos.asyncio import Timeseries as AsyncTimeseries

from tests.functional.common import at, intervals, plain
from tests.functional import test_cluster
from tests.functional.test_cluster import NAMES, TYPES, fill
from tests.support import (AsyncCase, Awaited, RedisClusterCase, free_port, move_slots,
                           redis_cluster_url)

TASKS = 1000


class AsyncClusterCase(AsyncCase, RedisClusterCase):
    """A blocking RedisCluster client (``self.client``) and asyncio ones of the same cluster."""

    def facades(self, **kwargs):
        """A blocking Timeseries and an asyncio one (seen through Awaited) of the same data."""
        kwargs.setdefault('intervals', intervals())
        return (Timeseries(self.client, prefix='p', **kwargs),
                self.timeseries(prefix='p', **kwargs))

    def run_tasks(self, *calls):
        async def main():
            return await asyncio.gather(*calls)
        return self.loop.run_until_complete(main())


class TestCrossReads(AsyncClusterCase):

    @staticmethod
    def reads(t):
        """What every read of the filled names returns."""
        return {name: (plain(t.get(name, 'minute', timestamp=at(61))),
                       plain(t.series(name, 'hour', start=at(0), end=at(3700))),
                       plain(t.properties(name)))
                for name in NAMES} | {'': sorted(t.list())}

    def test_each_reads_what_the_other_wrote(self):
        """Blocking writes read back the same through kairos.asyncio, and asyncio writes
        store the very keys, values and TTLs the blocking client writes."""
        for hash_tag in (False, True):
            for typ in TYPES:
                with self.subTest(type=typ, hash_tag=hash_tag):
                    blocking, awaited = self.facades(type=typ, hash_tag=hash_tag)
                    self.clear()
                    fill(blocking, typ)
                    written = test_cluster.TestClusterStorage.content(self.client, self.snapshot())
                    expected = self.reads(blocking)
                    self.assertEqual(self.reads(awaited), expected)
                    self.clear()
                    fill(awaited, typ)
                    self.assertEqual(
                        test_cluster.TestClusterStorage.content(self.client, self.snapshot()), written)
                    self.assertEqual(self.reads(blocking), expected)
                    self.assertGreater(awaited.delete_all(), 0)
                    self.assertEqual(self.snapshot(), {})


class TestConcurrentTasks(AsyncClusterCase):

    def test_concurrent_inserts_lose_nothing(self):
        """1,000 tasks inserting a count into the same buckets at once: every one is
        counted, also where a node allows fewer connections than there are tasks."""
        for max_connections in (None, 4):
            with self.subTest(max_connections=max_connections):
                self.clear()
                client = self.store_client() if max_connections is None else \
                    self.bounded(max_connections)
                t = AsyncTimeseries(client, type='count', prefix='p', intervals=intervals())
                self.run_tasks(*(t.insert('hits', 1, timestamp=at(61)) for _ in range(TASKS)))
                blocking, _ = self.facades(type='count')
                self.assertEqual(plain(blocking.get('hits', 'minute', timestamp=at(61))),
                                 {at(60): TASKS})
                self.assertEqual(plain(blocking.get('hits', 'hour', timestamp=at(61))),
                                 {at(60): TASKS})

    def bounded(self, max_connections):
        from redis.asyncio.cluster import RedisCluster
        client = RedisCluster.from_url(redis_cluster_url(), max_connections=max_connections)
        self.async_clients.append(client)
        return client


class TestRedirections(AsyncClusterCase):

    def test_moved_and_ask_are_followed(self):
        """A slot moving to another master while kairos.asyncio writes to it: the packet
        ASK redirects goes to the new master, the one MOVED refuses is sent again once
        the slot map is reloaded, and nothing is lost or doubled."""
        _, awaited = self.facades(type='count', hash_tag=True)
        awaited.insert('moving', 1, timestamp=at(61))
        slot = self.client.keyslot('{moving}')
        source = self.client.nodes_manager.get_node_from_slot(slot)
        target = next(node for node in self.client.get_primaries() if node != source)
        self.addCleanup(move_slots, target.port, source.port, [slot], source.host)
        nodes = awaited._router.nodes
        with mock.patch.object(nodes, 'wire_at', wraps=nodes.wire_at) as asked, \
                mock.patch.object(nodes, 'refresh', wraps=nodes.refresh) as reloaded:
            move_slots(source.port, target.port, [slot], source.host, migrated=lambda _:
                       awaited.insert('moving', 2, timestamp=at(61)))
            self.assertTrue(asked.called)
            awaited.insert('moving', 3, timestamp=at(61))
            self.assertTrue(reloaded.called)
        client = awaited._client
        self.assertEqual(client.nodes_manager.get_node_from_slot(slot).port, target.port)
        self.assertEqual(plain(awaited.get('moving', 'hour', timestamp=at(61),
                                           condensed=True)), {at(0): 6})


class TestClusterURL(unittest.TestCase):
    """A redis+cluster:// URL on kairos.asyncio: the client asks for the slot map on the
    first call, which fails as kairos.Timeseries fails as it is built."""

    def setUp(self):
        self.loop = asyncio.new_event_loop()
        self.addCleanup(self.loop.close)

    def timeseries(self, url, **kwargs):
        t = AsyncTimeseries(url, type='count', intervals=intervals(), **kwargs)
        self.addCleanup(self.loop.run_until_complete, t.close())
        return Awaited(t, self.loop)

    def test_url(self):
        """redis+cluster:// builds a redis.asyncio RedisCluster, which close() closes."""
        from redis.asyncio.cluster import RedisCluster
        t = self.timeseries(redis_cluster_url().replace('redis://', 'redis+cluster://', 1),
                            prefix='url')
        self.assertIsInstance(t._client, RedisCluster)
        t.insert('hits', 3, at(0))
        self.assertEqual(plain(t.get('hits', 'minute', at(0))), {at(0): 3})
        self.assertGreater(t.delete_all(), 0)
        t.close()
        self.assertIsNone(t._client.get_default_node())

    def test_unreachable(self):
        """No node answering: the first call raises StorageUnavailable naming the node,
        never the password, and the next call asks again."""
        port = free_port()
        t = self.timeseries('redis+cluster://kairos:s3cret@127.0.0.1:%d' % port,
                            client_config={'socket_connect_timeout': 0.5})
        for _ in range(2):
            with self.assertRaises(StorageUnavailable) as caught:
                t.get('hits', 'minute', at(0))
            self.assertIn('127.0.0.1:%d' % port, str(caught.exception))
            self.assertIn('gave no slot map', str(caught.exception))
            self.assertNotIn('s3cret', str(caught.exception))

    def test_refused_credentials(self):
        """A wrong password: the first call raises AuthenticationError, not a
        ConnectionError, and writes nothing."""
        from redis.cluster import RedisCluster
        admin = RedisCluster.from_url(redis_cluster_url())
        self.addCleanup(admin.close)
        for node in admin.get_nodes():
            single = admin.get_redis_connection(node)
            single.acl_setuser('kairos-url', enabled=True, reset_passwords=True,
                               passwords=['+right'], keys=['*'], commands=['+@all'])
            self.addCleanup(single.acl_deluser, 'kairos-url')
        t = self.timeseries(redis_cluster_url().replace(
            'redis://', 'redis+cluster://kairos-url:wrong@', 1))
        with self.assertRaises(AuthenticationError) as caught:
            t.insert('hits', 1, at(0))
        self.assertNotIsInstance(caught.exception, ConnectionError)
        self.assertIs(caught.exception.applied, False)
        self.assertNotIn(':wrong@', str(caught.exception))
