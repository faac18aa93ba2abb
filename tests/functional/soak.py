"""Create and drop many Timeseries, and count what they leave behind.

Shared by tests/functional/test_resources.py (a few hundred Timeseries per
backend) and script/soak (a thousand, with the process's RSS). ``soak(make,
count, server)`` builds a ``count`` of Timeseries with ``make()``, each making
an insert, a get and a series, and drops each before the next; it returns the
``Census`` taken after a warm-up (``baseline``), right after the last one was
dropped with the garbage collector off (``dropped``), and after ``gc.collect()``
(``collected``).
"""

import gc
import os
import sys
import threading
import time
import tracemalloc
from typing import Any, Callable, Dict, List, NamedTuple, Optional

from tests.functional.common import at

INTERVALS = {'minute': {'step': 60, 'steps': 5}, 'hour': {'step': 3600, 'resolution': 60}}
WARM_UP = 10


def _classes() -> Dict[str, type]:
    """The driver classes whose instances hold connections, pools or files, by label."""
    found = {}
    for label, module, name in (
            ('redis pools', 'redis.connection', 'ConnectionPool'),
            ('redis connections', 'redis.connection', 'AbstractConnection'),
            ('redis cluster clients', 'redis.cluster', 'RedisCluster'),
            ('sqlalchemy engines', 'sqlalchemy.engine', 'Engine'),
            ('sqlalchemy pools', 'sqlalchemy.pool', 'Pool'),
            ('pymongo clients', 'pymongo', 'MongoClient'),
            ('mongomock clients', 'mongomock', 'MongoClient'),
            ('mongomock_ng clients', 'mongomock_ng', 'MongoClient')):
        if module in sys.modules:   # a driver not imported has no instances
            found[label] = getattr(sys.modules[module], name)
    return found


class Census(NamedTuple):
    """What the process holds at one moment."""

    objects: Dict[str, int]   # label of _classes() -> instances alive
    fds: int                  # open file descriptors
    threads: int
    traced: int               # bytes tracemalloc counts as allocated
    rss: float                # resident set size, MB
    server: Optional[int]     # connections the server counts, when ``server`` is given

    def growth(self, baseline: 'Census') -> Dict[str, int]:
        """What grew since ``baseline``: objects, fds, threads, server connections."""
        rval = {label: n - baseline.objects.get(label, 0) for label, n in self.objects.items()}
        rval.update(fds=self.fds - baseline.fds, threads=self.threads - baseline.threads)
        if self.server is not None and baseline.server is not None:
            rval['server connections'] = self.server - baseline.server
        return {label: n for label, n in rval.items() if n > 0}


def census(server: Optional[Callable[[], int]] = None) -> Census:
    # the server first: its probe may open a connection the first time
    connections = None if server is None else server()
    classes = _classes()
    objects = dict.fromkeys(classes, 0)
    labels: Dict[type, List[str]] = {}   # each type's labels, found once per type
    for obj in gc.get_objects():
        kind = type(obj)
        found = labels.get(kind)
        if found is None:
            found = labels[kind] = [label for label, cls in classes.items()
                                    if issubclass(kind, cls)]
        for label in found:
            objects[label] += 1
    with open('/proc/self/statm') as statm:
        rss = int(statm.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2 ** 20
    return Census(objects, len(os.listdir('/proc/self/fd')), threading.active_count(),
                  tracemalloc.get_traced_memory()[0], rss, connections)


def settled(server: Callable[[], int], baseline: int) -> int:
    """The server's count of connections, once it is down to ``baseline`` (a server
    notices a closed connection a moment later), or after about 5 s."""
    for _ in range(250):
        count = server()
        if count <= baseline:
            break
        time.sleep(0.02)
    return count


def use(timeseries: Any) -> None:
    """An insert, a get and a series."""
    timeseries.insert('soak', 1, timestamp=at(0))
    timeseries.get('soak', 'minute', timestamp=at(0))
    timeseries.series('soak', 'hour', end=at(0))


class Soak(NamedTuple):
    baseline: Census
    dropped: Census
    collected: Census


def soak(make: Callable[[], Any], count: int, server: Optional[Callable[[], int]] = None,
         hold_gc: bool = True, trace: bool = True) -> Soak:
    """``count`` Timeseries from ``make()``, each used then dropped (see the module
    docstring); ``hold_gc=False`` lets the garbage collector run meanwhile;
    ``trace=False`` leaves tracemalloc off (it makes each allocation costlier)."""
    started = trace and not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        for _ in range(WARM_UP):
            use(make())
        gc.collect()
        baseline = census(server)
        if hold_gc:
            gc.disable()
        try:
            for _ in range(count):
                use(make())
            dropped = census(server and (lambda: settled(server, baseline.server or 0)))
        finally:
            gc.enable()
        gc.collect()
        collected = census(server and (lambda: settled(server, baseline.server or 0)))
    finally:
        if started:
            tracemalloc.stop()
    return Soak(baseline, dropped, collected)
