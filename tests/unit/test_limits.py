"""The accepted range of timestamps and retention, checked without a database."""

import unittest
from fractions import Fraction

from kairos.exceptions import ConfigurationError, InvalidTimestamp
from kairos.intervals import Interval
from kairos.units import MAX_RETENTION, check_timestamp

T0 = 1800000000


class TestCheckTimestamp(unittest.TestCase):

    def test_integers_too_large_for_a_float(self):
        """An int past the float range is returned exact, for the range checks to refuse."""
        for stamp in (10 ** 400, -10 ** 400):
            self.assertEqual(stamp, check_timestamp(stamp))
            with self.assertRaises(InvalidTimestamp):
                Interval('second', {'step': 1}).check(stamp)
            with self.assertRaises(InvalidTimestamp):
                Interval('day', {'step': 'daily'}).check(stamp)

    def test_fraction_reads_as_a_float(self):
        """A Fraction is a float to every interval, the calendar's included."""
        stamp = check_timestamp(Fraction(T0 * 2 + 1, 2))
        self.assertEqual((float, T0 + 0.5), (type(stamp), stamp))
        self.assertEqual(20270115, int(Interval('day', {'step': 'daily'}).check(stamp)))
        self.assertEqual(T0, Interval('second', {'step': 1}).check(stamp))

    def test_fraction_past_the_float_range(self):
        """A Fraction past the float range raises InvalidTimestamp."""
        for stamp in (Fraction(10 ** 400), Fraction(-10 ** 400, 3)):
            with self.assertRaises(InvalidTimestamp):
                check_timestamp(stamp)


class TestRetention(unittest.TestCase):

    def test_retention_longer_than_the_calendar(self):
        """steps keeping data longer than MAX_RETENTION raise ConfigurationError naming it."""
        for config in ({'step': 1, 'steps': 2 ** 63}, {'step': 'yearly', 'steps': 10 ** 7},
                       {'step': 60, 'steps': MAX_RETENTION // 60 + 1}):
            with self.assertRaises(ConfigurationError) as caught:
                Interval('kept', config)
            self.assertIn('MAX_RETENTION', str(caught.exception))

    def test_longest_retention(self):
        """A retention of exactly MAX_RETENTION seconds is accepted."""
        self.assertEqual(MAX_RETENTION, Interval('kept', {'step': 1, 'steps': MAX_RETENTION}).expire)


if __name__ == '__main__':
    unittest.main()
