"""Section 5 of script/bench: reads of many names, percentiles and regrouping.

    series_many / get_many of 20 names   next to 20 series / get calls, each name
                                          its own read (goal: >= 5x for 1 and for 10
                                          buckets a name; at 60 the decoding of the
                                          rows, the same either way, takes most)
    p99 of a 24-hour histogram read       next to the same read without a transform:
                                          the percentile runs on the rows read, the
                                          server does the same work
    every='15min' over 24 h of minutes    next to the plain read of the same buckets

Server microseconds come from INFO commandstats, as in the other sections.
"""

from kairos import Timeseries

NAMES = 20


def bench_wide(bench, fill, intervals):
    calls = bench.args.reads
    bench.section('5. reads of many names, percentiles, regrouping: ms per call; %d names '
                  'with one value a minute for 24 hours' % NAMES)
    names = ['n%d' % j for j in range(NAMES)]
    end = fill('count', names)
    t = bench.kairos('count', bench.counting)
    for steps, goal in ((1, 5.0), (10, 5.0), (60, None)):
        what = 'series_many, %d names, minute, steps=%d' % (NAMES, steps)
        _compare(bench, what, lambda: t.series_many(names, 'minute', steps=steps, end=end),
                 lambda: [t.series(name, 'minute', steps=steps, end=end) for name in names],
                 calls, '%d series calls' % NAMES, goal)
    _compare(bench, 'get_many, %d names, minute' % NAMES,
             lambda: t.get_many(names, 'minute', timestamp=end),
             lambda: [t.get(name, 'minute', timestamp=end) for name in names],
             calls, '%d get calls' % NAMES, 5.0)
    _compare(bench, 'every=15min, hour steps=24 (1,440 minutes)',
             lambda: t.series('n0', 'hour', steps=24, end=end, every='15min'),
             lambda: t.series('n0', 'hour', steps=24, end=end), calls, 'plain read', None,
             better='lower')
    end = fill('histogram', names[:1])
    t = Timeseries(bench.counting, type='histogram', intervals=intervals, read_func=int)
    _compare(bench, 'p99 of histogram, hour steps=24, condensed',
             lambda: t.series('n0', 'hour', steps=24, end=end, condense=True, transform='p99'),
             lambda: t.series('n0', 'hour', steps=24, end=end, condense=True), calls,
             'no transform', None, better='lower')


def _compare(bench, what, ours, theirs, calls, base_name, goal, better='higher'):
    """A row of ms per call (ratio = the baseline's / ours when higher is better) and
    one of server usec per call (always ours / the baseline's)."""
    ours(), theirs()
    mine, base = bench.measure(lambda: [ours() for _ in range(calls)],
                               lambda: [theirs() for _ in range(calls)])
    ms, base_ms = 1000 * mine.seconds / calls, 1000 * base.seconds / calls
    if better == 'higher':   # speed-up: baseline time over ours
        bench.row(what, 'x', base_ms / ms, 1.0, base_name, goal=goal,
                  note='%.3g ms vs %.3g ms' % (ms, base_ms))
    else:
        bench.row(what, 'ms', ms, base_ms, base_name, goal=goal, better='lower')
    bench.row('  %s server' % what, 'us', mine.usec / calls, base.usec / calls, base_name,
              better='lower')
