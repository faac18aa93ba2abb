"""``kairos import``, ``dump``, ``restore`` and ``copy`` from the venv's console script:
every type copied between every pair of stores (Redis, the Redis Cluster, SQLite,
PostgreSQL, MariaDB, and MongoDB at KAIROS_TEST_MONGO_URL) reads back as the API
read it from the source; imports stop at a bad line with whole chunks written."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from kairos import Timeseries
from kairos.cli.moving import IMPORT_CHUNK
from tests.functional.test_cli import ROOT, environment
from tests.support import redis_cluster_url, redis_url, sql_url

KAIROS = os.path.join(os.path.dirname(sys.executable), 'kairos')
T0 = 1800000000
NOW = T0 + 1800
INTERVALS = {'minute': {'step': 60}, 'hour': {'step': 3600, 'resolution': 60}}
# type -> values written at T0 + 100 * i for name 'a' and 'b'
VALUES = {'series': ['1', '2', '2'], 'histogram': ['1', '2', '2'], 'count': [1, 2, 5],
          'gauge': ['x', 'y', 'z'], 'set': ['a', 'b', 'a'], 'summary': [1, 2.5, -4],
          'distinct': ['a', 'b', 'a'], 'sketch': [1, 2.5, -4]}


def stores():
    """name -> URL of every store the tests reach."""
    found = {'redis': redis_url(),
             'cluster': 'redis+cluster://' + redis_cluster_url().split('://', 1)[1].rsplit(
                 '/', 1)[0],
             'sqlite': sql_url('sqlite'), 'postgresql': sql_url('postgresql'),
             'mysql': sql_url('mysql')}
    if os.environ.get('KAIROS_TEST_MONGO_URL'):
        found['mongo'] = os.environ['KAIROS_TEST_MONGO_URL'].rstrip('/') + '/kairos_moving'
    return found


def toml(url):
    """A configuration a type, SQL tables and Redis prefixes of their own."""
    lines = ['url = "%s"' % url]
    for kind in VALUES:
        lines += ['[series.%s]' % kind, 'type = "%s"' % kind, 'prefix = "mv-%s:"' % kind,
                  'table_name = "mv_%s"' % kind, 'value_type = "str"']
        for name, settings in INTERVALS.items():
            lines += ['[series.%s.intervals.%s]' % (kind, name)]
            lines += ['%s = %d' % pair for pair in settings.items()]
    return '\n'.join(lines) + '\n'


def opened(url, kind):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')   # a prefix on SQL, a table_name on Redis
        return Timeseries(url, type=kind, prefix='mv-%s:' % kind, table_name='mv_%s' % kind,
                          value_type=str, intervals=INTERVALS, clock=lambda: NOW)


def reads(t):
    return [t.series(['a', 'b'], interval, start=T0, end=T0 + 600) for interval in INTERVALS] + \
        [t.series(name, 'hour', start=T0, end=T0 + 600, condense=True) for name in 'ab']


class TestMoving(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.stores = stores()
        cls.directory = tempfile.mkdtemp(prefix='kairos-moving-')

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.directory, ignore_errors=True)

    def setUp(self):
        for url in self.stores.values():
            self.clear(url)

    def clear(self, url):
        for kind in VALUES:
            with opened(url, kind) as t:
                t.delete_all()

    def config(self, url):
        path = os.path.join(self.directory, 'kairos.toml')
        with open(path, 'w') as out:
            out.write(toml(url))
        return path

    def kairos(self, *args, stdin=None):
        return subprocess.run([KAIROS] + list(args) + ['--now', str(NOW)], cwd=ROOT,
                              env=environment(), input=stdin, capture_output=True,
                              text=True, timeout=300)

    def seed(self, url):
        for kind, values in VALUES.items():
            with opened(url, kind) as t:
                t.bulk_insert({T0 + 100 * i: {'a': [value], 'b': [value, value]}
                               for i, value in enumerate(values)})

    def test_copy_between_every_pair(self):
        """kairos copy SRC DST: every type reads back on DST as on SRC (a distinct's
        registers cannot go into Redis, which says so)."""
        for source, source_url in self.stores.items():
            self.seed(source_url)
            for target, target_url in self.stores.items():
                if target == source:
                    continue
                with self.subTest(source=source, target=target):
                    self.clear(target_url)
                    into_redis = target in ('redis', 'cluster')
                    kinds = [kind for kind in VALUES if not (into_redis and kind == 'distinct')]
                    for kind in kinds:
                        done = self.kairos('copy', source_url, target_url, '--config',
                                           self.config(source_url), '--in', kind)
                        self.assertEqual(done.returncode, 0, done.stderr)
                        self.assertRegex(done.stdout, r'copied \d+ buckets from ')
                        with opened(source_url, kind) as a, opened(target_url, kind) as b:
                            self.assertEqual(reads(a), reads(b), kind)
                    if into_redis:
                        done = self.kairos('copy', source_url, target_url, '--config',
                                           self.config(source_url), '--in', 'distinct')
                        self.assertEqual(done.returncode, 1)
                        self.assertIn('restore it into MongoDB or SQL', done.stderr)
            self.clear(source_url)

    def test_dump_then_restore(self):
        """kairos dump > FILE, kairos restore FILE: every configuration at once."""
        source, target = self.stores['redis'], self.stores['sqlite']
        self.seed(source)
        done = self.kairos('dump', '--config', self.config(source))
        self.assertEqual(done.returncode, 0, done.stderr)
        records = [json.loads(line) for line in done.stdout.splitlines()]
        self.assertEqual(set(VALUES), {record['configuration'] for record in records})
        self.assertIn('dumped %d buckets' % len(records), done.stderr)
        path = os.path.join(self.directory, 'dump.jsonl')
        with open(path, 'w') as out:
            out.write(done.stdout)
        done = self.kairos('restore', path, '--config', self.config(target))
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual('restored %d buckets\n' % len(records), done.stdout)
        for kind in VALUES:
            with opened(source, kind) as a, opened(target, kind) as b:
                self.assertEqual(reads(a), reads(b), kind)

    def test_import(self):
        """kairos import of CSV from stdin: every point lands, and the count is said."""
        url = self.stores['sqlite']
        lines = ['timestamp,name,value'] + ['%d,a,%d' % (T0 + i, i % 3 + 1) for i in range(100)]
        done = self.kairos('import', '-', '--config', self.config(url), '--in', 'count',
                           stdin='\n'.join(lines) + '\n')
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual('imported 100 points into count\n', done.stdout)
        with opened(url, 'count') as t:
            self.assertEqual([sum(i % 3 + 1 for i in range(100))],
                             list(t.series('a', 'hour', start=T0, end=T0, condense=True)
                                  .values()))

    def test_import_stops_at_a_bad_line(self):
        """A bad value stops the import with its line number; whole chunks stay written."""
        url = self.stores['sqlite']
        path = os.path.join(self.directory, 'points.jsonl')
        bad = IMPORT_CHUNK + 30
        with open(path, 'w') as out:
            for number in range(1, IMPORT_CHUNK + 50):
                value = 'x' if number == bad else 1
                out.write(json.dumps({'timestamp': T0, 'name': 'a', 'value': value}) + '\n')
        done = self.kairos('import', path, '--config', self.config(url), '--in', 'count')
        self.assertEqual(done.returncode, 2)
        self.assertNotIn('Traceback', done.stderr)
        self.assertTrue(done.stderr.splitlines()[-1].startswith('kairos: error: line %d:' % bad),
                        done.stderr)
        self.assertIn('%d points were written before it' % IMPORT_CHUNK, done.stderr)
        with opened(url, 'count') as t:
            self.assertEqual({T0: IMPORT_CHUNK}, dict(t.get('a', 'minute', timestamp=T0)))
