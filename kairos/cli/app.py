"""``main``: the command line parsed, the command run, every error one line and an exit code.

Exit codes: 0 done (and ``watch`` stopped by Ctrl-C); 1 an error (the store's,
a configuration's, a missing extra's); 2 the command line is wrong; 130 another
command interrupted. Without ``-v`` an error is one line on stderr, ``kairos:
error: ...``, and a warning one line, ``kairos: warning: ...``; ``-v`` shows the
``kairos`` logger's records (DEBUG and up) on stderr, and an error's traceback.
"""

import argparse
import contextlib
import logging
import os
import sys
import textwrap
import time
import traceback
import warnings
from typing import Any, Callable, Iterator, List, Mapping, NoReturn, Optional, Sequence, TextIO

from kairos import __version__
from kairos.exceptions import KairosException

from . import options
from .context import Context
from .errors import UsageError
from .registry import commands

log = logging.getLogger('kairos.cli')

DESCRIPTION = 'Look at kairos time series: what is stored, its rows, its charts.'
EPILOG = '''Each command's --help shows its options and examples.

Where the data is: --url (or KAIROS_URL) with flags (--type, --prefix,
--define-interval NAME:STEP[:RESOLUTION[:STEPS[:TIMEZONE]]], -o KEY=VALUE), or
a TOML file of configurations (--config, or KAIROS_CONFIG) whose tables take
the keywords of Timeseries(...), read_func by name (int, float, str):

  url = "redis://localhost:6379/0"
  [series.hits]
  type = "count"
  prefix = "web"
  [series.hits.intervals.minute]
  step = 60
  steps = 120

examples:
  kairos list --config kairos.toml
  kairos series home --url redis://localhost:6379/0 --type count \\
      --define-interval minute:60::120 --steps 30 --chart
  kairos watch home --config kairos.toml --in hits --start -1h --chart

exit codes: 0 done, 1 an error, 2 a wrong command line.'''


class Parser(argparse.ArgumentParser):
    """argparse, its errors raised as UsageError: one line, exit code 2."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.partition(' ')[2]
        raise UsageError('%s%s (see %s --help)' % (command + ': ' if command else '', message,
                                                   self.prog))


def parser() -> Parser:
    """The parser of ``kairos`` and of each command of the registry."""
    top = Parser(prog='kairos', description=DESCRIPTION, epilog=EPILOG,
                 formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument('--version', action='version', version='kairos ' + __version__)
    options.common(top)
    sub = top.add_subparsers(dest='command', metavar='COMMAND', required=True,
                             parser_class=Parser)
    for name, command in commands().items():
        own = sub.add_parser(name, help=command.summary,
                             description=textwrap.fill(command.description, 79),
                             epilog=command.examples,
                             formatter_class=argparse.RawDescriptionHelpFormatter)
        command.arguments(own)
        options.common(own, shared=True)
    return top


def main(argv: Optional[Sequence[str]] = None, *, stdout: Optional[TextIO] = None,
         stderr: Optional[TextIO] = None, environ: Optional[Mapping[str, str]] = None,
         clock: Optional[Callable[[], float]] = None) -> int:
    """Run ``kairos`` with ``argv`` (default: the process's); return the exit code.

    The streams, environment and clock default to the process's; tests and the
    docs pass their own.
    """
    out = sys.stdout if stdout is None else stdout
    err = sys.stderr if stderr is None else stderr
    context = Context(out, err, os.environ if environ is None else environ,
                      time.time if clock is None else clock)
    words = options.join_relative(sys.argv[1:] if argv is None else argv)
    verbose = '-v' in words or '--verbose' in words
    with _warnings_as_lines(err), _logging(err, verbose):
        try:
            with contextlib.redirect_stdout(out):
                args = parser().parse_args(words)
            log.debug('kairos %s: %s', args.command, ' '.join(words))
            return int(commands()[args.command].run(args, context))
        except SystemExit as exc:   # --help and --version, printed
            return exc.code if isinstance(exc.code, int) else 0
        except KeyboardInterrupt:
            err.write('kairos: interrupted\n')
            return 130
        except BrokenPipeError:
            _quiet_stdout(out)
            return 1
        except KairosException as exc:
            _report(err, str(exc), verbose)
            return int(getattr(exc, 'exit_code', 1))
        except Exception as exc:   # a bug, or a driver's error kairos does not translate
            _report(err, '%s: %s' % (type(exc).__name__, exc), verbose)
            return 1


def run() -> None:
    """The console script: ``main`` with the process's arguments, as its exit status."""
    sys.exit(main())


def _report(err: TextIO, message: str, verbose: bool) -> None:
    if verbose:
        traceback.print_exc(file=err)
    first = message.strip().splitlines()[0] if message.strip() else 'failed'
    err.write('kairos: error: %s\n' % first)
    err.flush()


@contextlib.contextmanager
def _warnings_as_lines(err: TextIO) -> Iterator[None]:
    """Warnings, each shown once as one line on ``err``."""
    def show(message: Any, category: Any, filename: str, lineno: int,
             file: Any = None, line: Any = None) -> None:
        err.write('kairos: warning: %s\n' % message)
    with warnings.catch_warnings():
        warnings.simplefilter('default')
        warnings.showwarning = show
        yield


@contextlib.contextmanager
def _logging(err: TextIO, verbose: bool) -> Iterator[None]:
    """With ``verbose``, the ``kairos`` logger's records at DEBUG and up on ``err``."""
    if not verbose:
        yield
        return
    logger = logging.getLogger('kairos')
    handler = logging.StreamHandler(err)
    handler.setFormatter(logging.Formatter('%(name)s: %(levelname)s: %(message)s'))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _quiet_stdout(out: TextIO) -> None:
    """After a closed pipe (``kairos ... | head``): the interpreter's final flush of the
    process's stdout goes nowhere, rather than raising again."""
    if out is sys.stdout:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


__all__: List[str] = ['main', 'run', 'parser', 'Parser']
