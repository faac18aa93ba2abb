"""The ``kairos`` logger: slow calls, the driver chosen for a URL, and no handlers of
its own."""

import importlib
import logging
import unittest
from unittest import mock

import kairos.log
import kairos.urls
from kairos.steps import run
from kairos.urls import sql_url


def _steps():
    """Steps of one call, named as a public call's are."""
    yield (lambda: None,)
    return 'done'


class TestLog(unittest.TestCase):

    def test_no_handlers_of_its_own(self):
        """The application decides where kairos's records go."""
        self.assertEqual([], logging.getLogger('kairos').handlers)

    def test_slow_call_is_logged_at_info(self):
        """A call taking SLOW_SECONDS or longer is recorded with its name and time."""
        with mock.patch.object(kairos.log, 'SLOW_SECONDS', 0.0), \
                self.assertLogs('kairos', 'INFO') as logs:
            self.assertEqual('done', run(_steps()))
        self.assertEqual(1, len(logs.records))
        self.assertRegex(logs.output[0], r'INFO:kairos:steps took \d+\.\d{3} s')

    def test_fast_call_is_not_logged(self):
        with mock.patch.object(kairos.log, 'SLOW_SECONDS', 3600.0), \
                self.assertNoLogs('kairos', 'DEBUG'):
            run(_steps())

    def test_first_driver_is_not_logged(self):
        """mysql:// with mysqlclient installed says nothing."""
        with mock.patch.object(kairos.urls.importlib, 'import_module', lambda name: None), \
                self.assertNoLogs('kairos', 'DEBUG'):
            self.assertEqual('mysql+mysqldb://u@h/db', sql_url('mysql://u@h/db'))

    def test_driver_fallback_is_logged(self):
        """mysql:// without mysqlclient uses PyMySQL, and says so."""
        real = importlib.import_module

        def without_mysqldb(name, *args, **kwargs):
            if name == 'MySQLdb':
                raise ImportError(name)
            return real(name, *args, **kwargs)
        with mock.patch.object(kairos.urls.importlib, 'import_module', without_mysqldb), \
                self.assertLogs('kairos', 'INFO') as logs:
            self.assertEqual('mysql+pymysql://u@h/db', sql_url('mysql://u@h/db'))
        self.assertIn('MySQLdb is not installed, so the pymysql driver is used', logs.output[0])
