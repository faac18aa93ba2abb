"""The write methods of a Timeseries, insert and bulk_insert, written once on a
backend's ``_check_value`` and ``_write``.

``Writes`` checks a call whole (:mod:`kairos.plan`), then hands the backend the
Writes of each bucket, a bulk insert in bounded pieces. ``Timeseries`` inherits
this mixin.
"""

from typing import (TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Mapping, Optional,
                    Tuple, TypeVar)

from .exceptions import InvalidValue, KairosException, StorageError, applied_before
from .intervals import Interval, check_timestamp
from .plan import (Pending, Write, bulk_groups, check_name, check_range, check_shift, merged,
                   plan, split_large)
from .steps import R, Steps

if TYPE_CHECKING:
    from .series_types import SeriesType

# A bulk insert is sent in pieces of whole timestamps, each of about this many values or
# this many writes (buckets of one name), times a backend's _bulk_pieces: on Redis a
# piece is one MULTI/EXEC or script, which the writes bound to tens of milliseconds.
BULK_CHUNK = 20000
BULK_WRITES = 4000

_Stamp = TypeVar('_Stamp', bound=Optional[float])
# bulk_insert's progress callback: (values stored so far, values in the call)
Progress = Callable[[int, int], None]


class Writes:
    """insert and bulk_insert of :class:`~kairos.timeseries.Timeseries`."""

    if TYPE_CHECKING:
        # what Timeseries and its backends provide
        _bulk_pieces: int
        _intervals: Dict[str, Interval]
        _type: SeriesType
        _write_func: Optional[Callable[[Any], Any]]
        _clock: Callable[[], float]

        def _check_value(self, value: Any) -> None: ...

        def _write(self, writes: List[Write], pipeline: Any = None) -> Steps[None]: ...

        def _run(self, steps: Steps[R]) -> R: ...

        def _run_write(self, steps: Steps[R]) -> R: ...

        _split_writes: bool

        def _timestamp(self, timestamp: Any) -> float: ...

    def insert(self, name: str, value: Any = None, timestamp: Optional[float] = None,
               intervals: int = 0, pipeline: Any = None) -> None:
        """Add ``value`` to the bucket of ``timestamp`` (default now) in every interval.

        A list, tuple or set of values is inserted as a bulk insert.
        ``intervals=N`` also writes the value into the N following buckets
        (preceding ones when negative), N at most MAX_SHIFT (:mod:`kairos.units`).
        A timestamp outside the range the intervals store raises InvalidTimestamp.
        """
        # (a name that is no str, which could not key bulk_insert's dict, _insert refuses)
        if value and isinstance(value, (list, tuple, set)) and isinstance(name, str):
            return self.bulk_insert({timestamp: {name: value}}, intervals, pipeline)
        steps = self._insert(name, value, timestamp, intervals, pipeline)
        return self._run_write(steps) if self._split_writes else self._run(steps)

    def _insert(self, name: str, value: Any, timestamp: Optional[float], intervals: int,
                pipeline: Any) -> Steps[None]:
        check_name(name)
        if isinstance(value, (list, tuple, set)):
            raise InvalidValue('insert needs at least one value, got %r' % (value,))
        value = self._prepare(self._type.default_value if value is None else value)
        shift = check_shift(intervals)
        timestamp = check_range(self._intervals.values(), self._timestamp(timestamp), shift)
        pending: Pending = {}
        plan(self._intervals.values(), timestamp, [(name, [value])], shift, pending)
        yield from self._write(merged(self._type.merge, pending), pipeline)

    def bulk_insert(self, inserts: Mapping[_Stamp, Mapping[str, Any]],
                    intervals: int = 0, pipeline: Any = None,
                    progress: Optional[Progress] = None) -> None:
        """Insert many points: ``{timestamp: {name: [value, ...]}}``.

        Everything is checked before anything is written; the writes are then
        merged per bucket and sent in pieces of about BULK_CHUNK values or
        BULK_WRITES buckets (five times that on SQL), each atomic on Redis (one
        MULTI/EXEC or script), a transaction on SQL. If a
        piece fails, the StorageError raised carries ``values_written``: how
        many values the earlier pieces stored (its ``applied`` is then True, or
        None where the failed piece's outcome is unknown). The input is read twice, to
        check then to plan, rather than copied, so memory stays flat (with a
        ``write_func``, its results are kept, so that it runs once a value;
        values that checking changed are checked again).

        ``progress(written, total)``, when given, is called once the input is checked
        (with 0 written) and after each piece is stored, with the values stored so far
        and the values in the call, e.g. to draw a progress bar.
        """
        return self._run_write(self._bulk_insert(inserts, intervals, pipeline, progress))

    def _bulk_insert(self, inserts: Mapping[Any, Mapping[str, Any]], intervals: int,
                     pipeline: Any, progress: Optional[Progress] = None) -> Steps[None]:
        shift = check_shift(intervals)
        now = self._clock()
        pure = not self._write_func
        configs = self._intervals.values()

        def check(timestamp: float) -> float:
            return check_range(configs, timestamp, shift)
        groups: Iterable[Tuple[float, Any, int, bool]]
        if self._write_func:
            groups = list(bulk_groups(inserts, now, self._prepare, keep=True, pure=pure,
                                      check=check))
            total = sum(group[2] for group in groups)
        else:
            as_given, total = True, 0
            # check it all
            for _, _, count, given in bulk_groups(inserts, now, self._prepare, keep=False,
                                                  pure=pure, check=check):
                as_given = as_given and given
                total += count
            # every value passed as it was given, in non-empty lists: plan from the input
            groups = ((now if timestamp is None else check_timestamp(timestamp),
                       by_name.items(), sum(map(len, by_name.values())), True)
                      for timestamp, by_name in inserts.items()) if as_given else \
                bulk_groups(inserts, now, self._prepare, keep=True, pure=pure)
        pending: Pending = {}
        size, writes, written = 0, 0, 0
        most_values, most_writes = BULK_CHUNK * self._bulk_pieces, BULK_WRITES * self._bulk_pieces
        # a name at one timestamp writes a bucket per interval and shift
        most_names = max(1, most_writes // max(1, len(configs) * (abs(shift) + 1)))
        if progress is not None:
            progress(0, total)
        try:
            for timestamp, named, count, _ in split_large(groups, most_values, most_names):
                writes += plan(self._intervals.values(), timestamp, named, shift, pending)
                size += count
                if size >= most_values or writes >= most_writes:
                    yield from self._write(merged(self._type.merge, pending), pipeline)
                    written += size
                    pending, size, writes = {}, 0, 0
                    if progress is not None:
                        progress(written, total)
            if pending:
                yield from self._write(merged(self._type.merge, pending), pipeline)
                if progress is not None:
                    progress(total, total)
        except KairosException as exc:
            if isinstance(exc, StorageError):
                exc.values_written = written
            if written:
                applied_before(exc, 'the earlier pieces of this bulk_insert stored %d values'
                               % written)
            raise

    def _prepare(self, value: Any) -> Any:
        if self._write_func:
            value = self._write_func(value)
        value = self._type.prepare(value)
        self._check_value(value)
        return value
