"""The errors of the ``kairos`` command, each one line on stderr and an exit code.

::

    KairosException                  (kairos.exceptions: the library's errors, exit 1)
     └── CommandError                a command cannot do what it was asked: exit 1
          ├── UsageError  (ValueError)   the command line is wrong (a flag, a time, an
          │                              interval spec, a configuration name): exit 2
          ├── ConfigFileError            the TOML configuration cannot be read or does
          │                              not follow the schema (kairos.cli.config)
          └── MissingExtra (ImportError) an optional package is not installed; the
                                         message names the kairos extra that brings it

Every other error of the library is a ``KairosException`` already, and is shown
the same way; anything else is a bug or a driver's raw error, shown with its
type (``-v`` shows its traceback).
"""

from kairos.exceptions import KairosException


class CommandError(KairosException):
    """A command cannot do what it was asked; ``exit_code`` is what the process returns."""

    exit_code = 1


class UsageError(CommandError, ValueError):
    """The command line is wrong: argparse's errors, and the values it cannot check
    itself (times, interval specs, the configuration to use)."""

    exit_code = 2


class ConfigFileError(CommandError):
    """The configuration file cannot be read, or does not follow the schema."""


class MissingExtra(CommandError, ImportError):
    """An optional package a command needs is absent: ``pip install 'kairos[EXTRA]'``.

    >>> str(MissingExtra('plotext', 'chart', '--chart'))
    "--chart needs plotext: pip install 'kairos[chart]'"
    """

    def __init__(self, package: str, extra: str, what: str) -> None:
        super().__init__("%s needs %s: pip install 'kairos[%s]'" % (what, package, extra))
        self.package, self.extra = package, extra
