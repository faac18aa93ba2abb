"""The data the ``kairos`` command's tests read, written alike in whichever process runs it.

One configuration a type, named after it, on two intervals: ``minute`` (60 s, 60
kept) and ``hour`` (3600 s, resolution 60 s). ``seed(open_type)`` writes two names a
type, ``<type>.home`` and ``<type>.away`` (names apart per type: Mongo keeps every
type of an interval in one collection), over the six minutes from T0, through the
Timeseries ``open_type(type)`` gives. ``config(url, prefix)`` is the TOML file of
those configurations.

A mongomock database lives in its process, and a ``mongomock://`` URL builds a new
one each time: ``shared_mongomock()`` makes every mongomock_ng client of a process
share one store, so that the command run by MOCK_HARNESS reads what its own seed
wrote (the test process keeps a mock of its own, seeded the same way).
"""

from typing import Any, Callable, Dict

T0 = 1800000000                 # 2027-01-15 08:00 UTC
NOW = T0 + 1800                 # every clock of the tests: 08:30
TYPES = ('series', 'histogram', 'count', 'gauge', 'set', 'summary')
NAMES = ('home', 'away')
INTERVALS = {'minute': {'step': 60, 'steps': 60}, 'hour': {'step': 3600, 'resolution': 60}}
READ_FUNC = {'series': 'int', 'histogram': 'int'}   # the others' rows are numbers already

# run by ``python -c`` with the console script and its arguments: seed a shared mock,
# then run the script in this process
MOCK_HARNESS = '''import runpy, sys
from tests.functional.cli_data import opener, seed, shared_mongomock
shared_mongomock()
seed(opener('mongomock://'))
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name='__main__')
'''


def keywords(type_: str, prefix: bool = False, table: bool = False) -> Dict[str, Any]:
    """The constructor keywords of the configuration of ``type_`` (read_func by name);
    ``table``: SQL tables of their own, which other tests' tables (of other value
    types) do not collide with."""
    found: Dict[str, Any] = {'type': type_, 'intervals': INTERVALS}
    if type_ in READ_FUNC:
        found['read_func'] = READ_FUNC[type_]
    if prefix:
        found['prefix'] = 'cli-' + type_
    if table:
        found['table_name'] = 'cli_' + type_
    return found


def value(type_: str, name: str, minute: int, second: int) -> Any:
    """What is written at ``second`` of ``minute``: small numbers that vary by name."""
    k = NAMES.index(name) + 1
    return (minute * k) % 5 + 1 + second


def seed(open_type: Callable[[str], Any]) -> None:
    """Write every type's data through the Timeseries ``open_type(type)``; close them."""
    for type_ in TYPES:
        timeseries = open_type(type_)
        try:
            for name in NAMES:
                for minute in range(6):
                    for second in ((0,) if type_ == 'count' else (0, 1)):
                        timeseries.insert('%s.%s' % (type_, name),
                                          value(type_, name, minute, second),
                                          T0 + 60 * minute + 20 * second)
        finally:
            timeseries.close()


def opener(store: Any, prefix: bool = False, table: bool = False) -> Callable[[str], Any]:
    """``open_type`` of the configurations on ``store`` (a URL or a client), their
    clock at NOW."""
    from kairos import Timeseries
    functions = {'int': int}

    def open_type(type_: str) -> Any:
        given = keywords(type_, prefix, table)
        if 'read_func' in given:
            given['read_func'] = functions[given['read_func']]
        return Timeseries(store, clock=lambda: NOW, **given)
    return open_type


def shared_mongomock() -> None:
    """Every mongomock_ng client of this process on one store (see the module docstring)."""
    import mongomock_ng
    from mongomock_ng.store import ServerStore
    store = ServerStore()
    original = mongomock_ng.MongoClient

    class Shared(original):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault('_store', store)
            super().__init__(*args, **kwargs)

        def close(self) -> None:
            """The store outlives its clients (mongomock's close empties it)."""
    mongomock_ng.MongoClient = Shared


def config(url: str, prefix: bool = False, table: bool = False) -> str:
    """The TOML file of every configuration, on ``url``."""
    lines = ['url = "%s"' % url]
    for type_ in TYPES:
        lines += ['', '[series.%s]' % type_]
        for key, item in keywords(type_, prefix, table).items():
            if key != 'intervals':
                lines.append('%s = "%s"' % (key, item))
        for interval, settings in INTERVALS.items():
            lines += ['[series.%s.intervals.%s]' % (type_, interval)]
            lines += ['%s = %d' % pair for pair in settings.items()]
    return '\n'.join(lines) + '\n'
