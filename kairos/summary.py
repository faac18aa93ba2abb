"""The summary type's hooks: count, sum, min, max and sum of squares per bucket, no I/O.

A summary keeps five numbers a bucket, however many values arrive, and reads
back as a row of six::

    stored      count, sum, sumsq (the sum of the squares), min, max
    row         {'count', 'sum', 'min', 'max', 'mean', 'stddev'}; None when empty
    mean        sum / count
    stddev      the population standard deviation from the stored sums: exact for
                ints (one rounding), sqrt(max(0, sumsq / count - mean**2)) for floats,
                where cancellation costs digits as the spread gets tiny next to
                the mean (1e9 + x for x in 0..1 keeps about 7)

Every stored number merges by one operation that stores apply atomically: count,
sum and sumsq add, min takes the smaller and max the larger. So condensing,
collapsing, ``every`` and joined names merge rows exactly as the stored buckets
would have merged (sums as floats add: in another order, they may differ in the
last bit). A row keeps its ``sumsq`` (``row.sumsq``) for those merges.

Values are real numbers (int, float, or a str spelling one, as a count takes);
bool, NaN, infinities and anything else are refused with InvalidValue. A
``read_func`` is not applied: a row's numbers are statistics of the values.
"""

import math
import numbers
from typing import Any, Callable, Dict, List, Optional

from .exceptions import InvalidValue
from .series_types import SeriesType, _number, _short

# the stored fields, in the order the stores keep them
FIELDS = ('count', 'sum', 'sumsq', 'min', 'max')


class SummaryRow(Dict[str, Any]):
    """One bucket's summary: a dict of count, sum, min, max, mean and stddev, which
    also carries the sum of squares (``sumsq``) that merging needs."""

    sumsq: float

    @classmethod
    def of(cls, count: int, total: float, sumsq: float, low: Any, high: Any) -> 'SummaryRow':
        mean = total / count
        if type(total) is int and type(sumsq) is int:   # exact: one rounding, at the end
            variance = (count * sumsq - total * total) / (count * count)
        else:
            variance = max(0.0, sumsq / count - mean * mean)
        row = cls(count=count, sum=total, min=low, max=high, mean=mean,
                  stddev=math.sqrt(variance))
        row.sumsq = sumsq
        return row


def _field(name: str) -> Callable[[Any], Any]:
    return lambda row: None if row is None else row[name]


def _rate(row: Any, duration: Any) -> Any:
    """Values per second of the bucket."""
    return 0 if row is None else row['count'] / duration


# the named transforms of a summary row: its fields, and the rate of its count
TRANSFORMS: Dict[str, Callable[..., Any]] = dict(
    {name: _field(name) for name in ('count', 'sum', 'min', 'max', 'mean', 'stddev')},
    rate=_rate)


class Summary(SeriesType):
    """Each bucket keeps the count, sum, sum of squares, min and max of its values."""

    name = 'summary'
    transforms = TRANSFORMS

    def prepare(self, given: Any) -> Any:
        value = _number(given) if isinstance(given, str) else given
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise InvalidValue('a summary needs a number (or a str of one), not %s'
                               % _short(given))
        value = value if isinstance(value, int) else float(value)
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidValue('a summary cannot take %s' % _short(given))
        return value

    def merge(self, values: List[Any]) -> Dict[str, Any]:
        """The stored fields of many prepared values of one bucket."""
        return {'count': len(values), 'sum': _sum(values),
                'sumsq': _sum([value * value for value in values]),
                'min': min(values), 'max': max(values)}

    def process_row(self, raw: Any) -> Optional[SummaryRow]:
        return read_row(raw)

    def no_value(self) -> None:
        return None

    def condense(self, rows: List[Any]) -> Optional[SummaryRow]:
        """The row of the union of the rows' values: see :func:`merge_rows`."""
        return merge_rows(rows)

    def dumped(self, row: Any) -> Optional[Dict[str, Any]]:
        """The stored fields: {'count', 'sum', 'sumsq', 'min', 'max'}."""
        if row is None:
            return None
        return {'count': row['count'], 'sum': row['sum'], 'sumsq': row.sumsq,
                'min': row['min'], 'max': row['max']}

    def restored(self, data: Any) -> Dict[str, Any]:
        if not isinstance(data, dict) or sorted(data) != sorted(FIELDS):
            raise InvalidValue('a dumped summary bucket has the fields %s, not %s'
                               % (', '.join(FIELDS), _short(data)))
        fields = {name: self.prepare(data[name]) for name in FIELDS}
        if type(fields['count']) is not int or fields['count'] <= 0 or \
                fields['min'] > fields['max'] or fields['sumsq'] < 0:
            raise InvalidValue('a dumped summary bucket needs a count above 0, min <= max '
                               'and sumsq >= 0, not %s' % _short(data))
        return fields


def read_row(raw: Any) -> Optional[SummaryRow]:
    """A stored bucket (a mapping of FIELDS to numbers, or their strs or bytes) as a row;
    None for a bucket without values. A row is its own stored form (stores that read
    rows whole, SQL's, hand over rows)."""
    if type(raw) is SummaryRow:
        return raw
    count = _float(raw['count']) if raw.get('count') is not None else 0
    if not count:
        return None
    return SummaryRow.of(count, *[_float(raw[name]) for name in ('sum', 'sumsq', 'min', 'max')])


def merge_rows(rows: List[Any]) -> Optional[SummaryRow]:
    """The row of the union of the rows' values (None where none has any): counts and
    sums added, the least min and the greatest max."""
    present = [row for row in rows if row]
    if not present:
        return None
    return SummaryRow.of(sum(row['count'] for row in present),
                         _sum([row['sum'] for row in present]),
                         _sum([row.sumsq for row in present]),
                         min(row['min'] for row in present),
                         max(row['max'] for row in present))


def _sum(values: List[Any]) -> Any:
    """An exact sum of ints; a correctly rounded one (math.fsum) where a float is among
    them."""
    if all(type(value) is int for value in values):
        return sum(values)
    return math.fsum(values)


def _float(stored: Any) -> Any:
    """A stored number as a number, an int where it is integral: stores that keep doubles
    (Redis scores, SQL's columns) read back as the others do."""
    if isinstance(stored, bytes):
        stored = stored.decode()
    if isinstance(stored, str):
        try:
            return int(stored)
        except ValueError:
            stored = float(stored)
    if isinstance(stored, float) and stored.is_integer():
        return int(stored)
    return stored
