"""The SQL backend's class: SqlStore, which creates or completes its table, writes a
type's rows in one transaction (run again after a deadlock) and reads them back, as
steps whose I/O (``io.py``) is blocking or awaited."""

from collections import OrderedDict
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, TypeVar

import sqlalchemy
from sqlalchemy import sql, types as sqltypes

from ..exceptions import ConfigurationError, InvalidName, InvalidValue, KairosException, warn
from ..buckets import BucketFormat
from ..intervals import GregorianTime, Interval
from ..steps import Steps
from ..timeseries import Core, Timeseries, Write, typed_classes
from .errors import (CallError, _driver_error, _rolled_back, in_callers_transaction,
                     kairos_error)
from .io import is_async, sql_io
from .rows import OPS, collect_named, finish, resolution_scale, write_rows
from .schema import Check, checker, column_type, define_table, no_check
from .statements import (Compiled, for_driver, insert_for, lock_order, select, sort_rows,
                         upsert)

_T = TypeVar('_T')
RETRIES = 8

# column types (as reflected) that psycopg reads alike in binary and text format
_SAME_IN_BINARY = {'BIGINT', 'INTEGER', 'SMALLINT', 'DOUBLE_PRECISION', 'VARCHAR', 'TEXT',
                   'BYTEA'}


class SqlStore(Core[Any]):
    """Timeseries stored in SQL through an SQLAlchemy ``Engine`` (or, on kairos.asyncio,
    an ``AsyncEngine``); see the package docstring.

    >>> engine = sqlalchemy.create_engine('sqlite:///kairos.db')
    >>> t = Timeseries(engine, type='count', intervals={'minute': {'step': 60, 'steps': 120}})

    One ``insert`` is one transaction over every interval; ``pipeline=`` takes
    an open ``Connection`` (an ``AsyncConnection`` on asyncio) and runs the
    writes in its transaction, uncommitted. ``fetch(connection, statement)``
    replaces the read: it returns the rows (name, i_time, r_time, data
    columns) the SELECT ``statement`` selects (on asyncio, given an
    ``AsyncConnection``, it may return an awaitable of them).
    The table is created or completed, and its columns read, by ``_setup``:
    as the Timeseries is built, or on asyncio before its first call.
    """

    _rows_final = True  # see the collect functions in rows.py
    # a piece is a transaction: 100,000 values hold a bucket's row locks (SQLite: the file)
    # for about half a second, and spare four in five commits, each a disk flush
    _bulk_pieces = 5

    # set by _setup, from the table as the database has it
    _table: Any
    _columns: Dict[str, Any]
    _check: Check
    _convert: Optional[Callable[[Any], Any]]
    _upserts: Dict[bool, Compiled]
    _selects: Dict[Tuple[int, bool, bool], Compiled]
    _read_committed: bool
    _binary: bool

    @staticmethod
    def accepts(client: Any) -> bool:
        """Whether ``client`` is an SQLAlchemy Engine or AsyncEngine."""
        return isinstance(client, sqlalchemy.engine.Engine) or is_async(client)

    def __init__(self, client: Any, prefix: Optional[str] = None, string_length: int = 255,
                 text_length: int = 32 * 1024, table_name: Optional[str] = None,
                 value_type: Any = float, **kwargs: Any):
        super().__init__(client, **kwargs)
        self._check_io(client, is_async(client))
        if prefix:
            warn('prefix %r is ignored on SQL: use table_name' % (prefix,))
        for what, number in (('string_length', string_length), ('text_length', text_length)):
            if isinstance(number, bool) or not isinstance(number, int) or number <= 0:
                raise ConfigurationError('%s must be a positive integer, not %r'
                                         % (what, number))
        self._op = OPS[self._type.name]
        table_name = self._op.table if table_name is None else table_name
        if not isinstance(table_name, str) or not table_name:
            raise ConfigurationError('table_name must be a non-empty str, not %r'
                                     % (table_name,))
        self._engine = client
        self._io = sql_io(client)
        self._dialect = client.dialect.name
        self._mysql = self._dialect in ('mysql', 'mariadb')
        if self._op.on_conflict is not None:
            insert_for(self._dialect)   # refuses a dialect without an upsert kairos knows
        self._table_args = (table_name, self._op.columns, self._op.by_value,
                            self._op.on_conflict is None, string_length,
                            column_type(value_type, string_length, text_length))
        # the columns of the rows write_rows makes, in their order
        self._row_columns = ('name', 'interval', 'i_time', 'r_time') + \
            (('value', 'insert_time') if self._op.on_conflict is None else self._op.columns) \
            + ('w_time',)
        self._order = lock_order(self._op, self._dialect)
        self._start(self._setup)

    # -- the schema ----------------------------------------------------------

    def _setup(self) -> Steps[None]:
        """Create or complete the table, and read its columns: what the value column
        holds decides the checks of values, and how statements are made."""
        dialect = self._engine.dialect
        # upserts only (a series' plain inserts check no unique key); and on MariaDB/MySQL
        # the dialect knows MariaDB from MySQL once this has connected
        logged = self._mysql and (yield from self._call(self._io.rows_logged))
        self._read_committed = bool(logged) and self._op.on_conflict is not None
        mariadb = getattr(dialect, 'is_mariadb', False)
        table = define_table(*self._table_args,
                             'mariadb' if mariadb else 'mysql' if self._mysql else None)
        columns, stale = yield from self._call(self._io.prepare, table, self._mysql)
        if stale:
            yield from self._call(self._io.dispose)
        # the column values go to, if any (a distinct table stores registers)
        column = columns.get('value' if 'value' in self._op.columns else 'count')
        self._check, self._convert = checker(column)
        if isinstance(column, sqltypes.Float) and 'value' not in self._op.columns:
            self._check = no_check  # a float count column takes every number a count takes
        self._upserts = {coarse: for_driver(upsert(table, self._op, self._dialect, coarse),
                                            table, self._op, dialect)
                         for coarse in (True, False)}
        self._selects = {}
        # psycopg parses rows in binary format a fifth faster than as text, for the column
        # types it decodes the same either way (REAL or CITEXT it would not)
        self._binary = dialect.driver == 'psycopg' and all(
            columns[c].__visit_name__.upper() in _SAME_IN_BINARY
            for c in ('name', 'i_time', 'r_time') + self._op.columns)
        self._columns, self._table = columns, table

    # -- storage primitives --------------------------------------------------

    def _check_value(self, value: Any) -> None:
        wanted = self._check(value)
        if wanted:
            raise InvalidValue('%s cannot store %r: the column takes %s'
                               % (self._table.name, value, wanted))

    def _write(self, writes: List[Write], pipeline: Any = None) -> Steps[None]:
        rows: Dict[bool, List[Any]] = {True: [], False: []}
        for name in {write.name for write in writes}:
            self._check_name(name)
        kind, convert, now = self._type.name, self._convert, float(self._clock())
        for write in writes:
            # MariaDB/MySQL: one statement and one unique index for rows with and without
            # r_time, so one batch, in one lock order
            write_rows(kind, write, convert, now,
                       rows[write.interval.coarse and not self._mysql])
        batches = [(self._upserts[coarse], batch) for coarse, batch in rows.items() if batch]
        if self._order is not None:
            for _, batch in batches:
                sort_rows(batch, self._order)
        columns = self._row_columns
        for index, ((statement, text, order), batch) in enumerate(batches):
            if text is None or order is None:   # parameters by name
                batches[index] = ((statement, text, order),
                                  [dict(zip(columns, row)) for row in batch])
            elif list(order) != list(columns):
                where = [columns.index(key) for key in order]
                batches[index] = ((statement, text, order),
                                  [tuple([row[i] for i in where]) for row in batch])
        if pipeline is not None:
            if not isinstance(pipeline, self._io.connection):
                raise InvalidValue('pipeline= takes an SQLAlchemy %s%s, not %r' % (
                    self._io.connection.__name__, ' (an asyncio Connection)'
                    if self._awaits else '', pipeline))
            for done in range(len(batches)):
                try:
                    yield from self._call(self._io.execute, pipeline, batches[done:done + 1],
                                          write=True, callers=True)
                except KairosException as exc:
                    in_callers_transaction(exc, done)
                    raise
            return None
        for attempt in range(RETRIES):
            try:
                yield (self._io.write, batches, self._read_committed)
                return None
            except CallError as exc:
                if attempt + 1 == RETRIES or not _rolled_back(exc):
                    failure = exc
                    break
            yield (self._io.sleep, 0.005 * 2 ** attempt)
        raise kairos_error(failure, True, self._dialect, self._engine.url) \
            from _driver_error(failure)

    def _read(self, interval: Interval, names: List[str], buckets: List[int],
              fetch: Optional[Callable[..., Any]]) -> Steps[Dict[str, List[Any]]]:
        for name in names:
            self._check_name(name)
        first, last = buckets[0], buckets[-1]
        scale, gregorian = resolution_scale(interval)
        rval: Dict[str, List[Any]] = {name: [OrderedDict() for _ in buckets] for name in names}
        cells = {name: dict(zip(buckets, row)) for name, row in rval.items()}
        params: Dict[str, Any] = {'interval': interval.name, 'first': first, 'last': last}
        params.update(('n%d' % i, name) for i, name in enumerate(rval))
        if interval.expire:
            params.update(self._retention(interval, self._clock()))
        # one name reads rows without the name column (a fifth of the query's time), but
        # where the database may match other names too (MariaDB/MySQL compare names by
        # collation: in a 0.10.1 table 'a' = 'A ') rows are kept by their name
        named = len(rval) if fetch is not None or len(rval) > 1 or self._mysql else 0
        statement, text, positions = self._select((named, first == last,
                                                   bool(interval.expire)))
        call: Tuple[Any, ...]
        if fetch is not None:
            call = (self._io.fetch, fetch, statement.params(params))
        else:
            call = (self._io.select, statement, params, text,
                    params if positions is None else tuple(params[p] for p in positions),
                    self._binary)
        rows = yield from self._call(*call, again=True)
        if not named:
            self._op.collect(rows, scale, cells[names[0]])
        else:
            collect_named(rows, self._op.collect, scale, cells)
        if self._op.fields:   # each bucket's fields gathered: the type reads them
            read = self._type.process_row
            for by_time in cells.values():
                for cell in by_time.values():
                    for r_time, fields in cell.items():   # (values replaced, keys kept)
                        cell[r_time] = read(fields)
        finish(rval, interval, gregorian)
        return rval

    def _delete(self, name: str) -> Steps[int]:
        self._check_name(name)
        t = self._table
        names = [t.c.name == name]
        if self._mysql:  # byte for byte too: a 0.10.1 table's collation has 'a' = 'A '
            names.append(sql.cast(t.c.name, sqltypes.BINARY)
                         == sql.cast(sql.literal(name), sqltypes.BINARY))
        return self._delete_rows(names)

    def _delete_rows(self, names: List[Any]) -> Steps[int]:
        """Delete the rows of the names ``names`` selects whose buckets are in their
        interval's format (kairos.buckets): a calendar bucket a real date, week, month
        or year, a resolution exactly where the interval has one; in one transaction."""
        t, statements = self._table, []
        for interval in self._intervals.values():
            where = names + [t.c.interval == interval.name,
                             t.c.r_time.is_(None) if interval.coarse else t.c.r_time.isnot(None)]
            for column, calc in ((t.c.i_time, interval.i_calc), (t.c.r_time, interval.r_calc)):
                if (column is t.c.i_time or not interval.coarse) and \
                        isinstance(calc, GregorianTime):
                    found = yield from self._call(
                        self._io.rows, sql.select(column).distinct().where(*where))
                    valid = BucketFormat(calc).valid
                    where.append(column.in_([bucket for bucket, in found
                                             if valid(str(bucket))]))
            statements.append(t.delete().where(*where))
        removed: int = yield from self._call(self._io.transaction, *statements, write=True)
        return removed

    def _list_names(self) -> Steps[Iterable[str]]:
        t = self._table
        statement = sql.select(t.c.name).distinct().where(
            t.c.interval.in_(list(self._intervals)))
        rows = yield from self._call(self._io.rows, statement)
        return {row[0] for row in rows}

    def _extent(self, name: str) -> Steps[Dict[str, Tuple[int, int]]]:
        t = self._table
        self._check_name(name)
        statement = sql.select(t.c.interval, sql.func.min(t.c.i_time),
                               sql.func.max(t.c.i_time)).where(
            t.c.name == name, t.c.interval.in_(list(self._intervals))).group_by(t.c.interval)
        rows = yield from self._call(self._io.rows, statement)
        return {interval: (int(first), int(last)) for interval, first, last in rows}

    def _delete_all(self) -> Steps[int]:
        return self._delete_rows([])

    def _expire(self, name: Optional[str], now: float) -> Steps[int]:
        """Delete the rows whose buckets are past their interval's retention, of ``name``
        or of every name, in one transaction; return how many went."""
        if name is not None:
            self._check_name(name)
        retentions = [(interval.name, self._retention(interval, now))
                      for interval in self._intervals.values() if interval.expire]
        return self._call(self._io.expire, self._table, name, retentions, write=True)

    # -- helpers -------------------------------------------------------------

    def _select(self, shape: Tuple[int, bool, bool]) -> Compiled:
        """The SELECT of a read's shape, (names, one bucket, within retention only): see
        statements.select; built once per shape."""
        if shape not in self._selects:
            self._selects[shape] = select(self._table, self._op, self._engine.dialect, *shape)
        return self._selects[shape]

    @staticmethod
    def _retention(interval: Interval, now: float) -> Dict[str, Any]:
        """The binds of statements.kept at ``now``: a bucket is kept while a row of it was
        written within the interval's lifetime (``steps * step``) before ``now``; a 0.10.1
        row (no w_time) while its bucket is one of the ``steps`` buckets before now's."""
        calc, expire, steps = interval.i_calc, interval.expire, interval.steps
        assert expire is not None and steps is not None
        return {'fresh': now - expire, 'cutoff': calc.shift(calc.bucket(now), -steps)}

    def _check_name(self, name: str) -> str:
        if self._dialect == 'postgresql' and '\0' in name:
            raise InvalidName('PostgreSQL cannot store the name %r: it holds a NUL character'
                              % (name,))
        return name

    def _call(self, *call: Any, write: bool = False, callers: bool = False,
              again: bool = False) -> Steps[Any]:
        """Make the ``call`` (function, *args), translating its errors; ``write``:
        it writes, ``callers``: in the caller's transaction (``pipeline=``), ``again``: a
        read, run once more if it finds its pooled connection dead (the server restarted
        or killed it), since it changed nothing."""
        for attempt in range(2 if again else 1):
            try:
                return (yield call)
            except CallError as exc:
                failure = exc
                if attempt or not getattr(exc, 'connection_invalidated', False):
                    break
        # raised outside the except, from the driver's own error: a chain of two, not three
        raise kairos_error(failure, write, self._dialect, self._engine.url, callers) \
            from _driver_error(failure)


class SqlBackend(SqlStore, Timeseries[Any]):
    """A SQL timeseries with blocking I/O: see :class:`SqlStore`."""


STORE = SqlStore
(SqlSeries, SqlHistogram, SqlCount, SqlGauge, SqlSet, SqlSummary,
 SqlDistinct, SqlSketch) = typed_classes(SqlBackend)
