"""The distinct type's hooks: how many distinct values each bucket saw, estimated by a
HyperLogLog (:mod:`kairos.hll`), no I/O.

A bucket keeps 16,384 registers of six bits however many values arrive, and
reads as the estimate of how many distinct values it saw (standard error
0.81%; exact for a handful)::

    value       str, bytes or int, hashed as the bytes redis-py sends for it:
                1, '1' and b'1' are one value; bool, float and None are refused
    stored      the registers: Redis's own HyperLogLog, Mongo's and SQL's set
                registers; identical for the same values on every store
    row         an int, the estimate (``PFCOUNT``'s), carrying ``row.registers``;
                0 for an empty bucket

Registers merge exactly (their max), so condensing, collapsing, ``every``,
joined names and many names give the estimate of the union of the values,
never a sum of estimates. A bucket costs, for 1,000 distinct values and for
100,000 or more: on Redis 3.7 kB and 14.4 kB (``MEMORY USAGE``: sparse, then
dense past some 3,000 bytes), on Mongo 10 kB and 169 kB of BSON, on SQL 970 and
16,384 rows (``script/hll_error.py``).

A ``read_func`` is not applied: a row is a count. Its one transform is
``count`` (the row as a plain int); transforms that need the values themselves
are refused.
"""

from typing import Any, Dict, List, Optional

from . import hll
from .exceptions import DataConflict, InvalidValue
from .series_types import SeriesType


class DistinctCount(int):
    """One bucket's estimated number of distinct values: an int, which also carries the
    bucket's dense registers (``registers``, :mod:`kairos.hll`) that merging needs."""

    registers: bytes

    @classmethod
    def of(cls, registers: bytes) -> 'DistinctCount':
        row = cls(hll.estimate(registers))
        row.registers = registers
        return row


EMPTY = DistinctCount.of(bytes(hll.M))   # the row of a bucket without values


class Added(List[bytes]):
    """What one bucket's write adds: its distinct values as the bytes that are hashed
    (what Redis's ``PFADD`` takes), and the sparse ``registers`` they set (what Mongo and
    SQL store), computed on first use: Redis hashes for itself."""

    _registers: Optional[hll.Sparse] = None

    @property
    def registers(self) -> hll.Sparse:
        if self._registers is None:
            self._registers = hll.registers(self)
        return self._registers


# the named transforms of a distinct row
TRANSFORMS: Dict[str, Any] = {'count': int}


class Distinct(SeriesType):
    """Each bucket estimates how many distinct values it saw (a HyperLogLog).

    >>> import redis
    >>> from kairos import Timeseries
    >>> visitors = Timeseries(redis.Redis(), type='distinct',
    ...                       intervals={'day': {'step': '1d'}})
    >>> visitors.bulk_insert({1700000000: {'home': ['ann', 'bob', 'ann', 7, '7']}})
    >>> visitors.get('home', 'day', timestamp=1700000000)
    OrderedDict([(1699920000, 3)])
    """

    name: str = 'distinct'
    transforms = TRANSFORMS

    def prepare(self, value: Any) -> bytes:
        return hll.encode(value)

    def merge(self, values: List[Any]) -> Added:
        return Added(dict.fromkeys(values))

    def process_row(self, raw: Any) -> DistinctCount:
        """A stored bucket as its estimate: dense registers (bytes), or ``{index: rank}``
        with the index an int or its decimal str (Mongo's field names)."""
        if isinstance(raw, DistinctCount):   # SQL's rows come processed
            return raw
        try:
            if not isinstance(raw, bytes):
                raw = hll.dense({int(index) if type(index) is str else index: rank
                                 for index, rank in raw.items()})
            return DistinctCount.of(hll.dense(raw))
        except (InvalidValue, AttributeError, ValueError) as exc:
            raise DataConflict('a distinct bucket cannot hold %s: written by another type? '
                               '(%s)' % (hll._short(raw), exc)) from None

    def no_value(self) -> DistinctCount:
        return EMPTY

    def dumped(self, row: Any) -> List[List[int]]:
        """The registers set, [[index, rank], ...]: the same on every backend."""
        return [[index, rank] for index, rank in enumerate(row.registers) if rank]

    def restored(self, data: Any) -> 'Added':
        if not isinstance(data, list) or not all(
                isinstance(pair, list) and len(pair) == 2 and type(pair[0]) is int
                and type(pair[1]) is int and 0 <= pair[0] < hll.M
                and 1 <= pair[1] <= hll.MAX_RANK for pair in data):
            raise InvalidValue('a dumped distinct bucket is a list of [register, rank] pairs '
                               '(0 <= register < %d, 1 <= rank <= %d), not %s'
                               % (hll.M, hll.MAX_RANK, hll._short(data)))
        restored = Added()   # no values: the registers alone, which Redis cannot take
        restored._registers = {index: rank for index, rank in data}
        return restored

    def condense(self, rows: List[Any]) -> DistinctCount:
        """The estimate of the union of the rows' values: their registers merged."""
        if len(rows) == 1:
            return rows[0]  # type: ignore[no-any-return]
        return DistinctCount.of(hll.merge(*[row.registers for row in rows]))
