"""The rows of the SQL backend's types: the ``OPS`` table of how each type writes and
reads its table, the rows a Write becomes, and the read path from rows to buckets."""

import threading
import time
from collections import OrderedDict
from functools import partial
from itertools import groupby
from operator import itemgetter
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Tuple

from sqlalchemy import sql

from ..distinct import DistinctCount
from ..hll import M, merge
from ..intervals import Interval, RelativeTime
from ..series_types import MISSING
from ..summary import merge_rows, read_row
from ..timeseries import Write


# Each collect(rows, scale, cells) puts one name's rows into ``cells``: {i_time:
# OrderedDict {r_time * scale: data}}, or {None: data} where ``scale`` is None (an interval
# without resolution), skipping rows of other buckets. A row is (i_time, r_time, data
# columns); the data is what the type's process_row makes of it without read_func.

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


def _mapping(cells: Dict[Any, Any], i_time: Any, r_time: Any,
             scale: Optional[int]) -> Optional[Dict[Any, Any]]:
    """The dict a bucket's rows fill (made at its first), or None for a bucket not read."""
    cell = cells.get(i_time)
    if cell is None:
        return None
    r_time = None if scale is None or r_time is None else r_time * scale
    found = cell.get(r_time)
    if found is None:
        found = cell[r_time] = {}
    return found  # type: ignore[no-any-return]


def _collect_histograms(rows: Iterable[Any], scale: Optional[int],
                        cells: Dict[Any, Any]) -> None:
    """{value: count} per bucket."""
    for i_time, r_time, value, count in rows:
        counts = _mapping(cells, i_time, r_time, scale)
        if counts is not None:
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


def _collect_summaries(rows: Iterable[Any], scale: Optional[int],
                       cells: Dict[Any, Any]) -> None:
    """A summary's row per bucket; repeated rows merge."""
    for i_time, r_time, count, total, sumsq, low, high in rows:
        cell = cells.get(i_time)
        if cell is not None:
            r_time = None if scale is None or r_time is None else r_time * scale
            row = read_row({'count': count, 'sum': total, 'sumsq': sumsq, 'min': low,
                            'max': high})
            cell[r_time] = merge_rows([cell[r_time], row]) if r_time in cell else row


def _collect_fields(rows: Iterable[Any], scale: Optional[int],
                    cells: Dict[Any, Any]) -> None:
    """A bucket's stored fields, {field: value}, per bucket (a sketch's), which the type's
    process_row then reads (see Op.fields)."""
    for i_time, r_time, field, value in rows:
        fields = _mapping(cells, i_time, r_time, scale)
        if fields is not None:
            fields[field] = value


def _collect_registers(rows: Iterable[Any], scale: Optional[int],
                       cells: Dict[Any, Any]) -> None:
    """A distinct bucket's estimate, from its rows of (register, rank); repeated rows of
    a register keep the larger rank."""
    found: Dict[Any, bytearray] = {}   # (cell, r_time) -> the registers read
    for i_time, r_time, register, rank in rows:
        cell = cells.get(i_time)
        if cell is not None:
            r_time = None if scale is None or r_time is None else r_time * scale
            registers = found.get((i_time, r_time))
            if registers is None:
                registers = found[(i_time, r_time)] = bytearray(M)
            if rank > registers[register]:
                registers[register] = rank
    for (i_time, r_time), registers in found.items():
        cell = cells[i_time]
        row = bytes(registers)
        # a fetch that reorders rows may bring a bucket's rows in several groups
        cell[r_time] = DistinctCount.of(merge(cell[r_time].registers, row)
                                        if r_time in cell else row)


def _least(old: Any, new: Any) -> Any:
    return sql.case((new < old, new), else_=old)


def _greatest(old: Any, new: Any) -> Any:
    return sql.case((new > old, new), else_=old)


def _merged_field(t: Any, new: Any) -> Dict[str, Any]:
    """The SET clause of a row per stored field: min and max compare, the others add."""
    field, old, given = t.c['field'], t.c['value'], new['value']
    # the names inlined, not bound: the statement's parameters stay the row's columns
    low: Any = sql.literal_column("'min'")
    high: Any = sql.literal_column("'max'")
    return {'value': sql.case((field == low, _least(old, given)),
                              (field == high, _greatest(old, given)), else_=old + given)}


class Op(NamedTuple):
    """How one type writes and reads its table."""
    table: str
    columns: Tuple[str, ...]  # data columns read after name, i_time, r_time
    by_value: bool            # the first data column (value, field, register) is in the key
    # (table, new row) -> SET clause; None: plain inserts
    on_conflict: Optional[Callable[[Any, Any], Dict[str, Any]]]
    collect: Callable[..., None]  # (rows read, scale, cells): see _collect_values
    # True: a row per stored field of a bucket, which collect gathers and the type's
    # process_row reads (a sketch's); else collect makes the rows itself
    fields: bool = False


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
    'summary': Op('summary', ('count', 'sum', 'sumsq', 'min', 'max'), False,
                  lambda t, new: {'count': t.c['count'] + new['count'],
                                  'sum': t.c['sum'] + new['sum'],
                                  'sumsq': t.c['sumsq'] + new['sumsq'],
                                  'min': _least(t.c['min'], new['min']),
                                  'max': _greatest(t.c['max'], new['max'])},
                  _collect_summaries),
    'distinct': Op('distinct', ('register', 'rank'), True,
                   lambda t, new: {'rank': _greatest(t.c['rank'], new['rank'])},
                   _collect_registers),
    'sketch': Op('sketch', ('field', 'value'), True, _merged_field, _collect_fields, True),
}

_STAMP_LOCK, _LAST_STAMP = threading.Lock(), [0.0]
_FIRST, _AFTER_NAME = itemgetter(0), itemgetter(slice(1, None))


# -- writing -------------------------------------------------------------------

def write_rows(kind: str, write: Write, convert: Optional[Callable[[Any], Any]],
               now: float, rows: List[Any]) -> None:
    """Append the rows one Write of a ``kind`` type inserts or upserts at ``now`` to
    ``rows``, their values converted by ``convert`` and in the order name, interval,
    i_time, r_time, the type's own columns (a series': value, insert_time), w_time."""
    payload = write.payload
    if kind == 'distinct':   # a row per register the values set
        base = (write.name, write.interval.name, write.i_bucket, write.r_bucket)
        rows.extend(base + item + (now,) for item in payload.registers.items())
        return
    if kind == 'sketch':   # a row per stored field
        base = (write.name, write.interval.name, write.i_bucket, write.r_bucket)
        rows.extend(base + (field, float(number), now) for field, number in payload.items())
        return
    if kind == 'summary':
        rows.append((write.name, write.interval.name, write.i_bucket, write.r_bucket,
                     payload['count']) + tuple(float(payload[figure]) for figure in
                                               ('sum', 'sumsq', 'min', 'max')) + (now,))
        return
    if kind == 'count' or kind == 'gauge':   # a row each, built at once: bulks make many
        rows.append((write.name, write.interval.name, write.i_bucket, write.r_bucket,
                     convert(payload) if convert else payload, now))
        return
    base = (write.name, write.interval.name, write.i_bucket, write.r_bucket)
    if convert:
        payload = [(convert(v), n) for v, n in payload] if kind == 'histogram' else \
            [convert(v) for v in payload]
    if kind == 'histogram':
        counts: Dict[Any, int] = {}
        for value, count in payload:  # 1 and '1' are one value in a text column
            counts[value] = counts.get(value, 0) + count
        rows.extend(base + item + (now,) for item in counts.items())
    elif kind == 'set':
        rows.extend(base + (value, now) for value in dict.fromkeys(payload))
    else:
        rows.extend(base + (value, stamp, now)
                    for value, stamp in zip(payload, _stamps(len(payload))))


def _stamps(n: int) -> List[float]:
    """n increasing insert times, after every earlier one of this process.

    They order a series bucket's values, so they come from the wall clock,
    never from the (injectable) bucket clock.
    """
    with _STAMP_LOCK:
        first = max(time.time(), _LAST_STAMP[0] + 1e-6)
        _LAST_STAMP[0] = first + (n - 1) * 1e-6
    return [first + i * 1e-6 for i in range(n)]


# -- reading -------------------------------------------------------------------

def resolution_scale(interval: Interval) -> Tuple[Optional[int], bool]:
    """(scale, gregorian) of an interval's rows: resolution rows are keyed by time,
    r_time * scale, or by bucket (scale 1) until ``finish`` converts gregorian ones;
    scale is None without a resolution."""
    gregorian = not interval.coarse and not isinstance(interval.r_calc, RelativeTime)
    scale = None if interval.coarse else 1 if gregorian else \
        interval.r_calc.step_size()  # type: ignore[call-arg]  # a RelativeTime's
    return scale, gregorian


def collect_named(rows: Iterable[Any], collect: Callable[..., None], scale: Optional[int],
                  cells: Dict[str, Any]) -> None:
    """Collect rows (name, i_time, r_time, data) into ``cells`` per name, skipping other
    names: ordered by name, unless a fetch reordered them: then in more groups."""
    for name, group in groupby(rows, _FIRST):
        if name in cells:
            collect(map(_AFTER_NAME, group), scale, cells[name])


def finish(rval: Dict[str, List[Any]], interval: Interval, gregorian: bool) -> None:
    """Turn each name's collected cells into its buckets in place: a coarse interval's
    data or MISSING, else resolution rows keyed by time, in time order."""
    for cells in rval.values():
        if interval.coarse:
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
