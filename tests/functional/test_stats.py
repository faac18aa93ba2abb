"""The transforms median, p<q>, stddev, first and last (and percentile(q)) on get,
series and iterate, every type and backend, against a plain model of the data:
percentiles from numpy, stddev from the statistics module."""

import itertools
import math
import os
import statistics

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

from kairos import InvalidQuery
from kairos.transforms import percentile

from tests.functional.common import (TypeFixture, at, declare_cases, plain,
                                     without_retention)

EXAMPLES = int(os.environ.get('KAIROS_FUZZ_EXAMPLES', 25))
NEW = ('median', 'p50', 'p95', 'p99.9', 'p100', 'p0.1', 'stddev', 'first', 'last')
IN_ORDER = ('first', 'last')
# labels whose results are compared within rounding; the others exactly
APPROXIMATE = ('stddev', 'spread')

points = st.lists(st.tuples(st.integers(0, 7199), st.sampled_from(['a', 'b']),
                            st.integers(-60, 60)), min_size=1, max_size=25)


def expected_stat(how, values):
    """A named transform (or percentile(q)) of a bucket's values, in plain Python."""
    if not values:
        return None
    if how == 'first':
        return values[0]
    if how == 'last':
        return values[-1]
    if how == 'stddev':
        return statistics.pstdev(values)
    if how == 'median':
        q = 50.0
    else:
        q = how.q if hasattr(how, 'q') else float(how[1:])
    return float(np.percentile(np.array(sorted(values)), q))


class StatsBehaviour(TypeFixture):

    def names(self):
        """The new transforms the type takes: all but first and last where rows have no order."""
        if self.model.type == 'series':
            return list(NEW)
        if not self.takes_values():   # a summary keeps what its stddev needs
            return ['stddev'] if self.model.type == 'summary' else []
        return [name for name in NEW if name not in IN_ORDER]

    def takes_values(self):
        return self.model.type in ('series', 'histogram', 'set')

    def expected(self, row, how):
        """``how`` (a name, percentile(q), a list or a dict of them) applied to a model row."""
        values = self.model.elements(row)
        if isinstance(how, dict):
            return {label: expected_stat(t, values) for label, t in how.items()}
        if isinstance(how, list):
            return {t: expected_stat(t, values) for t in how}
        return expected_stat(how, values)

    def assertRows(self, expected, got):
        """{time: result} equal, stddev within rounding and the rest exactly."""
        got = plain(got)
        self.assertEqual(list(expected), list(got))
        for key, value in expected.items():
            if isinstance(value, dict):
                self.assertEqual(list(value), list(got[key]))
                for label, one in value.items():
                    self.assertSame(one, got[key][label], label)
            else:
                self.assertSame(value, got[key], None)

    def assertSame(self, expected, actual, label):
        if label in APPROXIMATE and expected is not None and actual is not None:
            self.assertTrue(math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-12),
                            '%s: %r != %r' % (label, expected, actual))
        else:
            self.assertEqual(expected, actual, label)
            self.assertIs(type(expected), type(actual), label)

    def test_get(self):
        """get with each new transform: per resolution row and condensed, by name and list."""
        if not self.takes_values():
            return
        names = self.names()
        fine = self.fine(0, 3600)
        for name in names:
            got = self.t.get('test', 'hour', at(0), transform=name)
            self.assertRows({t: self.expected(row, name) for t, row in fine.items()}, got)
        got = self.t.get('test', 'hour', at(0), condensed=True, transform=names)
        self.assertRows({at(0): self.expected(self.row(0, 3600), names)}, got)
        got = self.t.get('test', 'minute', at(600), transform=names)   # an empty bucket
        self.assertRows({at(600): dict.fromkeys(names)}, got)

    def test_series_condense_collapse_join(self):
        """series with condense, collapse, several names joined, a list and a dict."""
        if not self.takes_values():
            return
        names = self.names()
        got = self.t.series('test', 'hour', start=at(0), steps=3, condense=True,
                            transform=names)
        self.assertRows({at(h): self.expected(self.row(h, h + 3600), names)
                         for h in (0, 3600, 7200)}, got)
        got = self.t.series('test', 'minute', start=at(0), end=at(3600), collapse=True,
                            transform=names)
        self.assertRows({at(0): self.expected(self.row(0, 3660), names)}, got)
        how = {'mid': 'median', 'tail': percentile(99.9), 'spread': 'stddev'}
        got = self.t.series(['test', 'other'], 'minute', start=at(0), steps=4, transform=how)
        self.assertRows({at(m): self.expected(self.row(m, m + 60, ('test', 'other')), how)
                         for m in range(0, 240, 60)}, got)
        got = self.t.series(['test', 'other'], 'hour', start=at(0), steps=2, condense=True,
                            collapse=True, transform=[percentile(95), 'p95'])
        self.assertRows({at(0): self.expected(self.row(0, 7200, ('test', 'other')),
                                              [percentile(95), 'p95'])}, got)

    def test_iterate(self):
        """iterate yields each bucket's transform, here p50 of each minute."""
        if not self.takes_values():
            return
        pairs = list(self.t.iterate('test', 'minute', transform='p50'))
        self.assertEqual((at(0), self.expected(self.row(0, 60), 'p50')), pairs[0])

    def test_refused_where_rows_hold_no_values(self):
        """count and gauge refuse them all, a summary all but stddev; set and histogram
        refuse first and last."""
        refused = [name for name in NEW if name not in self.names()]
        if not self.takes_values():
            refused.append(percentile(99))
        for how in refused:
            with self.assertRaises(InvalidQuery) as caught:
                self.t.get('test', 'hour', at(0), transform=how)
            self.assertIn('a %s supports' % self.model.type, str(caught.exception))
            self.assertRaises(InvalidQuery, self.t.series, 'test', 'minute', transform=[how])
            self.assertRaises(InvalidQuery, self.t.iterate, 'test', 'minute',
                              transform={'x': how})

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=points)
    def test_random_data_matches_the_model(self, data):
        """For random points, each new transform of get and series equals the model's."""
        if not self.takes_values():
            return
        if not hasattr(self, 'examples'):
            self.examples = itertools.count()
            self.t2 = self.make(intervals=without_retention())
        prefix = 'r%d' % next(self.examples)
        inserts = {}
        for offset, name, s in sorted(data, key=lambda point: point[0]):  # stable
            inserts.setdefault(at(offset), {}).setdefault(prefix + name, []).append(
                self.model.value(s))
        self.t2.bulk_insert(inserts)

        ordered = sorted(data, key=lambda point: point[0])

        def joined(lo, hi, names):
            """The names' rows of [lo, hi) joined in the order given."""
            rows = [self.model.row([s for offset, name, s in ordered
                                    if name == n and lo <= offset < hi]) for n in names]
            rows = [r for r in rows if r != self.model.empty]
            return self.model.combine(rows) if rows else self.model.empty

        def row(lo, hi, names):
            """Joined per minute, then the minutes in time order, as kairos reads them."""
            return self.model.combine([joined(m, m + 60, names) for m in range(lo, hi, 60)])

        names = self.names()
        got = self.t2.get(prefix + 'a', 'hour', at(0), condensed=True, transform=names)
        self.assertRows({at(0): self.expected(row(0, 3600, 'a'), names)}, got)
        got = self.t2.series([prefix + 'a', prefix + 'b'], 'hour', start=at(0), steps=2,
                             condense=True, transform=names)
        self.assertRows({at(h): self.expected(row(h, h + 3600, 'ab'), names)
                         for h in (0, 3600)}, got)
        got = self.t2.series(prefix + 'b', 'minute', start=at(0), end=at(7140),
                             collapse=True, transform=names)
        self.assertRows({at(0): self.expected(row(0, 7200, 'b'), names)}, got)


declare_cases(globals(), StatsBehaviour, 'Stats')
