"""Atomic writes on Redis: each hash slot's part of a call in one MULTI/EXEC once all
its keys are verified, else through the checking script; and the keys verified so far.
"""

import time
from typing import AbstractSet, Any, Dict, Iterable, List, Optional, Tuple

from redis.exceptions import ResponseError

from ..exceptions import DataConflict, KairosException, StorageError
from ..steps import Steps
from .cluster import Router
from .errors import chain, full_error, out_of_memory, refusal, refused_unrun
from .replies import as_str
from .scripts import WRITE_SHA, script_args
from .wire import Command

# Keys a RedisBackend remembers as verified (two generations of half this each;
# about 100 bytes a key): a working set of writes larger than half of it is checked again.
VERIFIED_KEYS = 50000
# In MULTI/EXEC, a verified key's EXPIRE is sent again once this share of its
# lifetime has passed since this object last set it (the script always sends it).
EXPIRE_REFRESH = 0.01


class AtomicWrites:
    """The 'multi' and 'script' write modes of one RedisBackend (see its docstring).

    A key is verified once a write of this object found it holding the kind of
    data its command writes (or absent); ``forget()`` after a delete.
    """

    def __init__(self, router: Router, server: str):
        self._router = router
        self._server = server   # as messages name it
        # key -> time.monotonic() when this object last set its TTL; two generations
        self._verified: Dict[str, float] = {}
        self._verified_before: Dict[str, float] = {}

    def forget(self) -> None:
        """Verify every key again: they may have been deleted."""
        self._verified, self._verified_before = {}, {}

    def _known(self, key: str) -> Optional[float]:
        """When this object last set the TTL of a key it verified; None if unverified."""
        when = self._verified.get(key)
        if when is None:
            when = self._verified_before.get(key)
            if when is not None:
                self._remember(key, when)
        return when

    def _remember(self, key: str, when: float) -> None:
        self._verified[key] = when
        if len(self._verified) >= VERIFIED_KEYS // 2:
            self._verified_before, self._verified = self._verified, {}

    def _remember_all(self, commands: List[Command], when: float,
                      floats: Iterable[str] = ()) -> None:
        """After a write: its keys are verified, but counters holding floats are not."""
        floats = set(floats).union(c[1] for c in commands if c[0] == 'INCRBYFLOAT')
        for command in commands:
            if command[1] in floats:  # its EXPIRE, sent later, must not verify it again
                self._verified.pop(command[1], None)
                self._verified_before.pop(command[1], None)
            elif command[0] == 'EXPIRE' or command[1] not in self._verified:
                self._remember(command[1], when)

    def send(self, commands: List[Command], mode: str) -> Steps[None]:
        """Each slot's commands in MULTI/EXEC (every key verified) or the script, at once.

        In 'multi' mode a verified key's EXPIRE is left out until it is due,
        and the script checks only the keys not verified yet; one command
        alone needs no MULTI/EXEC. On single Redis everything is one slot.
        Every slot's part is atomic; the first error is raised once every
        part's reply has been handled.
        """
        now = time.monotonic()
        plans: List[Tuple[Optional[int], List[Command], List[Command], Optional[List[str]]]] = []
        names: Optional[List[str]]
        for slot, part in self._router.slots(commands):
            trusted: AbstractSet[str] = set()
            verified = False
            if mode == 'multi':
                known = {c[1]: self._known(c[1]) for c in part}
                part = [c for c in part if c[0] != 'EXPIRE' or known[c[1]] is None or
                        now - known[c[1]] >= c[2] * EXPIRE_REFRESH]  # type: ignore[operator]
                trusted = {key for key, when in known.items() if when is not None}
                verified = len(trusted) == len(known)
            if not part:
                continue
            if verified:
                packet = part if len(part) == 1 else [('MULTI',)] + part + [('EXEC',)]
                plans.append((slot, part, packet, None))
            else:
                names, args = script_args(part, trusted)
                plans.append((slot, part, [('EVALSHA', WRITE_SHA) + args], names))
        if not plans:
            return
        replies = yield from self._router.send([(slot, packet) for slot, _, packet, _ in plans],
                                               True)
        errors: List[KairosException] = []
        for (slot, part, packet, names), reply in zip(plans, replies):
            error = reply if isinstance(reply, StorageError) else \
                self._settle_multi(part, reply, len(packet) > 1, now) if names is None \
                else self._settle_script(part, names, reply[0], now)
            if error is not None:
                errors.append(error)
        if errors:
            raise self._call_error(errors, len(plans))

    @staticmethod
    def _call_error(errors: List[KairosException], parts: int) -> KairosException:
        """The error of a call whose ``errors`` come from some of its ``parts`` (hash
        slots), the others applied: the first, saying what the call as a whole did."""
        error = errors[0]
        outcomes = [e.applied for e in errors]
        error.applied = None if None in outcomes else \
            len(errors) < parts or any(outcomes)
        if parts > 1:   # a cluster: say what the other slots did
            error.args = ('%s (in one of the %d hash slots this call spans; %s)' % (
                error, parts, 'it failed in each' if len(errors) == parts else
                'it failed in %d of them, and was applied in the other %d'
                % (len(errors), parts - len(errors))),)
        return error

    def _settle_multi(self, commands: List[Command], replies: List[Any], multi: bool,
                      now: float) -> Optional[KairosException]:
        """``replies``: of MULTI, each command (QUEUED) and EXEC, or the one command's."""
        results = replies[-1] if multi else replies
        if isinstance(results, ResponseError):
            # the transaction was refused whole: by EXEC, or as a command was queued
            cause = next((r for r in replies[1:-1] if isinstance(r, ResponseError)),
                         results) if multi else results
            if out_of_memory(results) or out_of_memory(cause):
                return chain(full_error(self._server, detail=cause), cause)
            return chain(refusal(self._server, 'Redis refused the write; nothing of it was '
                                 'applied: %s', cause, False), cause)
        return self._settle(commands, now, (), [
            (command[1], '%s %s: %s' % (command[0], command[1], result), result)
            for command, result in zip(commands, results) if isinstance(result, ResponseError)])

    def _settle_script(self, commands: List[Command], names: List[str], reply: Any,
                       now: float) -> Optional[KairosException]:
        if isinstance(reply, ResponseError):
            # refused before it ran (the script's own type check, a server out of
            # memory, busy...), else failed part-way: what it ran is unknown
            if out_of_memory(reply):
                return chain(full_error(self._server, detail=reply), reply)
            unrun = refused_unrun(reply)
            return chain(refusal(self._server, 'Redis refused the write; nothing of it was '
                                 'applied: %s' if unrun else 'the write\'s script failed '
                                 'part-way; what it applied is unknown: %s', reply,
                                 False if unrun else None), reply)
        floats, refused = reply
        return self._settle(commands, now, {names[int(i) - 1] for i in floats}, [
            (names[int(refused[i]) - 1], as_str(refused[i + 1]), None)
            for i in range(0, len(refused), 2)])

    def _settle(self, commands: List[Command], now: float, floats: Iterable[str],
                refused: List[Tuple[str, str, Any]]) -> Optional[KairosException]:
        """Remember the keys of an applied write; the error if Redis refused some of its
        commands ((key, message, error) each): DataConflict (keys verified before,
        whose type changed) or StorageFull (out of memory).

        The call's other commands were applied; the refused keys are checked again next time.
        """
        doomed = {key for key, _, _ in refused}
        self._remember_all([c for c in commands if c[1] not in doomed], now, floats)
        if not refused:
            return None
        for key in doomed:
            self._verified.pop(key, None)
            self._verified_before.pop(key, None)
        applied = len(refused) < len(commands)
        what = 'every command of this write (%d)' % len(commands) if not applied else \
            '%d of the %d commands of this write' % (len(refused), len(commands))
        detail = '; '.join(message for _, message, _ in refused[:3])
        error: KairosException
        if any(out_of_memory(message) for _, message, _ in refused):
            error = full_error(self._server, what, applied, detail)
        else:
            error = DataConflict('Redis refused %s; %s: %s' % (
                what, 'the other %d were applied' % (len(commands) - len(refused))
                if applied else 'nothing of it was applied', detail))
            error.applied = applied
        return chain(error, refused[0][2]) if refused[0][2] is not None else error
