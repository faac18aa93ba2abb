"""What kairos records on the standard ``kairos`` logger, which has no handlers of its
own: an application (or the ``kairos`` command's ``-v``) decides where it goes.

    DEBUG  a packet a Redis Cluster did not run (MOVED, ASK, TRYAGAIN, CLUSTERDOWN,
           NOSCRIPT), sent again
    INFO   a driver chosen for a URL other than the first one kairos prefers
           (PyMySQL where mysqlclient is not installed, psycopg2 for psycopg)
    INFO   a call that took SLOW_SECONDS or longer, with its time

Nothing is logged on the hot path of a call that goes well: the slow-call check is
one clock reading on each side of the call.
"""

import logging

LOGGER = logging.getLogger('kairos')

# a call taking this long or longer is logged at INFO; set it to change the threshold
SLOW_SECONDS = 1.0


def slow_call(steps: object, seconds: float) -> None:
    """Record a call (its steps) that took ``seconds``, if that is SLOW_SECONDS or more."""
    if seconds >= SLOW_SECONDS:
        LOGGER.info('%s took %.3f s', getattr(steps, '__name__', 'a call').lstrip('_'), seconds)
