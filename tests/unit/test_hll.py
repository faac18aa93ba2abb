"""kairos.hll: the stable hash, registers, their merge and the distinct-count estimate.

KAIROS_FUZZ_EXAMPLES sets the examples of each property test (default 100).
"""

import enum
import hashlib
import os
import random
import unittest
from typing import Any, List, Set

from hypothesis import given, settings, strategies as st

from kairos import hll
from kairos.exceptions import InvalidValue, KairosException

EXAMPLES = settings(max_examples=int(os.environ.get('KAIROS_FUZZ_EXAMPLES', 100)),
                    deadline=None, derandomize=True)

values = st.one_of(st.text(max_size=20), st.binary(max_size=20), st.integers())
value_lists = st.lists(values, max_size=60)
# registers as a store could hold them: any index, any rank
sparse = st.dictionaries(st.integers(0, hll.M - 1), st.integers(1, hll.MAX_RANK), max_size=40)

# hash64 of fixed values, computed once: they must never change
PINNED = [('', 16027976456189790694), ('a', 1410542633125930404),
          ('1', 6064584127301525897), ('\u00e9', 17581330670247589818),
          ('kairos', 5348412193519665646), (b'', 8453121595177857668),
          (b'1', 15779520396620607129), (b'\xff', 15433208554273850183),
          (0, 12901799172319015802), (1, 778860755400141486),
          (-1, 12061929287756718838), (2 ** 64, 4092651965716457701)]


def distinct(n: int, seed: int, kind: type) -> Set[Any]:
    """n distinct random values of one kind (int or str)."""
    rng, drawn = random.Random(seed), set()
    while len(drawn) < n:
        drawn.add(rng.getrandbits(62))
    return drawn if kind is int else {'%x' % value for value in drawn}


def relative_error(found: Set[Any]) -> float:
    return abs(hll.estimate(hll.registers(found)) - len(found)) / len(found)


class Colour(enum.IntEnum):
    RED = 1


class HashTest(unittest.TestCase):

    def test_fixed_values_hash_to_pinned_ints(self):
        """hash64 of fixed values is the same in every process and version."""
        for value, hashed in PINNED:
            with self.subTest(value=value):
                self.assertEqual(hll.hash64(value), hashed)

    def test_hash_is_blake2b_of_the_tagged_encoding(self):
        """hash64 is the little-endian 8-byte blake2b of a type tag and the value's bytes."""
        for value, encoded in [('\u00e9', b's\xc3\xa9'), (b'\x00', b'b\x00'), (-12, b'i-12')]:
            digest = hashlib.blake2b(encoded, digest_size=8).digest()
            self.assertEqual(hll.hash64(value), int.from_bytes(digest, 'little'))

    @EXAMPLES
    @given(st.integers())
    def test_an_int_its_str_and_its_bytes_are_three_values(self, number):
        """1, '1' and b'1' hash differently."""
        text = str(number)
        self.assertEqual(len({hll.hash64(number), hll.hash64(text),
                              hll.hash64(text.encode())}), 3)

    def test_subclasses_hash_as_their_base(self):
        """An IntEnum hashes as its int, a str subclass as its str."""
        self.assertEqual(hll.hash64(Colour.RED), hll.hash64(1))
        self.assertEqual(hll.hash64(type('Name', (str,), {})('a')), hll.hash64('a'))

    def test_a_lone_surrogate_is_a_value(self):
        """A str with a lone surrogate hashes, apart from other strs."""
        self.assertNotEqual(hll.hash64('\ud800'), hll.hash64('\ud801'))

    def test_refuses_what_is_not_str_bytes_or_int(self):
        """bool, None, float, bytearray, list and others raise InvalidValue naming them."""
        for value in [True, False, None, 1.0, float('nan'), bytearray(b'1'), [1], (1,),
                      {'a'}, object()]:
            with self.subTest(value=value):
                with self.assertRaises(InvalidValue) as caught:
                    hll.hash64(value)
                self.assertIn(repr(value)[:20], str(caught.exception))
                self.assertIn('str, bytes or int', str(caught.exception))


class RegisterTest(unittest.TestCase):

    def test_index_is_the_low_bits_and_rank_the_first_one_above_them(self):
        """register_of_hash: the low 14 bits, then the 1-based first 1-bit of the other 50."""
        self.assertEqual(hll.register_of_hash(0), (0, 51))
        self.assertEqual(hll.register_of_hash((1 << 14) | 5), (5, 1))
        self.assertEqual(hll.register_of_hash((1 << 16) | (1 << 40) | 7), (7, 3))
        self.assertEqual(hll.register_of_hash((1 << 63) | (hll.M - 1)), (hll.M - 1, 50))
        self.assertEqual(hll.register_of_hash((2 ** 64 - 1) ^ (1 << 14)), (hll.M - 1, 2))

    @EXAMPLES
    @given(values)
    def test_a_value_sets_one_register_in_range(self, value):
        """register_of gives an index in 0..16383 and a rank in 1..51, from hash64."""
        index, rank = hll.register_of(value)
        self.assertTrue(0 <= index < hll.M and 1 <= rank <= hll.MAX_RANK)
        self.assertEqual((index, rank), hll.register_of_hash(hll.hash64(value)))

    @EXAMPLES
    @given(value_lists)
    def test_registers_of_values_merge_those_of_each_value(self, found):
        """registers(values) equals the merge of registers([value]) for each value."""
        self.assertEqual(hll.registers(found), hll.merge(*[hll.registers([v]) for v in found]))

    def test_registers_refuse_a_single_str_or_bytes_and_bad_values(self):
        """registers('abc') and registers([1.5]) raise InvalidValue."""
        for bad in ['abc', b'abc', [1, 1.5], [None]]:
            with self.subTest(bad=bad):
                with self.assertRaises(InvalidValue):
                    hll.registers(bad)


class MergeTest(unittest.TestCase):

    @EXAMPLES
    @given(value_lists, value_lists)
    def test_the_merge_of_two_sets_is_the_registers_of_their_union(self, a, b):
        """merge(registers(A), registers(B)) is registers(A | B), and so is its estimate."""
        merged = hll.merge(hll.registers(a), hll.registers(b))
        self.assertEqual(merged, hll.registers(a + b))
        self.assertEqual(hll.estimate(merged), hll.estimate(hll.registers(a + b)))

    def test_the_merge_of_large_sets_estimates_as_their_union(self):
        """For sets past linear counting, the merge's estimate equals the union's exactly."""
        a, b = distinct(60000, 1, int), distinct(50000, 2, str) | distinct(20000, 1, int)
        merged = hll.merge(hll.registers(a), hll.registers(b))
        self.assertEqual(hll.estimate(merged), hll.estimate(hll.registers(a | b)))

    @EXAMPLES
    @given(sparse, sparse, sparse)
    def test_merge_is_commutative_associative_and_idempotent(self, a, b, c):
        """merge(a, b) == merge(b, a); merge(merge(a, b), c) == merge(a, merge(b, c)) ==
        merge(a, b, c); merge(a, a) == a."""
        self.assertEqual(hll.merge(a, b), hll.merge(b, a))
        self.assertEqual(hll.merge(hll.merge(a, b), c), hll.merge(a, hll.merge(b, c)))
        self.assertEqual(hll.merge(hll.merge(a, b), c), hll.merge(a, b, c))
        self.assertEqual(hll.merge(a, a), a)

    @EXAMPLES
    @given(sparse, sparse)
    def test_merge_leaves_its_arguments_alone(self, a, b):
        """merge returns a new dict and changes none it was given."""
        before = (dict(a), dict(b))
        merged = hll.merge(a, b)
        self.assertEqual((a, b), before)
        self.assertIsNot(merged, a)

    def test_merge_of_nothing_is_empty(self):
        """merge() is {}: no register set."""
        self.assertEqual(hll.merge(), {})

    def test_bad_registers_are_refused(self):
        """merge and estimate raise InvalidValue for an index or rank not an int in range."""
        for bad in [{-1: 1}, {hll.M: 1}, {0: 0}, {0: 52}, {'3': 1}, {3: '1'}, {True: 1},
                    {0: 1.0}, [(0, 1)], None]:
            with self.subTest(bad=bad):
                for call in (hll.merge, hll.estimate):
                    with self.assertRaises(InvalidValue) as caught:
                        call(bad)
                    self.assertIsInstance(caught.exception, KairosException)


class EstimateTest(unittest.TestCase):

    def assertWithinThreeStandardErrors(self, sizes: List[int], seeds: List[int]) -> None:
        for n in sizes:
            for seed in seeds:
                for kind in (int, str):
                    with self.subTest(n=n, seed=seed, kind=kind.__name__):
                        self.assertLess(relative_error(distinct(n, seed, kind)),
                                        3 * hll.STANDARD_ERROR)

    def test_the_standard_error_is_that_of_16384_registers(self):
        """p = 14: 16,384 registers, a standard error of 1.04 / 128, about 0.81%."""
        self.assertEqual((hll.P, hll.M, hll.MAX_RANK), (14, 16384, 51))
        self.assertAlmostEqual(hll.STANDARD_ERROR, 0.008125)

    def test_estimates_are_within_three_standard_errors(self):
        """10**3, 10**4 and 10**5 distinct ints or strs are estimated within 2.43%."""
        self.assertWithinThreeStandardErrors([10 ** 3, 10 ** 4, 10 ** 5], [0, 1, 2])

    def test_a_million_is_estimated_within_three_standard_errors(self):
        """10**6 distinct ints or strs are estimated within 2.43% (a few seconds)."""
        self.assertWithinThreeStandardErrors([10 ** 6], [3])

    def test_small_sets_are_near_exact(self):
        """0, 1 and 10 distinct values are counted exactly, 100 within 2 (linear counting)."""
        for seed in range(5):
            for kind in (int, str):
                for n, slack in [(0, 0), (1, 0), (10, 0), (100, 2)]:
                    with self.subTest(n=n, seed=seed, kind=kind.__name__):
                        estimate = hll.estimate(hll.registers(distinct(n, seed, kind)))
                        self.assertLessEqual(abs(estimate - n), slack)

    def test_repeated_values_count_once(self):
        """Inserting each value many times estimates the distinct values."""
        found = distinct(1000, 4, str)
        self.assertEqual(hll.registers(list(found) * 5), hll.registers(found))

    def test_the_estimate_ignores_the_order_of_registers(self):
        """Equal registers in any order give an equal estimate (Z is summed exactly)."""
        registers = hll.registers(distinct(100000, 5, int))
        shuffled = list(registers.items())
        random.Random(0).shuffle(shuffled)
        self.assertEqual(hll.estimate(dict(shuffled)), hll.estimate(registers))

    def test_full_registers_estimate_without_linear_counting(self):
        """With no register zero the raw estimate is used: all at rank 1 is alpha * 2m."""
        self.assertEqual(hll.estimate(dict.fromkeys(range(hll.M), 1)),
                         round(hll.ALPHA * hll.M * 2))


if __name__ == '__main__':
    unittest.main()
