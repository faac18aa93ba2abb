"""A client from a URL, with the driver's own parser (kairos 0.10.1's URL constructor).

What each scheme builds::

    redis://  rediss://  unix://           redis.Redis.from_url(url, **client_config)
    redis+cluster://  rediss+cluster://    redis.cluster.RedisCluster.from_url(url without
                                           '+cluster', **client_config)
    mongodb://  mongodb+srv://             pymongo.MongoClient(url, **client_config)[database]
    mongomock://[/database]                mongomock_ng (or mongomock) MongoClient(**client_config)
    sqlite://  postgresql://  mysql:// ... sqlalchemy.create_engine(sql_url(url), **client_config)
    (any dialect[+driver] SQLAlchemy knows; only when sqlalchemy imports)

An SQL URL without a ``+driver`` gets the first installed driver the kairos
extras bring, whatever SQLAlchemy's own default (``sql_url``)::

    postgresql://  postgres://   postgresql+psycopg, else postgresql+psycopg2
    mysql://  mariadb://         <dialect>+mysqldb, else <dialect>+pymysql

An explicit ``+driver`` is kept; ``postgres`` is spelled ``postgresql``. A
missing SQLAlchemy or driver raises UnsupportedClient naming the extra to install.

The Mongo database is the ``database`` keyword, else the URL's path, else
``kairos`` (a keyword beats the path, which is often the auth database).
Nothing here connects; a driver may (RedisCluster asks a node for its slots,
``mongodb+srv`` resolves DNS).

A Timeseries built from a URL owns its client, which nothing else sees: its
``close()`` releases it (``RELEASE``: the pool's connections closed, the engine
disposed), and so does the Timeseries becoming garbage, or failing to build.
"""

import collections.abc
import contextlib
import functools
import importlib
import os
import re
import weakref
from typing import Any, Callable, Dict, Mapping, Optional, Tuple
from urllib.parse import urlsplit

from .exceptions import ConfigurationError, StorageError, UnsupportedClient
from .log import LOGGER

REDIS = ('redis', 'rediss', 'unix')
CLUSTER = ('redis+cluster', 'rediss+cluster')
MONGO = ('mongodb', 'mongodb+srv')
SQL = ('sqlite', 'postgresql', 'postgres', 'mysql', 'mariadb', 'oracle', 'mssql')
DEFAULT_DATABASE = 'kairos'

ALIASES = {'postgres': 'postgresql'}  # SQLAlchemy dropped the short name
Drivers = Mapping[str, Tuple[str, str, Tuple[Tuple[str, str], ...]]]
# dialect -> (the extra bringing a driver, what is lacking, (module, driver) by preference)
_MYSQL_DRIVERS = ('mysql', 'a MySQL driver', (('MySQLdb', 'mysqldb'), ('pymysql', 'pymysql')))
DRIVERS: Drivers = {
    'postgresql': ('postgresql', 'a PostgreSQL driver',
                   (('psycopg', 'psycopg'), ('psycopg2', 'psycopg2'))),
    'mysql': _MYSQL_DRIVERS,
    'mariadb': _MYSQL_DRIVERS,
}

_SECRET = re.compile(r'(://[^:/@]*):[^@/]*@')


def safe(url: str) -> str:
    """The URL without its password, fit for an error message."""
    return _SECRET.sub(r'\1:***@', url)


def client_from_url(url: str, client_config: Optional[Mapping[str, Any]] = None,
                    database: Optional[str] = None) -> Any:
    """The client (a Mongo Database for Mongo URLs) that ``url`` names."""
    return _built(url, client_config, database)[0]


Release = Callable[[Any], None]


def _built(url: str, client_config: Optional[Mapping[str, Any]],
           database: Optional[str], awaiting: bool = False) -> Tuple[Any, Release]:
    """The client that ``url`` names, and how to release it; ``awaiting``: an asyncio
    client, whose release returns an awaitable (kairos.asyncio.urls)."""
    if client_config is not None and not isinstance(client_config, collections.abc.Mapping):
        raise ConfigurationError('client_config must be a dict, not %r' % (client_config,))
    config = dict(client_config or {})
    scheme = _scheme(url)
    mongo = scheme in MONGO or scheme == 'mongomock'
    if database is not None and (not mongo or not isinstance(database, str) or not database):
        raise ConfigurationError('database=%r: a non-empty str, and only with a MongoDB URL'
                                 % (database,))
    builders, release = (BUILDERS, RELEASE) if not awaiting else _asyncio_builders()
    build = builders.get(scheme) or (builders['sql'] if scheme.split('+')[0] in SQL else None)
    if build is not None:
        try:
            return build(url, config, database), release[build]
        except UnsupportedClient:
            raise
        except (ValueError, TypeError) as exc:  # redis-py's parser, bad client_config
            raise UnsupportedClient('cannot build a client from %s: %s'
                                    % (safe(url), safe(str(exc)))) from exc
    raise UnsupportedClient('unsupported URL scheme %r in %s: use redis://, rediss://, '
                            'unix://, redis+cluster://, mongodb://, mongodb+srv://, '
                            'mongomock:// or an SQLAlchemy URL' % (scheme, safe(url)))


class ClientFromURL(type):
    """Metaclass of Timeseries: a URL becomes its client before ``__new__`` and
    ``__init__`` see it, so that neither changes for it."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        url = args[0] if args else kwargs.get('client')
        if not isinstance(url, str):
            # next to a client object, client_config and database are left to __init__,
            # which ignores them with a warning, as it does any keyword 0.5.0 ignored
            return super().__call__(*args, **kwargs)
        awaiting = getattr(cls, '_awaits', False)
        client, release = _built(url, kwargs.pop('client_config', None),
                                 kwargs.pop('database', None), awaiting)
        if args:
            args = (client,) + args[1:]
        else:
            kwargs['client'] = client
        try:
            timeseries = super().__call__(*args, **kwargs)
        except BaseException:
            # what the constructor raised is the error to report, not a failed release;
            # an asyncio client has connected to nothing yet
            if not awaiting:
                with contextlib.suppress(StorageError):
                    _release(os.getpid(), url, release, client)
            raise
        if awaiting:   # released by the awaited close(): a finalizer cannot await
            timeseries._release = functools.partial(release, client)
            return timeseries
        # released by close(), else when the Timeseries is garbage; not at exit, where
        # the process's end closes every socket and file without asking the servers
        owner = weakref.finalize(timeseries, _release, os.getpid(), url, release, client)
        owner.atexit = False
        timeseries._release = owner
        return timeseries


def _release(pid: int, url: str, release: Release, client: Any) -> None:
    """Release a client built from ``url``, in the process that built it only: a forked
    child closing its parent's connections would close them for the parent too."""
    if os.getpid() != pid:
        return
    try:
        release(client)
    except Exception as exc:   # a driver's error, whatever its driver
        raise StorageError('closing the client of %s failed: %s'
                           % (safe(url), safe(str(exc)))) from exc


def _scheme(url: str) -> str:
    if '://' not in url:
        raise UnsupportedClient('%r is not a URL: use e.g. redis://localhost:6379/0'
                                % safe(url))
    return url.split('://', 1)[0].lower()


def _redis(url: str, config: Dict[str, Any], database: Optional[str]) -> Any:
    import redis
    return redis.Redis.from_url(url, **config)


def _cluster(url: str, config: Dict[str, Any], database: Optional[str],
             client_class: Any = None) -> Any:
    """A RedisCluster client (``client_class``: redis.asyncio's, which connects only on
    first use) of the URL without '+cluster'."""
    import redis
    from redis.cluster import RedisCluster
    from redis.exceptions import RedisClusterException

    from .redis.errors import cluster_node, no_slot_map
    plain = url.replace('+cluster', '', 1)
    try:   # a blocking client asks a node for the slot map as it is built
        return (client_class or RedisCluster).from_url(plain, **config)
    except (redis.RedisError, RedisClusterException) as exc:
        failure = exc
    node = cluster_node(urlsplit(plain).netloc.rsplit('@', 1)[-1] or 'localhost:6379')
    # raised outside the except, from redis-py's error: one link, not two
    raise no_slot_map(node, failure, ', so no client was built') from failure


def _mongo(url: str, config: Dict[str, Any], database: Optional[str],
           client_class: Any = None) -> Any:
    import pymongo
    from pymongo.errors import ConfigurationError as MongoConfigurationError
    try:
        client = (client_class or pymongo.MongoClient)(url, **config)
    except MongoConfigurationError as exc:  # InvalidURI too
        raise UnsupportedClient('cannot build a client from %s: %s' % (safe(url), exc)) from exc
    return client[database or client.get_default_database(DEFAULT_DATABASE).name]


def _mock(url: str, config: Dict[str, Any], database: Optional[str]) -> Any:
    try:
        import mongomock_ng as mongomock
    except ImportError:
        import mongomock  # type: ignore[no-redef]
    return mongomock.MongoClient(**config)[database or urlsplit(url).path.strip('/')
                                           or DEFAULT_DATABASE]


def sql_url(url: str, drivers: Drivers = DRIVERS) -> str:
    """The URL SQLAlchemy is given for ``url``: the dialect's canonical name, and
    for a URL without ``+driver`` the first installed driver of ``drivers``.

    >>> sql_url('postgres://kairos@db/stats')  # with psycopg 3 installed
    'postgresql+psycopg://kairos@db/stats'
    """
    scheme, rest = url.split('://', 1)
    dialect, _, driver = scheme.lower().partition('+')
    dialect = ALIASES.get(dialect, dialect)
    if not driver and dialect in drivers:
        driver = _installed_driver(url, dialect, drivers)
    return '%s://%s' % ('+'.join(filter(None, (dialect, driver))), rest)


def _installed_driver(url: str, dialect: str, drivers: Drivers) -> str:
    extra, lacking, candidates = drivers[dialect]
    for module, driver in candidates:
        try:
            importlib.import_module(module)
        except ImportError:
            continue
        if driver != candidates[0][1]:
            LOGGER.info('%s: %s is not installed, so the %s driver is used', safe(url),
                        candidates[0][0], driver)
        return driver
    raise UnsupportedClient("%s needs %s: pip install 'kairos[%s]'" % (safe(url), lacking, extra))


def _extra(url: str, drivers: Drivers = DRIVERS, default: str = 'sql') -> str:
    dialect = _scheme(url).split('+')[0]
    return drivers.get(ALIASES.get(dialect, dialect), (default,))[0]


def _sql(url: str, config: Dict[str, Any], database: Optional[str]) -> Any:
    return sql_engine(url, config, 'create_engine', DRIVERS, 'sql')


def sql_engine(url: str, config: Dict[str, Any], create: str, drivers: Drivers,
               extra: str) -> Any:
    """The engine ``sqlalchemy.<create>`` builds for ``url`` (``create_engine``, or
    ``ext.asyncio.create_async_engine``), a driver of ``drivers`` picked where the URL
    names none; ``extra`` is the kairos extra that brings SQLAlchemy."""
    try:
        import sqlalchemy
        from sqlalchemy.exc import ArgumentError
        module = importlib.import_module('sqlalchemy.' + create.rpartition('.')[0]) \
            if '.' in create else sqlalchemy
    except ImportError:
        raise UnsupportedClient("%s needs SQLAlchemy: pip install 'kairos[%s]'"
                                % (safe(url), _extra(url, drivers, extra))) from None
    driver_url = sql_url(url, drivers)   # raises UnsupportedClient (an ImportError) itself
    try:
        return getattr(module, create.rpartition('.')[2])(driver_url, **config)
    except ArgumentError as exc:  # NoSuchModuleError too: an unknown dialect or driver
        raise UnsupportedClient('cannot build a client from %s: %s'
                                % (safe(url), safe(str(exc)))) from exc
    except ImportError as exc:  # the module of an explicit +driver (greenlet for asyncio)
        raise UnsupportedClient("%s needs the module %r, which is not installed (pip install "
                                "'kairos[%s]' brings a driver for a URL without +driver)"
                                % (safe(url), exc.name, _extra(url, drivers, extra))) from exc


def _close(client: Any) -> None:
    client.close()   # redis-py: disconnects the pool the client built


def _close_cluster(client: Any) -> None:
    # the node clients RedisCluster.from_url builds do not close their pools themselves
    for node in client.get_nodes():
        if node.redis_connection is not None:
            node.redis_connection.connection_pool.disconnect()
    client.close()


def _close_mongo(database: Any) -> None:
    database.client.close()


def _dispose(engine: Any) -> None:
    engine.dispose()


# builder -> how to release what it built
RELEASE: Dict[Callable[..., Any], Release] = {
    _redis: _close, _cluster: _close_cluster, _mongo: _close_mongo, _mock: _close_mongo,
    _sql: _dispose}
BUILDERS = dict([(scheme, _redis) for scheme in REDIS] + [(scheme, _cluster) for scheme in CLUSTER]
                + [(scheme, _mongo) for scheme in MONGO] + [('mongomock', _mock), ('sql', _sql)])


def _asyncio_builders() -> Tuple[Dict[str, Callable[..., Any]], Dict[Callable[..., Any], Any]]:
    from .asyncio.urls import BUILDERS, RELEASE
    return BUILDERS, RELEASE
