"""Customized reads (process_row, condense, join_rows, collapse) and duration-aware
transforms (rate, f(data, duration)) on get, series and iterate, every type and backend."""

from kairos import InvalidQuery

from tests.functional.common import TypeFixture, at, canonical, declare_cases, plain, utc


class Boom(Exception):
    """Raised by a hook, to see it come out unchanged."""


def boom(*args):
    raise Boom('from a hook')


class CustomReadsBehaviour(TypeFixture):

    # -- process_row -----------------------------------------------------------

    def test_process_row_sees_the_stored_form(self):
        """process_row replaces the type's decoding: read_func is then not applied."""
        bare = self.make(read_func=None)
        for interval in ('minute', 'hour'):
            got = self.t.get('test', interval, at(100), process_row=bare._type.process_row)
            self.assertEqual(bare.get('test', interval, at(100)), got)
            got = self.t.series('test', interval, start=at(0), steps=2,
                                process_row=self.t._type.process_row)
            self.assertEqual(self.t.series('test', interval, start=at(0), steps=2), got)

    def test_process_row_result_is_the_row(self):
        """What process_row returns is the row, for every bucket with data."""
        seen = []

        def process_row(stored):
            seen.append(stored)
            return 'row %d' % len(seen)

        got = self.t.get('test', 'hour', at(0), process_row=process_row)
        self.assertEqual(['row %d' % n for n in range(1, 6)], list(got.values()))
        got = self.t.series('test', 'minute', start=at(240), steps=2, process_row=process_row)
        self.assertEqual({at(240): 'row 6', at(300): self.model.empty}, plain(got))

    # -- condense ----------------------------------------------------------------

    def test_condense_true_is_condensed(self):
        """condense=True does what condensed=True does (which keeps working)."""
        for interval in ('minute', 'hour'):
            self.assertEqual(self.t.get('test', interval, at(100), condensed=True),
                             self.t.get('test', interval, at(100), condense=True))
            self.assertEqual(self.t.series('test', interval, end=at(3700), steps=3,
                                           condensed=True, transform='count'),
                             self.t.series('test', interval, end=at(3700), steps=3,
                                           condense=True, transform='count'))

    def test_condense_callable(self):
        """A condense callable gets one bucket's {resolution time: row}, {} when empty."""
        seen = []

        def condense(rows):
            seen.append(plain(rows))
            return len(rows)

        got = self.t.series('test', 'hour', start=at(0), steps=3, condense=condense)
        self.assertEqual({at(0): 5, at(3600): 1, at(7200): 0}, plain(got))
        self.assertEqual([self.fine(0, 3600), self.fine(3600, 7200), {}], seen)
        got = self.t.get('test', 'hour', at(0), condense=condense, transform=lambda n: n * 2)
        self.assertEqual({at(0): 10}, plain(got))

    def test_condense_callable_sees_empty_values_not_markers(self):
        """A resolution bucket listed without data (a count's 0) reaches condense as 0."""
        if self.model.type != 'count':
            return
        self.t.insert('zero', 0, at(0))
        self.t.insert('zero', 2, at(60))
        got = self.t.get('zero', 'hour', at(0), condense=lambda rows: sorted(rows.items()))
        self.assertEqual({at(0): [(at(0), 0), (at(60), 2)]}, plain(got))

    def test_condense_callable_on_coarse_interval(self):
        """A coarse interval has no resolution rows: condense does not run there."""
        got = self.t.get('test', 'minute', at(0), condense=boom)
        self.assertEqual({at(0): self.row(0, 60)}, plain(got))

    # -- join_rows ---------------------------------------------------------------

    def test_join_rows(self):
        """join_rows gets one row per name, in order; empty where a name has no data."""
        seen = []

        def join_rows(rows):
            seen.append(rows)
            return 'joined'

        got = self.t.series(['test', 'other'], 'minute', start=at(0), steps=3,
                            join_rows=join_rows)
        self.assertEqual({at(0): 'joined', at(60): 'joined', at(120): 'joined'}, plain(got))
        self.assertEqual([[self.row(0, 60), self.model.empty],
                          [self.row(60, 120), self.row(60, 120, ('other',))],
                          [self.row(120, 180), self.row(120, 180, ('other',))]], seen)
        got = self.t.get(['other', 'test'], 'minute', at(400), join_rows=join_rows)
        self.assertEqual({at(360): self.model.empty}, plain(got))  # no data: not called
        got = self.t.get(['other', 'test'], 'hour', at(0), join_rows=lambda rows: len(rows))
        self.assertEqual({at(m): 2 for m in range(0, 300, 60)}, plain(got))

    def test_join_rows_then_condense_then_transform(self):
        """Hooks run in order: join_rows, condense, then the transform."""
        got = self.t.get(['test', 'other'], 'hour', at(0), join_rows=lambda rows: 1,
                         condense=lambda rows: sorted(rows.values()), transform=len)
        self.assertEqual({at(0): 5}, plain(got))

    # -- collapse ----------------------------------------------------------------

    def test_collapse_true(self):
        """collapse=True merges the whole range into one row keyed by its first bucket."""
        got = self.t.series('test', 'minute', start=at(0), end=at(3600), collapse=True)
        self.assertEqual({at(0): self.row(0, 3660)}, plain(got))

    def test_collapse_callable(self):
        """A collapse callable gets {bucket time: row} of the whole range, every bucket present."""
        seen = []

        def collapse(rows):
            seen.append(plain(rows))
            return 'collapsed'

        got = self.t.series('test', 'minute', start=at(240), steps=3, collapse=collapse)
        self.assertEqual({at(240): 'collapsed'}, plain(got))
        self.assertEqual([{at(240): self.row(240, 300), at(300): self.model.empty,
                           at(360): self.model.empty}], seen)
        got = self.t.series('test', 'hour', start=at(0), steps=2, condense=len,
                            collapse=lambda rows: sorted(rows.items()))
        self.assertEqual({at(0): [(at(0), 5), (at(3600), 1)]}, plain(got))

    # -- failures ----------------------------------------------------------------

    def test_hook_exceptions_propagate_unchanged(self):
        """A hook that raises propagates its own exception; the store is unchanged."""
        before = self.snapshot()
        calls = [
            lambda: self.t.get('test', 'minute', at(0), process_row=boom),
            lambda: self.t.get('test', 'hour', at(0), condense=boom),
            lambda: self.t.series(['test', 'other'], 'minute', start=at(0), join_rows=boom),
            lambda: self.t.series('test', 'minute', start=at(0), collapse=boom),
            lambda: self.t.series('test', 'minute', start=at(0), transform=boom),
            lambda: self.t.series('test', 'minute', start=at(0), transform=['count', boom]),
            lambda: list(self.t.iterate('test', 'hour', condense=boom)),
        ]
        for call in calls:
            with self.assertRaises(Boom):
                call()
        self.assertEqual(before, self.snapshot())
        self.assertEqual(plain(self.t.get('test', 'minute', at(0))), {at(0): self.row(0, 60)})

    def test_iterate_stops_where_the_hook_raised(self):
        """iterate() raises at the bucket whose hook failed, having yielded the earlier ones."""
        def condense(rows):
            if not rows:
                raise Boom('empty')
            return len(rows)

        self.t.insert('test', self.model.value(1), at(10800))
        pairs = self.t.iterate('test', 'hour', condense=condense)
        self.assertEqual((at(0), 5), next(pairs))
        self.assertEqual((at(3600), 1), next(pairs))
        with self.assertRaises(Boom):
            next(pairs)  # at(7200): no data
        self.assertEqual([], list(pairs))

    def test_hooks_checked(self):
        """process_row and join_rows must be callable; bad transforms are refused."""
        self.assertRaises(InvalidQuery, self.t.get, 'test', 'minute', process_row='x')
        self.assertRaises(InvalidQuery, self.t.series, 'test', 'minute', join_rows=3)
        self.assertRaises(InvalidQuery, self.t.iterate, 'test', 'minute', transform='nope')

    # -- transforms that know the duration ------------------------------------

    def expected_rate(self, row, seconds):
        return self.model.stat('count', row) / seconds

    def test_rate(self):
        """rate: the row's count (a count's value) per second of its bucket."""
        if self.model.type == 'gauge':
            self.assertRaises(InvalidQuery, self.t.get, 'test', 'minute', transform='rate')
            return
        got = self.t.series('test', 'minute', start=at(0), steps=2, transform='rate')
        self.assertEqual({at(0): self.expected_rate(self.row(0, 60), 60),
                          at(60): self.expected_rate(self.row(60, 120), 60)}, plain(got))
        got = self.t.get('test', 'hour', at(0), transform='rate')
        self.assertEqual({t: self.expected_rate(row, 60)
                          for t, row in self.fine(0, 3600).items()}, plain(got))
        got = self.t.get('test', 'hour', at(0), condensed=True, transform=['rate', 'count'])
        row = self.row(0, 3600)
        self.assertEqual({at(0): {'rate': self.expected_rate(row, 3600),
                                  'count': self.model.stat('count', row)}}, plain(got))
        got = self.t.series('test', 'hour', start=at(0), steps=2, collapse=True,
                            transform='rate')
        self.assertEqual({at(0): self.expected_rate(self.row(0, 7200), 7200)}, plain(got))
        pairs = list(self.t.iterate('test', 'minute', transform={'r': 'rate'}))
        self.assertEqual((at(60), {'r': self.expected_rate(self.row(60, 120), 60)}), pairs[1])

    def test_rate_gregorian(self):
        """Gregorian buckets have their real length: February 2027 has 28 days."""
        if self.model.type == 'gauge':
            return
        t = self.make(intervals={'monthly': {'step': 'monthly'},
                                 'yearly': {'step': 'yearly', 'resolution': 'monthly'}})
        t.insert('g', [self.model.value(4), self.model.value(40)], utc(2027, 2, 10))
        row = self.model.row([4, 40])
        got = t.get('g', 'monthly', utc(2027, 2, 1), transform='rate')
        self.assertEqual({utc(2027, 2, 1): self.expected_rate(row, 28 * 86400)}, plain(got))
        got = t.get('g', 'yearly', utc(2027, 2, 1), transform='rate')
        self.assertEqual({utc(2027, 2, 1): self.expected_rate(row, 28 * 86400)}, plain(got))
        got = t.get('g', 'yearly', utc(2027, 2, 1), condensed=True, transform='rate')
        self.assertEqual({utc(2027, 1, 1): self.expected_rate(row, 365 * 86400)}, plain(got))

    def test_two_argument_callable_gets_the_duration(self):
        """A transform with two required arguments is called f(data, duration) (0.10.1)."""
        def per_second(data, duration):
            return (data, duration)

        got = self.t.get('test', 'hour', at(0), transform=per_second)
        self.assertEqual({t: (row, 60) for t, row in self.fine(0, 3600).items()}, plain(got))
        got = self.t.get('test', 'hour', at(0), condensed=True, transform=per_second)
        self.assertEqual({at(0): (self.row(0, 3600), 3600)}, plain(got))
        got = self.t.series('test', 'minute', start=at(0), steps=1,
                            transform={'both': per_second, 'repr': canonical})
        self.assertEqual({at(0): {'both': (self.row(0, 60), 60),
                                  'repr': canonical(self.row(0, 60))}}, plain(got))

    def test_one_argument_callables_as_in_0_5_0(self):
        """One-argument callables, builtins and optional extras are called f(data)."""
        row = self.row(0, 60)
        # type, not repr: a histogram's key order is not promised (SQL returns index order)
        transforms = [lambda data: ('one', data), type, lambda data, extra=None: (data, extra),
                      lambda *args: args]
        got = self.t.get('test', 'minute', at(0), transform=transforms)
        self.assertEqual([('one', row), self.model.row_type(row), (row, None), (row,)],
                         list(got[at(0)].values()))


declare_cases(globals(), CustomReadsBehaviour, 'CustomReads')
