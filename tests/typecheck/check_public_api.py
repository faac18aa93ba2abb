"""User code of kairos' public API, checked by mypy (script/typecheck), never run.

The lines marked ``# type: ignore[code]`` are wrong calls that mypy must refuse
with that code: under ``warn_unused_ignores`` one that stops being an error
fails the check, as does any correct line that becomes one. Values are checked
by assigning them to annotated variables.
"""

from collections import OrderedDict
from typing import Any, Dict, List, Mapping

import redis

from kairos import IntervalConfig, Timeseries
from kairos.buffer import Buffer
from kairos.timeseries import Count, Gauge, Histogram, Series, Set

client = redis.Redis()

# -- construction ----------------------------------------------------------

# the README's intervals, held in a variable (mypy infers dict[str, dict[str, object]])
intervals = {'minute': {'step': 60, 'steps': 120}, 'hour': {'step': '1h', 'resolution': 60}}
counts = Timeseries(client, type='count', intervals=intervals)
typed_intervals: Dict[str, IntervalConfig] = {'minute': {'step': 60, 'steps': 120},
                                              'day': {'step': 'daily'}}
histogram = Timeseries(client, type='histogram', intervals=typed_intervals)
series = Timeseries(client, intervals=intervals)  # the default type is series
sets = Timeseries(client, 'set', intervals=intervals)
gauge = Timeseries(client, type='gauge', intervals=intervals, prefix='kairos')
url_counts = Timeseries('redis://localhost:6379/0', type='count', intervals=intervals,
                        client_config={'socket_timeout': 1})
read_counts = Timeseries(client, type='count', read_func=int, intervals=intervals)

no_step: IntervalConfig = {'steps': 120}  # type: ignore[typeddict-item]
Timeseries(client, type='count', intervals=[intervals])  # type: ignore[call-overload]
Timeseries(client, type='count', read_func=3)  # type: ignore[call-overload]

# -- writing ----------------------------------------------------------------

counts.insert('hits', 3)
counts.insert('hits', timestamp=1385615520.5, intervals=2)
batch: Dict[float, Dict[str, List[int]]] = {1385615520.0: {'hits': [1, 2, 3]}}
counts.bulk_insert(batch)
counts.bulk_insert({1385615520: {'hits': 1}, None: {'misses': [1]}})
readonly_batch: Mapping[int, Mapping[str, List[float]]] = {1385615520: {'hits': [0.5]}}
counts.bulk_insert(readonly_batch)

counts.insert(1, 2)  # type: ignore[arg-type]
counts.insert('hits', 1, timestamp='now')  # type: ignore[arg-type]
counts.bulk_insert({'now': {'hits': [1]}})  # type: ignore[type-var]
counts.bulk_insert({1.0: {2: [1]}})  # type: ignore[dict-item]
counts.bulk_insert([(1.0, {'hits': [1]})])  # type: ignore[arg-type]

# buffered writes
with counts.buffer(max_values=1000, max_delay=None) as buffered:
    buffered.insert('hits', 3, timestamp=1385615520)
    buffered.flush()
old_buffered: Buffer = Count(client, intervals=intervals).buffer()
counts.buffer(max_delay='1s')  # type: ignore[arg-type]
buffered.insert(1, 2)  # type: ignore[arg-type]

# -- reading: each type's values ---------------------------------------------

per_minute = counts.get('hits', 'minute')
total: float = sum(per_minute.values())
first_time: int = next(iter(per_minute))
joined: 'OrderedDict[int, float]' = counts.get(['hits', 'misses'], 'minute', timestamp=0)
condensed: 'OrderedDict[int, float]' = counts.series('hits', 'hour', condense=True)
collapsed: 'OrderedDict[int, float]' = counts.series('hits', 'minute', steps=5, collapse=True)
old_condensed: 'OrderedDict[int, float]' = counts.series('hits', 'hour', condensed=True)
values: List[Any] = series.get('event', 'minute')[0]
histogram_row: Dict[Any, int] = histogram.get('sizes', 'minute')[0]
members: 'set[Any]' = sets.get('users', 'minute')[0]
level: str = gauge.get('load', 'minute')[0]  # a gauge's values are the caller's business
read: str = read_counts.get('hits', 'minute')[0]  # so are a read_func's

# a series of an interval with a resolution holds resolution rows per bucket
for bucket, row in counts.series('hits', 'hour').items():
    if isinstance(row, OrderedDict):
        nested: float = sum(row.values())
    else:
        flat: float = row

# a transform or a hook reshapes the rows
rates = counts.get('hits', 'minute', transform='rate')
summaries: Dict[int, Dict[str, float]] = counts.series('hits', 'minute', transform=['mean'])
custom: Dict[int, str] = counts.get('hits', 'minute', process_row=str)

# meta data
names: List[str] = counts.list()
first: int = counts.properties('hits')['minute']['first']
for when, data in counts.iterate('hits', 'minute'):
    stamp: int = when
removed: int = counts.delete('hits') + counts.delete_all() + counts.expire()

# regrouped, chosen and many-name reads
regrouped: 'OrderedDict[int, Any]' = counts.series('hits', 'minute', steps=60, every='15min')
chosen_rows: 'OrderedDict[int, Any]' = counts.series('hits', start=0, end=3600, max_points=30)
by_name: Dict[str, Any] = counts.series_many(['hits', 'misses'], 'minute', every=300)
latest: Dict[str, Any] = counts.get_many('hits:*', 'minute', every='1 hour')
picked: str = counts.choose(0, 3600, max_points=10).interval
p99s: 'OrderedDict[int, Any]' = histogram.series('ms', 'minute', transform=['p99', 'median'])
counts.series('hits', 'minute', every=[60])  # type: ignore[call-overload]
counts.series_many(['hits'], 'minute', max_points='30')  # type: ignore[arg-type]

wrong_total: str = sum(per_minute.values())  # type: ignore[assignment]
wrong_row: List[Any] = counts.get('hits', 'minute')[0]  # type: ignore[assignment]
wrong_set: List[Any] = sets.get('users', 'minute')[0]  # type: ignore[assignment]
counts.get('hits')  # type: ignore[call-overload]
counts.get('hits', 'minute', timestamp='now')  # type: ignore[call-overload]
counts.get(7, 'minute')  # type: ignore[call-overload]
counts.series('hits', 'minute', steps='5')  # type: ignore[call-overload]
unnarrowed: float = counts.series('hits', 'hour')[0]  # type: ignore[assignment]
counts.properties(['hits'])  # type: ignore[arg-type]

# -- the classes of kairos 0.5.0 -------------------------------------------

old_count = Count(client, intervals=intervals)
old_total: float = sum(old_count.get('hits', 'minute').values())
old_series: List[Any] = Series(client, intervals=intervals).get('x', 'minute')[0]
old_histogram: Dict[Any, int] = Histogram(client, intervals=intervals).get('x', 'minute')[0]
old_set: 'set[Any]' = Set(client, intervals=intervals).get('x', 'minute')[0]
old_gauge: bytes = Gauge(client, intervals=intervals).get('x', 'minute')[0]
is_count: Count = old_count
as_timeseries: Timeseries[float] = old_count

wrong_class: Histogram = old_count  # type: ignore[assignment]
wrong_old_row: str = old_count.get('hits', 'minute')[0]  # type: ignore[assignment]
