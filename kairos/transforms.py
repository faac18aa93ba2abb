"""Read-side transforms: name -> function tables, one per shape of row.

A transform turns one row of data (after ``read_func`` and after any
condensing) into a summary. Rows are lists (series), sets (set), dicts of
value -> count (histogram) or single values (count, gauge).
"""

from typing import Callable, Dict


def _seq_mean(data):
    data = list(data)
    return float(sum(data)) / len(data) if data else 0


def _seq_min(data):
    return min(data) if data else 0


def _seq_max(data):
    return max(data) if data else 0


SEQUENCE: Dict[str, Callable] = {
    'mean': _seq_mean,
    'count': len,
    'min': _seq_min,
    'max': _seq_max,
    'sum': sum,
}


def _hist_count(data):
    return sum(data.values())


def _hist_sum(data):
    return sum(value * count for value, count in data.items())


def _hist_mean(data):
    count = _hist_count(data)
    return float(_hist_sum(data)) / count if count else 0


HISTOGRAM: Dict[str, Callable] = {
    'mean': _hist_mean,
    'count': _hist_count,
    'min': lambda data: min(data) if data else 0,
    'max': lambda data: max(data) if data else 0,
    'sum': _hist_sum,
}


def _single(data):
    """A count or gauge row is one value: its mean, min, max and sum are itself.

    'count' also returns the value unchanged, as kairos 0.5.0 did for these types.
    """
    return data


SCALAR: Dict[str, Callable] = dict.fromkeys(('mean', 'count', 'min', 'max', 'sum'), _single)
