"""The sketch's error on lognormal data: its p50, p99 and p99.9 against numpy's exact ones.

For each size, five seeds of lognormal values (mu 0, sigma 1) go into one bucket
(kairos.sketch.bucket, then collapse to the default 2048 bins); the table gives the
largest relative error over the seeds against the order statistic the rank rule
selects (numpy's method 'lower', which the accuracy bounds) and against numpy's
default 'linear' (what kairos' p<q> of a series returns), and the most bins used.

With ``--redis URL`` the same values also go through a sketch Timeseries on that Redis
(one bulk_insert into one minute bucket, read back with the p<q> transforms), with the
bucket's ``MEMORY USAGE`` (SAMPLES 0: every member counted), the bins it stores, and,
for scale, the memory of the same values in a series bucket. It writes under the
prefix ``sketch-error:`` and deletes what it wrote.

    .venv/bin/python script/sketch_error.py
    .venv/bin/python script/sketch_error.py --accuracy 0.001 --seeds 3
    .venv/bin/python script/sketch_error.py --redis redis://127.0.0.1:6379/0
"""

import argparse
import os
import sys
from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from kairos import sketch  # noqa: E402

QS = (50, 99, 99.9)
SIZES = (10 ** 5, 10 ** 6)
REDIS_SIZES = (10 ** 3, 10 ** 5)
T = 1700000000


# of one bucket: ({q: its quantile}, {column: a number})
Measured = Tuple[Dict[float, float], Dict[str, int]]


def table(title: str, sizes: Sequence[int], seeds: int,
          measure: Callable[[List[float]], Measured]) -> None:
    """Print the largest errors over the seeds, per size and q, and the largest of the
    other columns ``measure(values)`` gives."""
    print(title)
    columns: List[str] = []
    for size in sizes:
        worst: Dict[str, List[float]] = {method: [0.0] * len(QS)
                                         for method in ('lower', 'linear')}
        most: Dict[str, int] = {}
        for seed in range(seeds):
            data = np.random.default_rng(seed).lognormal(0, 1, size)
            quantiles, others = measure(data.tolist())
            for n, q in enumerate(QS):
                exact = {'lower': float(np.quantile(data, q / 100, method='lower')),
                         'linear': float(np.quantile(data, q / 100))}
                for method, errors in worst.items():
                    errors[n] = max(errors[n], abs(quantiles[q] - exact[method]) / exact[method])
            for name, number in others.items():
                most[name] = max(most.get(name, 0), number)
        if not columns:
            columns = list(most)
            print('%9s  %-7s %12s %12s' % ('values', 'q', "vs 'lower'", "vs 'linear'")
                  + ''.join(' %13s' % name for name in columns))
        for n, q in enumerate(QS):
            print('%9d  p%-6g %12.6f %12.6f' % (size, q, worst['lower'][n], worst['linear'][n])
                  + ''.join(' %13s' % (most[name] if n == 0 else '') for name in columns))
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--accuracy', type=float, default=sketch.DEFAULT_RELATIVE_ACCURACY)
    parser.add_argument('--seeds', type=int, default=5)
    parser.add_argument('--redis', help='also through a sketch Timeseries on this Redis URL')
    args = parser.parse_args()
    mapping = sketch.Mapping(args.accuracy)

    def core(values: List[float]) -> Measured:
        stored = sketch.collapse(sketch.bucket(values, mapping))
        return ({q: float(sketch.quantile(stored, q, mapping) or 0) for q in QS},
                {'bins': sum(1 for key in stored if key not in sketch.STATS)})
    table('relative accuracy %g, lognormal(0, 1), %d seeds, the pure core: the largest '
          'relative error, the most bins' % (args.accuracy, args.seeds), SIZES, args.seeds,
          core)
    if args.redis:
        through_redis(args.redis, args.accuracy, args.seeds)


def through_redis(url: str, accuracy: float, seeds: int) -> None:
    """The table of values bulk-inserted into a sketch bucket on Redis, read back."""
    import redis
    from kairos import Timeseries
    client = redis.Redis.from_url(url)
    intervals = {'minute': {'step': 60}}
    sketches = Timeseries(client, type='sketch', prefix='sketch-error', intervals=intervals,
                          relative_accuracy=accuracy)
    series = Timeseries(client, type='series', prefix='sketch-error-series',
                        intervals=intervals)
    bucket = 'x:minute:%d' % (T // 60)
    names = ['p' + format(q, 'g') for q in QS]

    def measure(values: List[float]) -> Measured:
        for timeseries in (sketches, series):
            timeseries.delete('x')
            timeseries.bulk_insert({T: {'x': values}})
        read = sketches.get('x', 'minute', T, transform=names)[T - T % 60]
        return ({q: read[name] for q, name in zip(QS, names)},
                {'bins': client.zcard('sketch-error:' + bucket) - len(sketch.STATS),
                 'sketch bytes': client.memory_usage('sketch-error:' + bucket, samples=0),
                 'series bytes': client.memory_usage('sketch-error-series:' + bucket,
                                                     samples=0)})
    try:
        table('the same through Redis %s, a bucket per seed read by p<q> transforms: the '
              'largest relative error, the most bins and bytes (MEMORY USAGE)'
              % client.info('server')['redis_version'], REDIS_SIZES, seeds, measure)
    finally:
        sketches.delete('x')
        series.delete('x')


if __name__ == '__main__':
    main()
