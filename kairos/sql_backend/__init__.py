"""SQL storage through SQLAlchemy 2 Core, compatible with kairos 0.10.1's tables.

One table per type, shared by every interval (``table_name`` overrides the name)::

    series     name, interval, insert_time, i_time, r_time, value    a row per value
    histogram  name, interval, i_time, r_time, value, count          a row per distinct value
    count      name, interval, i_time, r_time, count                 a row per bucket
    gauge      name, interval, i_time, r_time, value                 a row per bucket
    set        name, interval, i_time, r_time, value                 a row per member

    name, interval := VARCHAR(string_length) NOT NULL
    i_time         := BIGINT NOT NULL    floor(t / step) | YYYYMMDD | YYYYWW | YYYYMM | YYYY (UTC)
    r_time         := BIGINT NULL        the resolution bucket; NULL without a resolution
    insert_time    := DOUBLE NOT NULL    orders the values of a series bucket
    value          := value_type NOT NULL (default DOUBLE PRECISION)
    count          := DOUBLE PRECISION NOT NULL (count) | INTEGER NOT NULL (histogram)

Unique keys, on which every write but a series' lands as a native upsert:
``<table>_unique`` (name, interval, i_time, r_time[, value]) as in 0.10.1, and,
since NULLs never collide, ``<table>_unique_null``: on PostgreSQL and SQLite a
partial unique index on (name, interval, i_time[, value]) WHERE r_time IS NULL,
on MariaDB/MySQL a unique index on (name, interval, i_time, r_key[, value]) over
a virtual column r_key = COALESCE(r_time, -2**63). Tables 0.10.1 created get the
missing index (and column) added. Series has ``<table>_read`` on
(name, interval, i_time).

Retention: SQL has no TTL. With ``steps``, a bucket reads as empty once
``steps`` whole buckets have passed after it (by the Timeseries clock), and
``expire()`` deletes such rows (``_expire`` here).

This module does the I/O; ``schema.py`` draws the tables and knows what each
column can hold.
"""

import re
import sys
import threading
import time
from collections import OrderedDict
from functools import partial
from itertools import groupby
from operator import itemgetter
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Tuple, TypeVar

import sqlalchemy
from sqlalchemy import BigInteger, exc as sa_exc, sql, types as sqltypes

from ..exceptions import (AuthenticationError, ConfigurationError, DataConflict, InvalidName,
                          InvalidValue, StorageError, StorageUnavailable, warn)
from ..intervals import Interval, RelativeTime
from ..series_types import MISSING
from ..timeseries import Timeseries, Write, typed_classes
from .schema import NULL_BUCKET, checker, column_type, define_table, no_check, plain


# Each collect(rows, scale, cells) puts one name's rows into ``cells``: {i_time:
# OrderedDict {r_time * scale: data}}, or {None: data} where ``scale`` is None (an interval
# without resolution), skipping rows of other buckets. A row is (i_time, r_time, data
# columns); the data is what the type's process_row makes of it without read_func.

_T = TypeVar('_T')
# (statement, its SQL for the driver or None, the order of its parameters or None)
Compiled = Tuple[Any, Optional[str], Optional[Tuple[str, ...]]]


def _collect_values(rows: Iterable[Any], scale: Optional[int], cells: Dict[Any, Any],
                    kind: Any = list) -> None:
    """[value, ...] per bucket, in the rows' order (a series); {value, ...} with ``kind``
    set (a set)."""
    add = kind.append if kind is list else kind.add
    for i_time, r_time, value in rows:
        cell = cells.get(i_time)
        if cell is not None:
            r_time = None if scale is None or r_time is None else r_time * scale
            if r_time in cell:
                add(cell[r_time], value)
            else:
                cell[r_time] = kind((value,))


def _collect_histograms(rows: Iterable[Any], scale: Optional[int],
                        cells: Dict[Any, Any]) -> None:
    """{value: count} per bucket."""
    for i_time, r_time, value, count in rows:
        cell = cells.get(i_time)
        if cell is not None:
            r_time = None if scale is None or r_time is None else r_time * scale
            counts = cell.get(r_time)
            if counts is None:
                counts = cell[r_time] = {}
            counts[value] = counts.get(value, 0) + int(count)


def _collect_counts(rows: Iterable[Any], scale: Optional[int], cells: Dict[Any, Any]) -> None:
    """The count per bucket, integral counts as int; repeated rows add up."""
    for i_time, r_time, count in rows:
        cell = cells.get(i_time)
        if cell is not None:
            if count.__class__ is float and count.is_integer():
                count = int(count)
            r_time = None if scale is None or r_time is None else r_time * scale
            if r_time in cell:
                cell[r_time] += count
            else:
                cell[r_time] = count


def _collect_last(rows: Iterable[Any], scale: Optional[int], cells: Dict[Any, Any]) -> None:
    """A gauge's value per bucket; of repeated rows, the last."""
    for i_time, r_time, value in rows:
        cell = cells.get(i_time)
        if cell is not None:
            cell[None if scale is None or r_time is None else r_time * scale] = value


class Op(NamedTuple):
    """How one type writes and reads its table."""
    table: str
    columns: Tuple[str, ...]  # data columns read after name, i_time, r_time
    by_value: bool            # the value is part of a bucket's unique key
    # (table, new row) -> SET clause; None: plain inserts
    on_conflict: Optional[Callable[[Any, Any], Dict[str, Any]]]
    collect: Callable[..., None]  # (rows read, scale, cells): see _collect_values


# type -> Op: the one place the backend depends on the type
OPS = {
    'series': Op('series', ('value',), False, None, _collect_values),
    'histogram': Op('histogram', ('value', 'count'), True,
                    lambda t, new: {'count': t.c['count'] + new['count']}, _collect_histograms),
    'count': Op('count', ('count',), False,
                lambda t, new: {'count': t.c['count'] + new['count']}, _collect_counts),
    'gauge': Op('gauge', ('value',), False, lambda t, new: {'value': new['value']},
                _collect_last),
    'set': Op('set', ('value',), True, lambda t, new: {}, partial(_collect_values, kind=set)),
}

# driver errors after which a transaction was certainly rolled back, so it may run again
_RETRY_CODES = {1213, 1205, '40P01', '40001'}
RETRIES = 8
_STAMP_LOCK, _LAST_STAMP = threading.Lock(), [0.0]


class SqlBackend(Timeseries[Any]):
    """Timeseries stored in SQL through an SQLAlchemy ``Engine``; see the package docstring.

    >>> engine = sqlalchemy.create_engine('sqlite:///kairos.db')
    >>> t = Timeseries(engine, type='count', intervals={'minute': {'step': 60, 'steps': 120}})

    One ``insert`` is one transaction over every interval; ``pipeline=`` takes
    an open ``Connection`` and runs the writes in its transaction, uncommitted.
    ``fetch(connection, statement)`` replaces the read: it returns the rows
    (name, i_time, r_time, data columns) the SELECT ``statement`` selects.
    """

    _rows_final = True  # see the collect functions
    # a piece is a transaction: 100,000 values hold a bucket's row locks (SQLite: the file)
    # for about half a second, and spare four in five commits, each a disk flush
    _bulk_pieces = 5

    @staticmethod
    def accepts(client: Any) -> bool:
        """Whether ``client`` is an SQLAlchemy Engine."""
        return isinstance(client, sqlalchemy.engine.Engine)

    def __init__(self, client: Any, prefix: Optional[str] = None, string_length: int = 255,
                 text_length: int = 32 * 1024, table_name: Optional[str] = None,
                 value_type: Any = float, **kwargs: Any):
        super().__init__(client, **kwargs)
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
        self._dialect = client.dialect.name
        self._mysql = self._dialect in ('mysql', 'mariadb')
        if self._mysql:  # the dialect knows MariaDB from MySQL once it has connected
            self._call(lambda: self._engine.connect().close())
        mariadb = getattr(client.dialect, 'is_mariadb', False)
        self._table = define_table(table_name, self._op.columns, self._op.by_value,
                                   self._op.on_conflict is None, string_length,
                                   column_type(value_type, string_length, text_length),
                                   'mariadb' if mariadb else 'mysql' if self._mysql else None)
        self._call(self._create)
        column = self._columns['value' if 'value' in self._op.columns else 'count']
        self._check, self._convert = checker(column)
        if isinstance(column, sqltypes.Float) and 'value' not in self._op.columns:
            self._check = no_check  # a float count column takes every number a count takes
        # the columns of the rows _params makes, in their order
        self._row_columns = ('name', 'interval', 'i_time', 'r_time') + \
            (('value', 'insert_time') if self._op.on_conflict is None else self._op.columns)
        self._upserts = {coarse: self._compiled(self._upsert(coarse))
                         for coarse in (True, False)}
        self._selects: Dict[Tuple[int, bool], Compiled] = {}
        # psycopg parses rows in binary format a fifth faster than as text, for the column
        # types it decodes the same either way (REAL or CITEXT it would not)
        self._binary = client.dialect.driver == 'psycopg' and all(
            self._columns[c].__visit_name__.upper() in _SAME_IN_BINARY
            for c in ('name', 'i_time', 'r_time') + self._op.columns)

    # -- the schema ----------------------------------------------------------

    def _create(self) -> None:
        """Create the table, or add to a 0.10.1 table what this version needs."""
        table = self._table
        failed = None
        try:
            with self._engine.begin() as connection:
                changed = not sqlalchemy.inspect(connection).has_table(table.name)
                table.create(connection, checkfirst=True)
        except sa_exc.DBAPIError as exc:
            if exc.connection_invalidated or _refuses_credentials(exc.orig):
                raise   # not reached, or refused: nothing more to ask
            failed, changed = exc, False
        if failed is not None:   # checked outside the except: its error would chain to this
            with self._engine.connect() as connection:  # another process created it meanwhile?
                if not sqlalchemy.inspect(connection).has_table(table.name):
                    raise failed
        with self._engine.connect() as connection:
            inspector = sqlalchemy.inspect(connection)
            self._columns: Dict[str, Any] = {
                c['name']: c['type'] for c in inspector.get_columns(table.name)}
            have = {i['name'] for i in inspector.get_indexes(table.name)}
            have |= {c['name'] for c in inspector.get_unique_constraints(table.name)}
            missing = [i for i in table.indexes if i.name not in have]
        if missing:
            changed = True
            self._add_to_old_table(missing)
        if changed and self._dialect == 'sqlite' and self._engine.url.database not in (
                None, '', ':memory:'):
            # pooled SQLite connections can prepare statements against the schema they
            # loaded before this DDL (an upsert then finds no unique index): reconnect them
            self._engine.dispose()

    def _add_to_old_table(self, missing: List[Any]) -> None:
        table = self._table
        quote = self._engine.dialect.identifier_preparer.quote
        for index in missing:
            try:
                with self._engine.begin() as connection:
                    if self._mysql and 'r_key' not in self._columns:
                        connection.exec_driver_sql(
                            'ALTER TABLE %s ADD COLUMN r_key BIGINT AS (coalesce(r_time, %d)) '
                            'VIRTUAL' % (quote(table.name), NULL_BUCKET))
                        self._columns['r_key'] = BigInteger()
                    index.create(connection)
                continue
            except sa_exc.DBAPIError as exc:
                if exc.connection_invalidated or _refuses_credentials(exc.orig):
                    raise
                failed = exc
            # checked outside the except: an error here would chain to the one before
            with self._engine.connect() as connection:
                inspector = sqlalchemy.inspect(connection)
                if index.name in {i['name'] for i in inspector.get_indexes(table.name)}:
                    continue    # another process created it meanwhile
            if isinstance(failed, sa_exc.IntegrityError):
                raise DataConflict('table %s holds several rows for one bucket (0.10.1 '
                                   'wrote them concurrently): merge them, then retry: %s'
                                   % (table.name, failed.orig)) from failed
            raise failed

    def _upsert(self, coarse: bool) -> Any:
        table, op = self._table, self._op
        insert: Any
        if self._dialect == 'postgresql':
            from sqlalchemy.dialects.postgresql import insert
        elif self._dialect == 'sqlite':
            from sqlalchemy.dialects.sqlite import insert
        elif self._mysql:
            from sqlalchemy.dialects.mysql import insert
        else:
            insert = sqlalchemy.insert
        statement = insert(table)
        if op.on_conflict is None:
            return statement
        if self._mysql:
            return statement.on_duplicate_key_update(
                op.on_conflict(table, statement.inserted) or {'value': table.c.value})
        if insert is sqlalchemy.insert:
            raise ConfigurationError('the %s dialect has no upsert kairos knows: use SQLite, '
                                     'PostgreSQL, MariaDB or MySQL' % self._dialect)
        key = [table.c.name, table.c.interval, table.c.i_time] + \
            ([] if coarse else [table.c.r_time]) + ([table.c.value] if op.by_value else [])
        where = table.c.r_time.is_(None) if coarse else None
        update = op.on_conflict(table, statement.excluded)
        if not update:
            return statement.on_conflict_do_nothing(index_elements=key, index_where=where)
        return statement.on_conflict_do_update(index_elements=key, index_where=where,
                                               set_=update)

    def _compiled(self, statement: Any) -> Compiled:
        """(statement, its SQL if the driver takes our parameters as they are, their order)."""
        keys = [c.name for c in self._table.c if c.name in ('name', 'interval', 'i_time',
                                                           'r_time', 'insert_time')
                or c.name in self._op.columns]
        if not all(plain(self._table.c[key].type) for key in keys):
            return statement, None, None
        compiled = statement.compile(dialect=self._engine.dialect, column_keys=keys)
        return (statement,) + self._driver_sql(compiled)

    # -- storage primitives --------------------------------------------------

    def _check_value(self, value: Any) -> None:
        wanted = self._check(value)
        if wanted:
            raise InvalidValue('%s cannot store %r: the column takes %s'
                               % (self._table.name, value, wanted))

    def _write(self, writes: List[Write], pipeline: Any = None) -> None:
        rows: Dict[bool, List[Any]] = {True: [], False: []}
        for name in {write.name for write in writes}:
            self._check_name(name)
        for write in writes:
            self._params(write, rows[write.interval.coarse])
        batches = [(self._upserts[coarse], batch) for coarse, batch in rows.items() if batch]
        order: Any
        if self._op.on_conflict is not None and not self._mysql and self._dialect != 'sqlite':
            # upserts take row locks in one order in every writer: no deadlocks
            order = _lock_order_by_value if self._op.by_value else _LOCK_ORDER
            for _, batch in batches:
                batch.sort(key=order)
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
            if not isinstance(pipeline, sqlalchemy.engine.Connection):
                raise InvalidValue('pipeline= takes an SQLAlchemy Connection, not %r'
                                   % (pipeline,))
            return self._call(self._execute, pipeline, batches, write=True)
        for attempt in range(RETRIES):
            try:
                with self._engine.begin() as connection:
                    return self._execute(connection, batches)
            except sa_exc.SQLAlchemyError as exc:
                if attempt + 1 == RETRIES or not _rolled_back(exc):
                    failure = exc
                    break
                time.sleep(0.005 * 2 ** attempt)
        raise self._error(failure, True) from _driver_error(failure)

    def _read(self, interval: Interval, names: List[str], buckets: List[int],
              fetch: Optional[Callable[..., Any]]) -> Dict[str, List[Any]]:
        for name in names:
            self._check_name(name)
        first, last = buckets[0], buckets[-1]
        cutoff = self._cutoff(interval)
        if cutoff is not None:
            first = max(first, cutoff)
        coarse, collect = interval.coarse, self._op.collect
        # resolution rows keyed by time: bucket * step, or by bucket until converted below
        gregorian = not coarse and not isinstance(interval.r_calc, RelativeTime)
        scale = None if coarse else 1 if gregorian else \
            interval.r_calc.step_size()  # type: ignore[call-arg]  # a RelativeTime's
        rval: Dict[str, List[Any]] = {name: [OrderedDict() for _ in buckets] for name in names}
        cells: Any
        if first <= last:
            cells = {name: dict(zip(buckets, row)) for name, row in rval.items()}
            params = {'interval': interval.name, 'first': first, 'last': last}
            params.update(('n%d' % i, name) for i, name in enumerate(rval))
            # one name reads rows without the name column (a fifth of the query's time), but
            # where the database may match other names too (MariaDB/MySQL compare names by
            # collation: in a 0.10.1 table 'a' = 'A ') rows are kept by their name
            named = len(rval) if fetch is not None or len(rval) > 1 or self._mysql else 0
            rows = self._call(self._fetch, named, first == last, params, fetch)
            if not named:
                collect(rows, scale, cells[names[0]])
            else:  # ordered by name, unless a fetch reordered them: then in more groups
                for name, group in groupby(rows, _FIRST):
                    if name in cells:
                        collect(map(_AFTER_NAME, group), scale, cells[name])
        for cells in rval.values():
            if coarse:
                cells[:] = [cell.get(None, MISSING) for cell in cells]
                continue
            for index, cell in enumerate(cells):
                cell.pop(None, None)   # a row without r_time (0.10.1 wrote it coarse)
                if gregorian:
                    cells[index] = OrderedDict(sorted(
                        ((interval.r_calc.from_bucket(r), data) for r, data in cell.items()),
                        key=_FIRST))
                elif cell:
                    times = list(cell)
                    if times != sorted(times):   # rows not in time order (a series' are not)
                        cells[index] = OrderedDict(sorted(cell.items(), key=_FIRST))
        return rval

    def _delete(self, name: str) -> int:
        self._check_name(name)
        t = self._table
        statement = t.delete().where(t.c.name == name, t.c.interval.in_(list(self._intervals)))
        return self._call(self._transaction, statement, write=True)

    def _list_names(self) -> Iterable[str]:
        t = self._table
        statement = sql.select(t.c.name).distinct().where(
            t.c.interval.in_(list(self._intervals)))
        return {row[0] for row in self._call(self._fetch_plain, statement)}

    def _extent(self, name: str) -> Dict[str, Tuple[int, int]]:
        t = self._table
        self._check_name(name)
        statement = sql.select(t.c.interval, sql.func.min(t.c.i_time),
                               sql.func.max(t.c.i_time)).where(
            t.c.name == name, t.c.interval.in_(list(self._intervals))).group_by(t.c.interval)
        return {interval: (int(first), int(last)) for interval, first, last
                in self._call(self._fetch_plain, statement)}

    def _delete_all(self) -> int:
        t = self._table
        return self._call(self._transaction,
                          t.delete().where(t.c.interval.in_(list(self._intervals))), write=True)

    def _expire(self, name: Optional[str], now: float) -> int:
        """Delete the rows whose buckets are past their interval's retention, of ``name``
        or of every name, in one transaction; return how many went."""
        if name is not None:
            self._check_name(name)
        statements: List[Any] = []
        t = self._table
        for interval in self._intervals.values():
            cutoff = self._cutoff(interval, now)
            if cutoff is not None:
                statement = t.delete().where(t.c.interval == interval.name, t.c.i_time < cutoff)
                statements.append(statement if name is None else
                                  statement.where(t.c.name == name))
        return self._call(self._transaction, *statements, write=True)

    # -- helpers -------------------------------------------------------------

    def _params(self, write: Write, rows: List[Any]) -> None:
        """Append the rows one Write inserts or upserts to ``rows``, their values in
        ``_row_columns`` order: name, interval, i_time, r_time, then the type's own columns."""
        kind, payload, convert = self._type.name, write.payload, self._convert
        if kind == 'count' or kind == 'gauge':   # a row each, built at once: bulks make many
            rows.append((write.name, write.interval.name, write.i_bucket, write.r_bucket,
                         convert(payload) if convert else payload))
            return
        base = (write.name, write.interval.name, write.i_bucket, write.r_bucket)
        if convert:
            payload = [(convert(v), n) for v, n in payload] if kind == 'histogram' else \
                [convert(v) for v in payload]
        if kind == 'histogram':
            counts: Dict[Any, int] = {}
            for value, count in payload:  # 1 and '1' are one value in a text column
                counts[value] = counts.get(value, 0) + count
            rows.extend(base + item for item in counts.items())
        elif kind == 'set':
            rows.extend(base + (value,) for value in dict.fromkeys(payload))
        else:
            rows.extend(base + item for item in zip(payload, self._stamps(len(payload))))

    def _stamps(self, n: int) -> List[float]:
        """n increasing insert times, after every earlier one of this process.

        They order a series bucket's values, so they come from the wall clock,
        never from the (injectable) bucket clock.
        """
        with _STAMP_LOCK:
            first = max(time.time(), _LAST_STAMP[0] + 1e-6)
            _LAST_STAMP[0] = first + (n - 1) * 1e-6
        return [first + i * 1e-6 for i in range(n)]

    @staticmethod
    def _execute(connection: Any, batches: List[Tuple[Compiled, Any]]) -> None:
        for (statement, text, _), batch in batches:
            if text is None:
                connection.execute(statement, batch)
            else:  # parameters the driver takes as they are: skip SQLAlchemy's processing
                connection.exec_driver_sql(text, batch)

    def _transaction(self, *statements: Any) -> int:
        """Run statements in one transaction; the rows they changed."""
        with self._engine.begin() as connection:
            return sum(connection.execute(statement).rowcount for statement in statements)

    def _fetch_plain(self, statement: Any) -> Any:
        with self._engine.connect() as connection:
            return connection.execute(statement).all()

    def _fetch(self, names: int, one_bucket: bool, params: Dict[str, Any],
               fetch: Optional[Callable[..., Any]]) -> Any:
        """The rows of a read; ``names`` as in ``_select``. A read that finds its pooled
        connection dead (the server restarted) runs once more: it changed nothing."""
        statement, text, positions = self._select(names, one_bucket)
        for attempt in range(2):
            try:
                if fetch is None and text is not None:
                    return self._fetch_direct(text, params if positions is None else
                                              tuple(params[p] for p in positions))
                with self._engine.connect() as connection:
                    if fetch is not None:
                        return list(fetch(connection, statement.params(params)))
                    return connection.execute(statement, params).all()
            except sa_exc.DBAPIError as exc:
                if attempt or not exc.connection_invalidated:
                    raise

    def _fetch_direct(self, text: str, arguments: Any) -> Any:
        """The driver's own rows of a SELECT whose columns need no processing, read on a
        pooled DB-API connection: a Connection's checkout alone costs a sixth of a read."""
        dialect = self._engine.dialect
        error = dialect.loaded_dbapi.Error
        try:
            dbapi = self._engine.raw_connection()
        except error as exc:   # the pool hands the driver's error over as it is
            raise sa_exc.DBAPIError.instance(None, None, exc, error) from exc
        cursor = None
        try:
            cursor = dbapi.cursor()
            if self._binary and not isinstance(cursor, sys.modules['psycopg'].ClientCursor):
                cursor.execute(text, arguments, binary=True)
            else:
                cursor.execute(text, arguments)
            return cursor.fetchall()
        except error as exc:
            dead = dialect.is_disconnect(exc, dbapi, cursor)
            if dead:   # as a Connection does: the pool's older connections died too
                self._engine.pool._invalidate(dbapi, exc)
            raise sa_exc.DBAPIError.instance(text, arguments, exc, error,
                                             connection_invalidated=dead) from exc
        finally:
            if cursor is not None:
                cursor.close()
            dbapi.close()   # back to the pool, which ends the read's transaction

    def _select(self, names: int, one_bucket: bool) -> Compiled:
        """(SELECT, its SQL when rows need no processing, parameter order), by shape:
        ``names`` 0 selects one name's rows without the name column, else the rows
        (name, ...) of that many names, ordered by name first."""
        key = (names, one_bucket)
        if key not in self._selects:
            t, op, bind = self._table, self._op, sql.bindparam
            columns: List[Any] = [t.c.i_time, t.c.r_time] + [t.c[c] for c in op.columns]
            if self._dialect == 'sqlite' and op.columns == ('count',):
                # SQLite hands integral counts over as int, sparing _collect_counts the work
                count = t.c['count']
                integral = sql.cast(count, BigInteger)
                columns[-1] = sql.case((count == integral, integral), else_=count).label('count')
            where = [t.c.interval == bind('interval'),
                     t.c.name == bind('n0') if names <= 1 else
                     t.c.name.in_([bind('n%d' % i) for i in range(names)]),
                     t.c.i_time == bind('first') if one_bucket else
                     t.c.i_time.between(bind('first'), bind('last'))]
            order: List[Any] = []
            if names:
                columns.insert(0, t.c.name)
                order.append(t.c.name)
            # a series' values in insert order; other rows in time order, as _read keeps them
            # (the key's index order: free where the database reads along it)
            order += [t.c.insert_time] if op.on_conflict is None else [t.c.i_time, t.c.r_time]
            statement = sql.select(*columns).where(*where).order_by(*order)
            compiled = statement.compile(dialect=self._engine.dialect)
            if all(plain(c.type) for c in columns):
                self._selects[key] = (statement,) + self._driver_sql(compiled)
            else:
                self._selects[key] = (statement, None, None)
        return self._selects[key]

    def _driver_sql(self, compiled: Any) -> Tuple[str, Optional[Tuple[str, ...]]]:
        """(SQL to hand the driver, its parameters' names in order or None to pass a dict).
        Drivers that take %(name)s also take %s: a tuple per row costs less than a dict."""
        text = str(compiled)
        if compiled.positional:
            return text, compiled.positiontup
        if self._engine.dialect.driver in _FORMAT_TOO:
            order: List[str] = []

            def placeholder(match: 're.Match[str]') -> str:
                if match.group(1) is None:
                    return '%%'
                order.append(match.group(1))
                return '%s'
            positional = _PYFORMAT.sub(placeholder, text)
            if sorted(order) == sorted(compiled.binds):   # every parameter, each once
                return positional, tuple(order)
        return text, None

    def _cutoff(self, interval: Interval, now: Optional[float] = None) -> Optional[int]:
        """The oldest bucket still within the interval's retention at ``now``, or None."""
        if not interval.steps:
            return None
        calc = interval.i_calc
        return calc.shift(calc.bucket(self._clock() if now is None else now), -interval.steps)

    def _check_name(self, name: str) -> str:
        if self._dialect == 'postgresql' and '\0' in name:
            raise InvalidName('PostgreSQL cannot store the name %r: it holds a NUL character'
                              % (name,))
        return name

    def _call(self, func: Callable[..., _T], *args: Any, write: bool = False) -> _T:
        """Run ``func(*args)``, translating SQLAlchemy's errors; ``write``: it writes."""
        try:
            return func(*args)
        except sa_exc.SQLAlchemyError as exc:
            failure = exc
        # raised outside the except, from the driver's own error: a chain of two, not three
        raise self._error(failure, write) from _driver_error(failure)

    def _error(self, exc: sa_exc.SQLAlchemyError, write: bool) -> Exception:
        """The kairos error for an SQLAlchemy error, saying only what is known of the call."""
        url = self._engine.url
        server = '%s database at %s' % (self._dialect, '%s:%s' % (url.host, url.port)
                                        if url.port else url.host or url.database)
        if not isinstance(exc, sa_exc.DBAPIError):   # the pool's or a closed Connection's
            error = StorageUnavailable if isinstance(exc, sa_exc.TimeoutError) else StorageError
            return error('the %s failed the call: %s' % (server, exc))
        if _refuses_credentials(exc.orig):
            return AuthenticationError('authentication failed: the %s refused this client\'s '
                                       'credentials or their rights: %s' % (server, exc.orig))
        if _unavailable(exc):
            return StorageUnavailable('the %s failed %s: %s' % (
                server, 'the write (its transaction is rolled back unless its COMMIT was sent)'
                if write else 'the call, which wrote nothing', exc.orig))
        return DataConflict('the %s refused the statement: %s' % (server, exc.orig))


_FIRST, _AFTER_NAME = itemgetter(0), itemgetter(slice(1, None))


# column types (as reflected) that psycopg reads alike in binary and text format
_SAME_IN_BINARY = {'BIGINT', 'INTEGER', 'SMALLINT', 'DOUBLE_PRECISION', 'VARCHAR', 'TEXT',
                   'BYTEA'}
# drivers whose pyformat parameters (%(name)s) may also be given as format (%s)
_FORMAT_TOO = {'psycopg', 'psycopg2', 'pymysql', 'mysqldb'}
_PYFORMAT = re.compile(r'%%|%\((\w+)\)s')   # an escaped %, or a parameter


# The lock order of upserts: (interval, i_time, r_time, name) of a row in ``_row_columns``
# order, the order a bulk's writes come in, nearly (so sorting costs little). A batch's
# r_time are all None or all numbers.
_LOCK_ORDER = itemgetter(1, 2, 3, 0)


def _lock_order_by_value(row: Any) -> Tuple[Any, ...]:
    """The lock order of a histogram's or set's rows: then by value (its repr: the values
    of some column types do not compare with each other)."""
    return (row[1], row[2], row[3], row[0], repr(row[4]))


# SQLSTATE (PostgreSQL) and error numbers (MariaDB/MySQL) refusing the credentials
# (28P01, 28000, 1045, 1698: unix_socket) or the database to the user (1044)
_AUTH_CODES = {'28P01', '28000', 1044, 1045, 1698}
# what libpq says for a refusal before the server sends an SQLSTATE
_AUTH_MESSAGES = ('password authentication failed', 'no password supplied',
                  'no pg_hba.conf entry', 'authentication failed')


def _driver_error(exc: sa_exc.SQLAlchemyError) -> BaseException:
    """The DB-API driver's error inside an SQLAlchemy one, else the SQLAlchemy error
    itself (a pool timeout, a closed Connection)."""
    orig = getattr(exc, 'orig', None)
    return orig if isinstance(orig, BaseException) else exc


def _refuses_credentials(orig: Any) -> bool:
    """Whether a DB-API error is the server refusing the client's credentials or rights."""
    code = getattr(orig, 'sqlstate', None) or (orig.args[0] if getattr(orig, 'args', None)
                                               else None)
    if code in _AUTH_CODES:
        return True
    message = str(orig)
    return type(orig).__name__ == 'OperationalError' and any(
        words in message for words in _AUTH_MESSAGES)


def _unavailable(exc: Any) -> bool:
    """Whether an SQLAlchemy error says the database could not be reached or refused the
    client (not a statement)."""
    return exc.connection_invalidated or isinstance(exc, (sa_exc.OperationalError,
                                                          sa_exc.InterfaceError))


def _rolled_back(exc: Any) -> bool:
    """True for a deadlock or lock timeout: the database undid the whole transaction."""
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    orig: Any = exc.orig
    code = getattr(orig, 'sqlstate', None) or (orig.args[0] if getattr(orig, 'args', None)
                                               else None)
    if code in _RETRY_CODES:
        return True
    return isinstance(exc, sa_exc.OperationalError) and 'database is locked' in str(orig)


BACKEND = SqlBackend
SqlSeries, SqlHistogram, SqlCount, SqlGauge, SqlSet = typed_classes(SqlBackend)
