"""The ``kairos`` command: look at stored time series, as tables, formats and charts.

::

    kairos list [PATTERN]        the names stored, per configuration
    kairos info NAME...          each interval's step, retention, first and last bucket
    kairos get NAME...           the bucket holding a time (default now)
    kairos series NAME...        a run of buckets: a table, csv, json, jsonl or a chart
    kairos watch NAME...         a series redrawn every few seconds, until Ctrl-C

Where the data is comes from ``--url`` (or ``KAIROS_URL``) and flags, or from a
TOML file of configurations (:mod:`kairos.cli.config` draws its schema). The
modules, one idea each::

    app.py       main(): parsing, errors as one line and an exit code, -v's logging
    registry.py  the commands by name, and the modules that define them
    options.py   the options commands share: where the data is, output, times
    config.py    the TOML schema and the flags, as Configuration objects
    context.py   a run's streams, environment and clock; opening a configuration
    times.py     times on the command line (epoch, ISO 8601, -1h) and times shown
    output.py    the formats; table.py the aligned table; values.py a row's value shown
    look.py      list, info;  reading.py get, series;  watch.py watch
    rows.py      a read's rows in each format;  charts.py plotext and matplotlib charts

``python -m kairos`` is the same command. ``main(argv, stdout=..., clock=...)``
runs it in-process, as the tests and the docs do.
"""

from .app import main, run

__all__ = ['main', 'run']
