"""The sketch's error on lognormal data: its p50, p99 and p99.9 against numpy's exact ones.

For each size, five seeds of lognormal values (mu 0, sigma 1) go into one bucket
(kairos.sketch.bucket, then collapse to the default 2048 bins); the table gives the
largest relative error over the seeds against the order statistic the rank rule
selects (numpy's method 'lower', which the accuracy bounds) and against numpy's
default 'linear' (what kairos' p<q> of a series returns), and the most bins used.

    .venv/bin/python script/sketch_error.py
    .venv/bin/python script/sketch_error.py --accuracy 0.001 --seeds 3
"""

import argparse
import os
import sys
from typing import Dict, List

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from kairos import sketch  # noqa: E402

QS = (50, 99, 99.9)
SIZES = (10 ** 5, 10 ** 6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--accuracy', type=float, default=sketch.DEFAULT_RELATIVE_ACCURACY)
    parser.add_argument('--seeds', type=int, default=5)
    args = parser.parse_args()
    mapping = sketch.Mapping(args.accuracy)
    print('relative accuracy %g, lognormal(0, 1), %d seeds: the largest relative error'
          % (args.accuracy, args.seeds))
    print('%9s  %-7s %12s %12s %6s' % ('values', 'q', "vs 'lower'", "vs 'linear'", 'bins'))
    for size in SIZES:
        worst: Dict[str, List[float]] = {method: [0.0] * len(QS)
                                         for method in ('lower', 'linear')}
        bins = 0
        for seed in range(args.seeds):
            data = np.random.default_rng(seed).lognormal(0, 1, size)
            stored = sketch.collapse(sketch.bucket(data.tolist(), mapping))
            bins = max(bins, sum(1 for key in stored if key not in sketch.STATS))
            for n, q in enumerate(QS):
                got = sketch.quantile(stored, q, mapping)
                assert got is not None
                exact = {'lower': float(np.quantile(data, q / 100, method='lower')),
                         'linear': float(np.quantile(data, q / 100))}
                for method, errors in worst.items():
                    errors[n] = max(errors[n], abs(got - exact[method]) / exact[method])
        for n, q in enumerate(QS):
            print('%9d  p%-6g %12.6f %12.6f %6s' % (size, q, worst['lower'][n],
                                                   worst['linear'][n], bins if n == 0 else ''))


if __name__ == '__main__':
    main()
