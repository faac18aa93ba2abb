"""Spotting a likely typo: the known word one or two letters off a given one."""

from typing import Any, Iterable, Optional


def close_match(word: Any, candidates: Iterable[str]) -> Optional[str]:
    """The candidate ``word`` is likely a typo of: one or two letters off (one for
    candidates of four letters or fewer, so short words stay apart), else None."""
    if not isinstance(word, str):
        return None
    best, best_distance = None, 3
    for candidate in candidates:
        limit = 1 if len(candidate) <= 4 else 2
        distance = _edits(word, candidate)
        if distance <= limit and distance < best_distance:
            best, best_distance = candidate, distance
    return best


def _edits(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment): insertions, deletions,
    substitutions and swaps of two neighbouring letters."""
    before, above = None, list(range(len(b) + 1))
    for i, letter in enumerate(a, 1):
        row = [i]
        for j, other in enumerate(b, 1):
            cost = min(above[j] + 1, row[j - 1] + 1, above[j - 1] + (letter != other))
            if i > 1 and j > 1 and letter == b[j - 2] and a[i - 2] == other:
                cost = min(cost, before[j - 2] + 1)  # type: ignore[index]  # set once i > 1
            row.append(cost)
        before, above = above, row
    return above[-1]

