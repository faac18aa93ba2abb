"""``kairos watch``: a series redrawn every few seconds, until Ctrl-C (exit 0).

Each frame is a ``kairos series`` of the same options, read anew: relative
times (``--start -1h``) follow the clock, so the window slides. On a terminal a
frame replaces the last; elsewhere frames follow each other, each after a
line naming its time. A store error after the first frame is shown in place
of the frame and the next one tries again; the first frame's ends the command.
"""

import argparse
import time
from typing import Callable

from kairos.exceptions import StorageError

from . import options
from .context import Context
from .errors import UsageError
from .output import emit
from .reading import chart_options, read, read_options, show
from .registry import Command, register
from .times import local

CLEAR = '\x1b[H\x1b[2J'   # cursor home, clear the screen


@register
class Watch(Command):
    name = 'watch'
    summary = 'a series redrawn every few seconds, until Ctrl-C'
    description = ('Redraw a series of each NAME (a table, or --chart) every '
                   '--every-seconds, reading it anew each time: relative times follow the '
                   'clock. Ctrl-C stops it (exit 0); --frames N stops it after N frames.')
    examples = '''examples:
  kairos watch home away --config kairos.toml --in hits --interval minute --steps 30 --chart
  kairos watch home --config kairos.toml --start -1h --chart --bars --every-seconds 10
  kairos watch latency --config kairos.toml --interval minute --transform p99 --steps 20'''

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        read_options(parser, series=True)
        group = parser.add_argument_group('watching')
        group.add_argument('--every-seconds', type=float, default=4.0, metavar='SECONDS',
                           help='redraw every SECONDS (default 4)')
        group.add_argument('--frames', type=int, metavar='N',
                           help='stop after N frames (default: at Ctrl-C)')
        options.source(parser)
        chart_options(options.output(parser))

    def run(self, args: argparse.Namespace, context: Context,
            sleep: Callable[[float], None] = time.sleep) -> int:
        if args.every_seconds <= 0 or (args.frames is not None and args.frames <= 0):
            raise UsageError('--every-seconds and --frames must be positive')
        if args.chart and args.format is not None:
            raise UsageError('--chart draws instead of printing a --format: give one')
        configuration = context.configuration(args)
        tty = context.isatty()
        frame = 0
        try:
            while args.frames is None or frame < args.frames:
                if frame:
                    sleep(args.every_seconds)
                try:
                    text = show(context, args, read(context, args, configuration, True))
                except StorageError as exc:
                    if not frame:
                        raise
                    text = 'kairos watch: %s (trying again in %g s)' % (exc, args.every_seconds)
                stamp = local(context.now(args), context.zone(args)).strftime('%H:%M:%S')
                header = 'every %gs, %s' % (args.every_seconds, stamp)
                emit(context.stdout, (CLEAR if tty else '') + header + '\n' + text)
                frame += 1
        except KeyboardInterrupt:
            emit(context.stdout, '')
        return 0
