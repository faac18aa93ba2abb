"""``kairos import``, ``dump``, ``restore`` and ``copy``: data into, out of and between stores.

``import FILE`` reads points, ``timestamp,name,value`` as CSV (a header line
naming those columns is skipped) or as JSON lines (``{"timestamp": ..., "name":
..., "value": ...}``), ``-`` for stdin, and writes them with ``bulk_insert`` in
chunks of IMPORT_CHUNK points. Each point is checked as it is read; a bad one
stops the command with its line number, and what was written is whole chunks
only, which the error says.

``dump [NAME...]`` writes every stored bucket of the names (all, by default) of
each configuration (or the one ``--in`` names) as JSON lines (see
:mod:`kairos.dumps`), each with the configuration it came from; ``restore
FILE`` writes them back into the configurations they name (or ``--in``'s).
``copy SRC_URL DST_URL`` is both at once: every configuration read on SRC_URL
and written on DST_URL, whatever the two stores are. On a terminal, a line on
stderr shows the progress; the last line says how much was written.
"""

import argparse
import contextlib
import csv
import io
import itertools
import json
import sys
from typing import Any, Dict, Iterator, List, Optional, TextIO, Tuple

from kairos.exceptions import KairosException
from kairos.urls import safe

from . import options
from .config import Configuration
from .context import Context
from .errors import CommandError, UsageError
from .registry import Command, register
from .times import parse_time

# points a bulk_insert of ``import`` takes
IMPORT_CHUNK = 10000


class Progress:
    """A progress line on stderr, redrawn in place on a terminal; silent elsewhere."""

    def __init__(self, stream: TextIO, what: str, total: Optional[int] = None):
        self.stream, self.what, self.total = stream, what, total
        self.shown = bool(getattr(stream, 'isatty', lambda: False)())

    def update(self, done: int) -> None:
        if self.shown:
            of = '' if self.total is None else ' of %d' % self.total
            self.stream.write('\r%s: %d%s' % (self.what, done, of))
            self.stream.flush()

    def close(self) -> None:
        if self.shown:
            self.stream.write('\n')


@contextlib.contextmanager
def _open(path: str, stdin: TextIO) -> Iterator[TextIO]:
    """The file at ``path`` (closed after), or stdin for '-'."""
    if path == '-':
        yield stdin
        return
    try:
        stream = open(path, newline='')
    except OSError as exc:
        raise CommandError('cannot read %s: %s' % (path, exc.strerror)) from None
    with stream:
        yield stream


def points(lines: TextIO, now: float) -> Iterator[Tuple[int, float, str, Any]]:
    """(line number, timestamp, name, value) of each point of a CSV or JSON lines file."""
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text:
            continue
        try:
            if text.startswith('{'):
                record = json.loads(text)
                stamp, name, value = record['timestamp'], record['name'], record['value']
            else:
                row = next(csv.reader(io.StringIO(text)))
                if number == 1 and row[:3] == ['timestamp', 'name', 'value']:
                    continue
                stamp, name, value = row
                value = _number(value)
            when = parse_time(str(stamp)).at(now)
        except (ValueError, KeyError, TypeError) as exc:
            raise UsageError('line %d: not a point (timestamp, name, value): %s (%s)'
                             % (number, text[:80], exc)) from None
        yield number, when, name, value


def _number(text: str) -> Any:
    """A CSV field as the number it spells, else the text."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


@register
class Import(Command):
    name = 'import'
    summary = 'points from CSV or JSON lines, in bulk'
    description = ('Insert points (timestamp, name, value) read from FILE (CSV or JSON lines; '
                   '- for stdin) with bulk_insert, %d points a chunk.' % IMPORT_CHUNK)
    examples = '''examples:
  kairos import points.csv --config kairos.toml --in hits
  printf '1700000000,home,3\\n' | kairos import - --url sqlite:///k.db --type count \\
      --define-interval minute:60'''

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument('file', metavar='FILE', help='CSV or JSON lines; - for stdin')
        options.source(parser)

    def run(self, args: argparse.Namespace, context: Context) -> int:
        with _open(args.file, sys.stdin) as stream:
            return self._import(args, context, stream)

    def _import(self, args: argparse.Namespace, context: Context, stream: TextIO) -> int:
        configuration = context.configuration(args)
        written = 0
        progress = Progress(context.stderr, 'imported')
        with context.timeseries(configuration, args) as timeseries:
            chunk: Dict[float, Dict[str, List[Any]]] = {}
            size = 0
            try:
                for number, when, name, value in points(stream, context.now(args)):
                    try:
                        timeseries._prepare(value)   # its line's error, before any chunk
                        if not isinstance(name, str) or not name:
                            raise UsageError('a name must be a non-empty text')
                    except KairosException as exc:
                        raise UsageError('line %d: %s' % (number, exc)) from None
                    chunk.setdefault(when, {}).setdefault(name, []).append(value)
                    size += 1
                    if size == IMPORT_CHUNK:
                        timeseries.bulk_insert(chunk)
                        written, chunk, size = written + size, {}, 0
                        progress.update(written)
                if size:
                    timeseries.bulk_insert(chunk)
                    written += size
            except KairosException as exc:
                progress.close()
                raise type(exc)('%s; %d points were written before it (whole chunks), into %s'
                                % (exc, written, configuration.name)) from None
        progress.close()
        context.stdout.write('imported %d points into %s\n' % (written, configuration.name))
        return 0


@register
class Dump(Command):
    name = 'dump'
    summary = 'every stored bucket as JSON lines'
    description = ('Write every stored bucket of NAMEs (default: all) of each configuration, '
                   'or --in\'s, as JSON lines: every type, interval and resolution.')
    examples = '''examples:
  kairos dump --config kairos.toml > kairos.jsonl
  kairos dump home about --config kairos.toml --in hits'''

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument('names', nargs='*', metavar='NAME')
        options.source(parser)

    def run(self, args: argparse.Namespace, context: Context) -> int:
        count = 0
        for configuration in context.setup(args).chosen(args.use):
            with context.timeseries(configuration, args) as timeseries:
                for record in timeseries.dump(args.names or None):
                    record['configuration'] = configuration.name
                    context.stdout.write(json.dumps(record) + '\n')
                    count += 1
        context.stderr.write('dumped %d buckets\n' % count)
        return 0


@register
class Restore(Command):
    name = 'restore'
    summary = 'buckets from a dump, back into the stores'
    description = ('Write the buckets of FILE (JSON lines from kairos dump; - for stdin) into '
                   'the configurations they name, or --in\'s.')
    examples = '''examples:
  kairos restore kairos.jsonl --config kairos.toml
  kairos dump --config old.toml | kairos restore - --config new.toml'''

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument('file', metavar='FILE')
        options.source(parser)

    def run(self, args: argparse.Namespace, context: Context) -> int:
        targets = {c.name: c for c in context.setup(args).chosen(args.use)}
        with _open(args.file, sys.stdin) as stream:
            written = _restore(args, context, _records(stream), targets)
        context.stdout.write('restored %d buckets\n' % written)
        return 0


@register
class Copy(Command):
    name = 'copy'
    summary = 'every bucket from one store to another'
    description = ('Copy every stored bucket of each configuration (or --in\'s) from SRC_URL '
                   'to DST_URL: any two backends, the configurations as given.')
    examples = '''examples:
  kairos copy redis://localhost:6379/0 postgresql://kairos@db/kairos --config kairos.toml
  kairos copy mongodb://localhost/kairos sqlite:///kairos.db --config kairos.toml --in hits'''

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument('source', metavar='SRC_URL')
        parser.add_argument('target', metavar='DST_URL')
        options.source(parser)

    def run(self, args: argparse.Namespace, context: Context) -> int:
        if args.url is None:   # the configurations' own URL, where they need one
            args.url = args.source
        total = 0
        for configuration in context.setup(args).chosen(args.use):
            source = configuration._replace(url=args.source)
            target = configuration._replace(url=args.target)
            with context.timeseries(source, args) as timeseries:
                records = ({**record, 'configuration': target.name}
                           for record in timeseries.dump())
                total += _restore(args, context, records, {target.name: target})
        context.stdout.write('copied %d buckets from %s to %s\n'
                             % (total, safe(args.source), safe(args.target)))
        return 0


def _records(lines: TextIO) -> Iterator[Dict[str, Any]]:
    for number, line in enumerate(lines, 1):
        if line.strip():
            try:
                yield json.loads(line)
            except ValueError as exc:
                raise UsageError('line %d: not JSON: %s' % (number, exc)) from None


def _restore(args: argparse.Namespace, context: Context, records: Iterator[Dict[str, Any]],
             configurations: Dict[str, Configuration]) -> int:
    """Restore ``records`` into the configuration each names (or ``--in``'s, the one of
    ``configurations``), one store open at a time: each run of records of one
    configuration is one ``restore``, read as it goes (memory stays flat)."""
    written = 0
    progress = Progress(context.stderr, 'buckets written')
    try:
        for name, run in itertools.groupby(records, key=_configuration_of):
            configuration = next(iter(configurations.values())) if args.use else \
                configurations.get(name or '')
            if configuration is None:
                raise UsageError('the dump names the configuration %r, which is not among %s'
                                 % (name, ', '.join(configurations)))
            with context.timeseries(configuration, args) as timeseries:
                before = written
                written += timeseries.restore(
                    run, progress=lambda done: progress.update(before + done))
    finally:
        progress.close()
    return written


def _configuration_of(record: Any) -> Optional[str]:
    """The configuration a dumped record names (restore ignores the key)."""
    return record.get('configuration') if isinstance(record, dict) else None
