"""Build the Sphinx docs with warnings as errors, then run every code block of the docs.

``script/docs`` (and the last stage of ``script/test``) runs this. It checks
README.rst with docutils (what PyPI renders; any warning fails), builds docs/
with ``sphinx -W`` into a temp dir, and then runs the code blocks of
README.rst and docs/*.rst, in that order:

    a block whose first line starts with ``>>>``    a doctest: run, its shown output compared
                                                   (ELLIPSIS and NORMALIZE_WHITESPACE on)
    ``.. code-block:: python``                     executed; it must not raise
    ``.. code-block:: console`` (shell, bash,      shown, never run
    text, ini, none)
    a bare ``::`` literal block                    refused: every block says what it is

Each document is one session: the names a block defines are seen by the
blocks after it. A session starts from clean data (the test Redis database
flushed, the test cluster's masters flushed, the SQL test databases' tables
dropped) in a fresh temp dir as the working directory, so that
``sqlite:///kairos.db`` is a temp file. The rst comment ``.. doctest-reset``
starts a new session in the middle of a document.

The docs show friendly addresses; before a block runs, its code (never its
shown output) gets the private test servers' addresses instead, from the
environment that ``script/test`` exports and from tests/support.py:

    shown in the docs                            runs against
    redis://localhost:6379/0                     KAIROS_TEST_REDIS_URL (redis_url())
    redis+cluster://localhost:7000               redis_cluster_url() (a private cluster)
    redis://localhost:7000                       a node of that cluster
    postgresql://kairos:secret@localhost/kairos  sql_url('postgresql'), scheme as shown
    (postgres:// alike)
    mysql://kairos:secret@localhost/kairos       sql_url('mysql'), scheme as shown
    (mariadb:// alike)
    mongodb://localhost:27017/                   KAIROS_TEST_MONGO_URL, else mongomock://
    pymongo.MongoClient('...'                    mongomock_ng.MongoClient( without
                                                 KAIROS_TEST_MONGO_URL (the URL dropped)

A whole run (no document named) then runs the examples in the docstrings of
every kairos module, which docs/api.rst shows, through the same addresses (and
``redis.Redis()`` and ``redis.asyncio.Redis()`` as the test Redis), each docstring
from clean data.

A failing block prints its file and line and makes the run exit 1. A block
that needs a server which is not installed is skipped with a line saying so,
except under ``CI=true``, where that fails (tests/support.py decides).

    script/docs                  everything
    script/docs --no-build       only the code blocks
    script/docs README.rst       only these documents' code blocks (and the build)
"""

import doctest
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
import unittest
import warnings
from typing import Callable, Dict, List, NamedTuple, Optional, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

SHOWN_ONLY = {'console', 'shell', 'bash', 'sh', 'text', 'ini', 'none', 'rst'}
RUN = {'python', 'py', 'python3', 'pycon'}
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

_DIRECTIVE = re.compile(r'^(\s*)\.\.\s+(code-block|code|sourcecode)::\s*(\S*)\s*$')
_OTHER_DIRECTIVE = re.compile(r'^(\s*)\.\.\s+[\w:-]+::')
_RESET = re.compile(r'^\s*\.\.\s+doctest-reset\s*$')


class Block(NamedTuple):
    """One code block: where it starts (1-based line of its first code line) and how to run it."""
    path: str
    line: int
    kind: str        # 'doctest', 'python', 'shown', 'reset' or 'bare'
    source: str


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _body(lines: List[str], start: int, parent: int) -> Tuple[int, int, List[str]]:
    """The lines after ``start`` indented deeper than ``parent``: (first line, next index, lines).

    Leading option lines (``:linenos:``) and blank lines are skipped; the block ends before
    the first non-blank line indented ``parent`` or less.
    """
    i = start + 1
    while i < len(lines) and (not lines[i].strip() or
                              (lines[i].strip().startswith(':') and _indent(lines[i]) > parent)):
        i += 1
    first, body = i, []
    while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > parent):
        body.append(lines[i])
        i += 1
    while body and not body[-1].strip():
        body.pop()
    depth = min((_indent(line) for line in body if line.strip()), default=0)
    return first + 1, i, [line[depth:] for line in body]


def blocks(path: str) -> List[Block]:
    """The code blocks of one rst document, in order."""
    with open(path, encoding='utf-8') as handle:
        lines = handle.read().splitlines()
    found, i, previous_blank = [], 0, True
    while i < len(lines):
        line = lines[i]
        directive = _DIRECTIVE.match(line)
        if _RESET.match(line):
            found.append(Block(path, i + 1, 'reset', ''))
        elif directive:
            language = directive.group(3).lower() or 'python'
            first, i, body = _body(lines, i, _indent(line))
            source = '\n'.join(body) + '\n'
            if body and body[0].startswith('>>>'):
                kind = 'doctest'
            elif language in RUN:
                kind = 'python'
            elif language in SHOWN_ONLY:
                kind = 'shown'
            else:
                kind = 'bare'
            found.append(Block(path, first, kind, source))
            previous_blank = True
            continue
        elif _OTHER_DIRECTIVE.match(line):
            # autodoc, toctree, contents...: their content is rst, not code
            _, i, _ = _body(lines, i, _indent(line))
            previous_blank = True
            continue
        elif line.rstrip().endswith('::') and not line.lstrip().startswith('..'):
            first, i, body = _body(lines, i, _indent(line))
            if body:
                kind = 'doctest' if body[0].startswith('>>>') else 'bare'
                found.append(Block(path, first, kind, '\n'.join(body) + '\n'))
            previous_blank = True
            continue
        elif previous_blank and line.lstrip().startswith('>>>'):
            # a doctest block: a paragraph of its own, up to the next blank line
            depth, start, body = _indent(line), i, []
            while i < len(lines) and lines[i].strip():
                body.append(lines[i][depth:])
                i += 1
            found.append(Block(path, start + 1, 'doctest', '\n'.join(body) + '\n'))
            continue
        previous_blank = not line.strip()
        i += 1
    return found


# -- the servers behind the friendly addresses ---------------------------------------------

class Servers:
    """The private test servers, started the first time a block names one."""

    def __init__(self):
        import tests.support as support
        self.support = support
        self.used: Dict[str, str] = {}

    def redis(self) -> str:
        return self.used.setdefault('redis', self.support.redis_url())

    def cluster(self) -> str:
        if 'cluster' not in self.used:
            self.used['cluster'] = self.support.redis_cluster_url().split('://', 1)[1]
        return 'redis+cluster://' + self.used['cluster'].rsplit('/', 1)[0]

    def sql(self, dialect: str, scheme: str) -> str:
        if dialect not in self.used:
            self.used[dialect] = self.support.sql_url(dialect).split('://', 1)[1]
        return scheme + '://' + self.used[dialect]

    def mongo(self) -> str:
        return os.environ.get('KAIROS_TEST_MONGO_URL') or 'mongomock://'

    def substitutions(self) -> List[Tuple[re.Pattern, Callable[[re.Match], str]]]:
        table = [
            (r'redis://localhost:6379/0', lambda m: self.redis()),
            (r'\bredis\.Redis\(\)', lambda m: 'redis.Redis.from_url(%r)' % self.redis()),
            (r'\bredis\.asyncio\.Redis\(\)',
             lambda m: 'redis.asyncio.Redis.from_url(%r)' % self.redis()),
            (r'redis\+cluster://localhost:7000', lambda m: self.cluster()),
            (r'redis://localhost:7000', lambda m: self.cluster().replace('+cluster', '')),
            (r'\b(postgresql|postgres)://kairos:secret@localhost(?::5432)?/kairos',
             lambda m: self.sql('postgresql', m.group(1))),
            (r'\b(mysql|mariadb)://kairos:secret@localhost(?::3306)?/kairos',
             lambda m: self.sql('mysql', m.group(1))),
            (r'mongodb://localhost:27017/', lambda m: self.mongo()),
        ]
        if not os.environ.get('KAIROS_TEST_MONGO_URL'):
            # the URL argument goes too: a mock client takes none
            table.insert(0, (r"\bpymongo\.MongoClient\(('[^']*'|\"[^\"]*\")?",
                             lambda m: 'mongomock_ng.MongoClient('))
        return [(re.compile(pattern), replace) for pattern, replace in table]

    def localize(self, source: str) -> str:
        for pattern, replace in self.substitutions():
            source = pattern.sub(replace, source)
        return source

    def clean(self) -> None:
        """Empty what the previous session wrote."""
        import redis
        redis.Redis.from_url(self.redis()).flushdb()
        if 'cluster' in self.used:
            client = redis.cluster.RedisCluster.from_url('redis://' + self.used['cluster'])
            client.flushall(target_nodes=redis.cluster.RedisCluster.PRIMARIES)
            client.close()
        for dialect in ('postgresql', 'mysql'):
            if dialect in self.used:
                engine = self.support.sql_engine(dialect)
                import sqlalchemy
                metadata = sqlalchemy.MetaData()
                metadata.reflect(engine)
                metadata.drop_all(engine)
                engine.dispose()


# -- running ---------------------------------------------------------------------------------

class Session:
    """The namespace and working directory the blocks of one document share."""

    def __init__(self, servers: Servers):
        self.servers = servers
        self.directory = tempfile.mkdtemp(prefix='kairos-docs-')
        servers.clean()
        self.globs = {'__name__': '__docs__'}

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    def run(self, block: Block) -> Optional[str]:
        """Run one block in this session; the failure report, or None when it passed."""
        source = self.servers.localize(block.source)
        if 'mongomock_ng.' in source:
            import mongomock_ng
            self.globs.setdefault('mongomock_ng', mongomock_ng)
        here = os.getcwd()
        os.chdir(self.directory)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter('default')
                if block.kind == 'python':
                    return self._exec(block, source)
                return self._doctest(block, source)
        finally:
            os.chdir(here)

    def _exec(self, block: Block, source: str) -> Optional[str]:
        try:
            # blank lines in front make tracebacks name the document's own line numbers
            exec(compile('\n' * (block.line - 1) + source, block.path, 'exec'), self.globs)
        except unittest.SkipTest:
            raise
        except BaseException:
            return '%s:%d: the block raised\n%s' % (block.path, block.line,
                                                    traceback.format_exc())
        return None

    def _doctest(self, block: Block, source: str) -> Optional[str]:
        test = doctest.DocTestParser().get_doctest(source, self.globs, block.path, block.path,
                                                   block.line - 1)
        report: List[str] = []
        runner = doctest.DocTestRunner(optionflags=FLAGS)
        result = runner.run(test, out=report.append, clear_globs=False)
        self.globs.update(test.globs)
        if result.failed:
            return '%s:%d: %d of %d examples failed\n%s' % (
                block.path, block.line, result.failed, result.attempted, ''.join(report))
        return None


def documents(names: List[str]) -> List[str]:
    if names:
        return [os.path.abspath(name) for name in names]
    return [os.path.join(ROOT, 'README.rst')] + sorted(glob.glob(os.path.join(ROOT, 'docs',
                                                                              '*.rst')))


def check_readme() -> List[str]:
    """README.rst as docutils (and so PyPI) renders it: every warning is a failure."""
    import docutils.core
    import docutils.utils
    path = os.path.join(ROOT, 'README.rst')
    with open(path, encoding='utf-8') as handle:
        text = handle.read()
    try:
        docutils.core.publish_doctree(text, source_path=path, settings_overrides={
            'halt_level': 2, 'report_level': 2, 'warning_stream': sys.stderr})
    except docutils.utils.SystemMessage as exc:
        return ['README.rst does not render cleanly: %s' % exc]
    return []


def build_sphinx() -> List[str]:
    """Build docs/ with warnings as errors; a failure names the warnings."""
    out = tempfile.mkdtemp(prefix='kairos-sphinx-')
    try:
        done = subprocess.run([sys.executable, '-m', 'sphinx', '-W', '--keep-going', '-q',
                               '-b', 'html', '-d', os.path.join(out, 'doctrees'),
                               os.path.join(ROOT, 'docs'), os.path.join(out, 'html')],
                              capture_output=True, text=True)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    if done.returncode:
        return ['sphinx -W failed:\n' + done.stderr + done.stdout]
    return []


def run_blocks(paths: List[str]) -> Tuple[List[str], int, List[str]]:
    """Run the blocks of ``paths``: (failures, blocks run, skip notes)."""
    servers, failures, skipped, ran = Servers(), [], [], 0
    for path in paths:
        shown = os.path.relpath(path, ROOT)
        session = Session(servers)
        try:
            for block in blocks(path):
                block = block._replace(path=shown)
                if block.kind == 'reset':
                    session.close()
                    session = Session(servers)
                elif block.kind == 'bare':
                    failures.append('%s:%d: a literal block without a language: use '
                                    '".. code-block:: python" (run) or "console" / "text" '
                                    '(shown only)' % (block.path, block.line))
                elif block.kind != 'shown':
                    try:
                        failure = session.run(block)
                    except unittest.SkipTest as exc:
                        skipped.append('%s:%d: skipped: %s' % (block.path, block.line, exc))
                        continue
                    ran += 1
                    if failure:
                        failures.append(failure)
        finally:
            session.close()
    return failures, ran, skipped


def run_docstrings() -> Tuple[List[str], int]:
    """Run the examples in the docstrings of every kairos module (what api.rst shows),
    each docstring a session of its own: (failures, docstrings run)."""
    import importlib
    import pkgutil

    import kairos
    servers, failures, ran = Servers(), [], 0
    finder = doctest.DocTestFinder(exclude_empty=True)
    names = ['kairos'] + [info.name for info in pkgutil.walk_packages(kairos.__path__,
                                                                       'kairos.')]
    for name in names:
        module = importlib.import_module(name)
        for test in finder.find(module):   # the module's own objects, not what it imports
            if not test.examples:
                continue
            for example in test.examples:
                example.source = servers.localize(example.source)
            session = Session(servers)
            here = os.getcwd()
            os.chdir(session.directory)
            try:
                report: List[str] = []
                result = doctest.DocTestRunner(optionflags=FLAGS).run(test, out=report.append)
            finally:
                os.chdir(here)
                session.close()
            ran += 1
            if result.failed:
                where = os.path.relpath(test.filename or name, ROOT)
                failures.append('%s:%s: the docstring of %s: %d of %d examples failed\n%s' % (
                    where, (test.lineno or 0) + 1, test.name, result.failed, result.attempted,
                    ''.join(report)))
    return failures, ran


def main(argv: List[str]) -> int:
    build = '--no-build' not in argv
    names = [arg for arg in argv if not arg.startswith('-')]
    failures = check_readme() + (build_sphinx() if build else [])
    run_failures, ran, skipped = run_blocks(documents(names))
    docstrings = 0
    if not names:
        docstring_failures, docstrings = run_docstrings()
        run_failures += docstring_failures
    failures += run_failures
    for line in skipped:
        print(line, file=sys.stderr)
    for failure in failures:
        print(failure, file=sys.stderr)
    print('script/docs: %d code blocks and %d docstrings run, %d failed%s%s' % (
        ran, docstrings, len(run_failures), ', %d skipped' % len(skipped) if skipped else '',
        '' if build else ' (no Sphinx build)'), file=sys.stderr)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
