"""Hypothesis strategies of edge inputs for test_edges: every argument of the public API.

Each strategy mixes a pool of named edge cases (sampled often, so that few examples
reach them) with hypothesis's own generators of the same kind.
"""

import math
from decimal import Decimal
from fractions import Fraction

from hypothesis import strategies as st

from kairos.units import (BUCKET_MAX, BUCKET_MIN, CALENDAR_END, CALENDAR_FIRST,
                          MAX_READ_BUCKETS, MAX_SHIFT)

T0 = 1800000000  # the clock of every Timeseries built here

EDGE_FLOATS = [math.nan, math.inf, -math.inf, -0.0, 0.0, 1e308, -1e308, 5e-324, -5e-324,
               2.2250738585072014e-308, 0.1, 1.5, -2.5, 2.0 ** 63, 2.0 ** 53 + 1]
EDGE_INTS = [0, 1, -1, 2 ** 63 - 1, 2 ** 63, 2 ** 64, -2 ** 63, -2 ** 63 - 1, 10 ** 30,
             -10 ** 30, 2 ** 53 + 1]
EDGE_TEXT = ['a', 'A', 'a ', ' a', '', ' ', '\t\n', '\x00', 'a\x00b', '\udfff', 'x\ud800',
             '\U0001f600', '\u00e9', 'e\u0301', '\u4e2d', '*', '?', '[a]', 'a:b', '{t}', '\\',
             '%', '_', "'", '"', '$x', 'a.b', '1', '5', '2.5', '-0', 'nan', 'inf', '1e308',
             '0x10', 'x' * 3000]
EDGE_OTHER = [None, True, False, b'a', b'\xff', b'', (1, 2), (), [1], [], {'a': 1}, {},
              Decimal('1.5'), Decimal('NaN'), Fraction(1, 3), 1 + 2j, frozenset([1])]

floats = st.one_of(st.sampled_from(EDGE_FLOATS), st.floats())
ints = st.one_of(st.sampled_from(EDGE_INTS), st.integers())
texts = st.one_of(st.sampled_from(EDGE_TEXT), st.text(max_size=6))
# any value a caller might pass
values = st.one_of(st.sampled_from(EDGE_FLOATS + EDGE_INTS + EDGE_TEXT + EDGE_OTHER),
                   floats, ints, texts)
# values whose stored form reads back equal on every backend: text (of valid unicode or not)
text_values = texts
# what a count may be asked to add
count_values = st.one_of(ints, floats, st.sampled_from(['5', '2.5', '-1', ' 3', 'x', None,
                                                        True, Decimal('2'), Fraction(1, 2)]))

EDGE_NAMES = ['a', 'b', 'A', 'a ', ' ', 'a:b', ':', '*', '?', '[ab]', 'a*', '\\*', '{tag}',
              '\U0001f600', 'e\u0301', '\u00e9', '\t', 'a\x00b', '%', '_', "'", '$a', 'a.b',
              'n' * 1000, '\udfff', '', None, 5, b'a', ('a',)]
names = st.one_of(st.sampled_from(EDGE_NAMES), st.text(min_size=1, max_size=5))

EDGE_STAMPS = [T0, T0 + 0.5, 0, -1, -0.0, 5e-324, 1e15, -1e15, CALENDAR_FIRST,
               CALENDAR_FIRST - 1, CALENDAR_END - 1, CALENDAR_END, CALENDAR_END - 0.5,
               BUCKET_MAX, BUCKET_MIN, BUCKET_MIN - 1, 2 ** 63, 2 ** 64, -2 ** 63, 10 ** 30,
               1e19, -1e19, 1e308, math.nan, math.inf, -math.inf, None, '1', True,
               10 ** 400, -10 ** 400, Fraction(10 ** 400), Decimal(T0),
               Fraction(T0 * 2 + 1, 2)]
timestamps = st.one_of(st.sampled_from(EDGE_STAMPS),
                       st.integers(CALENDAR_FIRST - 2, CALENDAR_END + 2),
                       st.integers(BUCKET_MIN - 2, BUCKET_MAX + 2),
                       st.floats(-1e20, 1e20), st.integers(T0 - 10 ** 6, T0 + 10 ** 6))
shifts = st.sampled_from([0, 0, 0, 1, -1, 2, -3, MAX_SHIFT + 1, -MAX_SHIFT - 1, 2 ** 64,
                          True, 1.5, None, '1'])
steps = st.one_of(st.sampled_from([None, 1, 2, 10, 0, -1, MAX_READ_BUCKETS,
                                   MAX_READ_BUCKETS + 1, 2 ** 63, 2 ** 64, True, 1.5, '2']),
                  st.integers(-5, 50))

# interval names and configurations for the constructor
interval_names = st.one_of(st.sampled_from(['minute', 'hour', 'a:b', '*', '\U0001f600']),
                           st.sampled_from([' ', 'x' * 300, 'a\x00', '\udfff', '', None, 5,
                                            '$x', 'system.x', 'a.b', '.a']))
VALID_STEPS = [1, 60, 3600, 86400, '1h', '5min', '2 hours', '30s', 'daily', 'weekly',
               'monthly', 'yearly', '5m', 60.0, 2 ** 62, '99999999999999999999y']
step_values = st.one_of(st.sampled_from(VALID_STEPS), st.sampled_from(
    VALID_STEPS + ['5M', '1 hour', 0, -1, 2 ** 63, 2 ** 64, 10 ** 30, 1.5, math.nan, math.inf,
                   '', 'x', None, True, [60]]))
retention = st.one_of(st.sampled_from([None, 0, 1, 5, 100]), st.sampled_from(
    [-1, 2 ** 63, 10 ** 30, True, 1.5, '5', MAX_READ_BUCKETS + 1]))


@st.composite
def interval_configs(draw):
    """One interval's configuration: a step, maybe a resolution and retention."""
    config = {'step': draw(step_values)}
    if draw(st.integers(0, 2)) == 0:
        config['resolution'] = draw(step_values)
    if draw(st.integers(0, 2)) == 0:
        config['steps'] = draw(retention)
    if draw(st.integers(0, 9)) == 0:
        config[draw(st.sampled_from(['stpes', 'ttl', 'resolutoin']))] = 1
    return config


intervals = st.dictionaries(interval_names, interval_configs(), max_size=3)
types = st.one_of(st.sampled_from(['series', 'histogram', 'count', 'gauge', 'set']),
                  st.sampled_from(['bogus', '', None, 5]))
prefixes = st.one_of(st.sampled_from([None, 'k', 'k*[?]:x', '{tag}']),
                     st.sampled_from(['', '\udfff', 'a\x00', '\U0001f600' * 50]))
# read_func and write_func: callables that take any value, and things that are not callables
funcs = st.sampled_from([None, None, str, repr, lambda value: value, 5, 'float'])

# read options
# callables that take any row: a hook's own exception propagates unchanged, as documented
TRANSFORMS = [None, 'mean', 'count', 'min', 'max', 'sum', 'rate', 'median', 'p99.9', 'stddev',
              'first', 'last', 'bogus', 5,
              ['count', 'rate'], {'n': 'count'}, [], lambda data, duration: duration,
              lambda data: data, repr]
transforms = st.sampled_from(TRANSFORMS)
condensing = st.sampled_from([False, True, None, len, lambda rows: sorted(rows)])
