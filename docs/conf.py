"""Sphinx configuration of kairos' documentation; `script/docs` builds it with -W."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import kairos  # noqa: E402  the path above makes the checkout's kairos the one documented

project = 'kairos'
author = 'kairos contributors'
copyright = 'kairos contributors, BSD licence'
version = release = kairos.__version__

extensions = ['sphinx.ext.autodoc']
autodoc_member_order = 'bysource'
autodoc_typehints = 'description'
autodoc_default_options = {'show-inheritance': True}
# the drivers are imported by the backends only when a client of theirs arrives
autodoc_mock_imports = []

master_doc = 'index'
exclude_patterns = ['_build']
html_theme = 'alabaster'
html_static_path = []
highlight_language = 'default'  # python, else plain text without a warning
nitpicky = False
