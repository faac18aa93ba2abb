"""An asyncio client from a URL: what :mod:`kairos.urls` builds, for kairos.asyncio.

What each scheme builds::

    redis://  rediss://  unix://   redis.asyncio.Redis.from_url(url, **client_config)
    mongodb://  mongodb+srv://     pymongo.AsyncMongoClient(url, **client_config)[database]
    mongomock://[/database]        mongomock_motor's client over a mongomock_ng (or
                                   mongomock) client
    sqlite://  postgresql://  ...  sqlalchemy.ext.asyncio.create_async_engine(url)

An SQL URL without ``+driver`` gets the first installed asyncio driver
(``DRIVERS``): ``sqlite+aiosqlite``; ``postgresql+asyncpg``, else
``+psycopg``; ``mysql+asyncmy``, else ``+aiomysql``; ``pip install
'kairos[asyncio]'`` brings them. Each client is released by the awaited
``close()`` of its Timeseries.
"""

from typing import Any, Awaitable, Callable, Dict, Optional
from urllib.parse import urlsplit

from ..exceptions import UnsupportedClient
from ..urls import CLUSTER, DEFAULT_DATABASE, MONGO, REDIS, Drivers, _mongo, safe, sql_engine

_MYSQL = ('asyncio', 'an asyncio MySQL driver', (('asyncmy', 'asyncmy'), ('aiomysql', 'aiomysql')))
DRIVERS: Drivers = {
    'sqlite': ('asyncio', 'an asyncio SQLite driver', (('aiosqlite', 'aiosqlite'),)),
    'postgresql': ('asyncio', 'an asyncio PostgreSQL driver',
                   (('asyncpg', 'asyncpg'), ('psycopg', 'psycopg'))),
    'mysql': _MYSQL,
    'mariadb': _MYSQL,
}


def _redis(url: str, config: Dict[str, Any], database: Optional[str]) -> Any:
    import redis.asyncio
    return redis.asyncio.Redis.from_url(url, **config)


def _cluster(url: str, config: Dict[str, Any], database: Optional[str]) -> Any:
    raise UnsupportedClient('%s: kairos.asyncio does not take a Redis Cluster; '
                            'kairos.Timeseries does' % safe(url))


def _mongo_async(url: str, config: Dict[str, Any], database: Optional[str]) -> Any:
    import pymongo
    return _mongo(url, config, database, pymongo.AsyncMongoClient)


def _mock(url: str, config: Dict[str, Any], database: Optional[str]) -> Any:
    try:
        from mongomock_motor import AsyncMongoMockClient
    except ImportError:
        raise UnsupportedClient("%s needs mongomock_motor on asyncio: pip install "
                                "mongomock-motor" % safe(url)) from None
    try:
        import mongomock_ng as mongomock
    except ImportError:
        import mongomock  # type: ignore[no-redef]
    client: Any = AsyncMongoMockClient(mock_mongo_client=mongomock.MongoClient(**config))
    return client[database or urlsplit(url).path.strip('/') or DEFAULT_DATABASE]


def _sql(url: str, config: Dict[str, Any], database: Optional[str]) -> Any:
    return sql_engine(url, config, 'ext.asyncio.create_async_engine', DRIVERS, 'asyncio')


async def _close(client: Any) -> None:
    await client.aclose()


async def _close_mongo(database: Any) -> None:
    await database.client.close()


async def _nothing(database: Any) -> None:
    """A mock holds no connection."""


async def _dispose(engine: Any) -> None:
    await engine.dispose()


BUILDERS: Dict[str, Callable[..., Any]] = dict(
    [(scheme, _redis) for scheme in REDIS] + [(scheme, _cluster) for scheme in CLUSTER]
    + [(scheme, _mongo_async) for scheme in MONGO] + [('mongomock', _mock), ('sql', _sql)])
RELEASE: Dict[Callable[..., Any], Callable[[Any], Awaitable[None]]] = {
    _redis: _close, _cluster: _close, _mongo_async: _close_mongo, _mock: _nothing,
    _sql: _dispose}
