"""The state of the smaller Pyrus areas (announcements, knowledge base, telephony calls), held
by the backend (``backend.extra``) and read and changed only under ``backend.lock``.

Knowledge-base access (the fake's model; Pyrus documents no more than the three levels):

* a person's own level on an entity is ``write`` for its author and its ``editors``, ``read``
  for its ``readers``, ``none`` otherwise;
* with ``inherit`` on, the level is at least the one the person has on the parent topic, and at
  the root at least ``read`` for every member (the entity is *open for the organisation*);
* with ``inherit`` off only the entity's own lists count.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ..domain.model_extra import Announcement, CallIntegration, CallRecord, KbAccess, KbEntity

__all__ = ["ExtraStore", "kb_max"]

_ORDER: dict[KbAccess, int] = {"none": 0, "read": 1, "write": 2}


def kb_max(a: KbAccess, b: KbAccess) -> KbAccess:
    """The higher of two knowledge-base access levels."""
    return a if _ORDER[a] >= _ORDER[b] else b


@dataclass(slots=True)
class ExtraStore:
    """Announcements, knowledge-base entities, call integrations and calls of one fake."""

    announcements: dict[int, Announcement] = field(default_factory=dict)
    kb: dict[str, KbEntity] = field(default_factory=dict)
    call_integrations: dict[str, CallIntegration] = field(default_factory=dict)
    calls: list[CallRecord] = field(default_factory=list)

    # -- knowledge base ------------------------------------------------------------------------

    def kb_children(self, parent_id: str | None) -> list[KbEntity]:
        """The entities directly in ``parent_id`` (the root for None), topics first, by title."""
        found = [e for e in self.kb.values() if e.parent_id == parent_id]
        return sorted(found, key=lambda e: (e.type != "topic", e.title.casefold(), e.id))

    def kb_descendants(self, entity: KbEntity) -> Iterator[KbEntity]:
        """Every entity below ``entity``, depth first."""
        for child in self.kb_children(entity.id):
            yield child
            yield from self.kb_descendants(child)

    def kb_access(self, person_id: int, entity: KbEntity) -> KbAccess:
        """``person_id``'s access level on ``entity`` (see the module docstring)."""
        level: KbAccess = "none"
        current: KbEntity | None = entity
        while current is not None:
            if person_id == current.author_id or person_id in current.editors:
                return "write"
            if person_id in current.readers:
                level = "read"
            if not current.inherit:
                return level
            current = self.kb.get(current.parent_id) if current.parent_id else None
        return kb_max(level, "read")

    def kb_open(self, entity: KbEntity) -> bool:
        """Whether every member may read ``entity`` (``inherit`` up to the root)."""
        current: KbEntity | None = entity
        while current is not None:
            if not current.inherit:
                return False
            current = self.kb.get(current.parent_id) if current.parent_id else None
        return True

    # -- calls ---------------------------------------------------------------------------------

    def find_call(
        self,
        *,
        task_id: int | None = None,
        external_id: str | None = None,
        numbers: tuple[str, str] | None = None,
    ) -> CallRecord | None:
        """The newest call with that task, external id, or (from, to) numbers; None if none."""
        for record in reversed(self.calls):
            if task_id is not None and record.task_id == task_id:
                return record
            if external_id is not None and record.external_id == external_id:
                return record
            if numbers is not None and (record.from_number, record.to_number) == numbers:
                return record
        return None
