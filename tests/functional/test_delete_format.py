"""delete, delete_all, list and properties recognise only what a configuration writes.

On Redis, keys that look like a configuration's but are not ones it could have
written (a bucket of another interval's format, a date that does not exist,
leading zeros, '-0', another prefix, a name holding ':') are put next to real
keys; deletes must remove exactly the real ones. On Mongo, look-alike documents
(bucket fields of another format or type, a resolution where the interval has
none) sit next to real ones the same way. The oracle below states the bucket
formats on its own, from the calendar, without kairos' code. On SQL, rows of a
calendar bucket that is no date, week, month or year, or with a resolution
bucket where the interval has none (or none where it has one), stay too.
"""

import os
import re
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings, strategies as st

from kairos import Timeseries

from tests.support import (DroppedTables, MongoCase, MysqlCase, PostgresCase, RedisCase,
                           RedisClusterCase, SqliteCase)

EXAMPLES = int(os.environ.get('KAIROS_FUZZ_EXAMPLES', 50))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))

RELATIVE = {'minute': {'step': 60}, 'hour': {'step': 3600, 'resolution': 60}}
CALENDAR = {'daily': {'step': 'daily', 'resolution': 3600}, 'weekly': {'step': 'weekly'},
            'monthly': {'step': 'monthly', 'resolution': 'daily'},
            'yearly': {'step': 'yearly', 'resolution': 'weekly'}}
CONFIGS = {'relative': RELATIVE, 'calendar': CALENDAR}
# the digits after a calendar bucket's year
CALENDAR_TAIL = {'daily': 4, 'weekly': 2, 'monthly': 2, 'yearly': 0}

# timestamps from the year 1000 to the year 9999
TIMESTAMPS = st.integers(-30000000000, 253000000000)
NAMES = ['a', 'b:c']
LOOKALIKE_BUCKETS = ['2023', '202311', '20231114', '-20231114', '0', '-0', '00', '007', '-007',
                     '202300', '202301', '202353', '202354', '201753', '20230229', '20240229',
                     '202313', '202312', '99991231', '100000101', '10000101', '9991231', '',
                     '1e3', '+5', ' 5', '5 ', '0x1f', '\u0665']
SEGMENTS = st.one_of(st.sampled_from(LOOKALIKE_BUCKETS),
                     st.from_regex(r'-?0*[0-9]{0,9}', fullmatch=True),
                     st.sampled_from(sorted(RELATIVE) + sorted(CALENDAR) + ['60', 'min', 'x']))


def relative_bucket(text):
    """Whether ``text`` is an integer as str() writes it."""
    return re.fullmatch(r'-?[0-9]+', text, re.ASCII) is not None and str(int(text)) == text


def calendar_bucket(step, text):
    """Whether ``text`` names a day, week ('%U'), month or year of the calendar."""
    if re.fullmatch(r'[1-9][0-9]*', text, re.ASCII) is None:
        return False
    cut = len(text) - CALENDAR_TAIL[step]
    year, rest = (int(text[:cut]) if cut > 0 else 0), text[cut:]
    if not 1 <= year <= 9999:
        return False
    try:
        if step == 'daily':
            date(year, int(rest[:2]), int(rest[2:]))
        elif step == 'monthly':
            date(year, int(rest), 1)
    except ValueError:
        return False
    if step != 'weekly':
        return True
    first, last = date(year, 1, 1), date(year, 12, 31)
    weeks = {(first + timedelta(days)).strftime('%U') for days in range((last - first).days + 1)}
    return rest in weeks


def bucket_of(unit, text):
    return relative_bucket(text) if isinstance(unit, int) else calendar_bucket(unit, text)


def tail_written(intervals, tail):
    """Whether ``tail`` (after a name's head) is interval:i_bucket[:r_bucket] of ``intervals``."""
    interval, *buckets = tail.split(':')
    config = intervals.get(interval)
    if config is None or not 1 <= len(buckets) <= 2:
        return False
    units = [config['step'], config.get('resolution', config['step'])]
    if len(buckets) == 2 and units[0] == units[1]:
        return False
    return all(bucket_of(unit, text) for unit, text in zip(units, buckets))


def head(prefix, hash_tag, name):
    return prefix + ('{%s}:' % name if hash_tag else name + ':')


def owner(intervals, prefix, hash_tag, key, resolution=True):
    """The name a key of the configuration belongs to, or None. Interval names and buckets
    hold no ':', so the tail is the last two or three segments."""
    if not key.startswith(prefix):
        return None
    for count in (2, 3) if resolution else (2,):
        parts = key[len(prefix):].rsplit(':', count)
        if len(parts) == count + 1 and tail_written(intervals, ':'.join(parts[1:])):
            name = parts[0]
            if hash_tag:
                if not (len(name) > 2 and name[0] == '{' and name[-1] == '}'):
                    continue
                name = name[1:-1]
            if name:
                return name
    return None


@st.composite
def stores(draw):
    """A configuration, the timestamps written to each name, and look-alike keys."""
    kind = draw(st.sampled_from(sorted(CONFIGS)), label='intervals')
    prefix = draw(st.sampled_from(['', 'app:', 'k*[?]:']), label='prefix')
    hash_tag = draw(st.booleans(), label='hash_tag')
    writes = draw(st.lists(st.tuples(st.sampled_from(NAMES), TIMESTAMPS), min_size=1,
                           max_size=4), label='writes')
    own = [head(prefix, hash_tag, name) for name in NAMES]
    heads = own + [head(p, h, n) for p in ('', 'app:', 'k*[?]:', 'app:app:')
                   for h in (False, True) for n in NAMES + ['a:x', 'A', 'a ']]
    # mostly a head and an interval of the configuration, then bucket-like segments
    lookalikes = draw(st.lists(st.tuples(
        st.one_of(st.sampled_from(own), st.sampled_from(heads)),
        st.lists(st.one_of(st.sampled_from(sorted(CONFIGS[kind])), SEGMENTS),
                 min_size=1, max_size=1),
        st.lists(SEGMENTS, min_size=0, max_size=3)), max_size=12), label='lookalikes')
    keys = {h + ':'.join(first + rest) for h, first, rest in lookalikes}
    return CONFIGS[kind], prefix, hash_tag, writes, sorted(keys)


class DeleteFormatRedis:
    """Redis deletes, list and properties take only keys in the interval's bucket format."""

    def keys(self):
        return {key.decode('utf-8') for key in self.snapshot()}

    def populate(self, store):
        """Write the store's data, then its look-alike keys; return the Timeseries and the
        keys the data took."""
        intervals, prefix, hash_tag, writes, lookalikes = store
        self.clear()
        t = self.timeseries(type='count', intervals=intervals, prefix=prefix or None,
                            hash_tag=hash_tag)
        for name, timestamp in writes:
            t.insert(name, 1, timestamp=timestamp)
        written = self.keys()
        # the oracle reads the data's keys as kairos wrote them
        self.assertEqual({name for name, _ in writes},
                         {owner(intervals, prefix, hash_tag, key) for key in written})
        for key in lookalikes:
            self.client.set(key, 'look-alike', nx=True)
        return t, written

    @SETTINGS
    @given(store=stores())
    def test_delete_removes_exactly_the_names_keys(self, store):
        """delete(name) removes every key of the name and no key of another format."""
        intervals, prefix, hash_tag, _, _ = store
        t, written = self.populate(store)
        before = self.keys()
        gone = {key for key in before if owner(intervals, prefix, hash_tag, key) == 'a'}
        self.assertTrue({key for key in written if key.startswith(head(prefix, hash_tag, 'a'))}
                        <= gone)
        self.assertEqual(len(gone), t.delete('a'))
        self.assertEqual(before - gone, self.keys())

    @SETTINGS
    @given(store=stores())
    def test_delete_all_removes_exactly_the_configurations_keys(self, store):
        """delete_all() removes every key of the configuration and no key of another format."""
        intervals, prefix, hash_tag, _, _ = store
        t, _ = self.populate(store)
        before = self.keys()
        gone = {key for key in before if owner(intervals, prefix, hash_tag, key)}
        self.assertEqual(len(gone), t.delete_all())
        self.assertEqual(before - gone, self.keys())

    @SETTINGS
    @given(store=stores())
    def test_list_names_only_the_configurations_keys(self, store):
        """list() names the names of the configuration's keys, none of look-alike keys."""
        intervals, prefix, hash_tag, writes, _ = store
        t, _ = self.populate(store)
        names = {owner(intervals, prefix, hash_tag, key, False) for key in self.keys()}
        self.assertTrue({name for name, _ in writes} <= names)
        self.assertEqual(names - {None}, set(t.list()))

    def test_look_alike_buckets_are_kept(self):
        """delete('a') keeps app:a:daily:2023 and app:a:daily:-20231114 and removes the data."""
        t = self.timeseries(type='count', intervals={'daily': {'step': 'daily'}}, prefix='app')
        t.insert('a', 1, timestamp=1700000000)
        for key in ('app:a:daily:2023', 'app:a:daily:-20231114', 'app:a:daily:20231131',
                    'app:a:daily:020231114', 'app:a:daily:20231114:0'):
            self.client.set(key, 'look-alike')
        self.assertEqual({'a'}, set(t.list()))
        self.assertEqual(1, t.delete('a'))
        self.assertEqual({'app:a:daily:2023', 'app:a:daily:-20231114', 'app:a:daily:20231131',
                          'app:a:daily:020231114', 'app:a:daily:20231114:0'}, self.keys())
        self.assertEqual(set(), set(t.list()))
        self.assertEqual(0, t.delete_all())

    def test_properties_read_only_buckets_of_the_format(self):
        """properties() spans the buckets written, not look-alike keys around them."""
        t = self.timeseries(type='count', intervals={'daily': {'step': 'daily'},
                                                     'minute': {'step': 60}})
        t.insert('a', 1, timestamp=1700000000)
        for key in ('a:daily:2023', 'a:daily:99991232', 'a:minute:-0', 'a:minute:0099'):
            self.client.set(key, 'look-alike')
        self.assertEqual({'daily': {'first': 1699920000, 'last': 1699920000},
                          'minute': {'first': 1699999980, 'last': 1699999980}},
                         t.properties('a'))


def field_written(unit, value):
    """Whether a Mongo bucket field holds a bucket of ``unit``: an int (not a bool) when
    relative; a calendar bucket as a str, or as an int (as kairos 0.10.1 wrote them)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return False
    if isinstance(unit, int):
        return isinstance(value, int)
    return calendar_bucket(unit, str(value))


def document_written(intervals, interval, document):
    config = intervals[interval]
    if not field_written(config['step'], document.get('interval')):
        return False
    if 'resolution' not in config or config['resolution'] == config['step']:
        return 'resolution' not in document
    return field_written(config['resolution'], document.get('resolution'))


FIELDS = st.one_of(st.integers(-10 ** 9, 10 ** 9), st.sampled_from(LOOKALIKE_BUCKETS),
                   st.from_regex(r'-?0*[0-9]{0,9}', fullmatch=True),
                   st.sampled_from([None, True, 1.5, 20231114.0, 20231114, 202311, 2023]))


@st.composite
def documents(draw):
    """A configuration, the timestamps written to each name, and look-alike documents
    (interval, name, bucket fields) in its intervals' collections."""
    kind = draw(st.sampled_from(sorted(CONFIGS)), label='intervals')
    writes = draw(st.lists(st.tuples(st.sampled_from(NAMES), TIMESTAMPS), min_size=1,
                           max_size=4), label='writes')
    lookalikes = draw(st.lists(st.tuples(
        st.sampled_from(sorted(CONFIGS[kind])), st.sampled_from(NAMES + ['A', 'a ']),
        FIELDS, st.one_of(st.none(), FIELDS)), max_size=12), label='lookalikes')
    return CONFIGS[kind], writes, lookalikes


class DeleteFormatMongo:
    """Mongo deletes take only documents whose bucket fields are in the interval's format."""

    def contents(self):
        return {(name, repr(sorted((k, repr(v)) for k, v in document.items())))
                for name in self.client.list_collection_names()
                for document in self.client[name].find()}

    def populate(self, store):
        intervals, writes, lookalikes = store
        self.clear()
        t = self.timeseries(type='count', intervals=intervals)
        for name, timestamp in writes:
            t.insert(name, 1, timestamp=timestamp)
        for interval, name, bucket, resolution in lookalikes:
            document = {'name': name, 'interval': bucket, 'value': -1}
            if resolution is not None:
                document['resolution'] = resolution
            self.client[interval].insert_one(document)
        return t

    def doomed(self, intervals, name=None):
        return {(interval, repr(sorted((k, repr(v)) for k, v in document.items())))
                for interval in intervals for document in self.client[interval].find()
                if (name is None or document['name'] == name) and
                document_written(intervals, interval, document)}

    @SETTINGS
    @given(store=documents())
    def test_delete_removes_exactly_the_names_documents(self, store):
        """delete(name) removes the name's documents of the format, and no other document."""
        t = self.populate(store)
        before, gone = self.contents(), self.doomed(store[0], 'a')
        self.assertEqual(len(gone), t.delete('a'))
        self.assertEqual(before - gone, self.contents())

    @SETTINGS
    @given(store=documents())
    def test_delete_all_removes_exactly_the_configurations_documents(self, store):
        """delete_all() removes every document of the format, and no other document."""
        t = self.populate(store)
        before, gone = self.contents(), self.doomed(store[0])
        self.assertEqual(len(gone), t.delete_all())
        self.assertEqual(before - gone, self.contents())

    def test_look_alike_buckets_are_kept(self):
        """delete('a') keeps daily documents of interval '2023', '-20231114' and 19675."""
        t = self.timeseries(type='count', intervals={'daily': {'step': 'daily'}})
        t.insert('a', 1, timestamp=1700000000)
        for bucket in ('2023', '-20231114', 19675, '20231131', 2023.5):
            self.client['daily'].insert_one({'name': 'a', 'interval': bucket, 'value': 1})
        self.client['daily'].insert_one({'name': 'a', 'interval': 20231115, 'value': 1})
        self.assertEqual(2, t.delete('a'))   # the data, and 0.10.1's int form of a date
        self.assertEqual(['-20231114', '2023', '20231131', 19675, 2023.5], sorted(
            (d['interval'] for d in self.client['daily'].find()), key=repr))


class TestDeleteFormatMongo(DeleteFormatMongo, MongoCase):
    pass


class DeleteFormatSql:
    """SQL deletes take only rows whose buckets are in their interval's format."""

    def rows(self, t):
        import sqlalchemy
        with self.engine.connect() as connection:
            return sorted(tuple(row) for row in connection.execute(sqlalchemy.select(
                t._table.c.name, t._table.c.interval, t._table.c.i_time, t._table.c.r_time)))

    def populate(self):
        """A count of 'a' and 'b' in a daily interval with an hourly resolution and in a
        coarse monthly one, then look-alike rows of 'a' next to them."""
        t = self.timeseries(type='count', intervals={
            'daily': {'step': 'daily', 'resolution': 3600}, 'monthly': {'step': 'monthly'}})
        t.insert('a', 1, timestamp=1700000000)
        t.insert('b', 1, timestamp=1700000000)
        lookalikes = [('daily', 2023, 472222), ('daily', 20231131, 472222),
                      ('daily', -20231114, 472222), ('daily', 20231114, None),
                      ('monthly', 202300, None), ('monthly', 202311, 472222),
                      ('monthly', 20231114, None)]
        with self.engine.begin() as connection:
            connection.execute(t._table.insert(), [
                dict(name='a', interval=interval, i_time=i_time, r_time=r_time, count=5,
                     w_time=1700000000) for interval, i_time, r_time in lookalikes])
        return t, [('a',) + row for row in lookalikes]

    def test_delete_keeps_look_alike_rows(self):
        """delete('a') removes its two rows and keeps every row of another format."""
        t, lookalikes = self.populate()
        self.assertEqual(2, t.delete('a'))
        self.assertEqual(sorted(lookalikes + [('b', 'daily', 20231114, 472222),
                                              ('b', 'monthly', 202311, None)]), self.rows(t))

    def test_delete_all_keeps_look_alike_rows(self):
        """delete_all() removes every row of the format and keeps the others."""
        t, lookalikes = self.populate()
        self.assertEqual(4, t.delete_all())
        self.assertEqual(sorted(lookalikes), self.rows(t))


class TestDeleteFormatSqlite(DeleteFormatSql, SqliteCase):
    pass


class TestDeleteFormatPostgres(DeleteFormatSql, PostgresCase):
    pass


class TestDeleteFormatMysql(DeleteFormatSql, MysqlCase):
    pass


class TestDeleteFormatRedis(DeleteFormatRedis, RedisCase):
    pass


class TestDeleteFormatRedisCluster(DeleteFormatRedis, RedisClusterCase):
    """The same on a Redis Cluster."""


class LookAlikeNames:
    """delete matches a name exactly, in the configured intervals only, on every backend."""

    def test_delete_keeps_look_alike_names_and_other_intervals(self):
        """delete('a') keeps the data of 'a:daily', 'A', 'a ', 'a.*' and of other intervals."""
        kwargs = {'type': 'count', 'prefix': 'app'}
        others = self.timeseries(intervals={'hourly': {'step': 3600}}, **kwargs)
        t = self.timeseries(intervals={'daily': {'step': 'daily', 'resolution': 3600}}, **kwargs)
        for name in ('a:daily', 'A', 'a ', ' a', 'a.*', 'a:daily:2023'):
            t.insert(name, 1, timestamp=1700000000)
        others.insert('a', 1, timestamp=1700000000)
        before = self.snapshot()
        t.insert('a', 1, timestamp=1700000000)
        self.assertGreater(t.delete('a'), 0)
        self.assertEqual(before, self.snapshot())


class TestLookAlikeNamesRedis(LookAlikeNames, RedisCase):
    pass


class TestLookAlikeNamesMongo(LookAlikeNames, MongoCase):
    pass


class TestLookAlikeNamesSqlite(LookAlikeNames, SqliteCase):
    pass


class TestLookAlikeNamesPostgres(LookAlikeNames, PostgresCase):
    pass


class TestLookAlikeNamesMysql(LookAlikeNames, MysqlCase):
    pass


class LegacyTableNames(DroppedTables):
    """On a 0.10.1 table, whose collation may compare 'a' = 'A' = 'a ', delete is exact."""

    def test_delete_keeps_names_equal_by_collation(self):
        """delete('hits') on a 0.10.1 table keeps the rows of 'HITS' and 'hits '."""
        import sqlalchemy
        from tests.functional.test_sql import legacy_table
        table = legacy_table('count', sqlalchemy.MetaData())
        table.create(self.engine)
        with self.engine.begin() as connection:
            connection.execute(table.insert(), [
                dict(name=name, interval='hour', i_time=500000, r_time=30000000 + n, count=n)
                for n, name in enumerate(('hits', 'HITS', 'hits '))])
        t = Timeseries(self.engine, type='count',
                       intervals={'hour': {'step': 3600, 'resolution': 60}})
        self.assertEqual(1, t.delete('hits'))
        with self.engine.connect() as connection:
            names = sorted(row[0] for row in connection.execute(sqlalchemy.select(table.c.name)))
        self.assertEqual(['HITS', 'hits '], names)


class TestLegacyTableNamesSqlite(LegacyTableNames, SqliteCase):
    pass


class TestLegacyTableNamesPostgres(LegacyTableNames, PostgresCase):
    pass


class TestLegacyTableNamesMysql(LegacyTableNames, MysqlCase):
    pass
