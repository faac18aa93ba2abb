"""What a read returned, as each format shows it: the rows of get and series.

A :class:`Reading` holds the API's answer by label (a name, or names joined with
``+``): ``{time: row}``, or, for a series of an interval with a resolution read
without condensing, ``{bucket time: {resolution time: row}}`` (``nested``).
:func:`answer` gives its views (:mod:`kairos.cli.output`)::

    json    the API's answer: {label: {time: row}} (nested: {label: {time: {time: row}}})
    jsonl   {"name", "time", "iso", "value"} a row; nested rows add "bucket"
    csv     the same, a dict row's keys as columns value.KEY
    table   a row a time, a column a label (one label with dict rows: a column a key,
            up to MAX_KEY_COLUMNS), times in the display zone
"""

import collections.abc
import numbers
from datetime import tzinfo
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Tuple

from .output import Answer, Record
from .table import Table
from .times import iso, local, time_format, zone_label
from .values import cell, key_text, ordered_keys

MAX_KEY_COLUMNS = 12


class Reading(NamedTuple):
    """One read: its rows by label, whether they nest resolution rows, the transforms
    asked for (a list of several makes each row ``{transform: result}``), and the
    interval read (None: the one the API chose)."""

    result: Dict[str, Any]
    nested: bool
    transforms: List[str]
    interval: Optional[str] = None


def points(reading: Reading, label: str) -> Iterator[Tuple[Optional[int], int, Any]]:
    """``(bucket, time, row)`` of each row of ``label`` in time order; ``bucket`` is None
    unless the rows nest."""
    for time, row in reading.result[label].items():
        if reading.nested:
            for r_time, r_row in row.items():
                yield time, r_time, r_row
        else:
            yield None, time, row


def records(reading: Reading, zone: Optional[tzinfo]) -> List[Record]:
    """The flat records of jsonl and csv."""
    found = []
    for label in reading.result:
        for bucket, time, row in points(reading, label):
            record: Record = {'name': label, 'time': time, 'iso': iso(time, zone)}
            if bucket is not None:
                record['bucket'] = bucket
            record['value'] = row
            found.append(record)
    return found


def csv_records(reading: Reading, zone: Optional[tzinfo]) -> List[Record]:
    """The records of csv: a dict row's keys as columns ``value.KEY``."""
    flat = []
    for record in records(reading, zone):
        value = record['value']
        if isinstance(value, collections.abc.Mapping):
            del record['value']
            record.update(('value.' + key_text(key), item) for key, item in value.items())
        flat.append(record)
    return flat


def table(reading: Reading, zone: Optional[tzinfo], now: float) -> Table:
    """A row a time, a column a label (or, for one label of dict rows, a key)."""
    by_time: Dict[int, Dict[str, Any]] = {}
    for label in reading.result:
        for _, time, row in points(reading, label):
            by_time.setdefault(time, {})[label] = row
    times = sorted(by_time)
    moments = {time: local(time, zone) for time in times}
    shape = time_format(moments.values())
    labels = list(reading.result)
    keys = _key_columns(labels, by_time)
    head = 'time (%s)' % zone_label(zone, now)
    if keys is not None:
        columns = [head] + [key_text(key) for key in keys]
        rows = [[moments[t].strftime(shape)] + [_cell(_get(by_time[t].get(labels[0]), key))
                                                  for key in keys] for t in times]
        values = [[_get(by_time[t].get(labels[0]), key) for t in times] for key in keys]
    else:
        columns = [head] + labels
        rows = [[moments[t].strftime(shape)] + [_cell(by_time[t].get(label, _ABSENT))
                                                  for label in labels] for t in times]
        values = [[by_time[t].get(label) for t in times] for label in labels]
    right = {n + 1 for n, column in enumerate(values) if all(
        value is None or (isinstance(value, numbers.Real) and not isinstance(value, bool))
        for value in column)}
    return Table(columns, rows, right)


def answer(reading: Reading, zone: Optional[tzinfo], now: float, csv: bool) -> Answer:
    """The views of ``reading``; ``csv``: records with dict rows as columns."""
    flat = csv_records if csv else records
    return Answer(lambda: reading.result, lambda: flat(reading, zone),
                  lambda: table(reading, zone, now))


class _Absent:
    """A label without a row at a time (another label's resolution bucket)."""


_ABSENT = _Absent()


def _cell(value: Any) -> str:
    return '' if value is _ABSENT else cell(value)


def _get(row: Any, key: Any) -> Any:
    return row.get(key) if isinstance(row, collections.abc.Mapping) else None


def _key_columns(labels: List[str], by_time: Dict[int, Dict[str, Any]]) -> Optional[List[Any]]:
    """The keys of one label's dict rows, in the order met, when they are few; else None."""
    if len(labels) != 1:
        return None
    keys: Dict[Any, None] = {}
    rows = [row[labels[0]] for row in by_time.values() if row.get(labels[0]) is not None]
    if not rows or not all(isinstance(row, collections.abc.Mapping) for row in rows):
        return None
    for row in rows:
        keys.update(dict.fromkeys(row))
        if len(keys) > MAX_KEY_COLUMNS:
            return None
    return ordered_keys(list(keys)) if keys else None
