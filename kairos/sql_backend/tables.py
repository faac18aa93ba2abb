"""Bringing a type's table to what this version writes: create it, or complete a table
an earlier version (0.10.1, or kairos before w_time) created, safely against other
processes doing the same at once.

``prepare`` works on one ``Connection``, each change in a transaction of its own, so
that it runs alike on a blocking one and in ``AsyncConnection.run_sync``.
"""

from typing import Any, Dict, List, Optional, Tuple

import sqlalchemy
from sqlalchemy import BigInteger, exc as sa_exc

from ..exceptions import DataConflict
from .errors import _refuses_credentials
from .schema import NULL_BUCKET


def prepare(connection: Any, table: Any, mysql: bool) -> Tuple[Dict[str, Any], bool]:
    """Create ``table``, or add what it lacks; return its columns' types, as reflected,
    and whether the engine's pooled connections are to be dropped: pooled SQLite
    connections can prepare statements against the schema they loaded before this DDL
    (an upsert then finds no unique index)."""
    failed = None
    try:
        with connection.begin():
            changed = not sqlalchemy.inspect(connection).has_table(table.name)
            table.create(connection, checkfirst=True)
    except sa_exc.DBAPIError as exc:
        if exc.connection_invalidated or _refuses_credentials(exc.orig):
            raise   # not reached, or refused: nothing more to ask
        failed, changed = exc, False
    if failed is not None:   # checked outside the except: its error would chain to this
        if not _has(connection, lambda inspector: inspector.has_table(table.name)):
            raise failed     # (else another process created it meanwhile)
    with connection.begin():
        inspector = sqlalchemy.inspect(connection)
        columns: Dict[str, Any] = {
            c['name']: c['type'] for c in inspector.get_columns(table.name)}
        have = {i['name'] for i in inspector.get_indexes(table.name)}
        have |= {c['name'] for c in inspector.get_unique_constraints(table.name)}
        missing = [i for i in table.indexes if i.name not in have]
    if 'w_time' not in columns:
        changed = True
        _add_write_times(connection, table)
        columns['w_time'] = table.c.w_time.type
    if missing:
        changed = True
        _add_indexes(connection, table, mysql, columns, missing)
    url = connection.engine.url
    return columns, changed and connection.dialect.name == 'sqlite' and \
        url.database not in (None, '', ':memory:')


def _has(connection: Any, check: Any) -> bool:
    """What ``check(inspector)`` says of the table, asked in a transaction of its own."""
    with connection.begin():
        return bool(check(sqlalchemy.inspect(connection)))


def _add_write_times(connection: Any, table: Any) -> None:
    """Add the w_time column (its rows keep NULL: their buckets are kept by their time,
    see statements.kept)."""
    dialect = connection.dialect
    column = table.c.w_time.type.compile(dialect=dialect)
    failed: Optional[sa_exc.DBAPIError] = None
    try:
        with connection.begin():
            connection.exec_driver_sql('ALTER TABLE %s ADD COLUMN w_time %s NULL' % (
                dialect.identifier_preparer.quote(table.name), column))
    except sa_exc.DBAPIError as exc:
        if exc.connection_invalidated or _refuses_credentials(exc.orig):
            raise
        failed = exc
    if failed is not None:   # checked outside the except, as in prepare
        if not _has(connection, lambda inspector: 'w_time' in {   # added meanwhile?
                c['name'] for c in inspector.get_columns(table.name)}):
            raise failed


def _add_indexes(connection: Any, table: Any, mysql: bool, columns: Dict[str, Any],
                 missing: List[Any]) -> None:
    """Create the ``missing`` indexes (on MariaDB/MySQL with the r_key column first)."""
    quote = connection.dialect.identifier_preparer.quote
    for index in missing:
        try:
            with connection.begin():
                if mysql and 'r_key' not in columns:
                    connection.exec_driver_sql(
                        'ALTER TABLE %s ADD COLUMN r_key BIGINT AS (coalesce(r_time, %d)) '
                        'VIRTUAL' % (quote(table.name), NULL_BUCKET))
                    columns['r_key'] = BigInteger()
                index.create(connection)
            continue
        except sa_exc.DBAPIError as exc:
            if exc.connection_invalidated or _refuses_credentials(exc.orig):
                raise
            failed = exc
        # checked outside the except: an error here would chain to the one before
        if _has(connection, lambda inspector: index.name in {   # created meanwhile?
                i['name'] for i in inspector.get_indexes(table.name)}):
            continue
        if isinstance(failed, sa_exc.IntegrityError):
            raise DataConflict('table %s holds several rows for one bucket (0.10.1 '
                               'wrote them concurrently): merge them, then retry: %s'
                               % (table.name, failed.orig)) from failed
        raise failed
