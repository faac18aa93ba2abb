"""Median, percentiles and stddev (kairos.stats, the transforms p<q>, median, stddev,
first, last) compared with numpy: percentiles exactly, stddev within rounding."""

import math
import os
import unittest
from collections import Counter

import numpy as np
from hypothesis import given, settings, strategies as st

from kairos import InvalidQuery, stats
from kairos.transforms import (COUNT, HISTOGRAM, SCALAR, SEQUENCE, SET, Percentile,
                               compile_transform, percentile)

EXAMPLES = settings(max_examples=int(os.environ.get('KAIROS_STATS_EXAMPLES', 300)),
                    deadline=None, derandomize=True)

ints = st.integers(-10 ** 12, 10 ** 12)
small_ints = st.integers(-5, 5)   # many duplicates
# three decimals up to a million: the spread of distinct values dwarfs rounding
grid_floats = st.integers(-10 ** 9, 10 ** 9).map(lambda i: i / 1000)
any_floats = st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False)
values = st.one_of(st.lists(ints, min_size=1, max_size=60),
                   st.lists(small_ints, min_size=1, max_size=60),
                   st.lists(grid_floats, min_size=1, max_size=60),
                   st.lists(any_floats, min_size=1, max_size=60),
                   st.lists(st.one_of(small_ints, grid_floats), min_size=1, max_size=60))
# for stddev: floats whose own rounding in np.std stays below the tolerance
small_floats = st.integers(-10 ** 6, 10 ** 6).map(lambda i: i / 1000)
spread_values = st.one_of(st.lists(ints, min_size=1, max_size=60),
                          st.lists(small_ints, min_size=1, max_size=60),
                          st.lists(small_floats, min_size=1, max_size=60),
                          st.lists(st.one_of(small_ints, small_floats), min_size=1, max_size=60))
qs = st.one_of(st.floats(min_value=0, max_value=100, exclude_min=True),
               st.sampled_from([100, 50, 99, 99.9, 0.1, 1e-9, 25, 75, 5e-324]),
               st.integers(1, 100))
counts = st.dictionaries(st.one_of(small_ints, ints, grid_floats), st.integers(1, 40),
                         min_size=1, max_size=15)
spread_counts = st.dictionaries(st.one_of(small_ints, ints, small_floats), st.integers(1, 40),
                                min_size=1, max_size=15)


def numpy_percentile(data, q):
    """np.percentile with its default method, as a Python float."""
    return float(np.percentile(np.array(data), q))


def expanded(histogram):
    return list(Counter(histogram).elements())


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def run(name, table, row, type_name='series'):
    return compile_transform(name, table, type_name)(row, 60)


class PercentileTest(unittest.TestCase):

    @EXAMPLES
    @given(values, qs)
    def test_percentile_is_numpys(self, data, q):
        """percentile(values, q) is exactly np.percentile's default method."""
        self.assertEqual(numpy_percentile(data, q), stats.percentile(data, q))

    @EXAMPLES
    @given(values)
    def test_median_is_p50(self, data):
        """median is p50: exactly np.percentile(values, 50), on a list and a set's members."""
        self.assertEqual(numpy_percentile(data, 50), run('median', SEQUENCE, data))
        members = set(data)
        self.assertEqual(numpy_percentile(sorted(members), 50),
                         run('median', SET, members, 'set'))
        self.assertTrue(close(float(np.median(np.array(data))), run('median', SEQUENCE, data)))

    @EXAMPLES
    @given(counts, qs)
    def test_percentile_of_counts_is_numpys_on_the_expanded_values(self, histogram, q):
        """A histogram's percentile from counts equals numpy's on the expanded values."""
        self.assertEqual(numpy_percentile(expanded(histogram), q),
                         stats.percentile_of_counts(histogram, q))
        self.assertEqual(numpy_percentile(expanded(histogram), q), percentile(q)(histogram))

    @EXAMPLES
    @given(st.dictionaries(ints, st.integers(1, 10 ** 9), min_size=1, max_size=8), qs)
    def test_large_counts(self, histogram, q):
        """Counts of up to 10**9 give numpy's interpolation between the ranks they cover."""
        ordered = sorted(histogram)
        ends = np.cumsum([histogram[v] for v in ordered])
        n = int(ends[-1])
        h = (n - 1) * (np.float64(q) / 100)
        last = n - 1
        lo = -1 if h >= last else int(np.floor(h))
        a = ordered[int(np.searchsorted(ends, lo, side='right'))] if lo >= 0 else ordered[-1]
        b = ordered[int(np.searchsorted(ends, lo + 1, side='right'))] if lo >= 0 else ordered[-1]
        a, b = np.int64(a), np.int64(b)
        gamma = float(h - lo)
        expected = float(np.subtract(b, (b - a) * (1 - gamma)) if gamma >= 0.5
                         else np.add(a, (b - a) * gamma))
        self.assertEqual(expected, stats.percentile_of_counts(histogram, q))

    def test_huge_count_is_not_expanded(self):
        """One value seen 10**12 times is one entry: its percentiles come at once."""
        histogram = {1: 10 ** 12, 2: 10 ** 12}
        self.assertEqual(1.5, stats.percentile_of_counts(histogram, 50))
        self.assertEqual(1.0, stats.percentile_of_counts(histogram, 25))
        self.assertEqual(7.0, stats.percentile_of_counts({1: 10 ** 12, 2: 10 ** 12, 7: 1}, 100))
        self.assertEqual(2.0, stats.percentile_of_counts({1: 10 ** 12, 2: 10 ** 12, 7: 1}, 50))
        self.assertEqual(1.0, run('median', HISTOGRAM, {1: 10 ** 9}, 'histogram'))

    def test_edges(self):
        """q=100 is the maximum; a tiny q the minimum; one value is every percentile."""
        data = [5, -3, 10, 10, 0]
        self.assertEqual(10.0, stats.percentile(data, 100))
        self.assertEqual(-3.0, stats.percentile(data, 5e-324))
        self.assertEqual(numpy_percentile(data, 1e-9), stats.percentile(data, 1e-9))
        for q in (0.1, 50, 99.9, 100):
            self.assertEqual(7.0, stats.percentile([7], q))
            self.assertEqual(7.0, stats.percentile_of_counts({7: 3}, q))
        self.assertIsInstance(stats.percentile([1, 2], 50), float)
        self.assertTrue(math.isnan(stats.percentile([1.0, math.nan], 50)))
        self.assertEqual(numpy_percentile([-0.0, 0.0, 1.5], 100),
                         stats.percentile([-0.0, 0.0, 1.5], 100))

    def test_empty_rows_give_none(self):
        """An empty bucket gives None for median, p<q>, stddev, first and last."""
        for name in ('median', 'p99', 'stddev', 'first', 'last'):
            self.assertIsNone(run(name, SEQUENCE, []))
        for name in ('median', 'p99', 'stddev'):
            self.assertIsNone(run(name, SET, set(), 'set'))
            self.assertIsNone(run(name, HISTOGRAM, {}, 'histogram'))
        self.assertEqual(0, run('mean', SEQUENCE, []))   # the old ones keep 0.5.0's results


class StddevTest(unittest.TestCase):

    @EXAMPLES
    @given(spread_values)
    def test_stddev_is_numpys(self, data):
        """stddev is the population standard deviation, np.std(ddof=0), within rounding."""
        self.assertTrue(close(float(np.std(np.array(data))), stats.stddev(data)))
        self.assertTrue(close(float(np.std(np.array(data))), run('stddev', SEQUENCE, data)))

    @EXAMPLES
    @given(spread_counts)
    def test_stddev_of_counts_is_numpys_on_the_expanded_values(self, histogram):
        """A histogram's stddev from counts equals np.std of the expanded values."""
        expected = float(np.std(np.array(expanded(histogram))))
        self.assertTrue(close(expected, run('stddev', HISTOGRAM, histogram, 'histogram')))

    def test_large_counts(self):
        """Counts of 10**9 need no expansion: {0: 10**9, 2: 10**9} spreads by 1."""
        self.assertEqual(1.0, stats.stddev_of_counts({0: 10 ** 9, 2: 10 ** 9}))
        self.assertEqual(0.0, stats.stddev_of_counts({3.5: 10 ** 9}))
        self.assertEqual(0.0, stats.stddev([4]))

    def test_not_finite(self):
        """inf or nan among the values gives nan, as np.std does."""
        for data in ([math.inf, 1.0], [-math.inf, math.inf], [math.nan, 2.0]):
            with np.errstate(invalid='ignore'):   # numpy warns of the nan it returns
                self.assertTrue(math.isnan(float(np.std(np.array(data)))))
            self.assertTrue(math.isnan(stats.stddev(data)))

    def test_equal_values_spread_by_nothing(self):
        """Equal values give 0.0 exactly, where a rounded mean would leave a little."""
        self.assertEqual(0.0, stats.stddev([10547.85] * 10))
        self.assertEqual(0.0, stats.stddev_of_counts({10547.85: 10}))


class NamesTest(unittest.TestCase):

    def test_percentile_names(self):
        """p50, p95, p99, p99.9, p100 and p0.1 name percentiles."""
        data = list(range(1, 1001))
        for name, q in (('p50', 50), ('p95', 95), ('p99', 99), ('p99.9', 99.9),
                        ('p100', 100), ('p0.1', 0.1)):
            self.assertEqual(numpy_percentile(data, q), run(name, SEQUENCE, data))

    def test_bad_percentile_names_refused(self):
        """p0, p101, p-1, p, p1e2 and pnan are refused, saying what a percentile name is."""
        for name in ('p0', 'p101', 'p-1', 'p', 'p1e2', 'pnan', 'p100.5', 'p<q>'):
            with self.assertRaises(InvalidQuery) as caught:
                compile_transform(name, SEQUENCE, 'series')
            self.assertIn('p<q> with q a decimal number in (0, 100]', str(caught.exception))

    def test_unknown_lists_p_q(self):
        """An unknown name lists the type's names, with p<q> for the percentiles."""
        with self.assertRaises(InvalidQuery) as caught:
            compile_transform('nope', SEQUENCE, 'series')
        self.assertIn('median, p<q>, stddev, first, last', str(caught.exception))

    def test_first_last(self):
        """first and last are a series row's first and last values, in insertion order."""
        self.assertEqual(3, run('first', SEQUENCE, [3, 2, 1]))
        self.assertEqual(1, run('last', SEQUENCE, [3, 2, 1]))

    def test_types_without_values_refuse(self):
        """count and gauge refuse every new transform, saying what they support."""
        for type_name, table, supports in (
                ('count', COUNT, 'mean, count, min, max, sum, rate'),
                ('gauge', SCALAR, 'mean, count, min, max, sum')):
            for name in ('median', 'p99', 'p99.9', 'stddev', 'first', 'last', percentile(5)):
                with self.assertRaises(InvalidQuery) as caught:
                    compile_transform(name, table, type_name)
                message = str(caught.exception)
                self.assertIn('needs the values of a bucket', message)
                self.assertIn('a %s supports %s' % (type_name, supports), message)
        self.assertIn("'p99' needs the values of a bucket, and a count row holds only their "
                      "total: a count supports mean, count, min, max, sum, rate",
                      str(self.refusal('p99', COUNT, 'count')))

    def refusal(self, name, table, type_name):
        try:
            compile_transform(name, table, type_name)
        except InvalidQuery as exc:
            return exc
        self.fail('%r was not refused' % (name,))

    def test_unordered_types_refuse_first_last(self):
        """Sets and histograms have no order: first and last are refused."""
        for type_name, table in (('set', SET), ('histogram', HISTOGRAM)):
            for name in ('first', 'last'):
                self.assertIn('in order', str(self.refusal(name, table, type_name)))

    def test_values_that_cannot_be_ordered(self):
        """A row of str, or of str and int, is refused naming the value types."""
        for name in ('median', 'p99', 'stddev'):
            for row, kinds in ((['a', 'b'], 'str'), (['a', 1], 'int and str')):
                with self.assertRaises(InvalidQuery) as caught:
                    run(name, SEQUENCE, row)
                self.assertIn('row of %s' % kinds, str(caught.exception))
            with self.assertRaises(InvalidQuery):
                run(name, HISTOGRAM, {'a': 1, 2: 3}, 'histogram')

    def test_values_too_large_for_a_float(self):
        """Ints beyond the float range are refused with InvalidQuery, not OverflowError."""
        for name in ('median', 'p99', 'stddev', 'mean'):
            with self.assertRaises(InvalidQuery) as caught:
                run(name, SEQUENCE, [10 ** 400, 1])
            self.assertIn('row of int', str(caught.exception))


class PercentileCallableTest(unittest.TestCase):

    def test_q_checked_at_once(self):
        """percentile(q) refuses q outside (0, 100] and non-numbers when called."""
        for q in (0, -1, 101, 100.0001, float('nan'), float('inf'), '99', None, True):
            self.assertRaises(InvalidQuery, percentile, q)

    def test_name_and_repr(self):
        """percentile(q) prints as its name p<q>, in plain decimals."""
        for q, name in ((99.9, 'p99.9'), (50, 'p50'), (50.0, 'p50'), (100, 'p100'),
                        (0.1, 'p0.1'), (1e-05, 'p0.00001')):
            self.assertEqual(name, repr(percentile(q)))
            self.assertEqual(name, percentile(q).__name__)
            self.assertEqual(percentile(q), Percentile(float(name[1:])))

    def test_shapes(self):
        """It takes a list, a set or a dict of counts; a single number is refused."""
        self.assertEqual(2.5, percentile(50)([4, 1, 3, 2]))
        self.assertEqual(2.5, percentile(50)({4, 1, 3, 2}))
        self.assertEqual(1.0, percentile(50)({1: 3, 10: 1}))
        self.assertRaises(InvalidQuery, percentile(50), 5)
        self.assertRaises(InvalidQuery, percentile(50), 'abc')

    def test_in_lists_and_dicts(self):
        """In a list it labels its result; in a dict it is the transform of a label."""
        p999 = percentile(99.9)
        got = compile_transform([p999, 'p50'], SEQUENCE, 'series')([1, 2, 3], 60)
        self.assertEqual([p999, 'p50'], list(got))
        self.assertEqual([2.998, 2.0], list(got.values()))
        got = compile_transform({'tail': p999}, HISTOGRAM, 'histogram')({1: 1, 3: 1}, 60)
        self.assertEqual({'tail': 2.998}, dict(got))


if __name__ == '__main__':
    unittest.main()
