"""The SQL backend's statements per dialect: a type's upsert (or insert) and SELECTs,
compiled to the SQL a driver takes as it is where the columns allow, and the order in
which upserts take their row locks."""

import re
from operator import itemgetter
from types import SimpleNamespace
from typing import Any, Callable, List, Optional, Tuple

import sqlalchemy
from sqlalchemy import BigInteger, Double, Text, sql, types as sqltypes

from ..exceptions import ConfigurationError
from .rows import Op
from .schema import NULL_BUCKET, plain

# (statement, its SQL for the driver or None, the order of its parameters or None)
Compiled = Tuple[Any, Optional[str], Optional[Tuple[str, ...]]]

# drivers whose pyformat parameters (%(name)s) may also be given as format (%s)
_FORMAT_TOO = {'psycopg', 'psycopg2', 'pymysql', 'mysqldb'}
_PYFORMAT = re.compile(r'%%|%\((\w+)\)s')   # an escaped %, or a parameter

# The lock order of upserts on PostgreSQL, whose row locks lock rows only: (interval,
# i_time, r_time, name) of a row in the backend's ``_row_columns`` order, the order a
# bulk's writes come in, nearly (so sorting costs little). A batch's r_time are all None
# or all numbers.
_LOCK_ORDER = itemgetter(1, 2, 3, 0)


def _lock_order_by_value(row: Any) -> Tuple[Any, ...]:
    """The lock order of a histogram's or set's rows (a sketch's): then by value (field;
    its repr: the values of some column types do not compare with each other)."""
    return (row[1], row[2], row[3], row[0], repr(row[4]))


def _index_order(row: Any) -> Tuple[Any, ...]:
    """A row's place in the unique index (name, interval, i_time, r_key) of MariaDB/MySQL,
    where a lock on an index entry also locks the gap before it."""
    return (row[0], row[1], row[2], NULL_BUCKET if row[3] is None else row[3])


def _index_order_by_value(row: Any) -> Tuple[Any, ...]:
    """The same with the value (field), in (name, interval, i_time, r_key, value)."""
    return (row[0], row[1], row[2], NULL_BUCKET if row[3] is None else row[3], row[4])


def lock_order(op: Op, dialect: str) -> Optional[Callable[[Any], Any]]:
    """The key sorting a batch of upsert rows into the order every writer takes their
    locks in, so that no two writers wait for each other; None where a write locks
    nothing finer than the database (SQLite) or upserts nothing (series)."""
    if op.on_conflict is None or dialect == 'sqlite':
        return None
    if dialect in ('mysql', 'mariadb'):
        return _index_order_by_value if op.by_value else _index_order
    return _lock_order_by_value if op.by_value else _LOCK_ORDER


def sort_rows(rows: List[Any], key: Callable[[Any], Any]) -> None:
    """Sort rows by ``key``; by its repr where values of a column do not compare (naive
    and aware datetimes): an order still, the same in every writer."""
    try:
        rows.sort(key=key)
    except TypeError:
        rows.sort(key=lambda row: repr(key(row)))


def insert_for(dialect: str) -> Any:
    """The insert construct of ``dialect`` (its name), with its upsert; refuses a dialect
    whose upsert kairos does not know."""
    insert: Any
    if dialect == 'postgresql':
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == 'sqlite':
        from sqlalchemy.dialects.sqlite import insert
    elif dialect in ('mysql', 'mariadb'):
        from sqlalchemy.dialects.mysql import insert
    else:
        raise ConfigurationError('the %s dialect has no upsert kairos knows: use SQLite, '
                                 'PostgreSQL, MariaDB or MySQL' % dialect)
    return insert


def upsert(table: Any, op: Op, dialect: str, coarse: bool) -> Any:
    """The statement writing a type's rows on ``dialect`` (its name): an upsert on the
    unique key of rows without (``coarse``) or with r_time, a plain insert for series."""
    if op.on_conflict is None:
        return sqlalchemy.insert(table)
    statement = insert_for(dialect)(table)
    if dialect in ('mysql', 'mariadb'):
        # the row's own columns unqualified (``count = count + ...``): the table's name,
        # which may hold %, stays out of the clause after VALUES, which the asyncio
        # drivers' executemany sends without unescaping %%
        own = SimpleNamespace(c={c.name: sql.column(c.name, c.type) for c in table.c})
        new = statement.inserted
        return statement.on_duplicate_key_update(
            dict(op.on_conflict(own, new), w_time=new.w_time))
    key = [table.c.name, table.c.interval, table.c.i_time] + \
        ([] if coarse else [table.c.r_time]) + \
        ([table.c[op.columns[0]]] if op.by_value else [])
    where = table.c.r_time.is_(None) if coarse else None
    new = statement.excluded
    return statement.on_conflict_do_update(index_elements=key, index_where=where,
                                           set_=dict(op.on_conflict(table, new),
                                                     w_time=new.w_time))


def for_driver(statement: Any, table: Any, op: Op, dialect: Any) -> Compiled:
    """(statement, its SQL if the driver takes our parameters as they are, their order)."""
    keys = [c.name for c in table.c if c.name in ('name', 'interval', 'i_time',
                                                  'r_time', 'insert_time', 'w_time')
            or c.name in op.columns]
    if not all(plain(table.c[key].type) for key in keys):
        return statement, None, None
    return (statement,) + driver_sql(statement.compile(dialect=dialect, column_keys=keys),
                                     dialect)


# Retention: a bucket (of the resolution, where the interval has one, as Mongo's
# documents) is kept whole while one of its rows was written within the interval's
# lifetime: w_time at or after ``fresh`` (the clock's now - steps * step), or, for a row
# 0.10.1 wrote (w_time NULL), while its i_time is not before ``cutoff`` (now's bucket -
# steps), as 0.10.1 kept it.

def fresh_row(table: Any, fresh: Any, cutoff: Any) -> Any:
    """Whether each row of ``table`` keeps its bucket (see above)."""
    return sql.or_(table.c.w_time >= fresh,
                   sql.and_(table.c.w_time.is_(None), table.c.i_time >= cutoff))


def kept(table: Any, op: Op, fresh: Any, cutoff: Any,
         scope: Callable[[Any], List[Any]]) -> Any:
    """Whether each row of ``table`` is of a bucket within retention: a count's or a
    gauge's bucket is its row; another type's, its rows of one (i_time, r_time), kept
    whole while one of them keeps it. The buckets kept by their rows are found once, in
    the rows ``scope(alias)`` selects, and looked up only for a row that does not keep
    its bucket itself (a bucket at the end of its life, or written late)."""
    own = fresh_row(table, fresh, cutoff)
    if op.on_conflict is not None and not op.by_value:
        return own
    w = table.alias('w')
    return sql.or_(own, bucket_key(table).in_(
        sql.select(*bucket_key(w).clauses).where(*scope(w), fresh_row(w, fresh, cutoff))))


# NULL_BUCKET in SQL as a BIGINT on every dialect (PostgreSQL reads the literal
# -9223372036854775808 as a NUMERIC), written out, not a parameter
_NULL_BUCKET = sql.literal_column('(%d - 1)' % (NULL_BUCKET + 1), BigInteger)


def bucket_key(table: Any) -> Any:
    """(name, i_time, r_time) of each row, r_time NULL as NULL_BUCKET, as an SQL tuple."""
    return sql.tuple_(table.c.name, table.c.i_time,
                      sql.func.coalesce(table.c.r_time, _NULL_BUCKET))


def stale_buckets(table: Any, interval: str, name: Optional[str], fresh: float,
                  cutoff: int) -> Any:
    """The SELECT of the keys (name, i_time, r_time or NULL_BUCKET) of the buckets of
    ``interval`` (and ``name``) past retention: none of their rows keeps them."""
    t = table
    r_key = sql.func.coalesce(t.c.r_time, _NULL_BUCKET)
    keeps = sql.case((fresh_row(t, fresh, cutoff), 1), else_=0)
    statement = sql.select(t.c.name, t.c.i_time, r_key).where(t.c.interval == interval)
    if name is not None:
        statement = statement.where(t.c.name == name)
    return statement.group_by(t.c.name, t.c.i_time, r_key).having(sql.func.max(keeps) == 0)


def expired(table: Any, interval: str, keys: List[Any], fresh: float, cutoff: int) -> Any:
    """The DELETE of the rows of ``interval`` in the buckets ``keys`` (of stale_buckets)
    that do not keep them: a row written since the SELECT survives."""
    t = table
    stale = sql.or_(t.c.w_time < fresh,   # (not ~fresh_row: NULL >= fresh is NULL)
                    sql.and_(t.c.w_time.is_(None), t.c.i_time < cutoff))
    return t.delete().where(t.c.interval == interval, bucket_key(t).in_(keys), stale)


def select(table: Any, op: Op, dialect: Any, names: int, one_bucket: bool,
           retained: bool) -> Compiled:
    """(SELECT, its SQL when rows need no processing, parameter order), by shape:
    ``names`` 0 selects one name's rows without the name column, else the rows
    (name, ...) of that many names, ordered by name first; ``retained``: only the rows
    of buckets within retention (binds ``fresh`` and ``cutoff``, see ``kept``)."""
    t, bind = table, sql.bindparam
    columns: List[Any] = [t.c.i_time, t.c.r_time] + [t.c[c] for c in op.columns]
    if dialect.driver == 'asyncpg':
        # asyncpg reads a REAL in binary, widened (0.1 reads 0.10000000149011612): its
        # text, the shortest decimal that reads back as it, read as a double instead
        columns = [sql.cast(sql.cast(c, Text), Double).label(c.name)
                   if isinstance(c.type, sqltypes.REAL) else c for c in columns]
    if dialect.name == 'sqlite' and op.columns == ('count',):
        # SQLite hands integral counts over as int, sparing _collect_counts the work
        count = t.c['count']
        integral = sql.cast(count, BigInteger)
        columns[-1] = sql.case((count == integral, integral), else_=count).label('count')

    def scope(rows: Any) -> List[Any]:
        return [rows.c.interval == bind('interval'),
                rows.c.name == bind('n0') if names <= 1 else
                rows.c.name.in_([bind('n%d' % i) for i in range(names)]),
                rows.c.i_time == bind('first') if one_bucket else
                rows.c.i_time.between(bind('first'), bind('last'))]
    where = scope(t)
    if retained:
        where.append(kept(t, op, bind('fresh'), bind('cutoff'), scope))
    order: List[Any] = []
    if names:
        columns.insert(0, t.c.name)
        order.append(t.c.name)
    # a series' values in insert order; other rows in time order, as the read keeps them
    # (the key's index order: free where the database reads along it)
    order += [t.c.insert_time] if op.on_conflict is None else [t.c.i_time, t.c.r_time]
    statement = sql.select(*columns).where(*where).order_by(*order)
    compiled = statement.compile(dialect=dialect)
    if all(plain(c.type) for c in columns):
        return (statement,) + driver_sql(compiled, dialect)
    return statement, None, None


def driver_sql(compiled: Any, dialect: Any) -> Tuple[str, Optional[Tuple[str, ...]]]:
    """(SQL to hand the driver, its parameters' names in order or None to pass a dict).
    Drivers that take %(name)s also take %s: a tuple per row costs less than a dict."""
    text = str(compiled)
    if compiled.positional:
        return text, compiled.positiontup
    if dialect.driver in _FORMAT_TOO:
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
