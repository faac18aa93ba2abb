"""Build the sdist and the wheel, check what they hold, and smoke-test each installed.

Run by script/artefacts (and so by script/test) with .venv's python:

1. ``python -m build`` makes the sdist, then the wheel from the unpacked sdist, in a
   temp dir, with the setuptools that development.pip pins into .venv.
2. Both must hold every file under kairos/ in the checkout (and the wheel nothing
   else of kairos/), the license file and ``License-Expression``; the sdist also
   what running the tests needs.
3. Each artefact goes into a fresh venv per extra, its dependencies resolved by pip
   from the indexes pip is configured with (e.g. local mirrors), as a user's would
   be; script/smoke.py then runs there from a temp dir with ``python -I`` on every
   backend that extra serves, connecting by URL to private servers that
   tests/support.py starts. One line per venv; any failure exits 1.

Without PostgreSQL or MariaDB installed, the venvs needing them are skipped
(reported), except under ``CI=true``, where that fails.
"""

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.support import MariadbServer, PostgresServer, RedisServer  # noqa: E402

# what a user running the tests from an unpacked sdist needs besides kairos/
SDIST_NEEDS = ('pyproject.toml', 'setup.py', 'LICENSE.txt', 'README.rst', 'requirements.pip',
               'development.pip', 'script/bootstrap', 'script/test', 'tests/support.py')
# what git ignores in a checkout (.gitignore) and .git itself
LEFTOVERS = ('.git', '.venv', '__pycache__', '*.py[co]', '*.egg-info', 'build', 'dist',
             '.hypothesis', '.eggs')
CI = os.environ.get('CI') == 'true'
JOBS = 2


class Failed(Exception):
    pass


def run(command, log, **kwargs):
    """Run ``command``, its output appended to ``log``; Failed with the log's tail."""
    with open(log, 'a') as out:
        out.write('$ %s\n' % ' '.join(command))
        out.flush()
        done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, **kwargs)
    if done.returncode:
        with open(log, errors='replace') as out:
            tail = [line for line in out.read().splitlines()
                    if line.strip() and 'is ignored' not in line][-15:]
        raise Failed('%s exited %d:\n    %s' % (os.path.basename(command[0]) + ' ' +
                                                ' '.join(command[1:3]), done.returncode,
                                                '\n    '.join(tail)))


def clean_environment():
    """The environment minus what would let a venv see the checkout or .venv."""
    return {key: value for key, value in os.environ.items()
            if key not in ('PYTHONPATH', 'PYTHONHOME', 'VIRTUAL_ENV', 'PYTHONSTARTUP')}


def build(work):
    """The sdist and the wheel (built from the sdist), as paths.

    They are built from a copy of the checkout without what builds and runs leave
    (an old kairos.egg-info would add its file list to the sdist).
    """
    source, dist = os.path.join(work, 'source'), os.path.join(work, 'dist')
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(*LEFTOVERS))
    # --no-isolation: .venv's pinned setuptools builds, so no index is needed here
    run([sys.executable, '-m', 'build', '--no-isolation', '--outdir', dist, source],
        os.path.join(work, 'build.log'), cwd=work, env=clean_environment())
    names = sorted(os.listdir(dist))
    sdists = [name for name in names if name.endswith('.tar.gz')]
    wheels = [name for name in names if name.endswith('.whl')]
    if len(sdists) != 1 or len(wheels) != 1:
        raise Failed('build made %s, not one sdist and one wheel' % names)
    return os.path.join(dist, sdists[0]), os.path.join(dist, wheels[0])


def package_files():
    """Every file under the checkout's kairos/, relative to ROOT (no bytecode)."""
    found = set()
    for directory, subdirectories, files in os.walk(os.path.join(ROOT, 'kairos')):
        subdirectories[:] = [name for name in subdirectories if name != '__pycache__']
        for name in files:
            if not name.endswith(('.pyc', '.pyo')):
                path = os.path.relpath(os.path.join(directory, name), ROOT)
                found.add(path.replace(os.sep, '/'))
    return found


def check_contents(sdist, wheel):
    """Failed unless both artefacts ship the whole package; a line saying what they hold."""
    expected = package_files()
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = set(archive.namelist())
        metadata = next(name for name in in_wheel if name.endswith('.dist-info/METADATA'))
        headers = archive.read(metadata).decode().split('\n\n', 1)[0]
    with tarfile.open(sdist) as archive:
        in_sdist = {name.split('/', 1)[1] for name in archive.getnames() if '/' in name}
    problems = []
    shipped = {name for name in in_wheel if name.startswith('kairos/')}
    if shipped != expected:
        problems.append('wheel lacks %s, has extra %s' % (sorted(expected - shipped),
                                                          sorted(shipped - expected)))
    if not expected <= in_sdist:
        problems.append('sdist lacks %s' % sorted(expected - in_sdist))
    missing = [name for name in SDIST_NEEDS if name not in in_sdist]
    if missing:
        problems.append('sdist lacks %s' % missing)
    if not any(re.search(r'\.dist-info/licenses/LICENSE\.txt$', name) for name in in_wheel):
        problems.append('wheel lacks LICENSE.txt')
    if 'License-Expression: BSD-3-Clause' not in headers.splitlines():
        problems.append('wheel METADATA has no License-Expression: BSD-3-Clause')
    if problems:
        raise Failed('; '.join(problems))
    subpackages = sorted({os.path.dirname(name) for name in expected} - {'kairos'})
    return ('%s and %s: all %d files of kairos/ (subpackages %s, py.typed), LICENSE.txt, '
            'License-Expression: BSD-3-Clause; the sdist %d files in all'
            % (os.path.basename(sdist), os.path.basename(wheel), len(expected),
               ', '.join(subpackages) or 'none', len(in_sdist)))


def start_servers():
    """kind -> the driver-less URL of a private server (None: not installed, outside CI)."""
    servers, urls = [], {}
    try:
        for kind, server_class in (('redis', RedisServer), ('postgresql', PostgresServer),
                                   ('mysql', MariadbServer)):
            if kind != 'redis' and not server_class.available():
                if CI:
                    raise Failed('CI=true and %s is not installed' % kind)
                urls[kind] = None
                continue
            servers.append(server_class())
            servers[-1].start()
            # the test suite's URLs name a driver; a user's need not
            urls[kind] = re.sub(r'^(\w+)\+\w+://', r'\1://', servers[-1].url)
    except BaseException:
        stop_servers(servers)
        raise
    return servers, urls


def stop_servers(servers):
    for server in servers:
        server.stop()


def smoke_arguments(extra, urls, directory):
    """The smoke program's URLs for a venv of ``extra``, or why it cannot run."""
    sqlite = 'sqlite:///' + os.path.join(directory, 'smoke.db')
    if extra == '':
        return [urls['redis'], 'mongomock://', '--refuse', sqlite + '=sql',
                '--refuse', 'postgresql://h/db=postgresql', '--refuse', 'mysql://h/db=mysql']
    if extra == 'sql':
        return [sqlite, '--refuse', 'postgres://h/db=postgresql',
                '--refuse', 'mariadb://h/db=mysql']
    url = urls[extra]
    if url is None:
        return '%s is not installed' % extra
    if extra == 'postgresql':
        return [url, url.replace('postgresql://', 'postgres://', 1), sqlite,
                '--refuse', 'mysql://h/db=mysql']
    return [url, url.replace('mysql://', 'mariadb://', 1), sqlite,
            '--refuse', 'postgresql://h/db=postgresql']


def pinned(name):
    """``name``'s requirement line in development.pip (the versions the tests use)."""
    with open(os.path.join(ROOT, 'development.pip')) as pins:
        for line in pins:
            if line.split('==')[0].strip().lower() == name:
                return line.strip()
    return name


def try_venv(number, artefact, extra, also, urls, work):
    """Install ``artefact[extra]`` (and ``also``) into a new venv and smoke-test it there."""
    directory = tempfile.mkdtemp(prefix='venv-', dir=work)
    log = os.path.join(directory, 'log')
    arguments = smoke_arguments(extra, urls, directory)
    if isinstance(arguments, str):
        if CI:
            raise Failed(arguments)
        return 'skipped: ' + arguments
    started = time.monotonic()
    env = clean_environment()
    venv = os.path.join(directory, 'venv')
    run([sys.executable, '-m', 'venv', '--without-pip', venv], log, env=env)
    python = os.path.join(venv, 'bin', 'python')
    requirement = 'kairos%s @ file://%s' % ('[%s]' % extra if extra else '', artefact)
    # .venv's pip installs into the new venv, resolving every dependency for it;
    # bytecode is left to the first import, which compiles what runs
    run([sys.executable, '-m', 'pip', '--python', python, 'install', '-q', '--no-compile',
         '--disable-pip-version-check', requirement] + also, log, env=env)
    shutil.copy(os.path.join(ROOT, 'script', 'smoke.py'), directory)
    here = tempfile.mkdtemp(dir=directory)
    with open(log, 'a') as out:
        done = subprocess.run([python, '-I', os.path.join(directory, 'smoke.py'),
                               '--name', 'kairos-smoke-%d' % number] + arguments,
                              cwd=here, env=env, stdout=subprocess.PIPE, stderr=out,
                              stdin=subprocess.DEVNULL, universal_newlines=True)
    if done.returncode:
        with open(log, errors='replace') as out:
            raise Failed('smoke.py exited %d:\n    %s' % (
                done.returncode, '\n    '.join(out.read().splitlines()[-12:])))
    shutil.rmtree(directory, ignore_errors=True)
    return 'ok (%.0f s) %s' % (time.monotonic() - started, done.stdout.strip())


def venvs(sdist, wheel):
    """(label, artefact, extra, other requirements) of each venv to try."""
    for kind, path in (('sdist', sdist), ('wheel', wheel)):
        for extra in ('', 'sql', 'postgresql', 'mysql'):
            # mongomock-ng: the test double a user brings
            also = [] if extra else [pinned('mongomock-ng')]
            yield '%s %s' % (kind, '[%s]' % extra if extra else '(no extra)'), path, extra, also
    # SQLAlchemy 2.0 picks psycopg2 for postgresql://, 2.1 psycopg: kairos psycopg on both
    yield 'wheel [postgresql] + SQLAlchemy<2.1', wheel, 'postgresql', ['SQLAlchemy<2.1']


def attempt(number, venv, urls, work):
    label, path, extra, also = venv
    try:
        return label, try_venv(number, path, extra, also, urls, work)
    except Failed as exc:
        return label, 'FAILED ' + str(exc)


def main():
    work = tempfile.mkdtemp(prefix='kairos-artefacts-')
    servers = []
    failed = False
    try:
        sdist, wheel = build(work)
        print('artefacts: ' + check_contents(sdist, wheel), flush=True)
        servers, urls = start_servers()
        # two at a time: a venv's time goes mostly to one busy pip process
        with ThreadPoolExecutor(JOBS) as pool:
            for label, result in pool.map(lambda item: attempt(item[0], item[1], urls, work),
                                          enumerate(venvs(sdist, wheel))):
                failed = failed or result.startswith('FAILED')
                print('artefacts: %-36s %s' % (label, result), flush=True)
    except Failed as exc:
        failed = True
        print('artefacts: FAILED ' + str(exc), flush=True)
    finally:
        stop_servers(servers)
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
