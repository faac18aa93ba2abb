"""The tables of the SQL backend, and what the value column of each can hold.

``define_table`` draws a type's table (see the package docstring);
``column_type`` turns the ``value_type`` keyword into an SQLAlchemy type;
``checker`` gives, for a column as the database reports it, the check a
value must pass before anything is written and the conversion it gets.
"""

import math
import numbers
from datetime import date, datetime, time as daytime
from decimal import Decimal
from typing import Any, Callable, Dict, List, Optional, Tuple

from sqlalchemy import (BigInteger, Column, Computed, Double, Index, Integer, MetaData, String,
                        Table, UniqueConstraint, types as sqltypes)

from ..exceptions import ConfigurationError

NULL_BUCKET = -2 ** 63   # r_key of a row without resolution, on MariaDB/MySQL
FIELD_LENGTH = 32        # a stored field's name: 'count', a sketch's bin 'n-345000000'

VALUE_TYPES = {
    float: Double, 'float': Double, 'double': Double,
    int: Integer, 'int': Integer, 'integer': Integer, 'long': BigInteger, 'bigint': BigInteger,
    str: String, 'str': String, 'string': String, 'unicode': String,
    'text': sqltypes.Text, 'clob': sqltypes.Text,
    bytes: sqltypes.LargeBinary, 'blob': sqltypes.LargeBinary, 'binary': sqltypes.LargeBinary,
    Decimal: sqltypes.Numeric, 'decimal': sqltypes.Numeric, 'numeric': sqltypes.Numeric,
    bool: sqltypes.Boolean, 'bool': sqltypes.Boolean, 'boolean': sqltypes.Boolean,
    datetime: sqltypes.DateTime, 'datetime': sqltypes.DateTime,
    date: sqltypes.Date, 'date': sqltypes.Date, daytime: sqltypes.Time, 'time': sqltypes.Time,
}


def define_table(table_name: str, data: Tuple[str, ...], by_value: bool, ordered: bool,
                 string_length: int, value_type: Any, mysql: Optional[str]) -> Table:
    """A type's table (see the package docstring): ``data`` its data columns, ``by_value``
    when the first of them (a value, a field, a register) is part of a bucket's key,
    ``ordered`` for series (no key, insert_time).
    ``mysql`` is 'mysql' or 'mariadb' on those, else None.
    """
    name_type = String(string_length)
    columns: List[Column[Any]] = [Column('name', name_type, nullable=False),
               Column('interval', name_type, nullable=False)]
    if ordered:
        columns.append(Column('insert_time', Double, nullable=False))
    columns += [Column('i_time', BigInteger, nullable=False),
                Column('r_time', BigInteger, nullable=True)]
    if 'field' in data:   # a row per stored field of a bucket (a sketch's): a double each
        columns += [Column('field', String(FIELD_LENGTH), nullable=False),
                    Column('value', Double, nullable=False)]
    elif 'value' in data:
        columns.append(Column('value', value_type, nullable=False))
    if 'count' in data:  # a histogram's counts are ints; a count's may be floats
        columns.append(Column('count', Integer if 'value' in data else Double, nullable=False))
    # a summary's other figures
    columns += [Column(figure, Double, nullable=False)
                for figure in ('sum', 'sumsq', 'min', 'max') if figure in data]
    # a distinct bucket's registers: which one, and its rank
    columns += [Column(part, Integer, nullable=False)
                for part in ('register', 'rank') if part in data]
    # the Timeseries clock at the row's latest write (NULL in rows 0.10.1 wrote)
    columns.append(Column('w_time', Double, nullable=True))
    options: Dict[str, Any] = {}
    if mysql:  # binary, no-pad: 'a', 'A' and 'a ' are three names
        options = {'mysql_charset': 'utf8mb4', 'mysql_collate': 'utf8mb4_nopad_bin'
                   if mysql == 'mariadb' else 'utf8mb4_0900_bin'}
    if mysql and not ordered:
        columns.append(Column('r_key', BigInteger, Computed(
            'coalesce(r_time, %d)' % NULL_BUCKET, persisted=False)))
    t = Table(table_name, MetaData(), *columns, **options)
    key = [t.c.name, t.c.interval, t.c.i_time] + ([t.c[data[0]]] if by_value else [])
    if ordered:
        Index(table_name + '_read', *key)
    elif mysql:
        Index(table_name + '_unique_null', *key[:3], t.c.r_key, *key[3:], unique=True)
    else:
        t.append_constraint(UniqueConstraint(*key[:3], t.c.r_time, *key[3:],
                                             name=table_name + '_unique'))
        Index(table_name + '_unique_null', *key, unique=True,
              sqlite_where=t.c.r_time.is_(None), postgresql_where=t.c.r_time.is_(None))
    return t


def column_type(value_type: Any, string_length: int, text_length: int) -> Any:
    """The SQLAlchemy type of the value column for the ``value_type`` keyword."""
    if isinstance(value_type, sqltypes.TypeEngine):
        return value_type
    if isinstance(value_type, type) and issubclass(value_type, sqltypes.TypeEngine):
        return value_type()
    try:
        kind = VALUE_TYPES[value_type]
    except (KeyError, TypeError):
        raise ConfigurationError('unsupported value_type %r: use one of %s, or an SQLAlchemy '
                                 'type' % (value_type, ', '.join(
                                     sorted(k for k in VALUE_TYPES if isinstance(k, str)))))
    if kind is String:
        return String(string_length)
    if kind in (sqltypes.Text, sqltypes.LargeBinary):
        return kind(text_length).with_variant(kind(), 'postgresql')
    if kind is sqltypes.Numeric:
        return sqltypes.Numeric(38, 10)
    return kind()


# a value's check: what the column needs, or None when the value fits
Check = Callable[[Any], Optional[str]]


def _number(low: int, high: int) -> Check:
    def check(value: Any) -> Optional[str]:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return 'an integer from %d to %d' % (low, high)
        return None
    return check


def no_check(value: Any) -> None:
    return None


def _check_float(value: Any) -> Optional[str]:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or \
            not math.isfinite(value):
        return 'a finite number'
    return None


def _check_decimal(value: Any) -> Optional[str]:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)) or \
            not Decimal(value).is_finite():
        return 'a finite number or Decimal'
    return None


def _text(length: Optional[int]) -> Check:
    def check(value: Any) -> Optional[str]:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            return 'a str (or int or float, stored as str)'
        text = value if isinstance(value, str) else str(value)
        if length and len(text) > length:
            return 'at most %d characters' % length
        if '\0' in text:
            return 'text without NUL characters'
        try:
            text.encode('utf-8')
        except UnicodeEncodeError:
            return 'valid unicode'
        return None
    return check


def _instance(*kinds: type) -> Check:
    def check(value: Any) -> Optional[str]:
        if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
            return 'a ' + ' or '.join(kind.__name__ for kind in kinds)
        return None
    return check


def checker(column_type: Any) -> Tuple[Check, Optional[Callable[[Any], Any]]]:
    """(check, convert) for values of a column: check gives what it needs, or None."""
    if isinstance(column_type, sqltypes.Boolean):
        return _instance(bool), None
    if isinstance(column_type, sqltypes.Integer):
        bits = 63 if isinstance(column_type, sqltypes.BigInteger) else \
            15 if isinstance(column_type, sqltypes.SmallInteger) else 31
        return _number(-2 ** bits, 2 ** bits - 1), None
    if isinstance(column_type, sqltypes.Float):
        return _check_float, None
    if isinstance(column_type, sqltypes.Numeric):
        return _check_decimal, None
    if isinstance(column_type, sqltypes.String):
        return _text(column_type.length), lambda v: v if type(v) is str else str(v)
    if isinstance(column_type, sqltypes._Binary):
        return _instance(bytes, bytearray), None
    if isinstance(column_type, sqltypes.DateTime):
        return _instance(datetime), None
    if isinstance(column_type, sqltypes.Date):
        return _instance(date), None
    if isinstance(column_type, sqltypes.Time):
        return _instance(daytime), None
    return no_check, None   # another type: the database decides


def plain(column_type: Any) -> bool:
    """True if every driver returns the column's values as SQLAlchemy would."""
    if isinstance(column_type, sqltypes.Float):
        return not column_type.asdecimal
    return isinstance(column_type, (sqltypes.String, sqltypes.Integer, sqltypes._Binary)) \
        and not isinstance(column_type, sqltypes.Enum)
