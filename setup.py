"""The metadata lives in pyproject.toml; this file lets ``python setup.py --version``
and tools that still call setup.py read it."""

from setuptools import setup

setup()
