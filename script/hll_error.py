"""The distinct type's figures: the relative error of its estimate, the estimate each
backend reads for the same values, and the bytes a bucket costs on each.

    .venv/bin/python script/hll_error.py                   10**3, 10**5, 10**6 values
    .venv/bin/python script/hll_error.py --sizes 40000 --seeds 20 --backend-seeds 0

For each size, each seed draws that many distinct values (a third ints, a third
strs, a third bytes, from a random base per seed), estimates them with
``estimate(registers(...))`` and takes the relative error ``|estimate - n| / n``:
a line per size gives the median and the max over the seeds, next to the standard
error 1.04/sqrt(m), and the time ``registers`` took a value (the Python hash).

Then, for the first ``--backend-seeds`` seeds, the same values go into one bucket
through ``bulk_insert`` on Redis (a private redis-server, or KAIROS_TEST_REDIS_URL),
mongomock_ng and SQLite (in memory), and each line gives the estimate each reads
back (they hold the same registers, so they must coincide with kairos.hll's) and
what the bucket costs: Redis's ``MEMORY USAGE`` of the key, the BSON size of the
Mongo document, and the SQL rows of the bucket.
"""

import argparse
import os
import random
import statistics
import sys
import time
from typing import Any, Dict, List, Tuple

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import bson  # noqa: E402
import mongomock_ng  # noqa: E402
import redis  # noqa: E402
import sqlalchemy  # noqa: E402

from kairos import Timeseries, hll  # noqa: E402
from tests.support import RedisServer  # noqa: E402

T0 = 1800000000
INTERVALS = {'minute': {'step': 60}}


def distinct_values(n: int, seed: int) -> List[Any]:
    """n distinct values: ints from a random base, then strs and bytes with a random
    prefix each (one value as Redis sees them: no str spells an int of the others)."""
    rng = random.Random(seed)
    base, prefix = rng.getrandbits(62), '%016x' % rng.getrandbits(64)
    third = n // 3
    values: List[Any] = list(range(base, base + third))
    values += ['%s:s%d' % (prefix, i) for i in range(third)]
    values += [b'%s:b%d' % (prefix.encode(), i) for i in range(n - 2 * third)]
    return values


def errors(n: int, seeds: int) -> Tuple[List[float], float]:
    """The relative error of each seed's estimate, and the seconds ``registers`` took."""
    found, spent = [], 0.0
    for seed in range(seeds):
        values = distinct_values(n, seed)
        started = time.perf_counter()
        registers = hll.registers(values)
        spent += time.perf_counter() - started
        found.append(abs(hll.estimate(registers) - n) / n)
    return found, spent


def backends(redis_url: str) -> Dict[str, Any]:
    """A distinct Timeseries per backend, each empty."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    return {'redis': Timeseries(client, type='distinct', intervals=INTERVALS),
            'mongo': Timeseries(mongomock_ng.MongoClient(), type='distinct',
                                intervals=INTERVALS),
            'sqlite': Timeseries(sqlalchemy.create_engine('sqlite://'), type='distinct',
                                 intervals=INTERVALS)}


def bucket_cost(kind: str, t: Any, name: str) -> str:
    """What one bucket of ``name`` costs on the backend ``kind``."""
    if kind == 'redis':
        key = t._keys.key(name, t._intervals['minute'], T0 // 60)
        return '%d B' % t._client.memory_usage(key, samples=0)
    if kind == 'mongo':
        document = t._db['minute'].find_one({'name': name})
        return '%d B BSON' % len(bson.encode(document))
    with t._engine.connect() as connection:
        rows = connection.execute(sqlalchemy.text(
            'SELECT count(*) FROM "distinct" WHERE name = :name'), {'name': name}).scalar()
    return '%d rows' % rows


def compare(n: int, seed: int, stores: Dict[str, Any]) -> str:
    """One line: each backend's estimate of the same bucket, and its cost."""
    values = distinct_values(n, seed)
    want = hll.estimate(hll.registers(values))
    name = 'n%d-s%d' % (n, seed)
    parts = []
    for kind, t in stores.items():
        t.bulk_insert({T0: {name: values}})
        got = t.get(name, 'minute', timestamp=T0)[T0]
        parts.append('%s %d%s (%s)' % (kind, got, '' if got == want else ' DIFFERS',
                                       bucket_cost(kind, t, name)))
    return '%9d values, seed %d: kairos.hll %d; %s' % (n, seed, want, ', '.join(parts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sizes', type=int, nargs='+', default=[10 ** 3, 10 ** 5, 10 ** 6])
    parser.add_argument('--seeds', type=int, default=5)
    parser.add_argument('--backend-seeds', type=int, default=1)
    args = parser.parse_args()
    print('p=%d, m=%d registers, standard error %.2f%%; relative error over %d seeds'
          % (hll.P, hll.M, 100 * hll.STANDARD_ERROR, args.seeds))
    for n in args.sizes:
        found, spent = errors(n, args.seeds)
        each = spent / (n * args.seeds)
        print('%9d distinct values: median %.2f%%, max %.2f%% (registers: %.1f us a value)'
              % (n, 100 * statistics.median(found), 100 * max(found), each * 1e6))
    if not args.backend_seeds:
        return
    url, server = os.environ.get('KAIROS_TEST_REDIS_URL'), None
    if not url:
        server = RedisServer(prefix='kairos-hll-').start()
        url = server.url
    try:
        stores = backends(url)
        print('the same values in one bucket on each backend: its estimate (its cost)')
        for n in args.sizes:
            for seed in range(args.backend_seeds):
                print(compare(n, seed, stores))
    finally:
        if server is not None:
            server.stop()


if __name__ == '__main__':
    main()
