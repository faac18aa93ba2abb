"""A bucket's values as a DDSketch: quantiles within a relative accuracy, no I/O.

DDSketch (Masson, Rim and Lee, VLDB 2019) counts values per logarithmic bin.
For a relative accuracy ``a`` and ``gamma = (1 + a) / (1 - a)``, a value
``x > 0`` falls in bin ``i = ceil(log(x) / log(gamma))``, which holds
``(gamma**(i-1), gamma**i]``; the bin answers for it with ``value(i) =
2 * gamma**i / (gamma + 1)`` (``= (1 - a) * gamma**i``), which no ``x`` of the
bin is further than ``a * x`` from. A quantile walks the bins in value order
to the one holding its rank, so it is within ``a`` of the exact value of that
rank (see :func:`quantile`). Counts add, so merging two buckets is exact and a
write is a few increments.

The guarantee covers 0 and the magnitudes ``MIN_INDEXABLE <= |x| <=
MAX_INDEXABLE`` (1e-300 to 1e300), for ``MIN_RELATIVE_ACCURACY <= a < 1``,
up to float rounding (logs and exps: about 1e-13 of ``x``). A value of a
smaller magnitude (-0.0, subnormals) counts in the zero bin, which answers 0;
a larger magnitude, NaN, an infinity, a bool and anything not a real number
is refused with :class:`~kairos.exceptions.InvalidValue`.

The stored form of one bucket is a flat dict, whose str keys a Redis hash
field, a Mongo document field and an SQL text column all hold::

    bucket := {field: number, ...}              {} is the empty bucket
    field  := bin | 'count' | 'sum' | 'min' | 'max'
    bin    := 'p' index                         x >= MIN_INDEXABLE:   index(x)
            | 'n' index                         x <= -MIN_INDEXABLE:  index(|x|)
            | 'z'                               |x| < MIN_INDEXABLE
    index  := '0' | ['-'] [1-9] [0-9]*          a decimal int, as str(int) spells it

e.g. ``{'p0': 2, 'p35': 1, 'n-5': 1, 'z': 1, 'count': 5, 'sum': 3.11,
'min': -0.89, 'max': 2.0}`` for the values 1, 1, 2, -0.89 and 0 at ``a = 0.01``.
A bin's count is a positive int (a bin at 0 is the same as none); ``count`` is
the bins' total, ``sum`` a float, ``min`` and ``max`` the extreme values. The
stats are optional (a dict of bins alone is a bucket too); a stored field
outside the grammar raises :class:`~kairos.exceptions.DataConflict`.
"""

import bisect
import itertools
import math
import numbers
import re
import typing
from collections import Counter
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Tuple

from .exceptions import ConfigurationError, DataConflict, InvalidQuery, InvalidValue

__all__ = ['Mapping', 'checked', 'bin_of', 'bins', 'bucket', 'merge', 'collapse', 'quantile',
           'median', 'Ranked', 'ranked', 'DEFAULT_RELATIVE_ACCURACY', 'MIN_RELATIVE_ACCURACY',
           'MIN_INDEXABLE', 'MAX_INDEXABLE', 'DEFAULT_MAX_BINS', 'STATS']

DEFAULT_RELATIVE_ACCURACY = 0.01
# below this, float rounding (about 1e-13 of a value) nears a ten-millionth of
# the accuracy asked, and a bucket needs millions of bins
MIN_RELATIVE_ACCURACY = 1e-6
MIN_INDEXABLE = 1e-300
MAX_INDEXABLE = 1e300
DEFAULT_MAX_BINS = 2048
STATS = ('count', 'sum', 'min', 'max')
ZERO = 'z'

_BIN = re.compile(r'([pn])(0|-?[1-9][0-9]*)\Z')
# bin key -> its place in value order (see _place), for up to _PLACES_KEPT keys seen:
# buckets share most of their keys, which are then checked and ordered by one lookup
_PLACES: Dict[Any, Tuple[int, int]] = {}
_PLACES_KEPT = 1 << 16
Bucket = typing.Mapping[str, float]


class Mapping:
    """Values to bin indices and back, within ``relative_accuracy`` of each value.

    >>> m = Mapping(0.01)
    >>> m.index(100.0), round(m.value(m.index(100.0)), 2)
    (231, 100.49)
    """

    __slots__ = ('relative_accuracy', 'gamma', '_log_gamma', '_log_offset')
    relative_accuracy: float
    gamma: float
    _log_gamma: float
    _log_offset: float

    def __init__(self, relative_accuracy: float = DEFAULT_RELATIVE_ACCURACY) -> None:
        a = relative_accuracy
        if (isinstance(a, bool) or not isinstance(a, numbers.Real)
                or not MIN_RELATIVE_ACCURACY <= a < 1):
            raise ConfigurationError('relative_accuracy must be a number from %g to below 1, '
                                     'not %r' % (MIN_RELATIVE_ACCURACY, a))
        self.relative_accuracy = float(a)
        self.gamma = (1 + self.relative_accuracy) / (1 - self.relative_accuracy)
        # log(gamma) is 2 * atanh(a): to an ulp, where a small a rounds in (1 + a) / (1 - a)
        self._log_gamma = 2 * math.atanh(self.relative_accuracy)
        self._log_offset = math.log1p(-self.relative_accuracy)   # log(2 / (gamma + 1))

    def index(self, x: float) -> int:
        """The bin of ``x``, a float from MIN_INDEXABLE to MAX_INDEXABLE."""
        return math.ceil(math.log(x) / self._log_gamma)

    def value(self, i: int) -> float:
        """The value bin ``i`` answers with: ``2 * gamma**i / (gamma + 1)``.

        inf past the floats (a bin no indexable value falls in, another mapping's).
        """
        # in logs, so that gamma**i cannot overflow before the factor brings it back
        try:
            return math.exp(i * self._log_gamma + self._log_offset)
        except OverflowError:
            return math.inf

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Mapping)
                and other.relative_accuracy == self.relative_accuracy)

    def __hash__(self) -> int:
        return hash(self.relative_accuracy)

    def __repr__(self) -> str:
        return 'Mapping(%r)' % self.relative_accuracy


class _Stats(NamedTuple):
    """A bucket's stats beside its bins: n its count; None where it holds no such field."""

    n: int
    sum: Optional[float]
    min: Optional[float]
    max: Optional[float]


def bin_of(x: Any, mapping: Mapping) -> str:
    """The key of the bin that counts ``x``; refuses what a sketch cannot hold."""
    return _key(checked(x), mapping)


def bins(values: Iterable[Any], mapping: Mapping) -> Dict[str, int]:
    """The bins of ``values``: key -> how many of them it counts."""
    return dict(Counter(bin_of(x, mapping) for x in values))


def bucket(values: Iterable[Any], mapping: Mapping) -> Dict[str, float]:
    """The stored form of ``values``: their bins, count, sum, min and max."""
    floats = [checked(x) for x in values]
    if not floats:
        return {}
    result: Dict[str, float] = dict(Counter(_key(x, mapping) for x in floats))
    result.update(count=len(floats), sum=math.fsum(floats), min=min(floats),
                  max=max(floats))
    return result


def merge(*buckets: Bucket) -> Dict[str, float]:
    """The bucket of all the values of ``buckets``: exactly what their union makes.

    Counts add; ``sum`` is rounded once; ``sum``, ``min`` and ``max`` are in the
    result when every non-empty bucket has them. Nothing is collapsed.
    """
    counts: typing.Counter[str] = Counter()
    parts: List[_Stats] = []
    for given in buckets:
        found, stats = _parse(given)
        if stats.n:
            counts.update(found)
            parts.append(stats)
    result: Dict[str, float] = dict(counts)
    if parts:
        result['count'] = sum(part.n for part in parts)
        sums, lows, highs = ([getattr(part, name) for part in parts]
                             for name in ('sum', 'min', 'max'))
        if None not in sums:
            result['sum'] = math.fsum(typing.cast(List[float], sums))
        if None not in lows:
            result['min'] = min(typing.cast(List[float], lows))
        if None not in highs:
            result['max'] = max(typing.cast(List[float], highs))
    return result


def collapse(given: Bucket, max_bins: int = DEFAULT_MAX_BINS) -> Dict[str, float]:
    """``given`` with at most ``max_bins`` bins (the zero bin among them); stats kept.

    As the paper's collapsing-lowest store, but in value order over both signs:
    the lowest bins (the negatives of the largest magnitude first, then towards
    zero, the zero bin, the smallest positives) add their counts to the lowest
    bin kept, so the count stays exact. A quantile whose exact value lies in a
    kept bin keeps the guarantee; one below answers with the lowest kept bin
    (clamped to ``min``): an over-estimate, known only to be at least ``min``.
    ``collapse(merge(collapse(a, m), collapse(b, m)), m) == collapse(merge(a, b), m)``.
    """
    if isinstance(max_bins, bool) or not isinstance(max_bins, int) or max_bins < 1:
        raise ConfigurationError('max_bins must be an int of at least 1, not %r' % (max_bins,))
    found, _ = _parse(given)
    result = dict(given)
    if len(found) <= max_bins:
        return result
    ordered = sorted(found, key=_order)
    cut = len(ordered) - max_bins
    for key in ordered[:cut]:
        del result[key]
    result[ordered[cut]] = sum(found[key] for key in ordered[:cut + 1])
    return result


def quantile(given: Bucket, q: float, mapping: Mapping,
             count: Optional[int] = None) -> Optional[float]:
    """The q-th percentile (0 <= q <= 100) of the bucket; None when it is empty.

    The paper's rank rule: with ``n`` values, the rank ``q / 100 * (n - 1)``
    (computed as ``(n - 1) * (q / 100)``) falls in the first bin, in value order,
    whose running count exceeds it: the bin of the sorted values' element
    ``floor(rank)``, which ``numpy.quantile(values, q / 100, method='lower')``
    is. That bin answers: ``value(i)``, ``-value(i)`` for a negative bin, 0 for
    the zero bin; clamped to the bucket's ``min`` and ``max`` when it has them.
    ``count``, if the caller holds it apart from the bucket, must be its total.
    """
    _check_q(q)
    found = ranked(given)
    if count is not None and count != found.n:
        raise DataConflict('the bucket holds %d values, not the count given, %r'
                           % (found.n, count))
    return found.quantile(q, mapping)


class Ranked(NamedTuple):
    """A bucket's bins in value order with their running counts (of :func:`ranked`): its
    quantiles without parsing and sorting it again for each."""

    keys: List[str]
    running: List[int]
    min: Optional[float]
    max: Optional[float]

    @property
    def n(self) -> int:
        """How many values the bucket holds."""
        return self.running[-1] if self.running else 0

    def quantile(self, q: float, mapping: Mapping) -> Optional[float]:
        """The q-th percentile (0 <= q <= 100): see :func:`quantile`."""
        _check_q(q)
        if not self.running:
            return None
        # the first bin whose running count exceeds the rank
        result = _answer(self.keys[bisect.bisect_right(self.running, (self.n - 1) * (q / 100))],
                         mapping)
        if self.min is not None:
            result = max(result, self.min)
        if self.max is not None:
            result = min(result, self.max)
        return result


def ranked(given: Bucket) -> Ranked:
    """The bins of a bucket in value order with their running counts, and its min and
    max; checked."""
    found, stats = _parse(given)
    keys = sorted(found, key=_order)
    return Ranked(keys, list(itertools.accumulate(found[key] for key in keys)), stats.min,
                  stats.max)


def _check_q(q: float) -> None:
    if (isinstance(q, bool) or not isinstance(q, numbers.Real)
            or not 0 <= q <= 100):
        raise InvalidQuery('a quantile needs q from 0 to 100, not %r' % (q,))


def median(given: Bucket, mapping: Mapping, count: Optional[int] = None) -> Optional[float]:
    """The 50th percentile of the bucket (:func:`quantile`); None when it is empty."""
    return quantile(given, 50, mapping, count)


def checked(x: Any) -> float:
    """``x`` as a float a sketch can count, or InvalidValue naming it."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise InvalidValue('a sketch counts real numbers, not %s' % _shown(x))
    try:
        value = float(x)
    except OverflowError:
        value = math.inf
    if value != value:
        raise InvalidValue('a sketch cannot count %s' % _shown(x))
    if not abs(value) <= MAX_INDEXABLE:
        raise InvalidValue('a sketch counts magnitudes up to %g, not %s'
                           % (MAX_INDEXABLE, _shown(x)))
    return value


def _shown(x: Any) -> str:
    """repr(x), its middle cut out past 60 characters."""
    text = repr(x)
    return text if len(text) <= 60 else text[:40] + '...' + text[-10:]


def _key(x: float, mapping: Mapping) -> str:
    if x >= MIN_INDEXABLE:
        return 'p%d' % mapping.index(x)
    if x <= -MIN_INDEXABLE:
        return 'n%d' % mapping.index(-x)
    return ZERO


def _order(key: str) -> Tuple[int, int]:
    """Sorts bin keys (checked ones) in the order of their values."""
    place = _place(key)
    assert place is not None
    return place


def _place(key: Any) -> Optional[Tuple[int, int]]:
    """A bin key's place in the order of the bins' values; None for a key outside the
    grammar."""
    place = _PLACES.get(key)
    if place is None:
        if key == ZERO:
            place = (0, 0)
        elif isinstance(key, str) and _BIN.match(key):
            index = int(key[1:])
            place = (1, index) if key[0] == 'p' else (-1, -index)
        else:
            return None
        if len(_PLACES) < _PLACES_KEPT:
            _PLACES[key] = place
    return place


def _answer(key: str, mapping: Mapping) -> float:
    if key == ZERO:
        return 0.0
    value = mapping.value(int(key[1:]))
    return value if key[0] == 'p' else -value


def _parse(given: Bucket) -> Tuple[Dict[str, int], _Stats]:
    """The bins holding a count, and the stats, of a stored bucket; checked."""
    found: Dict[str, int] = {}
    stats: Dict[str, Any] = dict.fromkeys(STATS)
    for key, number in given.items():
        if key in stats:
            stats[key] = number
        elif key not in _PLACES and _place(key) is None:
            raise DataConflict('a sketch bucket has no field %r' % (key,))
        elif (type(number) is not int and (isinstance(number, bool)
                                           or not isinstance(number, int))) or number < 0:
            raise DataConflict('a sketch bin counts with an int of at least 0, not %r '
                               'in %r' % (number, key))
        elif number:
            found[key] = number
    total = sum(found.values())
    if stats['count'] is not None and stats['count'] != total:
        raise DataConflict('a sketch bucket says count %r, its bins hold %d'
                           % (stats['count'], total))
    if not total:
        return found, _Stats(0, None, None, None)
    return found, _Stats(total, stats['sum'], stats['min'], stats['max'])
