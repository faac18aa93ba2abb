"""get() for every type: coarse and fine intervals, condensed, transforms, fetch."""

from collections import OrderedDict

from tests.functional.common import (TypeFixture, at, declare_cases, plain,
                                     recording_fetch, without_retention)

NAMES = ('mean', 'count', 'min', 'max', 'sum')


class GetBehaviour(TypeFixture):

    def test_get_coarse(self):
        """get on a coarse interval returns {interval start: row} for the bucket."""
        got = self.t.get('test', 'minute', timestamp=at(100))
        self.assertIsInstance(got, OrderedDict)
        self.assertEqual(plain(got), {at(60): self.row(60, 120)})

    def test_get_coarse_bucket_edges(self):
        """A timestamp belongs to the bucket that starts at or before it."""
        self.assertEqual(plain(self.t.get('test', 'minute', timestamp=at(59))),
                         {at(0): self.row(0, 60)})
        self.assertEqual(plain(self.t.get('test', 'minute', timestamp=at(60))),
                         {at(60): self.row(60, 120)})

    def test_get_coarse_empty(self):
        """A coarse bucket without data still has its key, holding the type's empty value."""
        got = self.t.get('test', 'minute', timestamp=at(1000))
        self.assertEqual(plain(got), {at(960): self.model.empty})

    def test_get_default_timestamp_is_clock(self):
        """Without a timestamp, get reads the bucket holding the clock's now."""
        t = self.make(clock=lambda: at(100), intervals=without_retention())
        self.assertEqual(plain(t.get('test', 'minute')), {at(60): self.row(60, 120)})
        t = self.make(clock=lambda: at(1000), intervals=without_retention())
        self.assertEqual(plain(t.get('test', 'minute')), {at(960): self.model.empty})

    def test_get_coarse_condensed(self):
        """condensed changes nothing on a coarse interval."""
        self.assertEqual(plain(self.t.get('test', 'minute', timestamp=at(100), condensed=True)),
                         {at(60): self.row(60, 120)})

    def test_get_fine(self):
        """get on a fine interval returns {resolution start: row}, ascending, only with data."""
        got = self.t.get('test', 'hour', timestamp=at(100))
        self.assertEqual(list(got), [at(m) for m in range(0, 300, 60)])
        self.assertEqual(plain(got), self.fine(0, 3600))

    def test_get_fine_empty(self):
        """A fine bucket without data reads as an empty mapping."""
        self.assertEqual(plain(self.t.get('test', 'hour', timestamp=at(7300))), {})

    def test_get_fine_condensed(self):
        """condensed merges a fine bucket into one row keyed by the interval start."""
        got = self.t.get('test', 'hour', timestamp=at(100), condensed=True)
        self.assertEqual(plain(got), {at(0): self.row(0, 3600)})
        got = self.t.get('test', 'hour', timestamp=at(3700), condensed=True)
        self.assertEqual(plain(got), {at(3600): self.row(3600, 7200)})

    def test_get_fine_condensed_empty(self):
        """A condensed fine bucket without data holds the type's empty value."""
        got = self.t.get('test', 'hour', timestamp=at(7300), condensed=True)
        self.assertEqual(plain(got), {at(7200): self.model.empty})

    def test_get_transform_name(self):
        """Each named transform replaces the row by its summary."""
        for name in NAMES:
            got = self.t.get('test', 'minute', timestamp=at(100), transform=name)
            self.assertEqual(plain(got), {at(60): self.model.stat(name, self.row(60, 120))},
                             name)

    def test_get_transform_name_on_empty(self):
        """Named transforms of an empty bucket give 0 (or the empty value itself)."""
        got = self.t.get('test', 'minute', timestamp=at(1000), transform=['min', 'count'])
        empty = self.model.empty
        self.assertEqual(plain(got), {at(960): {'min': self.model.stat('min', empty),
                                                'count': self.model.stat('count', empty)}})

    def test_get_transform_callable(self):
        """A callable transform is called with the row alone."""
        got = self.t.get('test', 'minute', timestamp=at(100), transform=lambda row: ('x', row))
        self.assertEqual(plain(got), {at(60): ('x', self.row(60, 120))})

    def test_get_transform_list(self):
        """A list of transforms gives {transform: result}, keyed by the transform itself."""
        func = repr
        got = self.t.get('test', 'minute', timestamp=at(100), transform=['min', 'max', func])
        row = self.row(60, 120)
        self.assertEqual(plain(got), {at(60): {'min': self.model.stat('min', row),
                                               'max': self.model.stat('max', row),
                                               func: repr(row)}})

    def test_get_transform_dict(self):
        """A dict of transforms gives {key: result}; values are names or callables."""
        got = self.t.get('test', 'minute', timestamp=at(100),
                         transform={'low': 'min', 'n': 'count', 'r': repr})
        row = self.row(60, 120)
        self.assertEqual(plain(got), {at(60): {'low': self.model.stat('min', row),
                                               'n': self.model.stat('count', row),
                                               'r': repr(row)}})

    def test_get_fine_transform(self):
        """On a fine interval a transform applies to each resolution row."""
        got = self.t.get('test', 'hour', timestamp=at(100), transform='max')
        expected = {k: self.model.stat('max', v) for k, v in self.fine(0, 3600).items()}
        self.assertEqual(plain(got), expected)

    def test_get_fine_condensed_transform(self):
        """condensed then transform: the summary of the whole interval."""
        got = self.t.get('test', 'hour', timestamp=at(100), condensed=True,
                         transform=['min', 'max', 'count'])
        row = self.row(0, 3600)
        self.assertEqual(plain(got), {at(0): {n: self.model.stat(n, row)
                                              for n in ('min', 'max', 'count')}})

    def test_get_fetch_coarse(self):
        """A fetch hook replaces the read of a coarse bucket and gives the same result."""
        seen = []
        fetch = recording_fetch(self.backend, self.model.type, seen, self.io)
        got = self.t.get('test', 'minute', timestamp=at(100), fetch=fetch)
        self.assertTrue(seen)
        self.assertEqual(plain(got), {at(60): self.row(60, 120)})

    def test_get_fetch_fine(self):
        """A fetch hook works on a fine interval, condensed or not."""
        seen = []
        fetch = recording_fetch(self.backend, self.model.type, seen, self.io)
        got = self.t.get('test', 'hour', timestamp=at(100), fetch=fetch)
        self.assertTrue(seen)
        self.assertEqual(plain(got), self.fine(0, 3600))
        got = self.t.get('test', 'hour', timestamp=at(100), fetch=fetch, condensed=True)
        self.assertEqual(plain(got), {at(0): self.row(0, 3600)})

    def test_get_joined(self):
        """get with a list of names joins their rows, in name order."""
        for names in (['test', 'other'], ['other', 'test']):
            got = self.t.get(names, 'minute', timestamp=at(100))
            self.assertEqual(plain(got), {at(60): self.row(60, 120, names)}, names)

    def test_get_joined_one_present(self):
        """A joined bucket where only one name has data holds that name's row."""
        got = self.t.get(['test', 'other'], 'minute', timestamp=at(30))
        self.assertEqual(plain(got), {at(0): self.row(0, 60)})

    def test_get_joined_empty(self):
        """A joined bucket without data holds the type's empty value."""
        got = self.t.get(['test', 'other'], 'minute', timestamp=at(1000),
                         transform=['min', 'count'])
        empty = self.model.empty
        self.assertEqual(plain(got), {at(960): {'min': self.model.stat('min', empty),
                                                'count': self.model.stat('count', empty)}})
        got = self.t.get(['test', 'other'], 'minute', timestamp=at(1000))
        self.assertEqual(plain(got), {at(960): empty})

    def test_get_joined_fine(self):
        """Joined fine reads join per resolution bucket over the union of buckets."""
        names = ['test', 'other']
        got = self.t.get(names, 'hour', timestamp=at(100))
        self.assertEqual(list(got), sorted(got))
        self.assertEqual(plain(got), self.fine(0, 3600, names))
        got = self.t.get(names, 'hour', timestamp=at(100), condensed=True)
        per_minute = list(self.fine(0, 3600, names).values())
        self.assertEqual(plain(got), {at(0): self.model.combine(per_minute)})

    def test_get_joined_tuple_and_fetch(self):
        """A tuple of names works like a list, also with a fetch hook."""
        seen = []
        fetch = recording_fetch(self.backend, self.model.type, seen, self.io)
        got = self.t.get(('test', 'other'), 'minute', timestamp=at(100), fetch=fetch)
        self.assertEqual(len(seen), 2)
        self.assertEqual(plain(got), {at(60): self.row(60, 120, ['test', 'other'])})


declare_cases(globals(), GetBehaviour, 'Get')
