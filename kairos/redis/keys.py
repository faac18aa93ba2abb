"""The keys of the Redis layout drawn in ``kairos.redis_backend``'s docstring: the
key of a bucket, and the patterns that tell a configuration's keys among those SCAN finds.
"""

import re
from typing import Any, Mapping

from ..intervals import Interval

GLOB_SPECIAL = re.compile(r'([\\*?\[\]])')
BUCKET = re.compile(r'-?[0-9]+\Z')


def scan_match(head: str) -> str:
    """SCAN's MATCH for the keys starting with ``head``, its glob characters escaped."""
    return GLOB_SPECIAL.sub(r'\\\1', head) + '*'


class Keys:
    """The keys of one configuration: its prefix ('' or ending in ':'), hash tags or
    not, and its intervals.

    ``statistic`` and ``resolution_key`` match its keys whole, group 1 the name;
    ``owned`` matches what follows a name's ``head``.
    """

    def __init__(self, prefix: str, hash_tag: bool, intervals: Mapping[str, Interval]):
        self.prefix = prefix
        self.hash_tag = hash_tag
        # keys of this configuration: prefix name:interval:i_bucket, and the resolution
        # keys (:r_bucket) of intervals with one; a name may hold ':'
        named = r'\{(.+)\}' if hash_tag else '(.+)'
        self.statistic = re.compile(r'%s%s:(?:%s):-?[0-9]+\Z' % (re.escape(prefix), named,
            '|'.join(re.escape(i.name) for i in intervals.values()) or '(?!)'), re.DOTALL)
        self.resolution_key = re.compile(r'%s%s:(?:%s):-?[0-9]+:-?[0-9]+\Z' % (
            re.escape(prefix), named, '|'.join(re.escape(i.name) for i in intervals.values()
                                               if not i.coarse) or '(?!)'), re.DOTALL)
        # the rest of a key of this statistic: interval, bucket and, with a resolution only,
        # the resolution bucket (so 'a' never owns 'a:60:...' of an interval named '60')
        self.owned = re.compile('|'.join(
            r'(?:%s:-?\d+%s\Z)' % (re.escape(name), '' if i.coarse else r'(?::-?\d+)?')
            for name, i in intervals.items()))

    def head(self, name: str) -> str:
        """What every key of ``name`` starts with."""
        return self.prefix + ('{%s}:' % name if self.hash_tag else name + ':')

    def key(self, name: str, interval: Interval, i_bucket: Any) -> str:
        if self.hash_tag:
            return '%s{%s}:%s:%s' % (self.prefix, name, interval.name, i_bucket)
        return '%s%s:%s:%s' % (self.prefix, name, interval.name, i_bucket)
