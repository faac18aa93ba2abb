"""Record every Redis command kairos sends during a whole test run.

``start()`` wraps redis-py's ``send_packed_command``, the one way bytes reach
the wire, so that each command sent while a kairos frame is on the stack is
counted by name (test code's own
commands, e.g. a test listing keys to inspect them, are not kairos's).
``stop()`` restores redis-py and raises AssertionError if kairos ever sent
a forbidden command. tests/functional/__init__.py calls both around the run.
Commands run inside kairos's Lua scripts are checked by test_no_keys.py,
which watches the server with MONITOR.
"""

import os
import sys
from collections import Counter

from redis.connection import AbstractConnection

import kairos

KAIROS_DIR = os.path.dirname(os.path.abspath(kairos.__file__)) + os.sep
FORBIDDEN = frozenset(['KEYS'])
SENT = Counter()
_saved = {}


def _from_kairos() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename.startswith(KAIROS_DIR):
            return True
        frame = frame.f_back
    return False


def _name(args) -> str:
    name = args[0] if args else b''
    if isinstance(name, bytes):
        name = name.decode('utf-8', 'replace')
    return str(name).split(' ')[0].upper()


def parse_packed(packed) -> list:
    """The commands in bytes packed for the wire (RESP arrays of bulk strings)."""
    if isinstance(packed, (list, tuple)):
        packed = b''.join(bytes(part) for part in packed)
    elif isinstance(packed, str):
        packed = packed.encode()
    commands, at = [], 0
    while at < len(packed):
        end = packed.index(b'\r\n', at)
        count, at = int(packed[at + 1:end]), end + 2
        args = []
        for _ in range(count):
            end = packed.index(b'\r\n', at)
            size, at = int(packed[at + 1:end]), end + 2
            args.append(packed[at:at + size])
            at += size + 2
        commands.append(tuple(args))
    return commands


def _record(commands):
    if _from_kairos():
        SENT.update(_name(args) for args in commands)


def start():
    """Count, by name, every command whose bytes go on the wire from kairos code."""
    if _saved:
        return
    _saved['send_packed_command'] = send_packed = AbstractConnection.send_packed_command

    def recording_send_packed_command(self, command, *args, **kwargs):
        _record(parse_packed(command))
        return send_packed(self, command, *args, **kwargs)

    AbstractConnection.send_packed_command = recording_send_packed_command


def stop():
    if not _saved:
        return
    AbstractConnection.send_packed_command = _saved.pop('send_packed_command')
    if os.environ.get('KAIROS_COMMAND_REPORT'):
        print('kairos sent %d Redis commands: %s' % (sum(SENT.values()), dict(SENT)),
              file=sys.stderr)
    bad = {name: SENT[name] for name in FORBIDDEN if SENT[name]}
    assert not bad, 'kairos sent forbidden Redis commands during the run: %r' % bad
