"""Seedable identifiers: the same seed gives the same ids, run after run."""

from __future__ import annotations

import random
import uuid

__all__ = ["IdSource", "parse_decimal"]


def parse_decimal(text: str) -> int | None:
    """The int written by ``text`` when it is 1 to 18 ASCII digits (ids, lengths, counts from
    a URL, a header or a JSON key); None otherwise.

    ``str.isdigit`` also accepts ``"²"``, and ``int()`` refuses more than 4,300 digits: both
    would raise where the caller expects a number or a clean refusal.
    """
    if 0 < len(text) <= 18 and text.isascii() and text.isdigit():
        return int(text)
    return None


# Where each kind of id starts. Distinct ranges make ids easy to tell apart in a transcript, and
# everything stays inside int32 because the official C# client reads ids as int.
_BASES = {
    "person": 1_000,
    "form": 300,
    "task": 10_000_000,
    "comment": 50_000_000,
    "catalog": 2_000,
    "catalog_item": 7_000_000,
    "file": 30_000_000,
    "list": 800,
    "department": 600,
    "announcement": 600_000,
    "organisation": 40,
    "field": 1,
    "choice": 1,
    "row": 0,
}


class IdSource:
    """Counters per kind of entity, plus seeded UUIDs.

    Args:
        seed: changes the starting offsets and the UUIDs; ``0`` (the default) is reproducible.
    """

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.reset()

    def reset(self) -> None:
        """Start every counter again from the seed."""
        self._rng = random.Random(self.seed)
        offset = 0 if self.seed == 0 else self._rng.randrange(1, 1000) * 10
        self._next = {kind: base + offset for kind, base in _BASES.items()}

    def next(self, kind: str) -> int:
        """The next id of ``kind`` (``task``, ``person``, ``comment``, ...)."""
        value = self._next[kind] + 1
        self._next[kind] = value
        return value

    def uuid(self) -> str:
        """A version-4 UUID from the seeded generator, lower case."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def claim(self, kind: str, value: int) -> None:
        """Make ``value`` the next id of ``kind`` (an id kept on import).

        The caller checks that no entity has that id and takes it at once, under the backend's
        lock; then :meth:`at_least` moves the counter past it.
        """
        self._next[kind] = value - 1

    def counter(self, kind: str) -> int:
        """The last id of ``kind`` given out (or claimed)."""
        return self._next[kind]

    def at_least(self, kind: str, value: int) -> None:
        """Never give out ``value`` or below again for ``kind``."""
        self._next[kind] = max(self._next[kind], value)
