"""Where the data is: the URL and the series configurations, from a TOML file and flags.

The file (``--config FILE``, else the ``KAIROS_CONFIG`` environment variable)
names each ``Timeseries`` configuration; its tables take the keywords of the
Python constructor, as written there::

    url = "redis://localhost:6379/0"   # the URL of every series that names none
    timezone = "Europe/Berlin"         # the zone tables show times in (default: the
                                       # system's; --timezone wins)

    [series.hits]                      # the configuration "hits"
    type = "count"                     # series, histogram, count, gauge, set, summary...
    prefix = "web"                     # any other keyword of Timeseries(...): prefix,
    hash_tag = false                   # hash_tag, client_config (a table), database,
                                       # table_name, value_type...
    url = "sqlite:///stats.db"         # this configuration's own URL (optional)
    read_func = "int"                  # read_func / write_func: int, float or str

    [series.hits.intervals.minute]     # intervals = {name: {step, steps, resolution,
    step = 60                          #                     timezone}}
    steps = 120

    [series.hits.intervals.day]
    step = "daily"
    timezone = "Europe/Berlin"

Flags build or change a configuration: ``--type``, ``--prefix``, ``--define-interval
NAME:STEP[:RESOLUTION[:STEPS[:TIMEZONE]]]`` (repeated: every interval, replacing
the file's) and ``-o KEY=VALUE`` (any other keyword; VALUE read as a TOML value,
else taken as text: ``-o hash_tag=true``, ``-o 'client_config={decode_responses=false}'``).
With a file they replace those keys in every configuration it has; without one
they make the one configuration ``default``. ``--in NAME`` picks the configuration
a command reads where the file has several.

The URL is the first of ``--url``, ``KAIROS_URL``, the configuration's ``url`` and
the file's ``url``. Nothing here connects: :meth:`Configuration.open` does.
"""

import copy
import sys
import warnings
from types import MappingProxyType
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from kairos import KairosWarning, Timeseries
from kairos.intervals import Interval
from kairos.typos import close_match

from .errors import ConfigFileError, UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

# read_func and write_func by name: a file cannot hold a callable
FUNCTIONS: Dict[str, Callable[[Any], Any]] = {'int': int, 'float': float, 'str': str}
# the keys of the file itself, beside its [series] tables
FILE_KEYS = ('url', 'timezone', 'series')
# constructor keywords the command sets itself
RESERVED = ('client', 'clock')
DEFAULT_NAME = 'default'


class Configuration(NamedTuple):
    """One ``Timeseries`` configuration: its name, URL and constructor keywords (a
    read-only mapping; each :meth:`open` gets copies)."""

    name: str
    url: str
    keywords: Mapping[str, Any]

    @property
    def type(self) -> str:
        return str(self.keywords.get('type', 'series'))

    def intervals(self) -> Dict[str, Interval]:
        """The configured intervals, parsed (their warnings are the constructor's to give)."""
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', KairosWarning)
            return {name: Interval(name, config)
                    for name, config in self.keywords['intervals'].items()}

    def open(self, clock: Callable[[], float]) -> 'Timeseries[Any]':
        """The Timeseries of this configuration on a client of its URL, ``clock`` its now."""
        keywords = copy.deepcopy(dict(self.keywords))
        for key in ('read_func', 'write_func'):
            if key in keywords:
                keywords[key] = FUNCTIONS[keywords[key]]
        return Timeseries(self.url, clock=clock, **keywords)


class Setup(NamedTuple):
    """What the flags and the file say: the configurations by name, and the file's
    display timezone (None where it names none)."""

    configurations: Dict[str, Configuration]
    timezone: Optional[str]

    def choose(self, name: Optional[str]) -> Configuration:
        """The configuration ``--in`` names, or the only one."""
        if name is not None:
            if name not in self.configurations:
                raise UsageError('no configuration %r: %s' % (name, self._named()))
            return self.configurations[name]
        if len(self.configurations) > 1:
            raise UsageError('several configurations (%s): choose one with --in NAME'
                             % ', '.join(self.configurations))
        return next(iter(self.configurations.values()))

    def chosen(self, name: Optional[str]) -> List[Configuration]:
        """The configuration ``--in`` names, or every one."""
        return [self.choose(name)] if name is not None else list(self.configurations.values())

    def _named(self) -> str:
        return 'the configurations are %s' % ', '.join(self.configurations)


def read_file(path: str) -> Dict[str, Any]:
    """The TOML file at ``path`` as a dict, its top-level keys checked."""
    try:
        with open(path, 'rb') as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise ConfigFileError('cannot read %s: %s' % (path, exc.strerror or exc)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError('%s is not valid TOML: %s' % (path, exc)) from None
    for key in data:
        if key not in FILE_KEYS:
            meant = close_match(key, FILE_KEYS)
            raise ConfigFileError('%s: unknown key %r%s (the file takes %s)' % (
                path, key, ': did you mean %r?' % meant if meant else '',
                ', '.join(FILE_KEYS)))
    series = data.get('series', {})
    if not isinstance(series, dict) or not all(isinstance(t, dict) for t in series.values()):
        raise ConfigFileError('%s: series must hold tables, [series.NAME]' % path)
    for key in ('url', 'timezone'):
        if not isinstance(data.get(key, ''), str):
            raise ConfigFileError('%s: %s must be a string' % (path, key))
    return data


def parse_interval(spec: str) -> Tuple[str, Dict[str, Any]]:
    """``NAME:STEP[:RESOLUTION[:STEPS[:TIMEZONE]]]`` as an interval's name and dict.

    >>> parse_interval('hour:1h:1min:24')
    ('hour', {'step': '1h', 'resolution': '1min', 'steps': 24})
    """
    parts = spec.split(':')
    if len(parts) < 2 or len(parts) > 5 or not parts[0] or not parts[1]:
        raise UsageError('interval %r: write NAME:STEP[:RESOLUTION[:STEPS[:TIMEZONE]]], '
                         'e.g. minute:60 or hour:1h:1min:24' % spec)
    config: Dict[str, Any] = {}
    for key, text in zip(('step', 'resolution', 'steps', 'timezone'), parts[1:]):
        if not text:
            continue
        if key == 'steps' and not text.isdigit():
            raise UsageError('interval %r: STEPS must be a whole number, not %r' % (spec, text))
        config[key] = int(text) if text.isdigit() and key != 'timezone' else text
    return parts[0], config


def parse_option(text: str) -> Tuple[str, Any]:
    """``KEY=VALUE``, VALUE read as a TOML value, else as text.

    >>> parse_option('hash_tag=true'), parse_option('database=stats')
    (('hash_tag', True), ('database', 'stats'))
    """
    key, equals, value = text.partition('=')
    key = key.strip()
    if not equals or not key:
        raise UsageError('option %r: write KEY=VALUE, e.g. hash_tag=true' % text)
    try:
        return key, tomllib.loads('value = ' + value)['value']
    except tomllib.TOMLDecodeError:
        return key, value


def flag_keywords(type_: Optional[str], prefix: Optional[str], intervals: Sequence[str],
                  options: Sequence[str]) -> Dict[str, Any]:
    """The constructor keywords the flags set."""
    keywords = dict(parse_option(option) for option in options)
    if type_ is not None:
        keywords['type'] = type_
    if prefix is not None:
        keywords['prefix'] = prefix
    if intervals:
        keywords['intervals'] = dict(parse_interval(spec) for spec in intervals)
    return keywords


def load(path: Optional[str], url: Optional[str], flags: Dict[str, Any],
          name: Optional[str]) -> Setup:
    """The configurations of the file at ``path`` (None: none) changed by ``flags``, each
    with its URL (``url``: the flag's or the environment's, which wins)."""
    data = read_file(path) if path is not None else {}
    tables: Dict[str, Dict[str, Any]] = data.get('series', {})
    where = path or 'the flags'
    if not tables:
        if path is not None and not flags:
            raise ConfigFileError('%s has no [series.NAME] table' % path)
        if 'intervals' not in flags:
            raise UsageError('no series configuration: give --config FILE (or KAIROS_CONFIG) '
                             'or --define-interval NAME:STEP')
        tables = {name or DEFAULT_NAME: {}}
    configurations = {}
    for table_name, table in tables.items():
        keywords = copy.deepcopy(table)
        keywords.update(copy.deepcopy(flags))
        own_url = keywords.pop('url', None)
        configurations[table_name] = _configuration(
            table_name, keywords, url or own_url or data.get('url'), where)
    return Setup(configurations, data.get('timezone'))


def _configuration(name: str, keywords: Dict[str, Any], url: Optional[str],
                   where: str) -> Configuration:
    if not url:
        raise UsageError('no URL for configuration %r: give --url, set KAIROS_URL or url '
                         'in the config file' % name)
    for key in RESERVED:
        if key in keywords:
            raise ConfigFileError('%s: configuration %r sets %r, which the command sets'
                                  % (where, name, key))
    for key in ('read_func', 'write_func'):
        if key in keywords and keywords[key] not in FUNCTIONS:
            raise ConfigFileError('%s: %s of configuration %r is %r: use one of %s'
                                  % (where, key, name, keywords[key], ', '.join(FUNCTIONS)))
    intervals = keywords.get('intervals')
    if not isinstance(intervals, dict) or not intervals:
        raise ConfigFileError('%s: configuration %r has no intervals ([series.%s.intervals.'
                              'NAME] with a step)' % (where, name, name))
    return Configuration(name, url, MappingProxyType(keywords))


def environment_source(environ: Mapping[str, str], config: Optional[str],
                       url: Optional[str]) -> Tuple[Optional[str], Optional[str]]:
    """The config file and URL of the flags, else of KAIROS_CONFIG and KAIROS_URL."""
    return (config or environ.get('KAIROS_CONFIG') or None,
            url or environ.get('KAIROS_URL') or None)

