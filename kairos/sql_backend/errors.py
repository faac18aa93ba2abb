"""The SQL backend's error translation: the kairos error for an SQLAlchemy or driver
error, and which errors leave a transaction rolled back, so that it may run again.

The asyncio drivers' errors come wrapped as the blocking ones' do (``exc.orig`` the
driver's: sqlite3's for aiosqlite, PyMySQL's for aiomysql, asyncmy's own, and for asyncpg
SQLAlchemy's stand-in, which carries the ``sqlstate``), with two differences, which the
translation evens out: asyncpg's server errors other than constraint, syntax and
access errors are all plain DBAPIErrors (their SQLSTATE class tells the ones psycopg
raises as OperationalError), and a server asyncpg cannot reach raises the OSError
itself, unwrapped.
"""

from typing import Any

from sqlalchemy import exc as sa_exc

from ..exceptions import (AuthenticationError, DataConflict, KairosException, StorageError,
                          StorageUnavailable)

# driver errors after which a transaction was certainly rolled back, so it may run again
# deadlock, lock wait timeout, and MariaDB's 4060: a transaction a deadlock rolled back,
# reported at COMMIT ("This transaction was rolled back and cannot be committed")
_RETRY_CODES = {1213, 1205, 4060, '40P01', '40001'}

# SQLSTATE (PostgreSQL) and error numbers (MariaDB/MySQL) refusing the credentials
# (28P01, 28000, 1045, 1698: unix_socket) or the database to the user (1044)
_AUTH_CODES = {'28P01', '28000', 1044, 1045, 1698}
# what libpq says for a refusal before the server sends an SQLSTATE
_AUTH_MESSAGES = ('password authentication failed', 'no password supplied',
                  'no pg_hba.conf entry', 'authentication failed')
# the SQLSTATE classes of what psycopg raises as OperationalError: connection exception,
# transaction rollback, insufficient resources, program limit exceeded, object not in
# prerequisite state (a lock not available), operator intervention, system error
_OPERATIONAL_CLASSES = ('08', '40', '53', '54', '55', '57', '58')
# what a call raises: SQLAlchemy's errors, and OSError from an asyncio driver connecting
CallError = (sa_exc.SQLAlchemyError, OSError)


def server_name(dialect: str, url: Any) -> str:
    """How errors name the database: its dialect and its host:port, host or database."""
    return '%s database at %s' % (dialect, '%s:%s' % (url.host, url.port)
                                  if url.port else url.host or url.database)


def kairos_error(exc: Exception, write: bool, dialect: str,
                 url: Any, callers: bool = False) -> KairosException:
    """The kairos error for a call's error (``CallError``) on the ``dialect`` database at
    ``url``, saying only what is known of the call: a write that failed before its COMMIT
    was rolled back (``applied`` False), one that failed in its COMMIT may have landed (None).
    ``callers``: the write ran in the caller's own transaction (``pipeline=``)."""
    error = _translated(exc, write, server_name(dialect, url), callers)
    error.applied = None if write and not callers and _in_commit(exc) else False
    return error


def in_callers_transaction(error: KairosException, earlier: int) -> None:
    """Mark a ``pipeline=`` write's error raised after ``earlier`` of its statements ran in
    the caller's transaction: whether those are kept is the caller's to decide."""
    if earlier:
        error.applied = None
        error.args = ("%s (before this, %d statement(s) of this write ran in the caller's "
                      "transaction, which decides whether they are kept)" % (error, earlier),)


def _translated(exc: Exception, write: bool, server: str,
                callers: bool = False) -> KairosException:
    in_commit = write and _in_commit(exc)
    if isinstance(exc, OSError):   # no connection made: as a driver's OperationalError
        exc = sa_exc.OperationalError(None, None, exc)
    if not isinstance(exc, sa_exc.DBAPIError):   # the pool's or a closed Connection's
        error = StorageUnavailable if isinstance(exc, sa_exc.TimeoutError) else StorageError
        return error('the %s failed the call%s: %s' % (
            server, ', which wrote nothing' if write else '', exc))
    if _refuses_credentials(exc.orig):
        return AuthenticationError('authentication failed: the %s refused this client\'s '
                                   'credentials or their rights: %s' % (server, exc.orig))
    if write and callers:   # the statement failed; the transaction is the caller's
        return (StorageUnavailable if _unavailable(exc) else DataConflict)(
            "the %s refused a statement of the write in the caller's transaction "
            "(pipeline=): %s" % (server, exc.orig))
    if _unavailable(exc):
        return StorageUnavailable('the %s failed %s: %s' % (
            server, 'the write\'s COMMIT, so its outcome is unknown' if in_commit else
            'the write, whose transaction is rolled back' if write else
            'the call, which wrote nothing', exc.orig))
    return DataConflict('the %s refused the %s: %s' % (
        server, 'COMMIT of the write, so its outcome is unknown' if in_commit else
        'statement (its transaction is rolled back)' if write else 'statement', exc.orig))


def _in_commit(exc: BaseException) -> bool:
    """Whether ``exc`` was raised while SQLAlchemy committed a transaction: the COMMIT may
    have reached the database, and been applied, before the connection failed."""
    frame = exc.__traceback__
    while frame is not None:
        if frame.tb_frame.f_code.co_name == '_commit_impl':
            return True
        frame = frame.tb_next
    return False


def _driver_error(exc: Exception) -> BaseException:
    """The DB-API driver's error inside an SQLAlchemy one, else the SQLAlchemy error
    itself (a pool timeout, a closed Connection)."""
    orig = getattr(exc, 'orig', None)
    return orig if isinstance(orig, BaseException) else exc


def _refuses_credentials(orig: Any) -> bool:
    """Whether a DB-API error is the server refusing the client's credentials or rights."""
    if _code(orig) in _AUTH_CODES:
        return True
    message = str(orig)
    return type(orig).__name__ == 'OperationalError' and any(
        words in message for words in _AUTH_MESSAGES)


def _unavailable(exc: Any) -> bool:
    """Whether an SQLAlchemy error says the database could not be reached or refused the
    client (not a statement)."""
    return exc.connection_invalidated or isinstance(exc, (
        sa_exc.OperationalError, sa_exc.InterfaceError)) or \
        str(getattr(exc.orig, 'sqlstate', None) or '')[:2] in _OPERATIONAL_CLASSES


def _rolled_back(exc: Any) -> bool:
    """True for a deadlock or lock timeout: the database undid the whole transaction."""
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if _code(exc.orig) in _RETRY_CODES:
        return True
    return isinstance(exc, sa_exc.OperationalError) and 'database is locked' in str(exc.orig)


def _code(orig: Any) -> Any:
    """A DB-API error's code: psycopg's SQLSTATE, or the error number PyMySQL and MySQLdb
    give as their first argument."""
    return getattr(orig, 'sqlstate', None) or (orig.args[0] if getattr(orig, 'args', None)
                                               else None)
