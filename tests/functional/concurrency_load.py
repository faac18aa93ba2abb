"""A concurrent insert workload and its expected totals, shared by test_gevent.

Each worker runs ``iterations`` rounds; a round inserts into one name per
type, alternating single inserts and two-value bulk inserts, spread over
three minute buckets of one hour. ``expected`` computes the totals from the
same plan in plain Python; ``totals`` reads them back through kairos.
"""

import threading
from collections import Counter

from kairos import Timeseries

TYPES = ('count', 'series', 'histogram', 'set', 'gauge')
BASE = 1800000000  # an hour boundary
MINUTES = [BASE, BASE + 60, BASE + 120]
# no steps: data this old would be expired at once by a Mongo TTL index
INTERVALS = {'minute': {'step': 60}, 'hour': {'step': 3600, 'resolution': 60}}


def name_of(type_):
    return 'load-' + type_


def plan(worker, iteration):
    """(type, timestamp, values, bulk) for every insert of one round."""
    stamp = MINUTES[iteration % 3] + worker % 60
    bulk = iteration % 2 == 1
    tag = 'w%d-i%d' % (worker, iteration)
    values = {
        'count': [worker % 5 + 1, 2] if bulk else [worker % 5 + 1],
        'series': [tag + '-a', tag + '-b'] if bulk else [tag],
        'histogram': [str((worker + iteration) % 10), str(worker * iteration % 7)] if bulk
        else [str((worker + iteration) % 10)],
        'set': [tag + '-a', tag + '-b'] if bulk else [tag],
        'gauge': [tag + '-a', tag + '-b'] if bulk else [tag],
    }
    return [(type_, stamp, values[type_], bulk) for type_ in TYPES]


def build(client, **kwargs):
    return {type_: Timeseries(client, type=type_, intervals=INTERVALS, **kwargs)
            for type_ in TYPES}


def work(series_by_type, worker, iterations):
    """Run one worker's rounds against {type: Timeseries}."""
    for iteration in range(iterations):
        for type_, stamp, values, bulk in plan(worker, iteration):
            t = series_by_type[type_]
            if bulk:
                t.bulk_insert({stamp: {name_of(type_): values}})
            else:
                t.insert(name_of(type_), values[0], timestamp=stamp)


def _shape(type_, row):
    if type_ in ('series', 'set'):
        return sorted(row)
    if type_ == 'histogram':
        return dict(sorted(row.items()))
    return row


def totals(series_by_type):
    """What kairos reads back: per type, the three minute rows and the hour condensed."""
    rval = {}
    for type_, t in series_by_type.items():
        minute = t.series(name_of(type_), 'minute', start=MINUTES[0], end=MINUTES[-1])
        hour = t.get(name_of(type_), 'hour', timestamp=BASE, condensed=True)
        rval[type_] = {'minute': [_shape(type_, minute[m]) for m in MINUTES],
                       'hour': _shape(type_, hour[BASE])}
    return rval


def expected(workers, iterations):
    """Totals computed from the plan; gauges as the set of values each bucket may hold."""
    per_minute = {type_: [[] for _ in MINUTES] for type_ in TYPES}
    for worker in range(workers):
        for iteration in range(iterations):
            for type_, stamp, values, _ in plan(worker, iteration):
                per_minute[type_][MINUTES.index(stamp - stamp % 60)].extend(values)
    rval = {}
    for type_, rows in per_minute.items():
        everything = [v for row in rows for v in row]
        if type_ == 'count':
            rval[type_] = {'minute': [sum(r) for r in rows], 'hour': sum(everything)}
        elif type_ == 'series':
            rval[type_] = {'minute': [sorted(r) for r in rows], 'hour': sorted(everything)}
        elif type_ == 'histogram':
            rval[type_] = {'minute': [dict(sorted(Counter(r).items())) for r in rows],
                           'hour': dict(sorted(Counter(everything).items()))}
        elif type_ == 'set':
            rval[type_] = {'minute': [sorted(set(r)) for r in rows],
                           'hour': sorted(set(everything))}
        else:
            rval[type_] = {'minute': [set(r) for r in rows], 'hour': set(rows[-1])}
    return rval


def run_threads(workers, work_of_worker, timeout=240):
    """Run work_of_worker(worker) in threads started together; return (hung, errors)."""
    errors, start = [], threading.Barrier(workers)

    def run(worker):
        try:
            start.wait(60)
            work_of_worker(worker)
        except BaseException as exc:   # reported to the caller, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return any(thread.is_alive() for thread in threads), errors
