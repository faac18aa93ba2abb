"""``kairos list`` and ``kairos info``: what is stored, and how each name is kept.

``list`` prints the names stored under each configuration (``list()`` of the
API), matching an optional glob pattern. ``info NAME...`` prints, for each
interval of the configuration, its step, resolution, retention (``steps``) and
timezone, and the first and last buckets holding the name (``properties()``).
"""

import argparse
import fnmatch
from typing import Any, Dict, List, Optional

from kairos.urls import safe

from . import options
from .context import Context
from .output import Answer, Record, emit, formatted
from .registry import Command, register
from .table import Table
from .times import iso, local, time_format, zone_label


@register
class ListNames(Command):
    name = 'list'
    summary = 'the names stored, per configuration'
    description = ('Print the names stored under each configuration (or the one --in '
                   'names), sorted; PATTERN keeps those it matches (*, ?, [abc]).')
    examples = '''examples:
  kairos list --config kairos.toml                 every configuration's names
  kairos list 'web.*' --config kairos.toml --in hits
  kairos list --url redis://localhost:6379/0 --prefix web --define-interval minute:60
  kairos list --config kairos.toml --format json   {"hits": ["home", ...], ...}'''

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument('pattern', nargs='?', metavar='PATTERN',
                            help='a glob pattern the names must match')
        options.source(parser)
        options.output(parser)

    def run(self, args: argparse.Namespace, context: Context) -> int:
        setup = context.setup(args)
        chosen = setup.chosen(args.use)
        found: Dict[str, List[str]] = {}
        for configuration in chosen:
            with context.timeseries(configuration, args) as timeseries:
                names = timeseries.list()
            found[configuration.name] = [name for name in names if args.pattern is None
                                         or fnmatch.fnmatchcase(name, args.pattern)]
        records = [{'configuration': where, 'name': name}
                   for where, names in found.items() for name in names]
        several = len(found) > 1

        def table() -> Table:
            columns = ['configuration', 'name'] if several else ['name']
            return Table(columns, [[r[c] for c in columns] for r in records])
        emit(context.stdout, formatted(Answer(lambda: found, lambda: records, table),
                                       args.format, context.width()))
        return 0


@register
class Info(Command):
    name = 'info'
    summary = 'how names are kept: each interval, and its first and last bucket'
    description = ('Print, for each interval of the configuration, its step, resolution, '
                   'retention (steps) and timezone, and the first and last buckets that '
                   'hold each NAME (properties() of the API).')
    examples = '''examples:
  kairos info home --config kairos.toml --in hits
  kairos info home away --url redis://localhost:6379/0 --type count \\
      --define-interval minute:60::120 --define-interval hour:1h::24
  kairos info home --config kairos.toml --format json'''

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument('names', nargs='+', metavar='NAME', help='a statistic name')
        options.source(parser)
        options.output(parser)

    def run(self, args: argparse.Namespace, context: Context) -> int:
        configuration = context.configuration(args)
        intervals = configuration.intervals()
        with context.timeseries(configuration, args) as timeseries:
            extents = {name: timeseries.properties(name) for name in args.names}
        document = {name: {interval.name: {
            'step': interval.step, 'resolution': interval.resolution, 'steps': interval.steps,
            'timezone': getattr(interval.timezone, 'key', None),
            'first': extent.get(interval.name, {}).get('first'),
            'last': extent.get(interval.name, {}).get('last')}
            for interval in intervals.values()} for name, extent in extents.items()}
        zone = context.zone(args)
        records: List[Record] = []
        for name, per_interval in document.items():
            for interval_name, facts in per_interval.items():
                record: Record = {'name': name, 'interval': interval_name}
                record.update(facts)
                for end in ('first', 'last'):
                    if facts[end] is not None:
                        record[end + '_iso'] = iso(facts[end], zone)
                records.append(record)
        caption = '%s, a %s on %s%s' % (configuration.name, configuration.type,
                                        safe(configuration.url), _prefix(configuration))
        now = context.now(args)

        def table() -> Table:
            moments = [local(r[end], zone) for r in records for end in ('first', 'last')
                       if r[end] is not None]
            shape = time_format(moments)
            columns = ['name', 'interval', 'step', 'resolution', 'steps', 'timezone',
                       'first (%s)' % zone_label(zone, now), 'last']
            rows = [[r['name'], r['interval'], duration(r['step']), duration(r['resolution']),
                     '' if r['steps'] is None else str(r['steps']), r['timezone'] or 'UTC',
                     _moment(r['first'], zone, shape), _moment(r['last'], zone, shape)]
                    for r in records]
            return Table(columns, rows, right={4}, caption=caption)
        emit(context.stdout, formatted(Answer(lambda: document, lambda: records, table),
                                       args.format, context.width()))
        return 0


def duration(step: Any) -> str:
    """A step for people: ``'1min'``, ``'2h'``, ``'7d'``, ``'90s'``, or a calendar name.

    >>> duration(60), duration(7200), duration(90), duration('daily')
    ('1min', '2h', '90s', 'daily')
    """
    if not isinstance(step, int):
        return str(step)
    for unit, seconds in (('d', 86400), ('h', 3600), ('min', 60)):
        if step and step % seconds == 0:
            return '%d%s' % (step // seconds, unit)
    return '%ds' % step


def _moment(seconds: Optional[int], zone: Any, shape: str) -> str:
    return '' if seconds is None else local(seconds, zone).strftime(shape)


def _prefix(configuration: Any) -> str:
    prefix = configuration.keywords.get('prefix')
    return ' (prefix %r)' % prefix if prefix else ''
