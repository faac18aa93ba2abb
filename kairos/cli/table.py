"""An aligned text table that fits a width: what ``--format table`` prints.

Columns are as wide as their widest cell. Where the whole is wider than the
width, the widest columns give up characters first (their cells end in ``…``),
down to a few each (the first column, the rows' key, keeps its cells whole);
columns that still do not fit are left out from the right, a last column ``…``
saying so. Numbers are aligned right, text left.

>>> print(render(Table(['time', 'hits'], [['08:00', '3'], ['08:01', '12']], right={1})))
time   hits
-----  ----
08:00     3
08:01    12
"""

from typing import AbstractSet, List, NamedTuple, Optional

ELLIPSIS = '…'
NARROWEST = 5   # a column is not shrunk below this, or its header
GAP = 2


class Table(NamedTuple):
    """Column headers, rows of cell texts, the columns aligned right, and a caption
    line printed above (None: none)."""

    columns: List[str]
    rows: List[List[str]]
    right: AbstractSet[int] = frozenset()
    caption: Optional[str] = None


def widths(table: Table, width: Optional[int]) -> List[int]:
    """Each column's width: its widest cell, shrunk (widest first) to fit ``width``; the
    columns left out at the right are not in the list."""
    cells = [0] * len(table.columns)
    for row in table.rows:
        for n, text in enumerate(row):
            cells[n] = max(cells[n], len(text))
    found = [max(cells[n], len(header)) for n, header in enumerate(table.columns)]
    if width is None:
        return found
    floor = [min(w, max(NARROWEST, min(len(h), 8))) for w, h in zip(found, table.columns)]
    floor[0] = min(found[0], max(cells[0], NARROWEST))
    excess = sum(found) + GAP * (len(found) - 1) - width
    while excess > 0:
        shrinkable = [n for n, w in enumerate(found) if w > floor[n]]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda n: found[n])
        found[widest] -= 1
        excess -= 1
    while excess > 0 and len(found) > 1:   # room for the last column, an ellipsis
        excess -= found.pop() + GAP
        if len(found) == len(table.columns) - 1:
            excess += 1 + GAP
    return found


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, ending in an ellipsis where it was cut."""
    return text if len(text) <= width else text[:max(0, width - 1)] + ELLIPSIS


def render(table: Table, width: Optional[int] = None) -> str:
    """The table as lines of text, none longer than ``width`` (None: any length)."""
    sizes = widths(table, width)
    gap = ' ' * GAP
    cut = len(sizes) < len(table.columns)

    def line(cells: List[str]) -> str:
        parts = []
        for n, (text, size) in enumerate(zip(cells, sizes)):
            text = fit(text, size)
            parts.append(text.rjust(size) if n in table.right else text.ljust(size))
        if cut:
            parts.append(ELLIPSIS)
        joined = gap.join(parts).rstrip()
        return joined if width is None else joined[:width]

    lines = [] if table.caption is None else [table.caption if width is None
                                              else fit(table.caption, width)]
    lines.append(line(table.columns))
    lines.append(line(['-' * size for size in sizes]))
    lines.extend(line(row) for row in table.rows)
    return '\n'.join(lines)
