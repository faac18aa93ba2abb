"""The measured relative error of kairos.hll's distinct-count estimate.

    .venv/bin/python script/hll_error.py                     10**3, 10**5, 10**6 values
    .venv/bin/python script/hll_error.py --sizes 40000 60000 --seeds 20

For each size, each seed draws that many distinct values (half ints, half strs,
from a random base per seed), estimates them with ``estimate(registers(...))``
and takes the relative error ``|estimate - n| / n``. Prints a line per size:
the median and the max over the seeds, next to the standard error 1.04/sqrt(m).
No server is needed; 10**6 values take a few seconds a seed.
"""

import argparse
import os
import random
import statistics
import sys
from typing import Iterator, List

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from kairos import hll  # noqa: E402


def distinct_values(n: int, seed: int) -> Iterator[object]:
    """n distinct values: ints from a random base, then strs with a random prefix."""
    rng = random.Random(seed)
    base, prefix = rng.getrandbits(62), '%016x' % rng.getrandbits(64)
    half = n // 2
    yield from range(base, base + half)
    for i in range(n - half):
        yield '%s:%d' % (prefix, i)


def relative_errors(n: int, seeds: int) -> List[float]:
    return [abs(hll.estimate(hll.registers(distinct_values(n, seed))) - n) / n
            for seed in range(seeds)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sizes', type=int, nargs='+', default=[10 ** 3, 10 ** 5, 10 ** 6])
    parser.add_argument('--seeds', type=int, default=5)
    args = parser.parse_args()
    print('p=%d, m=%d registers, standard error %.2f%%; relative error over %d seeds'
          % (hll.P, hll.M, 100 * hll.STANDARD_ERROR, args.seeds))
    for n in args.sizes:
        errors = relative_errors(n, args.seeds)
        print('%9d distinct values: median %.2f%%, max %.2f%%'
              % (n, 100 * statistics.median(errors), 100 * max(errors)))


if __name__ == '__main__':
    main()
