"""Redis replies as kairos' data: ``str`` whatever the client's decoding (a
HyperLogLog's registers: bytes), one decoder per kind of stored bucket, and the rows of
a read.
"""

from typing import Any, Callable, Dict, List

from ..hll import from_redis
from ..series_types import MISSING
from ..steps import Steps


def as_str(value: Any) -> Any:
    """Redis replies as str, whatever the client's decode_responses."""
    if isinstance(value, bytes):
        return value.decode('utf-8', 'surrogateescape')
    if isinstance(value, (list, tuple, set)):
        return [as_str(v) for v in value]
    if isinstance(value, dict):
        return {as_str(k): as_str(v) for k, v in value.items()}
    return value


def _decode_string(raw: Any) -> Any:
    if raw is None:
        return MISSING
    return raw if type(raw) is str else as_str(raw)


def _decode_members(raw: Any) -> Any:
    if not raw:
        return MISSING
    if type(raw) is list and type(raw[0]) is str:  # hiredis decoded it already
        return raw
    return [as_str(value) for value in raw]


def _decode_hash(raw: Any) -> Any:
    """value -> int count (int() reads bytes and str alike)."""
    if not raw:
        return MISSING
    pairs = raw.items() if type(raw) is dict else zip(*[iter(raw)] * 2)  # RESP2: flat
    return {value if type(value) is str else as_str(value): int(count) for value, count in pairs}


def _decode_scores(raw: Any) -> Any:
    """member -> score (a str of a number) of ZRANGE ... WITHSCORES."""
    if not raw:
        return MISSING
    pairs = raw.items() if type(raw) is dict else \
        raw if type(raw[0]) in (list, tuple) else zip(*[iter(raw)] * 2)   # RESP3 / RESP2
    return {as_str(member): as_str(score) for member, score in pairs}


def _decode_hll(raw: Any) -> Any:
    """The dense registers of a HyperLogLog's string (GET): read as bytes, or as the str
    kairos' own reader makes of any bytes (utf-8, surrogateescape), turned back."""
    if raw is None:
        return MISSING
    return from_redis(raw.encode('utf-8', 'surrogateescape') if isinstance(raw, str) else raw)


# kind of reply -> decoder of one stored bucket into str-based data, or MISSING
DECODERS: Dict[str, Callable[[Any], Any]] = {
    'string': _decode_string, 'list': _decode_members, 'set': _decode_members,
    'hash': _decode_hash, 'zset': _decode_scores, 'hll': _decode_hll}
# the kinds whose replies are bytes that no encoding may decode
BINARY = frozenset({'hll'})


def read_rows(keys: List[str], coarse: bool, decode: Callable[[Any], Any],
              send: Callable[..., 'Steps[List[Any]]']) -> 'Steps[List[Any]]':
    """One row per key: its data, or {r_bucket: data} for each r_bucket its index lists
    (MISSING for one without data: expired, or a 0.5.0 zero increment).

    ``decode`` is the DECODERS entry of the type's kind of reply;
    ``send(keys, index=False)``: the steps reading the keys' data, or their index's members.
    """
    if coarse:
        replies = yield from send(keys)
        return [decode(reply) for reply in replies]
    indexes = yield from send(keys, True)
    members = [[int(m) for m in ms] for ms in indexes]
    data = yield from send(['%s:%s' % (key, m) for key, ms in zip(keys, members) for m in ms])
    rows: List[Any] = []
    offset = 0
    for ms in members:
        row = zip(ms, map(decode, data[offset:offset + len(ms)]))
        rows.append(dict(row))
        offset += len(ms)
    return rows
