"""The summary type's hooks: values checked, a bucket's fields merged, rows read back and
merged exactly, against a plain-Python model of the values (and numpy's std)."""

import math
import os
import unittest

import numpy as np
from hypothesis import given, settings, strategies as st

from kairos import InvalidValue
from kairos.summary import FIELDS, TRANSFORMS, Summary

EXAMPLES = int(os.environ.get('KAIROS_FUZZ_EXAMPLES', 200))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None)
ints = st.lists(st.integers(-10 ** 12, 10 ** 12), min_size=1, max_size=50)
floats = st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=50)


def stored(summary, values):
    """A bucket as a store gives it back: merge's fields, as strs (as Redis returns them)."""
    return {name: repr(value) for name, value in summary.merge(values).items()}


class TestSummary(unittest.TestCase):

    def setUp(self):
        self.summary = Summary()

    @FUZZ
    @given(st.one_of(ints, floats))
    def test_row_is_the_statistics_of_the_values(self, values):
        """A stored bucket reads back as count, sum, min, max, mean and population stddev."""
        row = self.summary.process_row(stored(self.summary, values))
        self.assertEqual(['count', 'max', 'mean', 'min', 'stddev', 'sum'], sorted(row))
        self.assertEqual(len(values), row['count'])
        self.assertEqual((min(values), max(values)), (row['min'], row['max']))
        exact = sum(values) if all(type(v) is int for v in values) else math.fsum(values)
        self.assertEqual(exact, row['sum'])
        self.assertTrue(math.isclose(row['mean'], exact / len(values), rel_tol=1e-12,
                                     abs_tol=1e-9))
        spread = float(np.std(np.array(values, dtype=float)))
        self.assertTrue(math.isclose(row['stddev'], spread, rel_tol=1e-6,
                                     abs_tol=1e-6 * max(1.0, max(map(abs, values)))))

    @FUZZ
    @given(st.lists(st.one_of(ints, floats), min_size=1, max_size=6))
    def test_merging_rows_is_the_row_of_all_values(self, parts):
        """Condensing rows gives the row of all their values: counts, min and max exactly,
        sums and sums of squares as their float additions."""
        rows = [self.summary.process_row(stored(self.summary, part)) for part in parts]
        merged = self.summary.condense(rows + [None])
        whole = self.summary.process_row(stored(self.summary, [v for p in parts for v in p]))
        self.assertEqual(whole['count'], merged['count'])
        self.assertEqual((whole['min'], whole['max']), (merged['min'], merged['max']))
        for name in ('sum', 'mean', 'stddev'):
            self.assertTrue(math.isclose(whole[name], merged[name], rel_tol=1e-9,
                                         abs_tol=1e-6), name)
        self.assertTrue(math.isclose(whole.sumsq, merged.sumsq, rel_tol=1e-12))

    def test_ints_are_exact(self):
        """Ints keep exact sums, and their stddev is rounded once."""
        row = self.summary.process_row(stored(self.summary, [10 ** 15 + 1, 10 ** 15 + 3]))
        self.assertEqual(2 * 10 ** 15 + 4, row['sum'])
        self.assertEqual(1.0, row['stddev'])

    def test_empty(self):
        """An empty bucket reads as None, merges as nothing, and transforms give None."""
        self.assertIsNone(self.summary.process_row({}))
        self.assertIsNone(self.summary.process_row({'count': '0'}))
        self.assertIsNone(self.summary.no_value())
        self.assertIsNone(self.summary.condense([None, None]))
        self.assertIsNone(TRANSFORMS['mean'](None))
        self.assertEqual(0, TRANSFORMS['rate'](None, 60))

    def test_transforms(self):
        """The named transforms read a row's fields; rate is its count per second."""
        row = self.summary.process_row(stored(self.summary, [1, 2, 3, 6]))
        got = {name: (f(row, 2) if name == 'rate' else f(row)) for name, f in TRANSFORMS.items()}
        self.assertEqual({'count': 4, 'sum': 12, 'min': 1, 'max': 6, 'mean': 3.0,
                          'stddev': math.sqrt(3.5), 'rate': 2.0}, got)

    def test_values_checked(self):
        """Numbers and strs of numbers are taken; anything else is refused."""
        self.assertEqual([5, 2.5, -3], [self.summary.prepare(v) for v in ('5', '2.5', -3)])
        for bad in (True, None, 'five', float('nan'), float('inf'), [1], {}, b'1'):
            with self.assertRaises(InvalidValue):
                self.summary.prepare(bad)

    def test_fields(self):
        """merge stores the five fields a store keeps."""
        self.assertEqual(FIELDS, tuple(self.summary.merge([1.5, 2])))
