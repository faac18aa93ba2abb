"""Whether a stored bucket is one a configured interval could have written: the text of
the buckets a calculator writes (Redis keys), and the values of Mongo's bucket fields.

A relative bucket is an integer: in a key ``str(int)`` (``0``, or an optional
minus and digits without a leading zero); so is one of whole local days (a
``timezone``'s LocalDays). A calendar bucket, of UTC or of a timezone, is a
valid date, week ('%U', or ISO '%G%V' for isoweekly), month or year in its
calculator's format (``20231114`` daily, never ``2023``): in a key and in Mongo
a str (kairos 0.10.1 wrote Mongo's as ints).
"""

import re
from typing import Any

from .calculators import Calculator, GregorianTime
from .intervals import Interval

# digits as an integer's str() writes them; a bucket's own format is BucketFormat's
BUCKET = re.compile(r'(?:0|-?[1-9][0-9]*)\Z')
# a Gregorian bucket: a positive integer of at most YYYYMMDD's eight digits
CALENDAR = re.compile(r'[1-9][0-9]{0,7}\Z')


class BucketFormat:
    """The text of the buckets one calculator writes into keys.

    >>> BucketFormat(GregorianTime('daily')).valid('20231114'), \\
    ...     BucketFormat(GregorianTime('daily')).valid('2023')
    (True, False)
    """

    def __init__(self, calc: Calculator):
        self._calendar = calc if isinstance(calc, GregorianTime) else None

    def valid(self, text: str) -> bool:
        calendar = self._calendar
        if calendar is None:
            return BUCKET.match(text) is not None
        if CALENDAR.match(text) is None:
            return False
        bucket = int(text)
        try:
            # a bucket names a date, week, month or year iff it is its own start's bucket
        # (and week 0 of 'isoweekly', or a week 53 a year lacks, has no start)
            return calendar.shift(bucket, 0) == bucket
        except (ValueError, OverflowError):  # no such date, or past the calendar's end
            return False

    def stored(self, value: Any) -> bool:
        """Whether a Mongo bucket field's ``value`` is one of this calculator's buckets:
        an int (relative, or Gregorian as 0.10.1 wrote it) or a Gregorian str."""
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return self._calendar is None or self.valid(str(value))
        return self._calendar is not None and isinstance(value, str) and self.valid(value)


def written(interval: Interval, document: Any) -> bool:
    """Whether a Mongo document's bucket fields are ones ``interval`` writes: its bucket,
    and a resolution bucket exactly where the interval has a resolution."""
    if not BucketFormat(interval.i_calc).stored(document.get('interval')):
        return False
    if interval.coarse:
        return 'resolution' not in document
    return BucketFormat(interval.r_calc).stored(document.get('resolution'))
