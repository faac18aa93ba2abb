"""HyperLogLog registers and the distinct-count estimate: pure functions, no I/O.

A bucket of a ``distinct`` series holds ``M = 2**P`` registers (``P = 14``:
16,384 of them, as Redis), each the largest *rank* of the values that fell in
it, 0 for none. A value maps to one register::

    hash     = hash64(value)                    64 bits, the same in every process
    index    = hash & (M - 1)                   the low P bits: which register
    rest     = hash >> P                        the other 64 - P = 50 bits
    rank     = 1 + (trailing zero bits of rest), or MAX_RANK = 51 when rest is 0

so a register holds a rank in 1..51, six bits. ``hash64`` is blake2b (an
8-byte digest, read little-endian) of a type tag and the value's bytes:
``b's'`` + UTF-8 for a str, ``b'b'`` + the bytes for bytes, ``b'i'`` + the
decimal digits for an int. So ``1``, ``'1'`` and ``b'1'`` are three distinct
values; ``True`` is refused (neither 1 nor 'True' is clearly meant), and so is
anything else (None, a float, a list): :class:`~kairos.exceptions.InvalidValue`.

Registers are kept sparse, ``{index: rank}`` with only the set ones. Inserting
is a max per register, and so is a union: ``merge`` of two buckets' (or two
names') registers is exactly the registers of the union of their values, so an
estimate over many buckets is as good as one over a single bucket.

The estimate is Flajolet, Fusy, Gandouet and Meunier's (2007): with
``alpha = 0.7213 / (1 + 1.079 / M)`` and ``Z = sum(2 ** -register)`` over all
M registers, the raw estimate is ``alpha * M**2 / Z``; while it is at most
``2.5 * M`` and ``V`` registers are 0, linear counting ``M * ln(M / V)`` is
used instead, which is near exact for small sets. The paper's large-range
correction is for 32-bit hashes; with 64 bits collisions stay negligible far
beyond any bucket, so there is none. ``Z`` is summed exactly (an integer count
of ``2**-MAX_RANK``), so equal registers give an equal estimate in any order.

The standard error is ``1.04 / sqrt(M)``, about 0.81%, except just past the
switch (some 38,000 to 50,000 distinct values), where the raw estimate's
upward bias shows: median errors of 1.5-2.7% and up to about 4% are measured
there (``script/hll_error.py --sizes 42000 --seeds 20``).

Storage, per bucket (the index as a decimal or an integer, the rank an int):

* Redis: a native HyperLogLog (``PFADD``, ``PFCOUNT``, ``PFMERGE``); Redis
  hashes with MurmurHash64A and estimates with Ertl's method, so its registers
  are not these: for the same values, its count and Mongo's or SQL's are each
  within the error of the truth, not equal to each other.
* MongoDB: a field per set register, ``{'r': {'<index>': rank}}``, written
  with ``{'$max': {'r.<index>': rank}}`` (one per register of ``registers()``).
* SQL: a row ``(bucket key, register index, rank)`` per set register, upserted
  keeping the larger rank.

A bucket costs about its set registers times a few bytes (BSON: some 11 a
field; SQL: the rank and index plus the row's own overhead), never more than
16,384 registers: a bucket that saw n distinct values sets about
``M * (1 - exp(-n / M))`` of them, so 1,000 values set about 970 and 100,000
nearly all.
"""

import hashlib
import math
from typing import Any, Dict, Iterable, Mapping, Tuple

from .exceptions import InvalidValue

P = 14                          # precision: bits of the hash that choose the register
M = 1 << P                      # registers per bucket
MAX_RANK = 64 - P + 1           # 51: the rank of a hash whose other 50 bits are 0
STANDARD_ERROR = 1.04 / math.sqrt(M)
ALPHA = 0.7213 / (1 + 1.079 / M)

Registers = Dict[int, int]      # sparse: {register index: rank}, set registers only

def hash64(value: Any) -> int:
    """The stable 64-bit hash of a str, bytes or int ``value`` (type-tagged).

    >>> hash64('a') != hash64(b'a')
    True
    """
    return int.from_bytes(hashlib.blake2b(_encode(value), digest_size=8).digest(), 'little')


def _encode(value: Any) -> bytes:
    if isinstance(value, str):
        # a lone surrogate is still a distinct str: keep it rather than fail
        return b's' + str.encode(value, 'utf-8', 'surrogatepass')
    if isinstance(value, bytes):
        return b'b' + bytes(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return b'i' + b'%d' % int(value)
    raise InvalidValue('a distinct value must be a str, bytes or int (not a bool), got %s'
                       % _short(value))


def register_of_hash(hashed: int) -> Tuple[int, int]:
    """The (index, rank) of a 64-bit hash: its low P bits, then its first 1-bit above them."""
    rest = hashed >> P
    # rest & -rest is the lowest 1-bit alone; its bit_length is its 1-based position
    return hashed & (M - 1), (rest & -rest).bit_length() if rest else MAX_RANK


def register_of(value: Any) -> Tuple[int, int]:
    """The (index, rank) that ``value`` sets: index in 0..M-1, rank in 1..MAX_RANK."""
    return register_of_hash(hash64(value))


def registers(values: Iterable[Any]) -> Registers:
    """The sparse registers of ``values``: what one bucket's bulk insert writes."""
    if isinstance(values, (str, bytes)):
        raise InvalidValue('registers takes an iterable of values, not a single %s: %s'
                           % (type(values).__name__, _short(values)))
    sparse: Registers = {}
    for value in values:
        index, rank = register_of(value)
        if rank > sparse.get(index, 0):
            sparse[index] = rank
    return sparse


def merge(*sparse: Mapping[int, int]) -> Registers:
    """The register-wise max of sparse registers: the registers of the union."""
    merged: Registers = {}
    for one in sparse:
        for index, rank in _checked(one):
            if rank > merged.get(index, 0):
                merged[index] = rank
    return merged


def estimate(sparse: Mapping[int, int]) -> int:
    """The estimated number of distinct values of these registers, to the nearest int."""
    ranks = [rank for _, rank in _checked(sparse)]
    zeros = M - len(ranks)
    # Z * 2**MAX_RANK, exact: each register adds 2**(MAX_RANK - rank), each zero 2**MAX_RANK
    scaled = (zeros << MAX_RANK) + sum(1 << (MAX_RANK - rank) for rank in ranks)
    raw = ALPHA * M * M * (1 << MAX_RANK) / scaled
    if raw <= 2.5 * M and zeros:
        return round(M * math.log(M / zeros))
    return round(raw)


def _checked(sparse: Mapping[int, int]) -> Iterable[Tuple[int, int]]:
    """The (index, rank) pairs of ``sparse``, refusing any that no register can hold."""
    if not isinstance(sparse, Mapping):
        raise InvalidValue('registers must be a mapping {index: rank}, got %s' % _short(sparse))
    for index, rank in sparse.items():
        if not (_is_int(index) and _is_int(rank) and 0 <= index < M and 1 <= rank <= MAX_RANK):
            raise InvalidValue('not a register: %s: %s (an index is an int in 0..%d, a rank'
                               ' an int in 1..%d)' % (_short(index), _short(rank), M - 1,
                                                      MAX_RANK))
        yield index, rank


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:40] + '...' + text[-10:]
