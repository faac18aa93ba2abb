"""The ``kairos`` command as a user runs it: the venv's console script in a subprocess, on
every backend, its output parsed and compared with what the API reads.

Each backend's class writes the data once (tests/functional/cli_data.py) and runs
all its command lines at the start, two at a time; each test checks one of
those runs. A mongomock database lives in its process, so on mongomock the
command runs in a process that seeds its own mock first (cli_data.MOCK_HARNESS).
"""

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest
from concurrent.futures import ThreadPoolExecutor

from tests.functional.cli_data import MOCK_HARNESS, NOW, T0, TYPES, config, opener, seed
from tests.support import redis_cluster_url, redis_url, sql_url

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KAIROS = os.path.join(os.path.dirname(sys.executable), 'kairos')


def plain(value):
    """An API result as JSON shows it: keys as text, sets as sorted lists."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(plain(item) for item in value)
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def environment(**extra):
    env = {key: item for key, item in os.environ.items() if key not in ('COLUMNS', 'LINES')}
    env.update(TZ='UTC', **extra)
    return env


class CliCase:
    """The command lines every backend runs, and what each must print."""

    prefix = False        # Redis: a prefix a type
    mock = False          # mongomock: the command seeds its own process
    table = False         # SQL: tables of its own (see cli_data.keywords)

    @classmethod
    def store_url(cls):
        raise NotImplementedError

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.url = cls.store_url()
        cls.directory = tempfile.mkdtemp(prefix='kairos-cli-')
        cls.config = os.path.join(cls.directory, 'kairos.toml')
        with open(cls.config, 'w') as out:
            out.write(config(cls.url, cls.prefix, cls.table))
        cls.open_type = staticmethod(cls.opener())
        cls.clear()
        seed(cls.open_type)
        with ThreadPoolExecutor(2) as pool:
            runs = cls.runs()
            done = pool.map(lambda item: cls.kairos(*item), runs.values())
            cls.ran = dict(zip(runs, done))

    @classmethod
    def tearDownClass(cls):
        cls.clear()
        shutil.rmtree(cls.directory, ignore_errors=True)
        super().tearDownClass()

    @classmethod
    def opener(cls):
        return opener(cls.url, cls.prefix, cls.table)

    @classmethod
    def clear(cls):
        for type_ in TYPES:
            with cls.open_type(type_) as timeseries:
                timeseries.delete_all()

    @classmethod
    def kairos(cls, args, env=None):
        """The console script run with ``args`` (its config file and clock added)."""
        command = [KAIROS] + args + ['--config', cls.config, '--now', str(NOW)]
        if cls.mock:
            command = [sys.executable, '-c', MOCK_HARNESS] + command
        return subprocess.run(command, cwd=ROOT, env=environment(**(env or {})),
                              capture_output=True, text=True, timeout=120)

    @classmethod
    def runs(cls):
        """label -> (arguments, extra environment)."""
        return {
            'list': (['list', '--format', 'json'], None),
            'info': (['info', 'count.home', 'count.away', '--in', 'count', '--format',
                      'json'], None),
            'get': (['get', 'count.home', 'count.away', '--in', 'count', '--interval', 'hour',
                     '--at', '2027-01-15T08:01:00Z', '--format', 'json'], None),
            'series': (['series', 'summary.home', 'summary.away', '--in', 'summary',
                        '--interval', 'minute', '--start', str(T0), '--steps', '6',
                        '--format', 'json'], None),
            'csv': (['series', 'histogram.home', '--in', 'histogram', '--interval', 'minute',
                     '--end', '2027-01-15T09:05+01:00', '--steps', '6', '-t', 'mean',
                     '-t', 'p50', '--format', 'csv'], None),
            'jsonl': (['series', 'set.home', '--in', 'set', '--interval', 'hour',
                       '--steps', '1', '--end', '-30m', '--format', 'jsonl'], None),
            'chart': (['series', 'series.home', 'series.away', '--in', 'series', '--interval',
                       'minute', '--start', str(T0), '--steps', '6', '--chart'],
                      {'COLUMNS': '72', 'LINES': '22'}),
            'watch': (['watch', 'gauge.home', 'gauge.away', '--in', 'gauge', '--interval',
                       'minute', '--start', '-30m', '--end', '-25m', '--frames', '2',
                       '--every-seconds', '0.1', '--timezone', 'UTC'], {'COLUMNS': '50'}),
        }

    def output(self, label):
        """The stdout of a run that must have succeeded quietly."""
        done = self.ran[label]
        self.assertEqual((done.returncode, done.stderr), (0, ''), label)
        return done.stdout

    def api(self, type_):
        return self.open_type(type_)

    def test_list(self):
        """kairos list --format json gives each configuration's list()."""
        expected = {}
        for type_ in TYPES:
            with self.api(type_) as timeseries:
                expected[type_] = timeseries.list()
        self.assertEqual(json.loads(self.output('list')), expected)
        self.assertIn('count.home', expected['count'])

    def test_info(self):
        """kairos info gives each interval's settings and properties()."""
        with self.api('count') as timeseries:
            properties = {name: timeseries.properties(name)
                          for name in ('count.home', 'count.away')}
        expected = {name: {
            'minute': dict(step=60, resolution=60, steps=60, timezone=None,
                           **found['minute']),
            'hour': dict(step=3600, resolution=60, steps=None, timezone=None, **found['hour'])}
            for name, found in properties.items()}
        self.assertEqual(json.loads(self.output('info')), expected)
        self.assertEqual(properties['count.home']['minute'], {'first': T0, 'last': T0 + 300})

    def test_get(self):
        """kairos get of an interval with a resolution gives get_many()'s resolution rows."""
        with self.api('count') as timeseries:
            expected = timeseries.get_many(['count.home', 'count.away'], 'hour', T0 + 60)
        self.assertEqual(json.loads(self.output('get')), plain(expected))
        self.assertEqual(len(expected['count.home']), 6)

    def test_series(self):
        """kairos series --format json gives series_many() of summaries, row by row."""
        with self.api('summary') as timeseries:
            expected = timeseries.series_many(['summary.home', 'summary.away'], 'minute',
                                              start=T0, steps=6)
        got = json.loads(self.output('series'))
        self.assertEqual(got, plain(expected))
        self.assertEqual(got['summary.home'][str(T0)]['count'], 2)

    def test_csv(self):
        """kairos series --format csv: a record a bucket, each transform a column."""
        with self.api('histogram') as timeseries:
            expected = timeseries.series('histogram.home', 'minute', end=T0 + 300, steps=6,
                                         transform=['mean', 'p50'])
        rows = list(csv.DictReader(io.StringIO(self.output('csv'))))
        self.assertEqual(list(rows[0]), ['name', 'time', 'iso', 'value.mean', 'value.p50'])
        self.assertEqual([(int(r['time']), float(r['value.mean']), float(r['value.p50']))
                          for r in rows],
                         [(t, row['mean'], row['p50']) for t, row in expected.items()])
        self.assertEqual(rows[0]['iso'], '2027-01-15T08:00:00+00:00')

    def test_jsonl(self):
        """kairos series --format jsonl: a record a resolution bucket, with its bucket."""
        with self.api('set') as timeseries:
            expected = timeseries.series('set.home', 'hour', steps=1, end=T0)
        records = [json.loads(line) for line in self.output('jsonl').splitlines()]
        self.assertEqual([(r['bucket'], r['time'], r['value']) for r in records],
                         [(bucket, time, sorted(row)) for bucket, rows in expected.items()
                          for time, row in rows.items()])
        self.assertEqual(len(records), 6)

    def test_chart(self):
        """kairos series --chart draws within COLUMNS, titled by its names and transform."""
        lines = self.output('chart').splitlines()
        self.assertGreaterEqual(len(lines), 10)
        self.assertLessEqual(max(len(line) for line in lines), 72)
        self.assertIn('series.home, series.away: count (minute)', lines[0])
        self.assertIn('08:00', self.output('chart'))

    def test_watch(self):
        """kairos watch --frames 2 prints two frames of the table, within COLUMNS."""
        out = self.output('watch')
        frames = out.split('every 0.1s, 08:30:00\n')[1:]
        self.assertEqual(len(frames), 2)
        with self.api('gauge') as timeseries:
            expected = timeseries.series_many(['gauge.home', 'gauge.away'], 'minute',
                                              start=NOW - 1800, end=NOW - 1500)
        for frame in frames:
            rows = [line.split() for line in frame.strip().splitlines()[2:]]
            self.assertEqual([row[1] for row in rows], ['08:0%d' % n for n in range(6)])
            self.assertEqual([float(row[2]) for row in rows],
                             [float(v) for v in expected['gauge.home'].values()])
        self.assertLessEqual(max(len(line) for line in out.splitlines()), 50)


class TestCliRedis(CliCase, unittest.TestCase):
    prefix = True

    @classmethod
    def store_url(cls):
        return redis_url()

    @classmethod
    def runs(cls):
        runs = super().runs()
        runs.update({
            'files': (['series', 'histogram.home', 'histogram.away', '--in', 'histogram',
                       '--interval', 'minute', '--start', str(T0), '--steps', '6', '--png',
                       os.path.join(cls.directory, 'chart.png'), '--svg',
                       os.path.join(cls.directory, 'chart.svg')], None),
            'bars': (['series', 'count.home', 'count.away', '--in', 'count', '--interval',
                      'minute', '--start', str(T0), '--steps', '6', '--chart', '--bars'],
                     {'COLUMNS': '60'}),
            'table': (['series', 'summary.home', '--in', 'summary', '--interval', 'minute',
                       '--start', str(T0), '--steps', '3', '--timezone', 'Europe/Berlin'],
                      {'COLUMNS': '40'}),
            'bad time': (['series', 'count.home', '--in', 'count', '--start', 'yesterday'],
                         None),
            'no store': (['list', '--url', 'redis://127.0.0.1:1/0'], None),
            'verbose': (['-v', 'list', '--url', 'redis://127.0.0.1:1/0'], None),
            'no plotext': (['series', 'count.home', '--in', 'count', '--interval', 'minute',
                            '--chart'], {'PYTHONPATH': cls.without('plotext')}),
            'no matplotlib': (['series', 'count.home', '--in', 'count', '--interval',
                               'minute', '--png', os.path.join(cls.directory, 'x.png')],
                              {'PYTHONPATH': cls.without('matplotlib')}),
        })
        return runs

    @classmethod
    def without(cls, module):
        """A directory whose ``module`` cannot be imported, for PYTHONPATH."""
        directory = os.path.join(cls.directory, 'without-' + module)
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, module + '.py'), 'w') as out:
            out.write('raise ImportError("no module named %r")\n' % module)
        return directory

    def failed(self, label, code):
        """The one line of stderr of a run that must have failed with ``code``."""
        done = self.ran[label]
        self.assertEqual(done.returncode, code, done.stderr)
        self.assertEqual(done.stdout, '')
        lines = done.stderr.splitlines()
        self.assertEqual(len(lines), 1, done.stderr)
        self.assertTrue(lines[0].startswith('kairos: error: '), lines[0])
        return lines[0]

    def test_chart_files(self):
        """--png and --svg write a PNG and an SVG chart, and print nothing."""
        self.assertEqual(self.output('files'), '')
        with open(os.path.join(self.directory, 'chart.png'), 'rb') as png:
            data = png.read()
        self.assertTrue(data.startswith(b'\x89PNG\r\n\x1a\n'))
        self.assertGreater(len(data), 10000)
        with open(os.path.join(self.directory, 'chart.svg')) as svg:
            text = svg.read()
        self.assertTrue(text.startswith('<?xml'))
        self.assertIn('<svg', text)
        self.assertGreater(len(text), 5000)

    def test_bars(self):
        """--chart --bars draws bars within COLUMNS."""
        lines = self.output('bars').splitlines()
        self.assertLessEqual(max(len(line) for line in lines), 60)
        self.assertIn('█', self.output('bars'))

    def test_table(self):
        """The table shows a summary's figures as columns, in the zone asked, within COLUMNS."""
        lines = self.output('table').splitlines()
        self.assertTrue(lines[0].startswith('time (Europe/Be'), lines[0])
        self.assertEqual([line[:16] for line in lines[2:]],
                         ['2027-01-15 09:00', '2027-01-15 09:01', '2027-01-15 09:02'])
        self.assertLessEqual(max(len(line) for line in lines), 40)

    def test_errors(self):
        """Errors are one line on stderr: 2 for a wrong command line, 1 for the store's."""
        self.assertIn("'yesterday' is not a time", self.failed('bad time', 2))
        self.assertIn('127.0.0.1:1', self.failed('no store', 1))

    def test_verbose(self):
        """-v shows the traceback, then the error's line."""
        done = self.ran['verbose']
        self.assertEqual(done.returncode, 1)
        self.assertIn('Traceback', done.stderr)
        self.assertIn('kairos.cli: INFO: opening series (a series) on redis://127.0.0.1:1/0',
                      done.stderr)
        self.assertTrue(done.stderr.splitlines()[-1].startswith('kairos: error: '))

    def test_missing_extras(self):
        """Without plotext or matplotlib, the error names the extra to install."""
        self.assertIn("pip install 'kairos[chart]'", self.failed('no plotext', 1))
        self.assertIn("pip install 'kairos[plot]'", self.failed('no matplotlib', 1))

    def test_python_m(self):
        """python -m kairos is the command."""
        done = subprocess.run([sys.executable, '-m', 'kairos', '--help'], cwd=ROOT,
                              capture_output=True, text=True, env=environment())
        self.assertEqual(done.returncode, 0, done.stderr)
        for command in ('list', 'info', 'get', 'series', 'watch'):
            self.assertIn(command, done.stdout)

    def test_watch_interrupted(self):
        """kairos watch stops at Ctrl-C with exit code 0."""
        child = subprocess.Popen(
            [KAIROS, 'watch', 'count.home', '--in', 'count', '--interval', 'minute',
             '--every-seconds', '0.2', '--config', self.config, '--now', str(NOW)],
            cwd=ROOT, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        try:
            self.assertTrue(child.stdout.readline().startswith('every 0.2s'))
            child.send_signal(signal.SIGINT)
            self.assertEqual(child.wait(30), 0)
            self.assertEqual(child.stderr.read(), '')
        finally:
            child.kill()
            child.wait()
            child.stdout.close()
            child.stderr.close()


class TestCliRedisCluster(CliCase, unittest.TestCase):
    prefix = True

    @classmethod
    def store_url(cls):
        return 'redis+cluster://' + redis_cluster_url().split('://', 1)[1].rsplit('/', 1)[0]


class TestCliMongo(CliCase, unittest.TestCase):
    @classmethod
    def store_url(cls):
        url = os.environ.get('KAIROS_TEST_MONGO_URL')
        cls.mock = not url
        return url.rstrip('/') + '/kairos_cli' if url else 'mongomock://'

    @classmethod
    def opener(cls):
        if not cls.mock:
            return super().opener()
        # the test's own mock, seeded as the command's process seeds its own
        import mongomock_ng
        return opener(mongomock_ng.MongoClient()['kairos'])


class TestCliSqlite(CliCase, unittest.TestCase):
    table = True

    @classmethod
    def store_url(cls):
        return sql_url('sqlite')


class TestCliPostgres(CliCase, unittest.TestCase):
    table = True

    @classmethod
    def store_url(cls):
        return sql_url('postgresql')


class TestCliMysql(CliCase, unittest.TestCase):
    table = True

    @classmethod
    def store_url(cls):
        return sql_url('mysql')

