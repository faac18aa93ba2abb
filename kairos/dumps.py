"""Every stored bucket as plain records, and records written back: dump and restore.

A record is one bucket of one name in one interval, as JSON takes it::

    {"name": "hits", "interval": "hour", "time": 1700000000, "resolution": 1700000060,
     "type": "count", "data": 12}

``time`` is the interval bucket's start (UTC seconds); ``resolution`` the
resolution bucket's start, present only for an interval with a resolution;
``data`` is what the type's ``dumped`` makes of the bucket read without
``read_func`` (a count's number, a series' list of values, a histogram's
``[[value, count], ...]``, a summary's stored fields, ...). A count bucket of 0
is dumped where the store holds one (Redis keeps no counter for 0, so neither
writes nor restores one).

``restore`` writes each record's bucket as a bulk insert writes a bucket: its
merged data added to what the bucket holds (counts add, sets unite, gauges are
replaced), in pieces of RESTORE_WRITES buckets, each atomic where the store's
writes are. Restoring a dump into an empty store of the same intervals gives
back every read; retention (``steps``) starts again from the restore, as for
any write. A record that is not a bucket of this configuration (unknown
interval, another type, bad data) raises InvalidValue or UnknownInterval
naming its position; the pieces before it stay written, and the error says how
many records they held (``records_written``).
"""

import copy
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, Optional

from .exceptions import InvalidValue, KairosException, applied_before
from .plan import Write, check_name
from .reads import ReadHooks
from .series_types import MISSING
from .steps import R, Steps

if TYPE_CHECKING:
    from .intervals import Interval
    from .queries import Query
    from .series_types import SeriesType

# buckets read per round trip while dumping, and written per piece while restoring
DUMP_PAGE = 1000
RESTORE_WRITES = 2000

Record = Dict[str, Any]


class Dumps:
    """``dump`` and ``restore`` of :class:`~kairos.timeseries.Timeseries`.

    >>> from kairos import Timeseries
    >>> t = Timeseries('sqlite://', type='count', intervals={'minute': {'step': 60}})
    >>> t.insert('hits', 3, timestamp=1700000000)
    >>> records = list(t.dump())
    >>> records
    [{'name': 'hits', 'interval': 'minute', 'time': 1699999980, 'type': 'count', 'data': 3}]
    >>> other = Timeseries('sqlite://', type='count', intervals={'minute': {'step': 60}})
    >>> other.restore(records)
    1
    >>> other.get('hits', 'minute', timestamp=1700000000)
    OrderedDict([(1699999980, 3)])
    """

    if TYPE_CHECKING:
        _intervals: Dict[str, Interval]
        _type: SeriesType

        def _run(self, steps: Steps[R]) -> R: ...

        def _run_write(self, steps: Steps[R]) -> R: ...

        def _list_names(self) -> Steps[Iterable[str]]: ...

        def _extent_buckets(self, name: str, config: Interval) -> Steps[Iterable[int]]: ...

        def _query(self, config: Interval, names: List[str], buckets: List[int],
                   fetch: Any, hooks: ReadHooks) -> Query: ...

        def _read(self, interval: Interval, names: List[str], buckets: List[int],
                  fetch: Any) -> Steps[Dict[str, List[Any]]]: ...

        def _rows(self, query: Query, raw: Dict[str, List[Any]]) -> List[Any]: ...

        def _write(self, writes: List[Write], pipeline: Any = None) -> Steps[None]: ...

    def dump(self, names: Optional[Iterable[str]] = None) -> Iterator[Record]:
        """Every stored bucket of ``names`` (default: every name ``list()`` gives), name
        by name, interval by interval, in time order, as records (see the module
        docstring). Buckets are read DUMP_PAGE at a time, so memory stays flat."""
        chosen = sorted(self._run(self._list_names())) if names is None else list(names)
        bare = copy.copy(self._type)
        bare.read_func = None   # the stored values, whatever the configuration reads
        hooks = ReadHooks(bare, None, False, False, bare.process_row, None)
        for name in chosen:
            check_name(name)
            for config in self._intervals.values():
                page: List[int] = []
                for bucket in self._run(self._extent_buckets(name, config)):
                    page.append(bucket)
                    if len(page) == DUMP_PAGE:
                        yield from self._dump_page(name, config, page, hooks, bare)
                        page = []
                if page:
                    yield from self._dump_page(name, config, page, hooks, bare)

    def _dump_page(self, name: str, config: 'Interval', buckets: List[int], hooks: ReadHooks,
                   bare: 'SeriesType') -> Iterator[Record]:
        query = self._query(config, [name], buckets, None, hooks)
        rows = self._run(self._dump_rows(query))
        for bucket, row in zip(buckets, rows):
            if row is MISSING:
                continue
            time = config.i_calc.from_bucket(bucket)
            for r_time, data in ([(None, row)] if config.coarse else row.items()):
                dumped = None if data is MISSING else bare.dumped(data)
                if dumped is not None:
                    yield _record(name, config.name, time, r_time, bare.name, dumped)

    def _dump_rows(self, query: 'Query') -> Steps[List[Any]]:
        raw = yield from self._read(*query.read)
        return self._rows(query, raw)

    def restore(self, records: Iterable[Record],
                progress: Optional[Callable[[int], None]] = None) -> int:
        """Write the buckets of ``records`` (as ``dump`` gives them); return how many.

        ``progress(written)``, when given, is called after each piece with the
        records written so far.
        """
        pending: List[Write] = []
        written = 0

        def flush() -> None:
            nonlocal written
            self._run_write(self._write(pending))
            written += len(pending)
            pending.clear()
            if progress is not None:
                progress(written)
        try:
            for position, record in enumerate(records):
                pending.append(self._restore_write(position, record))
                if len(pending) == RESTORE_WRITES:
                    flush()
            if pending:
                flush()
        except KairosException as exc:
            exc.records_written = written  # type: ignore[attr-defined]
            if written:
                applied_before(exc, 'the earlier pieces of this restore wrote %d records'
                               % written)
            raise
        return written

    def _restore_write(self, position: int, record: Any) -> Write:
        """The Write of one record, checked whole."""
        where = 'record %d' % (position + 1)
        if not isinstance(record, dict) or not {'name', 'interval', 'time', 'data'} <= set(
                record):
            raise InvalidValue('%s is not a dumped bucket (name, interval, time, data): %r'
                               % (where, record))
        if record.get('type', self._type.name) != self._type.name:
            raise InvalidValue('%s holds a %s bucket; this timeseries stores %ss'
                               % (where, record['type'], self._type.name))
        config = self._intervals.get(record['interval'])
        if config is None:
            raise InvalidValue('%s is of the interval %r, which this timeseries does not have '
                               '(it has %s)' % (where, record['interval'],
                                                ', '.join(self._intervals)))
        try:
            name = check_name(record['name'])
            i_bucket = config.check(record['time'])
            r_time = record.get('resolution')
            if config.coarse != (r_time is None):
                raise InvalidValue('a bucket of %r %s a resolution time' % (
                    config.name, 'has no' if config.coarse else 'needs'))
            r_bucket = None
            if r_time is not None:
                r_bucket = config.r_calc.check(r_time, 'interval %r' % config.name)
                if config.i_calc.bucket(r_time) != i_bucket:
                    raise InvalidValue('its resolution time %r is outside its bucket'
                                       % (r_time,))
            payload = self._type.restored(record['data'])
        except KairosException as exc:
            raise type(exc)('%s: %s' % (where, exc)) from exc
        return Write(config, name, i_bucket, r_bucket, payload)


def _record(name: str, interval: str, time: int, r_time: Optional[int], kind: str,
            data: Any) -> Record:
    record: Record = {'name': name, 'interval': interval, 'time': time}
    if r_time is not None:
        record['resolution'] = r_time
    record['type'] = kind
    record['data'] = data
    return record
