"""kairos.asyncio against the blocking API on the same store: each reads what the other
wrote, many tasks lose nothing, and a cancelled call is applied whole or not at all."""

import asyncio
import random

from kairos import InvalidValue, UnsupportedClient
from kairos.asyncio import Timeseries as AsyncTimeseries
from tests.support import MongoCase, RedisCase, RedisClusterCase
from tests.functional.common import at, plain, without_retention

TYPES = {'series': [1, 2, 3], 'histogram': [1, 1, 2], 'count': [1, 2, 3],
         'gauge': [1, 2, 3], 'set': [1, 2, 2]}


class AsyncioBehaviour:

    def setUp(self):
        self.loop = asyncio.new_event_loop()
        super().setUp()
        self.aclient = self.async_client()

    def tearDown(self):
        self.loop.run_until_complete(self.close_async_client(self.aclient))
        super().tearDown()
        self.loop.close()

    def run_async(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    def both(self, **kwargs):
        """A blocking Timeseries and an asyncio one with the same configuration."""
        kwargs.setdefault('intervals', without_retention())
        kwargs.setdefault('prefix', 'kairos')
        return self.timeseries(**kwargs), self.async_timeseries(**kwargs)

    def async_timeseries(self, **kwargs):
        kwargs.setdefault('intervals', without_retention())
        kwargs.setdefault('prefix', 'kairos')
        if self.backend != 'redis':
            kwargs.pop('prefix')
        return AsyncTimeseries(self.aclient, **kwargs)

    def test_each_reads_what_the_other_wrote(self):
        """What the blocking API writes the asyncio one reads the same, and the reverse."""
        for kind, values in TYPES.items():
            with self.subTest(type=kind):
                self.clear()
                blocking, awaiting = self.both(type=kind)
                for offset, value in enumerate(values):
                    blocking.insert('b', value, timestamp=at(offset * 30))
                    self.run_async(awaiting.insert('a', value, timestamp=at(offset * 30)))
                for reader in ('blocking', 'asyncio'):
                    for name in ('a', 'b'):
                        if reader == 'blocking':
                            got = blocking.series(name, 'hour', start=at(0), steps=1)
                            listed = blocking.list()
                        else:
                            got = self.run_async(awaiting.series(name, 'hour', start=at(0),
                                                                 steps=1))
                            listed = self.run_async(awaiting.list())
                        self.assertEqual(plain(got), plain(
                            blocking.series('b', 'hour', start=at(0), steps=1)))
                        self.assertEqual(listed, ['a', 'b'])

    def test_same_answers_on_every_method(self):
        """get, series, properties, iterate, delete and delete_all answer alike."""
        blocking, awaiting = self.both(type='count')
        blocking.bulk_insert({at(i * 61): {'x': [i], 'y': [1], 'z': [i]} for i in range(10)})

        async def calls():
            return (await awaiting.get('x', 'minute', timestamp=at(61)),
                    await awaiting.series(['x', 'y'], 'hour', start=at(0), condensed=True),
                    await awaiting.properties('x'),
                    [pair async for pair in awaiting.iterate('x', 'minute')])
        self.assertEqual(
            self.run_async(calls()),
            (blocking.get('x', 'minute', timestamp=at(61)),
             blocking.series(['x', 'y'], 'hour', start=at(0), condensed=True),
             blocking.properties('x'), list(blocking.iterate('x', 'minute'))))
        self.assertEqual(self.run_async(awaiting.delete('x')), blocking.delete('z'))
        self.assertEqual(blocking.list(), ['y'])
        self.assertGreater(self.run_async(awaiting.delete_all()), 0)
        self.assertEqual(blocking.list(), [])

    def test_bad_input_is_refused_before_writing(self):
        """An asyncio call refuses bad input with the blocking call's error, writing nothing."""
        blocking, awaiting = self.both(type='count')
        before = self.snapshot()
        with self.assertRaises(InvalidValue) as raised:
            self.run_async(awaiting.insert('c', 'not a number', timestamp=at(0)))
        with self.assertRaises(InvalidValue) as expected:
            blocking.insert('c', 'not a number', timestamp=at(0))
        self.assertEqual(str(raised.exception), str(expected.exception))
        self.assertEqual(self.snapshot(), before)

    def test_a_blocking_client_is_refused(self):
        """kairos.asyncio refuses a blocking client, naming the Timeseries to use."""
        with self.assertRaises(UnsupportedClient) as raised:
            AsyncTimeseries(self.store_client(), type='count', intervals=without_retention())
        self.assertIn('use kairos.Timeseries', str(raised.exception))

    def test_a_thousand_tasks_lose_nothing(self):
        """1,000 concurrent tasks inserting into the same buckets: every count lands."""
        blocking, awaiting = self.both(type='count')

        async def insert(i):
            await awaiting.insert('hits', 1, timestamp=at(i % 120))
            await awaiting.insert('hits', [1, 1], timestamp=at(3600 + i % 60))

        async def everything():
            await asyncio.gather(*(insert(i) for i in range(1000)))
        self.run_async(everything())
        self.assertEqual(plain(blocking.series('hits', 'hour', start=at(0), steps=2,
                                               condensed=True)),
                         {at(0): 1000, at(3600): 2000})
        self.assertEqual(sum(plain(blocking.series('hits', 'minute', start=at(0),
                                                   steps=2)).values()), 1000)

    def test_cancelled_calls_are_whole_or_absent(self):
        """Tasks cancelled at random points while they write: each value is in every
        interval or in none, and every call that returned is there."""
        blocking, awaiting = self.both(type='series')
        rng = random.Random(7)
        completed = set()

        async def write(i):
            if i % 3:
                await awaiting.insert('s', i, timestamp=at(i % 200))
            else:
                await awaiting.bulk_insert({at(i % 200): {'s': [i]}, at(3600 + i): {'s': [i]}})
            completed.add(i)

        async def everything():
            tasks = [asyncio.ensure_future(write(i)) for i in range(300)]
            for task in tasks:
                if rng.random() < 0.5:
                    for _ in range(rng.randrange(4)):
                        await asyncio.sleep(0)
                    task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            # a write cancelled after it was sent may still be landing: let it
            await asyncio.sleep(0.2)
        self.run_async(everything())
        minute = blocking.series('s', 'minute', start=at(0), end=at(199))
        hour = blocking.series('s', 'hour', start=at(0), steps=3, condensed=True)
        in_minute = [v for row in minute.values() for v in row]
        in_hour = [v for row in hour.values() for v in row]
        self.assertEqual(sorted(set(in_minute)), sorted(in_minute))   # none twice
        for i in range(300):
            count = 2 if i % 3 == 0 else 1   # a bulk insert writes two hours
            self.assertIn(in_hour.count(str(i)) + in_hour.count(i), (0, count), i)
            landed = str(i) in in_minute or i in in_minute
            self.assertEqual(landed, (in_hour.count(str(i)) + in_hour.count(i)) > 0, i)
            if i in completed:
                self.assertTrue(landed, i)
        self.assertTrue(completed)
        self.assertLess(len(completed), 300)


class TestAsyncioRedis(AsyncioBehaviour, RedisCase):
    pass


class TestAsyncioRedisCluster(AsyncioBehaviour, RedisClusterCase):
    """The same on a Redis Cluster."""


class TestAsyncioMongo(AsyncioBehaviour, MongoCase):
    pass

