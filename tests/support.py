"""What every test needs: a Redis, a Mongo, and one test body per backend.

``KAIROS_TEST_REDIS_URL`` names a Redis to use (its database is flushed);
without it a private ``redis-server`` is started on a free port in a temp
dir, without persistence, and stopped when the process exits.
``KAIROS_TEST_MONGO_URL`` names a MongoDB; without it every Mongo test runs
twice, on mongomock_ng and on the original mongomock (what 0.5.0-era test
suites use): each ``MongoCase`` class named Test* gets an ``...OnMongomock`` twin.
"""

import atexit
import importlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import redis

from kairos import Timeseries

_server = {}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class RedisServer:
    """A private redis-server: free port, temp dir, no persistence; restartable.

    Shared by the tests, script/bench and script/example.
    """

    def __init__(self, prefix='kairos-redis-'):
        self.port = free_port()
        self.directory = tempfile.mkdtemp(prefix=prefix)
        self.url = 'redis://127.0.0.1:%d/0' % self.port
        self.process = None

    def start(self) -> 'RedisServer':
        self.process = subprocess.Popen(
            ['redis-server', '--port', str(self.port), '--bind', '127.0.0.1',
             '--dir', self.directory, '--save', '', '--appendonly', 'no',
             '--logfile', os.path.join(self.directory, 'log')],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        probe = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        try:
            for _ in range(250):
                try:
                    probe.ping()
                    return self
                except redis.ConnectionError:
                    time.sleep(0.02)
        finally:
            probe.close()
        self.kill()
        raise RuntimeError('redis-server did not start on port %d' % self.port)

    def kill(self):
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None

    def freeze(self):
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.process.send_signal(signal.SIGCONT)

    def stop(self):
        """Stop the server for good and remove its directory."""
        if self.process is not None:
            self.thaw()
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
            self.process = None
        shutil.rmtree(self.directory, ignore_errors=True)


class CountingConnection(redis.connection.Connection):
    """Counts round trips: packets of commands sent, the connection handshake excepted."""

    sent = 0

    def on_connect(self, *args, **kwargs):
        self._handshake = True
        try:
            return super().on_connect(*args, **kwargs)
        finally:
            self._handshake = False

    def send_packed_command(self, command, check_health=True):
        if not getattr(self, '_handshake', False):
            CountingConnection.sent += 1
        return super().send_packed_command(command, check_health)


def start_redis_server():
    """Start a private redis-server; return (url, stop function)."""
    server = RedisServer().start()
    return server.url, server.stop


def redis_url() -> str:
    url = os.environ.get('KAIROS_TEST_REDIS_URL')
    if url:
        return url
    if 'url' not in _server:
        _server['url'], stop = start_redis_server()
        atexit.register(stop)
    return _server['url']


def mongo_database(name='kairos_test', driver='mongomock_ng'):
    """A database of the MongoDB at KAIROS_TEST_MONGO_URL, else of ``driver``'s mock."""
    url = os.environ.get('KAIROS_TEST_MONGO_URL')
    if url:
        import pymongo
        return pymongo.MongoClient(url, serverSelectionTimeoutMS=5000)[name]
    return importlib.import_module(driver).MongoClient()[name]


class RedisCase(unittest.TestCase):
    """Runs the mixed-in test bodies on a flushed Redis."""

    backend = 'redis'

    def setUp(self):
        super().setUp()
        self.client = redis.Redis.from_url(redis_url())
        self.clear()

    def tearDown(self):
        self.clear()
        self.client.close()
        super().tearDown()

    def clear(self):
        """Remove everything stored."""
        self.client.flushdb()

    def timeseries(self, **kwargs) -> Timeseries:
        return Timeseries(self.client, **kwargs)

    def snapshot(self):
        """Everything stored, to assert a failed call changed nothing."""
        rval = {}
        for key in self.client.scan_iter(count=1000):
            kind = self.client.type(key)
            dump = self.client.dump(key)
            rval[key] = (kind, dump, self.client.ttl(key) > 0)
        return rval


class MongoCase(unittest.TestCase):
    """Runs the mixed-in test bodies on an emptied Mongo database."""

    backend = 'mongo'
    driver = 'mongomock_ng'
    mock_twin = True  # False where a test patches mongomock_ng itself

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.driver == 'mongomock_ng' and cls.mock_twin and cls.__name__.startswith('Test') \
                and not os.environ.get('KAIROS_TEST_MONGO_URL'):
            twin = cls.__name__ + 'OnMongomock'
            vars(sys.modules[cls.__module__])[twin] = type(
                twin, (cls,), {'driver': 'mongomock', '__module__': cls.__module__})

    def setUp(self):
        super().setUp()
        self.client = mongo_database(driver=self.driver)
        self.clear()

    def tearDown(self):
        self.clear()
        super().tearDown()

    def clear(self):
        """Remove everything stored."""
        for name in self.client.list_collection_names():
            self.client.drop_collection(name)

    def timeseries(self, **kwargs) -> Timeseries:
        return Timeseries(self.client, **kwargs)

    def snapshot(self):
        rval = {}
        for name in sorted(self.client.list_collection_names()):
            docs = sorted((repr(sorted((k, repr(v)) for k, v in d.items() if k != '_id'))
                           for d in self.client[name].find()))
            rval[name] = docs
        return rval
