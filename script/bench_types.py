"""Section 6 of script/bench: the statistics types next to a histogram of the same values.

    insert() calls/s, and server us per call   one value per call, 10 names, the
                                               bench's three intervals
    bulk_insert points/s                       over 100 names, new keys each repeat
    bytes per bucket                           MEMORY USAGE of one coarse bucket after
                                               1,000 and 100,000 values
    errors                                     each estimating type's reads against the
                                               exact figure of the same values

The values are what each type is for: lognormal latencies in ms (three decimals) for
summary and sketch, user ids for distinct; the histogram baseline counts the same values.
"""

import random

import numpy as np

from kairos import Timeseries

NAMES = 10
BULK_NAMES = 100
SIZES = (1000, 100000)


def latencies(rng, n):
    return [round(rng.lognormvariate(3, 1), 3) for _ in range(n)]


def user_ids(rng, n):
    return ['user%d' % rng.randrange(10 ** 9) for _ in range(n)]


def distinct_errors(bench, make):
    """The estimate of n distinct values in one bucket against n, on the bench's Redis."""
    for n in ((1000, 100000, 1000000) if not bench.args.quick else (1000, 10000)):
        values = ['user%d' % i for i in range(n)]
        bench.client.flushdb()
        t = Timeseries(bench.client, type='distinct', intervals={'day': {'step': 86400}})
        for start in range(0, n, 50000):
            t.bulk_insert({0: {'x': values[start:start + 50000]}})
        got = t.get('x', 'day', timestamp=0)[0]
        bench.check('distinct: estimate of %d distinct values' % n, abs(got - n) <= 3 * 0.0081 * n,
                    '%d, error %.2f%% (standard error 0.81%%)' % (got, 100.0 * (got - n) / n))


def sketch_errors(bench, make):
    """p50, p99 and p99.9 of lognormal values from a sketch, against the exact ones."""
    values = make(random.Random(11), 100000 if not bench.args.quick else 10000)
    bench.client.flushdb()
    t = Timeseries(bench.client, type='sketch', intervals={'day': {'step': 86400}})
    t.bulk_insert({0: {'x': values}})
    qs = (50, 99, 99.9)
    got = t.get('x', 'day', timestamp=0, transform=['p50', 'p99', 'p99.9'])[0]
    for q, exact in zip(qs, exact_percentiles(values, qs)):
        error = abs(got['p%g' % q] - exact) / exact
        bench.check('sketch: p%g of %d lognormal values' % (q, len(values)), error <= 0.01,
                    '%.4g vs exact %.4g: error %.2f%% (relative accuracy 1%%)'
                    % (got['p%g' % q], exact, 100 * error))


# type -> its values; the one place a new type joins this section
VALUES = {'summary': latencies, 'distinct': user_ids, 'sketch': latencies}
# type -> measure(bench, values) of its reads' errors, for the types that estimate
ERRORS = {'distinct': distinct_errors, 'sketch': sketch_errors}


def bench_types(bench, intervals):
    n, points = bench.args.inserts, bench.args.bulk_other
    bench.section('6. the statistics types: insert() calls/s (%d calls, %d names), '
                  'bulk_insert points/s (%d points, %d names) and bytes per bucket, next to '
                  'a histogram of the same values' % (n, NAMES, points, BULK_NAMES))
    rng = random.Random(7)
    for kind, make in VALUES.items():
        values = make(rng, max(n, points))
        _inserts(bench, kind, values[:n], intervals)
        _bulk(bench, kind, values[:points], intervals)
        for size in SIZES if not bench.args.quick else SIZES[:1]:
            _bytes(bench, kind, make(rng, size))
        if kind in ERRORS:
            ERRORS[kind](bench, make)


def _calls(bench, kind, values, intervals):
    """A job inserting ``values`` one call each into a new Timeseries of ``kind``."""
    stamp = bench.now

    def job():
        t = Timeseries(bench.client, type=kind, intervals=intervals)
        for i, value in enumerate(values):
            t.insert('n%d' % (i % NAMES), value, timestamp=stamp + i)
    return job


def _inserts(bench, kind, values, intervals):
    ours, base = bench.measure(_calls(bench, kind, values, intervals),
                               _calls(bench, 'histogram', values, intervals),
                               reset=bench.client.flushdb)
    what = 'insert %s' % kind
    bench.row(what, '/s', len(values) / ours.seconds, len(values) / base.seconds, 'histogram')
    bench.server_rows(what + ', per call', ours, base, len(values), 'histogram', None)


def _bulk(bench, kind, values, intervals):
    data = {}
    for i, value in enumerate(values):
        data.setdefault(bench.now + i // BULK_NAMES, {}).setdefault(
            'n%d' % (i % BULK_NAMES), []).append(value)
    ours, base = bench.measure(
        lambda: Timeseries(bench.client, type=kind, intervals=intervals).bulk_insert(data),
        lambda: Timeseries(bench.client, type='histogram', intervals=intervals).bulk_insert(data),
        reset=bench.client.flushdb)
    what = 'bulk_insert %s' % kind
    bench.row(what, '/s', len(values) / ours.seconds, len(values) / base.seconds, 'histogram')
    bench.server_rows(what + ', per point', ours, base, len(values), 'histogram', None)


def bucket_bytes(client, kind, values):
    """MEMORY USAGE of the one bucket holding ``values`` (a day without resolution)."""
    client.flushdb()
    t = Timeseries(client, type=kind, prefix='bytes:', intervals={'day': {'step': 86400}})
    for start in range(0, len(values), 10000):
        t.bulk_insert({0: {'x': values[start:start + 10000]}})
    key, = client.keys('bytes:*')
    return client.memory_usage(key, samples=0)


def _bytes(bench, kind, values):
    ours = bucket_bytes(bench.client, kind, values)
    base = bucket_bytes(bench.client, 'histogram', values)
    bench.row('bytes per bucket, %s, %d values' % (kind, len(values)), 'B', ours, base,
              'histogram', note='the histogram takes %.0fx' % (base / ours))


def exact_percentiles(values, qs):
    """The exact order statistics an estimate is compared with (numpy, method 'lower')."""
    return np.percentile(np.array(values), qs, method='lower')
