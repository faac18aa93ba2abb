"""Order statistics and spread of a bucket's values: pure functions, no I/O.

Values come either as an iterable (a series' list, a set) or as counts
(a histogram's ``{value: count}``); counts are never expanded, so a bucket
that saw one value 10**9 times costs one entry. Every function returns a
float, or None for a bucket without values.

Percentiles interpolate linearly between the closest ranks, as
``numpy.percentile``'s default method ('linear') does, to the bit: with ``n``
sorted values ``v``, the virtual index is ``h = (n - 1) * (q / 100)``,
``lo = floor(h)`` and ``gamma = h - lo``; the result is
``v[lo] + (v[lo+1] - v[lo]) * gamma``, computed from the upper end as
``v[lo+1] - (v[lo+1] - v[lo]) * (1 - gamma)`` when ``gamma >= 0.5`` (which
keeps the result monotonic in q). Past the last rank (``h >= n - 1``) both
ends are the largest value.
"""

import bisect
import math
from itertools import accumulate
from typing import Any, Iterable, List, Mapping, Optional, Tuple

# (value, how many times it was seen), sorted by value
Counts = List[Tuple[Any, int]]


def percentile(values: Iterable[Any], q: float) -> Optional[float]:
    """The q-th percentile (0 < q <= 100) of ``values``; None when there are none."""
    ordered = sorted(values)
    if not ordered:
        return None
    if _has_nan(ordered):
        return math.nan
    n = len(ordered)
    h = (n - 1) * (q / 100)
    if h >= n - 1:
        return _lerp(ordered[-1], ordered[-1], h + 1)
    lo = math.floor(h)
    return _lerp(ordered[lo], ordered[lo + 1], h - lo)


def percentile_of_counts(counts: Mapping[Any, int], q: float) -> Optional[float]:
    """The q-th percentile of the values that ``counts`` holds ``count`` times each."""
    pairs = _sorted_counts(counts)
    if not pairs:
        return None
    if _has_nan(value for value, _ in pairs):
        return math.nan
    n = sum(count for _, count in pairs)
    h = (n - 1) * (q / 100)
    if h >= n - 1:
        return _lerp(pairs[-1][0], pairs[-1][0], h + 1)
    lo = math.floor(h)
    ends = list(accumulate(count for _, count in pairs))  # ranks below each value's end

    def at(rank: int) -> Any:
        return pairs[bisect.bisect_right(ends, rank)][0]
    return _lerp(at(lo), at(lo + 1), h - lo)


def stddev(values: Iterable[Any]) -> Optional[float]:
    """The population standard deviation (ddof=0) of ``values``; None when there are none."""
    return _stddev([(value, 1) for value in values])


def stddev_of_counts(counts: Mapping[Any, int]) -> Optional[float]:
    """The population standard deviation of the values ``counts`` holds."""
    return _stddev([(value, count) for value, count in counts.items() if count > 0])


def _stddev(pairs: List[Tuple[Any, int]]) -> Optional[float]:
    n = sum(count for _, count in pairs)
    if not n:
        return None
    if all(type(value) is int for value, _ in pairs):
        # exact sums, one rounding at the division: no cancellation on large ints
        total = sum(value * count for value, count in pairs)
        squares = sum(value * value * count for value, count in pairs)
        return math.sqrt((n * squares - total * total) / (n * n))
    if not all(math.isfinite(value) for value, _ in pairs):
        return math.nan   # as numpy: inf - inf is nan
    mean = math.fsum(value * count for value, count in pairs) / n
    return math.sqrt(math.fsum(count * (value - mean) ** 2 for value, count in pairs) / n)


def _lerp(a: Any, b: Any, gamma: float) -> float:
    """Between a and b at gamma, from the nearer end (numpy's rounding)."""
    diff = b - a   # exact on ints, then one rounding, as numpy subtracts int64 first
    if gamma >= 0.5:
        return float(b - diff * (1 - gamma))
    return float(a + diff * gamma)


def _sorted_counts(counts: Mapping[Any, int]) -> Counts:
    return sorted(((value, count) for value, count in counts.items() if count > 0),
                  key=lambda pair: pair[0])


def _has_nan(values: Iterable[Any]) -> bool:
    return any(value != value for value in values)
