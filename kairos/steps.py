"""How kairos does I/O: every call is planned as steps, which a driver runs.

The public methods, the backends' storage primitives and the Redis router are
generators ("steps") that never touch a socket. Each I/O they need is yielded
as a call, ``(function, *args)``, and its result (or its exception, raised at
the ``yield``) is sent back::

    documents = yield (self._io.find, collection, spec, sort)

The function belongs to an I/O object chosen by the client's kind: a blocking
one (a redis-py connection's wire, a pymongo collection, an SQLAlchemy engine)
or an awaiting one with the same method names (``redis.asyncio``, pymongo's
``AsyncMongoClient``, an ``AsyncEngine``). ``run`` calls it; ``arun`` awaits
what it returns. So checking, planning, merging, decoding, error translation
and retrying are written once, and a backend's two I/O objects hold only the
driver calls that differ.
"""

from itertools import islice
from time import perf_counter
from typing import (Any, AsyncIterator, Callable, Generator, Iterable, Iterator, List,
                    Optional, Tuple, TypeVar)

from .log import slow_call

R = TypeVar('R')
X = TypeVar('X')
Y = TypeVar('Y')
# a call to make: (function, *args)
Call = Tuple[Any, ...]
Steps = Generator[Call, Any, R]


def run(steps: 'Steps[R]') -> R:
    """Run ``steps`` with blocking I/O: each call yielded is made as it comes."""
    result: Any = None
    error: Optional[BaseException] = None
    started = perf_counter()
    try:
        while True:
            # a call's error is raised in the steps outside this frame's except
            # clause, so that what they raise carries no context it did not have
            call = steps.send(result) if error is None else steps.throw(error)
            error = None
            try:
                result = call[0](*call[1:])
            except BaseException as exc:
                error = exc
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    finally:
        error = None   # no cycle through this frame
        slow_call(steps, perf_counter() - started)


async def arun(steps: 'Steps[R]') -> R:
    """``run`` on asyncio: each call yielded returns an awaitable, awaited here.

    A task cancelled while a call is awaited gets the CancelledError raised
    at that ``yield``, so the steps clean up as for any other failure.
    """
    outcome: Tuple[Any, Optional[BaseException]] = (None, None)
    started = perf_counter()
    try:
        while True:
            call = steps.send(outcome[0]) if outcome[1] is None else steps.throw(outcome[1])
            try:
                outcome = (await call[0](*call[1:]), None)
            except BaseException as exc:
                outcome = (None, exc)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    finally:
        outcome = (None, None)
        slow_call(steps, perf_counter() - started)


def done(value: R) -> 'Steps[R]':
    """Steps that make no call and return ``value``."""
    return value
    yield  # pragma: no cover  (makes this a generator)


def run_each(first: 'Steps[Iterable[X]]',
             then: Callable[[X], 'Steps[Iterable[Y]]']) -> Iterator[Y]:
    """What ``then(x)`` returns for each x ``first`` returns, one at a time (blocking)."""
    for item in run(first):
        yield from run(then(item))


async def arun_each(first: 'Steps[Iterable[X]]',
                    then: Callable[[X], 'Steps[Iterable[Y]]']) -> AsyncIterator[Y]:
    """``run_each`` on asyncio: an async generator."""
    for item in await arun(first):
        for each in await arun(then(item)):
            yield each


def taken(items: Iterator[X], count: int) -> List[X]:
    """The next ``count`` items of an iterator, fewer at its end: a driver's own
    iterator (a cluster client's ``scan_iter``) read a batch per call."""
    return list(islice(items, count))


async def ataken(items: AsyncIterator[X], count: int) -> List[X]:
    """``taken`` of an async iterator (an asyncio client's ``scan_iter``)."""
    batch: List[X] = []
    async for item in items:
        batch.append(item)
        if len(batch) == count:
            break
    return batch
