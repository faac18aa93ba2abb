"""The subcommands of ``kairos``, by name: each a small class in a module of MODULES.

A subcommand fills :class:`Command`: its name, a one-line summary (the list of
``kairos --help``), a description and examples (its own ``--help``), the options
it adds, and ``run``. A module registers its commands with ``@register`` as it
loads; a new module joins by its name in MODULES. The options every command
shares (where the data is, the output, the times) are in :mod:`kairos.cli.options`,
for commands to add as they need them.
"""

import argparse
import importlib
from typing import TYPE_CHECKING, Dict, Type, TypeVar

if TYPE_CHECKING:
    from .context import Context

# the modules whose commands ``kairos`` offers, in the order --help lists them
MODULES = ('kairos.cli.look', 'kairos.cli.reading', 'kairos.cli.watch', 'kairos.cli.moving')

COMMANDS: Dict[str, 'Command'] = {}


class Command:
    """One subcommand; see the module docstring."""

    name = ''
    summary = ''        # one line, for the list of commands
    description = ''    # the top of its --help
    examples = ''       # the end of its --help: command lines with what they do

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add this command's options and positional arguments to ``parser``."""

    def run(self, args: argparse.Namespace, context: 'Context') -> int:
        """Do the command; return the exit code (errors are raised, as CommandError)."""
        raise NotImplementedError


C = TypeVar('C', bound=Type[Command])


def register(cls: C) -> C:
    """Class decorator: offer the command under its name."""
    COMMANDS[cls.name] = cls()
    return cls


def commands() -> Dict[str, Command]:
    """Every command of MODULES, by name, in their order."""
    for module in MODULES:
        importlib.import_module(module)
    return COMMANDS
