"""series() for every type: ranges, condensed, collapse, transforms, fetch, joined names."""

from collections import OrderedDict

from tests.functional.common import (TypeFixture, at, canonical, declare_cases, plain,
                                     recording_fetch, without_retention)


class SeriesBehaviour(TypeFixture):

    def minutes(self, first, count, names=('test',)):
        return {at(m): self.row(m, m + 60, names) for m in range(first, first + 60 * count, 60)}

    def test_series_steps_default_from_config(self):
        """Without steps, series covers the interval's configured steps up to end."""
        got = self.t.series('test', 'minute', end=at(250))
        self.assertIsInstance(got, OrderedDict)
        self.assertEqual(list(got), [at(m) for m in range(0, 300, 60)])
        self.assertEqual(plain(got), self.minutes(0, 5))

    def test_series_steps_default_one(self):
        """An interval configured without steps gives one bucket by default."""
        got = self.t.series('test', 'hour', end=at(250), condensed=True)
        self.assertEqual(plain(got), {at(0): self.row(0, 3600)})

    def test_series_steps(self):
        """steps=N gives the N buckets that end with end's bucket."""
        got = self.t.series('test', 'minute', end=at(250), steps=2)
        self.assertEqual(list(got), [at(180), at(240)])
        self.assertEqual(plain(got), self.minutes(180, 2))

    def test_series_start_only(self):
        """start alone gives steps buckets from start's bucket, empty ones included."""
        got = self.t.series('test', 'minute', start=at(130))
        self.assertEqual(list(got), [at(m) for m in range(120, 420, 60)])
        self.assertEqual(plain(got), self.minutes(120, 5))
        self.assertEqual(got[at(360)], self.model.empty)

    def test_series_start_and_end(self):
        """start and end give every bucket between them, whatever steps says."""
        got = self.t.series('test', 'minute', start=at(0), end=at(130), steps=1)
        self.assertEqual(plain(got), self.minutes(0, 3))

    def test_series_default_end_is_clock(self):
        """Without start or end, series ends with the bucket of the clock's now."""
        t = self.make(clock=lambda: at(250), intervals=without_retention())
        self.assertEqual(plain(t.series('test', 'minute', steps=5)), self.minutes(0, 5))

    def test_series_empty_buckets(self):
        """Buckets without data are present and hold the type's empty value."""
        got = self.t.series('test', 'minute', start=at(240), steps=4)
        self.assertEqual(list(got), [at(m) for m in range(240, 480, 60)])
        self.assertEqual(got[at(240)], self.row(240, 300))
        for m in (300, 360, 420):
            self.assertEqual(got[at(m)], self.model.empty)

    def test_series_coarse_condensed(self):
        """condensed changes nothing on a coarse interval."""
        got = self.t.series('test', 'minute', end=at(250), condensed=True)
        self.assertEqual(plain(got), self.minutes(0, 5))

    def test_series_fine_nested(self):
        """A fine series maps each interval to {resolution: row} of its buckets with data."""
        got = self.t.series('test', 'hour', end=at(7300), steps=3)
        self.assertEqual(list(got), [at(0), at(3600), at(7200)])
        for value in got.values():
            self.assertIsInstance(value, dict)
        self.assertEqual(list(got[at(0)]), [at(m) for m in range(0, 300, 60)])
        self.assertEqual(plain(got), {at(0): self.fine(0, 3600), at(3600): self.fine(3600, 7200),
                                      at(7200): {}})

    def test_series_fine_condensed(self):
        """condensed merges each fine interval into one row; empty ones hold the empty value."""
        got = self.t.series('test', 'hour', end=at(7300), steps=3, condensed=True)
        self.assertEqual(plain(got), {at(0): self.row(0, 3600), at(3600): self.row(3600, 7200),
                                      at(7200): self.model.empty})

    def test_series_collapse(self):
        """collapse merges the whole range into one row keyed by the first bucket."""
        got = self.t.series('test', 'minute', end=at(250), collapse=True)
        self.assertEqual(plain(got), {at(0): self.row(0, 300)})

    def test_series_collapse_fine(self):
        """collapse on a fine interval merges every resolution of every interval."""
        got = self.t.series('test', 'hour', end=at(3700), steps=2, collapse=True)
        self.assertEqual(plain(got), {at(0): self.row(0, 7200)})

    def test_series_collapse_empty(self):
        """collapse over buckets without data gives the type's empty value."""
        got = self.t.series('test', 'minute', start=at(600), steps=2, collapse=True)
        self.assertEqual(plain(got), {at(600): self.model.empty})

    def test_series_collapse_transform(self):
        """collapse with transforms summarises the merged row."""
        got = self.t.series('test', 'minute', end=at(250), collapse=True,
                            transform=['min', 'count'])
        row = self.row(0, 300)
        self.assertEqual(plain(got), {at(0): {'min': self.model.stat('min', row),
                                              'count': self.model.stat('count', row)}})

    def test_series_coarse_transform(self):
        """A transform on a coarse series applies to each bucket's row."""
        got = self.t.series('test', 'minute', end=at(400), transform='max')
        expected = {k: self.model.stat('max', v) for k, v in self.minutes(120, 5).items()}
        self.assertEqual(plain(got), expected)

    def test_series_fine_transform(self):
        """A transform on a nested fine series applies to each resolution row."""
        got = self.t.series('test', 'hour', end=at(3700), steps=2,
                            transform={'n': 'count', 'r': canonical})
        expected = {}
        for first in (0, 3600):
            expected[at(first)] = {k: {'n': self.model.stat('count', v), 'r': canonical(v)}
                                   for k, v in self.fine(first, first + 3600).items()}
        self.assertEqual(plain(got), expected)

    def test_series_fine_condensed_transform(self):
        """A transform on a condensed fine series applies to each interval's row."""
        got = self.t.series('test', 'hour', end=at(7300), steps=3, condensed=True,
                            transform=lambda row: ('x', row))
        self.assertEqual(plain(got), {at(0): ('x', self.row(0, 3600)),
                                      at(3600): ('x', self.row(3600, 7200)),
                                      at(7200): ('x', self.model.empty)})

    def test_series_fetch(self):
        """A fetch hook gives the same series, coarse and fine."""
        seen = []
        fetch = recording_fetch(self.backend, self.model.type, seen, self.io)
        got = self.t.series('test', 'minute', end=at(250), fetch=fetch)
        self.assertTrue(seen)
        self.assertEqual(plain(got), self.minutes(0, 5))
        got = self.t.series('test', 'hour', end=at(7300), steps=3, fetch=fetch)
        self.assertEqual(plain(got), {at(0): self.fine(0, 3600), at(3600): self.fine(3600, 7200),
                                      at(7200): {}})

    def test_series_joined(self):
        """A joined series joins the names' rows per bucket, in name order."""
        for names in (['test', 'other'], ['other', 'test']):
            got = self.t.series(names, 'minute', end=at(250))
            self.assertEqual(plain(got), self.minutes(0, 5, names), names)

    def test_series_joined_empty(self):
        """A joined series over empty buckets gives the empty value, and 0 for min/count."""
        got = self.t.series(['test', 'other'], 'minute', start=at(600), steps=2)
        self.assertEqual(plain(got), {at(600): self.model.empty, at(660): self.model.empty})
        got = self.t.series(['test', 'other'], 'minute', start=at(600), steps=2,
                            transform=['min', 'count'])
        stat = self.model.stat
        empty = {'min': stat('min', self.model.empty), 'count': stat('count', self.model.empty)}
        self.assertEqual(plain(got), {at(600): empty, at(660): empty})

    def test_series_joined_fine(self):
        """A joined fine series joins per resolution; condensed and collapse follow."""
        names = ['test', 'other']
        got = self.t.series(names, 'hour', end=at(3700), steps=2)
        self.assertEqual(plain(got), {at(0): self.fine(0, 3600, names),
                                      at(3600): self.fine(3600, 7200, names)})
        got = self.t.series(names, 'hour', end=at(3700), steps=2, condensed=True)
        combine = self.model.combine
        first = combine(list(self.fine(0, 3600, names).values()))
        second = combine(list(self.fine(3600, 7200, names).values()))
        self.assertEqual(plain(got), {at(0): first, at(3600): second})
        got = self.t.series(names, 'hour', end=at(3700), steps=2, collapse=True)
        self.assertEqual(plain(got), {at(0): combine([first, second])})


declare_cases(globals(), SeriesBehaviour, 'Series')
