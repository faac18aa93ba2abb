"""Bad input: every refused argument raises a KairosException naming it, and writes nothing.

The table below lists (label, backends, type, call, needle). ``call`` gets a
factory ``make(**overrides)`` building a Timeseries of the case's type on the
case's client; ``needle`` is the text the message must contain as a whole
token (repr of the bad value, or the word that names it). One test method per
row and backend is generated, so each bad input reports on its own.
"""

import re

from kairos import KairosException, Timeseries

from tests.support import MongoCase, RedisCase, RedisClusterCase

T0 = 1800000000
INTERVALS = {'minute': {'step': 60, 'steps': 5}, 'hour': {'step': 3600, 'resolution': 60}}
NAN, INF = float('nan'), float('inf')
EVERY, REDIS, MONGO, SQL = ('redis', 'mongo', 'sql'), ('redis',), ('mongo',), ('sql',)


def interval(**config):
    """Intervals with one bad interval 'bad' added to the good ones."""
    return dict(INTERVALS, bad=config)


def ctor(**kwargs):
    return lambda make: make(**kwargs)


CASES = [
    # -- the constructor -----------------------------------------------------
    ('ctor unknown type', EVERY, 'series', ctor(type='bogus'), "'bogus'"),
    ('ctor type None', EVERY, 'series', ctor(type=None), 'None'),
    ('ctor step half a second', EVERY, 'series', ctor(intervals=interval(step=0.5)), '0.5'),
    ('ctor step zero', EVERY, 'series', ctor(intervals=interval(step=0)), '0'),
    ('ctor step negative', EVERY, 'series', ctor(intervals=interval(step=-60)), '-60'),
    ('ctor step nan', EVERY, 'series', ctor(intervals=interval(step=NAN)), 'nan'),
    ('ctor step True', EVERY, 'series', ctor(intervals=interval(step=True)), 'True'),
    ('ctor step unknown word', EVERY, 'series',
     ctor(intervals=interval(step='fortnightly')), "'fortnightly'"),
    ('ctor step missing', EVERY, 'series', ctor(intervals=interval(steps=3)), "'bad'"),
    ('ctor steps negative', EVERY, 'series', ctor(intervals=interval(step=60, steps=-2)), '-2'),
    ('ctor steps a str', EVERY, 'series', ctor(intervals=interval(step=60, steps='5')), "'5'"),
    ('ctor read_func not callable', EVERY, 'series', ctor(read_func=5), '5'),
    ('ctor step in an unknown unit', EVERY, 'series', ctor(intervals=interval(step='5M')),
     "'5M'"),
    ('ctor resolution that does not divide its step', EVERY, 'count',
     ctor(intervals=interval(step=60, resolution=7)), '7'),
    ('ctor interval for intervals', EVERY, 'count', ctor(interval=INTERVALS), "'intervals'"),
    ('ctor readfunc for read_func', EVERY, 'gauge', ctor(readfunc=float), "'read_func'"),
    ('ctor setp for step', EVERY, 'count', ctor(intervals=interval(setp=60)), "'step'"),
    ('ctor stpes for steps', EVERY, 'count', ctor(intervals=interval(step=60, stpes=5)),
     "'steps'"),
    ('ctor resolutoin for resolution', EVERY, 'count',
     ctor(intervals=interval(step=3600, resolutoin=60)), "'resolution'"),
    ('ctor hash_tga for hash_tag', REDIS, 'count', ctor(hash_tga=True), "'hash_tag'"),
    ('ctor string_lenght for string_length', SQL, 'count', ctor(string_lenght=64),
     "'string_length'"),
    ('ctor intervals a list', EVERY, 'series', ctor(intervals=[60]), '[60]'),
    ('ctor prefix not a str', REDIS, 'series', ctor(prefix=5), '5'),
    ('ctor interval name with $', MONGO, 'count', ctor(intervals={'$x': {'step': 60}}), "'$x'"),
    ('ctor interval name with NUL', MONGO, 'count', ctor(intervals={'a\0': {'step': 60}}),
     'NUL'),
    ('ctor interval name ending in .', MONGO, 'count', ctor(intervals={'a.': {'step': 60}}),
     "'a.'"),
    ('ctor unsupported client', EVERY, 'series',
     lambda make: Timeseries('localhost:6379', intervals=INTERVALS), "'localhost:6379'"),
    # -- insert --------------------------------------------------------------
    ('insert name None', EVERY, 'series', lambda make: make().insert(None, 1, T0), 'None'),
    ('insert name bytes', EVERY, 'series', lambda make: make().insert(b'a', 1, T0), "b'a'"),
    ('insert name operator dict', EVERY, 'series',
     lambda make: make().insert({'$ne': None}, 1, T0), "{'$ne': None}"),
    ('insert name list', EVERY, 'series', lambda make: make().insert(['a'], 1, T0), "['a']"),
    ('insert name list with many values', EVERY, 'series',
     lambda make: make().insert(['a'], [1, 2], T0), "['a']"),
    ('insert name int', EVERY, 'count', lambda make: make().insert(5, 1, T0), '5'),
    ('insert name empty', EVERY, 'series', lambda make: make().insert('', 1, T0), 'empty'),
    ('insert name unencodable', EVERY, 'series',
     lambda make: make().insert('a\ud800', 1, T0), repr('a\ud800')),
    ('insert series value unencodable', EVERY, 'series',
     lambda make: make().insert('a', 'x\ud800', T0), repr('x\ud800')),
    ('insert histogram value unencodable', EVERY, 'histogram',
     lambda make: make().insert('a', 'x\ud800', T0), repr('x\ud800')),
    ('insert count nan', EVERY, 'count', lambda make: make().insert('a', NAN, T0), 'nan'),
    ('insert count inf', EVERY, 'count', lambda make: make().insert('a', INF, T0), 'inf'),
    ('insert count -inf', EVERY, 'count', lambda make: make().insert('a', -INF, T0), '-inf'),
    ('insert count bool', EVERY, 'count', lambda make: make().insert('a', True, T0), 'True'),
    ('insert count str', EVERY, 'count', lambda make: make().insert('a', 'three', T0), "'three'"),
    ('insert count str nan', EVERY, 'count', lambda make: make().insert('a', 'nan', T0), "'nan'"),
    ('insert count str padded', EVERY, 'count', lambda make: make().insert('a', ' 5', T0), "' 5'"),
    ('insert count str hex', EVERY, 'count', lambda make: make().insert('a', '0x10', T0), "'0x10'"),
    ('insert count str past float', EVERY, 'count',
     lambda make: make().insert('a', '1e400', T0), "'1e400'"),
    ('insert count str past int64', EVERY, 'count',
     lambda make: make().insert('a', '9' * 19, T0), '64-bit'),
    ('insert series None', EVERY, 'series', lambda make: make().insert('a', None, T0), 'None'),
    ('insert gauge None', EVERY, 'gauge', lambda make: make().insert('a', None, T0), 'None'),
    ('insert gauge no values', EVERY, 'gauge', lambda make: make().insert('a', [], T0), '[]'),
    ('insert set None', EVERY, 'set', lambda make: make().insert('a', None, T0), 'None'),
    ('insert series dict on Redis', REDIS, 'series',
     lambda make: make().insert('a', {'x': 1}, T0), "{'x': 1}"),
    ('insert series nested list on Redis', REDIS, 'series',
     lambda make: make().insert('a', [[1, 2]], T0), '[1, 2]'),
    ('insert set dict', EVERY, 'set',
     lambda make: make().insert('a', {'x': 1}, T0), "{'x': 1}"),
    ('insert histogram dict', EVERY, 'histogram',
     lambda make: make().insert('a', {'x': 1}, T0), "{'x': 1}"),
    ('insert histogram None', EVERY, 'histogram', lambda make: make().insert('a', None, T0),
     'None'),
    ('insert histogram reserved character on Mongo', MONGO, 'histogram',
     lambda make: make().insert('a', 'x\0y', T0), repr('x\0y')),
    ('insert write_func returns None', EVERY, 'series',
     lambda make: make(write_func=lambda v: None).insert('a', 1, T0), 'None'),
    ('insert timestamp word', EVERY, 'series', lambda make: make().insert('a', 1, 'now'), "'now'"),
    ('insert timestamp list', EVERY, 'series', lambda make: make().insert('a', 1, [1]), '[1]'),
    ('insert timestamp nan', EVERY, 'series', lambda make: make().insert('a', 1, NAN), 'nan'),
    ('insert timestamp inf', EVERY, 'series', lambda make: make().insert('a', 1, INF), 'inf'),
    ('insert timestamp bool', EVERY, 'count', lambda make: make().insert('a', 1, True), 'True'),
    ('insert intervals a str', EVERY, 'series',
     lambda make: make().insert('a', 1, T0, intervals='2'), "'2'"),
    # -- bulk_insert ---------------------------------------------------------
    ('bulk not a dict', EVERY, 'series', lambda make: make().bulk_insert([(T0, 1)]),
     '[(%d, 1)]' % T0),
    ('bulk timestamp word', EVERY, 'series',
     lambda make: make().bulk_insert({'now': {'a': [1]}}), "'now'"),
    ('bulk timestamp nan', EVERY, 'series', lambda make: make().bulk_insert({NAN: {'a': [1]}}),
     'nan'),
    ('bulk names not a dict', EVERY, 'series', lambda make: make().bulk_insert({T0: [1, 2]}),
     '[1, 2]'),
    ('bulk name None after a good one', EVERY, 'series',
     lambda make: make().bulk_insert({T0: {'a': [1], None: [2]}}), 'None'),
    ('bulk name bytes', EVERY, 'series', lambda make: make().bulk_insert({T0: {b'a': [1]}}),
     "b'a'"),
    ('bulk name empty', EVERY, 'series', lambda make: make().bulk_insert({T0: {'': [1]}}),
     'empty'),
    ('bulk count inf in a later timestamp', EVERY, 'count',
     lambda make: make().bulk_insert({T0: {'a': [1]}, T0 + 60: {'a': [2, INF]}}), 'inf'),
    ('bulk histogram dict value', EVERY, 'histogram',
     lambda make: make().bulk_insert({T0: {'a': [1, {'x': 1}]}}), "{'x': 1}"),
    # -- get -----------------------------------------------------------------
    ('get name None', EVERY, 'series', lambda make: make().get(None, 'minute', T0), 'None'),
    ('get name operator dict', EVERY, 'series',
     lambda make: make().get({'$ne': None}, 'minute', T0), "{'$ne': None}"),
    ('get names with bytes', EVERY, 'series',
     lambda make: make().get(['a', b'b'], 'minute', T0), "b'b'"),
    ('get names empty list', EVERY, 'series', lambda make: make().get([], 'minute', T0),
     'empty'),
    ('get name empty', EVERY, 'series', lambda make: make().get('', 'minute', T0), 'empty'),
    ('get unknown interval', EVERY, 'series', lambda make: make().get('a', 'fortnight', T0),
     "'fortnight'"),
    ('get interval None', EVERY, 'series', lambda make: make().get('a', None, T0), 'None'),
    ('get interval list', EVERY, 'series', lambda make: make().get('a', ['minute'], T0),
     "['minute']"),
    ('get timestamp word', EVERY, 'series', lambda make: make().get('a', 'minute', 'now'),
     "'now'"),
    ('get timestamp -inf', EVERY, 'series', lambda make: make().get('a', 'minute', -INF), '-inf'),
    ('get unknown transform', EVERY, 'series',
     lambda make: make().get('a', 'minute', T0, transform='mode'), "'mode'"),
    ('get unknown transform in a list', EVERY, 'histogram',
     lambda make: make().get('a', 'minute', T0, transform=['mean', 'p0']), "'p0'"),
    ('get unknown transform in a dict', EVERY, 'count',
     lambda make: make().get('a', 'minute', T0, transform={'x': 'mode'}), "'mode'"),
    # -- series --------------------------------------------------------------
    ('series steps zero', EVERY, 'series',
     lambda make: make().series('a', 'minute', steps=0, end=T0), '0'),
    ('series steps negative', EVERY, 'series',
     lambda make: make().series('a', 'minute', steps=-3, end=T0), '-3'),
    ('series steps float', EVERY, 'series',
     lambda make: make().series('a', 'minute', steps=1.5, end=T0), '1.5'),
    ('series steps str', EVERY, 'series',
     lambda make: make().series('a', 'minute', steps='3', end=T0), "'3'"),
    ('series start after end', EVERY, 'series',
     lambda make: make().series('a', 'minute', start=T0 + 600, end=T0), str(T0 + 600)),
    ('series start word', EVERY, 'series',
     lambda make: make().series('a', 'minute', start='yesterday'), "'yesterday'"),
    ('series end nan', EVERY, 'series', lambda make: make().series('a', 'hour', end=NAN), 'nan'),
    ('series end inf', EVERY, 'gauge', lambda make: make().series('a', 'hour', end=INF), 'inf'),
    ('series unknown interval', EVERY, 'series', lambda make: make().series('a', 'day', end=T0),
     "'day'"),
    ('series name None', EVERY, 'series', lambda make: make().series(None, 'minute', end=T0),
     'None'),
    ('series unknown transform', EVERY, 'set',
     lambda make: make().series('a', 'minute', end=T0, transform='mode'), "'mode'"),
    # -- delete --------------------------------------------------------------
    ('delete name None', EVERY, 'series', lambda make: make().delete(None), 'None'),
    ('delete name empty', EVERY, 'series', lambda make: make().delete(''), 'empty'),
    ('delete name list', EVERY, 'series', lambda make: make().delete(['a']), "['a']"),
    ('delete name operator dict', EVERY, 'series',
     lambda make: make().delete({'$ne': None}), "{'$ne': None}"),
    ('delete name bytes', EVERY, 'count', lambda make: make().delete(b'a'), "b'a'"),
    ('delete name int', EVERY, 'histogram', lambda make: make().delete(5), '5'),
    # -- SQL: what a column cannot hold, and the SQL keywords ----------------
    ('insert series dict on SQL', SQL, 'series', lambda make: make().insert('a', {'x': 1}, T0),
     "{'x': 1}"),
    ('insert text longer than string_length', SQL, 'series',
     lambda make: make(string_length=5, table_name='series_short').insert('a', 'abcdef', T0),
     "'abcdef'"),
    ('insert NUL in a text value', SQL, 'gauge', lambda make: make().insert('a', 'x\0y', T0),
     repr('x\0y')),
    ('insert bool into a text column', SQL, 'set', lambda make: make().insert('a', True, T0),
     'True'),
    ('insert str into a float column', SQL, 'series',
     lambda make: make(value_type=float, table_name='series_float').insert('a', 'x', T0),
     "'x'"),
    ('insert nan into a float column', SQL, 'histogram',
     lambda make: make(value_type='float', table_name='histogram_float').insert('a', NAN, T0),
     'nan'),
    ('insert float into an int column', SQL, 'gauge',
     lambda make: make(value_type=int, table_name='gauge_int').insert('a', 1.5, T0), '1.5'),
    ('insert int beyond an int column', SQL, 'series',
     lambda make: make(value_type='int', table_name='series_int').insert('a', 2 ** 40, T0),
     str(2 ** 40)),
    ('bulk one bad value after good ones', SQL, 'histogram',
     lambda make: make(value_type=int, table_name='histogram_int').bulk_insert(
         {T0: {'a': [1, 2]}, T0 + 60: {'b': [3, 'x']}}), "'x'"),
    ('insert with a pipeline that is no Connection', SQL, 'count',
     lambda make: make().insert('a', 1, T0, pipeline=object()), 'Connection'),
    ('ctor unknown value_type', SQL, 'series', ctor(value_type='varchar'), "'varchar'"),
    ('ctor string_length zero', SQL, 'series', ctor(string_length=0), '0'),
    ('ctor text_length a str', SQL, 'series', ctor(text_length='1k'), "'1k'"),
    ('ctor table_name empty', SQL, 'series', ctor(table_name=''), "''"),
]

# a good value per type, written before each bad call so "nothing written" means something
GOOD = {'series': 1, 'histogram': 1, 'count': 1, 'gauge': 1, 'set': 1}


def names_value(message: str, needle: str) -> bool:
    """True if ``needle`` appears in ``message`` as a whole token, not inside a longer one."""
    return re.search(r'(?<![\w.])%s(?![\w.])' % re.escape(needle), message) is not None


class BadInputBehaviour:
    """One generated test per row of CASES; see the module docstring."""

    async_twin = True  # run on kairos.asyncio too (tests.support.AsyncCase)

    def check_refused(self, type_, call, needle):
        existing = self.timeseries(type=type_, intervals=INTERVALS)
        for name in ('a', 'b', 'other'):
            existing.insert(name, GOOD[type_], timestamp=T0)
        before = self.snapshot()

        def make(**overrides):
            kwargs = dict(type=type_, intervals=INTERVALS)
            kwargs.update(overrides)
            return self.timeseries(**kwargs)

        with self.assertRaises(KairosException) as caught:
            call(make)
        message = str(caught.exception)
        self.assertTrue(names_value(message, needle),
                        'message %r does not name %s' % (message, needle))
        self.assertEqual(before, self.snapshot())


def _slug(label: str) -> str:
    return re.sub(r'\W+', '_', label).strip('_').lower()


def _case_method(type_, call, needle, label):
    def test(self):
        self.check_refused(type_, call, needle)
    test.__doc__ = '%s raises a KairosException naming %s and writes nothing.' % (label, needle)
    return test


for _index, (_label, _backends, _type, _call, _needle) in enumerate(CASES):
    _method = _case_method(_type, _call, _needle, _label)
    _method.backends = _backends
    setattr(BadInputBehaviour, 'test_%03d_%s' % (_index, _slug(_label)), _method)
del _method  # a module-level function named test would be collected on its own


def _only(backend):
    """Class attributes that hide the generated tests meant for the other backend."""
    return {name: None for name, member in vars(BadInputBehaviour).items()
            if name.startswith('test_') and backend not in member.backends}


class TestBadInputRedis(BadInputBehaviour, RedisCase):
    locals().update(_only('redis'))


class TestBadInputRedisCluster(TestBadInputRedis, RedisClusterCase):
    """The same on a Redis Cluster."""


class TestBadInputMongo(BadInputBehaviour, MongoCase):
    locals().update(_only('mongo'))


BAD_INPUTS = sum(len(row[1]) for row in CASES)
