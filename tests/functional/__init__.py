"""Functional tests; the whole run records the Redis commands kairos sends (command_log.py)."""

from tests.functional import command_log


def setup_package():
    command_log.start()


def teardown_package():
    command_log.stop()
