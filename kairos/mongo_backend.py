"""MongoDB storage, compatible with kairos 0.5.0.

The database is ``kairos`` for a MongoClient, else the Database given. Each
interval has a collection of its own name, holding one document per bucket::

    {name: <str>, interval: <i_bucket>, [resolution: <r_bucket>,]
     value: <data>, [expire_from: <datetime>], _id: <ObjectId>}

    bucket      := int floor(t / step) | str 'YYYYMMDD' 'YYYYWW' 'YYYYMM' 'YYYY' (UTC)
                   (isoweekly str 'GGGGVV'; with a timezone, the local calendar's ids, an
                   int for whole days: the layout is in kairos.calculators)
                   (reads also take Gregorian buckets as ints, as kairos 0.10.1 wrote them)
    value       := series array ($push) | histogram {escaped value: count} ($inc)
                 | count number ($inc) | gauge any ($set) | set array ($addToSet)
                 | summary {count, sum, sumsq: number ($inc), min ($min), max ($max)}
                 | distinct {"<register index>": rank} ($max), the set registers of its
                   HyperLogLog (kairos.hll), at most 16,384 int32 fields
                 | sketch {bin: int count, count, sum: number ($inc), min ($min), max ($max)}
                   (bin as kairos.sketch names it: 'p231', 'n-5', 'z')
    expire_from := UTC datetime of the latest write, by the Timeseries clock ($max; only
                   with steps): a bucket lives steps * step after its latest write

Indexes: (interval, name) without resolution, (interval, resolution, name)
with one; and a TTL index on expire_from (expireAfterSeconds = steps * step)
where ``steps`` is set. Histogram values are document keys, so '.' is stored
as U+FFFF (as kairos 0.8+ did) and a leading '$' as U+FF04; reads undo both.
"""

import sys
from collections import OrderedDict
from functools import partial
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

import bson
import bson.errors
from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.errors import InvalidOperation, PyMongoError

from .buckets import written
from .exceptions import (ConfigurationError, DataConflict, InvalidValue, KairosException,
                         StorageError, UnsupportedClient, applied_before, warn)
from .intervals import Calculator, GregorianTime, Interval
from .mongo.errors import kairos_error
from .mongo.io import is_async, mongo_io
from .series_types import MISSING, Duplicates
from .steps import Steps, done
from .timeseries import Core, Timeseries, Write, typed_classes

DOT, DOLLAR = '\uffff', '\uff04'


def _fields(payload: Dict[str, Any]) -> Dict[str, Any]:
    """The update of a bucket of fields (a summary's, a sketch's): min by $min, max by
    $max, every other field by $inc."""
    return {'$inc': {'value.' + field: number for field, number in payload.items()
                     if field != 'min' and field != 'max'},
            '$min': {'value.min': payload['min']}, '$max': {'value.max': payload['max']}}


# type -> (update for a merged payload, the Python type a stored value must have)
OPS: Dict[str, Tuple[Callable[[Any], Dict[str, Any]], Any]] = {
    'series': (lambda payload: {'$push': {'value': {'$each': payload}}}, list),
    'histogram': (lambda payload: {'$inc': _counts(payload)}, dict),
    'count': (lambda payload: {'$inc': {'value': payload}}, (int, float)),
    'gauge': (lambda payload: {'$set': {'value': payload}}, object),
    'set': (lambda payload: {'$addToSet': {'value': {'$each': payload}}}, list),
    # every field merges by one operator: counts and sums add, min and max compare
    'summary': (_fields, (dict,)),
    # a register keeps the larger rank: $max merges it in one operator
    'distinct': (lambda payload: {'$max': {
        'value.%d' % index: rank for index, rank in payload.registers.items()}}, (dict,)),
    'sketch': (_fields, (dict,)),
}

# per collection, the (query, update) upsert of each bucket written
Requests = Dict[str, List[Tuple[Dict[str, Any], Dict[str, Any]]]]

_EPOCH = datetime(1970, 1, 1)
# (driver module, its client class, the module of its database class, that class),
# checked where the driver module is imported
_DRIVERS = (('pymongo', 'MongoClient', 'pymongo.database', 'Database'),
            ('mongomock', 'MongoClient', 'mongomock', 'Database'),
            ('mongomock_ng', 'MongoClient', 'mongomock_ng', 'Database'),
            ('pymongo', 'AsyncMongoClient', 'pymongo.asynchronous.database', 'AsyncDatabase'),
            ('motor.motor_asyncio', 'AsyncIOMotorClient', 'motor.motor_asyncio',
             'AsyncIOMotorDatabase'))


def mongo_database(client: Any) -> Any:
    """The Database to use for ``client``, or None if it is not a Mongo client: blocking
    (pymongo, mongomock, mongomock_ng) or asyncio (pymongo's AsyncMongoClient, motor's,
    mongomock_motor's).

    Only drivers already imported are checked: a client of a driver implies it.
    """
    for driver, client_class, where, database_class in _DRIVERS:
        module = sys.modules.get(driver)
        if module is None:
            continue
        clients = getattr(module, client_class, None)
        if clients is not None and isinstance(client, clients):
            try:
                return client['kairos']
            except InvalidOperation as exc:   # mongomock_ng's closed client
                raise StorageError('the MongoDB client is closed: %s' % exc) from exc
        databases = getattr(sys.modules.get(where), database_class, None)
        if isinstance(databases, type) and isinstance(client, databases):
            return client
    return None


def _counts(payload: Iterable[Tuple[Any, int]]) -> Dict[str, int]:
    """{'value.<escaped>': count}, adding up values that are one key in Mongo (1 and '1')."""
    rval: Dict[str, int] = {}
    for value, count in payload:
        key = 'value.' + escape(value)
        rval[key] = rval.get(key, 0) + count
    return rval


def escape(value: Any) -> str:
    key = str(value).replace('.', DOT)
    return DOLLAR + key[1:] if key.startswith('$') else key


def unescape(key: str) -> str:
    key = key.replace(DOT, '.')
    return '$' + key[1:] if key.startswith(DOLLAR) else key


def _check_collection_name(name: str) -> None:
    """Refuse an interval name MongoDB cannot name a collection by (its rules, as pymongo
    checks them), before any collection is touched."""
    if '$' in name or '\0' in name or '..' in name or name.startswith('.') or name.endswith('.'):
        raise ConfigurationError(
            'interval name %r cannot name a MongoDB collection: it holds "$", a NUL or "..", '
            'or starts or ends with "."' % (name,))


class MongoStore(Core[Any]):
    """Timeseries stored in MongoDB; see the module docstring for the layout.

    Each bucket document is updated atomically, but one insert writes one
    collection per interval: if the database fails between them, the
    StorageError raised carries ``intervals_written``, the intervals whose
    collections took the write.
    """

    _split_writes = True   # one call per interval's collection

    @staticmethod
    def accepts(client: Any) -> bool:
        """Whether ``client`` is a MongoClient or Database of pymongo or a mongomock."""
        return mongo_database(client) is not None

    def __init__(self, client: Any, prefix: Optional[str] = None, **kwargs: Any):
        super().__init__(client, **kwargs)
        if prefix:
            # as in kairos 0.5.0, where prefix was Redis only: collections carry the interval
            warn('prefix %r is ignored on MongoDB' % (prefix,))
        self._db = mongo_database(client)
        if self._db is None:
            raise UnsupportedClient('MongoBackend needs a MongoClient or Database, not %r'
                                    % (client,))
        self._op, self._shape = OPS[self._type.name]
        self._check_io(client, is_async(self._db))
        self._io = mongo_io(self._db)
        # the original mongomock (4.3) cannot take pymongo 4.10+'s UpdateOne in bulk_write
        self._bulk = not self._io.mock_4
        for interval in self._intervals.values():
            _check_collection_name(interval.name)
        self._start(self._indexes)

    def _indexes(self) -> Steps[None]:
        """Create each interval's indexes (a TTL index where it has steps)."""
        for interval in self._intervals.values():
            collection = self._db[interval.name]
            fields = ['interval', 'name'] if interval.coarse else ['interval', 'resolution', 'name']
            yield from self._call(partial(collection.create_index, background=True),
                                  [(f, ASCENDING) for f in fields])
            if interval.expire:
                yield from self._call(partial(collection.create_index,
                                              expireAfterSeconds=interval.expire,
                                              background=True), [('expire_from', ASCENDING)])

    # -- storage primitives --------------------------------------------------

    def _check_value(self, value: Any) -> None:
        if self._type.name != 'histogram':
            try:
                bson.encode({'value': value})
            except (bson.errors.InvalidDocument, OverflowError, TypeError,
                    UnicodeEncodeError) as exc:
                raise InvalidValue('MongoDB cannot store %r: %s' % (value, exc)) from None
            if self._type.name == 'set' and isinstance(value, tuple):
                raise InvalidValue('a Mongo set cannot store the tuple %r: it reads back '
                                   'as a list, which a set cannot hold' % (value,))
            return
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise InvalidValue('a Mongo histogram stores str, int or float values, not %r'
                               % (value,))
        key = str(value)
        if '\0' in key or DOT in key or key.startswith(DOLLAR):
            raise InvalidValue('a Mongo histogram cannot store %r: it holds a reserved '
                               'character' % (value,))
        try:
            key.encode('utf-8')
        except UnicodeEncodeError:
            raise InvalidValue('%r is not valid unicode' % (value,)) from None

    def _write(self, writes: List[Write], pipeline: Any = None) -> Steps[None]:
        if pipeline is not None:
            raise InvalidValue('pipeline= is a Redis feature')
        done: List[str] = []
        for name, requests in self._requests(writes).items():
            collection = self._db[name]
            ran = 0   # requests applied one by one
            try:
                if self._bulk:
                    yield from self._write_call(
                        partial(collection.bulk_write, ordered=True),
                        [UpdateOne(q, u, upsert=True) for q, u in requests])
                else:
                    for query, update in requests:
                        yield from self._write_call(partial(collection.update_one, upsert=True),
                                                    query, update)
                        ran += 1
            except KairosException as exc:
                if isinstance(exc, StorageError):
                    exc.intervals_written = done
                if done or ran:
                    applied_before(exc, 'the write of %s was applied' % (
                        ', '.join(done) if done else '%d of its %d buckets in %s'
                        % (ran, len(requests), name)))
                raise
            done.append(name)

    def _requests(self, writes: List[Write]) -> Requests:
        """The upserts of ``writes``, (query, update) per bucket, per collection: no I/O."""
        by_collection: Requests = OrderedDict()
        expire_from = None   # the write's time, by the Timeseries clock
        for write in writes:
            interval = write.interval
            query: Dict[str, Any] = {'name': write.name,
                                     'interval': _field(interval.i_calc, write.i_bucket)}
            if not interval.coarse:
                query['resolution'] = _field(interval.r_calc, write.r_bucket)
            update = self._op(write.payload)
            if interval.expire:   # $max: a writer whose clock lags never shortens it
                if expire_from is None:
                    expire_from = _EPOCH + timedelta(seconds=float(self._clock()))
                update.setdefault('$max', {})['expire_from'] = expire_from
            by_collection.setdefault(interval.name, []).append((query, update))
        return by_collection

    def _read(self, interval: Interval, names: List[str], buckets: List[int],
              fetch: Optional[Callable[..., Any]]) -> Steps[Dict[str, List[Any]]]:
        collection = self._db[interval.name]
        first = _field(interval.i_calc, buckets[0])
        last = _field(interval.i_calc, buckets[-1])
        when: Any
        if isinstance(interval.i_calc, GregorianTime):
            # kairos 0.10.1 stored Gregorian buckets as ints: read both forms
            when = {'$in': [str(b) for b in buckets] + list(buckets)}
        else:
            when = first if first == last else {'$gte': first, '$lte': last}
        sort = [('interval', ASCENDING)]
        if not interval.coarse:
            sort.append(('resolution', ASCENDING))
        documents: List[Any]
        if fetch is None:
            spec = {'name': names[0] if len(names) == 1 else {'$in': names}, 'interval': when}
            documents = yield from self._call(self._io.find, collection, spec, sort)
        else:
            documents = []
            for name in names:
                spec = {'name': name, 'interval': when}
                if first == last and interval.coarse:
                    found = yield from self._call(self._io.fetch_one, fetch, collection, spec)
                    documents.extend([dict(found, name=name, interval=first)] if found else [])
                else:
                    found = yield from self._call(self._io.fetch, fetch, collection, spec, sort)
                    documents.extend(dict(doc, name=name) for doc in found)
        return self._decoded(interval, names, buckets, documents)

    def _decoded(self, interval: Interval, names: List[str], buckets: List[int],
                 documents: Iterable[Dict[str, Any]]) -> Dict[str, List[Any]]:
        """The raw rows of a read from the documents found: no I/O."""
        position = {bucket: index for index, bucket in enumerate(buckets)}
        rval: Dict[str, List[Any]] = {
            name: [MISSING if interval.coarse else OrderedDict() for _ in buckets]
            for name in names}
        for doc in documents:
            index = position.get(int(doc['interval']))
            if index is None or doc['name'] not in rval:
                continue
            value = self._decode(doc.get('value', MISSING))
            row: Any
            if interval.coarse:
                row, key = rval[doc['name']], index
            else:
                row, key = rval[doc['name']][index], int(doc['resolution'])
            row[key] = _add(row.get(key, MISSING) if isinstance(row, dict) else row[key], value)
        return rval

    def _delete(self, name: str) -> Steps[int]:
        return self._delete_each({'name': name})

    def _list_names(self) -> Steps[Iterable[str]]:
        names: set[str] = set()
        for interval in self._intervals:
            found = yield from self._call(self._db[interval].distinct, 'name')
            names.update(name for name in found if isinstance(name, str))
        return names

    def _extent(self, name: str) -> Steps[Dict[str, Tuple[int, int]]]:
        rval: Dict[str, Tuple[int, int]] = {}
        for interval in self._intervals.values():
            _check_collection_name(interval.name)
            collection = self._db[interval.name]
            # strings and numbers sort apart; Gregorian buckets may be either
            forms = [{'$type': 'number'}, {'$type': 'string'}] \
                if isinstance(interval.i_calc, GregorianTime) else [{'$exists': True}]
            ends: List[int] = []
            for form in forms:
                for order in (ASCENDING, DESCENDING):
                    found = yield from self._call(
                        partial(collection.find_one, sort=[('interval', order)],
                                projection=['interval']), {'name': name, 'interval': form})
                    if found is not None:
                        ends.append(int(found['interval']))
            if ends:
                rval[interval.name] = (min(ends), max(ends))
        return rval

    def _delete_all(self) -> Steps[int]:
        # every name's documents in this configuration's bucket formats (those of another
        # configuration sharing the database, an interval's name and its format included)
        return self._delete_each({})

    def _delete_each(self, query: Dict[str, Any]) -> Steps[int]:
        """Delete the documents ``query`` finds in every interval's collection whose bucket
        fields are in the interval's format (:func:`kairos.buckets.written`), by _id, a
        thousand at a time; the documents deleted."""
        removed, done = 0, []
        try:
            for interval in self._intervals.values():
                collection = self._db[interval.name]
                found = yield from self._call(self._io.find, collection, query, [],
                                              ['interval', 'resolution'])
                doomed = [document['_id'] for document in found if written(interval, document)]
                for start in range(0, len(doomed), 1000):
                    result = yield from self._write_call(
                        collection.delete_many, {'_id': {'$in': doomed[start:start + 1000]}})
                    removed += result.deleted_count
                done.append(interval.name)
        except KairosException as exc:
            if done:
                applied_before(exc, 'the delete of %s was applied' % ', '.join(done))
            raise
        return removed

    def _expire(self, name: Optional[str], now: float) -> Steps[int]:
        return done(0)  # the TTL index on expire_from expires data

    # -- helpers -------------------------------------------------------------

    def _decode(self, value: Any) -> Any:
        if value is MISSING:
            return value
        if not isinstance(value, self._shape) or (isinstance(value, bool)
                                                   and self._shape is not object):
            raise DataConflict('a %s bucket cannot hold %r: written by another type?'
                               % (self._type.name, value))
        if self._shape is dict:
            return {unescape(k): int(v) for k, v in value.items()}
        return value

    def _call(self, *call: Any) -> Steps[Any]:
        """Make a read (or an index's creation), translating driver errors."""
        try:
            return (yield call)
        except PyMongoError as exc:
            raise kairos_error(exc, False, self._db) from exc

    def _write_call(self, *call: Any) -> Steps[Any]:
        """Make a write, translating driver errors."""
        try:
            return (yield call)
        except PyMongoError as exc:
            raise kairos_error(exc, True, self._db) from exc


def _add(present: Any, value: Any) -> Any:
    """A bucket's value, or Duplicates when racing upserts stored it twice."""
    if present is MISSING or value is MISSING:
        return value if present is MISSING else present
    if isinstance(present, Duplicates):
        present.append(value)
        return present
    return Duplicates([present, value])


def _field(calc: Calculator, bucket: Any) -> Any:
    """Buckets as kairos 0.5.0 stored them: str for Gregorian steps, else int."""
    return str(bucket) if isinstance(calc, GregorianTime) else bucket



class MongoBackend(MongoStore, Timeseries[Any]):
    """A MongoDB timeseries with blocking I/O: see :class:`MongoStore`."""


STORE = MongoStore
BACKEND = MongoBackend
(MongoSeries, MongoHistogram, MongoCount, MongoGauge, MongoSet,
 MongoSummary, MongoDistinct, MongoSketch) = typed_classes(MongoBackend)
