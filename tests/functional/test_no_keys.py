"""kairos never sends KEYS, never builds a script from user text, never evals stored data.

The server is watched with MONITOR (which also shows the commands run inside
Lua scripts) while every public method of every type runs, in every write
mode, with names and values that look like Lua, globs and Redis commands.
The client side records the exact EVAL/EVALSHA arguments.
"""

import ast
import glob
import hashlib
import os
import re
import threading

import redis

import kairos
from kairos import Timeseries
from kairos import redis_backend

from tests.functional.command_log import parse_packed
from tests.support import RedisCase, redis_url

T0 = 1800000000
INTERVALS = {'minute': {'step': 60, 'steps': 5}, 'hour': {'step': 3600, 'resolution': 60},
             'daily': {'step': 'daily', 'steps': 2, 'resolution': 3600}}
# user text that would change a script built from it, or match many keys as a glob
HOSTILE = "x') redis.call('FLUSHALL') --*?[a]{b}"
SENTINEL = 'kairos-test-monitor-stop'
VALUES = {'series': 5, 'histogram': HOSTILE, 'count': 2, 'gauge': HOSTILE, 'set': HOSTILE}
KAIROS_DIR = os.path.dirname(os.path.abspath(kairos.__file__))


class RecordingConnection(redis.Connection):
    """Remembers every command whose bytes it sends, however they were packed."""

    sent = []

    def send_packed_command(self, command, *args, **kwargs):
        self.sent.extend(parse_packed(command))
        return super().send_packed_command(command, *args, **kwargs)


def _text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def fetch_all(handle, key, **kwargs):
    """A custom fetch that works for Redis (handle, key) reads of a list."""
    return handle.lrange(key, 0, -1)


class Monitor:
    """Every command the server runs, from a MONITOR connection in a thread."""

    def __init__(self):
        self.client = redis.Redis.from_url(redis_url())
        self.commands = []
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._listen, daemon=True)

    def __enter__(self):
        self.thread.start()
        self.ready.wait(10)
        return self

    def _listen(self):
        with self.client.monitor() as monitor:
            self.ready.set()
            while True:
                command = monitor.next_command()
                if command['command'] == 'ECHO ' + SENTINEL:
                    return
                self.commands.append(command)

    def __exit__(self, *exc):
        redis.Redis.from_url(redis_url()).echo(SENTINEL)
        self.thread.join(30)
        self.client.close()


class NoKeysBehaviour:

    def exercise(self, client, kind, write_mode=None, read_scripts=None):
        """Call every public method (meta data ones too) with hostile names and values."""
        t = Timeseries(client, type=kind, prefix='p*' + kind, intervals=INTERVALS)
        if write_mode:
            t.write_mode = write_mode
        if read_scripts is not None:
            t.read_scripts = read_scripts
        value = VALUES[kind]
        names = [HOSTILE, HOSTILE + ':minute:1', 'plain']
        for name in names:
            t.insert(name, value, T0)
            t.insert(name, value, T0 + 61, intervals=1)
            t.insert(name, [value, value], T0 + 3700, intervals=-1)
        pipe = client.pipeline(transaction=False)
        t.insert(HOSTILE, value, T0 + 7, pipeline=pipe)
        pipe.execute()
        t.bulk_insert({T0: {HOSTILE: [value], 'plain': [value, value]}, T0 + 120: {'b': value}})
        transform = ['count', 'max']
        for interval in INTERVALS:
            t.get(HOSTILE, interval, T0)
            t.get(HOSTILE, interval, T0, condensed=True, transform=transform)
            t.get(names, interval, T0, condensed=True)
            t.series(HOSTILE, interval, end=T0 + 3700)
            t.series(names, interval, steps=3, start=T0, condensed=True, transform=transform)
            t.series(HOSTILE, interval, start=T0, end=T0 + 7200, collapse=True)
            if kind == 'series':
                t.get(HOSTILE, interval, T0, fetch=fetch_all)
                t.series(names, interval, end=T0 + 3700, fetch=fetch_all)
        t.list()
        for name in names + ['never-written']:
            t.properties(name)
            for interval in INTERVALS:
                list(t.iterate(name, interval, transform=transform))
        t.expire()
        for name in names + ['never-written']:
            t.delete(name)
        t.insert(HOSTILE, value, T0)
        t.delete_all()

    def test_no_keys_and_only_fixed_scripts(self):
        """No KEYS reaches Redis, even from scripts; EVAL/EVALSHA carry only the fixed scripts."""
        pool = redis.ConnectionPool.from_url(redis_url(), connection_class=RecordingConnection)
        client = redis.Redis(connection_pool=pool)
        RecordingConnection.sent = []
        self.client.script_flush()
        self.client.set('bystander', 'untouched')
        with Monitor() as monitor:
            for kind in ('series', 'histogram', 'count', 'gauge', 'set'):
                for mode, read_scripts in ((None, None), ('multi', False), ('pipeline', False)):
                    self.exercise(client, kind, mode, read_scripts)
        client.close()
        self.assertEqual(b'untouched', self.client.get('bystander'))

        seen = [c['command'].split(' ')[0].upper() for c in monitor.commands]
        from_lua = [c for c in monitor.commands if c['client_type'] == 'lua']
        self.assertTrue(from_lua, 'MONITOR showed no commands from scripts')
        self.assertIn('SCAN', seen)
        self.assertNotIn('KEYS', seen)

        scripts = {_text(args[1]) for args in RecordingConnection.sent
                   if _text(args[0]).upper() == 'EVAL'}
        shas = {_text(args[1]) for args in RecordingConnection.sent
                if _text(args[0]).upper() == 'EVALSHA'}
        fixed = {value for value in vars(redis_backend).values()
                 if isinstance(value, str) and 'redis.call' in value}
        self.assertTrue(scripts, 'no EVAL was sent although the script cache was flushed')
        self.assertLessEqual(scripts, fixed)
        self.assertTrue(shas)
        self.assertLessEqual(shas, {hashlib.sha1(s.encode()).hexdigest() for s in fixed})
        for script in fixed:
            self.assertIsNone(re.search(r'redis\.p?call\(\s*[\'"]keys[\'"]', script, re.I))
            for danger in ('loadstring', 'load(', 'dofile', 'cjson.decode', 'cmsgpack'):
                self.assertNotIn(danger, script)
        monitored_shas = {c['command'].split(' ')[1] for c in monitor.commands
                          if c['command'].upper().startswith('EVALSHA ')}
        self.assertLessEqual(monitored_shas, shas)

    def test_source_has_no_keys_eval_or_pickle(self):
        """kairos/ never calls .keys( on a client, eval/exec, or pickle-like loaders."""
        problems = []
        for path in sorted(glob.glob(os.path.join(KAIROS_DIR, '**', '*.py'), recursive=True)):
            with open(path, encoding='utf-8') as source:
                tree = ast.parse(source.read(), path)
            for node in ast.walk(tree):
                where = '%s:%d' % (os.path.basename(path), getattr(node, 'lineno', 0))
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    modules = [a.name for a in node.names] + [getattr(node, 'module', '') or '']
                    for module in modules:
                        if module.split('.')[0] in ('pickle', 'cPickle', '_pickle', 'marshal',
                                                    'shelve', 'dill', 'yaml', 'jsonpickle'):
                            problems.append('%s imports %s' % (where, module))
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                if isinstance(func, ast.Name) and func.id in ('eval', 'exec', 'compile',
                                                              '__import__'):
                    problems.append('%s calls %s' % (where, func.id))
                if isinstance(func, ast.Attribute) and func.attr in ('keys', 'eval', 'evalsha',
                                                                     'register_script'):
                    receiver = ast.unparse(func.value)
                    if func.attr != 'keys' or any(
                            word in receiver.lower()
                            for word in ('client', 'pipe', 'redis', 'handle', 'conn')):
                        problems.append('%s calls %s.%s' % (where, receiver, func.attr))
                args = [a for a in node.args if isinstance(a, ast.Constant)]
                if args and isinstance(args[0].value, str) and args[0].value.upper() == 'KEYS':
                    problems.append('%s sends KEYS' % where)
        self.assertEqual([], problems)


class TestNoKeysRedis(NoKeysBehaviour, RedisCase):
    pass
