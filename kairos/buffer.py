"""Buffered writes: inserts held in memory and written together, as one ``bulk_insert``.

``Held`` checks each insert as ``Timeseries.insert`` would and holds its values
as ``{timestamp: {name: [value, ...]}}``; it does no I/O. Two writers flush it:
``Buffer`` with a lock and a timer thread, ``AsyncBuffer`` with an asyncio lock
and a timer task. A flush takes everything held, so nothing is written twice;
one that fails raises :class:`~kairos.exceptions.FlushError` from the call that
ran it, or, from the timer, from the next call. What is held lives in memory only:
a process that dies loses what it held. ``Buffering`` gives the sync Timeseries
its ``buffer()``; ``AsyncBuffering`` does the same for an asyncio one.
"""

import asyncio
import contextlib
import math
import numbers
import threading
from types import TracebackType
from typing import (TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, Mapping,
                    Optional, Protocol, Set, Tuple, Type)

from .exceptions import ConfigurationError, FlushError, InvalidValue, KairosException
from .plan import check_name, check_range, check_shift
from .units import CALENDAR_END, CALENDAR_FIRST

if TYPE_CHECKING:
    from .intervals import Interval
    from .series_types import SeriesType

# {timestamp: {name: [value, ...]}}: what bulk_insert takes
Points = Dict[float, Dict[str, List[Any]]]


class Checks(Protocol):
    """What ``Held`` reads of a Timeseries to check an insert as ``insert`` does."""

    _intervals: Dict[str, 'Interval']
    _type: 'SeriesType'
    _write_func: Optional[Callable[[Any], Any]]

    def _prepare(self, value: Any) -> Any: ...

    def _timestamp(self, timestamp: Any) -> float: ...


class Target(Checks, Protocol):
    """A sync Timeseries, as a Buffer writes to it."""

    def bulk_insert(self, inserts: Mapping[float, Mapping[str, Any]],
                    intervals: int = 0) -> None: ...


class AsyncTarget(Checks, Protocol):
    """An asyncio Timeseries, as an AsyncBuffer writes to it."""

    async def bulk_insert(self, inserts: Mapping[float, Mapping[str, Any]],
                          intervals: int = 0) -> None: ...


def check_delay(max_delay: Optional[float]) -> Optional[float]:
    """``max_delay`` if it is None or a finite number of seconds above 0."""
    if max_delay is not None and (isinstance(max_delay, bool) or not isinstance(
            max_delay, numbers.Real) or not 0 < max_delay < math.inf):
        raise ConfigurationError('max_delay must be a number of seconds above 0, or None '
                                 'for no timer, not %r' % (max_delay,))
    return max_delay


class Held:
    """The values of checked inserts waiting to be written: at most ``max_values``.

    ``add`` checks an insert and returns an iterator that holds its values,
    pausing whenever what is held must be written first (the buffer is full,
    or holding a value would change the order of a name's values); ``take``
    hands over what is held and empties it:

    >>> import redis
    >>> from kairos import Timeseries
    >>> t = Timeseries(redis.Redis(), type='count', intervals={'minute': {'step': 60}})
    >>> held = Held(t, max_values=2)
    >>> for _ in held.add('hits', [1, 2, 3], timestamp=1700000000):
    ...     print(held.take())
    ({1700000000: {'hits': [1, 2]}}, 2)
    >>> for _ in held.add('hits', 4, timestamp=1700000010):
    ...     pass
    >>> held.take()
    ({1700000000: {'hits': [3, 4]}}, 2)

    A Write holds buckets, never timestamps, so timestamps that fall in the same
    bucket of every interval (and resolution) are held as the first of them: checked
    once, and written alike. Values as given: bulk_insert prepares them again.
    """

    def __init__(self, timeseries: Checks, max_values: int, intervals: int = 0):
        if isinstance(max_values, bool) or not isinstance(max_values, int) or max_values < 1:
            raise ConfigurationError('max_values must be an int of at least 1, not %r'
                                     % (max_values,))
        self._timeseries, self.max_values = timeseries, max_values
        self._shift = check_shift(intervals)
        self.closed = False
        # a flush that failed where no caller was waiting (the timer), until a call
        # raises it; at most one, as that call comes before anything more is held
        self.failure: Optional[FlushError] = None
        # the timestamps [start, end) that share the buckets of the one held for them
        self._span: Tuple[float, float, float] = (0, 0, 0)
        self._clear()

    def _clear(self) -> None:
        self._points: Points = {}
        self.count = 0
        # the position of each timestamp in points, and of a name's latest timestamp
        self._order: Dict[float, int] = {}
        self._latest: Dict[str, int] = {}
        # names, and values by their exact type, that passed the checks (which are pure
        # without a write_func), until the next take
        self._names: Set[str] = set()
        self._passed: Optional[Dict[type, Set[Any]]] = None if \
            self._timeseries._write_func else {int: set(), float: set(), str: set()}

    def take(self) -> Tuple[Points, int]:
        """What is held and how many values that is; nothing is held after."""
        taken = self._points, self.count
        self._clear()
        return taken

    def add(self, name: str, value: Any = None, timestamp: Optional[float] = None
            ) -> Iterable[None]:
        """Check an insert as ``Timeseries.insert`` does, raising its error with nothing
        held, and hold its values; where they do not all fit at once, the iterator
        returned holds them, stopping whenever what is held must be written first
        (``for _ in held.add(...): flush``)."""
        if type(name) is not str or name not in self._names:
            self._names.add(check_name(name))
        if isinstance(value, (list, tuple, set)):
            if not value:
                raise InvalidValue('insert needs at least one value, got %r' % (value,))
            stamp = self._stamp(timestamp)
            values = list(value)
            for one in values:
                self._check(one)
        else:
            values = [self._timeseries._type.default_value if value is None else value]
            self._check(values[0])
            stamp = self._stamp(timestamp)
        if len(values) >= self.max_values - self.count or self._back(name, stamp):
            return self._hold(name, stamp, values)
        self._put(name, stamp, values)
        return ()

    def _check(self, value: Any) -> None:
        passed = None if self._passed is None else self._passed.get(type(value))
        if passed is None:
            self._timeseries._prepare(value)
        elif value not in passed and self._timeseries._prepare(value) is value:
            passed.add(value)

    def _stamp(self, timestamp: Optional[float]) -> float:
        """The timestamp to hold for ``timestamp`` (None: the clock's now), checked."""
        stamp = self._timeseries._timestamp(None) if timestamp is None else timestamp
        start, end, held = self._span
        if type(stamp) in (int, float) and start <= stamp < end:   # never NaN
            return held
        if timestamp is not None:
            stamp = self._timeseries._timestamp(timestamp)
        intervals = self._timeseries._intervals.values()
        check_range(intervals, stamp, self._shift)
        # within the calendar, where checks read the timestamp and not only its buckets
        start, end = CALENDAR_FIRST, CALENDAR_END
        for interval in intervals:
            for calc in (interval.i_calc,) if interval.coarse else \
                    (interval.i_calc, interval.r_calc):
                bucket = calc.bucket(stamp)
                start, end = max(start, calc.from_bucket(bucket)), min(end, calc.end_of(bucket))
        self._span = (start, end, stamp)
        return stamp

    def _back(self, name: str, stamp: float) -> bool:
        """Whether ``name`` goes back to a timestamp held before its latest one: bulk_insert
        writes a name's values timestamp by timestamp, in the order they came."""
        return self._order.get(stamp, len(self._order)) < self._latest.get(name, 0)

    def _hold(self, name: str, stamp: float, values: List[Any]) -> Iterator[None]:
        if self._back(name, stamp):
            yield
        while values:
            room = self.max_values - self.count
            self._put(name, stamp, values[:room])
            values = values[room:]
            if self.count >= self.max_values:
                yield

    def _put(self, name: str, stamp: float, values: List[Any]) -> None:
        by_name = self._points.get(stamp)
        if by_name is None:
            by_name = self._points[stamp] = {}
            self._order[stamp] = len(self._order)
        held = by_name.get(name)
        if held is None:
            by_name[name] = values
        else:
            held.extend(values)
        self.count += len(values)
        self._latest[name] = self._order[stamp]

    @contextlib.contextmanager
    def flushing(self, later: bool = False) -> Iterator[Points]:
        """Take what is held for the caller to write (``{}`` when nothing is). A write that
        fails raises FlushError, or with ``later`` keeps it for the next call to raise;
        one interrupted (cancelled) keeps it too, and lets the interruption through."""
        points, count = self.take()
        try:
            yield points
        except Exception as exc:
            error = lost(count, exc)
            if not later:
                raise error from exc
            self.failure = error
        except BaseException as exc:
            self.failure = lost(count, exc)
            raise

    def report(self, call: str) -> None:
        """Raise the failure kept for the next call, or refuse a call on a closed buffer."""
        failure, self.failure = self.failure, None
        if failure is not None:
            raise failure
        if self.closed:
            raise KairosException('%s on a closed buffer: make a new one with '
                                  'timeseries.buffer()' % call)

    def close(self) -> Optional[FlushError]:
        """Refuse every call from now on; return the failure kept for the next call."""
        self.closed = True
        failure, self.failure = self.failure, None
        return failure


def lost(count: int, error: BaseException) -> FlushError:
    """The FlushError of a flush of ``count`` values that failed with ``error``: the
    values that a bulk_insert's earlier pieces stored are not lost."""
    written = getattr(error, 'values_written', 0)
    failure = FlushError('a flush of %d buffered values failed, %d of them lost (a flush '
                         'is never retried): %s: %s' % (count, count - written,
                                                        type(error).__name__, error),
                         values=count, values_lost=count - written)
    failure.applied = getattr(error, 'applied', None)
    failure.__cause__ = error
    return failure


class Buffer:
    """Inserts held in memory and written with one ``bulk_insert`` when ``max_values``
    are held, every ``max_delay`` seconds (a timer thread), on ``flush()`` and on
    ``close()``. Safe to share between threads; an insert into a full buffer waits
    for its flush. A flush that fails is never retried: its FlushError is raised by
    the call that ran it, or (the timer's) by the next call. ``held`` is what it holds
    (``held.count`` values), ``timer`` its timer thread (None without ``max_delay``).

    >>> import redis
    >>> from kairos import Timeseries
    >>> t = Timeseries(redis.Redis(), type='count', intervals={'minute': {'step': 60}})
    >>> with t.buffer(max_values=1000, max_delay=1.0) as buffered:
    ...     buffered.insert('hits', 1, timestamp=1700000000)
    ...     buffered.insert('hits', 2, timestamp=1700000010)
    >>> t.get('hits', 'minute', timestamp=1700000000)
    OrderedDict([(1699999980, 3)])
    """

    def __init__(self, timeseries: Target, max_values: int = 10_000,
                 max_delay: Optional[float] = 1.0, intervals: int = 0):
        self.held = Held(timeseries, max_values, intervals)
        self._timeseries, self._shift = timeseries, intervals
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self.timer: Optional[threading.Thread] = None
        delay = check_delay(max_delay)
        if delay is not None:
            self.timer = threading.Thread(target=self._run, args=(delay,), daemon=True,
                                          name='kairos-buffer-timer')
            self.timer.start()

    def insert(self, name: str, value: Any = None, timestamp: Optional[float] = None) -> None:
        """Check and hold one insert, as ``Timeseries.insert`` takes it."""
        with self._lock:
            self.held.report('insert')
            for _ in self.held.add(name, value, timestamp):
                self._write()

    def flush(self) -> None:
        """Write everything held now."""
        with self._lock:
            self.held.report('flush')
            self._write()

    def close(self) -> None:
        """Stop the timer and write everything held; a second close does nothing."""
        self._stopped.set()
        if self.timer is not None:
            self.timer.join()
        with self._lock:
            failure = self.held.close()
            self._write()
        if failure is not None:
            raise failure

    def _write(self, later: bool = False) -> None:
        with self.held.flushing(later) as points:
            if points:
                self._timeseries.bulk_insert(points, self._shift)

    def _run(self, delay: float) -> None:
        while not self._stopped.wait(delay):
            with self._lock:
                self._write(later=True)

    def __enter__(self) -> 'Buffer':
        return self

    def __exit__(self, kind: Optional[Type[BaseException]], error: Optional[BaseException],
                 traceback: Optional[TracebackType]) -> None:
        self.close()


class AsyncBuffer:
    """``Buffer`` over an asyncio Timeseries: ``async with t.buffer() as b: await
    b.insert(...)``. Safe to share between tasks; ``timer`` is a task started by
    ``async with`` or the first insert, and cancelled by ``close()``."""

    def __init__(self, timeseries: AsyncTarget, max_values: int = 10_000,
                 max_delay: Optional[float] = 1.0, intervals: int = 0):
        self.held = Held(timeseries, max_values, intervals)
        self._timeseries, self._shift = timeseries, intervals
        self._delay = check_delay(max_delay)
        self._lock = asyncio.Lock()
        self.timer: 'Optional[asyncio.Task[None]]' = None

    async def insert(self, name: str, value: Any = None,
                     timestamp: Optional[float] = None) -> None:
        """Check and hold one insert, as ``Timeseries.insert`` takes it."""
        ready = getattr(self._timeseries, '_ready', None)
        if ready is not None:   # the store's set-up (SQL's columns check values) first
            await ready()
        async with self._lock:
            self.held.report('insert')
            self._start()
            for _ in self.held.add(name, value, timestamp):
                await self._write()

    async def flush(self) -> None:
        """Write everything held now."""
        async with self._lock:
            self.held.report('flush')
            await self._write()

    async def close(self) -> None:
        """Cancel the timer and write everything held; a second close does nothing."""
        # with the lock, the timer is asleep or waiting for it, never mid-flush
        async with self._lock:
            if self.timer is not None:
                self.timer.cancel()
            failure = self.held.close()
            await self._write()
        if failure is not None:
            raise failure

    def _start(self) -> None:
        if self.timer is None and self._delay is not None and not self.held.closed:
            self.timer = asyncio.get_running_loop().create_task(self._run(self._delay))

    async def _write(self, later: bool = False) -> None:
        with self.held.flushing(later) as points:
            if points:
                await self._timeseries.bulk_insert(points, self._shift)

    async def _run(self, delay: float) -> None:
        while True:
            await asyncio.sleep(delay)
            async with self._lock:
                await self._write(later=True)

    async def __aenter__(self) -> 'AsyncBuffer':
        self._start()
        return self

    async def __aexit__(self, kind: Optional[Type[BaseException]],
                        error: Optional[BaseException],
                        traceback: Optional[TracebackType]) -> None:
        await self.close()


class Buffering:
    """``buffer()`` of the sync Timeseries."""

    def buffer(self: Target, max_values: int = 10_000, max_delay: Optional[float] = 1.0,
               intervals: int = 0) -> Buffer:
        """A :class:`Buffer` writing to this Timeseries: inserts held, then written with one
        ``bulk_insert`` when ``max_values`` are held or every ``max_delay`` seconds (None:
        no timer), and by ``flush()`` and ``close()``. ``intervals`` is insert's, for all."""
        return Buffer(self, max_values, max_delay, intervals)


class AsyncBuffering:
    """``buffer()`` of an asyncio Timeseries, whose ``bulk_insert`` is a coroutine."""

    def buffer(self: AsyncTarget, max_values: int = 10_000, max_delay: Optional[float] = 1.0,
               intervals: int = 0) -> AsyncBuffer:
        """An :class:`AsyncBuffer` writing to this Timeseries, as ``Buffering.buffer``."""
        return AsyncBuffer(self, max_values, max_delay, intervals)
