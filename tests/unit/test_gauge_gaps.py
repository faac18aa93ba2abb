"""The value an empty gauge bucket reads as, for every kind of read_func."""

import unittest
from decimal import Decimal

from kairos.series_types import Gauge


class TestGaugeNoValue(unittest.TestCase):

    def test_without_read_func_none(self):
        """Without a read_func an empty gauge bucket is None."""
        self.assertIsNone(Gauge().no_value())

    def test_read_func_of_empty_string_kept(self):
        """A read_func that reads '' gives its value, as 0.5.0 called read_func('')."""
        self.assertEqual(Gauge(lambda v: int(v or 0)).no_value(), 0)
        self.assertEqual(Gauge(str).no_value(), '')

    def test_read_func_refusing_empty_string_gives_none(self):
        """A read_func raising ValueError, TypeError or ArithmeticError on '' gives None."""
        for read_func in (float, int, Decimal, complex, lambda v: 1 / len(v),
                          lambda v: v + 1):
            self.assertIsNone(Gauge(read_func).no_value(), read_func)

    def test_other_errors_propagate(self):
        """Any other error of the read_func is the caller's bug and propagates."""
        def read(value):
            raise KeyError(value)
        with self.assertRaises(KeyError):
            Gauge(read).no_value()
