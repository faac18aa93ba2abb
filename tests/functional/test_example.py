"""script/example runs against Redis and mongomock and shows every type."""

import os
import subprocess
import unittest

from tests.support import RedisCase, redis_url

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, 'script', 'example')
SHOWN = {'series': 'latency', 'histogram': 'status', 'count': 'hits', 'gauge': 'temperature',
         'set': 'visitors', 'summary': 'payload', 'distinct': 'users', 'sketch': 'render'}
POINTS_PER_TYPE = 38  # the script inserts 30 recent and 8 older points per type


def run_example(*args):
    return subprocess.run([EXAMPLE] + list(args), cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


class ExampleChecks:

    def check_output(self, done):
        self.assertEqual(done.returncode, 0, done.stderr[-3000:])
        lines = done.stdout.splitlines()
        for type_, name in SHOWN.items():
            self.assertIn('%s %r' % (type_.upper(), name), done.stdout)
        self.assertLessEqual(len(lines), 62)
        self.assertEqual(sum('<- get(hour, condensed)' in line for line in lines), len(SHOWN))
        self.assertEqual(sum('<- series(hour, steps=2, collapse)' in line for line in lines),
                         len(SHOWN))


class TestExampleRedis(ExampleChecks, RedisCase):

    def test_runs_on_redis(self):
        """script/example --url REDIS exits 0 and shows every type."""
        self.check_output(run_example('--url', redis_url()))

    def test_rerun_replaces_its_own_data_only(self):
        """A second run deletes the first run's data and leaves other keys alone."""
        self.client.set('other-key', 'kept')
        self.check_output(run_example('--url', redis_url()))
        self.check_output(run_example('--url', redis_url()))
        self.assertEqual(self.client.get('other-key'), b'kept')
        keys = [k.decode() for k in self.client.keys('*') if k != b'other-key']
        self.assertTrue(keys)
        self.assertTrue(all(k.startswith('kairos-example:') for k in keys), keys)
        minute_keys = self.client.keys('kairos-example:latency:minute:*')
        self.assertEqual(sum(self.client.llen(k) for k in minute_keys), POINTS_PER_TYPE)


class TestExampleMongomock(ExampleChecks, unittest.TestCase):

    def test_runs_on_mongomock(self):
        """script/example --url mongomock:// exits 0 and shows every type."""
        self.check_output(run_example('--url', 'mongomock://'))

    def test_refuses_unknown_scheme(self):
        """An unsupported --url scheme exits 1 with one line naming it."""
        done = run_example('--url', 'nosuch://x')
        self.assertEqual(done.returncode, 1)
        self.assertIn('nosuch://x', done.stderr)
        self.assertEqual(len(done.stderr.strip().splitlines()), 1)
