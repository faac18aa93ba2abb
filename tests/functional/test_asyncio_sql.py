"""kairos.asyncio on SQL, beside kairos.Timeseries: what the shared test bodies (their
``...Async`` twins) cannot show.

Each behaviour runs on SQLite (aiosqlite), PostgreSQL (asyncpg) and MariaDB
(aiomysql), over AsyncEngines on the database the case's blocking Engine is on
(tests/support.py ``async_sql_engine``), on the test's own loop (``AsyncCase``).
Their pools hold far fewer connections than the tasks here (10 and 20 overflow;
SQLite 5 and 10): tasks queue for a connection, up to a minute, as they would in
an application.
"""

import asyncio
import random
import unittest

from kairos import Timeseries
from kairos.asyncio import Timeseries as AsyncTimeseries

from tests.functional.common import at, backend_label, plain
from tests.support import SQL_CASES, AsyncCase, DroppedTables

TYPES = ('series', 'histogram', 'count', 'gauge', 'set')
INTERVALS = {'minute': {'step': 60}, 'hour': {'step': 3600, 'resolution': 60}}


class AsyncSqlBehaviour(DroppedTables):

    def asyncio_timeseries(self, **kwargs):
        """A kairos.asyncio Timeseries on an AsyncEngine of its own."""
        return AsyncTimeseries(self.store_client(), **kwargs)

    def reads(self, t):
        """What a few reads of ``t`` return (each awaited where ``t`` is an asyncio one)."""
        calls = [lambda: t.get('a', 'minute', timestamp=at(10)),
                 lambda: t.get(['a', 'b'], 'hour', timestamp=at(10)),
                 lambda: t.series(['a', 'b'], 'hour', start=at(0), end=at(3600)),
                 lambda: t.series('b', 'minute', start=at(0), end=at(180), condensed=True),
                 lambda: t.list(), lambda: t.properties('a')]
        results = []
        for call in calls:
            result = call()
            if isinstance(t, AsyncTimeseries):
                result = self.loop.run_until_complete(result)
            results.append(plain(result))
        results[-2] = sorted(results[-2])   # list()
        return results

    def test_each_reads_what_the_other_wrote(self):
        """A blocking Timeseries and an asyncio one on the same tables read the same
        data, whichever of them wrote it, every type."""
        for kind in TYPES:
            with self.subTest(type=kind):
                blocking = Timeseries(self.engine, type=kind, value_type=int,
                                      intervals=INTERVALS)
                awaiting = self.asyncio_timeseries(type=kind, value_type=int,
                                                   intervals=INTERVALS)
                blocking.bulk_insert({at(10): {'a': [1, 2]}, at(70): {'a': [3], 'b': [4]}})
                self.assertEqual(self.reads(awaiting), self.reads(blocking))
                self.loop.run_until_complete(awaiting.insert('a', 5, timestamp=at(20)))
                self.loop.run_until_complete(awaiting.bulk_insert(
                    {at(130): {'b': [6, 7]}, at(3610): {'a': [8]}}))
                both = self.reads(blocking)
                self.assertEqual(both, self.reads(awaiting))
                self.assertEqual(both[-1], {interval: {'first': at(0), 'last': at(3600)}
                                            for interval in INTERVALS})
                minute = {'series': [1, 2, 5], 'histogram': {1: 1, 2: 1, 5: 1},
                          'count': 8, 'gauge': 5, 'set': {1, 2, 5}}[kind]
                self.assertEqual(both[0], {at(0): minute})

    def test_a_thousand_tasks_on_the_same_buckets_lose_nothing(self):
        """1,000 tasks insert counts into the same few buckets at once, through one
        Timeseries whose engine has far fewer connections: every count lands."""
        t = self.asyncio_timeseries(type='count', intervals=INTERVALS)
        calls = [('hits' if n % 3 else 'misses', n % 5 + 1, at(n % 120)) for n in range(1000)]

        async def insert_all():
            await asyncio.gather(*(t.insert(name, count, timestamp=when)
                                   for name, count, when in calls))
        self.loop.run_until_complete(insert_all())
        blocking = Timeseries(self.engine, type='count', intervals=INTERVALS)
        for name in ('hits', 'misses'):
            minutes = {at(0): 0, at(60): 0}
            for called, count, when in calls:
                if called == name:
                    minutes[when - when % 60] += count
            self.assertEqual(plain(blocking.series(name, 'minute', start=at(0), end=at(60))),
                             minutes)
            self.assertEqual(plain(blocking.get(name, 'hour', timestamp=at(0))), minutes)

    def test_cancelled_inserts_are_all_or_nothing(self):
        """Tasks each inserting a value of their own into a series of two intervals,
        cancelled at random points (before, during or after their transaction): each
        value is in both intervals or in none, and every insert that returned is there.
        The Timeseries works on afterwards."""
        t = self.asyncio_timeseries(type='series', value_type=int, intervals=INTERVALS)
        pick = random.Random(1234)
        returned = set()

        async def insert(name, value):
            await t.insert(name, value, timestamp=at(value % 120))
            returned.add((name, value))

        async def storm(name, length):
            """Values 0..299 of ``name``: two tasks in three cancelled within ``length``
            seconds; the values cancelled."""
            tasks = [asyncio.ensure_future(insert(name, value)) for value in range(300)]
            for value, task in enumerate(tasks):
                if length and value % 3:
                    self.loop.call_later(pick.uniform(0, length), task.cancel)
            outcomes = await asyncio.gather(*tasks, return_exceptions=True)
            return [value for value, outcome in enumerate(outcomes)
                    if isinstance(outcome, asyncio.CancelledError)]
        started = self.loop.time()
        self.loop.run_until_complete(storm('whole', 0))   # how long one takes uncancelled
        length = self.loop.time() - started
        cancelled = self.loop.run_until_complete(storm('v', length))
        self.assertTrue(cancelled)
        self.loop.run_until_complete(t.insert('v', 1000, timestamp=at(0)))
        returned = {value for name, value in returned if name == 'v'}
        blocking = Timeseries(self.engine, type='series', value_type=int, intervals=INTERVALS)
        minute = [value for row in blocking.series('v', 'minute', start=at(0), end=at(60))
                  .values() for value in row]
        hour = [value for row in blocking.get('v', 'hour', timestamp=at(0)).values()
                for value in row]
        self.assertEqual(sorted(minute), sorted(set(minute)))   # each value once at most
        self.assertEqual(sorted(minute), sorted(hour))
        self.assertLessEqual(returned | {1000}, set(minute))
        self.assertIn(1000, minute)


for _case in SQL_CASES:
    _name = 'TestAsyncio%s' % backend_label(_case)
    globals()[_name] = type(_name, (AsyncSqlBehaviour, AsyncCase, _case),
                            {'__module__': __name__})
del _case, _name


if __name__ == '__main__':
    unittest.main()
