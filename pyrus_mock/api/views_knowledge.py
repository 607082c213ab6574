"""Knowledge-base views: the seven methods of the official clients (Python
``get/create/update/delete_knowledge_base_entity``, ``get_knowledge_base_structure``,
``get/update_knowledge_base_permissions``; C# ``KnowledgeBaseEndpoint``).

Entities are articles and topics with string (UUID) ids; access levels are modelled as
described in :mod:`pyrus_mock.state.extra_store`. Errors use the clients' knowledge-base codes:
``knowledge_base_not_found`` (404) for an unknown id, ``knowledge_base_access_denied`` (403)
for too low a level, ``knowledge_base_title_required``, ``knowledge_base_body_required``,
``knowledge_base_invalid_parent`` and ``knowledge_base_invalid_request`` (400).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..domain.model_extra import KbAccess, KbEntity, KbType
from ..state import serialize
from ..state.extra_store import kb_max
from . import body
from .call import Call
from .errors import ApiError

if TYPE_CHECKING:
    from ..state.backend import PyrusBackend

__all__ = [
    "create_entity",
    "delete_entity",
    "get_entity",
    "get_permissions",
    "get_structure",
    "update_entity",
    "update_permissions",
]


def _person_info(backend: PyrusBackend, person_id: int) -> dict[str, Any]:
    """A KnowledgeBasePersonInfo ``{id, first_name, last_name, email, type}``."""
    found = backend.find_person(person_id)
    if found is None:
        return {"id": person_id}
    shown = serialize.person(found)
    return {k: shown[k] for k in ("id", "first_name", "last_name", "email", "type") if k in shown}


def _stamps(entity: KbEntity) -> dict[str, str]:
    return {
        "created_at": serialize.timestamp(entity.created_at),
        "updated_at": serialize.timestamp(entity.updated_at),
    }


def _entity(call: Call, entity: KbEntity) -> dict[str, Any]:
    """A KnowledgeBaseEntityResponse (the members at the top level)."""
    backend, store = call.backend, call.backend.extra
    data: dict[str, Any] = {"id": entity.id, "title": entity.title, "type": entity.type}
    if entity.body:
        data["body"] = entity.body
    if entity.parent_id:
        data["parent_topic_id"] = entity.parent_id
    data["author"] = _person_info(backend, entity.author_id)
    data.update(_stamps(entity))
    data["last_edited_by"] = _person_info(backend, entity.last_edited_by)
    data["version"] = entity.version
    data["access_right"] = store.kb_access(call.me.id, entity)
    data["is_open_for_organization"] = store.kb_open(entity)
    data["is_public"] = False
    return data


def _find(call: Call, entity_id: str, need: KbAccess) -> KbEntity:
    """The entity, when the caller has at least ``need`` on it (call under the lock)."""
    entity = call.backend.extra.kb.get(entity_id)
    if entity is None:
        raise ApiError(
            "knowledge_base_not_found",
            f"no knowledge-base article or topic has the id {entity_id[:60]!r}",
            status=404,
        )
    level = call.backend.extra.kb_access(call.me.id, entity)
    if kb_max(level, need) != level:
        raise ApiError(
            "knowledge_base_access_denied",
            f"person {call.me.id} has {level!r} access to {entity.type} {entity.id}; "
            f"this needs {need!r}",
        )
    return entity


def _parent(call: Call, parent_id: str | None, moving: KbEntity | None = None) -> str | None:
    """A checked parent topic id: an existing topic the caller may write, not ``moving`` or
    one of its descendants."""
    if parent_id is None or parent_id == "":
        return None
    store = call.backend.extra
    parent = store.kb.get(parent_id)
    if parent is None or parent.type != "topic":
        raise ApiError(
            "knowledge_base_invalid_parent", f"/parent_topic_id: {parent_id[:60]!r} is not a topic"
        )
    if moving is not None and (
        parent is moving or any(d is parent for d in store.kb_descendants(moving))
    ):
        raise ApiError(
            "knowledge_base_invalid_parent",
            f"/parent_topic_id: cannot move {moving.id} into itself or below it",
        )
    _find(call, parent_id, "write")
    return parent_id


def get_entity(call: Call, entity_id: str) -> dict[str, Any]:
    """``GET /knowledgebase/{id}``: the article or topic (read access)."""
    with call.backend.lock:
        return _entity(call, _find(call, entity_id, "read"))


def create_entity(call: Call) -> dict[str, Any]:
    """``POST /knowledgebase`` ``{type, title, body?, parent_topic_id?}``: the new entity, the
    caller its author (write access). Articles need a body; a parent must be a topic the caller
    may write."""
    data = call.json()
    kind = body.get_str(data, "type")
    if kind not in ("article", "topic"):
        raise ApiError(
            "knowledge_base_invalid_request", f"/type must be 'article' or 'topic', got {kind!r}"
        )
    entity_type: KbType = "article" if kind == "article" else "topic"
    title = body.get_str(data, "title") or ""
    text = body.get_str(data, "body") or ""
    parent_id = body.get_str(data, "parent_topic_id")
    if not title.strip():
        raise ApiError("knowledge_base_title_required", "/title: give the title")
    if entity_type == "article" and not text.strip():
        raise ApiError("knowledge_base_body_required", "/body: an article needs a body")
    backend = call.backend
    with backend.lock:
        parent = _parent(call, parent_id)
        now = backend.now()
        entity = KbEntity(
            id=backend.ids.uuid(),
            type=entity_type,
            title=title,
            author_id=call.me.id,
            created_at=now,
            updated_at=now,
            last_edited_by=call.me.id,
            body=text if entity_type == "article" else "",
            parent_id=parent,
        )
        backend.extra.kb[entity.id] = entity
        return _entity(call, entity)


def update_entity(call: Call, entity_id: str) -> dict[str, Any]:
    """``PUT /knowledgebase/{id}`` ``{title?, body?, parent_topic_id_changed?,
    parent_topic_id?}`` (write access). Null members are left as they are; the parent moves
    only with ``parent_topic_id_changed: true`` (to the root when ``parent_topic_id`` is
    null). Every change raises ``version`` by one."""
    data = call.json()
    title = body.get_str(data, "title")
    text = body.get_str(data, "body")
    moved = body.get_bool(data, "parent_topic_id_changed")
    parent_id = body.get_str(data, "parent_topic_id")
    if title is not None and not title.strip():
        raise ApiError("knowledge_base_title_required", "/title: a title cannot be empty")
    backend = call.backend
    with backend.lock:
        entity = _find(call, entity_id, "write")
        if text is not None and entity.type == "article" and not text.strip():
            raise ApiError("knowledge_base_body_required", "/body: an article needs a body")
        new_parent = _parent(call, parent_id, entity) if moved else entity.parent_id
        changed = False
        if title is not None and title != entity.title:
            entity.title, changed = title, True
        if text is not None and entity.type == "article" and text != entity.body:
            entity.body, changed = text, True
        if new_parent != entity.parent_id:
            entity.parent_id, changed = new_parent, True
        if changed:
            entity.version += 1
            entity.updated_at = backend.now()
            entity.last_edited_by = call.me.id
        return _entity(call, entity)


def delete_entity(call: Call, entity_id: str) -> dict[str, Any]:
    """``DELETE /knowledgebase/{id}?delete_with_children=true|false`` (write access):
    ``{"deleted": true}``. A topic with entities in it needs ``delete_with_children=true``."""
    with_children = body.query_bool(call.arg("delete_with_children"), "delete_with_children")
    backend = call.backend
    with backend.lock:
        entity = _find(call, entity_id, "write")
        below = list(backend.extra.kb_descendants(entity))
        if below and not with_children:
            raise ApiError(
                "knowledge_base_invalid_request",
                f"topic {entity.id} holds {len(below)} entities; pass delete_with_children=true "
                "to delete them too",
            )
        for gone in (entity, *below):
            del backend.extra.kb[gone.id]
        return {"deleted": True}


def _tree(call: Call, parent_id: str | None, depth: int | None) -> list[dict[str, Any]]:
    store = call.backend.extra
    items = []
    for entity in store.kb_children(parent_id):
        level = store.kb_access(call.me.id, entity)
        if level == "none":
            continue
        item: dict[str, Any] = {"id": entity.id, "title": entity.title, "type": entity.type}
        if entity.parent_id:
            item["parent_topic_id"] = entity.parent_id
        item.update(_stamps(entity))
        item["access_right"] = level
        item["is_open_for_organization"] = store.kb_open(entity)
        if entity.type == "topic" and (depth is None or depth > 1):
            children = _tree(call, entity.id, None if depth is None else depth - 1)
            if children:
                item["children"] = children
        items.append(item)
    return items


def get_structure(call: Call) -> dict[str, Any]:
    """``GET /knowledgebase/structure[?parent_topic_id=&depth=]``: the readable entities
    below the topic (the root when omitted), nested ``depth`` levels deep (all when omitted)."""
    parent_id = call.arg("parent_topic_id") or None
    depth_raw = call.arg("depth")
    depth = None if depth_raw in (None, "") else body.query_int(depth_raw, "depth", 0)
    if depth is not None and depth < 1:
        raise ApiError("knowledge_base_invalid_request", f"depth={depth}: give 1 or more")
    with call.backend.lock:
        data: dict[str, Any] = {}
        if parent_id is not None:
            parent = _find(call, parent_id, "read")
            if parent.type != "topic":
                raise ApiError(
                    "knowledge_base_invalid_parent",
                    f"{parent_id[:60]!r} is an article, not a topic",
                )
            data["parent_topic_id"] = parent_id
        if depth is not None:
            data["depth"] = depth
        data["items"] = _tree(call, parent_id, depth)
        return data


def _permissions(call: Call, entity: KbEntity) -> dict[str, Any]:
    backend = call.backend
    data: dict[str, Any] = {
        "global_permission": "read" if backend.extra.kb_open(entity) else "none",
        "inherit": entity.inherit,
    }
    if entity.readers:
        data["readers"] = [_person_info(backend, p) for p in entity.readers]
    if entity.editors:
        data["editors"] = [_person_info(backend, p) for p in entity.editors]
    return data


def get_permissions(call: Call, entity_id: str) -> dict[str, Any]:
    """``GET /knowledgebase/{id}/permissions`` (read access): ``{global_permission, inherit,
    readers, editors}``; readers and editors are the entity's own lists."""
    with call.backend.lock:
        return _permissions(call, _find(call, entity_id, "read"))


def update_permissions(call: Call, entity_id: str) -> dict[str, Any]:
    """``PUT /knowledgebase/{id}/permissions`` ``{inherit?, readers?, editors?}`` (write
    access): null members are left as they are; lists replace the entity's own lists."""
    data = call.json()
    inherit = body.get_bool(data, "inherit")
    readers = body.get_int_list(data, "readers")
    editors = body.get_int_list(data, "editors")
    backend = call.backend
    with backend.lock:
        entity = _find(call, entity_id, "write")
        for key, ids in (("readers", readers), ("editors", editors)):
            for index, person_id in enumerate(ids or ()):
                person = backend.find_person(person_id)
                if person is None or person.fired:
                    raise ApiError(
                        "invalid_person_id",
                        f"/{key}/{index}: no active person has the id {person_id}",
                    )
        if inherit is not None:
            entity.inherit = inherit
        if readers is not None:
            entity.readers = list(dict.fromkeys(readers))
        if editors is not None:
            entity.editors = list(dict.fromkeys(editors))
        return _permissions(call, entity)
