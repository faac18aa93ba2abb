"""Processes writing the same SQL buckets at once, and the totals they must leave.

``run(url, workers, calls)`` starts ``workers`` processes together; each makes
``calls`` calls, alternating ``insert`` (one value) and ``bulk_insert`` (1 to 3
timestamps x 1 to 4 names, one or two values each), the type changing every
call, on NAMES x the three minutes of one hour, in an order drawn per worker:
writers that took row locks in the order of their input would take them in
different orders. Every call writes the minute (no resolution), the hour (a
row per minute) and the day (a row per hour) of each timestamp.

A worker counts its failed calls and the transactions the database aborted
for a deadlock or lock timeout (each one a retry, or the last one of a failed
call), from the engine's ``handle_error`` event. ``expected`` computes what
the buckets hold from the same plan; ``totals`` reads it back through kairos,
both as {(type, name, interval, bucket, resolution bucket): data}.
"""

import multiprocessing
import random
import time
from collections import Counter
from typing import Any, Dict, List, NamedTuple, Tuple

import sqlalchemy
from sqlalchemy import event

from kairos import KairosException, Timeseries

TYPES = ('count', 'histogram', 'series', 'set', 'gauge')
NAMES = ('c0', 'c1', 'c2', 'c3')
BASE = 1800000000   # an hour boundary
MINUTES = (BASE, BASE + 60, BASE + 120)
INTERVALS = {'minute': {'step': 60}, 'hour': {'step': 3600, 'resolution': 60},
             'day': {'step': 86400, 'resolution': 3600}}
TABLES = {type_: 'contention_' + type_ for type_ in TYPES}
STEPS = {'minute': (60, None), 'hour': (3600, 60), 'day': (86400, 3600)}

# driver codes of a transaction the database aborted: deadlock, lock wait timeout
ABORTED = {1213, 1205, '40P01', '40001'}


class Call(NamedTuple):
    type: str
    bulk: bool
    points: Dict[int, Dict[str, List[Any]]]   # {timestamp: {name: [value, ...]}}


class Outcome(NamedTuple):
    failed: int            # calls that raised
    aborted: int           # transactions aborted for a deadlock or lock timeout
    errors: List[str]      # the first few failures


def plan(worker: int, call: int) -> Call:
    """The one call ``call`` of ``worker`` makes, the same every run."""
    rng = random.Random(worker * 1000003 + call)
    type_ = TYPES[(worker + call) % len(TYPES)]
    bulk = call % 2 == 1
    stamps = rng.sample(MINUTES, rng.randint(1, 3)) if bulk else [rng.choice(MINUTES)]
    names = rng.sample(NAMES, rng.randint(1, 4)) if bulk else [rng.choice(NAMES)]
    points: Dict[int, Dict[str, List[Any]]] = {}
    for index, stamp in enumerate(stamps):
        by_name = points[stamp + rng.randrange(60)] = {}
        for name in names:
            size = rng.randint(1, 2) if bulk and type_ != 'gauge' else 1
            by_name[name] = [_value(type_, rng, 'w%d-c%d-%d-%d' % (worker, call, index, k))
                             for k in range(size)]
    return Call(type_, bulk, points)


def _value(type_: str, rng: random.Random, tag: str) -> Any:
    if type_ == 'count':
        return rng.randint(1, 5)
    if type_ == 'histogram':
        return str(rng.randrange(6))
    if type_ == 'set':
        return 'm%d' % rng.randrange(12)
    return tag   # series, gauge: each value its own


def build(engine: Any) -> Dict[str, Timeseries]:
    """{type: Timeseries} on ``engine``, in tables of their own (TABLES); creating them
    creates the tables."""
    return {type_: Timeseries(engine, type=type_, intervals=INTERVALS, value_type=str,
                              table_name=table) for type_, table in TABLES.items()}


def _keys(stamp: int) -> List[Tuple[str, int, Any]]:
    """(interval, bucket start, resolution bucket start or None) of a timestamp."""
    return [(interval, stamp - stamp % step, None if res is None else stamp - stamp % res)
            for interval, (step, res) in STEPS.items()]


def expected(workers: int, calls: int) -> Dict[Tuple[Any, ...], Any]:
    """What every bucket holds after all calls; a gauge's as the set of values it may
    hold: the last value some worker wrote into it."""
    values: Dict[Tuple[Any, ...], List[Any]] = {}
    last: Dict[Tuple[Any, ...], Dict[int, set]] = {}
    for worker in range(workers):
        for number in range(calls):
            call = plan(worker, number)
            touched: Dict[Tuple[Any, ...], set] = {}
            for stamp, by_name in call.points.items():
                for name, given in by_name.items():
                    for key in _keys(stamp):
                        cell = (call.type, name) + key
                        values.setdefault(cell, []).extend(given)
                        touched.setdefault(cell, set()).update(given)
            if call.type == 'gauge':
                for cell, given in touched.items():
                    last.setdefault(cell, {})[worker] = given
    rval: Dict[Tuple[Any, ...], Any] = {}
    for cell, given in values.items():
        type_ = cell[0]
        rval[cell] = sum(given) if type_ == 'count' else dict(Counter(given)) \
            if type_ == 'histogram' else sorted(given) if type_ == 'series' else \
            set(given) if type_ == 'set' else set().union(*last[cell].values())
    return rval


def totals(series_by_type: Dict[str, Timeseries]) -> Dict[Tuple[Any, ...], Any]:
    """What the buckets hold, read through kairos, in ``expected``'s shape (a gauge's
    value as it is); empty buckets left out."""
    rval: Dict[Tuple[Any, ...], Any] = {}
    for type_, t in series_by_type.items():
        for name in NAMES:
            for interval, (step, res) in STEPS.items():
                read = t.series(name, interval, start=BASE, end=MINUTES[-1])
                for bucket, data in read.items():
                    rows = {None: data} if res is None else data
                    for r_bucket, row in rows.items():
                        if row not in (None, 0, [], {}, set()):
                            rval[(type_, name, interval, bucket, r_bucket)] = \
                                sorted(row) if type_ == 'series' else \
                                dict(row) if type_ == 'histogram' else row
    return rval


def check(got: Dict[Tuple[Any, ...], Any], want: Dict[Tuple[Any, ...], Any]) -> List[str]:
    """The cells whose data differs from what they must hold, described."""
    wrong = []
    for cell in sorted(set(got) | set(want), key=repr):
        have, need = got.get(cell), want.get(cell)
        ok = have in need if cell[0] == 'gauge' and need is not None else have == need
        if not ok:
            wrong.append('%r: read %r, want %r' % (cell, have, need))
    return wrong


def engine_for(url: str) -> Any:
    """An engine as the tests make them: SQLite waits for the file's lock up to 60 s."""
    if url.startswith('sqlite'):
        return sqlalchemy.create_engine(url, connect_args={'timeout': 60})
    return sqlalchemy.create_engine(url)


def _aborted(orig: Any) -> bool:
    code = getattr(orig, 'sqlstate', None) or (orig.args[0] if getattr(orig, 'args', None)
                                               else None)
    return code in ABORTED or 'database is locked' in str(orig)


def work(url: str, worker: int, calls: int, start: Any, results: Any) -> None:
    """One worker process: wait for the others at ``start``, make its calls, put its
    (worker, Outcome) on ``results``."""
    engine = engine_for(url)
    aborted = [0]

    @event.listens_for(engine, 'handle_error')
    def count(context: Any) -> None:
        if _aborted(context.original_exception):
            aborted[0] += 1

    series_by_type = build(engine)
    failed, errors = 0, []
    start.wait(120)
    for number in range(calls):
        call = plan(worker, number)
        t = series_by_type[call.type]
        try:
            if call.bulk:
                t.bulk_insert(call.points)
            else:
                [(stamp, by_name)] = call.points.items()
                [(name, [value])] = by_name.items()
                t.insert(name, value, timestamp=stamp)
        except KairosException as exc:
            failed += 1
            if len(errors) < 5:
                errors.append('%s: %s' % (type(exc).__name__, exc))
    engine.dispose()
    results.put((worker, Outcome(failed, aborted[0], errors)))


def run(url: str, workers: int, calls: int, timeout: float = 600) -> Tuple[Outcome, float]:
    """Run ``workers`` processes of ``calls`` calls each on the database at ``url``
    (its tables made first); the sum of their outcomes and the seconds they took."""
    engine = engine_for(url)
    build(engine)
    engine.dispose()
    context = multiprocessing.get_context('spawn')
    start, results = context.Barrier(workers + 1), context.Queue()
    processes = [context.Process(target=work, args=(url, worker, calls, start, results))
                 for worker in range(workers)]
    for process in processes:
        process.start()
    start.wait(120)
    began = time.monotonic()
    outcomes = [results.get(timeout=timeout)[1] for _ in processes]
    seconds = time.monotonic() - began
    for process in processes:
        process.join(30)
    return Outcome(sum(o.failed for o in outcomes), sum(o.aborted for o in outcomes),
                   [e for o in outcomes for e in o.errors]), seconds
