"""``kairos get`` and ``kairos series``: the API's reads, printed or charted.

Each NAME is read apart (``get_many`` / ``series_many``: one store read for
them all) and shown in its own column or line; ``--join`` reads them as one,
as the API's ``get([names])`` does (counts added, histograms merged...).
The options are the API's keywords. Without ``--interval``, ``get`` reads the
only interval configured; ``series`` reads what the API's choice picks for
``--start`` to ``--end`` (at most ``--max-points`` buckets), or, without
``--start``, the only interval. ``--chart``, ``--png`` and ``--svg`` draw the
rows (:mod:`kairos.cli.charts`); ``kairos watch`` redraws what
:func:`read` and :func:`show` give.
"""

import argparse
import logging
from datetime import datetime
from typing import Any, Dict, List, Optional

from . import charts, options
from .config import Configuration
from .context import Context
from .errors import UsageError
from .output import emit, formatted
from .registry import Command, register
from .rows import Reading, answer
from .times import zone_label

log = logging.getLogger('kairos.cli')

GET_EXAMPLES = '''examples:
  kairos get home --config kairos.toml --in hits --interval minute
  kairos get home away --url redis://localhost:6379/0 --type count \\
      --define-interval minute:60::120 --at 2027-01-15T08:30 --format json
  kairos get latency --config kairos.toml --interval hour --transform p99 --transform mean
  kairos get home --config kairos.toml --interval hour --condense --chart'''

SERIES_EXAMPLES = '''examples:
  kairos series home --config kairos.toml --in hits --interval minute --steps 30
  kairos series home away --config kairos.toml --start -6h --chart
  kairos series home --config kairos.toml --interval minute --every 15min --bars --chart
  kairos series latency --config kairos.toml --start -7d --transform p99 --png week.png
  kairos series home --url sqlite:///stats.db --type count --define-interval day:daily \\
      --start 2027-01-01 --end 2027-01-31 --format csv'''


def read_options(parser: argparse.ArgumentParser, series: bool) -> None:
    """The options of a read, as the API names them."""
    parser.add_argument('names', nargs='+', metavar='NAME', help='a statistic name')
    group = parser.add_argument_group('the read')
    group.add_argument('-i', '--interval', help='the interval to read (see the description '
                                                'for the default)')
    if series:
        group.add_argument('--steps', type=int, help='how many buckets (default: the '
                                                     'interval\'s steps)')
        group.add_argument('--start', type=options.time_value, metavar='TIME',
                           help='the first bucket holds TIME (2027-01-15T08:00, -6h, ...)')
        group.add_argument('--end', type=options.time_value, metavar='TIME',
                           help='the last bucket holds TIME (default: now)')
        group.add_argument('--collapse', action='store_true',
                           help='merge all the buckets into one row')
        group.add_argument('--max-points', type=int, metavar='N',
                           help='regroup into the smallest every= giving at most N buckets')
    else:
        group.add_argument('--at', type=options.time_value, metavar='TIME',
                           help='the bucket holding TIME (default: now)')
    group.add_argument('-t', '--transform', action='append', metavar='NAME',
                       help='mean, count, min, max, sum, rate, median, stddev, p99...; '
                            'repeat for several (a row becomes {transform: result})')
    group.add_argument('--condense', action='store_true',
                       help='merge the resolution buckets of each bucket into one row')
    group.add_argument('--every', metavar='STEP',
                       help='regroup into buckets of STEP: 900, 15min, daily, monthly...')
    group.add_argument('--join', action='store_true',
                       help='read the names as one, their rows merged (the API\'s list of '
                            'names)')


def chart_options(group: argparse._ArgumentGroup) -> None:
    """``--chart``, ``--bars``, ``--png``, ``--svg``."""
    group.add_argument('--chart', action='store_true',
                       help='draw a chart in the terminal instead of a table (kairos[chart])')
    group.add_argument('--bars', action='store_true', help='draw bars rather than lines')
    group.add_argument('--png', metavar='FILE', help='write a PNG chart (kairos[plot])')
    group.add_argument('--svg', metavar='FILE', help='write an SVG chart (kairos[plot])')


def read(context: Context, args: argparse.Namespace, configuration: Configuration,
         series: bool) -> Reading:
    """Read what the command line asks for, through the chart's transform when charting."""
    names: List[str] = args.names
    transforms = list(args.transform or ())
    if not transforms and charting(args):
        chosen = charts.chart_transform(configuration.type)
        transforms = [chosen] if chosen else []
    transform: Any = (transforms[0] if len(transforms) == 1 else transforms) or None
    interval = _interval(args, configuration, series)
    now = context.now(args)
    every: Any = int(args.every) if args.every and args.every.isdigit() else args.every
    keywords: Dict[str, Any] = dict(transform=transform, condense=args.condense or None,
                                    every=every)
    with context.timeseries(configuration, args) as timeseries:
        if series:
            start = args.start.at(now) if args.start else None
            end = args.end.at(now) if args.end else None
            if start is not None and end is not None and start > end:
                raise UsageError('--start %s is after --end %s' % (args.start.text,
                                                                   args.end.text))
            keywords.update(steps=args.steps, collapse=args.collapse, start=start, end=end)
            if args.max_points is not None:
                keywords['max_points'] = args.max_points
            if args.join:
                result = {'+'.join(names): timeseries.series(names, interval, **keywords)}
            else:
                result = timeseries.series_many(names, interval, **keywords)
        else:
            keywords['timestamp'] = args.at.at(now) if args.at else None
            if args.join:
                result = {'+'.join(names): timeseries.get(names, interval, **keywords)}
            else:
                result = timeseries.get_many(names, interval, **keywords)
    nested = bool(series and interval is not None and not args.condense and not args.collapse
                  and every is None and args.max_points is None
                  and not configuration.intervals()[interval].coarse)
    log.debug('read %s of %s: %s', interval or 'the chosen interval', ', '.join(names),
              {key: value for key, value in keywords.items() if value is not None})
    return Reading(result, nested, transforms, interval)


def _interval(args: argparse.Namespace, configuration: Configuration,
              series: bool) -> Optional[str]:
    """The interval to read: ``--interval``, else the only one (None: the API chooses)."""
    configured = list(configuration.intervals())
    if args.interval is not None:
        if args.interval not in configured:
            raise UsageError('unknown interval %r: %s has %s' % (
                args.interval, configuration.name, ', '.join(configured)))
        return str(args.interval)
    if series and args.start is not None and len(configured) > 1:
        return None
    if len(configured) == 1:
        return configured[0]
    raise UsageError('give --interval (%s has %s)%s' % (
        configuration.name, ', '.join(configured),
        ', or --start for the automatic choice' if series else ''))


def charting(args: argparse.Namespace) -> bool:
    return bool(args.chart or args.png or args.svg)


def title(args: argparse.Namespace, reading: Reading) -> str:
    """What a chart says it shows: the names, the interval, the transform."""
    what = ', '.join(reading.result)
    if reading.transforms:
        what += ': ' + ', '.join(reading.transforms)
    return '%s (%s)' % (what, reading.interval or 'interval chosen')


def show(context: Context, args: argparse.Namespace, reading: Reading) -> str:
    """The text the command prints for ``reading`` (a table, a format, or a chart), after
    writing any chart file asked for."""
    zone = context.zone(args)
    now = context.now(args)
    label = zone_label(zone, now)
    if args.png or args.svg:
        drawn = charts.lines(reading)
        fixed = zone or datetime.now().astimezone().tzinfo
        for path, kind in ((args.png, 'png'), (args.svg, 'svg')):
            if path:
                charts.save(drawn, path, kind, zone=fixed, zone_name=label,
                            title=title(args, reading), bars=args.bars)
    if args.chart:
        return charts.terminal(charts.lines(reading), width=context.width() or 80,
                               height=min(context.height() - 2, 30), zone=zone,
                               zone_name=label, title=title(args, reading), bars=args.bars,
                               color=context.isatty() and 'NO_COLOR' not in context.environ)
    if (args.png or args.svg) and args.format is None:
        return ''
    return formatted(answer(reading, zone, now, args.format == 'csv'), args.format,
                     context.width())


class Read(Command):
    """get and series: the same options and output, ``series`` reading a run of buckets."""

    series = False

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        read_options(parser, self.series)
        options.source(parser)
        chart_options(options.output(parser))

    def run(self, args: argparse.Namespace, context: Context) -> int:
        if args.chart and args.format is not None:
            raise UsageError('--chart draws instead of printing a --format: give one')
        configuration = context.configuration(args)
        emit(context.stdout, show(context, args, read(context, args, configuration,
                                                      self.series)))
        return 0


@register
class Get(Read):
    name = 'get'
    summary = 'the bucket holding a time (default now), per name'
    description = ('Print the bucket of --interval (default: the only one) holding --at '
                   '(default: now) for each NAME, its resolution buckets where the interval '
                   'has a resolution (--condense: one row); or draw it (--chart, --png).')
    examples = GET_EXAMPLES


@register
class Series(Read):
    name = 'series'
    summary = 'a run of buckets, per name: a table, a format or a chart'
    description = ('Print a run of buckets for each NAME: --steps buckets up to --end '
                   '(default: now), or from --start, or --start to --end. Without '
                   '--interval, --start to --end is read from the interval the API chooses '
                   '(at most --max-points buckets, default 300), else the only interval. '
                   'Or draw it: --chart in the terminal, --png/--svg to a file.')
    examples = SERIES_EXAMPLES
    series = True
