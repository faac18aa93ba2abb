"""The buffered writers of kairos.buffer, on every backend.

The reference for what a buffer writes is the same calls made with insert(),
under other names of the same Timeseries: the two must read back identically.
Each body runs on the sync ``Buffer`` and on the ``AsyncBuffer``; the asyncio
Timeseries is stood in for by ``AsyncTimeseries``, a sync one whose
``bulk_insert`` is a coroutine, and the AsyncBuffer is driven from plain code
by ``OnLoop``, which runs an event loop in a thread.
"""

import asyncio
import threading
import unittest
from unittest import mock

from kairos import (ConfigurationError, FlushError, InvalidQuery, KairosException,
                    StorageUnavailable, Timeseries)
from kairos.asyncio import Timeseries as KairosAsyncio
from kairos.buffer import AsyncBuffering

from tests.functional.common import at, without_retention
from tests.support import (MongoCase, MysqlCase, PostgresCase, RedisCase, RedisClusterCase,
                           RedisServer, SqliteCase)

# minute: coarse; hour: resolution 60; day: coarse, on the calendar
INTERVALS = dict(without_retention(), day={'step': 'daily'})
NOW = at(120)                     # the Timeseries' clock
VALUES = {
    'series': ['a', 'b', 'c', 'd', 'e'],
    'histogram': ['1', '2', '1', '3', '1'],
    'count': [1, 2, '3', None, 5],
    'gauge': ['v1', 'v2', 'v3', 'v4', 'v5'],
    'set': ['a', 'b', 'a', 'c', 'b'],
}


def calls(typ):
    """(name, value, timestamp) of insert calls: a list value, a default timestamp, and a
    name back to a timestamp it left, in a bucket shared with the ones between (day)."""
    v = VALUES[typ]
    return [('a', v[0], at(0)), ('a', v[1], at(30)), ('a', v[2], at(0)),
            ('b', [v[3] or 4, v[4]], at(61)), ('a', v[3], at(3700)), ('b', v[0], at(61)),
            ('c', v[1], None), ('a', v[4], at(0))]


def held_values(typ):
    return sum(len(value) if isinstance(value, list) else 1 for _, value, _ in calls(typ))


def reads(t, names):
    """Everything readable of ``names``, for comparison."""
    rval = []
    for interval in INTERVALS:
        for name in names:
            rval.append(t.series(name, interval, start=at(0), end=at(3700)))
            rval.append(t.get(name, interval, timestamp=at(0), condensed=True))
    return rval


class Written:
    """Stands in for a Timeseries' bulk_insert: counts the values each call wrote, lets a
    test wait for them, and fails with ``error`` when set."""

    def __init__(self, t):
        self.write, self.error = t.bulk_insert, None
        self.batches, self.attempts = [], 0
        self.changed = threading.Condition()

    def __call__(self, inserts, intervals=0):
        size = sum(len(values) for by_name in inserts.values() for values in by_name.values())
        with self.changed:
            self.attempts += 1
            self.changed.notify_all()
        if self.error is not None:
            raise self.error
        self.write(inserts, intervals)
        with self.changed:
            self.batches.append(size)
            self.changed.notify_all()

    def wait(self, values=0, attempts=0):
        """Wait (10 s at most) until ``values`` values are written and ``attempts`` made."""
        with self.changed:
            return self.changed.wait_for(lambda: sum(self.batches) >= values and
                                         self.attempts >= attempts, timeout=10)


class AsyncTimeseries(AsyncBuffering):
    """An asyncio Timeseries stand-in: a sync one whose bulk_insert is a coroutine (run in a
    worker thread, so that other tasks run during a flush); the rest by delegation."""

    def __init__(self, timeseries):
        self.timeseries = timeseries

    def __getattr__(self, name):
        return getattr(self.timeseries, name)

    async def bulk_insert(self, inserts, intervals=0):
        await asyncio.to_thread(self.timeseries.bulk_insert, inserts, intervals)


class OnLoop:
    """An AsyncBuffer driven from plain code: its coroutines run on an event loop in a
    thread, each call waiting for its own, so that the bodies written for Buffer test it."""

    def __init__(self, t, **kwargs):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        try:
            self.buffer = self.run(self.enter(AsyncTimeseries(t), kwargs))
        except BaseException:
            self.stop()
            raise

    @staticmethod
    async def enter(t, kwargs):
        return await t.buffer(**kwargs).__aenter__()

    def run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    @property
    def held(self):
        return self.buffer.held

    def insert(self, *args, **kwargs):
        self.run(self.buffer.insert(*args, **kwargs))

    def flush(self):
        self.run(self.buffer.flush())

    def close(self):
        self.run(self.buffer.__aexit__(None, None, None))

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


class BufferBehaviour:
    """What a buffer flushes reads back as the same insert() calls; nothing is lost,
    nothing written twice."""

    def make(self, typ='count', **kwargs):
        return self.timeseries(type=typ, intervals=INTERVALS, clock=lambda: NOW, **kwargs)

    def buffers(self):
        """(kind, make a buffer of t): the sync Buffer and the AsyncBuffer."""
        def on_loop(t, **kwargs):
            driver = OnLoop(t, **kwargs)
            self.addCleanup(driver.stop)
            return driver
        return (('Buffer', lambda t, **kwargs: t.buffer(**kwargs)), ('AsyncBuffer', on_loop))

    def cases(self, types=('count',)):
        """Each kind of buffer and type, a subTest each, from empty storage."""
        for kind, buffer in self.buffers():
            for typ in types:
                with self.subTest(kind=kind, type=typ):
                    self.clear()
                    yield typ, buffer

    def referenced(self):
        """(t, type, make a buffer) for each kind of buffer and type; t's plain- names hold
        the reference: calls() made with insert()."""
        for typ, buffer in self.cases(VALUES):
            t = self.make(typ)
            self.plain(t, typ)
            yield t, typ, buffer

    def plain(self, t, typ):
        for name, value, timestamp in calls(typ):
            t.insert('plain-' + name, value, timestamp=timestamp)

    def buffered(self, b, typ):
        for name, value, timestamp in calls(typ):
            b.insert('buffered-' + name, value, timestamp=timestamp)

    def assert_same_as_plain(self, t, typ):
        names = sorted({name for name, _, _ in calls(typ)})
        expected = reads(t, ['plain-' + name for name in names])
        self.assertEqual(expected, reads(t, ['buffered-' + name for name in names]))
        self.assertNotEqual(expected, reads(t, ['none-' + name for name in names]))

    def test_values_flushed_on_exit_read_back_as_inserts(self):
        """Leaving the with block writes what was held, as the same insert() calls would."""
        for t, typ, buffer in self.referenced():
            with buffer(t, max_delay=None) as b:
                self.buffered(b, typ)
                self.assertEqual(1, b.held.count)   # the last call came back to at(0)
            self.assert_same_as_plain(t, typ)

    def test_flush_writes_what_is_held(self):
        """flush() writes everything held at once, as the same insert() calls would."""
        for t, typ, buffer in self.referenced():
            with buffer(t, max_delay=None) as b:
                self.buffered(b, typ)
                b.flush()
                self.assertEqual(0, b.held.count)
                self.assert_same_as_plain(t, typ)

    def test_max_values_flushes_when_reached(self):
        """A buffer holding max_values values writes them at once."""
        for t, typ, buffer in self.referenced():
            with buffer(t, max_values=1, max_delay=None) as b:
                self.buffered(b, typ)
                self.assert_same_as_plain(t, typ)

    def test_max_delay_flushes_from_the_timer(self):
        """Every max_delay seconds the timer writes what is held."""
        for t, typ, buffer in self.referenced():
            written = Written(t)
            with mock.patch.object(t, 'bulk_insert', written), \
                    buffer(t, max_delay=0.01) as b:
                self.buffered(b, typ)
                self.assertTrue(written.wait(values=held_values(typ)))
                self.assert_same_as_plain(t, typ)

    def test_default_timestamp_is_the_clock_at_insert(self):
        """An insert without a timestamp lands at the clock's time when it was made."""
        for _, buffer in self.cases():
            now = [at(0)]
            t = self.timeseries(type='count', intervals=INTERVALS, clock=lambda: now[0])
            with buffer(t, max_delay=None) as b:
                b.insert('hits', 2)
                now[0] = at(7200)
            self.assertEqual({at(0): 2}, dict(t.get('hits', 'minute', timestamp=at(0))))

    def test_intervals_and_write_func_apply_as_in_insert(self):
        """buffer(intervals=N) writes the N next buckets, and a write_func runs as in insert()."""
        for _, buffer in self.cases():
            t = self.make(write_func=lambda value: 2 * int(value))
            for name, value, timestamp in calls('count'):
                t.insert('plain-' + name, value, timestamp=timestamp, intervals=2)
            with buffer(t, intervals=2, max_delay=None) as b:
                self.buffered(b, 'count')
            self.assert_same_as_plain(t, 'count')

    def test_bad_input_is_refused_with_nothing_held(self):
        """An insert that insert() refuses raises the same error, and nothing is held."""
        bad = [(5, 1, at(0)), ('', 1, at(0)), ('hits', 'x', at(0)), ('hits', object(), at(0)),
               ('hits', [], at(0)), ('hits', [1, 2, 'x'], at(0)), ('hits', 1, 'now'),
               ('hits', 1, float('nan')), ('hits', 1, 1e300), ('hits', [1], 'now')]
        for _, buffer in self.cases():
            t = self.make()
            with buffer(t, max_delay=None) as b:
                b.insert('hits', 1, timestamp=at(0))
                for name, value, timestamp in bad:
                    with self.assertRaises(KairosException) as refused:
                        t.insert(name, value, timestamp=timestamp)
                    with self.assertRaises(type(refused.exception)):
                        b.insert(name, value, timestamp=timestamp)
                    self.assertEqual(1, b.held.count)
            self.assertEqual({at(0): 1}, dict(t.get('hits', 'minute', timestamp=at(0))))

    def test_held_values_never_exceed_max_values(self):
        """A buffer holds at most max_values values: each flush writes no more than that."""
        for _, buffer in self.cases():
            t = self.make()
            written = Written(t)
            with mock.patch.object(t, 'bulk_insert', written), \
                    buffer(t, max_values=5, max_delay=None) as b:
                for n in range(7):
                    b.insert('hits', 1, timestamp=at(n))
                    self.assertEqual((n + 1) % 5, b.held.count)
                b.insert('hits', [1] * 12, timestamp=at(0))
                self.assertEqual(4, b.held.count)
            self.assertEqual([5, 5, 5, 4], written.batches)
            self.assertEqual({at(0): 19}, dict(t.get('hits', 'minute', timestamp=at(0))))

    def test_insert_into_a_full_buffer_waits_for_its_flush(self):
        """While a full buffer's flush runs, another thread's insert waits for it."""
        for _, buffer in self.cases():
            t = self.make()
            written, gate = Written(t), threading.Event()
            write = written.write
            written.write = lambda *args: gate.wait(10) and write(*args)
            with mock.patch.object(t, 'bulk_insert', written), \
                    buffer(t, max_values=2, max_delay=None) as b:
                b.insert('hits', 1, timestamp=at(0))
                filler = threading.Thread(target=b.insert, args=('hits', 1, at(0)))
                filler.start()
                self.assertTrue(written.wait(attempts=1))
                waiting = threading.Thread(target=b.insert, args=('hits', 1, at(0)))
                waiting.start()
                waiting.join(0.1)
                self.assertTrue(waiting.is_alive(), 'the insert did not wait for the flush')
                self.assertEqual(0, b.held.count)
                gate.set()
                filler.join()
                waiting.join()
                self.assertEqual(1, b.held.count)
            self.assertEqual([2, 1], written.batches)

    def failing(self, calls):
        """(call, t, its bulk_insert's stand-in, make a buffer) for each call and kind of
        buffer: t's plain- names hold the reference, and its bulk_insert fails until the
        stand-in's error is unset; then t must hold no value of lost-a."""
        for call in calls:
            for _, buffer in self.cases():
                t = self.make()
                self.plain(t, 'count')
                written = Written(t)
                written.error = StorageUnavailable('down')
                with mock.patch.object(t, 'bulk_insert', written):
                    yield call, t, written, buffer
                self.assertEqual(reads(t, ['none']), reads(t, ['lost-a']))
                if call != 'exit':
                    self.assert_same_as_plain(t, 'count')

    def recovers(self, b, error, written, call):
        """``error`` says 3 values are lost; b then writes new values (unless closed)."""
        self.assertEqual((3, 3), (error.values, error.values_lost))
        self.assertIn('a flush of 3 buffered values failed, 3 of them lost', str(error))
        self.assertIsInstance(error.__cause__, StorageUnavailable)
        written.error = None
        if call != 'exit':
            self.buffered(b, 'count')
            b.close()

    def test_failed_flush_raises_from_the_call_that_ran_it(self):
        """A flush that fails raises FlushError with its count; nothing is written twice."""
        for trigger, t, written, buffer in self.failing(('flush', 'max_values', 'exit')):
            b = buffer(t, max_values=3 if trigger == 'max_values' else 10, max_delay=None)
            with self.assertRaises(FlushError) as failed:
                b.insert('lost-a', [1, 2, 3], timestamp=at(0))
                b.flush() if trigger == 'flush' else b.close()
            self.recovers(b, failed.exception, written, trigger)

    def test_failed_timer_flush_raises_from_the_next_call(self):
        """A flush of the timer that fails raises FlushError from the next call, whatever it is."""
        for call, t, written, buffer in self.failing(('insert', 'flush', 'exit')):
            b = buffer(t, max_delay=0.01)
            b.insert('lost-a', [1, 2, 3], timestamp=at(0))
            self.assertTrue(written.wait(attempts=1))
            with self.assertRaises(FlushError) as failed:
                {'insert': lambda: b.insert('lost-a', 1, timestamp=at(0)),
                 'flush': b.flush, 'exit': b.close}[call]()
            self.assertEqual(0, b.held.count)
            self.recovers(b, failed.exception, written, call)

    def test_many_threads_lose_nothing(self):
        """8 threads inserting 500 values each into the same buckets lose none of them."""
        for _, buffer in self.cases():
            t = self.make('histogram')
            with buffer(t, max_values=300, max_delay=0.005) as b:
                def insert(thread):
                    for n in range(500):
                        b.insert('sizes', str(thread), timestamp=at(n % 60))
                threads = [threading.Thread(target=insert, args=(k,)) for k in range(8)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
            every = {str(k): 500 for k in range(8)}
            self.assertEqual({at(0): every}, dict(t.get('sizes', 'minute', timestamp=at(0))))
            self.assertEqual({at(0): every},
                             dict(t.get('sizes', 'hour', timestamp=at(0), condensed=True)))

    def test_a_closed_buffer_refuses_calls(self):
        """After close, insert and flush raise KairosException; a second close does nothing."""
        for _, buffer in self.cases():
            b = buffer(self.make())
            b.close()
            for call in (lambda: b.insert('hits', 1), b.flush):
                with self.assertRaisesRegex(KairosException, 'closed buffer'):
                    call()
            b.close()

    def test_bad_limits_are_refused(self):
        """max_values must be an int >= 1 and max_delay a number > 0 or None."""
        bad = [{'max_values': 0}, {'max_values': 1.5}, {'max_values': True},
               {'max_values': '10'}, {'max_delay': 0}, {'max_delay': -1}, {'max_delay': 'x'},
               {'max_delay': float('nan')}, {'max_delay': float('inf')}, {'max_delay': True}]
        for _, buffer in self.cases():
            for kwargs in bad:
                with self.assertRaises(ConfigurationError):
                    buffer(self.make(), **kwargs)
            with self.assertRaises(InvalidQuery):
                buffer(self.make(), intervals=1.5)


class AsyncBehaviour:
    """The AsyncBuffer under many tasks of one event loop, on kairos.asyncio's Timeseries
    where the case has an asyncio client (else on the stand-in)."""

    def on_asyncio(self, t, main):
        """Run ``main(asyncio Timeseries)`` on a Timeseries like ``t`` on kairos.asyncio,
        over an asyncio client of the case's store, closed at the end."""
        async def run():
            if not hasattr(self, 'async_client'):
                return await main(AsyncTimeseries(t))
            client = self.async_client()
            try:
                with mock.patch.object(self, 'kairos', KairosAsyncio), \
                        mock.patch.object(self, 'store_client', lambda: client):
                    awaiting = self.timeseries(type='count', intervals=INTERVALS,
                                               clock=lambda: NOW)
                return await main(awaiting)
            finally:
                await self.close_async_client(client)
        return asyncio.run(run())

    def test_many_tasks_lose_nothing(self):
        """1,000 tasks inserting at once lose none of their values."""
        t = self.timeseries(type='count', intervals=INTERVALS, clock=lambda: NOW)

        async def main(awaiting):
            async with awaiting.buffer(max_values=64, max_delay=0.005) as b:
                await asyncio.gather(*(b.insert('hits', 1 + n % 3, timestamp=at(n % 60))
                                       for n in range(1000)))
        self.on_asyncio(t, main)
        self.assertEqual({at(0): 1999}, dict(t.get('hits', 'minute', timestamp=at(0))))

    def test_exit_cancels_the_timer_task(self):
        """Leaving async with writes what is held and cancels the timer task."""
        t = self.timeseries(type='count', intervals=INTERVALS, clock=lambda: NOW)

        async def main(awaiting):
            async with awaiting.buffer(max_delay=60) as b:
                await b.insert('hits', 3, timestamp=at(0))
            await asyncio.wait([b.timer])
            return b.timer
        self.assertTrue(self.on_asyncio(t, main).cancelled())
        self.assertEqual({at(0): 3}, dict(t.get('hits', 'minute', timestamp=at(0))))


class TestBufferRedis(BufferBehaviour, AsyncBehaviour, RedisCase):
    pass


class TestBufferRedisCluster(BufferBehaviour, AsyncBehaviour, RedisClusterCase):
    pass


class TestBufferMongo(BufferBehaviour, AsyncBehaviour, MongoCase):
    pass


class TestBufferSqlite(BufferBehaviour, AsyncBehaviour, SqliteCase):
    pass


class TestBufferPostgres(BufferBehaviour, AsyncBehaviour, PostgresCase):
    pass


class TestBufferMysql(BufferBehaviour, AsyncBehaviour, MysqlCase):
    pass


class TestBufferOutage(unittest.TestCase):
    """A buffer whose Redis goes away."""

    def test_flush_to_a_stopped_server_raises_flush_error(self):
        """A flush to a stopped Redis raises FlushError, chaining StorageUnavailable."""
        server = RedisServer().start()
        self.addCleanup(server.stop)
        t = Timeseries(server.url, type='count', intervals=INTERVALS,
                       client_config={'socket_timeout': 2})
        self.addCleanup(t.close)
        b = t.buffer(max_delay=None)
        b.insert('hits', 1, timestamp=at(0))
        server.kill()
        with self.assertRaises(FlushError) as failed:
            b.flush()
        self.assertIsInstance(failed.exception.__cause__, StorageUnavailable)
        self.assertEqual((1, 1), (failed.exception.values, failed.exception.values_lost))
        b.close()
