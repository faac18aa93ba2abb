"""A bulk insert is sent in bounded pieces, however its values spread over buckets and names.

The bounds are made small here (BULK_CHUNK, BULK_WRITES of kairos.writes), so
that the pieces show on small inserts.
"""

from unittest import mock

import kairos.writes

BULK_CHUNK, BULK_WRITES = 60, 40

from tests.functional.common import T0, plain
from tests.support import (MongoCase, MysqlCase, PostgresCase, RedisCase, RedisClusterCase,
                           SqliteCase)

INTERVALS = {'second': {'step': 1}, 'hour': {'step': 3600, 'resolution': 60}}


class PiecesBehaviour:

    def setUp(self):
        super().setUp()
        for name, value in (('BULK_CHUNK', BULK_CHUNK), ('BULK_WRITES', BULK_WRITES)):
            patch = mock.patch.object(kairos.writes, name, value)
            patch.start()
            self.addCleanup(patch.stop)

    def recorded(self, kind):
        """A Timeseries whose writes are counted per piece sent."""
        t = self.timeseries(type=kind, intervals=INTERVALS)
        pieces = []
        write = t._write

        def counting(writes, pipeline=None):
            pieces.append(len(writes))
            return write(writes, pipeline)
        t._write = counting
        return t, pieces

    def most(self, t):
        """The largest piece allowed: the bound, plus one timestamp's or name's writes."""
        return BULK_WRITES * t._bulk_pieces + 2 * len(INTERVALS)

    def test_many_buckets(self):
        """Values spread over many buckets go in pieces of about BULK_WRITES writes, all landing."""
        t, pieces = self.recorded('count')
        total = 3 * BULK_WRITES * t._bulk_pieces
        t.bulk_insert({T0 + i: {'a': [1]} for i in range(total)})
        self.assertGreater(len(pieces), 2)
        self.assertLessEqual(max(pieces), self.most(t))
        self.assertEqual(sum(plain(t.series('a', 'hour', start=T0, end=T0 + total,
                                            condensed=True)).values()), total)

    def test_many_names_at_one_timestamp(self):
        """One timestamp holding many names is cut into pieces too."""
        t, pieces = self.recorded('count')
        names = 2 * BULK_WRITES * t._bulk_pieces
        t.bulk_insert({T0: {'n%d' % i: [1] for i in range(names)}})
        self.assertGreater(len(pieces), 2)
        self.assertLessEqual(max(pieces), self.most(t))
        self.assertEqual(len(t.list()), names)

    def test_many_values_of_one_name_keep_their_order(self):
        """A series of more than BULK_CHUNK values at one timestamp is cut in order."""
        t, pieces = self.recorded('series')
        count = 2 * BULK_CHUNK * t._bulk_pieces + 7
        t.bulk_insert({T0: {'s': list(range(count))}})
        self.assertGreater(len(pieces), 2)
        row = t.get('s', 'second', timestamp=T0)[T0]
        self.assertEqual([int(v) for v in row], list(range(count)))


class TestPiecesRedis(PiecesBehaviour, RedisCase):
    pass


class TestPiecesRedisCluster(PiecesBehaviour, RedisClusterCase):
    pass


class TestPiecesMongo(PiecesBehaviour, MongoCase):
    pass


class TestPiecesSqlite(PiecesBehaviour, SqliteCase):
    pass


class TestPiecesPostgres(PiecesBehaviour, PostgresCase):
    pass


class TestPiecesMysql(PiecesBehaviour, MysqlCase):
    pass
