"""Many processes writing the same SQL buckets at once: failed calls, aborted
transactions and exact totals, per database.

    script/soak_sql.py                         8 x 2,000 calls on SQLite (a file),
                                               a private PostgreSQL and MariaDB
    script/soak_sql.py --workers 8 --calls 200 --only mysql
    script/soak_sql.py --postgres-url postgresql://user@host/db --mysql-url mysql://...

The workload is tests/functional/contention_load.py's: insert and bulk_insert
of every type on the same buckets of three intervals (two with a resolution).
Prints a line per database; exits 1 when a call failed or a total is wrong.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from tests.functional import contention_load as load  # noqa: E402
from tests.support import MariadbServer, PostgresServer  # noqa: E402

DIALECTS = ('sqlite', 'postgresql', 'mysql')


def soak(dialect: str, url: str, workers: int, calls: int) -> bool:
    engine = load.engine_for(url)
    with engine.begin() as connection:   # a table left by an earlier run starts empty
        for table in load.TABLES.values():
            if engine.dialect.has_table(connection, table):
                connection.exec_driver_sql('DELETE FROM %s'
                                           % engine.dialect.identifier_preparer.quote(table))
    outcome, seconds = load.run(url, workers, calls)
    wrong = load.check(load.totals(load.build(engine)), load.expected(workers, calls))
    engine.dispose()
    print('%-10s %d x %d calls: %d failed, %d transactions aborted (deadlock or lock '
          'timeout), totals %s, %.1f s' % (
              dialect, workers, calls, outcome.failed, outcome.aborted,
              'exact' if not wrong else '%d cells WRONG' % len(wrong), seconds), flush=True)
    for line in outcome.errors[:5] + wrong[:5]:
        print('    ' + line[:300])
    return not outcome.failed and not wrong


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--workers', type=int, default=8)
    parser.add_argument('--calls', type=int, default=2000)
    parser.add_argument('--repeats', type=int, default=1)
    parser.add_argument('--only', choices=DIALECTS, action='append')
    parser.add_argument('--postgres-url')
    parser.add_argument('--mysql-url')
    args = parser.parse_args()
    directory = tempfile.mkdtemp(prefix='kairos-soak-sql-')
    stops = [lambda: shutil.rmtree(directory, ignore_errors=True)]
    ok = True
    print('script/soak_sql.py  (%s UTC)' % time.strftime('%Y-%m-%d %H:%M', time.gmtime()))
    try:
        for dialect in args.only or DIALECTS:
            url = {'sqlite': 'sqlite:///' + os.path.join(directory, 'soak.db'),
                   'postgresql': args.postgres_url, 'mysql': args.mysql_url}[dialect]
            if url is None:
                server = (PostgresServer if dialect == 'postgresql' else MariadbServer)(
                    prefix='kairos-soak-').start()
                stops.append(server.stop)
                url = server.url
            for plain, driver in (('postgresql://', 'postgresql+psycopg://'),
                                  ('mysql://', 'mysql+pymysql://')):
                if url.startswith(plain):
                    url = driver + url[len(plain):]
            for _ in range(args.repeats):
                ok = soak(dialect, url, args.workers, args.calls) and ok
    finally:
        for stop in reversed(stops):
            stop()
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
