"""Where kairos 0.5.0 and 0.10.1 differ or gave Python 2's answers, as kairos decides them.

Each behaviour holds the same on every backend: counts of numeric strings, the
default clock, ``None`` values, ``min``/``max`` over mixed rows and the retention
of backfilled data.
"""

import datetime
import time
from unittest import mock

import freezegun
import sqlalchemy

import kairos.timeseries
from kairos import InvalidQuery, InvalidValue

from tests.functional.common import at, plain
from tests.support import (MongoCase, MysqlCase, PostgresCase, RedisCase, RedisClusterCase,
                           SqliteCase)

MINUTES = {'minute': {'step': 60, 'steps': 5}, 'hour': {'step': 3600, 'resolution': 60}}
FOREVER = {'minute': {'step': 60}, 'hour': {'step': 3600, 'resolution': 60}}


def _number_or_text(value):
    text = str(value)
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


class ChoicesBehaviour:

    async_twin = True  # run on kairos.asyncio too (tests.support.AsyncCase)

    def make(self, type='count', **kwargs):
        kwargs.setdefault('intervals', {'minute': {'step': 60}})
        return self.timeseries(type=type, **kwargs)

    def test_count_takes_numeric_strings(self):
        """A count adds a str spelling a number ('5' adds 5, '2.5' adds 2.5), in insert and bulk_insert."""
        t = self.make()
        t.insert('c', '5', timestamp=at(0))
        self.assertEqual(plain(t.get('c', 'minute', timestamp=at(0))), {at(0): 5})
        t.insert('c', '2.5', timestamp=at(0))
        t.insert('c', '-1e1', timestamp=at(0))
        t.bulk_insert({at(0): {'c': ['1', 2, '.5']}})
        self.assertEqual(plain(t.get('c', 'minute', timestamp=at(0))), {at(0): 1.0})

    def test_count_refuses_other_strings(self):
        """A count refuses a str that spells no finite number, and writes nothing."""
        t = self.make()
        before = self.snapshot()
        for text in ('five', '', ' 5', '5 ', '1_000', '0x10', 'nan', 'inf', '1e400', '9' * 5000):
            with self.assertRaises(InvalidValue, msg=text[:20]):
                t.insert('c', text, timestamp=at(0))
            with self.assertRaises(InvalidValue, msg=text[:20]):
                t.bulk_insert({at(0): {'c': ['1', text]}})
        self.assertEqual(before, self.snapshot())

    def test_default_clock_follows_a_patched_time(self):
        """The default clock reads time.time() at each call: mock.patch('time.time') moves it."""
        t = self.make(intervals=FOREVER, clock=kairos.timeseries.now)
        with mock.patch('time.time', return_value=at(130)):
            t.insert('c', 2)
            self.assertEqual(plain(t.get('c', 'minute')), {at(120): 2})
            self.assertEqual(plain(t.series('c', 'minute', steps=2)), {at(60): 0, at(120): 2})
        self.assertEqual(plain(t.get('c', 'minute', timestamp=at(130))), {at(120): 2})

    def test_default_clock_follows_freezegun(self):
        """Under freezegun's freeze_time, inserts and reads without a timestamp use the frozen time."""
        t = self.make(intervals=FOREVER, clock=kairos.timeseries.now)
        frozen = datetime.datetime.fromtimestamp(at(190), datetime.timezone.utc)
        with freezegun.freeze_time(frozen):
            self.assertEqual(time.time(), at(190))
            t.insert('c', 3)
            self.assertEqual(plain(t.get('c', 'minute')), {at(180): 3})
            self.assertEqual(plain(t.get('c', 'hour', condensed=True)), {at(0): 3})
        self.assertEqual(plain(t.get('c', 'minute', timestamp=at(190))), {at(180): 3})

    def test_backfill_is_kept_from_its_write(self):
        """Values inserted 10 minutes late into a 5 x 60 s interval read back, kept for
        steps * step seconds from their write, as 0.5.0's Redis EXPIRE kept them."""
        now = time.time()
        t = self.make(intervals={'minute': {'step': 60, 'steps': 5}}, clock=lambda: now)
        late = now - 600
        t.insert('late', 2, timestamp=late)
        t.bulk_insert({late - 60: {'late': [3]}})
        bucket = int(late // 60) * 60
        self.assertEqual(plain(t.series('late', 'minute', start=late - 60, end=late)),
                         {bucket - 60: 3, bucket: 2})
        self.assertAlmostEqual(self.kept_for('late', now), 300, delta=2)

    def test_none_values_refused(self):
        """insert(name, None) raises InvalidValue on series, histogram, gauge and set, and writes nothing."""
        made = {kind: self.make(kind) for kind in ('series', 'histogram', 'gauge', 'set')}
        before = self.snapshot()
        for kind, t in made.items():
            for call in (lambda: t.insert('n', None, timestamp=at(0)),
                         lambda: t.bulk_insert({at(0): {'n': [1, None]}})):
                with self.assertRaises(InvalidValue, msg=kind) as caught:
                    call()
                self.assertIn('None', str(caught.exception))
        self.assertEqual(before, self.snapshot())

    def test_none_counts_one(self):
        """insert(name, None) on a count adds its default, 1, as insert(name) does."""
        t = self.make()
        t.insert('c', None, timestamp=at(0))
        t.insert('c', timestamp=at(0))
        self.assertEqual(plain(t.get('c', 'minute', timestamp=at(0))), {at(0): 2})

    def test_min_max_over_mixed_values(self):
        """min and max over a row of values Python cannot order raise InvalidQuery naming their types."""
        for kind in ('series', 'set'):
            t = self.make(kind, intervals=MINUTES, read_func=_number_or_text)
            t.insert(kind, 3, timestamp=at(0))
            t.insert(kind, 'x', timestamp=at(1))
            for transform in ('min', 'max', 'sum', 'mean'):
                for call in (lambda: t.get(kind, 'minute', timestamp=at(0), transform=transform),
                             lambda: t.series(kind, 'hour', end=at(0), transform=[transform],
                                              condensed=True)):
                    with self.assertRaises(InvalidQuery, msg=(kind, transform)) as caught:
                        call()
                    self.assertIn(repr(transform), str(caught.exception))
                    self.assertIn('int and str', str(caught.exception))
            self.assertEqual(plain(t.get(kind, 'minute', timestamp=at(0), transform='count')),
                             {at(0): 2})

    def test_min_max_of_one_type(self):
        """min and max of a row of one type (numbers, or strings) answer."""
        t = self.make('series', intervals=MINUTES, read_func=_number_or_text)
        for value in (3, 1.5, 7):
            t.insert('n', value, timestamp=at(0))
        t.insert('s', 'b', timestamp=at(0))
        t.insert('s', 'a', timestamp=at(0))
        self.assertEqual(plain(t.get('n', 'minute', timestamp=at(0), transform=['min', 'max'])),
                         {at(0): {'min': 1.5, 'max': 7}})
        self.assertEqual(plain(t.get('s', 'minute', timestamp=at(0), transform='min')),
                         {at(0): 'a'})


class RedisExpiry:

    def kept_for(self, name, now):
        """Seconds the longest-lived key of ``name`` has left (its EXPIRE)."""
        return max(self.client.ttl(key) for key in self.client.scan_iter('*%s*' % name))


class TestChoicesRedis(ChoicesBehaviour, RedisExpiry, RedisCase):
    pass


class TestChoicesRedisCluster(ChoicesBehaviour, RedisExpiry, RedisClusterCase):
    pass


class TestChoicesMongo(ChoicesBehaviour, MongoCase):

    def kept_for(self, name, now):
        """Seconds until the TTL index removes the last document of ``name``."""
        latest = max(doc['expire_from'] for doc in self.client['minute'].find({'name': name}))
        return (latest - datetime.datetime(1970, 1, 1)).total_seconds() + 300 - now


class SqlExpiry:

    def kept_for(self, name, now):
        """Seconds until the rows of ``name`` read as past retention (their w_time)."""
        with self.engine.connect() as connection:
            latest = connection.execute(sqlalchemy.text(
                'SELECT MAX(w_time) FROM count WHERE name = :name'), {'name': name}).scalar()
        return latest + 300 - now


class TestChoicesSqlite(ChoicesBehaviour, SqlExpiry, SqliteCase):
    pass


class TestChoicesPostgres(ChoicesBehaviour, SqlExpiry, PostgresCase):
    pass


class TestChoicesMysql(ChoicesBehaviour, SqlExpiry, MysqlCase):
    pass
