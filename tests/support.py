"""What every test needs: a Redis, a Mongo, SQL databases, and one test body per backend.

``KAIROS_TEST_REDIS_URL`` names a Redis to use (its database is flushed);
without it a private ``redis-server`` is started on a free port in a temp
dir, without persistence, and stopped when the process exits.
``KAIROS_TEST_REDIS_CLUSTER_URL`` names a Redis Cluster node to use (every
master is flushed); without it the cluster tests start a private cluster of
3 masters and 3 replicas (``RedisClusterServer``) the first time one runs,
stopped when the process exits. They skip when redis-server is missing,
except under ``CI=true``.
``KAIROS_TEST_MONGO_URL`` names a MongoDB; without it every Mongo test runs
twice, on mongomock_ng and on the original mongomock (what 0.5.0-era test
suites use): each ``MongoCase`` class named Test* gets an ``...OnMongomock`` twin.

SQL runs on SQLite (a file in a temp dir), PostgreSQL and MariaDB/MySQL.
``KAIROS_TEST_POSTGRES_URL`` / ``KAIROS_TEST_MYSQL_URL`` name servers to use
(their kairos tables are emptied); without them a private server is started,
the first time an SQL test needs it, on a free port in a temp dir (PostgreSQL
with fsync off, run as user ``postgres`` via setpriv when we are root; MariaDB with its
own datadir and socket), and stopped at exit. Where a server binary is not
installed its tests are skipped and one line at exit says so; under
``CI=true`` they fail instead. The asyncio twins of the SQL tests run on the same
databases through aiosqlite, asyncpg and aiomysql (``ASYNC_DRIVERS``).
"""

import asyncio
import atexit
import contextlib
import importlib
import inspect
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import warnings

import redis

from kairos import KairosWarning, Timeseries
from kairos.asyncio import Timeseries as AsyncTimeseries

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


def cluster_port() -> int:
    """A free port p <= 55535 whose cluster bus port p + 10000 is free too."""
    while True:
        port = free_port()
        if port > 55535:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(('127.0.0.1', port + 10000))
            except OSError:
                continue
        return port


class RedisClusterServer:
    """A private Redis Cluster: ``masters`` masters with ``replicas`` replicas each.

    Every node is a RedisServer-like redis-server with ``--cluster-enabled``
    on its own free port and temp dir, no persistence. ``start()`` joins them
    with ``redis-cli --cluster create`` and waits until every node reports
    ``cluster_state:ok`` and a client sees all 16384 slots covered.
    ``node_timeout`` (ms) is kept small so that a failover takes seconds.
    """

    def __init__(self, masters=3, replicas=1, node_timeout=2000, prefix='kairos-cluster-'):
        self.masters, self.replicas, self.node_timeout = masters, replicas, node_timeout
        self.directory = tempfile.mkdtemp(prefix=prefix)
        self.ports = [cluster_port() for _ in range(masters * (1 + replicas))]
        self.processes = {}
        self.url = 'redis://127.0.0.1:%d/0' % self.ports[0]

    def start_node(self, port: int) -> None:
        directory = os.path.join(self.directory, str(port))
        os.makedirs(directory, exist_ok=True)
        self.processes[port] = subprocess.Popen(
            ['redis-server', '--port', str(port), '--bind', '127.0.0.1',
             '--dir', directory, '--save', '', '--appendonly', 'no',
             '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf',
             '--cluster-node-timeout', str(self.node_timeout),
             # a replica may always take over, however long its master has been away
             '--cluster-replica-validity-factor', '0',
             '--logfile', os.path.join(directory, 'log')],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        probe = redis.Redis(port=port, socket_connect_timeout=0.5)
        try:
            for _ in range(250):
                try:
                    probe.ping()
                    return
                except redis.ConnectionError:
                    if self.processes[port].poll() is not None:
                        break
                    time.sleep(0.02)
        finally:
            probe.close()
        raise RuntimeError('redis-server did not start on port %d; see %s/log' % (port, directory))

    def start(self) -> 'RedisClusterServer':
        try:
            for port in self.ports:
                self.start_node(port)
            subprocess.run(
                ['redis-cli', '--cluster', 'create'] +
                ['127.0.0.1:%d' % port for port in self.ports] +
                ['--cluster-replicas', str(self.replicas), '--cluster-yes'],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
            self.wait_ok()
        except BaseException:
            self.stop()
            raise
        return self

    def wait_ok(self, timeout=30.0) -> None:
        """Wait until every running node says cluster_state:ok and all slots are covered."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(self.node_ok(port) for port in self.processes):
                try:
                    client = self.client()
                    client.close()
                    return
                except redis.RedisError:
                    pass
            time.sleep(0.1)
        raise RuntimeError('the Redis Cluster in %s did not become ready' % self.directory)

    def node_ok(self, port: int) -> bool:
        """cluster_state:ok, every slot covered, and a replica's link to its master up."""
        node = redis.Redis(port=port, socket_timeout=2, decode_responses=True)
        try:
            info = node.execute_command('CLUSTER', 'INFO')
            slots = node.execute_command('CLUSTER', 'SLOTS')
            replication = node.info('replication')
        except redis.RedisError:
            return False
        finally:
            node.close()
        covered = sum(int(r[1]) - int(r[0]) + 1 for r in slots)
        return 'cluster_state:ok' in info and covered == 16384 and \
            replication.get('master_link_status', 'up') == 'up'

    def client(self, **kwargs):
        """A RedisCluster client of this cluster (all slots covered, or it raises)."""
        from redis.cluster import RedisCluster
        return RedisCluster(host='127.0.0.1', port=next(iter(self.processes)), **kwargs)

    def masters_ports(self) -> list:
        """Ports of the nodes that are masters now."""
        rval = []
        for port in self.processes:
            node = redis.Redis(port=port, socket_timeout=2, decode_responses=True)
            try:
                if node.info('replication')['role'] == 'master':
                    rval.append(port)
            except redis.RedisError:
                pass
            finally:
                node.close()
        return rval

    def kill(self, port: int) -> None:
        """kill -9 one node."""
        process = self.processes.pop(port)
        process.kill()
        process.wait(10)

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes = {}
        shutil.rmtree(self.directory, ignore_errors=True)


def move_slots(source, target, slots, host='127.0.0.1', migrated=None) -> None:
    """Move ``slots`` from the master at port ``source`` to the one at ``target`` (both
    on ``host``), as redis-cli --cluster reshard does: each slot marked migrating and
    importing, its keys migrated a few at a time, then handed to the target.
    ``migrated(slot)`` runs once its keys are on the target, before the hand-over (a
    call then gets ASK for the slot's keys)."""
    nodes = {port: redis.Redis(host=host, port=port, decode_responses=True)
             for port in (source, target)}
    ids = {port: node.execute_command('CLUSTER', 'MYID') for port, node in nodes.items()}
    try:
        for slot in slots:
            nodes[target].execute_command('CLUSTER', 'SETSLOT', slot, 'IMPORTING', ids[source])
            nodes[source].execute_command('CLUSTER', 'SETSLOT', slot, 'MIGRATING', ids[target])
            while True:
                keys = nodes[source].execute_command('CLUSTER', 'GETKEYSINSLOT', slot, 10)
                if not keys:
                    break
                nodes[source].execute_command('MIGRATE', host, target, '', 0, 5000,
                                              'KEYS', *keys)
                time.sleep(0.01)   # let writes meet a half-migrated slot
            if migrated is not None:
                migrated(slot)
            for node in nodes.values():
                node.execute_command('CLUSTER', 'SETSLOT', slot, 'NODE', ids[target])
    finally:
        for node in nodes.values():
            node.close()


def require_cluster_binaries() -> None:
    """Skip without redis-server and redis-cli, except under CI=true, where that fails."""
    if shutil.which('redis-server') is None or shutil.which('redis-cli') is None:
        if os.environ.get('CI') == 'true':
            raise RuntimeError('CI=true: the cluster tests need redis-server and redis-cli')
        raise unittest.SkipTest('redis-server or redis-cli not found')


def redis_cluster_url() -> str:
    """The shared test cluster: KAIROS_TEST_REDIS_CLUSTER_URL, else a private one.

    Raises unittest.SkipTest when redis-server is missing, except under CI=true.
    """
    url = os.environ.get('KAIROS_TEST_REDIS_CLUSTER_URL')
    if url:
        return url
    if 'cluster' not in _server:
        require_cluster_binaries()
        _server['cluster'] = None   # one attempt per process
        cluster = RedisClusterServer().start()
        atexit.register(cluster.stop)
        _server['cluster'] = cluster.url
    if _server['cluster'] is None:
        raise RuntimeError('the private Redis Cluster did not start')
    return _server['cluster']


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


class Awaited:
    """A kairos.asyncio Timeseries seen as a blocking one, so that the shared test
    bodies run on it: each call is awaited to completion on the test's event loop,
    ``iterate`` is collected, and attributes are the Timeseries' own."""

    def __init__(self, timeseries, loop):
        vars(self).update(_t=timeseries, _loop=loop)

    def __getattr__(self, name):
        value = getattr(self._t, name)
        if name == 'iterate':
            return lambda *args, **kwargs: self._each(value(*args, **kwargs))
        if name.startswith('_') or not callable(value):
            return value

        def call(*args, **kwargs):
            result = value(*args, **kwargs)
            return self._loop.run_until_complete(result) if inspect.isawaitable(result) \
                else result
        return call

    def __setattr__(self, name, value):
        setattr(self._t, name, value)

    def _each(self, pairs):
        """An async generator's items, one awaited at a time."""
        while True:
            try:
                yield self._loop.run_until_complete(pairs.__anext__())
            except StopAsyncIteration:
                return

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()




class AsyncCase:
    """Mixed in first, it runs a case's test bodies on kairos.asyncio: each Timeseries
    a test builds is an asyncio one over an asyncio client of the same store (the
    case's ``async_client``), seen through Awaited."""

    kairos = AsyncTimeseries
    io = 'asyncio'

    def setUp(self):
        self.loop = asyncio.new_event_loop()
        self.async_clients = []
        super().setUp()

    def tearDown(self):
        super().tearDown()
        for client in self.async_clients:
            self.loop.run_until_complete(self.close_async_client(client))
        self.loop.close()

    def store_client(self):
        """One asyncio client a test, shared by its Timeseries, as the blocking cases
        share theirs (a property test builds one Timeseries an example)."""
        if not self.async_clients:
            self.async_clients.append(self.async_client())
        return self.async_clients[0]

    def timeseries(self, **kwargs):
        return self.seen(super().timeseries(**kwargs))

    def seen(self, timeseries):
        return Awaited(timeseries, self.loop)

    def done(self, result):
        """``result`` awaited on the test's loop: the outcome of an asyncio client's call."""
        return self.loop.run_until_complete(result)


def async_twin(cls):
    """Give a case class whose bodies say ``async_twin = True`` a twin running them on
    kairos.asyncio: Test<Name>Async, beside it in its module."""
    if not cls.__name__.startswith('Test') or cls.__name__.endswith('Async') or \
            not getattr(cls, 'async_twin', False) or not hasattr(cls, 'async_client'):
        return
    twin = cls.__name__ + 'Async'
    vars(sys.modules[cls.__module__])[twin] = type(
        twin, (AsyncCase, cls), {'__module__': cls.__module__})


class RedisCase(unittest.TestCase):
    """Runs the mixed-in test bodies on a flushed Redis."""

    backend = 'redis'
    cluster = False
    kairos = Timeseries   # the Timeseries class tests build (kairos.asyncio's in AsyncCase)
    io = 'blocking'       # 'asyncio' in AsyncCase

    def setUp(self):
        super().setUp()
        self.client = self.connect()
        self.clear()

    def tearDown(self):
        self.clear()
        self.client.close()
        super().tearDown()

    @staticmethod
    def connect():
        return redis.Redis.from_url(redis_url())

    def clear(self):
        """Remove everything stored."""
        self.client.flushdb()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        async_twin(cls)

    def timeseries(self, **kwargs) -> Timeseries:
        return self.kairos(self.store_client(), **kwargs)

    def store_client(self):
        """The client the Timeseries of a test is built on (an asyncio one in AsyncCase)."""
        return self.client

    def async_client(self):
        import redis.asyncio
        return redis.asyncio.Redis.from_url(redis_url())

    @staticmethod
    async def close_async_client(client):
        await client.aclose()

    def snapshot(self):
        """Everything stored, to assert a failed call changed nothing."""
        rval = {}
        for key in self.client.scan_iter(count=1000):
            kind = self.client.type(key)
            dump = self.client.dump(key)
            rval[key] = (kind, dump, self.client.ttl(key) > 0)
        return rval


class RedisClusterCase(RedisCase):
    """Runs the mixed-in test bodies on a flushed Redis Cluster, through a RedisCluster client."""

    cluster = True
    label = 'RedisCluster'

    @staticmethod
    def connect():
        from redis.cluster import RedisCluster
        return RedisCluster.from_url(redis_cluster_url())

    def async_client(self):
        from redis.asyncio.cluster import RedisCluster
        return RedisCluster.from_url(redis_cluster_url())

    def clear(self):
        """Flush every master."""
        for node in self.client.get_primaries():
            self.client.get_redis_connection(node).flushdb()

    def snapshot(self):
        """Everything stored on every master, by key."""
        rval = {}
        for node in self.client.get_primaries():
            single = self.client.get_redis_connection(node)
            for key in single.scan_iter(count=1000):
                rval[key] = (single.type(key), single.dump(key), single.ttl(key) > 0)
        return rval


class RedisClusterHashTagCase(RedisClusterCase):
    """The same on a Redis Cluster, every Timeseries made with ``hash_tag=True``."""

    label = 'RedisClusterHashTag'

    def timeseries(self, **kwargs) -> Timeseries:
        return super().timeseries(hash_tag=True, **kwargs)


@contextlib.contextmanager
def ignoring_prefix():
    """Silence the warning that ``prefix`` is ignored (Mongo, SQL): the shared test bodies
    pass one for Redis. test_dropin and test_sql check the warning itself."""
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', r'prefix .* is ignored', KairosWarning)
        yield


class MongoCase(unittest.TestCase):
    """Runs the mixed-in test bodies on an emptied Mongo database."""

    backend = 'mongo'
    kairos = Timeseries
    io = 'blocking'
    driver = 'mongomock_ng'
    mock_twin = True  # False where a test patches mongomock_ng itself

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.driver == 'mongomock_ng' and cls.mock_twin and cls.__name__.startswith('Test') \
                and not os.environ.get('KAIROS_TEST_MONGO_URL') and \
                not cls.__name__.endswith('Async'):
            twin = cls.__name__ + 'OnMongomock'
            vars(sys.modules[cls.__module__])[twin] = type(
                twin, (cls,), {'driver': 'mongomock', '__module__': cls.__module__})
        async_twin(cls)

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
        with ignoring_prefix():
            return self.kairos(self.store_client(), **kwargs)

    def store_client(self):
        return self.client

    def async_client(self):
        """An asyncio client of the same database: pymongo's at KAIROS_TEST_MONGO_URL,
        else mongomock_motor over the mock the test reads."""
        url = os.environ.get('KAIROS_TEST_MONGO_URL')
        if url:
            import pymongo
            return pymongo.AsyncMongoClient(url, serverSelectionTimeoutMS=5000)[self.client.name]
        from mongomock_motor import AsyncMongoMockClient
        return AsyncMongoMockClient(mock_mongo_client=self.client.client)[self.client.name]

    @staticmethod
    async def close_async_client(database):
        if os.environ.get('KAIROS_TEST_MONGO_URL'):
            await database.client.close()

    def snapshot(self):
        """Every document, by collection (an empty collection, which kairos.asyncio's
        set-up may create at the first call, holds no data)."""
        rval = {}
        for name in sorted(self.client.list_collection_names()):
            docs = sorted((repr(sorted((k, repr(v)) for k, v in d.items() if k != '_id'))
                           for d in self.client[name].find()))
            if docs:
                rval[name] = docs
        return rval


# -- SQL -----------------------------------------------------------------------

def _as_postgres_user(command):
    """Run ``command`` as user postgres when we are root (PostgreSQL refuses root).

    setpriv execs the command itself, so signals reach the server, not a wrapper.
    """
    if os.geteuid() != 0:
        return command
    return ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups'] + command


def _postgres_bin(name):
    found = shutil.which(name)
    if found:
        return found
    root = '/usr/lib/postgresql'
    for version in sorted(os.listdir(root) if os.path.isdir(root) else [], reverse=True):
        path = os.path.join(root, version, 'bin', name)
        if os.path.exists(path):
            return path
    return None


class SqlServer:
    """A private database server in a temp dir on a free port; ``url`` for SQLAlchemy."""

    binary = None

    def __init__(self, prefix):
        self.port = free_port()
        self.directory = tempfile.mkdtemp(prefix=prefix)
        self.process = None
        self.url = None

    @classmethod
    def available(cls) -> bool:
        return all(cls.find(name) for name in cls.binaries)

    @staticmethod
    def find(name):
        return shutil.which(name) or _postgres_bin(name) or (
            os.path.exists('/usr/sbin/' + name) and '/usr/sbin/' + name)

    def wait(self, probe):
        for _ in range(600):
            if self.process.poll() is not None:
                break
            try:
                probe()
                return self
            except Exception:
                time.sleep(0.05)
        log = os.path.join(self.directory, 'log')
        tail = open(log, errors='replace').read()[-2000:] if os.path.exists(log) else ''
        self.stop()
        raise RuntimeError('%s did not start on port %d: %s' % (type(self).__name__,
                                                                self.port, tail))

    def stop(self):
        if self.process is not None:
            self.process.send_signal(signal.SIGINT)   # fast shutdown for both servers
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
            self.process = None
        shutil.rmtree(self.directory, ignore_errors=True)


class PostgresServer(SqlServer):
    """initdb in a temp dir, then postgres with fsync off, trust auth, socket in that dir."""

    binaries = ('initdb', 'postgres')

    def __init__(self, prefix='kairos-postgres-'):
        super().__init__(prefix)
        self.url = 'postgresql+psycopg://postgres@127.0.0.1:%d/postgres' % self.port

    def start(self) -> 'PostgresServer':
        if os.geteuid() == 0:
            user = pwd.getpwnam('postgres')
            os.chown(self.directory, user.pw_uid, user.pw_gid)
        data = os.path.join(self.directory, 'data')
        subprocess.run(_as_postgres_user([self.find('initdb'), '-D', data, '-U', 'postgres',
                                          '--auth=trust', '-E', 'UTF8', '--locale=C',
                                          '--no-sync']),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        with open(os.path.join(self.directory, 'log'), 'w') as log:
            self.process = subprocess.Popen(_as_postgres_user(
                [self.find('postgres'), '-D', data, '-p', str(self.port),
                 '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=' +
                 self.directory, '-c', 'fsync=off', '-c', 'synchronous_commit=off',
                 '-c', 'full_page_writes=off', '-c', 'max_connections=100']),
                stdout=log, stderr=subprocess.STDOUT)
        import psycopg
        return self.wait(lambda: psycopg.connect(
            host='127.0.0.1', port=self.port, user='postgres', dbname='postgres',
            connect_timeout=1).close())


class MariadbServer(SqlServer):
    """mariadb-install-db into a temp dir, then mariadbd on its own socket and free port."""

    binaries = ('mariadb-install-db', 'mariadbd')
    log_bin = ('--skip-log-bin',)   # the binary log's options

    def __init__(self, prefix='kairos-mariadb-'):
        super().__init__(prefix)
        self.url = 'mysql+pymysql://root@127.0.0.1:%d/kairos_test?charset=utf8mb4' % self.port

    def start(self) -> 'MariadbServer':
        data = os.path.join(self.directory, 'data')
        user = ['--user=root'] if os.geteuid() == 0 else []
        for attempt in range(3):
            # a bootstrap can fail while another one runs on the machine: again, from scratch
            shutil.rmtree(data, ignore_errors=True)
            installed = subprocess.run(
                [self.find('mariadb-install-db'), '--no-defaults', '--datadir=' + data,
                 '--auth-root-authentication-method=normal', '--skip-test-db',
                 '--skip-name-resolve'] + user,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if installed.returncode == 0:
                break
            time.sleep(1 + attempt)
        else:
            raise RuntimeError('mariadb-install-db failed (exit %d): %s'
                               % (installed.returncode, installed.stdout[-2000:]))
        self.process = subprocess.Popen(
            [self.find('mariadbd'), '--no-defaults', '--datadir=' + data,
             '--socket=' + os.path.join(self.directory, 'sock'), '--port=%d' % self.port,
             '--bind-address=127.0.0.1', '--skip-grant-tables', '--skip-name-resolve',
             '--innodb-flush-log-at-trx-commit=0', '--innodb-buffer-pool-size=64M',
             '--innodb-doublewrite=0', *self.log_bin, '--max-connections=200',
             '--pid-file=' + os.path.join(self.directory, 'pid'),
             '--log-error=' + os.path.join(self.directory, 'log')] + user,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import pymysql

        def probe():
            connection = pymysql.connect(host='127.0.0.1', port=self.port, user='root',
                                         connect_timeout=1)
            with connection.cursor() as cursor:
                cursor.execute('CREATE DATABASE IF NOT EXISTS kairos_test '
                               'CHARACTER SET utf8mb4')
            connection.close()
        return self.wait(probe)


# dialect -> (environment variable naming a server, private server class)
SQL_SERVERS = {'postgresql': ('KAIROS_TEST_POSTGRES_URL', PostgresServer),
               'mysql': ('KAIROS_TEST_MYSQL_URL', MariadbServer)}
_sql = {'engines': {}, 'skipped': []}


def sql_url(dialect: str) -> str:
    """A URL of the dialect's test database, starting a private server when needed.

    Raises unittest.SkipTest when the server is not installed (outside CI).
    """
    if dialect == 'sqlite':
        if 'sqlite' not in _server:
            directory = tempfile.mkdtemp(prefix='kairos-sqlite-')
            atexit.register(shutil.rmtree, directory, True)
            _server['sqlite'] = 'sqlite:///' + os.path.join(directory, 'kairos.db')
        return _server['sqlite']
    variable, server_class = SQL_SERVERS[dialect]
    url = os.environ.get(variable)
    if url:   # a URL without +driver gets the driver the tests install
        for bare, driver in (('postgresql://', 'postgresql+psycopg://'),
                             ('mysql://', 'mysql+pymysql://')):
            if url.startswith(bare):
                return driver + url[len(bare):]
        return url
    if dialect not in _server:
        if not server_class.available():
            missing = 'no %s: install it (%s) or set %s' % (
                dialect, 'apt-get install postgresql' if dialect == 'postgresql'
                else 'apt-get install mariadb-server', variable)
            if os.environ.get('CI') == 'true':
                raise RuntimeError('CI=true and ' + missing)
            if dialect not in _sql['skipped']:
                _sql['skipped'].append(dialect)
            raise unittest.SkipTest(missing)
        server = server_class().start()
        atexit.register(server.stop)
        _server[dialect] = server.url
    return _server[dialect]


def sql_engine(dialect: str):
    """One SQLAlchemy Engine per dialect and process, disposed at exit."""
    engines = _sql['engines']
    if dialect not in engines:
        import sqlalchemy
        url = sql_url(dialect)
        kwargs = {'connect_args': {'timeout': 60}} if dialect == 'sqlite' else \
            {'pool_size': 10, 'max_overflow': 20}
        engines[dialect] = sqlalchemy.create_engine(url, **kwargs)
        atexit.register(engines[dialect].dispose)
    return engines[dialect]


# dialect -> the asyncio driver the asyncio twins of the SQL tests run on
ASYNC_DRIVERS = {'sqlite': 'sqlite+aiosqlite', 'postgresql': 'postgresql+asyncpg',
                 'mysql': 'mysql+aiomysql'}


def async_sql_engine(dialect: str, url=None, **kwargs):
    """A new SQLAlchemy AsyncEngine on ``url``, default the dialect's test database (the
    one sql_engine's Engine is on), through the dialect's asyncio driver (ASYNC_DRIVERS).
    Its pool is as the Engine's, and a task waits up to a minute for one of its
    connections: many tasks share a few connections, as in an application; ``kwargs``
    replace those options."""
    from sqlalchemy import make_url
    from sqlalchemy.ext.asyncio import create_async_engine
    options = {'connect_args': {'timeout': 60}} if dialect == 'sqlite' else \
        {'pool_size': 10, 'max_overflow': 20}
    if url is None and 'poolclass' not in kwargs:
        options.update(pool_timeout=60)
    elif 'poolclass' in kwargs:
        options.pop('pool_size', None), options.pop('max_overflow', None)
    options.update(kwargs)
    url = make_url(url or sql_url(dialect)).set(drivername=ASYNC_DRIVERS[dialect])
    return create_async_engine(url, **options)


def sends_bytes(engine) -> bool:
    """Whether the engine's driver can send bytes parameters: aiomysql cannot with
    PyMySQL 1.2.3 and later, where the escape_bytes_prefixed it calls is a string."""
    if engine.dialect.driver != 'aiomysql':
        return True
    import pymysql.converters
    return callable(getattr(pymysql.converters, 'escape_bytes_prefixed', None))


@atexit.register
def _report_skipped():
    if _sql['skipped']:
        sys.stderr.write('skipped the SQL backends %s: their servers are not installed '
                         '(apt-get install postgresql mariadb-server, or set '
                         'KAIROS_TEST_POSTGRES_URL / KAIROS_TEST_MYSQL_URL)\n'
                         % ' and '.join(_sql['skipped']))


class SqlCase(unittest.TestCase):
    """Runs the mixed-in test bodies on an SQL database whose kairos tables are emptied.

    Values are stored in text columns (``value_type=str``), so that they read
    back as str, as on Redis.
    """

    backend = 'sql'
    kairos = Timeseries
    io = 'blocking'
    dialect = None

    def setUp(self):
        super().setUp()
        self.engine = sql_engine(self.dialect)
        self.clear()

    def tearDown(self):
        self.clear()
        super().tearDown()

    def tables(self):
        import sqlalchemy
        return sqlalchemy.inspect(self.engine).get_table_names()

    def clear(self):
        """Remove every row (tables stay: creating them costs more than emptying)."""
        quote = self.engine.dialect.identifier_preparer.quote
        with self.engine.begin() as connection:
            for table in self.tables():
                connection.exec_driver_sql('DELETE FROM %s' % quote(table))

    def drop_tables(self):
        """Drop every table, for tests that build tables of their own."""
        quote = self.engine.dialect.identifier_preparer.quote
        with self.engine.begin() as connection:
            for table in self.tables():
                connection.exec_driver_sql('DROP TABLE %s' % quote(table))

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        async_twin(cls)

    def timeseries(self, **kwargs) -> Timeseries:
        kwargs.setdefault('value_type', str)
        with ignoring_prefix():
            return self.kairos(self.store_client(), **kwargs)

    def store_client(self):
        return self.engine

    def built(self, client=None, **kwargs):
        """A Timeseries of the case's kind on ``client`` (default the case's), built as
        given: float values by default, no warning silenced."""
        return self.seen(self.kairos(client or self.store_client(), **kwargs))

    def seen(self, timeseries):
        """A Timeseries a test built itself, as its bodies use it (see AsyncCase)."""
        return timeseries

    def done(self, result):
        """The outcome of a client's call (see AsyncCase): here the call's result."""
        return result

    def other_engine(self, url=None, **kwargs):
        """A new engine of the case's kind (an AsyncEngine in AsyncCase) on ``url``,
        default the case's database; disposed after the test."""
        if self.io == 'asyncio':
            engine = async_sql_engine(self.dialect, url, **kwargs)
            self.async_clients.append(engine)
            return engine
        import sqlalchemy
        engine = sqlalchemy.create_engine(url or self.engine.url, **kwargs)
        self.addCleanup(engine.dispose)
        return engine

    def async_client(self):
        """An AsyncEngine on the database of ``self.engine``."""
        return async_sql_engine(self.dialect)

    @staticmethod
    async def close_async_client(engine):
        await engine.dispose()

    def snapshot(self):
        quote = self.engine.dialect.identifier_preparer.quote
        rval = {}
        with self.engine.connect() as connection:
            for table in sorted(self.tables()):
                rows = connection.exec_driver_sql('SELECT * FROM %s' % quote(table)).all()
                if rows:
                    rval[table] = sorted(repr(tuple(row)) for row in rows)
        return rval


class DroppedTables:
    """Mixed into an SQL case whose tests create tables of their own: none before or after."""

    def setUp(self):
        super().setUp()
        self.drop_tables()

    def tearDown(self):
        self.drop_tables()
        super().tearDown()


class SqliteCase(SqlCase):
    dialect = 'sqlite'


class PostgresCase(SqlCase):
    dialect = 'postgresql'


class MysqlCase(SqlCase):
    dialect = 'mysql'


SQL_CASES = (SqliteCase, PostgresCase, MysqlCase)


# -- servers that require a password -------------------------------------------

# The credentials of the servers below; tests check that no message shows a password.
AUTH_USER, AUTH_PASSWORD = 'kairos_auth', 'kairos-auth-secret-7d3f'


class AuthRedisServer(RedisServer):
    """A private redis-server whose default user needs AUTH_PASSWORD (requirepass)."""

    def start(self) -> 'AuthRedisServer':
        super().start()
        client = redis.Redis(port=self.port)
        try:
            client.config_set('requirepass', AUTH_PASSWORD)
        finally:
            client.close()
        return self


class OomRedisServer(RedisServer):
    """A private redis-server with ``--maxmemory 2mb --maxmemory-policy noeviction``;
    ``exhaust()`` fills it until Redis refuses writes out of memory."""

    BALLAST = 'kairos-test-ballast'

    def start(self) -> 'OomRedisServer':
        super().start()
        client = redis.Redis(port=self.port)
        try:
            client.config_set('maxmemory-policy', 'noeviction')
            client.config_set('maxmemory', '2mb')
        finally:
            client.close()
        return self

    def exhaust(self) -> None:
        """Append to one big value until Redis refuses it: used memory > maxmemory."""
        client = redis.Redis(port=self.port)
        try:
            for _ in range(1000):
                try:
                    client.append(self.BALLAST, b'x' * 100000)
                except redis.exceptions.OutOfMemoryError:
                    return
        finally:
            client.close()
        raise RuntimeError('redis-server on port %d never ran out of memory' % self.port)

    def relieve(self) -> None:
        """Free the memory exhaust() took."""
        client = redis.Redis(port=self.port)
        try:
            client.delete(self.BALLAST)
        finally:
            client.close()


def oom_redis_server() -> OomRedisServer:
    """The one private OomRedisServer, started on first use and stopped at exit."""
    if 'oom' not in _server:
        server = OomRedisServer()
        atexit.register(server.stop)
        _server['oom'] = server.start()
    return _server['oom']


class AuthPostgresServer(PostgresServer):
    """A private PostgreSQL whose TCP logins take scram-sha-256 passwords: AUTH_USER
    (and postgres) with AUTH_PASSWORD. ``url`` carries them."""

    def start(self) -> 'AuthPostgresServer':
        super().start()
        import psycopg
        with psycopg.connect(host='127.0.0.1', port=self.port, user='postgres',
                             dbname='postgres', autocommit=True) as connection:
            connection.execute("SET password_encryption = 'scram-sha-256'")
            for verb, user in (('ALTER', 'postgres'), ('CREATE', AUTH_USER)):
                connection.execute("%s ROLE %s LOGIN SUPERUSER PASSWORD '%s'"
                                   % (verb, user, AUTH_PASSWORD))
            hba = connection.execute('SHOW hba_file').fetchone()[0]
            with open(hba, 'w') as rules:
                rules.write('local all all trust\n'
                            'host all all 127.0.0.1/32 scram-sha-256\n'
                            'host all all ::1/128 scram-sha-256\n')
            connection.execute('SELECT pg_reload_conf()')
        self.url = 'postgresql+psycopg://%s:%s@127.0.0.1:%d/postgres' % (
            AUTH_USER, AUTH_PASSWORD, self.port)

        def refuses_no_password():
            try:
                psycopg.connect(host='127.0.0.1', port=self.port, user='postgres',
                                dbname='postgres', connect_timeout=1).close()
            except psycopg.OperationalError:
                return
            raise RuntimeError('PostgreSQL still trusts TCP logins')
        return self.wait(refuses_no_password)


class AuthMariadbServer(MariadbServer):
    """A private MariaDB checking its grant tables: AUTH_USER with AUTH_PASSWORD may use
    the database kairos_test. ``url`` carries them."""

    def start(self) -> 'AuthMariadbServer':
        super().start()
        import pymysql
        connection = pymysql.connect(host='127.0.0.1', port=self.port, user='root',
                                     connect_timeout=1)
        try:
            with connection.cursor() as cursor:
                cursor.execute('FLUSH PRIVILEGES')   # from now on the grants count
                cursor.execute("CREATE USER '%s'@'%%' IDENTIFIED BY '%s'"
                               % (AUTH_USER, AUTH_PASSWORD))
                cursor.execute("GRANT ALL ON kairos_test.* TO '%s'@'%%'" % AUTH_USER)
        finally:
            connection.close()
        self.url = 'mysql+pymysql://%s:%s@127.0.0.1:%d/kairos_test?charset=utf8mb4' % (
            AUTH_USER, AUTH_PASSWORD, self.port)
        return self


def auth_server(kind: str):
    """The one private server of ``kind`` ('redis', 'postgresql', 'mysql') that requires a
    password, started on first use and stopped at exit; unittest.SkipTest where its
    binaries are missing (outside CI)."""
    key = 'auth-' + kind
    if key not in _server:
        server_class = {'redis': AuthRedisServer, 'postgresql': AuthPostgresServer,
                        'mysql': AuthMariadbServer}[kind]
        found = shutil.which('redis-server') if kind == 'redis' else server_class.available()
        if not found:
            if os.environ.get('CI') == 'true':
                raise RuntimeError('CI=true and no %s server is installed' % kind)
            raise unittest.SkipTest('no %s server is installed' % kind)
        _server[key] = None   # one attempt per process
        server = server_class()
        atexit.register(server.stop)   # also if its start fails half-way
        server.start()
        _server[key] = server
    if _server[key] is None:
        raise RuntimeError('the private %s server requiring a password did not start' % kind)
    return _server[key]
