"""A row's value as each output shows it: JSON, a table cell, a number to chart.

Rows are what the API returns: numbers, None, text, lists (series), sets, and
dicts (a histogram's value -> count, a summary's figures, several transforms'
label -> result). None of this knows the types: it goes by the row's shape.

>>> jsonable({'b': {2, 1}, 1: float('nan')})
{'b': [1, 2], '1': None}
>>> cell({'count': 3, 'mean': 2.5}), cell([1, 'a']), cell(2/3)
('count=3 mean=2.5', '[1, a]', '0.6667')
"""

import collections.abc
import json
import math
import numbers
from typing import Any, List, Optional


def jsonable(value: Any) -> Any:
    """``value`` as JSON can hold it: dict keys as text, sets as sorted lists, bytes
    decoded, NaN and infinities as None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, numbers.Real):   # Decimal, numpy's numbers
        return jsonable(float(value)) if not isinstance(value, numbers.Integral) else int(value)
    if isinstance(value, bytes):
        return value.decode('utf-8', 'replace')
    if isinstance(value, collections.abc.Mapping):
        return {key_text(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (set, frozenset)):
        return [jsonable(item) for item in sorted(value, key=_order)]
    if isinstance(value, collections.abc.Iterable):
        return [jsonable(item) for item in value]
    return str(value)


def key_text(key: Any) -> str:
    """A dict key as text: JSON object keys and CSV column names are text."""
    if isinstance(key, bytes):
        return key.decode('utf-8', 'replace')
    return key if isinstance(key, str) else str(jsonable(key))


def text(value: Any) -> str:
    """One value as plain text: numbers short (:func:`number`), None empty."""
    if value is None:
        return ''
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, numbers.Real):
        return number(value)
    if isinstance(value, bytes):
        return value.decode('utf-8', 'replace')
    return str(value)


def cell(value: Any) -> str:
    """A row as one compact table cell: ``k=v`` pairs for a dict, ``[a, b]`` for a list,
    ``{a, b}`` for a set (sorted)."""
    if isinstance(value, collections.abc.Mapping):
        return ' '.join('%s=%s' % (key_text(key), text(item))
                        for key, item in _sorted_items(value))
    if isinstance(value, (set, frozenset)):
        return '{%s}' % ', '.join(text(item) for item in sorted(value, key=_order))
    if isinstance(value, (list, tuple)):
        return '[%s]' % ', '.join(text(item) for item in value)
    return text(value)


def number(value: Any) -> str:
    """A number for people: an integral value without a fraction, others with at most
    four decimals (three significant digits when smaller than 0.001)."""
    if isinstance(value, numbers.Integral):
        return str(int(value))
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if value and abs(value) < 0.001:
        return '%.3g' % value
    return ('%.4f' % value).rstrip('0').rstrip('.')


def csv_text(value: Any) -> str:
    """A value in a CSV cell: numbers exact (``repr``), rows as JSON."""
    if value is None:
        return ''
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(',', ':'))
    if isinstance(value, float):
        return repr(value)
    return text(value)


def to_number(value: Any) -> Optional[float]:
    """A value as a number to chart: numbers, and text spelling one (a gauge read without
    read_func); None for anything else, or a value that is not finite."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (str, bytes)):
        try:
            value = float(value)
        except ValueError:
            return None
    if not isinstance(value, numbers.Real):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def ordered_keys(keys: List[Any]) -> List[Any]:
    """Dict keys in their order (a summary's figures, transforms' labels), except where
    every key is a number (a histogram of numbers): by number."""
    if all(_order(key)[0] == 0 for key in keys):
        return sorted(keys, key=_order)
    return keys


def _sorted_items(value: Any) -> Any:
    return [(key, value[key]) for key in ordered_keys(list(value))]


def _order(item: Any) -> Any:
    """A sort key for values of mixed types: numbers (and text spelling one) by value,
    before other text."""
    if isinstance(item, numbers.Real) and not isinstance(item, bool):
        return (0, float(item), '')
    if isinstance(item, (str, bytes)):
        number = to_number(item)
        if number is not None:
            return (0, number, '')
    return (1, 0.0, str(item))
