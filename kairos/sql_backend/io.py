"""The SQL backend's I/O: the calls SqlStore's steps yield, over an SQLAlchemy ``Engine``
(``Blocking``) or an ``AsyncEngine`` (``Awaiting``), under the same method names::

    write(batches, read_committed)      a write's batches in one transaction
    execute(connection, batches)        the batches in the caller's transaction (pipeline=)
    transaction(*statements)            statements in one transaction -> rows changed
    rows(statement)                     the rows of a SELECT
    select(statement, params, text, arguments, binary)
                                        the rows of a read's SELECT
    fetch(fetch, statement)             the rows a read's fetch hook returns
    expire(table, name, retentions)     expired rows deleted, in one transaction -> how many
    rows_logged()                       whether MariaDB/MySQL logs rows (see rows_logged)
    prepare(table, mysql)               the table created or completed -> (columns, stale)
    dispose()                           the pool's connections closed
    sleep(seconds)                      a pause between two tries of a write

The work each does on a connection is a function below, over a blocking
``Connection``, written once: ``Blocking`` calls it in ``engine.begin()`` or
``engine.connect()``, ``Awaiting`` hands it to ``AsyncConnection.run_sync``, where
SQLAlchemy runs it on the asyncio driver. Besides, ``Blocking`` reads a plain
SELECT straight on a pooled DB-API connection, and ``Awaiting`` awaits what a
fetch hook returns. Errors are SQLAlchemy's, translated by the steps.
"""

import asyncio
import sys
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

import sqlalchemy
from sqlalchemy import exc as sa_exc

from .statements import Compiled, expired, stale_buckets
from .tables import prepare

EXPIRE_CHUNK = 500   # buckets deleted per DELETE by expire()
# An upserting transaction on MariaDB/MySQL runs in READ COMMITTED: its upserts then check
# unique keys without gap locks, on which two writers inserting into one gap of the index
# deadlock whatever the order of their rows (an upsert reads the row it locks, the newest
# version, so no increment is lost)
READ_COMMITTED = 'SET TRANSACTION ISOLATION LEVEL READ COMMITTED'

Batches = List[Tuple[Compiled, Any]]
# (interval name, the binds of statements.kept) of each interval with retention
Retentions = List[Tuple[str, Dict[str, Any]]]


# -- the work on a connection, shared ------------------------------------------

def run_batches(connection: Any, batches: Batches, read_committed: bool = False) -> None:
    """Run each batch's statement over its rows: as SQL the driver takes as it is, where
    there is one (skipping SQLAlchemy's processing of parameters)."""
    if read_committed:
        connection.exec_driver_sql(READ_COMMITTED)
    for (statement, text, _), batch in batches:
        if text is None:
            connection.execute(statement, batch)
        else:
            connection.exec_driver_sql(text, batch)


def rowcounts(connection: Any, *statements: Any) -> int:
    """Run statements; the rows they changed."""
    return sum(connection.execute(statement).rowcount for statement in statements)


def all_rows(connection: Any, statement: Any) -> List[Any]:
    rows: List[Any] = connection.execute(statement).all()
    return rows


def selected(connection: Any, statement: Any, params: Dict[str, Any], text: Optional[str],
             arguments: Any) -> List[Any]:
    """The rows of a read's SELECT: its SQL with ``arguments`` as the driver takes them,
    where it has ``text``, else the statement with ``params``."""
    rows: List[Any] = (connection.execute(statement, params) if text is None else
                       connection.exec_driver_sql(text, arguments)).all()
    return rows


def expire_rows(connection: Any, table: Any, name: Optional[str],
                retentions: Retentions) -> int:
    """Find the buckets past retention, then delete their rows; how many went."""
    removed = 0
    for interval, retention in retentions:
        keys = [tuple(key) for key in connection.execute(
            stale_buckets(table, interval, name, **retention))]
        for start in range(0, len(keys), EXPIRE_CHUNK):
            removed += connection.execute(expired(
                table, interval, keys[start:start + EXPIRE_CHUNK], **retention)).rowcount
    return removed


def rows_logged(connection: Any) -> bool:
    """Whether this MariaDB/MySQL server can log writes made under READ COMMITTED: not
    when it logs statements (log_bin on, binlog_format STATEMENT)."""
    log_bin, binlog_format = connection.exec_driver_sql(
        'SELECT @@log_bin, @@session.binlog_format').one()
    return not log_bin or str(binlog_format).upper() != 'STATEMENT'


# -- the I/O objects -----------------------------------------------------------

class _Calls:
    """The calls made alike on either engine, in a transaction (``_begin``) or on a
    connection (``_connect``) of it: each returns what the function returns, or, on
    ``Awaiting``, an awaitable of it."""

    connection: type   # what pipeline= takes

    def __init__(self, engine: Any):
        self.engine = engine

    def _begin(self, work: Callable[..., Any], *args: Any) -> Any:
        raise NotImplementedError

    def _connect(self, work: Callable[..., Any], *args: Any) -> Any:
        raise NotImplementedError

    def write(self, batches: Batches, read_committed: bool) -> Any:
        return self._begin(run_batches, batches, read_committed)

    def transaction(self, *statements: Any) -> Any:
        return self._begin(rowcounts, *statements)

    def rows(self, statement: Any) -> Any:
        return self._connect(all_rows, statement)

    def expire(self, table: Any, name: Optional[str], retentions: Retentions) -> Any:
        return self._begin(expire_rows, table, name, retentions)

    def rows_logged(self) -> Any:
        return self._connect(rows_logged)

    def prepare(self, table: Any, mysql: bool) -> Any:
        return self._connect(prepare, table, mysql)

    if TYPE_CHECKING:
        # the calls that differ, each class's own
        def execute(self, connection: Any, batches: Batches) -> Any: ...

        def select(self, statement: Any, params: Dict[str, Any], text: Optional[str],
                   arguments: Any, binary: bool) -> Any: ...

        def fetch(self, fetch: Callable[..., Any], statement: Any) -> Any: ...

        def dispose(self) -> Any: ...

        def sleep(self, seconds: float) -> Any: ...


class Blocking(_Calls):
    """The calls over a blocking ``Engine``."""

    connection = sqlalchemy.engine.Connection

    def _begin(self, work: Callable[..., Any], *args: Any) -> Any:
        with self.engine.begin() as connection:
            return work(connection, *args)

    def _connect(self, work: Callable[..., Any], *args: Any) -> Any:
        with self.engine.connect() as connection:
            return work(connection, *args)

    @staticmethod
    def execute(connection: Any, batches: Batches) -> None:
        run_batches(connection, batches)

    def select(self, statement: Any, params: Dict[str, Any], text: Optional[str],
               arguments: Any, binary: bool) -> List[Any]:
        if text is not None:
            return self._direct(text, arguments, binary)
        rows: List[Any] = self._connect(selected, statement, params, None, None)
        return rows

    def _direct(self, text: str, arguments: Any, binary: bool) -> List[Any]:
        """The driver's own rows of a SELECT whose columns need no processing, read on a
        pooled DB-API connection (in binary format: ``binary``, on psycopg): a
        Connection's checkout alone costs a sixth of a read."""
        dialect = self.engine.dialect
        error = dialect.loaded_dbapi.Error
        try:
            dbapi = self.engine.raw_connection()
        except error as exc:   # the pool hands the driver's error over as it is
            raise sa_exc.DBAPIError.instance(None, None, exc, error) from exc
        cursor = None
        try:
            cursor = dbapi.cursor()
            if binary and not isinstance(cursor, sys.modules['psycopg'].ClientCursor):
                cursor.execute(text, arguments, binary=True)
            else:
                cursor.execute(text, arguments)
            rows: List[Any] = cursor.fetchall()
            return rows
        except error as exc:
            dead = dialect.is_disconnect(exc, dbapi, cursor)
            if dead:   # as a Connection does: the pool's older connections died too
                self.engine.pool._invalidate(dbapi, exc)
            raise sa_exc.DBAPIError.instance(text, arguments, exc, error,
                                             connection_invalidated=dead) from exc
        finally:
            if cursor is not None:
                cursor.close()
            dbapi.close()   # back to the pool, which ends the read's transaction

    def fetch(self, fetch: Callable[..., Any], statement: Any) -> List[Any]:
        """What ``fetch(connection, statement)`` returns, read whole."""
        with self.engine.connect() as connection:
            return list(fetch(connection, statement))

    def dispose(self) -> None:
        self.engine.dispose()

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(seconds)   # looked up at each call: a patched time.sleep counts


class Awaiting(_Calls):
    """The calls over an ``AsyncEngine``, each awaited."""

    def __init__(self, engine: Any):
        super().__init__(engine)
        self.connection = sys.modules['sqlalchemy.ext.asyncio'].AsyncConnection

    async def _begin(self, work: Callable[..., Any], *args: Any) -> Any:
        async with self.engine.begin() as connection:
            return await connection.run_sync(work, *args)

    async def _connect(self, work: Callable[..., Any], *args: Any) -> Any:
        async with self.engine.connect() as connection:
            return await connection.run_sync(work, *args)

    @staticmethod
    async def execute(connection: Any, batches: Batches) -> None:
        await connection.run_sync(run_batches, batches)

    async def select(self, statement: Any, params: Dict[str, Any], text: Optional[str],
                     arguments: Any, binary: bool) -> List[Any]:
        rows: List[Any] = await self._connect(selected, statement, params, text, arguments)
        return rows

    async def fetch(self, fetch: Callable[..., Any], statement: Any) -> List[Any]:
        """What ``fetch(connection, statement)`` returns, read whole: given an
        ``AsyncConnection``, it returns rows, or an awaitable of them (what
        ``connection.execute`` returns), or of an async iterable (``connection.stream``)."""
        async with self.engine.connect() as connection:
            found = fetch(connection, statement)
            if hasattr(found, '__await__'):
                found = await found
            if hasattr(found, '__aiter__'):
                return [row async for row in found]
            return list(found)

    async def dispose(self) -> None:
        await self.engine.dispose()

    @staticmethod
    async def sleep(seconds: float) -> None:
        await asyncio.sleep(seconds)


def is_async(client: Any) -> bool:
    """Whether ``client`` is an SQLAlchemy ``AsyncEngine`` (only where its module is imported:
    an AsyncEngine implies it)."""
    module = sys.modules.get('sqlalchemy.ext.asyncio')
    return module is not None and isinstance(client, module.AsyncEngine)


def sql_io(engine: Any) -> _Calls:
    """The I/O object for ``engine``'s kind."""
    return Awaiting(engine) if is_async(engine) else Blocking(engine)
