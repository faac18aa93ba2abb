"""Charts of a read: in the terminal with plotext (``--chart``), to a PNG or SVG file
with matplotlib (``--png``, ``--svg``); each is an optional extra, imported when drawn.

A chart draws one line (or set of bars) per name, over time in the display
zone. A row that is no number is charted through a transform: the one given
(``--transform``; several draw a line each), else the type's entry in
CHART_TRANSFORMS, which a new type extends::

    series, histogram, set    count   (values in the bucket)
    summary                   mean
    sketch                    median
    count, gauge, distinct    the row itself (a gauge's text read as a number)

A type without an entry charts its rows by shape: numbers as they are, a
list or set by its length; anything else is a gap.
"""

import collections.abc
import math
from datetime import datetime, tzinfo
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .errors import MissingExtra
from .rows import Reading, points
from .times import local
from .values import to_number

# type -> the transform a chart reads rows of that type through, where none is given
CHART_TRANSFORMS = {'series': 'count', 'histogram': 'count', 'set': 'count', 'summary': 'mean',
                    'sketch': 'median'}
Line = List[Tuple[int, Optional[float]]]
# without colours, what tells the lines (and the bars) apart
LINE_MARKERS = ('hd', '•', '+', 'x', '*', 'o')
BAR_MARKERS = ('full', '▒', '░', '▓')


def chart_transform(type_name: str) -> Optional[str]:
    """The transform a chart of ``type_name`` reads through where none is given."""
    return CHART_TRANSFORMS.get(type_name)


def lines(reading: Reading) -> Dict[str, Line]:
    """The points to draw, by legend label: ``(time, number or None)`` in time order."""
    drawn: Dict[str, Line] = {}
    split = len(reading.transforms) > 1
    for label in reading.result:
        found = [(time, row) for _, time, row in points(reading, label)]
        if split:
            for transform in reading.transforms:
                drawn['%s %s' % (label, transform)] = [
                    (time, to_number(row.get(transform))
                     if isinstance(row, collections.abc.Mapping) else None)
                    for time, row in found]
        else:
            drawn[label] = [(time, chart_number(row)) for time, row in found]
    return drawn


def chart_number(row: Any) -> Optional[float]:
    """A row as the number a chart draws (see the module docstring)."""
    if isinstance(row, (list, tuple, set, frozenset)):
        return float(len(row))
    return to_number(row)


def tick_labels(times: Sequence[int], zone: Optional[tzinfo],
                count: int) -> Tuple[List[int], List[str]]:
    """About ``count`` of ``times``, evenly spread, and their labels in ``zone``, as
    short as the span allows (hours and minutes within a day)."""
    unique = sorted(set(times))
    if not unique:
        return [], []
    count = max(2, min(count, len(unique)))
    chosen = sorted({unique[round(n * (len(unique) - 1) / (count - 1))] for n in range(count)})
    moments = [local(time, zone) for time in chosen]
    span = unique[-1] - unique[0]
    if span < 86400 and len({m.date() for m in moments}) == 1 or span < 86400 // 2:
        shape = '%H:%M:%S' if any(m.second for m in moments) else '%H:%M'
    elif any(m.hour or m.minute for m in moments) and span < 60 * 86400:
        shape = '%m-%d %H:%M'
    else:
        shape = '%Y-%m-%d'
    return chosen, [m.strftime(shape) for m in moments]


def terminal(drawn: Dict[str, Line], *, width: int, height: int, zone: Optional[tzinfo],
             zone_name: str, title: str, bars: bool = False, color: bool = False) -> str:
    """The chart as text for a terminal of ``width`` columns, ``height`` lines tall."""
    try:
        import plotext
    except ImportError:
        raise MissingExtra('plotext', 'chart', '--chart') from None
    figure = plotext.figure
    figure.clear()
    plotext.terminal.limit(False, False)
    figure.theme('simple' if color else 'colorless')
    figure.plot_size(width, height)
    times = sorted({time for line in drawn.values() for time, _ in line})
    if not any(value is not None for line in drawn.values() for _, value in line):
        return '%s: nothing to chart (no numbers)' % title
    if bars:
        _bars(figure, drawn, times, color)
    else:
        for n, (label, line) in enumerate(drawn.items()):
            _line(figure, label, line, 'hd' if color else LINE_MARKERS[n % len(LINE_MARKERS)])
    positions, labels = tick_labels(times, zone, max(2, width // 16))
    figure.ruler('x').ticks(positions, labels)
    figure.title(title)
    figure.label('time (%s)' % zone_name, axis='x')
    text: str = figure.build().string(colorless=not color)
    return '\n'.join(line.rstrip() for line in text.splitlines())


def _line(figure: Any, label: str, line: Line, marker: str) -> None:
    """One line: its numbers joined, broken where a row has none."""
    present = [(time, value) for time, value in line if value is not None]
    if not present:
        return
    signal = figure.signal([time for time, _ in present], [value for _, value in present],
                           marker=marker)
    signal.lines()
    signal.label(label)
    gaps = [time for time, value in line if value is None]
    for index in range(1, len(present)):
        if any(present[index - 1][0] < gap < present[index][0] for gap in gaps):
            signal.line(index, False)
    figure.draw(signal)


def _bars(figure: Any, drawn: Dict[str, Line], times: List[int], color: bool) -> None:
    """Bars side by side at each time, one colour (or marker) a label; no number, no bar."""
    spacing = min((b - a for a, b in zip(times, times[1:])), default=1)
    share = 0.8 / len(drawn)
    for n, (label, line) in enumerate(drawn.items()):
        offset = (n - (len(drawn) - 1) / 2) * spacing * share
        values = dict(line)
        bar = figure.bar([time + offset for time in times],
                         [values.get(time) or 0.0 for time in times], width=share,
                         marker='full' if color else BAR_MARKERS[n % len(BAR_MARKERS)])
        bar.label(label)
        figure.draw(bar)


def save(drawn: Dict[str, Line], path: str, kind: str, *, zone: Optional[tzinfo],
         zone_name: str, title: str, bars: bool = False) -> None:
    """Write the chart to ``path`` as ``kind`` ('png' or 'svg') with matplotlib's Agg."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingExtra('matplotlib', 'plot', '--' + kind) from None
    figure = Figure(figsize=(10, 4.5), layout='constrained')
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    times = sorted({time for line in drawn.values() for time, _ in line})
    spacing = min((b - a for a, b in zip(times, times[1:])), default=60) / 86400
    for n, (label, line) in enumerate(drawn.items()):
        moments = [local(time, zone) for time, _ in line]
        values = [math.nan if value is None else value for _, value in line]
        if bars:
            share = 0.8 / len(drawn)
            offset = (n - (len(drawn) - 1) / 2) * spacing * share
            axes.bar([_days(m) + offset for m in moments], values, width=spacing * share,
                     label=label)
        else:
            axes.plot([_days(m) for m in moments], values,
                      marker='.' if len(line) < 60 else None, label=label)
    locator = AutoDateLocator(tz=zone)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(
        ConciseDateFormatter(locator, tz=zone))  # type: ignore[no-untyped-call]
    axes.set_title(title)
    axes.set_xlabel('time (%s)' % zone_name)
    axes.grid(True, alpha=0.3)
    if drawn:
        axes.legend()
    figure.savefig(path, format=kind)


def _days(moment: datetime) -> float:
    """matplotlib's date number of an aware datetime (days since 1970-01-01 UTC)."""
    return moment.timestamp() / 86400
