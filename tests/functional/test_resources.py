"""Nothing outlives its client: pools, connections, files and memory of dropped Timeseries.

Each body builds COUNT Timeseries, each making an insert, a get and a series,
and drops each (tests/functional/soak.py counts what is left). A client the
caller passes in is the caller's: once it is dropped too, the garbage
collector leaves nothing of it. A client a Timeseries built from a URL is the
Timeseries's: dropping it (or ``close()``) closes its connections and files at
once, without waiting for the garbage collector.
"""

import gc
import importlib
import os
import unittest
from unittest import mock

import redis

from kairos import ConfigurationError, Timeseries, urls
from tests.functional.soak import INTERVALS, census, settled, soak, use
from tests.support import (MongoCase, MysqlCase, PostgresCase, RedisCase, RedisClusterCase,
                           SqliteCase, redis_cluster_url, redis_url, sql_url)

COUNT = 100
# what the Timeseries of one soak may add to the memory tracemalloc counts: a redis-py
# pool kept alive with its connections is about 40 kB
MEMORY_BOUND = 1024 * 1024


def _timeseries(client):
    return Timeseries(client, type='count', intervals=INTERVALS)


class ResourceBehaviours:
    """The bodies; each backend's case names its client objects, URLs and server count."""

    count = COUNT
    memory_bound = MEMORY_BOUND

    def fresh_client(self):
        raise NotImplementedError

    def urls(self):
        raise NotImplementedError

    def server_connections(self):
        """Connections the server counts, or None where there is no server."""
        return None

    def server(self):
        return None if self.server_connections() is None else self.server_connections

    def assertNothingLeft(self, result, prompt):
        """Nothing grew once collected; with ``prompt``, no connection or file was left
        open even before the garbage collector ran."""
        self.assertEqual(result.collected.growth(result.baseline), {})
        self.assertLess(result.collected.traced - result.baseline.traced, self.memory_bound)
        if prompt:
            grown = result.dropped.growth(result.baseline)
            self.assertEqual({k: v for k, v in grown.items()
                              if k in ('fds', 'threads', 'server connections')}, {})

    def test_dropped_clients_leave_nothing_behind(self):
        """Timeseries on fresh client objects, both dropped: no pool, connection, file,
        server connection or memory is left once the garbage collector ran."""
        self.assertNothingLeft(soak(lambda: _timeseries(self.fresh_client()), self.count,
                                    self.server(), hold_gc=False), prompt=False)

    def test_dropped_url_timeseries_release_their_client_at_once(self):
        """Timeseries built from a URL, dropped: their connections and files close at
        once, and nothing is left once the garbage collector ran."""
        for url in self.urls():
            with self.subTest(url=url):
                self.assertNothingLeft(soak(lambda: _timeseries(url), self.count, self.server()),
                                       prompt=True)

    def test_close_releases_the_client_built_from_a_url(self):
        """close(), or the end of a with block, closes the connections and files of the
        client a Timeseries built from a URL, while the Timeseries is still referenced."""
        for url in self.urls():
            with self.subTest(url=url):
                use(_timeseries(url))   # warm-up
                before = self.settled_census()
                t = _timeseries(url)
                use(t)
                t.close()
                self.assertEqual(self.settled_census(before).growth(before), {})
                with _timeseries(url) as t:
                    use(t)
                self.assertEqual(self.settled_census(before).growth(before), {})

    def test_close_leaves_a_client_passed_in_open(self):
        """close() of a Timeseries on a client passed in leaves that client's connections
        open: the client is the caller's."""
        t = _timeseries(self.client_of_case())
        use(t)
        before = self.settled_census()
        t.close()
        self.assertEqual(census(self.server()).fds, before.fds)
        use(_timeseries(self.client_of_case()))

    def test_a_timeseries_refused_at_build_releases_its_url_client(self):
        """A URL-built Timeseries whose configuration is refused releases the client it
        built before the error reaches the caller."""
        for url in self.urls():
            with self.subTest(url=url), \
                    mock.patch('kairos.urls._release', side_effect=urls._release) as release:
                before = self.settled_census()
                with self.assertRaises(ConfigurationError):
                    Timeseries(url, type='count', intervals={'minute': {'step': 'x'}})
                self.assertEqual([call.args[1] for call in release.call_args_list], [url])
                self.assertEqual(self.settled_census(before).growth(before), {})

    def client_of_case(self):
        return getattr(self, 'engine', None) or self.client

    def settled_census(self, baseline=None):
        """A census with the garbage collector's help barred: objects alive are not
        counted, only fds, threads and server connections."""
        gc.disable()
        try:
            server = self.server()
            if server is not None and baseline is not None:
                server = (lambda: settled(self.server_connections, baseline.server))
            taken = census(server)
        finally:
            gc.enable()
        return taken._replace(objects={})


def _redis_clients(client):
    return int(client.info('clients')['connected_clients'])


class TestRedisResources(ResourceBehaviours, RedisCase):

    def fresh_client(self):
        return redis.Redis.from_url(redis_url())

    def urls(self):
        return [redis_url()]

    def server_connections(self):
        return _redis_clients(self.client)


class TestRedisClusterResources(ResourceBehaviours, RedisClusterCase):

    count = 20   # a cluster client costs ten times a Redis one, and leaks a pool per node

    def fresh_client(self):
        from redis.cluster import RedisCluster
        return RedisCluster.from_url(redis_cluster_url())

    def urls(self):
        return [redis_cluster_url().replace('redis://', 'redis+cluster://', 1)]

    def server_connections(self):
        return sum(_redis_clients(self.client.get_redis_connection(node))
                   for node in self.client.get_nodes())


class TestMongoResources(ResourceBehaviours, MongoCase):

    def fresh_client(self):
        url = os.environ.get('KAIROS_TEST_MONGO_URL')
        if url:
            import pymongo
            return pymongo.MongoClient(url, serverSelectionTimeoutMS=5000)['kairos_test']
        return importlib.import_module(self.driver).MongoClient()['kairos_test']

    def urls(self):
        return [os.environ.get('KAIROS_TEST_MONGO_URL') or 'mongomock:///kairos_test']

    def server_connections(self):
        if not os.environ.get('KAIROS_TEST_MONGO_URL'):
            return None
        status = self.client.client.admin.command('serverStatus')
        return int(status['connections']['current'])


class SqlResources(ResourceBehaviours):

    count = 30   # on a server, each engine logs in and reflects the tables anew

    def fresh_client(self):
        import sqlalchemy
        return sqlalchemy.create_engine(sql_url(self.dialect))

    def urls(self):
        return [sql_url(self.dialect)]


class TestSqliteResources(SqlResources, SqliteCase):

    count = 50

    def urls(self):
        return [sql_url('sqlite'), 'sqlite://']


class TestPostgresResources(SqlResources, PostgresCase):

    # SQLAlchemy's PostgreSQL dialect caches its reflection queries per dialect instance
    # (functools.lru_cache, 128 entries): the first 128 engines' dialects stay, ~300 kB each
    memory_bound = MEMORY_BOUND + 128 * 320 * 1024

    def server_connections(self):
        with self.engine.connect() as connection:
            return connection.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
            ).scalar()


class TestMysqlResources(SqlResources, MysqlCase):

    def server_connections(self):
        with self.engine.connect() as connection:
            return int(connection.exec_driver_sql(
                "SHOW STATUS LIKE 'Threads_connected'").one()[1])


if __name__ == '__main__':
    unittest.main()
