"""SQL storage through SQLAlchemy 2 Core, compatible with kairos 0.10.1's tables.

One table per type, shared by every interval (``table_name`` overrides the name)::

    series     name, interval, insert_time, i_time, r_time, value, w_time  a row per value
    histogram  name, interval, i_time, r_time, value, count, w_time  a row per distinct value
    count      name, interval, i_time, r_time, count, w_time         a row per bucket
    gauge      name, interval, i_time, r_time, value, w_time         a row per bucket
    set        name, interval, i_time, r_time, value, w_time         a row per member
    summary    name, interval, i_time, r_time, count, sum, sumsq, min, max, w_time
                                                                     a row per bucket
    distinct   name, interval, i_time, r_time, register, rank, w_time  a row per register set
    sketch     name, interval, i_time, r_time, field, value, w_time  a row per stored field

    name, interval := VARCHAR(string_length) NOT NULL
    i_time         := BIGINT NOT NULL    floor(t / step) | YYYYMMDD | YYYYWW | YYYYMM | YYYY (UTC)
                                         (isoweekly GGGGVV; with a timezone the local
                                         calendar's: the layout is in kairos.calculators)
    r_time         := BIGINT NULL        the resolution bucket; NULL without a resolution
    insert_time    := DOUBLE NOT NULL    orders the values of a series bucket
    value          := value_type NOT NULL (default DOUBLE PRECISION; a sketch's DOUBLE)
    field          := VARCHAR(32) NOT NULL   a sketch's field, as kairos.sketch names
                                         them: a bin ('p231', 'n-5', 'z'), count, sum
                                         (the upsert adds), min, max (least, greatest)
    sum, sumsq, min, max := DOUBLE PRECISION NOT NULL   a summary's figures
    count          := DOUBLE PRECISION NOT NULL (count) | INTEGER NOT NULL (histogram)
    register, rank := INTEGER NOT NULL   a HyperLogLog register (0..16383) of the bucket and
                                         its rank (1..51), upserted keeping the larger
                                         (kairos.hll: the registers Redis's PFADD sets)
    w_time         := DOUBLE NULL        the Timeseries clock at the row's latest write
                                         (NULL in rows 0.10.1 wrote)

Unique keys, on which every write but a series' lands as a native upsert:
``<table>_unique`` (name, interval, i_time, r_time[, value | field]) as in 0.10.1, and,
since NULLs never collide, ``<table>_unique_null``: on PostgreSQL and SQLite a
partial unique index on (name, interval, i_time[, value | field]) WHERE r_time IS NULL,
on MariaDB/MySQL a unique index on (name, interval, i_time, r_key[, value | field]) over
a virtual column r_key = COALESCE(r_time, -2**63). Tables 0.10.1 created get the
missing index (and column) added. Series has ``<table>_read`` on
(name, interval, i_time). In the distinct table's keys, register stands for value.

Retention: SQL has no TTL. With ``steps``, a bucket reads as empty once
``steps * step`` seconds have passed since the latest write to any of its rows
(by w_time; a 0.10.1 row without one, once ``steps`` whole buckets have passed
after it), and ``expire()`` deletes such rows (``SqlStore._expire``).

The package: ``schema`` draws the tables and knows what each column can hold,
``tables`` creates a table or completes an older one, ``rows`` what each type
writes and how rows read become buckets, ``statements`` the SQL per dialect,
``errors`` the kairos error for a driver's, ``backend`` the SqlStore class, every
call as steps, and ``io`` the I/O those steps yield, over an ``Engine`` or an
``AsyncEngine`` (kairos.asyncio).
"""

# Every name below stays importable from kairos.sql_backend, the backends' import path.
import re  # noqa: F401
import sys  # noqa: F401
import threading  # noqa: F401
import time  # noqa: F401
from collections import OrderedDict  # noqa: F401
from functools import partial  # noqa: F401
from itertools import groupby  # noqa: F401
from operator import itemgetter  # noqa: F401
from typing import (Any, Callable, Dict, Iterable, List, NamedTuple, Optional,  # noqa: F401
                    Tuple, TypeVar)

import sqlalchemy  # noqa: F401
from sqlalchemy import BigInteger, exc as sa_exc, sql, types as sqltypes  # noqa: F401

from ..exceptions import (AuthenticationError, ConfigurationError, DataConflict,  # noqa: F401
                          InvalidName, InvalidValue, StorageError, StorageUnavailable, warn)
from ..intervals import Interval, RelativeTime  # noqa: F401
from ..series_types import MISSING  # noqa: F401
from ..timeseries import Timeseries, Write, typed_classes  # noqa: F401
from .backend import (RETRIES, _SAME_IN_BINARY, _T,  # noqa: F401
                      SqlBackend as SqlBackend, SqlCount as SqlCount, SqlGauge as SqlGauge,
                      SqlHistogram as SqlHistogram, SqlSeries as SqlSeries, SqlSet as SqlSet,
                      SqlStore as SqlStore)
from .errors import (_AUTH_CODES, _AUTH_MESSAGES, _RETRY_CODES, _driver_error,  # noqa: F401
                     _refuses_credentials, _rolled_back, _unavailable)
from .rows import (OPS, Op, _AFTER_NAME, _FIRST, _LAST_STAMP, _STAMP_LOCK,  # noqa: F401
                   _collect_counts, _collect_histograms, _collect_last, _collect_values)
from .schema import NULL_BUCKET, checker, column_type, define_table, no_check, plain  # noqa: F401
from .statements import (Compiled, _FORMAT_TOO, _LOCK_ORDER, _PYFORMAT,  # noqa: F401
                         _lock_order_by_value)

BACKEND = SqlBackend
STORE = SqlStore
