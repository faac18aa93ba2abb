"""Round trips to Redis per call, counted on the connection.

A round trip is one call of ``Connection.send_packed_command`` outside the
connection handshake: redis-py sends a single command, a pipeline or a
MULTI/EXEC block with one such call, then reads the replies. Every test
warms up first, so the scripts are cached and the connection is open.
"""

import time

import redis

import kairos.series_types
from kairos import Timeseries

from tests.functional.common import SAMPLES
from tests.support import CountingConnection, RedisCase, redis_url

TYPES = tuple(kairos.series_types.TYPES)

INTERVALS = {
    'minute': {'step': 60, 'steps': 120},
    'hour': {'step': 3600, 'steps': 24, 'resolution': 60},
    'day': {'step': 'daily', 'steps': 30, 'resolution': 3600},
    'coarse_day': {'step': 86400},
}

VALUES = SAMPLES


class RoundTrips(RedisCase):
    """Writes take one round trip, reads at most two, whatever the steps."""

    def setUp(self):
        super().setUp()
        self.pool = redis.ConnectionPool.from_url(redis_url(),
                                                  connection_class=CountingConnection)
        self.counted = redis.Redis(connection_pool=self.pool)
        self.base = int(time.time()) // 86400 * 86400 - 86400

    def tearDown(self):
        self.counted.close()
        self.pool.disconnect()
        super().tearDown()

    def make(self, typ):
        return Timeseries(self.counted, type=typ, prefix=typ, intervals=INTERVALS)

    def trips(self, func, *args, **kwargs):
        """(round trips taken by func(*args, **kwargs), its result)."""
        before = CountingConnection.sent
        result = func(*args, **kwargs)
        return CountingConnection.sent - before, result

    def fill(self, t, typ, names, hours=30):
        """Data in every 7th minute of ``hours`` hours from ``self.base``."""
        values = VALUES[typ]
        inserts = {}
        for hour in range(hours):
            for minute in range(0, 60, 7):
                stamp = self.base + hour * 3600 + minute * 60
                inserts[stamp] = {name: values for name in names}
        t.bulk_insert(inserts)

    def test_counting_connection_counts(self):
        """The counting connection sees one round trip per command and per pipeline."""
        self.counted.ping()
        self.assertEqual(self.trips(self.counted.get, 'nothing')[0], 1)
        pipe = self.counted.pipeline(transaction=False)
        for key in ('a', 'b', 'c'):
            pipe.get(key)
        self.assertEqual(self.trips(pipe.execute)[0], 1)

    def test_insert_is_one_round_trip(self):
        """insert() writes every interval, with resolution or not, in one round trip."""
        for typ in TYPES:
            for mode in ('script', 'multi'):
                with self.subTest(type=typ, write_mode=mode):
                    t = self.make(typ)
                    t.write_mode = mode
                    t.insert('warm', VALUES[typ][0], timestamp=self.base)
                    for value in VALUES[typ]:
                        trips, _ = self.trips(t.insert, 'x', value, timestamp=self.base + 61)
                        self.assertEqual(trips, 1)
                    trips, _ = self.trips(t.insert, 'x', VALUES[typ][0],
                                          timestamp=self.base + 3, intervals=3)
                    self.assertEqual(trips, 1)

    def assert_read_trips(self, t, names, read_scripts):
        t.read_scripts = read_scripts
        name = names if len(names) > 1 else names[0]
        t.series(name, 'hour', steps=1, end=self.base)
        t.series(name, 'minute', steps=1, end=self.base)
        for steps in (1, 5, 24):
            end = self.base + 29 * 3600
            for interval, most in (('hour', 2), ('day', 2), ('minute', 1), ('coarse_day', 1)):
                with self.subTest(names=name, steps=steps, interval=interval,
                                  read_scripts=read_scripts):
                    trips, result = self.trips(t.series, name, interval, steps=steps, end=end)
                    self.assertLessEqual(trips, most)
                    self.assertEqual(len(result), steps)
                    trips, _ = self.trips(t.series, name, interval, steps=steps, end=end,
                                          condensed=True)
                    self.assertLessEqual(trips, most)
                    trips, _ = self.trips(t.get, name, interval, timestamp=end)
                    self.assertLessEqual(trips, most)

    def test_reads_take_at_most_two_round_trips(self):
        """get/series: at most 2 round trips with resolution, 1 without, any steps."""
        for typ in TYPES:
            t = self.make(typ)
            self.fill(t, typ, ['a'])
            self.assert_read_trips(t, ['a'], read_scripts=True)

    def test_many_names_and_regrouping_share_round_trips(self):
        """series_many and get_many of 20 names, and reads with every= or without an
        interval, take the round trips of one name's read."""
        names = ['n%d' % n for n in range(20)]
        end = self.base + 29 * 3600
        for typ in TYPES:
            t = self.make(typ)
            self.fill(t, typ, names)
            t.series_many(names, 'hour', steps=1, end=end)
            for interval, most in (('hour', 2), ('day', 2), ('minute', 1), ('coarse_day', 1)):
                with self.subTest(type=typ, interval=interval):
                    trips, got = self.trips(t.series_many, names, interval, steps=5, end=end)
                    self.assertLessEqual(trips, most)
                    self.assertEqual(names, list(got))
                    trips, _ = self.trips(t.get_many, names, interval, timestamp=end)
                    self.assertLessEqual(trips, most)
                    trips, _ = self.trips(t.series, 'n0', interval, steps=5, end=end,
                                          every='daily')
                    self.assertLessEqual(trips, most)
            trips, got = self.trips(t.series, 'n0', start=self.base, end=end, max_points=30)
            self.assertLessEqual(trips, 2)
            self.assertLessEqual(len(got), 30)

    def test_joined_names_share_round_trips(self):
        """Reading several names joined costs no more round trips than one name."""
        for typ in TYPES:
            t = self.make(typ)
            names = ['a', 'b', 'c', 'd']
            self.fill(t, typ, names)
            self.assert_read_trips(t, names, read_scripts=True)

    def test_pipelined_reads_take_at_most_two_round_trips(self):
        """With read_scripts off, reads still take at most 2 round trips (1 coarse)."""
        for typ in TYPES:
            t = self.make(typ)
            self.fill(t, typ, ['a', 'b'])
            self.assert_read_trips(t, ['a'], read_scripts=False)
            self.assert_read_trips(t, ['a', 'b'], read_scripts=False)

    def test_script_and_pipelined_reads_agree(self):
        """The script read path and the pipelined one return identical results."""
        end = self.base + 29 * 3600
        for typ in TYPES:
            t = self.make(typ)
            self.fill(t, typ, ['a', 'b', 'c'])
            t.insert('lone', VALUES[typ][0], timestamp=end - 60)
            results = {}
            for read_scripts in (True, False):
                t.read_scripts = read_scripts
                got = results[read_scripts] = []
                for interval in INTERVALS:
                    for name in ('a', ['a', 'b', 'c'], 'lone', 'never', ['never', 'lone']):
                        for steps in (1, 5, 24):
                            got.append(t.series(name, interval, steps=steps, end=end))
                            got.append(t.series(name, interval, steps=steps, end=end,
                                                condensed=True))
                            got.append(t.series(name, interval, steps=steps, end=end,
                                                collapse=True))
                        got.append(t.get(name, interval, timestamp=end))
                        got.append(t.get(name, interval, timestamp=end - 60))
            with self.subTest(type=typ):
                self.assertEqual(results[True], results[False])
                self.assertTrue(any(v for r in results[True] for v in r.values()),
                                'nothing was read')
