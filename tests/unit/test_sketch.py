"""The DDSketch core (kairos.sketch): its mapping, the key grammar, merges, collapses and
quantiles against exact order statistics from numpy.

KAIROS_FUZZ_EXAMPLES sets the examples per property (default 50); runs are derandomized.
"""

import math
import os
import re
import unittest
from decimal import Decimal
from unittest import mock
from fractions import Fraction

import numpy as np
from hypothesis import given, settings, strategies as st

from kairos import ConfigurationError, DataConflict, InvalidQuery, InvalidValue, sketch
from kairos.sketch import MAX_INDEXABLE, MIN_INDEXABLE, Mapping

EXAMPLES = settings(max_examples=int(os.environ.get('KAIROS_FUZZ_EXAMPLES', 50)),
                    deadline=None, derandomize=True)
QS = (1, 5, 25, 50, 75, 95, 99, 99.9)
# logs and exps round to about 1e-13 of a value; the guarantee is a plus this
ROUNDING = 1e-12
KEY = re.compile(r'(z|[pn](0|-?[1-9][0-9]*))\Z')
STATS = ('count', 'sum', 'min', 'max')

accuracies = st.one_of(st.sampled_from([0.01, 0.05, 0.001, 0.2]),
                       st.floats(1e-4, 0.5))
# (distribution, seed, size): drawn by numpy, so the sizes reach the thousands
generated = st.tuples(st.sampled_from(['lognormal', 'wide lognormal', 'uniform', 'unit',
                                       'signed lognormal', 'zeros and negatives']),
                      st.integers(0, 2 ** 32 - 1), st.integers(1, 3000))
listed = st.lists(st.one_of(st.floats(-1e300, 1e300), st.just(0.0),
                            st.integers(-10 ** 6, 10 ** 6), st.floats(-1e-295, 1e-295)),
                  min_size=1, max_size=200)


def draw(kind, seed, size):
    """size values of the distribution kind, as a list of floats."""
    rng = np.random.default_rng(seed)
    if kind == 'lognormal':
        data = rng.lognormal(0, 1, size)
    elif kind == 'wide lognormal':
        data = rng.lognormal(0, 20, size)
    elif kind == 'uniform':
        data = rng.uniform(-1000, 1000, size)
    elif kind == 'unit':
        data = rng.uniform(0, 1, size)
    elif kind == 'signed lognormal':
        data = rng.lognormal(0, 2, size) * rng.choice([-1, 1], size)
    else:
        data = rng.lognormal(3, 1, size) * rng.choice([-1, 0, 0, 1], size)
    return [float(x) for x in data]


datasets = st.one_of(generated.map(lambda drawn: draw(*drawn)), listed)


def selected(data, q):
    """The order statistic the rank rule selects: sorted(data)[floor((n - 1) * (q / 100))]."""
    return sorted(map(float, data))[math.floor((len(data) - 1) * (q / 100))]


def value_order(key):
    """A model of the bins' value order: negatives by falling magnitude, zero, positives."""
    if key == 'z':
        return (0, 0)
    return (1, int(key[1:])) if key[0] == 'p' else (-1, -int(key[1:]))


def only_bins(bucket):
    return {key: count for key, count in bucket.items() if key not in STATS}


class Checks(unittest.TestCase):

    def assertWithin(self, exact, got, a):
        """got is within relative accuracy a of exact (within the zero bin of it near 0)."""
        if abs(exact) < MIN_INDEXABLE:
            self.assertLess(abs(got - exact), 2 * MIN_INDEXABLE, (exact, got))
        else:
            self.assertLessEqual(abs(got - exact), (a + ROUNDING) * abs(exact), (exact, got, a))


class MappingTest(Checks):

    @EXAMPLES
    @given(st.floats(MIN_INDEXABLE, MAX_INDEXABLE), accuracies)
    def test_value_within_accuracy(self, x, a):
        """value(index(x)) is within a of x over the whole indexable range."""
        mapping = Mapping(a)
        self.assertWithin(x, mapping.value(mapping.index(x)), a)

    @EXAMPLES
    @given(st.integers(-20000, 20000), accuracies)
    def test_value_lies_in_its_bin(self, i, a):
        """value(i) is 2 * gamma**i / (gamma + 1), and index(value(i)) is i."""
        mapping = Mapping(a)
        self.assertEqual((1 + a) / (1 - a), mapping.gamma)
        x = mapping.value(i)
        if MIN_INDEXABLE <= x <= MAX_INDEXABLE:
            self.assertEqual(i, mapping.index(x))
            expected = math.exp(i * math.log(mapping.gamma)) * 2 / (mapping.gamma + 1)
            self.assertTrue(math.isclose(expected, x, rel_tol=1e-9), (expected, x))

    @EXAMPLES
    @given(st.floats(MIN_INDEXABLE, MAX_INDEXABLE), st.floats(MIN_INDEXABLE, MAX_INDEXABLE),
           accuracies)
    def test_index_is_monotonic(self, x, y, a):
        """A larger value never falls in a lower bin."""
        mapping = Mapping(a)
        x, y = sorted((x, y))
        self.assertLessEqual(mapping.index(x), mapping.index(y))

    def test_bad_relative_accuracy_is_refused(self):
        """relative_accuracy outside [MIN_RELATIVE_ACCURACY, 1), or not a number, is refused."""
        for bad in (0, 1, -0.01, 1.5, 1e-7, math.nan, math.inf, True, '0.01', None,
                    Decimal('0.01'), 1j):
            with self.assertRaisesRegex(ConfigurationError, 'relative_accuracy'):
                Mapping(bad)
        self.assertEqual(0.01, Mapping().relative_accuracy)
        self.assertEqual(Mapping(0.25), Mapping(Fraction(1, 4)))


class BinsTest(Checks):

    @EXAMPLES
    @given(datasets, accuracies)
    def test_keys_follow_the_grammar(self, data, a):
        """Every key is 'z', or 'p'/'n' and a canonical int, and the sign matches."""
        mapping = Mapping(a)
        for x in data:
            key = sketch.bin_of(x, mapping)
            self.assertRegex(key, KEY)
            expected = 'z' if abs(x) < MIN_INDEXABLE else 'p' if x > 0 else 'n'
            self.assertEqual(expected, key[0])
        self.assertEqual(len(data), sum(sketch.bins(data, mapping).values()))

    def test_range_limits(self):
        """The indexable limits are bins, below them is the zero bin, above is refused."""
        mapping = Mapping(0.01)
        self.assertEqual('p%d' % mapping.index(MIN_INDEXABLE),
                         sketch.bin_of(MIN_INDEXABLE, mapping))
        self.assertEqual('n%d' % mapping.index(MAX_INDEXABLE),
                         sketch.bin_of(-MAX_INDEXABLE, mapping))
        for tiny in (0, 0.0, -0.0, 1e-301, -1e-301, 5e-324):
            self.assertEqual('z', sketch.bin_of(tiny, mapping))

    def test_refusals(self):
        """NaN, infinities, magnitudes past MAX_INDEXABLE and non-numbers are refused."""
        mapping = Mapping(0.01)
        for bad in (math.nan, math.inf, -math.inf, MAX_INDEXABLE * (1 + 1e-15),
                    -1.1e300, 10 ** 400, -10 ** 400, Fraction(10 ** 400), True, False,
                    '1', b'1', None, 1j, Decimal('1'), [1.0]):
            with self.assertRaises(InvalidValue, msg=repr(bad)):
                sketch.bin_of(bad, mapping)
            with self.assertRaises(InvalidValue, msg=repr(bad)):
                sketch.bins([1.0, bad], mapping)
            with self.assertRaises(InvalidValue, msg=repr(bad)):
                sketch.bucket([1.0, bad], mapping)

    @EXAMPLES
    @given(datasets, accuracies)
    def test_stats_are_exact(self, data, a):
        """count, min and max are exact; sum is math.fsum's, rounded once."""
        stored = sketch.bucket(data, Mapping(a))
        floats = [float(x) for x in data]
        self.assertEqual(len(data), stored['count'])
        self.assertEqual(math.fsum(floats), stored['sum'])
        self.assertEqual(min(floats), stored['min'])
        self.assertEqual(max(floats), stored['max'])
        self.assertEqual(sketch.bins(data, Mapping(a)), only_bins(stored))

    def test_empty(self):
        """No values make the empty bucket, whose quantiles are None."""
        mapping = Mapping(0.01)
        self.assertEqual({}, sketch.bins([], mapping))
        self.assertEqual({}, sketch.bucket([], mapping))
        self.assertIsNone(sketch.quantile({}, 50, mapping))
        self.assertIsNone(sketch.median({'p3': 0}, mapping))

    def test_stored_fields_outside_the_grammar(self):
        """A field or count the grammar does not allow is a DataConflict."""
        mapping = Mapping(0.01)
        for bad in ({'p01': 1}, {'p-0': 1}, {'q1': 1}, {'n': 1}, {'p1.5': 1}, {'P1': 1},
                    {'p1': -1}, {'p1': 1.0}, {'p1': True}, {'p1': '1'},
                    {'p1': 2, 'count': 3}):
            with self.assertRaises(DataConflict, msg=repr(bad)):
                sketch.quantile(bad, 50, mapping)
            with self.assertRaises(DataConflict, msg=repr(bad)):
                sketch.merge(bad)
            with self.assertRaises(DataConflict, msg=repr(bad)):
                sketch.collapse(bad)


class QuantileTest(Checks):

    @EXAMPLES
    @given(datasets, accuracies)
    def test_guarantee(self, data, a):
        """Each of p1 .. p99.9 is within a of numpy's 'lower' order statistic of its rank."""
        mapping = Mapping(a)
        stored = sketch.bucket(data, mapping)
        ordered = np.array(data, dtype=float)
        for q in QS:
            exact = selected(data, q)
            self.assertEqual(float(np.quantile(ordered, q / 100, method='lower')), exact)
            self.assertWithin(exact, sketch.quantile(stored, q, mapping), a)
            if q / 100 * (len(data) - 1) == math.floor(q / 100 * (len(data) - 1)):
                higher = float(np.quantile(ordered, q / 100, method='higher'))
                self.assertWithin(higher, sketch.quantile(stored, q, mapping), a)
        self.assertEqual(sketch.quantile(stored, 50, mapping), sketch.median(stored, mapping))

    @EXAMPLES
    @given(datasets, accuracies)
    def test_within_min_and_max(self, data, a):
        """Every quantile, 0 and 100 too, lies within the bucket's min and max."""
        mapping = Mapping(a)
        stored = sketch.bucket(data, mapping)
        for q in (0, 100) + QS:
            self.assertLessEqual(stored['min'], sketch.quantile(stored, q, mapping))
            self.assertGreaterEqual(stored['max'], sketch.quantile(stored, q, mapping))

    @EXAMPLES
    @given(datasets, accuracies)
    def test_ranked_answers_as_quantile(self, data, a):
        """A bucket ranked once answers every q as quantile does; its bins are checked and
        ordered alike when the keys seen are no longer kept."""
        mapping = Mapping(a)
        stored = sketch.bucket(data, mapping)
        ranked = sketch.ranked(stored)
        self.assertEqual(len(data), ranked.n)
        for q in (0, 100) + QS:
            self.assertEqual(sketch.quantile(stored, q, mapping), ranked.quantile(q, mapping))
        with mock.patch.object(sketch, '_PLACES', {}), \
                mock.patch.object(sketch, '_PLACES_KEPT', 0):
            self.assertEqual(ranked, sketch.ranked(stored))
            self.assertEqual({}, sketch._PLACES)
        self.assertEqual((0, None), (sketch.ranked({}).n, sketch.ranked({}).quantile(50, mapping)))

    def test_rank_selects_the_lower_element(self):
        """Of 1 and 100, every q below 100 answers 1: rank (n - 1) * q / 100 < 1 is element 0."""
        mapping = Mapping(0.01)
        stored = sketch.bucket([100, 1], mapping)
        self.assertWithin(1.0, sketch.quantile(stored, 50, mapping), 0.01)
        self.assertWithin(1.0, sketch.quantile(stored, 99.9, mapping), 0.01)
        self.assertWithin(100.0, sketch.quantile(stored, 100, mapping), 0.01)

    @EXAMPLES
    @given(st.one_of(st.floats(-1e300, 1e300), st.floats(-1e-300, 1e-300)), accuracies)
    def test_one_value_is_exact(self, x, a):
        """A bucket of one value answers it exactly at every q, by the clamp to min and max."""
        mapping = Mapping(a)
        stored = sketch.bucket([x, x, x], mapping)
        for q in (0, 100) + QS:
            self.assertEqual(x, sketch.quantile(stored, q, mapping))

    def test_bins_without_stats(self):
        """A bucket of bins alone answers with the bins' values, unclamped."""
        mapping = Mapping(0.01)
        data = [-5.0, 0.0, 2.0, 3.0]
        found = sketch.bins(data, mapping)
        self.assertEqual(-mapping.value(mapping.index(5.0)), sketch.quantile(found, 0, mapping))
        self.assertEqual(0.0, sketch.quantile(found, 34, mapping))
        self.assertEqual(mapping.value(mapping.index(3.0)), sketch.quantile(found, 100, mapping))

    def test_bad_q_and_count(self):
        """q outside 0..100 or not a number is an InvalidQuery; a wrong count a DataConflict."""
        mapping = Mapping(0.01)
        stored = sketch.bucket([1.0, 2.0], mapping)
        for bad in (-1, 100.5, math.nan, math.inf, True, '50', None):
            with self.assertRaises(InvalidQuery, msg=repr(bad)):
                sketch.quantile(stored, bad, mapping)
        self.assertEqual(sketch.quantile(stored, 50, mapping),
                         sketch.quantile(stored, 50, mapping, count=2))
        with self.assertRaises(DataConflict):
            sketch.quantile(stored, 50, mapping, count=3)


class MergeTest(Checks):

    def assertSameBucket(self, expected, got):
        """Equal bins, count, min and max; sums equal up to their rounding."""
        self.assertEqual({key: value for key, value in expected.items() if key != 'sum'},
                         {key: value for key, value in got.items() if key != 'sum'})
        self.assertEqual('sum' in expected, 'sum' in got)
        if 'sum' in expected:
            self.assertTrue(math.isclose(expected['sum'], got['sum'], rel_tol=1e-12,
                                         abs_tol=1e-300), (expected['sum'], got['sum']))

    @EXAMPLES
    @given(datasets, datasets, datasets, accuracies)
    def test_merge_is_the_union(self, x, y, z, a):
        """merge(sketches) is the sketch of the union, in any order and grouping."""
        mapping = Mapping(a)
        bx, by, bz = (sketch.bucket(data, mapping) for data in (x, y, z))
        union = sketch.bucket(x + y + z, mapping)
        self.assertSameBucket(union, sketch.merge(bx, by, bz))
        self.assertEqual(sketch.merge(bx, by), sketch.merge(by, bx))
        self.assertSameBucket(sketch.merge(sketch.merge(bx, by), bz),
                              sketch.merge(bx, sketch.merge(by, bz)))
        self.assertEqual(only_bins(union), only_bins(sketch.merge(bx, by, bz)))
        for q in QS:
            self.assertEqual(sketch.quantile(union, q, mapping),
                             sketch.quantile(sketch.merge(bx, by, bz), q, mapping))

    @EXAMPLES
    @given(datasets, accuracies)
    def test_merge_identities(self, data, a):
        """Empty buckets change nothing; bins without stats merge into bins and a count."""
        mapping = Mapping(a)
        stored = sketch.bucket(data, mapping)
        self.assertEqual({}, sketch.merge())
        self.assertEqual({}, sketch.merge({}, {}))
        self.assertEqual(stored, sketch.merge(stored))
        self.assertEqual(stored, sketch.merge({}, stored, {}))
        found = sketch.bins(data, mapping)
        self.assertEqual(dict(found, count=len(data)), sketch.merge(found, {}))
        doubled = {key: 2 * count for key, count in found.items()}
        self.assertEqual(dict(doubled, count=2 * len(data)), sketch.merge(found, stored))


class CollapseTest(Checks):

    @EXAMPLES
    @given(datasets, accuracies, st.integers(1, 80))
    def test_collapse_bounds_bins_and_keeps_counts(self, data, a, max_bins):
        """At most max_bins bins, the count and stats unchanged; quantiles in kept bins keep
        the guarantee, those below over-estimate."""
        mapping = Mapping(a)
        stored = sketch.bucket(data, mapping)
        collapsed = sketch.collapse(stored, max_bins)
        kept = only_bins(collapsed)
        self.assertLessEqual(len(kept), max_bins)
        self.assertEqual(min(max_bins, len(only_bins(stored))), len(kept))
        self.assertEqual(len(data), sum(kept.values()))
        self.assertEqual({name: stored[name] for name in STATS},
                         {name: collapsed[name] for name in STATS})
        lowest = min(kept, key=value_order)
        for q in (0, 100) + QS:
            exact = selected(data, q)
            got = sketch.quantile(collapsed, q, mapping)
            if value_order(sketch.bin_of(exact, mapping)) >= value_order(lowest):
                self.assertWithin(exact, got, a)
                self.assertEqual(sketch.quantile(stored, q, mapping), got)
            else:
                self.assertGreaterEqual(got, exact)
        self.assertEqual(collapsed, sketch.collapse(collapsed, max_bins))

    @EXAMPLES
    @given(datasets, datasets, accuracies, st.integers(1, 80))
    def test_collapse_commutes_with_merge(self, x, y, a, max_bins):
        """Collapsing before a merge, then after, is collapsing the merge."""
        mapping = Mapping(a)
        bx, by = sketch.bucket(x, mapping), sketch.bucket(y, mapping)
        self.assertEqual(
            sketch.collapse(sketch.merge(bx, by), max_bins),
            sketch.collapse(sketch.merge(sketch.collapse(bx, max_bins),
                                         sketch.collapse(by, max_bins)), max_bins))

    def test_collapse_order_and_default(self):
        """The most negative bins go first, into the lowest bin kept; 2048 by default."""
        mapping = Mapping(0.01)
        stored = sketch.bucket([-100.0, -10.0, -10.0, 0.0, 5.0], mapping)
        self.assertEqual({'n%d' % mapping.index(10.0): 3, 'z': 1, 'p%d' % mapping.index(5.0): 1},
                         only_bins(sketch.collapse(stored, 3)))
        self.assertEqual({'z': 4, 'p%d' % mapping.index(5.0): 1},
                         only_bins(sketch.collapse(stored, 2)))
        wide = sketch.bins([1.1 ** i for i in range(3000)], mapping)
        self.assertEqual(sketch.DEFAULT_MAX_BINS, len(sketch.collapse(wide)))
        for bad in (0, -1, 2.0, True, None, '8'):
            with self.assertRaisesRegex(ConfigurationError, 'max_bins'):
                sketch.collapse(stored, bad)


if __name__ == '__main__':
    unittest.main()
