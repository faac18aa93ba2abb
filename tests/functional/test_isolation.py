"""get, series and delete reach only the named statistic, whatever its name holds.

Names are drawn from an alphabet full of glob, key-separator, brace, regex
and Mongo operator characters, unicode and spaces. Several names get data;
then one of them (written last) is read and deleted. The database after the
delete must equal the database before that name was written: no other
name's data read, touched or removed.
"""

import os
from collections import OrderedDict

from hypothesis import HealthCheck, given, settings, strategies as st

from tests.support import MongoCase, RedisCase, RedisClusterCase

T0 = 1800000000
HOUR = 3600
INTERVALS = {'minute': {'step': 60}, 'hour': {'step': 3600, 'resolution': 60}}
ALPHABET = list(':*?[]\\{}') + [' ', '^', '$', '.', '|', 'a', 'b', '\u00e9', '\u4e2d',
                                '\U0001f600', '\u00a0', '\t', '\u0000']

name_lists = st.lists(st.text(alphabet=ALPHABET, min_size=1, max_size=6),
                      min_size=2, max_size=5, unique=True)
EXAMPLES = int(os.environ.get('KAIROS_FUZZ_EXAMPLES', 50))


def values_of(index, hour):
    """Values only statistic number ``index`` holds, in the hour starting T0 + hour * HOUR."""
    return ['n%d-h%d-%d' % (index, hour, j) for j in range(2)]


class IsolationBehaviour:
    """Reads and deletes of one name never reach another name's data."""

    async_twin = True  # run on kairos.asyncio too (tests.support.AsyncCase)

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(names=name_lists, prefix=st.sampled_from([None, 'kairos', 'k*[?]']),
           data=st.data())
    def test_reads_and_deletes_reach_only_the_named_statistic(self, names, prefix, data):
        """get, joined get, series and delete of one name see and remove only its own data."""
        self.clear()
        target = data.draw(st.integers(0, len(names) - 1), label='target')
        order = [i for i in range(len(names)) if i != target] + [target]
        kwargs = {} if self.backend == 'mongo' else {'prefix': prefix}
        t = self.timeseries(type='series', intervals=INTERVALS, **kwargs)
        before = None
        for index in order:
            if index == target:
                before = self.snapshot()
            for hour in (0, 1):
                t.insert(names[index], values_of(index, hour), timestamp=T0 + hour * HOUR + 5)

        name = names[target]
        for index, other in enumerate(names):
            self.assertEqual(OrderedDict([(T0, values_of(index, 0))]),
                             t.get(other, 'minute', T0 + 5))
        self.assertEqual(OrderedDict([(T0, values_of(target, 0)),
                                      (T0 + HOUR, values_of(target, 1))]),
                         t.series(name, 'hour', start=T0, end=T0 + HOUR, condensed=True))
        self.assertEqual(OrderedDict([(T0 + HOUR, OrderedDict([(T0 + HOUR, values_of(target, 1))]))]),
                         t.series(name, 'hour', end=T0 + HOUR))
        partner = order[0]
        self.assertEqual(OrderedDict([(T0, values_of(target, 0) + values_of(partner, 0))]),
                         t.get([name, names[partner]], 'hour', T0, condensed=True))

        self.assertGreater(t.delete(name), 0)
        self.assertEqual(before, self.snapshot())
        self.assertEqual(OrderedDict([(T0, [])]), t.get(name, 'minute', T0 + 5))
        self.assertEqual(0, t.delete(name))
        self.assertEqual(before, self.snapshot())


class TestIsolationRedis(IsolationBehaviour, RedisCase):
    pass


class TestIsolationRedisCluster(TestIsolationRedis, RedisClusterCase):
    """The same on a Redis Cluster."""


class TestIsolationMongo(IsolationBehaviour, MongoCase):
    pass
