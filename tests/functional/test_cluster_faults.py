"""Failover and resharding under load, each on its own private Redis Cluster (3+3 nodes,
cluster-node-timeout 2000 ms), started and stopped by the test.

Four threads insert counts of 1 into a few hundred names while the cluster changes
and one reads 50 of them joined.
Every call is recorded: acknowledged (returned), failed (raised StorageError: its outcome
is unknown) or escaped (anything else: a test failure). Afterwards each name's stored
count is compared with a replay of the acknowledged calls:

    lost    = acknowledged - stored, when positive
    doubled = stored - acknowledged - failed, when positive (an increment applied twice)

The counts are printed, one line per test.
"""

import sys
import threading
import time
import unittest

import redis

from kairos import Timeseries
from kairos.exceptions import StorageError

from tests.support import RedisClusterServer, move_slots, require_cluster_binaries

NAMES = ['load-%d' % i for i in range(300)]
THREADS = 4
GUARD = 20.0        # seconds: no call may take longer
PROMOTION = 60.0    # seconds: a replica is promoted within
STAMP = 1800000000


class Load:
    """THREADS threads inserting into NAMES through one Timeseries until stopped."""

    def __init__(self, t, readers=0):
        self.t = t
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked = {}
        self.failed = {}
        self.escaped = []
        self.calls = 0
        self.slowest = 0.0
        self.reads = 0
        self.last_ok = 0.0
        self.threads = [threading.Thread(target=self.write, args=(n,), daemon=True)
                        for n in range(THREADS)]
        self.threads += [threading.Thread(target=self.read, daemon=True) for _ in range(readers)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(GUARD * 2)
        assert not any(thread.is_alive() for thread in self.threads), 'a call hung'

    def write(self, n):
        i = n
        while not self.stop.is_set():
            name = NAMES[i % len(NAMES)]
            i += THREADS
            began = time.monotonic()
            try:
                self.t.insert(name, 1, timestamp=STAMP)
                outcome = self.acked
            except StorageError:
                outcome = self.failed
            except Exception as exc:  # a raw redis-py error, or any other bug
                self.escaped.append(repr(exc))
                outcome = None
            took = time.monotonic() - began
            with self.lock:
                self.calls += 1
                self.slowest = max(self.slowest, took)
                if outcome is not None:
                    outcome[name] = outcome.get(name, 0) + 1
                if outcome is self.acked:
                    self.last_ok = time.monotonic()
            if outcome is not self.acked:
                time.sleep(0.02)

    def read(self):
        while not self.stop.is_set():
            names = NAMES[:50]
            try:
                row = self.t.get(names, 'minute', timestamp=STAMP)
                assert list(row.values())[0] >= 0
                with self.lock:
                    self.reads += 1
            except StorageError:
                time.sleep(0.02)
            except Exception as exc:
                self.escaped.append(repr(exc))

    def wait_ok(self, seconds=1.0):
        """Wait until inserts have been acknowledged for ``seconds`` after now."""
        since = time.monotonic()
        deadline = since + GUARD * 2
        while time.monotonic() < deadline:
            if self.last_ok > since + seconds:
                return
            time.sleep(0.05)
        raise AssertionError('inserts did not succeed again')

    def tally(self, t):
        """(lost, doubled) against what ``t`` reads back."""
        stored = t.get(NAMES, 'minute', timestamp=STAMP)  # joined: the sum, as a check
        lost = doubled = 0
        for name in NAMES:
            value = list(t.get(name, 'minute', timestamp=STAMP).values())[0] or 0
            acked, failed = self.acked.get(name, 0), self.failed.get(name, 0)
            lost += max(0, acked - value)
            doubled += max(0, value - acked - failed)
        assert list(stored.values())[0] >= 0
        return lost, doubled


class ClusterFaultCase(unittest.TestCase):

    def setUp(self):
        require_cluster_binaries()
        self.cluster = RedisClusterServer(node_timeout=2000, prefix='kairos-faults-').start()
        self.addCleanup(self.cluster.stop)
        self.client = self.cluster.client(socket_timeout=2, socket_connect_timeout=1)
        self.addCleanup(self.client.close)

    def timeseries(self, **kwargs):
        kwargs.setdefault('intervals', {'minute': {'step': 60}})
        return Timeseries(self.client, type='count', prefix='f', **kwargs)

    def replica_of(self, master_port):
        for port in self.cluster.processes:
            node = redis.Redis(port=port, decode_responses=True)
            try:
                info = node.info('replication')
            finally:
                node.close()
            if info['role'] == 'slave' and int(info['master_port']) == master_port:
                return port
        raise AssertionError('no replica of %d' % master_port)

    def wait_master(self, port):
        """Wait for the replica at ``port`` to be promoted: an election takes seconds, but
        on a loaded machine a lost vote is retried only after twice the node timeout."""
        node = redis.Redis(port=port, decode_responses=True)
        try:
            deadline = time.monotonic() + PROMOTION
            while node.info('replication')['role'] != 'master':
                if time.monotonic() > deadline:
                    self.fail('no promotion of %d in %d s: %s' % (
                        port, PROMOTION, node.execute_command('CLUSTER', 'INFO')))
                time.sleep(0.1)
        finally:
            node.close()
        self.cluster.wait_ok()

    def report(self, what, load, lost, doubled):
        failed = sum(load.failed.values())
        print('\n%s: calls %d, acknowledged %d, errors %d, lost %d, doubled %d, reads %d, '
              'slowest call %.2f s' % (what, load.calls, sum(load.acked.values()), failed, lost,
                                       doubled, load.reads, load.slowest), file=sys.stderr)
        self.assertEqual(load.escaped, [])
        self.assertLess(load.slowest, GUARD)
        self.assertEqual(doubled, 0)


class TestFailover(ClusterFaultCase):

    def test_manual_failover(self):
        """CLUSTER FAILOVER under load: nothing acknowledged lost, nothing doubled."""
        t = self.timeseries()
        master = self.cluster.masters_ports()[0]
        replica = self.replica_of(master)
        with Load(t, readers=1) as load:
            time.sleep(1)
            node = redis.Redis(port=replica)
            node.execute_command('CLUSTER', 'FAILOVER')
            node.close()
            self.wait_master(replica)
            load.wait_ok()
        lost, doubled = load.tally(t)
        self.report('manual failover', load, lost, doubled)
        self.assertEqual(lost, 0)
        t.insert(NAMES[0], 1, timestamp=STAMP)   # the same Timeseries keeps working

    def kill_master(self, **kwargs):
        t = self.timeseries(**kwargs)
        master = self.cluster.masters_ports()[0]
        replica = self.replica_of(master)
        with Load(t, readers=1) as load:
            time.sleep(1)
            self.cluster.kill(master)
            self.wait_master(replica)
            load.wait_ok()
        return load, t

    def test_kill_master(self):
        """kill -9 of a master: no hang, no raw error, nothing doubled; writes resume."""
        load, t = self.kill_master()
        lost, doubled = load.tally(t)
        self.report('kill -9 of a master', load, lost, doubled)

    def test_kill_master_wait_replicas(self):
        """With wait_replicas=1, a kill -9 loses nothing acknowledged."""
        load, t = self.kill_master(wait_replicas=1)
        lost, doubled = load.tally(t)
        self.report('kill -9 of a master, wait_replicas=1', load, lost, doubled)
        self.assertEqual(lost, 0)


class TestResharding(ClusterFaultCase):

    def test_move_slots_under_load(self):
        """Slots moving between masters while inserting and reading: redirections followed."""
        t = self.timeseries(hash_tag=True, intervals={
            'minute': {'step': 60}, 'hour': {'step': 3600, 'resolution': 60}})
        source, target = self.cluster.masters_ports()[:2]
        with Load(t, readers=1) as load:
            time.sleep(0.5)
            by_slot = {}
            for name in NAMES:
                slot = self.client.keyslot('{%s}' % name)
                node = self.client.nodes_manager.get_node_from_slot(slot)
                if node.port == source:
                    by_slot.setdefault(slot, name)
            move_slots(source, target, sorted(by_slot)[:40])
            move_slots(target, source, sorted(by_slot)[:20])
            load.wait_ok(0.5)
        lost, doubled = load.tally(t)
        self.report('resharding', load, lost, doubled)
        self.assertEqual(lost, 0)
        self.assertEqual(sum(load.failed.values()), 0)
        hour = t.get(NAMES, 'hour', timestamp=STAMP, condensed=True)
        self.assertEqual(list(hour.values()), [sum(load.acked.values())])
