"""What a command runs with: its streams, environment and clock, and the stores it opens.

``main`` builds one :class:`Context` a run; tests and the docs pass their own
streams, environment and clock, so nothing here reads ``sys`` or the time itself.
"""

import argparse
import contextlib
import logging
import shutil
from datetime import tzinfo
from typing import Any, Callable, Iterator, Mapping, Optional, TextIO

from kairos.urls import safe

from .config import Configuration, Setup, environment_source, flag_keywords, load
from .times import parse_zone

log = logging.getLogger('kairos.cli')


class Context:
    """The streams, environment and clock of one run of ``kairos``."""

    def __init__(self, stdout: TextIO, stderr: TextIO, environ: Mapping[str, str],
                 clock: Callable[[], float]):
        self.stdout, self.stderr, self.environ, self.clock = stdout, stderr, environ, clock
        self._setup: Optional[Setup] = None

    def now(self, args: argparse.Namespace) -> float:
        """The time now: ``--now`` where given, else the clock's."""
        fixed = getattr(args, 'now', None)
        return fixed.at(self.clock()) if fixed is not None else self.clock()

    def clock_of(self, args: argparse.Namespace) -> Callable[[], float]:
        """What "now" means to the stores a command opens (``--now`` fixes it)."""
        return lambda: self.now(args)

    def setup(self, args: argparse.Namespace) -> Setup:
        """The configurations the flags and the config file name (read once a run)."""
        if self._setup is None:
            path, url = environment_source(self.environ, args.config, args.url)
            flags = flag_keywords(args.type, args.prefix, args.define_interval or (),
                                  args.option or ())
            self._setup = load(path, url, flags, args.use)
        return self._setup

    def configuration(self, args: argparse.Namespace) -> Configuration:
        """The one configuration a command reads: ``--in``'s, or the only one."""
        return self.setup(args).choose(args.use)

    @contextlib.contextmanager
    def timeseries(self, configuration: Configuration,
                   args: argparse.Namespace) -> Iterator[Any]:
        """The Timeseries of ``configuration``, closed (its client released) at the end."""
        log.info('opening %s (a %s) on %s', configuration.name, configuration.type,
                 safe(configuration.url))
        timeseries = configuration.open(self.clock_of(args))
        try:
            yield timeseries
        finally:
            timeseries.close()

    def zone(self, args: argparse.Namespace) -> Optional[tzinfo]:
        """The zone times are shown in: ``--timezone``, the file's, else the system's (None)."""
        name = getattr(args, 'timezone', None)
        if name is None and (args.config or self.environ.get('KAIROS_CONFIG')):
            name = self.setup(args).timezone
        return parse_zone(name)

    def isatty(self) -> bool:
        isatty = getattr(self.stdout, 'isatty', None)
        return bool(isatty is not None and isatty())

    def width(self) -> Optional[int]:
        """The columns output may take: ``COLUMNS``, else the terminal's; None (no limit)
        when the output is not a terminal."""
        if self.environ.get('COLUMNS', '').isdigit():
            return max(20, int(self.environ['COLUMNS']))
        if not self.isatty():
            return None
        return max(20, shutil.get_terminal_size().columns)

    def height(self) -> int:
        """The lines a chart may take: ``LINES``, else the terminal's (24 off a terminal)."""
        if self.environ.get('LINES', '').isdigit():
            return max(8, int(self.environ['LINES']))
        return max(8, shutil.get_terminal_size().lines if self.isatty() else 24)
