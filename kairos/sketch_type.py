"""The sketch type's hooks: a DDSketch per bucket (:mod:`kairos.sketch`), read back as
quantiles within a relative accuracy, no I/O.

A sketch keeps, however many values arrive, how many fell in each logarithmic bin,
with their count, sum, min and max, and reads back as a row::

    stored      bins 'p<i>' / 'n<i>' / 'z' (int counts), count, sum, min, max:
                the bucket grammar of kairos.sketch
    row         {'count', 'sum', 'min', 'max', 'mean'}; None when empty; count an int,
                the others floats; row.bins its bins (at most max_bins), row.mapping
    p<q>        the bin holding rank (n - 1) * q / 100 in value order: numpy's
                percentile(method='lower') of the values, within relative_accuracy
                (kairos.sketch.quantile), clamped to min and max

Every stored field merges by one operation that stores apply atomically: bins, count
and sum add, min takes the smaller and max the larger. So condensing, collapsing,
``every``, joined names and bulk inserts merge buckets exactly (bins add), and a row
is then collapsed to ``max_bins`` (kairos.sketch.collapse: the lowest bins fold into
the lowest kept, so high quantiles keep the guarantee). A write cannot collapse a
stored bucket atomically, so stores keep every bin a bucket's values reach:
``1 + ceil(log(max / min) / log(gamma))`` bins per sign at most for magnitudes
from ``min`` to ``max`` (gamma = (1 + a) / (1 - a)), plus the zero bin; reads
collapse. 100,000 lognormal(0, 1) values reach 383 bins at a = 0.01 (docs/storage.rst).

Settings, keywords of the Timeseries: ``relative_accuracy`` (default 0.01, from
kairos.sketch.MIN_RELATIVE_ACCURACY to below 1) and ``max_bins`` (default 2048, an
int of at least 1). Every Timeseries reading or writing a name must use the same
relative_accuracy: the bins do not record it.

Values are real numbers (int, float, or a str spelling one, as a count takes) of
magnitude up to 1e300; bool, NaN, infinities and anything else are refused with
InvalidValue. A ``read_func`` is not applied: a row's numbers are statistics of the values.
"""

import numbers
from typing import Any, Callable, Dict, List, Optional, cast

from . import sketch
from .exceptions import ConfigurationError, DataConflict, InvalidQuery, InvalidValue
from .series_types import SeriesType, _number, _short
from .summary import TRANSFORMS as SUMMARY_TRANSFORMS
from .transforms import PERCENTILES, Percentile


class SketchRow(Dict[str, Any]):
    """One bucket's sketch: a dict of count, sum, min, max and mean, which also carries
    its bins (``bins``, at most max_bins) and the ``mapping`` that made them, for merges
    and quantiles."""

    bins: Dict[str, int]
    mapping: sketch.Mapping
    _ranked: Optional[sketch.Ranked] = None   # its bins ranked, at its first quantile

    def stored(self) -> Dict[str, float]:
        """The row as a stored bucket (kairos.sketch's grammar): bins, count, sum, min, max."""
        return dict(self.bins, count=self['count'], sum=self['sum'], min=self['min'],
                    max=self['max'])

    def quantile(self, q: float) -> float:
        """The q-th percentile (0 <= q <= 100) of the values: see kairos.sketch.quantile."""
        if self._ranked is None:
            self._ranked = sketch.ranked(self.stored())
        return cast(float, self._ranked.quantile(q, self.mapping))


def read_row(stored: Any, mapping: sketch.Mapping, max_bins: int) -> Optional[SketchRow]:
    """A stored bucket (field -> number, or its str or bytes) as a row collapsed to
    ``max_bins``; None for a bucket without values."""
    try:
        numbers = {key: _stored(key, number) for key, number in stored.items()}
    except (TypeError, ValueError) as exc:
        raise DataConflict('a sketch bucket holds a field that is not a number: %s'
                           % _short(dict(stored))) from exc
    bucket = sketch.collapse(numbers, max_bins)
    bins = {key: int(count) for key, count in bucket.items() if key not in sketch.STATS}
    count = sum(bins.values())
    if not count:
        return None
    missing = [name for name in sketch.STATS if name not in bucket]
    if missing:
        raise DataConflict('a sketch bucket of %d values lacks %s' % (count, ', '.join(missing)))
    row = SketchRow(count=count, sum=bucket['sum'], min=bucket['min'], max=bucket['max'],
                    mean=bucket['sum'] / count)
    row.bins, row.mapping = bins, mapping
    return row


def merge_rows(rows: List[Any], mapping: sketch.Mapping, max_bins: int) -> Optional[SketchRow]:
    """The row of the union of the rows' values (None where none has any): bins, counts
    and sums added, the least min and the greatest max, then collapsed to ``max_bins``."""
    present = [row for row in rows if row]
    if not present:
        return None
    if len(present) == 1:
        return cast(SketchRow, present[0])
    return read_row(sketch.merge(*(row.stored() for row in present)), mapping, max_bins)


def _stored(key: str, number: Any) -> float:
    """A stored field's number: a float for sum, min and max, an int count for the others
    (stores that keep doubles hand counts over as floats or their strs); TypeError or
    ValueError for anything else."""
    kind = type(number)
    if kind is str or kind is bytes:
        number = float(number)   # float() reads bytes too
    elif kind is not int and kind is not float:
        raise TypeError(key)
    if key == 'sum' or key == 'min' or key == 'max':
        return float(number)
    return int(number) if type(number) is float and number.is_integer() else number


class Quantile(Percentile):
    """The transform ``p<q>`` of a sketch row: its :meth:`SketchRow.quantile`, None for
    an empty bucket."""

    def __call__(self, data: Any) -> Optional[float]:
        if data is None:
            return None
        if not isinstance(data, SketchRow):
            raise InvalidQuery('transform %s needs a sketch row, not %s'
                               % (self.__name__, _short(data)))
        return data.quantile(self.q)


# the named transforms of a sketch row: a summary's figures, and quantiles from its bins
TRANSFORMS: Dict[str, Callable[..., Any]] = dict(
    {name: SUMMARY_TRANSFORMS[name] for name in ('count', 'sum', 'min', 'max', 'mean', 'rate')},
    median=Quantile(50), **{PERCENTILES: Quantile})


class Sketch(SeriesType):
    """Each bucket keeps a DDSketch of its values: quantiles within ``relative_accuracy``,
    with their count, sum, min and max (see the module docstring).

    >>> hooks = Sketch(relative_accuracy=0.01)
    >>> row = hooks.process_row(hooks.merge([1, 1, 2, -3.5]))
    >>> row
    {'count': 4, 'sum': 0.5, 'min': -3.5, 'max': 2.0, 'mean': 0.125}
    >>> row.bins
    {'p0': 2, 'p35': 1, 'n63': 1}
    >>> row.quantile(50)   # the second of four values, 1, within 1 %
    0.99
    """

    name = 'sketch'
    transforms = TRANSFORMS

    def __init__(self, read_func: Optional[Callable[[Any], Any]] = None, *,
                 relative_accuracy: float = sketch.DEFAULT_RELATIVE_ACCURACY,
                 max_bins: int = sketch.DEFAULT_MAX_BINS):
        super().__init__(read_func)
        self.mapping = sketch.Mapping(relative_accuracy)
        if isinstance(max_bins, bool) or not isinstance(max_bins, int) or max_bins < 1:
            raise ConfigurationError('max_bins must be an int of at least 1, not %r'
                                     % (max_bins,))
        self.max_bins = max_bins

    def prepare(self, given: Any) -> float:
        value = _number(given) if isinstance(given, str) else given
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise InvalidValue('a sketch needs a number (or a str of one), not %s'
                               % _short(given))
        return sketch.checked(value)

    def merge(self, values: List[Any]) -> Dict[str, float]:
        """The stored fields of many prepared values of one bucket: bins and stats."""
        return sketch.bucket(values, self.mapping)

    def process_row(self, raw: Any) -> Optional[SketchRow]:
        """A stored bucket as a row (a row already read, as SQL delivers them, stays)."""
        if isinstance(raw, SketchRow):
            return raw
        return read_row(raw, self.mapping, self.max_bins)

    def no_value(self) -> None:
        return None

    def dumped(self, row: Any) -> Optional[Dict[str, float]]:
        """The stored fields: bins (``p231``: count), count, sum, min, max."""
        return None if row is None else row.stored()

    def restored(self, data: Any) -> Dict[str, float]:
        if not isinstance(data, dict) or not all(isinstance(key, str) for key in data):
            raise InvalidValue('a dumped sketch bucket is an object of bins and count, sum, '
                               'min, max, not %s' % _short(data))
        try:   # checked as a stored bucket is, every bin kept
            row = read_row(data, self.mapping, max_bins=len(data))
        except DataConflict as exc:
            raise InvalidValue('a dumped sketch bucket %s' % exc) from None
        if row is None:
            raise InvalidValue('a dumped sketch bucket holds no values: %s' % _short(data))
        for figure in ('sum', 'min', 'max'):
            self.prepare(row[figure])
        return row.stored()

    def condense(self, rows: List[Any]) -> Optional[SketchRow]:
        """The row of the union of the rows' values: see :func:`merge_rows`."""
        return merge_rows(rows, self.mapping, self.max_bins)
