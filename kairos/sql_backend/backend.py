"""The SQL backend's class: SqlBackend, which creates or completes its table, writes a
type's rows in one transaction (run again after a deadlock) and reads them back."""

import sys
import time
from collections import OrderedDict
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, TypeVar

import sqlalchemy
from sqlalchemy import exc as sa_exc, sql, types as sqltypes

from ..exceptions import ConfigurationError, InvalidName, InvalidValue, KairosException, warn
from ..intervals import Interval
from ..steps import Steps, run
from ..timeseries import Core, Timeseries, Write, typed_classes
from .errors import _driver_error, _rolled_back, in_callers_transaction, kairos_error
from .rows import OPS, collect_named, finish, resolution_scale, write_rows
from .schema import checker, column_type, define_table, no_check
from .statements import (Compiled, expired, for_driver, lock_order, select, sort_rows,
                         stale_buckets, upsert)
from .tables import prepare

_T = TypeVar('_T')
RETRIES = 8
EXPIRE_CHUNK = 500   # buckets deleted per DELETE by expire()
# An upserting transaction on MariaDB/MySQL runs in READ COMMITTED: its upserts then check
# unique keys without gap locks, on which two writers inserting into one gap of the index
# deadlock whatever the order of their rows (an upsert reads the row it locks, the newest
# version, so no increment is lost)
READ_COMMITTED = 'SET TRANSACTION ISOLATION LEVEL READ COMMITTED'

# column types (as reflected) that psycopg reads alike in binary and text format
_SAME_IN_BINARY = {'BIGINT', 'INTEGER', 'SMALLINT', 'DOUBLE_PRECISION', 'VARCHAR', 'TEXT',
                   'BYTEA'}


class SqlStore(Core[Any]):
    """Timeseries stored in SQL through an SQLAlchemy ``Engine``; see the package docstring.

    >>> engine = sqlalchemy.create_engine('sqlite:///kairos.db')
    >>> t = Timeseries(engine, type='count', intervals={'minute': {'step': 60, 'steps': 120}})

    One ``insert`` is one transaction over every interval; ``pipeline=`` takes
    an open ``Connection`` and runs the writes in its transaction, uncommitted.
    ``fetch(connection, statement)`` replaces the read: it returns the rows
    (name, i_time, r_time, data columns) the SELECT ``statement`` selects.
    """

    _rows_final = True  # see the collect functions in rows.py
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
        # (the dialect knows MariaDB from MySQL once it has connected); upserts only: a
        # series' plain inserts check no unique key
        self._read_committed = self._mysql and run(self._call(self._rows_logged)) and \
            self._op.on_conflict is not None
        mariadb = getattr(client.dialect, 'is_mariadb', False)
        self._table = define_table(table_name, self._op.columns, self._op.by_value,
                                   self._op.on_conflict is None, string_length,
                                   column_type(value_type, string_length, text_length),
                                   'mariadb' if mariadb else 'mysql' if self._mysql else None)
        self._columns: Dict[str, Any] = run(self._call(prepare, client, self._table,
                                                       self._mysql))
        column = self._columns['value' if 'value' in self._op.columns else 'count']
        self._check, self._convert = checker(column)
        if isinstance(column, sqltypes.Float) and 'value' not in self._op.columns:
            self._check = no_check  # a float count column takes every number a count takes
        # the columns of the rows write_rows makes, in their order
        self._row_columns = ('name', 'interval', 'i_time', 'r_time') + \
            (('value', 'insert_time') if self._op.on_conflict is None else self._op.columns) \
            + ('w_time',)
        self._upserts = {coarse: for_driver(upsert(self._table, self._op, self._dialect, coarse),
                                            self._table, self._op, client.dialect)
                         for coarse in (True, False)}
        self._order = lock_order(self._op, self._dialect)
        self._selects: Dict[Tuple[int, bool, bool], Compiled] = {}
        # psycopg parses rows in binary format a fifth faster than as text, for the column
        # types it decodes the same either way (REAL or CITEXT it would not)
        self._binary = client.dialect.driver == 'psycopg' and all(
            self._columns[c].__visit_name__.upper() in _SAME_IN_BINARY
            for c in ('name', 'i_time', 'r_time') + self._op.columns)

    # -- the schema ----------------------------------------------------------

    def _rows_logged(self) -> bool:
        """Whether this MariaDB/MySQL server can log writes made under READ COMMITTED: not
        when it logs statements (log_bin on, binlog_format STATEMENT)."""
        with self._engine.connect() as connection:
            log_bin, binlog_format = connection.exec_driver_sql(
                'SELECT @@log_bin, @@session.binlog_format').one()
        return not log_bin or str(binlog_format).upper() != 'STATEMENT'

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
            if not isinstance(pipeline, sqlalchemy.engine.Connection):
                raise InvalidValue('pipeline= takes an SQLAlchemy Connection, not %r'
                                   % (pipeline,))
            for done in range(len(batches)):
                try:
                    yield from self._call(self._execute, pipeline, batches[done:done + 1],
                                          write=True, callers=True)
                except KairosException as exc:
                    in_callers_transaction(exc, done)
                    raise
            return None
        for attempt in range(RETRIES):
            try:
                yield (self._upsert, batches)
                return None
            except sa_exc.SQLAlchemyError as exc:
                if attempt + 1 == RETRIES or not _rolled_back(exc):
                    failure = exc
                    break
            yield (time.sleep, 0.005 * 2 ** attempt)
        raise kairos_error(failure, True, self._dialect, self._engine.url) \
            from _driver_error(failure)

    def _upsert(self, batches: List[Tuple[Compiled, Any]]) -> None:
        """Run the batches of a write in one transaction."""
        with self._engine.begin() as connection:
            if self._read_committed:
                connection.exec_driver_sql(READ_COMMITTED)
            self._execute(connection, batches)

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
        rows = yield from self._call(self._fetch, (named, first == last, bool(interval.expire)),
                                     params, fetch)
        if not named:
            self._op.collect(rows, scale, cells[names[0]])
        else:
            collect_named(rows, self._op.collect, scale, cells)
        finish(rval, interval, gregorian)
        return rval

    def _delete(self, name: str) -> Steps[int]:
        self._check_name(name)
        t = self._table
        statement = t.delete().where(t.c.name == name, t.c.interval.in_(list(self._intervals)))
        if self._mysql:  # byte for byte too: a 0.10.1 table's collation has 'a' = 'A '
            statement = statement.where(sql.cast(t.c.name, sqltypes.BINARY)
                                        == sql.cast(sql.literal(name), sqltypes.BINARY))
        return self._call(self._transaction, statement, write=True)

    def _list_names(self) -> Steps[Iterable[str]]:
        t = self._table
        statement = sql.select(t.c.name).distinct().where(
            t.c.interval.in_(list(self._intervals)))
        rows = yield from self._call(self._fetch_plain, statement)
        return {row[0] for row in rows}

    def _extent(self, name: str) -> Steps[Dict[str, Tuple[int, int]]]:
        t = self._table
        self._check_name(name)
        statement = sql.select(t.c.interval, sql.func.min(t.c.i_time),
                               sql.func.max(t.c.i_time)).where(
            t.c.name == name, t.c.interval.in_(list(self._intervals))).group_by(t.c.interval)
        rows = yield from self._call(self._fetch_plain, statement)
        return {interval: (int(first), int(last)) for interval, first, last in rows}

    def _delete_all(self) -> Steps[int]:
        t = self._table
        return self._call(self._transaction,
                          t.delete().where(t.c.interval.in_(list(self._intervals))), write=True)

    def _expire(self, name: Optional[str], now: float) -> Steps[int]:
        """Delete the rows whose buckets are past their interval's retention, of ``name``
        or of every name, in one transaction; return how many went."""
        if name is not None:
            self._check_name(name)
        return self._call(self._expire_rows, name, now, write=True)

    def _expire_rows(self, name: Optional[str], now: float) -> int:
        """Find the buckets past retention, then delete their rows, in one transaction."""
        removed = 0
        with self._engine.begin() as connection:
            for interval in self._intervals.values():
                if not interval.expire:
                    continue
                retention = self._retention(interval, now)
                keys = [tuple(key) for key in connection.execute(stale_buckets(
                    self._table, interval.name, name, **retention))]
                for start in range(0, len(keys), EXPIRE_CHUNK):
                    removed += connection.execute(expired(
                        self._table, interval.name, keys[start:start + EXPIRE_CHUNK],
                        **retention)).rowcount
        return removed

    # -- helpers -------------------------------------------------------------

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

    def _fetch(self, shape: Tuple[int, bool, bool], params: Dict[str, Any],
               fetch: Optional[Callable[..., Any]]) -> Any:
        """The rows of a read of ``shape`` (see ``_select``). A read that finds its pooled
        connection dead (the server restarted) runs once more: it changed nothing."""
        statement, text, positions = self._select(shape)
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

    def _call(self, func: Callable[..., _T], *args: Any, write: bool = False,
              callers: bool = False) -> Steps[_T]:
        """Make the call ``func(*args)``, translating SQLAlchemy's errors; ``write``: it
        writes, ``callers``: in the caller's transaction (``pipeline=``)."""
        try:
            return (yield (func, *args))  # type: ignore[no-any-return]
        except sa_exc.SQLAlchemyError as exc:
            failure = exc
        # raised outside the except, from the driver's own error: a chain of two, not three
        raise kairos_error(failure, write, self._dialect, self._engine.url, callers) \
            from _driver_error(failure)



class SqlBackend(SqlStore, Timeseries[Any]):
    """A SQL timeseries with blocking I/O: see :class:`SqlStore`."""


STORE = SqlStore
SqlSeries, SqlHistogram, SqlCount, SqlGauge, SqlSet = typed_classes(SqlBackend)
