"""The connections kairos keeps out of a redis-py pool between calls (kairos.redis_wire).

A kept connection must behave as one the pool hands out: reconnected when
the server closed it or the pool disconnected it, never shared by threads
or with a forked child, and never kept from a pool that is bounded tightly
enough to need it back.
"""

import os
import threading
import unittest

import redis

from kairos import Timeseries
from tests.support import RedisCase, redis_url
from tests.functional.common import at

INTERVALS = {'minute': {'step': 60, 'steps': 5}, 'hour': {'step': 3600, 'resolution': 60}}


class TestKeptConnections(RedisCase):

    def make(self, client=None):
        return Timeseries(client or self.client, type='count', intervals=INTERVALS)

    def total(self, t, name='c'):
        return sum(t.get(name, 'minute', timestamp=at(10)).values())

    def test_connection_closed_by_the_server_is_reconnected_before_a_write(self):
        """After the server closed every client connection, the next insert() lands once."""
        t = self.make()
        t.insert('c', 1, timestamp=at(10))
        killer = redis.Redis.from_url(redis_url())
        self.addCleanup(killer.close)
        killer.client_kill_filter(_type='normal', skipme=True)
        t.insert('c', 1, timestamp=at(10))   # not a StorageError: nothing had been sent
        self.assertEqual(self.total(t), 2)

    def test_connection_disconnected_by_the_pool_is_reconnected(self):
        """client.close() (the pool disconnects every connection) does not break the object."""
        t = self.make()
        t.insert('c', 1, timestamp=at(10))
        self.client.close()
        t.insert('c', 1, timestamp=at(10))
        self.assertEqual(self.total(t), 2)

    def test_a_blocking_or_small_pool_gets_its_connection_back(self):
        """With a pool of one connection, the application's own command right after an
        insert() does not wait for a connection kairos keeps."""
        for pool in (redis.BlockingConnectionPool.from_url(redis_url(), max_connections=1,
                                                           timeout=1),
                     redis.ConnectionPool.from_url(redis_url(), max_connections=1)):
            with self.subTest(pool=type(pool).__name__):
                client = redis.Redis(connection_pool=pool)
                self.addCleanup(client.close)
                t = self.make(client)
                name = type(pool).__name__
                t.insert(name, 1, timestamp=at(10))
                self.assertTrue(client.ping())
                self.assertEqual(self.total(t, name), 1)
                self.assertTrue(client.ping())

    def test_threads_never_share_a_kept_connection(self):
        """8 threads writing through one object: every increment lands once."""
        t = self.make()
        t.insert('c', 0, timestamp=at(10))
        errors = []

        def work():
            try:
                for _ in range(200):
                    t.insert('c', 1, timestamp=at(10))
                    t.get('c', 'hour', timestamp=at(10))
            except Exception as exc:   # reported below, with the count
                errors.append(exc)
        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(errors, [])
        self.assertEqual(self.total(t), 1600)

    @unittest.skipUnless(hasattr(os, 'fork'), 'needs os.fork')
    def test_a_forked_child_opens_its_own_connection(self):
        """Parent and child both write after a fork: neither reads the other's replies."""
        t = self.make()
        t.insert('c', 1, timestamp=at(10))   # the parent now keeps a connection
        pid = os.fork()
        if pid == 0:   # the child: exit status 0 only if its writes and reads were right
            status = 1
            try:
                for _ in range(50):
                    t.insert('child', 1, timestamp=at(10))
                status = 0 if self.total(t, 'child') == 50 else 2
            finally:
                os._exit(status)
        for _ in range(50):
            t.insert('c', 1, timestamp=at(10))
        _, status = os.waitpid(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0)
        self.assertEqual(self.total(t), 51)
        self.assertEqual(self.total(t, 'child'), 50)
