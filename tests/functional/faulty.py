"""A redis-py connection that fails kairos writes part-way, at seeded random points.

Build a client with::

    plan = FaultPlan(seed=1, rate=0.3)
    client = faulty_client(url, plan)

Only packed commands that carry a kairos write (EVALSHA, EVAL, MULTI, or a
plain write command first; any command once ``plan.match_all`` is set) are
candidates; the connection handshake and reads are never touched unless
``match_all``. A fault is one of

- ``before``: nothing is sent, then ``ConnectionError``;
- ``partial``: a strict prefix of the command's bytes is sent, then the
  connection is closed and ``ConnectionError`` raised;
- ``after``: the whole command is sent, then reading its reply raises
  ``ConnectionError`` (the server ran the command; the client cannot know).
"""

import random

import redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.retry import Retry

MODES = ('before', 'partial', 'after')
# a packed write starts with one of these commands (script, transaction, or
# the first command of a plain pipeline of writes)
_WRITE_MARKERS = tuple(b'\r\n%s\r\n' % name for name in (
    b'EVALSHA', b'EVAL', b'MULTI', b'RPUSH', b'HINCRBY', b'INCRBY', b'INCRBYFLOAT',
    b'SADD', b'SET'))


class FaultPlan:
    """Decides, per write sent, whether and how to fail it; counts what it did."""

    def __init__(self, seed=0, rate=0.3, modes=MODES):
        self.rng = random.Random(seed)
        self.rate = rate
        self.modes = tuple(modes)
        self.armed = True
        self.match_all = False
        self.counts = dict.fromkeys(MODES, 0)
        self.log = []        # (mode, bytes sent, bytes in command) per injection
        self.forced = []     # modes to use for the next matching commands, first first

    @property
    def injected(self) -> int:
        return sum(self.counts.values())

    def choose(self):
        if not self.armed:
            return None
        if self.forced:
            return self.forced.pop(0)
        if self.rng.random() >= self.rate:
            return None
        return self.rng.choice(self.modes)

    def cut(self, size: int) -> int:
        """Bytes to send of a command of ``size`` bytes: a strict prefix, often at an edge."""
        pick = self.rng.random()
        if pick < 0.15:
            return 1
        if pick < 0.3:
            return size - 1          # everything but the final '\n'
        if pick < 0.4:
            return size - 2          # everything but the final CRLF
        return self.rng.randrange(1, size)


class FaultyConnection(redis.Connection):
    """A redis.Connection that consults a FaultPlan before sending a write."""

    def __init__(self, fault_plan=None, **kwargs):
        super().__init__(**kwargs)
        self.fault_plan = fault_plan
        self._fail_next_read = False

    def send_packed_command(self, command, check_health=True):
        plan = self.fault_plan
        data = command.encode() if isinstance(command, str) else (
            command if isinstance(command, bytes) else b''.join(command))
        wanted = plan is not None and (plan.match_all or
                                       any(m in data[:64] for m in _WRITE_MARKERS))
        mode = plan.choose() if wanted else None
        if mode is None:
            return super().send_packed_command(command, check_health)
        plan.counts[mode] += 1
        if mode == 'before':
            plan.log.append((mode, 0, len(data)))
            self.disconnect()
            raise redis.ConnectionError('injected fault before sending')
        if mode == 'partial':
            if not self._sock:
                self.connect()
            sent = plan.cut(len(data))
            plan.log.append((mode, sent, len(data)))
            self._sock.sendall(data[:sent])
            self.disconnect()
            raise redis.ConnectionError('injected fault after %d of %d bytes'
                                        % (sent, len(data)))
        plan.log.append((mode, len(data), len(data)))
        super().send_packed_command(command, check_health)
        self._fail_next_read = True
        return None

    def read_response(self, *args, **kwargs):
        if self._fail_next_read:
            self._fail_next_read = False
            # wait for the server to have run the command, so the outcome is
            # deterministic for the test, then lose the reply
            super().read_response(*args, **kwargs)
            self.disconnect()
            raise redis.ConnectionError('injected fault before reading the reply')
        return super().read_response(*args, **kwargs)


def faulty_client(url: str, plan: FaultPlan, **kwargs) -> redis.Redis:
    """A client on FaultyConnections that retries as redis.Redis() does by default."""
    kwargs.setdefault('retry', Retry(ExponentialWithJitterBackoff(base=0.001, cap=0.01), 3))
    pool = redis.ConnectionPool.from_url(url, connection_class=FaultyConnection,
                                         fault_plan=plan, **kwargs)
    return redis.Redis(connection_pool=pool)
