"""Smoke test of an installed kairos: insert, get, series and delete on each URL given,
and its console script: ``kairos --help``, a ``kairos series`` of the first URL, and a
``kairos copy`` from the first URL to each other one.

    python -I smoke.py [--name NAME] URL... [--refuse URL=EXTRA]...

Run by script/artefacts with a venv's python from a temp dir, so that only the
installed package can be imported; it checks that this is so. A driver-less SQL
URL must reach the driver the extras install (psycopg 3, PyMySQL); each
``--refuse`` URL must raise UnsupportedClient naming ``pip install 'kairos[EXTRA]'``.
The statistic is NAME (default kairos-smoke), so that runs sharing a
database keep apart. Prints one line; exits non-zero on the first failure.
"""

import argparse
import importlib
import json
import os
import pkgutil
import subprocess
import sys
import sysconfig
import warnings

NOW = 1800000030  # the clock of every Timeseries here: 30 s into a minute
MINUTE = NOW - NOW % 60
# the scheme of a driver-less URL -> the (dialect, driver) its engine must have
DRIVERS = {'sqlite': ('sqlite', 'pysqlite'), 'postgresql': ('postgresql', 'psycopg'),
           'postgres': ('postgresql', 'psycopg'), 'mysql': ('mysql', 'pymysql'),
           'mariadb': ('mariadb', 'pymysql')}


def installed_kairos():
    """kairos, imported from this venv's site-packages and nowhere else."""
    if sys.prefix == sys.base_prefix:
        raise AssertionError('not in a venv: %s' % sys.prefix)
    import kairos
    site = {os.path.realpath(sysconfig.get_paths()[key]) for key in ('purelib', 'platlib')}
    package = os.path.dirname(os.path.realpath(kairos.__file__))
    if os.path.dirname(package) not in site:
        raise AssertionError('kairos from %s, not from %s' % (package, ' or '.join(site)))
    if not os.path.isfile(os.path.join(package, 'py.typed')):
        raise AssertionError('no py.typed in %s' % package)
    return kairos


def import_all(kairos):
    """Import every kairos module; only those needing an absent SQLAlchemy may fail."""
    count = 0
    for module in pkgutil.walk_packages(kairos.__path__, 'kairos.'):
        try:
            importlib.import_module(module.name)
            count += 1
        except ImportError as exc:
            if exc.name != 'sqlalchemy':
                raise
    return count


def exercise(kairos, url, name, command=False):
    """insert, get, series and delete on ``url``; the engine's driver for an SQL URL.
    ``command``: read the series with the console script too (:func:`series_command`)."""
    t = kairos.Timeseries(url, type='series', read_func=int, clock=lambda: NOW,
                          intervals={'minute': {'step': 60, 'steps': 5},
                                     'day': {'step': 'daily', 'timezone': 'Europe/Berlin'}})
    try:
        t.delete(name)  # what a failed run may have left
        t.insert(name, 3, NOW - 60)
        t.insert(name, 1, NOW)
        t.insert(name, 2, NOW)
        check('get', {MINUTE: [1, 2]}, t.get(name, 'minute'))
        check('series', {MINUTE - 60: [3], MINUTE: [1, 2]},
              t.series(name, 'minute', steps=2))
        check('every, median', {MINUTE - 120: 3.0, MINUTE: 1.5},
              t.series(name, 'minute', steps=2, every='2min', transform='median'))
        # Berlin's midnight of 2027-01-15 (zoneinfo, from the system or tzdata)
        check('get_many, local day', {name: {MINUTE - 9 * 3600: [3, 1, 2]}},
              t.get_many([name], 'day'))
        if command:
            series_command(url, name)
        t.delete(name)
        check('get after delete', {MINUTE: []}, t.get(name, 'minute'))
        return driver_of(url, t._client)
    finally:
        # the class's own methods: a Mongo Database makes up any attribute
        for method in ('dispose', 'close'):
            if hasattr(type(t._client), method):
                getattr(t._client, method)()
                break


def console_script():
    """The ``kairos`` command this venv installed; its --help must list the commands."""
    script = os.path.join(sysconfig.get_path('scripts'), 'kairos')
    done = subprocess.run([script, '--help'], capture_output=True, text=True)
    if done.returncode or 'series' not in done.stdout:
        raise AssertionError('kairos --help exited %d: %s' % (done.returncode,
                                                             done.stderr.strip()[-300:]))
    return script


def series_command(url, name):
    """``kairos series`` of what exercise() wrote, as JSON, must be what the API read."""
    done = subprocess.run([console_script(), 'series', name, '--url', url, '--type', 'series',
                           '-o', 'read_func="int"', '--define-interval', 'minute:60::5',
                           '--steps', '2', '--now', str(NOW), '--format', 'json'],
                          capture_output=True, text=True)
    if done.returncode or done.stderr:
        raise AssertionError('kairos series exited %d: %s' % (done.returncode,
                                                             done.stderr.strip()[-300:]))
    check('kairos series', {name: {str(MINUTE - 60): [3], str(MINUTE): [1, 2]}},
          json.loads(done.stdout))


def copy_command(kairos, urls, name):
    """``kairos copy`` from the first URL to each other one (but mongomock's, which lives in
    its process): the target's series must read as the source's."""
    flags = ['--type', 'series', '-o', 'read_func="int"', '--define-interval', 'minute:60::5',
             '--now', str(NOW)]
    seen, stores = set(), []
    for url in urls:   # one URL a store: postgres:// and mariadb:// name the others' stores
        same = url.replace('postgres://', 'postgresql://', 1).replace('mariadb://', 'mysql://', 1)
        if not url.startswith('mongomock:') and same not in seen:
            seen.add(same)
            stores.append(url)
    urls = stores
    opened = [kairos.Timeseries(url, type='series', read_func=int, clock=lambda: NOW,
                                intervals={'minute': {'step': 60, 'steps': 5}}) for url in urls]
    if len(opened) < 2:
        for t in opened:
            t.close()
        return None
    try:
        opened[0].insert(name, 3, NOW - 60)
        opened[0].bulk_insert({NOW: {name: [1, 2]}})
        for target, t in zip(urls[1:], opened[1:]):
            t.delete(name)
            done = subprocess.run([console_script(), 'copy', urls[0], target] + flags,
                                  capture_output=True, text=True)
            if done.returncode or 'copied 2 buckets' not in done.stdout:   # two minutes
                raise AssertionError('kairos copy to %s exited %d: %s %s' % (
                    target, done.returncode, done.stdout.strip(), done.stderr.strip()[-300:]))
            series_command(target, name)
            t.delete(name)
        return 'kairos copy to %d stores' % (len(opened) - 1)
    finally:
        opened[0].delete(name)
        for t in opened:
            t.close()


def check(what, expected, got):
    if dict(got) != expected:
        raise AssertionError('%s: %r, expected %r' % (what, dict(got), expected))


def driver_of(url, client):
    scheme = url.split('://', 1)[0]
    if scheme not in DRIVERS:
        return scheme
    got = (client.dialect.name, client.dialect.driver)
    if got != DRIVERS[scheme]:
        raise AssertionError('%s:// built %s+%s, expected %s+%s'
                             % ((scheme,) + got + DRIVERS[scheme]))
    return '%s->%s+%s' % ((scheme,) + got)


def refused(kairos, url, extra):
    """``url`` must raise UnsupportedClient naming the extra to install."""
    wanted = "pip install 'kairos[%s]'" % extra
    try:
        kairos.Timeseries(url, type='series', intervals={'minute': {'step': 60}})
    except kairos.UnsupportedClient as exc:
        if wanted not in str(exc):
            raise AssertionError('%s: %r does not say %s' % (url, str(exc), wanted))
        return '%s:// refused ([%s])' % (url.split('://', 1)[0], extra)
    raise AssertionError('%s was accepted; expected %s' % (url, wanted))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('urls', nargs='*', metavar='URL')
    parser.add_argument('--name', default='kairos-smoke')
    parser.add_argument('--refuse', action='append', default=[], metavar='URL=EXTRA')
    args = parser.parse_args(argv)
    kairos = installed_kairos()
    warnings.simplefilter('error', kairos.KairosWarning)
    modules = import_all(kairos)
    results = [exercise(kairos, url, args.name, command=n == 0)
               for n, url in enumerate(args.urls)]
    if args.urls:
        results.append('kairos series by the console script')
    copied = copy_command(kairos, args.urls, args.name) if args.urls else None
    if copied:
        results.append(copied)
    results += [refused(kairos, *item.rsplit('=', 1)) for item in args.refuse]
    try:
        import sqlalchemy
        results.append('SQLAlchemy %s' % sqlalchemy.__version__)
    except ImportError:
        pass
    print('kairos %s from site-packages, %d modules; %s'
          % (kairos.__version__, modules, ', '.join(results)))


if __name__ == '__main__':
    main()
