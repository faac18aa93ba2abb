"""The Mongo backend's calls that differ between blocking and asyncio clients.

Everything else the backend calls (``bulk_write``, ``update_one``,
``find_one``, ``distinct``, ``delete_many``, ``create_index``) is the same
method on a pymongo ``Collection`` and on an asyncio one (pymongo's
``AsyncCollection``, motor's): the steps yield it, and the driver of their
kind calls or awaits it. What differs is reading a cursor whole.
"""

import sys
from typing import Any, Callable, Dict, List

Spec = Dict[str, Any]
Sort = List[Any]


class Reads:
    """How a backend reads its collections' cursors."""

    def __init__(self, mock_4: bool):
        self.mock_4 = mock_4   # the original mongomock: no UpdateOne in bulk_write


class Blocking(Reads):
    """Reads of pymongo and mongomock collections."""

    @staticmethod
    def find(collection: Any, spec: Spec, sort: Sort, fields: Any = None) -> List[Any]:
        return list(collection.find(spec, fields, sort=sort))

    @staticmethod
    def fetch(fetch: Callable[..., Any], collection: Any, spec: Spec, sort: Sort) -> List[Any]:
        """The documents a read's ``fetch`` finds (its cursor read whole)."""
        return list(fetch(collection, spec=spec, sort=sort, method='find'))

    @staticmethod
    def fetch_one(fetch: Callable[..., Any], collection: Any, spec: Spec) -> Any:
        return fetch(collection, spec=spec, method='find_one')


class Awaiting(Reads):
    """Reads of asyncio collections: pymongo's AsyncCollection, motor's, mongomock_motor's.

    A ``fetch`` gets the asyncio collection: what it returns for ``find`` is
    a cursor (read with ``to_list``), for ``find_one`` an awaitable or a document.
    """

    @staticmethod
    async def find(collection: Any, spec: Spec, sort: Sort, fields: Any = None) -> List[Any]:
        found: List[Any] = await collection.find(spec, fields, sort=sort).to_list(None)
        return found

    @staticmethod
    async def fetch(fetch: Callable[..., Any], collection: Any, spec: Spec,
                    sort: Sort) -> List[Any]:
        found: List[Any] = await fetch(collection, spec=spec, sort=sort,
                                       method='find').to_list(None)
        return found

    @staticmethod
    async def fetch_one(fetch: Callable[..., Any], collection: Any, spec: Spec) -> Any:
        found = fetch(collection, spec=spec, method='find_one')
        return await found if hasattr(found, '__await__') else found


def is_async(database: Any) -> bool:
    """Whether ``database`` is an asyncio Database (pymongo's, motor's or a mock of it)."""
    asynchronous = sys.modules.get('pymongo.asynchronous.database')
    if asynchronous is not None and isinstance(database, asynchronous.AsyncDatabase):
        return True
    motor = sys.modules.get('motor.motor_asyncio')
    return motor is not None and isinstance(database, motor.AsyncIOMotorDatabase)


def mongo_io(database: Any) -> Any:
    """The reads for ``database``'s kind of client."""
    # mongomock_motor's database (a motor one to isinstance) wraps a mock's as ``delegate``
    mongomock = sys.modules.get('mongomock')
    awaiting = is_async(database)
    mock_4 = mongomock is not None and isinstance(
        getattr(database, 'delegate', None) if awaiting else database, mongomock.Database)
    return Awaiting(mock_4) if awaiting else Blocking(mock_4)
