"""The options commands share, added to a command's parser by the command that needs them.

``source``: where the data is (:mod:`kairos.cli.config`); ``output``: ``--format``
and ``--timezone`` (:mod:`kairos.cli.output`); ``common``: ``-v`` and ``--now``,
which ``kairos`` itself takes too, before the command's name. A time option's
value is parsed as it is read (:func:`kairos.cli.times.parse_time`), and a
relative one may follow its option as a word of its own (``--start -1h``):
:func:`join_relative` prepares the command line for argparse, which would
otherwise read ``-1h`` as an option.
"""

import argparse
from typing import Any, Dict, List, Sequence

from .errors import UsageError
from .output import FORMATS
from .times import TimeSpec, looks_relative, parse_time

# the options whose value is a time
TIME_OPTIONS = ('--start', '--end', '--at', '--now')


def time_value(text: str) -> TimeSpec:
    """argparse's type for a time: a UsageError becomes argparse's own error."""
    try:
        return parse_time(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def join_relative(argv: Sequence[str]) -> List[str]:
    """``--start -1h`` as ``--start=-1h``, for every option of TIME_OPTIONS.

    >>> join_relative(['series', 'hits', '--start', '-1h', '--end', 'now'])
    ['series', 'hits', '--start=-1h', '--end', 'now']
    """
    joined: List[str] = []
    words = list(argv)
    while words:
        word = words.pop(0)
        if word in TIME_OPTIONS and words and looks_relative(words[0]):
            word = '%s=%s' % (word, words.pop(0))
        joined.append(word)
    return joined


def common(parser: argparse.ArgumentParser, shared: bool = False) -> None:
    """``-v`` and ``--now``. ``shared``: on a command's parser, where they are also
    ``kairos``'s own: given there only, they keep the value given before the command."""
    default: Dict[str, Any] = {'default': argparse.SUPPRESS} if shared else {}
    parser.add_argument('-v', '--verbose', action='store_true', **default,
                        help='log what kairos does (DEBUG) on stderr, and show the '
                             'traceback of an error')
    parser.add_argument('--now', type=time_value, metavar='TIME', **default,
                        help='take TIME as now: relative times, default ends and retention '
                             'count from it (reproducible output)')


def source(parser: argparse.ArgumentParser) -> None:
    """Where the data is: the URL and the series configuration."""
    group = parser.add_argument_group('where the data is')
    group.add_argument('--url', help='the store: redis://, redis+cluster://, mongodb://, '
                                     'mongomock://, sqlite://, postgresql://, mysql://... '
                                     '(default: KAIROS_URL, else the config file)')
    group.add_argument('--config', metavar='FILE',
                       help='a TOML file of series configurations (default: KAIROS_CONFIG)')
    group.add_argument('--in', dest='use', metavar='NAME',
                       help='the configuration [series.NAME] of the file to read, where it '
                            'has several')
    group.add_argument('--type', help='the type: series, histogram, count, gauge, set, '
                                      'summary... (default: the file\'s, else series)')
    group.add_argument('--prefix', help='the key prefix (Redis)')
    group.add_argument('--define-interval', action='append', metavar='SPEC',
                       help='an interval, NAME:STEP[:RESOLUTION[:STEPS[:TIMEZONE]]], e.g. '
                            'minute:60::120 or hour:1h:1min:24 (repeat for each)')
    group.add_argument('-o', '--option', action='append', metavar='KEY=VALUE',
                       help='any other keyword of Timeseries(...), VALUE as TOML '
                            '(hash_tag=true, read_func="int")')


def output(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """``--format`` and ``--timezone``; returns the group, for a command's own output
    options."""
    group = parser.add_argument_group('output')
    group.add_argument('--format', choices=FORMATS,
                       help='table (aligned, local times; the default), csv, json (the '
                            'API\'s result) or jsonl (one record a line)')
    group.add_argument('--timezone', metavar='ZONE',
                       help='show times in ZONE (an IANA name; default: the config file\'s, '
                            'else the system\'s; csv, json and jsonl stay UTC without it)')
    return group
