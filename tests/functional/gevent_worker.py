"""Run the concurrency workload in greenlets under gevent monkey patching.

Run as a separate process (test_gevent does): patching must come before any
other import. Usage: gevent_worker.py WORKERS ITERATIONS; uses the Redis at
$KAIROS_TEST_REDIS_URL; prints the totals read back as JSON.
"""

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

import gevent  # noqa: E402
import redis  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))

from tests.functional import concurrency_load as load  # noqa: E402


def main():
    workers, iterations = int(sys.argv[1]), int(sys.argv[2])
    # redis-py's default pool refuses a 101st connection; greenlets wait for one here
    client = redis.Redis(connection_pool=redis.BlockingConnectionPool.from_url(
        os.environ['KAIROS_TEST_REDIS_URL'], max_connections=50, timeout=60))
    series_by_type = load.build(client, prefix='gevent')
    greenlets = [gevent.spawn(load.work, series_by_type, worker, iterations)
                 for worker in range(workers)]
    gevent.joinall(greenlets, timeout=240, raise_error=True)
    unfinished = sum(1 for g in greenlets if not g.ready())
    json.dump({'patched': monkey.is_module_patched('socket'), 'unfinished': unfinished,
               'totals': load.totals(series_by_type)}, sys.stdout)


if __name__ == '__main__':
    main()
