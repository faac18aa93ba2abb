"""The keys of the Redis layout drawn in ``kairos.redis_backend``'s docstring: the
key of a bucket, and the tests that tell a configuration's keys among those SCAN finds.

A key is one of a configuration's only if every segment is one it could have
written: its prefix, a name (in braces with ``hash_tag``), one of its intervals
and, in that interval's own format, the bucket and (with a resolution) the
resolution bucket. A relative bucket, and one of whole local days (an interval
with a ``timezone``), is ``str(int)``: ``0`` or an optional minus and digits
without a leading zero. A calendar bucket, UTC or local, is a valid date, week
('%U', or ISO '%G%V' for isoweekly), month or year in its calculator's format
(``20231114`` daily, never ``2023``): see :mod:`kairos.buckets`.
"""

import re
from typing import Any, Iterator, Mapping, Optional, Tuple

from ..buckets import BUCKET as BUCKET, CALENDAR as CALENDAR, BucketFormat  # noqa: F401
from ..intervals import Interval

GLOB_SPECIAL = re.compile(r'([\\*?\[\]])')


def scan_match(head: str) -> str:
    """SCAN's MATCH for the keys starting with ``head``, its glob characters escaped."""
    return GLOB_SPECIAL.sub(r'\\\1', head) + '*'


class Keys:
    """The keys of one configuration: its prefix ('' or ending in ':'), hash tags or
    not, and its intervals."""

    def __init__(self, prefix: str, hash_tag: bool, intervals: Mapping[str, Interval]):
        self.prefix = prefix
        self.hash_tag = hash_tag
        # interval name -> the formats of the segments after it: (i_bucket,) or, with a
        # resolution, (i_bucket, r_bucket); the first alone is also the index key's
        self._formats = {
            name: (BucketFormat(i.i_calc),) if i.coarse
            else (BucketFormat(i.i_calc), BucketFormat(i.r_calc))
            for name, i in intervals.items()}

    def head(self, name: str) -> str:
        """What every key of ``name`` starts with."""
        return self.prefix + ('{%s}:' % name if self.hash_tag else name + ':')

    def key(self, name: str, interval: Interval, i_bucket: Any) -> str:
        if self.hash_tag:
            return '%s{%s}:%s:%s' % (self.prefix, name, interval.name, i_bucket)
        return '%s%s:%s:%s' % (self.prefix, name, interval.name, i_bucket)

    def owned(self, tail: str) -> bool:
        """Whether ``tail``, what follows a name's ``head``, is interval:i_bucket or,
        with a resolution, interval:i_bucket:r_bucket (so 'a' never owns
        'a:60:...' of an interval named '60', nor 'a:daily:2023')."""
        return any(lead == '' for lead in self._leading(tail, (1, 2)))

    def bucket(self, tail: str) -> Optional[Tuple[str, int]]:
        """(interval, i_bucket) of a ``tail`` interval:i_bucket (a key or an index key)."""
        interval, _, text = tail.rpartition(':')
        formats = self._formats.get(interval)
        if formats is None or not formats[0].valid(text):
            return None
        return interval, int(text)

    def name(self, key: str, resolution: bool = True) -> Optional[str]:
        """The name of ``key`` if it is one of this configuration's keys (with
        ``resolution`` False only interval:i_bucket keys, which every name has)."""
        if not key.startswith(self.prefix):
            return None
        for lead in self._leading(key[len(self.prefix):], (1, 2) if resolution else (1,)):
            name = lead[:-1]  # without the ':' before the interval
            if self.hash_tag:
                if len(name) < 3 or name[0] != '{' or name[-1] != '}':
                    continue
                name = name[1:-1]
            if name and lead.endswith(':'):
                return name
        return None

    def _leading(self, text: str, counts: Tuple[int, ...]) -> Iterator[str]:
        """What precedes ``interval:bucket[:bucket]`` at the end of ``text``, for each
        interval and number of bucket segments in ``counts`` it ends in."""
        for count in counts:
            parts = text.rsplit(':', count)
            if len(parts) != count + 1:
                continue
            rest, buckets = parts[0], parts[1:]
            for interval, formats in self._formats.items():
                if len(formats) >= count and rest.endswith(interval) and all(
                        form.valid(bucket) for form, bucket in zip(formats, buckets)):
                    yield rest[:len(rest) - len(interval)]
