"""kairos.hll: Redis's hash and registers, their merge, the distinct-count estimate and
the decoding of Redis's stored HyperLogLog (tests/functional/test_distinct.py checks them
against a real Redis).

KAIROS_FUZZ_EXAMPLES sets the examples of each property test (default 100).
"""

import enum
import os
import random
import unittest
from typing import Any, Dict, List, Set

from hypothesis import given, settings, strategies as st

from kairos import hll
from kairos.exceptions import DataConflict, InvalidValue, KairosException

EXAMPLES = settings(max_examples=int(os.environ.get('KAIROS_FUZZ_EXAMPLES', 100)),
                    deadline=None, derandomize=True)

# strs without lone surrogates, which have no UTF-8
values = st.one_of(st.text(st.characters(blacklist_categories=('Cs',)), max_size=20),
                   st.binary(max_size=40), st.integers())
value_lists = st.lists(values, max_size=60)
# registers as a store could hold them: any index, any rank
sparse = st.dictionaries(st.integers(0, hll.M - 1), st.integers(1, hll.MAX_RANK), max_size=40)

# hash64 of fixed values, computed once (and their registers checked against Redis's):
# they must never change
PINNED = [('', 15627466953755236146), ('a', 6039968161137406375),
          ('1', 15460006720700833127), ('\u00e9', 13856479499174900777),
          ('kairos', 2662867391408640950), (b'\xff', 16367586612307847527),
          (b'12345678', 10802930868819274067), (b'123456789abcdefgh', 12474042883850962854),
          (0, 14197115296852620201), (-1, 16221594363139238662),
          (2 ** 64, 9951308300358064476), ('a' * 100, 17209721949037234361)]


def distinct(n: int, seed: int, kind: type) -> Set[Any]:
    """n distinct random values of one kind (int or str)."""
    rng, drawn = random.Random(seed), set()
    while len(drawn) < n:
        drawn.add(rng.getrandbits(62))
    return drawn if kind is int else {'%x' % value for value in drawn}


def relative_error(found: Set[Any]) -> float:
    return abs(hll.estimate(hll.registers(found)) - len(found)) / len(found)


def dense_string(registers: bytes) -> bytes:
    """Redis's dense HyperLogLog string of M registers, packed a register at a time, its
    cached cardinality marked stale (so that PFCOUNT computes it)."""
    bits = 0
    for index, rank in enumerate(registers):
        bits |= rank << (6 * index)
    return b'HYLL\x00\x00\x00\x00' + bytes(7) + b'\x80' + \
        bits.to_bytes(hll.M * 6 // 8, 'little')


def sparse_string(*opcodes: int) -> bytes:
    """Redis's sparse HyperLogLog string of these opcode bytes."""
    return b'HYLL\x01\x00\x00\x00' + bytes(7) + b'\x80' + bytes(opcodes)


class Colour(enum.IntEnum):
    RED = 1


class HashTest(unittest.TestCase):

    def test_fixed_values_hash_to_pinned_ints(self):
        """hash64 of fixed values is the same in every process and version."""
        for value, hashed in PINNED:
            with self.subTest(value=value):
                self.assertEqual(hll.hash64(value), hashed)

    def test_values_are_hashed_as_the_bytes_redis_py_sends(self):
        """str as UTF-8, bytes as they are, an int as its decimal digits."""
        for value, encoded in [('\u00e9', b'\xc3\xa9'), (b'\x00', b'\x00'), (-12, b'-12'),
                               (2 ** 70, b'1180591620717411303424')]:
            self.assertEqual(hll.encode(value), encoded)
            self.assertEqual(hll.hash64(value), hll.murmur64a(encoded))

    @EXAMPLES
    @given(st.integers())
    def test_an_int_its_str_and_its_bytes_are_one_value(self, number):
        """1, '1' and b'1' hash alike, as they are one member of a Redis set."""
        text = str(number)
        self.assertEqual(len({hll.hash64(number), hll.hash64(text),
                              hll.hash64(text.encode())}), 1)

    def test_subclasses_hash_as_their_base(self):
        """An IntEnum hashes as its int, a str or bytes subclass as its base, whatever
        their own methods say."""
        Name = type('Name', (str,), {'__str__': lambda self: 'other',
                                     'encode': lambda self, *args: b'other'})
        Raw = type('Raw', (bytes,), {'__bytes__': lambda self: b'other'})
        self.assertEqual(hll.hash64(Colour.RED), hll.hash64(1))
        self.assertEqual(hll.hash64(Name('a')), hll.hash64('a'))
        self.assertEqual(hll.hash64(Raw(b'a')), hll.hash64(b'a'))

    def test_refuses_what_is_not_str_bytes_or_int(self):
        """bool, None, float, bytearray, list and others raise InvalidValue naming them."""
        for value in [True, False, None, 1.0, float('nan'), bytearray(b'1'), [1], (1,),
                      {'a'}, object()]:
            with self.subTest(value=value):
                with self.assertRaises(InvalidValue) as caught:
                    hll.hash64(value)
                self.assertIn(repr(value)[:20], str(caught.exception))
                self.assertIn('str, bytes or int', str(caught.exception))

    def test_refuses_a_str_that_is_not_valid_unicode(self):
        """A lone surrogate has no UTF-8, which Redis would be sent: InvalidValue."""
        with self.assertRaisesRegex(InvalidValue, 'valid unicode'):
            hll.hash64('a\ud800')

    def test_words_and_tails_of_every_length(self):
        """murmur64a reads 8-byte words little-endian, then the tail: a value and the same
        bytes one word longer differ, and every length up to 40 hashes in range."""
        data = bytes(range(1, 41))
        hashes = {hll.murmur64a(data[:n]) for n in range(41)}
        self.assertEqual(len(hashes), 41)
        self.assertTrue(all(0 <= h < 2 ** 64 for h in hashes))


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
        """registers(values), dense, equals the merge of registers([value]) for each value."""
        self.assertEqual(hll.dense(hll.registers(found)),
                         hll.merge(*[hll.registers([v]) for v in found]))

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
        self.assertEqual(merged, hll.dense(hll.registers(a + b)))
        self.assertEqual(hll.estimate(merged), hll.estimate(hll.registers(a + b)))

    def test_the_merge_of_large_sets_estimates_as_their_union(self):
        """Dense registers past every small-set regime merge to the union's exactly."""
        a, b = distinct(60000, 1, int), distinct(50000, 2, str) | distinct(20000, 1, int)
        merged = hll.merge(hll.dense(hll.registers(a)), hll.dense(hll.registers(b)))
        self.assertEqual(merged, hll.dense(hll.registers(a | b)))
        self.assertEqual(hll.estimate(merged), hll.estimate(hll.registers(a | b)))

    @EXAMPLES
    @given(sparse, sparse, sparse)
    def test_merge_is_commutative_associative_and_idempotent(self, a, b, c):
        """merge(a, b) == merge(b, a); merge(merge(a, b), c) == merge(a, merge(b, c)) ==
        merge(a, b, c); merge(a, a) == dense(a); sparse and dense forms mix."""
        self.assertEqual(hll.merge(a, b), hll.merge(b, a))
        self.assertEqual(hll.merge(hll.merge(a, b), c), hll.merge(a, hll.merge(b, c)))
        self.assertEqual(hll.merge(hll.merge(a, b), c), hll.merge(a, b, c))
        self.assertEqual(hll.merge(a, a), hll.dense(a))
        self.assertEqual(hll.merge(hll.dense(a), b), hll.merge(a, hll.dense(b)))

    @EXAMPLES
    @given(st.integers(0, 2 ** 32), st.integers(0, hll.MAX_RANK))
    def test_dense_merge_is_the_max_of_each_register(self, seed, top):
        """Of dense registers, every register of the merge is the largest."""
        rng, ranks = random.Random(seed), bytes(byte % (top + 1) for byte in range(256))
        a, b, c = (rng.randbytes(hll.M).translate(ranks) for _ in range(3))
        self.assertEqual(hll.merge(a, b, c), bytes(map(max, a, b, c)))

    @EXAMPLES
    @given(sparse, sparse)
    def test_merge_leaves_its_arguments_alone(self, a, b):
        """merge returns new registers and changes none it was given."""
        before = (dict(a), dict(b))
        hll.merge(a, b)
        self.assertEqual((a, b), before)

    def test_merge_of_nothing_is_empty(self):
        """merge() is M zero registers."""
        self.assertEqual(hll.merge(), bytes(hll.M))
        self.assertEqual(hll.estimate(hll.merge()), 0)

    def test_bad_registers_are_refused(self):
        """merge, dense and estimate raise InvalidValue for an index or rank not an int in
        range, and for dense registers of the wrong length or above rank 51."""
        for bad in [{-1: 1}, {hll.M: 1}, {0: 0}, {0: 52}, {'3': 1}, {3: '1'}, {True: 1},
                    {0: 1.0}, [(0, 1)], None, bytes(hll.M - 1), b'\x34' + bytes(hll.M - 1)]:
            with self.subTest(bad=bad):
                for call in (hll.merge, hll.estimate, hll.dense):
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
        """0, 1 and 10 distinct values are counted exactly, 100 within 3."""
        for seed in range(5):
            for kind in (int, str):
                for n, slack in [(0, 0), (1, 0), (10, 0), (100, 3)]:
                    with self.subTest(n=n, seed=seed, kind=kind.__name__):
                        estimate = hll.estimate(hll.registers(distinct(n, seed, kind)))
                        self.assertLessEqual(abs(estimate - n), slack)

    def test_repeated_values_count_once(self):
        """Inserting each value many times sets the registers of the distinct values."""
        found = distinct(1000, 4, str)
        self.assertEqual(hll.registers(list(found) * 5), hll.registers(found))

    def test_sparse_and_dense_forms_estimate_alike(self):
        """The estimate of registers is that of their dense form, and ignores their order."""
        registers = hll.registers(distinct(100000, 5, int))
        shuffled = list(registers.items())
        random.Random(0).shuffle(shuffled)
        self.assertEqual(hll.estimate(dict(shuffled)), hll.estimate(registers))
        self.assertEqual(hll.estimate(hll.dense(registers)), hll.estimate(registers))
        self.assertEqual(hll.histogram(hll.dense(registers)), hll.histogram(registers))

    def test_pinned_estimates(self):
        """Registers all at rank 1, all at 51 but one, one set, none: PFCOUNT's figures
        for the same registers (Redis 7)."""
        self.assertEqual(hll.estimate(dict.fromkeys(range(hll.M), 1)), 23637)
        self.assertEqual(hll.estimate({**dict.fromkeys(range(hll.M), 51), 0: 1}),
                         387270501)
        self.assertEqual(hll.estimate({0: 1}), 1)
        self.assertEqual(hll.estimate({}), 0)

    def test_registers_no_set_reaches_give_the_largest_estimate(self):
        """All registers at 50 or 51 (some 2**64 values) estimate 2**63 - 1, where
        PFCOUNT's rounding overflows."""
        for rank in (50, 51):
            self.assertEqual(hll.estimate(bytes([rank]) * hll.M), 2 ** 63 - 1)


class FromRedisTest(unittest.TestCase):

    def test_a_sparse_string_of_each_opcode(self):
        """ZERO, XZERO and VAL runs set the registers they cover, in order."""
        rest = hll.M - 300 - 2 - 2 - 1   # XZERO 300, VAL 3 x 2, ZERO 2, VAL 32 x 1, XZERO
        stored = sparse_string(0x40 | 299 >> 8, 299 & 0xff, 0x80 | 2 << 2 | 1, 0x01,
                               0x80 | 31 << 2, 0x40 | (rest - 1) >> 8, (rest - 1) & 0xff)
        want = bytearray(hll.M)
        want[300:302] = b'\x03\x03'
        want[304] = 32
        self.assertEqual(hll.from_redis(stored), bytes(want))

    @EXAMPLES
    @given(sparse)
    def test_a_dense_string_holds_six_bits_a_register(self, found):
        """Dense registers, least significant bits first, read back as packed."""
        registers = hll.dense(found)
        self.assertEqual(hll.from_redis(dense_string(registers)), registers)

    def test_strings_that_are_no_hyperloglog_are_refused(self):
        """Another magic, encoding or length, and sparse runs that do not cover the
        registers exactly, raise DataConflict."""
        empty = sparse_string(0x40 | 0x3f, 0xff)   # XZERO 16384
        for bad in [b'', b'12', b'HYLX' + empty[4:], empty[:4] + b'\x02' + empty[5:],
                    empty[:16], empty + b'\x00', empty[:-1], sparse_string(0, 0, 0),
                    sparse_string(0x40 | 0x3f, 0xfe, 0xff), dense_string(bytes(hll.M))[:-1],
                    dense_string(bytes(hll.M - 1) + b'\x3f')]:
            with self.subTest(bad=bad[:24]):
                with self.assertRaises(DataConflict):
                    hll.from_redis(bad)


if __name__ == '__main__':
    unittest.main()
