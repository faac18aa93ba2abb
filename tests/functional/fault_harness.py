"""The fault-run harness shared by the Redis and Mongo fault tests.

A run makes seeded random insert() and bulk_insert() calls through a
Timeseries whose connection fails a share of the writes (see ``FaultPlan``).
Every call must either return (and its data is all there) or raise
StorageError chaining the driver's error (and its data is all there or none
of it is). Afterwards the stored minute buckets, the hour interval's minute
resolution buckets and its condensed totals must all equal a replay of the
calls that landed, read through a clean client.

Each call owns its minutes for the names 'a' and 'b', so whether it landed is
read off them; bulk calls also all add to one shared minute of 'shared'.
``KAIROS_FAULT_CALLS`` sets the calls per type (default 600).
"""

import os
import random
from collections import Counter, OrderedDict

from kairos import StorageError, Timeseries
from tests.functional.faulty import FaultPlan

TYPES = ('series', 'histogram', 'count', 'gauge', 'set')
INTERVALS = {'minute': {'step': 60, 'steps': 10 ** 7},          # steps: data from 2017 stays
             'hour': {'step': 3600, 'resolution': 60, 'steps': 10 ** 6}}   # alive in Mongo's TTL
CALLS = int(os.environ.get('KAIROS_FAULT_CALLS', '600'))
BASE = 1500000000 - 1500000000 % 3600     # an hour start
SHARED = BASE - 2 * 3600                   # minute every bulk call also writes to
MINUTES_PER_CALL = 3
TOTALS = Counter()                         # over the whole module, for the report


# -- a tiny model of what a bucket holds after some writes -----------------

def empty(kind):
    return {'series': [], 'histogram': Counter(), 'count': 0, 'gauge': None,
            'set': set()}[kind]


def add(kind, row, values):
    if kind == 'series':
        return row + list(values)
    if kind == 'histogram':
        return row + Counter(values)
    if kind == 'count':
        return row + sum(values)
    if kind == 'gauge':
        return values[-1]
    return row | set(values)


def condense(kind, rows):
    rows = [r for r in rows if r not in ([], {}, 0, None, set())]
    if not rows:
        return empty(kind)
    if kind == 'gauge':
        return rows[-1]
    row = empty(kind)
    for r in rows:
        row = row + r if kind != 'set' else row | r
    return row


def normal(kind, row):
    """A row read through kairos, in the model's form."""
    if kind == 'histogram':
        return Counter({k: v for k, v in row.items()})
    return row


# -- calls -----------------------------------------------------------------

def make_call(kind, index, rng):
    """One insert or bulk_insert: (method, args, [(name, timestamp, values)], unique keys)."""
    def value(j, n):
        if kind == 'count':
            return rng.randint(1, 9)
        if kind == 'gauge':
            return '%d.%d.%d' % (index, j, n)
        if kind == 'histogram':
            return 'v%d' % rng.randint(0, 3) if n % 2 else '%d.%d.%d' % (index, j, n)
        return '%d.%d.%d' % (index, j, n)

    first = BASE + index * MINUTES_PER_CALL * 60
    if rng.random() < 0.5:
        ts = first + rng.randrange(60)
        val = value(0, 0)
        return 'insert', ('a', val, ts), [('a', ts, [val])]
    points, inserts = [], OrderedDict()
    for j in range(MINUTES_PER_CALL):
        ts = first + j * 60 + rng.randrange(60)
        for name in ('a', 'b'):
            values = [value(j, n) for n in range(rng.randint(1, 4))]
            inserts.setdefault(ts, {})[name] = values
            points.append((name, ts, values))
    shared = [value(9, n) for n in range(2)]
    inserts[SHARED] = {'shared': shared}
    points.append(('shared', SHARED, shared))
    return 'bulk_insert', (inserts,), points


def run_calls(case, kind, calls, seed, rate=0.3):
    """Make ``calls`` calls through ``case.faulty(kind, plan)``; collect their outcomes."""
    plan = FaultPlan(seed=seed, rate=rate)
    ts, close = case.faulty(kind, plan)
    try:
        rng = random.Random(seed)
        outcomes = []
        for index in range(calls):
            method, args, points = make_call(kind, index, rng)
            before = plan.injected
            try:
                getattr(ts, method)(*args)
                error = None
            except StorageError as exc:
                error = exc
            injected = plan.log[before:]
            outcomes.append((index, method, args, points, error, injected))
    finally:
        close()
    TOTALS['injections'] += plan.injected
    TOTALS['raised'] += sum(1 for o in outcomes if o[4] is not None)
    for mode, count in plan.counts.items():
        TOTALS[mode] += count
    return plan, outcomes


class FaultBehaviour:
    """Fault runs on every type; the backend's case supplies ``faulty`` and a clean client.

    ``faulty(kind, plan)`` returns (Timeseries whose writes consult plan, close function).
    ``driver_errors`` are the classes a StorageError's cause may have.
    """

    calls = CALLS
    driver_errors = ()
    # Redis: a call lands whole or not at all. Mongo: each bucket document does.
    atomic_calls = True

    def check_outcomes(self, kind, outcomes):
        reader = Timeseries(self.client, type=kind, intervals=INTERVALS)
        end = BASE + self.calls * MINUTES_PER_CALL * 60
        names = ('a', 'b', 'shared')
        minute = {n: reader.series(n, 'minute', start=SHARED, end=end) for n in names}
        hour = {n: reader.series(n, 'hour', start=SHARED, end=end) for n in names}
        hour_sum = {n: reader.series(n, 'hour', start=SHARED, end=end, condensed=True)
                    for n in names}

        def stored(name, stamp):
            """A minute's data in the minute interval and in the hour's resolution."""
            bucket = stamp - stamp % 60
            fine = hour[name].get(bucket - bucket % 3600, {}).get(bucket, empty(kind))
            return normal(kind, minute[name][bucket]), normal(kind, fine)

        problems, model = [], {'minute': {}, 'hour': {}}
        for index, method, args, points, error, injected in outcomes:
            if error is not None:
                self.assertIsInstance(error, ConnectionError)
                self.assertIsInstance(error.__cause__, self.driver_errors, repr(error))
                self.assertTrue(injected, 'call %d raised without an injected fault: %r'
                                % (index, error))
            else:
                self.assertFalse(injected, 'call %d hid an injected fault %r' % (index, injected))
            # each call owns its minutes for 'a' and 'b': compare them with its values
            own = OrderedDict()
            for name, stamp, values in points:
                if name != 'shared':
                    key = (name, stamp - stamp % 60)
                    own[key] = add(kind, own.get(key, empty(kind)), values)
            # landed[(interval, key)]: that bucket holds the call's data (True) or nothing
            landed = {}
            for key, row in own.items():
                for position, interval in enumerate(('minute', 'hour')):
                    got = stored(*key)[position]
                    if got not in (row, empty(kind)):
                        problems.append('call %d (%s, faults %r) left part of its data in '
                                        '%s %r' % (index, method, injected, interval, key))
                    landed[interval, key] = got == row
            if self.atomic_calls and len(set(landed.values())) > 1:
                problems.append('call %d (%s %r, faults %r) landed partly'
                                % (index, method, args, injected))
            if error is None and not all(landed.values()):
                problems.append('call %d returned but its data is missing' % index)
            if self.atomic_calls and error is not None and all(landed.values()) \
                    and injected[-1][0] != 'after':
                problems.append('call %d landed although its last fault %r kept the '
                                'command from reaching the server' % (index, injected[-1]))
            for interval in ('minute', 'hour'):
                written = getattr(error, 'intervals_written', ())
                if error is not None and interval in written:
                    if not all(v for (i, _), v in landed.items() if i == interval):
                        problems.append('call %d reported %s written, but it is not there'
                                        % (index, interval))
                bucket_landed = [v for (i, _), v in landed.items() if i == interval]
                if self.atomic_calls or all(bucket_landed):
                    # the shared minute of a bulk call lands with the rest of the call
                    if not all(bucket_landed):
                        continue
                    for name, stamp, values in points:
                        key = (name, stamp - stamp % 60)
                        rows = model[interval]
                        rows[key] = add(kind, rows.get(key, empty(kind)), values)
                else:
                    for name, stamp, values in points:
                        key = (name, stamp - stamp % 60)
                        if name != 'shared' and landed[interval, key]:
                            rows = model[interval]
                            rows[key] = add(kind, rows.get(key, empty(kind)), values)
        self.assertEqual([], problems[:10], '%d problems' % len(problems))
        if not self.atomic_calls:
            # a partly landed call leaves the shared minute unknown: compare owned minutes
            names = ('a', 'b')

        # every minute bucket, in both intervals, equals the replay of the landed calls
        hours = OrderedDict()
        for name in names:
            for bucket, row in minute[name].items():
                expected = model['minute'].get((name, bucket), empty(kind))
                self.assertEqual(expected, normal(kind, row), (name, bucket))
                hour_start = bucket - bucket % 3600
                by_minute = hour[name].get(hour_start, {})
                fine = model['hour'].get((name, bucket), empty(kind))
                self.assertEqual(fine, normal(kind, by_minute.get(bucket, empty(kind))),
                                 ('hour resolution', name, bucket))
                hours.setdefault((name, hour_start), []).append(fine)
            for (hname, hour_start), rows in hours.items():
                if hname == name:
                    self.assertEqual(condense(kind, rows),
                                     normal(kind, hour_sum[name][hour_start]),
                                     ('hour condensed', name, hour_start))
        if kind == 'count' and self.atomic_calls:
            for name in names:
                self.assertEqual(sum(minute[name].values()), sum(hour_sum[name].values()))

    def fault_run(self, kind, seed):
        plan, outcomes = run_calls(self, kind, self.calls, seed)
        self.assertGreater(plan.injected, self.calls // 10)
        for mode in ('before', 'partial', 'after'):
            self.assertGreater(plan.counts[mode], 0, mode)
        self.check_outcomes(kind, outcomes)

    def test_series(self):
        """Series writes failing mid-send land whole or not at all, in both intervals."""
        self.fault_run('series', 11)

    def test_histogram(self):
        """Histogram writes failing mid-send land whole or not at all, in both intervals."""
        self.fault_run('histogram', 12)

    def test_count(self):
        """Count writes failing mid-send land whole or not at all; minutes sum to hours."""
        self.fault_run('count', 13)

    def test_gauge(self):
        """Gauge writes failing mid-send land whole or not at all, in both intervals."""
        self.fault_run('gauge', 14)

    def test_set(self):
        """Set writes failing mid-send land whole or not at all, in both intervals."""
        self.fault_run('set', 15)




def report_totals():
    if TOTALS:
        print('\nfault injections: %(injections)d (before %(before)d, partial %(partial)d, '
              'after %(after)d); calls that raised: %(raised)d' % TOTALS)
        TOTALS.clear()
