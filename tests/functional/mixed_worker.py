"""Greenlets for test_concurrency: they insert while the test's OS threads do.

Run as a separate process: gevent monkey patching must come before any other
import, and a gevent socket cannot be shared with native threads (it belongs
to one thread's hub). Usage: mixed_worker.py GREENLETS ITERATIONS PREFIX
WRITE_MODE. Uses the Redis at $KAIROS_TEST_REDIS_URL. Prints 'ready', waits
for a line on stdin, runs workers 0..GREENLETS-1 of concurrency_load, then
prints a JSON report.
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
    greenlets, iterations = int(sys.argv[1]), int(sys.argv[2])
    prefix, write_mode = sys.argv[3], sys.argv[4]
    # more greenlets than the default pool's 100 connections: they wait for one here
    client = redis.Redis(connection_pool=redis.BlockingConnectionPool.from_url(
        os.environ['KAIROS_TEST_REDIS_URL'], max_connections=40, timeout=60))
    series_by_type = load.build(client, prefix=prefix)
    for series in series_by_type.values():
        series.write_mode = write_mode
    client.ping()
    print('ready', flush=True)
    sys.stdin.readline()
    green = [gevent.spawn(load.work, series_by_type, worker, iterations)
             for worker in range(greenlets)]
    gevent.joinall(green, timeout=240, raise_error=True)
    json.dump({'patched': monkey.is_module_patched('socket'),
               'unfinished': sum(1 for g in green if not g.ready())}, sys.stdout)


if __name__ == '__main__':
    main()
