"""The kairos command's configurations: the TOML schema, the flags, which URL wins."""

import os
import shutil
import tempfile
import unittest

from kairos import KairosException
from kairos.cli.config import (FUNCTIONS, flag_keywords, load, parse_interval, parse_option,
                               read_file)
from kairos.cli.errors import ConfigFileError, UsageError

FULL = '''
url = "redis://localhost:6379/0"
timezone = "Europe/Berlin"

[series.hits]
type = "count"
prefix = "web"
hash_tag = true
client_config = {socket_timeout = 5}

[series.hits.intervals.minute]
step = 60
steps = 120

[series.hits.intervals.day]
step = "daily"
timezone = "Europe/Berlin"

[series.sizes]
type = "histogram"
url = "sqlite:///sizes.db"
read_func = "int"

[series.sizes.intervals.hour]
step = "1h"
resolution = "1min"
'''


class FileCase(unittest.TestCase):

    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix='kairos-cli-config-')

    def tearDown(self):
        shutil.rmtree(self.directory, ignore_errors=True)

    def write(self, text, name='kairos.toml'):
        path = os.path.join(self.directory, name)
        with open(path, 'w') as out:
            out.write(text)
        return path


class TestFile(FileCase):

    def test_schema(self):
        """Each [series.NAME] table is a configuration of the constructor's keywords."""
        found = load(self.write(FULL), None, {}, None)
        self.assertEqual(list(found.configurations), ['hits', 'sizes'])
        self.assertEqual(found.timezone, 'Europe/Berlin')
        hits = found.configurations['hits']
        self.assertEqual(hits.url, 'redis://localhost:6379/0')
        self.assertEqual(hits.type, 'count')
        self.assertEqual(dict(hits.keywords), {
            'type': 'count', 'prefix': 'web', 'hash_tag': True,
            'client_config': {'socket_timeout': 5},
            'intervals': {'minute': {'step': 60, 'steps': 120},
                          'day': {'step': 'daily', 'timezone': 'Europe/Berlin'}}})
        self.assertEqual(hits.intervals()['day'].step, 'daily')
        sizes = found.configurations['sizes']
        self.assertEqual((sizes.url, sizes.keywords['read_func']), ('sqlite:///sizes.db', 'int'))
        self.assertIs(FUNCTIONS['int'], int)
        self.assertEqual(sizes.intervals()['hour'].resolution, 60)

    def test_keywords_read_only(self):
        """A configuration's keywords cannot be changed by who reads them."""
        hits = load(self.write(FULL), None, {}, None).configurations['hits']
        with self.assertRaises(TypeError):
            hits.keywords['type'] = 'gauge'

    def test_url_precedence(self):
        """--url (or KAIROS_URL) beats the table's url, which beats the file's."""
        path = self.write(FULL)
        found = load(path, 'mongomock://', {}, None).configurations
        self.assertEqual({c.url for c in found.values()}, {'mongomock://'})
        found = load(path, None, {}, None).configurations
        self.assertEqual(found['sizes'].url, 'sqlite:///sizes.db')

    def test_flags_replace_keys(self):
        """Flags replace their keys in every configuration of the file."""
        flags = flag_keywords('gauge', None, ['minute:30'], ['hash_tag=false'])
        found = load(self.write(FULL), None, flags, None).configurations
        for configuration in found.values():
            self.assertEqual(configuration.type, 'gauge')
            self.assertEqual(dict(configuration.keywords['intervals']), {'minute': {'step': 30}})
            self.assertIs(configuration.keywords['hash_tag'], False)
        self.assertEqual(found['hits'].keywords['prefix'], 'web')

    def test_choose(self):
        """--in picks a configuration; several without --in is a usage error."""
        found = load(self.write(FULL), None, {}, None)
        self.assertEqual(found.choose('sizes').name, 'sizes')
        with self.assertRaises(UsageError) as caught:
            found.choose(None)
        self.assertIn('--in', str(caught.exception))
        with self.assertRaises(UsageError) as caught:
            found.choose('nosuch')
        self.assertIn('hits, sizes', str(caught.exception))

    def test_refused(self):
        """A file that breaks the schema is refused with a message naming the fault."""
        cases = {
            'urls = "x"\n': "unknown key 'urls': did you mean 'url'?",
            'url = [\n': 'not valid TOML',
            'series = 3\n': 'series must hold tables',
            'url = "redis://"\n': 'has no [series.NAME] table',
            '[series.a]\ntype = "count"\n': "configuration 'a' has no intervals",
            '[series.a]\nclock = 3\n[series.a.intervals.m]\nstep = 60\n': "sets 'clock'",
            '[series.a]\nread_func = "eval"\n[series.a.intervals.m]\nstep = 60\n':
                'use one of int, float, str',
        }
        for text, message in cases.items():
            with self.assertRaises(ConfigFileError, msg=text) as caught:
                load(self.write(text), 'redis://localhost', {}, None)
            self.assertIn(message, str(caught.exception))
        with self.assertRaises(ConfigFileError) as caught:
            read_file(os.path.join(self.directory, 'missing.toml'))
        self.assertIn('cannot read', str(caught.exception))

    def test_no_url(self):
        """A configuration without a URL anywhere is a usage error."""
        with self.assertRaises(UsageError) as caught:
            load(self.write('[series.a.intervals.m]\nstep = 60\n'), None, {}, None)
        self.assertIn('KAIROS_URL', str(caught.exception))


class TestFlags(unittest.TestCase):

    def test_interval_spec(self):
        """NAME:STEP[:RESOLUTION[:STEPS[:TIMEZONE]]], empty fields left out."""
        self.assertEqual(parse_interval('minute:60'), ('minute', {'step': 60}))
        self.assertEqual(parse_interval('minute:60::120'), ('minute', {'step': 60, 'steps': 120}))
        self.assertEqual(parse_interval('day:daily:1h:30:Europe/Berlin'),
                         ('day', {'step': 'daily', 'resolution': '1h', 'steps': 30,
                                  'timezone': 'Europe/Berlin'}))
        for bad in ('minute', ':60', 'minute:', 'minute:60::x', 'a:1:2:3:4:5'):
            with self.assertRaises(UsageError, msg=bad):
                parse_interval(bad)

    def test_option(self):
        """-o KEY=VALUE reads VALUE as TOML, else as text."""
        self.assertEqual(parse_option('hash_tag=true'), ('hash_tag', True))
        self.assertEqual(parse_option('wait_replicas=2'), ('wait_replicas', 2))
        self.assertEqual(parse_option('read_func="int"'), ('read_func', 'int'))
        self.assertEqual(parse_option('database=stats'), ('database', 'stats'))
        self.assertEqual(parse_option('client_config={socket_timeout=5}'),
                         ('client_config', {'socket_timeout': 5}))
        with self.assertRaises(UsageError):
            parse_option('novalue')

    def test_flags_alone(self):
        """Without a file, the flags make the configuration 'default' (or --in's name)."""
        flags = flag_keywords('count', 'web', ['minute:60'], [])
        found = load(None, 'redis://localhost', flags, None)
        self.assertEqual(list(found.configurations), ['default'])
        self.assertEqual(dict(found.choose(None).keywords),
                         {'type': 'count', 'prefix': 'web', 'intervals': {'minute': {'step': 60}}})
        self.assertEqual(list(load(None, 'redis://localhost', flags, 'hits').configurations),
                         ['hits'])

    def test_nothing_given(self):
        """Neither a file nor an interval: a usage error saying what to give."""
        with self.assertRaises(UsageError) as caught:
            load(None, 'redis://localhost', flag_keywords('count', None, [], []), None)
        self.assertIn('--define-interval', str(caught.exception))

    def test_bad_interval_is_the_constructors(self):
        """A step kairos cannot read is refused by the constructor's own check."""
        found = load(None, 'mongomock://', flag_keywords(None, None, ['m:6x0'], []), None)
        with self.assertRaises(KairosException) as caught:
            found.choose(None).intervals()
        self.assertIn('6x0', str(caught.exception))
