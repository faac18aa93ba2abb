"""The formats a command's answer is printed in: ``table``, ``csv``, ``json``, ``jsonl``.

A command describes its answer once, as an :class:`Answer` of three views,
each built only when its format is asked for::

    json    document()  the whole answer as one JSON document; for reads, what the
                        API returned ({name: {time: row}}, times as text keys)
    jsonl   records()   flat records, one JSON object a line
    csv     records()   the same records, a header of every key met, rows in order
    table   table()     an aligned table for people (kairos.cli.table), local times

The default is ``table``, on a terminal or not: a script says ``--format``.
"""

import csv
import io
import json
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, TextIO

from .table import Table, render
from .values import csv_text, jsonable

FORMATS = ('table', 'csv', 'json', 'jsonl')
Record = Dict[str, Any]


class Answer(NamedTuple):
    """What a command prints, in each format; see the module docstring."""

    document: Callable[[], Any]
    records: Callable[[], Iterable[Record]]
    table: Callable[[], Table]


def formatted(answer: Answer, format: Optional[str], width: Optional[int]) -> str:
    """``answer`` as text in ``format`` (None: table), a table fit to ``width``."""
    if format == 'json':
        return json.dumps(jsonable(answer.document()), indent=2, ensure_ascii=False)
    if format == 'jsonl':
        return '\n'.join(json.dumps(jsonable(record), ensure_ascii=False)
                         for record in answer.records())
    if format == 'csv':
        return csv_document(list(answer.records()))
    return render(answer.table(), width)


def csv_document(records: List[Record]) -> str:
    """Records as CSV: a header of every key in the order met, a line a record."""
    columns: Dict[str, None] = {}
    for record in records:
        columns.update(dict.fromkeys(record))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator='\n')
    writer.writerow(list(columns))
    for record in records:
        writer.writerow([csv_text(jsonable(record.get(column))) for column in columns])
    return out.getvalue().rstrip('\n')


def emit(stream: TextIO, text: str) -> None:
    """Write ``text`` and a newline (nothing for no text), and flush."""
    if text:
        stream.write(text + '\n')
    stream.flush()
