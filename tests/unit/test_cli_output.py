"""How the kairos command shows rows: every type's rows in each format, tables within a
width, the numbers a chart draws, its help and its errors."""

import argparse
import io
import json
import unittest
from collections import OrderedDict
from zoneinfo import ZoneInfo

from kairos.cli import app, main, registry
from kairos.cli.charts import CHART_TRANSFORMS, chart_number, lines, tick_labels
from kairos.cli.output import formatted
from kairos.cli.rows import Reading, answer
from kairos.cli.table import Table, render
from kairos.cli.values import cell, jsonable, number, to_number
from kairos.distinct import DistinctCount
from kairos.hll import M, dense
from kairos.series_types import TYPES
from kairos.sketch_type import Sketch
from kairos.summary import SummaryRow

T0 = 1800000000
UTC = ZoneInfo('UTC')

# one read's rows of each type, as the API returns them, for two buckets
ROWS = {
    'series': ([1, 2, 1], []),
    'histogram': ({'1': 2, '2': 1}, {}),
    'count': (4, 0),
    'gauge': ('7', None),
    'set': ({'b', 'a'}, set()),
    'summary': (SummaryRow.of(2, 3, 5, 1, 2), None),
    'distinct': (DistinctCount.of(dense({5: 1, 9: 2})), DistinctCount.of(bytes(M))),
    'sketch': (Sketch().process_row({'p0': 2, 'p35': 1, 'count': 3, 'sum': 4.0, 'min': 1.0,
                                     'max': 2.0}), None),
}


def reading(type_, names=('home',)):
    rows = ROWS[type_]
    return Reading({name: OrderedDict([(T0, rows[0]), (T0 + 60, rows[1])]) for name in names},
                   False, [])


def shown(read, format, width=None):
    return formatted(answer(read, UTC, T0, format == 'csv'), format, width)


class TestRows(unittest.TestCase):

    def test_every_type(self):
        """Every type kairos has is shown in every format (a new type joins ROWS)."""
        self.assertEqual(set(ROWS), set(TYPES))
        for type_ in ROWS:
            for names in (('home',), ('home', 'away')):
                for format in ('table', 'csv', 'jsonl'):
                    text = shown(reading(type_, names), format)
                    self.assertIn('2027-01-15', text, (type_, format))
                self.assertEqual(list(json.loads(shown(reading(type_, names), 'json'))),
                                 list(names))

    def test_table_cells(self):
        """A table: numbers as numbers, lists and sets compact, a dict as key=value pairs."""
        table = shown(reading('series', ('home', 'away')), 'table').splitlines()
        self.assertEqual(table[0].split(), ['time', '(UTC)', 'home', 'away'])
        self.assertEqual(table[2], '2027-01-15 08:00  [1, 2, 1]  [1, 2, 1]')
        self.assertIn('{a, b}', shown(reading('set', ('home', 'away')), 'table'))
        self.assertIn('1=2 2=1', shown(reading('histogram', ('home', 'away')), 'table'))

    def test_dict_rows_as_columns(self):
        """One name's dict rows: a column a key (a summary's figures, in order)."""
        table = shown(reading('summary'), 'table').splitlines()
        self.assertEqual(table[0].split(), ['time', '(UTC)', 'count', 'sum', 'min', 'max', 'mean',
                                            'stddev'])
        self.assertEqual(table[2].split(), ['2027-01-15', '08:00', '2', '3', '1', '2', '1.5',
                                            '0.5'])
        self.assertEqual(table[3].split(), ['2027-01-15', '08:01'])

    def test_json_is_the_result(self):
        """json: the API's result, times and keys as text, sets sorted."""
        self.assertEqual(json.loads(shown(reading('set'), 'json')),
                         {'home': {str(T0): ['a', 'b'], str(T0 + 60): []}})
        self.assertEqual(json.loads(shown(reading('summary'), 'json'))['home'][str(T0)],
                         {'count': 2, 'sum': 3, 'min': 1, 'max': 2, 'mean': 1.5, 'stddev': 0.5})

    def test_records(self):
        """jsonl: a record a row; csv: a dict row's keys as columns value.KEY."""
        records = [json.loads(line) for line in shown(reading('histogram'), 'jsonl').splitlines()]
        self.assertEqual(records[0], {'name': 'home', 'time': T0,
                                      'iso': '2027-01-15T08:00:00+00:00',
                                      'value': {'1': 2, '2': 1}})
        csv = shown(reading('histogram'), 'csv').splitlines()
        self.assertEqual(csv[0], 'name,time,iso,value.1,value.2')
        self.assertEqual(csv[1], 'home,1800000000,2027-01-15T08:00:00+00:00,2,1')

    def test_nested(self):
        """Resolution rows within buckets: records carry their bucket."""
        read = Reading({'home': OrderedDict([(T0, OrderedDict([(T0, 1), (T0 + 60, 2)]))])},
                       True, [])
        records = [json.loads(line) for line in shown(read, 'jsonl').splitlines()]
        self.assertEqual([(r['bucket'], r['time'], r['value']) for r in records],
                         [(T0, T0, 1), (T0, T0 + 60, 2)])
        self.assertEqual(len(shown(read, 'table').splitlines()), 4)


class TestValues(unittest.TestCase):

    def test_numbers(self):
        """Numbers for people: no needless fraction, four decimals at most."""
        self.assertEqual([number(v) for v in (3, 2.0, 2 / 3, 0.0001234, 1e20, float('nan'))],
                         ['3', '2', '0.6667', '0.000123', '100000000000000000000', 'nan'])

    def test_json(self):
        """Non-finite floats are null; bytes are text; nested dicts keep their shape."""
        self.assertEqual(jsonable({b'k': [float('inf'), {1: {2}}]}), {'k': [None, {'1': [2]}]})

    def test_cells(self):
        self.assertEqual(cell({'10': 1, '9': 2}), '9=2 10=1')
        self.assertEqual(cell(None), '')

    def test_to_number(self):
        """What a chart draws: numbers and text spelling one; else nothing."""
        self.assertEqual([to_number(v) for v in (3, '2.5', b'4', 'x', None, True, float('nan'))],
                         [3.0, 2.5, 4.0, None, None, None, None])


class TestTable(unittest.TestCase):

    def test_width(self):
        """No line is longer than the width; columns shrink, then go, an ellipsis saying so."""
        table = Table(['time', 'a' * 30, 'b', 'c'], [['2027-01-15 08:00', 'x' * 40, '1', '2']],
                      right={2, 3})
        for width in range(20, 80, 7):
            lines_ = render(table, width).splitlines()
            self.assertLessEqual(max(len(line) for line in lines_), width, width)
            self.assertTrue(lines_[2].startswith('2027-01-15 08:00'))
        self.assertIn('…', render(table, 40))
        self.assertEqual(render(table).splitlines()[2].split(), ['2027-01-15', '08:00',
                                                                 'x' * 40, '1', '2'])


class TestCharts(unittest.TestCase):

    def test_chart_transforms(self):
        """A type whose rows are no number charts through its transform, one the type has."""
        for type_, transform in CHART_TRANSFORMS.items():
            self.assertIn(transform, TYPES[type_].transforms, type_)
        for type_ in set(TYPES) - set(CHART_TRANSFORMS):
            self.assertIsNotNone(chart_number(ROWS[type_][0]), type_)

    def test_lines(self):
        """A line a name, or a name and transform; a row without a number is a gap."""
        read = Reading({'home': OrderedDict([(T0, {'mean': 1.5, 'max': 2}), (T0 + 60, None)])},
                       False, ['mean', 'max'])
        self.assertEqual(lines(read), {'home mean': [(T0, 1.5), (T0 + 60, None)],
                                       'home max': [(T0, 2.0), (T0 + 60, None)]})
        self.assertEqual(lines(reading('series')), {'home': [(T0, 3.0), (T0 + 60, 0.0)]})

    def test_tick_labels(self):
        """Ticks at the read's times, labelled as briefly as the span allows."""
        times = [T0 + 60 * n for n in range(30)]
        positions, labels = tick_labels(times, ZoneInfo('Europe/Berlin'), 4)
        self.assertEqual(positions[0], T0)
        self.assertEqual(labels[0], '09:00')
        days = [T0 + 86400 * n for n in range(90)]
        self.assertEqual(tick_labels(days, UTC, 3)[1][0], '2027-01-15')


class TestCommand(unittest.TestCase):

    def run_main(self, *argv, environ=None):
        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), stdout=out, stderr=err, environ=environ or {},
                    clock=lambda: T0)
        return code, out.getvalue(), err.getvalue()

    def test_help(self):
        """kairos --help lists every command; each command's --help ends with examples."""
        code, out, _ = self.run_main('--help')
        self.assertEqual(code, 0)
        for name, command in registry.commands().items():
            self.assertIn(name, out)
            code, text, _ = self.run_main(name, '--help')
            self.assertEqual(code, 0)
            self.assertIn('examples:\n  kairos %s ' % name, text)

    def test_usage_errors(self):
        """A wrong command line is one line on stderr and exit code 2."""
        for argv in (['nosuch'], ['series'], ['series', 'x', '--steps', 'many'],
                     ['series', 'x', '--url', 'mongomock://'],
                     ['get', 'x', '--url', 'mongomock://', '--define-interval', 'm:60',
                      '--define-interval', 'h:1h'],
                     ['series', 'x', '--url', 'mongomock://', '--define-interval', 'm:60',
                      '--chart', '--format', 'json']):
            code, out, err = self.run_main(*argv)
            self.assertEqual((code, out), (2, ''), argv)
            self.assertEqual(len(err.splitlines()), 1, err)
            self.assertTrue(err.startswith('kairos: error: '), err)

    def test_warnings(self):
        """A warning of the library is one line on stderr."""
        code, _, err = self.run_main('list', '--url', 'mongomock://', '--prefix', 'web',
                                     '--define-interval', 'm:60')
        self.assertEqual(code, 0)
        self.assertEqual(err, "kairos: warning: prefix 'web' is ignored on MongoDB\n")

    def test_environment(self):
        """KAIROS_URL names the store where --url does not."""
        code, out, err = self.run_main('list', '--define-interval', 'm:60', '--format', 'json',
                                       environ={'KAIROS_URL': 'mongomock://'})
        self.assertEqual((code, json.loads(out), err), (0, {'default': []}, ''))

    def test_registry(self):
        """A command registered is offered, with its options and help."""
        @registry.register
        class Hello(registry.Command):
            name = 'hello'
            summary = 'say hello'
            examples = 'examples:\n  kairos hello'

            def arguments(self, parser):
                parser.add_argument('--who', default='world')

            def run(self, args, context):
                context.stdout.write('hello %s\n' % args.who)
                return 0
        try:
            self.assertEqual(self.run_main('hello', '--who', 'kairos'), (0, 'hello kairos\n', ''))
            self.assertIn('say hello', self.run_main('--help')[1])
        finally:
            del registry.COMMANDS['hello']
        self.assertIsInstance(app.parser(), argparse.ArgumentParser)
