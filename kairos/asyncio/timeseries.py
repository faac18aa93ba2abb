"""The asyncio Timeseries: a backend's store whose steps are awaited.

Its classes are built once per store and type from the blocking backends'
stores (``AsyncRedisCount`` is ``RedisStore`` under this facade), so a
backend is written once for both kinds of I/O.
"""

import asyncio
import importlib
import sys
from typing import (TYPE_CHECKING, Any, AsyncIterator, Awaitable, Callable, Dict, Iterable,
                    List, Optional, TypeVar)

from ..buffer import AsyncBuffering
from ..exceptions import UnsupportedClient
from ..steps import Steps, X, Y, arun, arun_each
from ..core import _OWN_TYPE, Core
from ..queries import V
from ..urls import ClientFromURL

_Self = TypeVar('_Self', bound='Timeseries[Any]')

# driver module -> the kairos module whose STORE takes that driver's asyncio clients
# (only drivers already imported are tried: a client of a driver implies it)
STORES = {
    'redis.asyncio': 'kairos.redis_backend',
    'pymongo.asynchronous.database': 'kairos.mongo_backend',
    'motor.motor_asyncio': 'kairos.mongo_backend',
    'sqlalchemy.ext.asyncio': 'kairos.sql_backend',
}

_CLASSES: Dict[type, Dict[str, type]] = {}


def _store(client: Any) -> Any:
    for driver, module in STORES.items():
        if driver in sys.modules:
            store = importlib.import_module(module).STORE
            if store.accepts(client):
                return store
    raise UnsupportedClient('unsupported client %r: kairos.asyncio takes a '
                            'redis.asyncio.Redis or RedisCluster, a pymongo '
                            'AsyncMongoClient or its AsyncDatabase (or motor\'s), or an '
                            'SQLAlchemy AsyncEngine'
                            % (client,))


def _classes(store: type) -> Dict[str, type]:
    """The asyncio classes of a store, one per type (``AsyncRedisCount``...)."""
    classes = _CLASSES.get(store)
    if classes is None:
        stem = store.__name__[:-len('Store')]
        base = type('Async%sBackend' % stem, (store, Timeseries), {
            '__module__': __name__, '__doc__': 'A %s timeseries on asyncio.' % stem})
        classes = _CLASSES[store] = {
            kind: type('Async%s%s' % (stem, kind.capitalize()), (base,), {
                '__module__': __name__, '_series_type': kind,
                '__doc__': 'A %s timeseries on %s, on asyncio.' % (kind, stem)})
            for kind in ('series', 'histogram', 'count', 'gauge', 'set', 'summary',
                         'distinct', 'sketch')}
    return classes


class Timeseries(Core[V], AsyncBuffering, metaclass=ClientFromURL):
    """A Timeseries whose calls are awaited: see :mod:`kairos.asyncio`.

    >>> import redis.asyncio
    >>> t = Timeseries(redis.asyncio.Redis(), type='count', clock=lambda: 1700000000,
    ...                intervals={'minute': {'step': 60, 'steps': 120}})
    >>> import asyncio
    >>> async def main():
    ...     await t.insert('hits', 3)
    ...     return await t.get('hits', 'minute')
    >>> asyncio.run(main())
    OrderedDict([(1699999980, 3)])
    """

    _awaits = True
    # the set-up a backend asked for, run before the first call (see _ready)
    _setup: Optional[Callable[[], Steps[None]]] = None
    _setting_up: Optional['asyncio.Future[None]'] = None

    if TYPE_CHECKING:
        # the public methods, as a caller awaits them (each shares its steps and
        # arguments with kairos.Timeseries')
        async def insert(self, name: str, value: Any = None,  # type: ignore[override]
                         timestamp: Optional[float] = None, intervals: int = 0,
                         pipeline: Any = None) -> None: ...

        async def bulk_insert(self, inserts: Any,  # type: ignore[override]
                              intervals: int = 0, pipeline: Any = None,
                              progress: Any = None) -> None: ...

        async def get(self, name: Any, interval: str,  # type: ignore[override]
                      *args: Any, **kwargs: Any) -> Any: ...

        async def series(self, name: Any,  # type: ignore[override]
                         interval: Optional[str] = None, *args: Any, **kwargs: Any) -> Any: ...

        async def series_many(self, names: Any,  # type: ignore[override]
                              interval: Optional[str] = None, *args: Any,
                              **kwargs: Any) -> Dict[str, Any]: ...

        async def get_many(self, names: Any, interval: str,  # type: ignore[override]
                           *args: Any, **kwargs: Any) -> Dict[str, Any]: ...

        async def delete(self, name: str) -> int: ...  # type: ignore[override]

        async def list(self) -> List[str]: ...  # type: ignore[override]

        async def properties(self,  # type: ignore[override]
                             name: str) -> Dict[str, Dict[str, int]]: ...

        async def delete_all(self) -> int: ...  # type: ignore[override]

        async def expire(self, name: Optional[str] = None) -> int: ...  # type: ignore[override]

        def iterate(self, name: str, interval: str,  # type: ignore[override]
                    *args: Any, **kwargs: Any) -> AsyncIterator[Any]: ...

    def __new__(cls, client: Any = None, *args: Any, **kwargs: Any) -> 'Timeseries[Any]':
        """Build the store's asyncio class for the type: an AsyncRedisCount for a count."""
        typed = _classes(_store(client))
        name = cls._series_type or kwargs.get('type', args[0] if args else _OWN_TYPE)
        # an unknown type is refused by __init__
        return super().__new__(
            typed.get(name if isinstance(name, str) else '', typed['series']))

    # -- running steps -------------------------------------------------------

    def _start(self, setup: Callable[[], Steps[None]]) -> None:
        """Keep a backend's set-up for the first call: building one does no I/O."""
        self._setup = setup

    def _run(self, steps: Steps[Any]) -> Any:
        return self._after_setup(steps) if self._setup is not None else arun(steps)

    def _run_write(self, steps: Steps[Any]) -> Any:
        """Run the steps of a write in a task of its own that its caller's cancellation
        does not stop: a write that may take several calls is applied whole, or, if it
        fails, as far as its error says (its caller, cancelled, sees CancelledError)."""
        return _shielded(self._run(steps))

    async def _after_setup(self, steps: Steps[Any]) -> Any:
        await self._ready()
        return await arun(steps)

    async def _ready(self) -> None:
        """Run the set-up once, whichever call comes first; a failed one runs again next time."""
        if self._setup is None:
            return
        if self._setting_up is None:
            self._setting_up = asyncio.ensure_future(arun(self._setup()))
        setting_up = self._setting_up
        try:
            await asyncio.shield(setting_up)
        except BaseException:
            if setting_up.done() and self._setting_up is setting_up:
                self._setting_up = None
            raise
        self._setup = None

    async def _run_each(self, first: Steps[Iterable[X]],   # type: ignore[override]
                        then: Callable[[X], Steps[Iterable[Y]]]) -> AsyncIterator[Y]:
        await self._ready()
        async for each in arun_each(first, then):
            yield each

    # -- resources -----------------------------------------------------------

    async def close(self) -> None:
        """Release the client built from a URL (see ``kairos.Timeseries.close``)."""
        if self._release is not None:
            released = self._release()
            if asyncio.iscoroutine(released):
                await released

    async def __aenter__(self: _Self) -> _Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


async def _shielded(call: Awaitable[Any]) -> Any:
    task = asyncio.ensure_future(call)
    # an error of a write whose caller was cancelled is retrieved, not reported as lost
    task.add_done_callback(lambda done: done.cancelled() or done.exception())
    return await asyncio.shield(task)
