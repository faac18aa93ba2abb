"""Section 4 of script/bench: the Mongo path, on mongomock_ng.

mongomock runs in the benchmark's own process and scans a whole collection
per operation, so these figures are the library's own cost, not a
server's; the sizes stay small and there are no goals.
"""

from datetime import datetime, timedelta

LABEL = 'mongomock: library cost, not a server'
UPDATE = {'series': '$push', 'histogram': '$inc', 'count': '$inc', 'gauge': '$set',
          'set': '$addToSet'}
EPOCH = datetime(1970, 1, 1)


def drop(db, intervals):
    for name in intervals:
        db[name].delete_many({})


def baseline_insert(db, plan, typ, name, val, stamp):
    """What kairos 0.5.0 did: one upsert per interval."""
    for interval, step, resolution, _ in plan:
        query = {'name': name, 'interval': stamp // step}
        if resolution:
            query['resolution'] = stamp // resolution
        field = 'value.%s' % val if typ == 'histogram' else 'value'
        update = {UPDATE[typ]: {field: 1 if typ in ('histogram', 'count') else val}}
        update.setdefault('$set', {})['expire_from'] = EPOCH + timedelta(seconds=stamp)
        db[interval].update_one(query, update, upsert=True)


def bench_mongo(bench, types, intervals, plan, value):
    """insert calls/s, bulk_insert points/s and series() ms, next to plain pymongo calls."""
    import mongomock_ng
    args, n = bench.args, bench.args.mongo_inserts
    bench.section('4. Mongo path on %s; no goals; %d insert() calls, bulk_insert of %d '
                  'points' % (LABEL, n, args.mongo_bulk))
    for typ in types:
        db = mongomock_ng.MongoClient()['bench_' + typ]
        t = bench.kairos(typ, db)
        reset = lambda: drop(db, intervals)
        calls = [('n%d' % (i % 10), value(typ, i), bench.now - 3600 + i * 7) for i in range(n)]
        t_ours, t_base = bench.medians(
            lambda: [t.insert(a, v, timestamp=s) for a, v, s in calls],
            lambda: [baseline_insert(db, plan, typ, a, v, s) for a, v, s in calls], reset=reset)
        bench.row('mongo insert %s' % typ, '/s', n / t_ours, n / t_base, 'update_one loop',
                  note='info')

        data = bench.bulk_data(typ, args.mongo_bulk, 100)
        flat = [(a, v[0], s) for s, by_name in data.items() for a, v in by_name.items()][:n]
        t_bulk, t_loop = bench.medians(
            lambda: t.bulk_insert(data),
            lambda: [t.insert(a, v, timestamp=s) for a, v, s in flat], reset=reset)
        bench.row('mongo bulk_insert %s' % typ, '/s', args.mongo_bulk / t_bulk,
                  len(flat) / t_loop, 'insert() loop', note='info')

        reset()
        end, hours = bench.now + 86400 - 60, args.mongo_hours
        t.bulk_insert({end - i * 60: {'n0': [value(typ, i)]} for i in range(hours * 60)})
        spec = {'name': 'n0', 'interval': {'$gte': end // 3600 - hours + 1, '$lte': end // 3600}}
        t_read, t_find = bench.medians(
            lambda: t.series('n0', 'hour', steps=hours, end=end),
            lambda: list(db['hour'].find(spec, sort=[('interval', 1), ('resolution', 1)])))
        bench.row('mongo series %s hour %dx60, 1 name' % (typ, hours), 'ms', 1000 * t_read,
                  1000 * t_find, 'one find()', note='info')
