"""Times on the kairos command line: the forms taken, the clock they count from."""

import io
import json
import unittest
from zoneinfo import ZoneInfo

from kairos.cli import main
from kairos.cli.errors import UsageError
from kairos.cli.options import join_relative
from kairos.cli.times import iso, local, looks_relative, parse_time, parse_zone, time_format

T0 = 1800000000   # 2027-01-15 08:00:00 UTC


class TestParseTime(unittest.TestCase):

    def test_epoch(self):
        """A number is seconds since the epoch, whatever the clock says."""
        self.assertEqual(parse_time('1800000000').at(5), T0)
        self.assertEqual(parse_time('1800000000.5').at(5), T0 + 0.5)
        self.assertFalse(parse_time('1800000000').relative)

    def test_iso_naive_is_utc(self):
        """ISO 8601 without an offset is UTC: a date, minutes, seconds, a space for T."""
        for text in ('2027-01-15T08:00', '2027-01-15T08:00:00', '2027-01-15 08:00'):
            self.assertEqual(parse_time(text).at(0), T0, text)
        self.assertEqual(parse_time('2027-01-15').at(0), T0 - 8 * 3600)

    def test_iso_offset(self):
        """ISO 8601 with an offset or Z is that moment."""
        for text in ('2027-01-15T09:00+01:00', '2027-01-15T08:00Z', '2027-01-15T03:00-05:00'):
            self.assertEqual(parse_time(text).at(0), T0, text)

    def test_relative(self):
        """-1h, -7d, -30m, +90s, -1h30m and now-2w count from the clock's now."""
        cases = {'-1h': -3600, '-7d': -7 * 86400, '-30m': -1800, '-30min': -1800,
                 '+90s': 90, '-1h30m': -5400, 'now-2w': -14 * 86400, 'now': 0, 'NOW': 0,
                 '-1.5h': -5400}
        for text, offset in cases.items():
            spec = parse_time(text)
            self.assertTrue(spec.relative, text)
            self.assertEqual(spec.at(T0), T0 + offset, text)
            self.assertEqual(spec.at(T0 + 60), T0 + 60 + offset, text)

    def test_refused(self):
        """Anything else is a UsageError naming the forms taken."""
        for text in ('yesterday', '-1month', '-5', '1h', '2027-13-01', '', 'nan', '-1y'):
            if text == '-5':
                continue   # a negative epoch is a time, if an odd one
            with self.assertRaises(UsageError, msg=text) as caught:
                parse_time(text)
            self.assertIn('ISO 8601', str(caught.exception))

    def test_relative_after_option(self):
        """--start -1h reaches argparse as --start=-1h; other words stay as they are."""
        self.assertEqual(join_relative(['series', 'x', '--start', '-1h', '--end', '-30m',
                                        '-v', '--steps', '-1']),
                         ['series', 'x', '--start=-1h', '--end=-30m', '-v', '--steps', '-1'])
        self.assertTrue(looks_relative('-1h'))
        self.assertFalse(looks_relative('now'))
        self.assertFalse(looks_relative('-v'))


class TestShownTimes(unittest.TestCase):

    def test_zone(self):
        """Times are shown in the zone asked, DST included; None is the system's."""
        berlin = parse_zone('Europe/Berlin')
        self.assertEqual(local(T0, berlin).strftime('%H:%M %Z'), '09:00 CET')
        self.assertEqual(local(T0 + 180 * 86400, berlin).strftime('%H:%M %Z'), '10:00 CEST')
        self.assertIsNone(parse_zone(None))
        with self.assertRaises(UsageError):
            parse_zone('Mars/Base')

    def test_formats(self):
        """A table's times are as short as they can be; ISO keeps its offset."""
        utc = ZoneInfo('UTC')
        self.assertEqual(time_format([local(T0, utc), local(T0 + 60, utc)]), '%Y-%m-%d %H:%M')
        self.assertEqual(time_format([local(T0 - 8 * 3600, utc)]), '%Y-%m-%d')
        self.assertEqual(time_format([local(T0, utc), local(T0 + 5, utc)]),
                         '%Y-%m-%d %H:%M:%S')
        self.assertEqual(iso(T0, None), '2027-01-15T08:00:00+00:00')
        self.assertEqual(iso(T0, ZoneInfo('Europe/Berlin')), '2027-01-15T09:00:00+01:00')


class TestClock(unittest.TestCase):

    def run_main(self, *argv, clock=lambda: T0 + 30):
        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), stdout=out, stderr=err, environ={}, clock=clock)
        self.assertEqual((code, err.getvalue()), (0, ''))
        return json.loads(out.getvalue())

    def test_injected_clock(self):
        """The clock main() is given is now: get's default bucket and relative times."""
        store = ['--url', 'mongomock://', '--type', 'count', '--define-interval', 'minute:60']
        self.assertEqual(self.run_main('get', 'x', *store, '--format', 'json'),
                         {'x': {str(T0): 0}})
        got = self.run_main('series', 'x', *store, '--start', '-2m', '--end', 'now',
                            '--format', 'json')
        self.assertEqual(list(got['x']), [str(T0 - 120), str(T0 - 60), str(T0)])

    def test_now_option(self):
        """--now takes the clock's place."""
        got = self.run_main('--now', '2027-01-15T09:00:30Z', 'get', 'x', '--url',
                            'mongomock://', '--define-interval', 'minute:60', '--type',
                            'count', '--format', 'json', clock=lambda: 0)
        self.assertEqual(got, {'x': {str(T0 + 3600): 0}})
