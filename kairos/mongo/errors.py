"""pymongo's errors as kairos's: the class, a message naming the servers, and what a
failed write applied (``applied``: False nothing, True some, None unknown)."""

import sys
from typing import Any, Optional

from pymongo.errors import (BulkWriteError, ConnectionFailure, InvalidOperation, OperationFailure,
                            PyMongoError, ServerSelectionTimeoutError, WriteConcernError)

from ..exceptions import (AuthenticationError, DataConflict, KairosException, StorageError,
                          StorageUnavailable)

# OperationFailure codes refusing the client's credentials (AuthenticationFailed) or, for
# a client that did not authenticate or lacks the rights, the command (Unauthorized)
AUTH_CODES = {18, 13}


def kairos_error(exc: PyMongoError, write: bool, database: Any) -> KairosException:
    """The KairosException for ``exc``, raised by a read or (``write``) a write."""
    error = _translated(exc, write, server_name(database))
    if write:
        error.applied = applied(exc)
    return error


def _translated(exc: PyMongoError, write: bool, server: str) -> KairosException:
    if isinstance(exc, ServerSelectionTimeoutError):   # no server to send it to
        return StorageUnavailable('MongoDB at %s is unreachable%s: %s' % (
            server, '; nothing was written' if write else '', exc))
    if isinstance(exc, ConnectionFailure):
        return StorageUnavailable('MongoDB at %s is unreachable%s: %s' % (
            server, '; the write\'s outcome is unknown' if write else '', exc))
    if isinstance(exc, OperationFailure) and exc.code in AUTH_CODES:
        return AuthenticationError('authentication failed: MongoDB at %s refused this '
                                   'client\'s credentials or their rights: %s'
                                   % (server, exc))
    if isinstance(exc, WriteConcernError):
        return StorageUnavailable('MongoDB at %s applied the write but could not confirm '
                                  'its write concern: %s' % (server, exc))
    if isinstance(exc, OperationFailure):
        return DataConflict('MongoDB refused the command: %s' % exc)
    if isinstance(exc, InvalidOperation) and 'after close' in str(exc):
        return StorageError('the MongoDB client of %s is closed: %s' % (server, exc))
    return StorageError('MongoDB at %s failed the call: %s' % (server, exc))


def applied(exc: PyMongoError) -> Optional[bool]:
    """What a write that failed with ``exc`` applied: False nothing (no server to send it
    to, a refusal, a closed client), True some (requests of an ordered bulk_write before
    the refused one; a write concern not met), None unknown (the connection broke)."""
    if isinstance(exc, ServerSelectionTimeoutError):
        return False
    if isinstance(exc, ConnectionFailure):
        return None
    if isinstance(exc, WriteConcernError):
        return True
    if isinstance(exc, BulkWriteError):
        details = exc.details or {}
        return bool(details.get('writeConcernErrors')) or any(
            details.get(field) for field in ('nUpserted', 'nMatched', 'nModified',
                                             'nInserted', 'nRemoved'))
    if isinstance(exc, OperationFailure) or \
            isinstance(exc, InvalidOperation) and 'after close' in str(exc):
        return False
    return None


def server_name(database: Any) -> str:
    """host:port of each server a pymongo client knows (no credentials), for messages."""
    pymongo = sys.modules['pymongo']
    client = database.client
    if isinstance(client, pymongo.MongoClient):
        addresses = list(client.topology_description.server_descriptions())
        if addresses:
            return ','.join('%s:%s' % address for address in addresses)
    return type(client).__module__.split('.')[0]   # a mock: no address
