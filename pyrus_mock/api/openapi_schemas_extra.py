"""OpenAPI data schemas of announcements, the knowledge base, telephony integrations and the
fake's own description (C# ``AnnouncementResponse``, ``AnnouncementsResponse``,
``KnowledgeBaseEntityResponse``, ``KnowledgeBaseStructureResponse``,
``KnowledgeBasePermissionsResponse``, ``KnowledgeBaseDeleteResponse``, ``CallResponse``), the
empty success reply (C# ``ResponseBase``) and the requests of these areas.

Merged into :data:`pyrus_mock.api.openapi_schemas.SCHEMAS`; :data:`RESPONSES` and
:data:`REQUEST_BODIES` map this area's operations to them.
"""

from __future__ import annotations

from typing import Any

from .openapi_schemas_base import (
    BOOL,
    INT,
    INTS,
    STR,
    TIMESTAMP,
    array,
    list_of,
    object_schema,
    ref,
)

__all__ = ["REQUEST_BODIES", "RESPONSES", "SCHEMAS"]

_KB_TYPE: dict[str, Any] = {"type": "string", "enum": ["article", "topic"]}
_KB_LEVEL: dict[str, Any] = {"type": "string", "enum": ["none", "read", "write"]}

#: An attachment of a request: an upload's guid, or a C# NewFile object.
_NEW_FILE: dict[str, Any] = {
    "anyOf": [
        STR,
        object_schema([], guid=STR, root_id=INT, attachment_id=INT, url=STR, name=STR),
    ]
}
_MAPPINGS = array(object_schema(["code"], code=STR, value=STR))

_ANNOUNCEMENT_PROPERTIES: dict[str, dict[str, Any]] = {
    "id": INT,
    "text": STR,
    "formatted_text": STR,
    "create_date": TIMESTAMP,
    "author": ref("Person"),
    "attachments": list_of("File"),
}

#: The named schemas of this area.
SCHEMAS: dict[str, dict[str, Any]] = {
    # C# ResponseBase on success: no members (deletes, attachcallrecord).
    "Empty": {"type": "object", "maxProperties": 0},
    "AnnouncementComment": object_schema(
        ["id", "create_date", "author"], **_ANNOUNCEMENT_PROPERTIES
    ),
    "Announcement": object_schema(
        ["id", "create_date", "last_modified_date", "author"],
        **_ANNOUNCEMENT_PROPERTIES,
        last_modified_date=TIMESTAMP,
        comments=list_of("AnnouncementComment"),
    ),
    "AnnouncementResponse": object_schema(["announcement"], announcement=ref("Announcement")),
    "AnnouncementsResponse": object_schema(
        ["announcements"], announcements=list_of("Announcement")
    ),
    "KnowledgeBasePerson": object_schema(
        ["id"], id=INT, first_name=STR, last_name=STR, email=STR, type=STR
    ),
    "KnowledgeBaseEntity": object_schema(
        [
            "id",
            "title",
            "type",
            "author",
            "created_at",
            "updated_at",
            "last_edited_by",
            "version",
            "access_right",
            "is_open_for_organization",
            "is_public",
        ],
        id=STR,
        title=STR,
        type=_KB_TYPE,
        body=STR,
        parent_topic_id=STR,
        author=ref("KnowledgeBasePerson"),
        created_at=TIMESTAMP,
        updated_at=TIMESTAMP,
        last_edited_by=ref("KnowledgeBasePerson"),
        version=INT,
        access_right=_KB_LEVEL,
        is_open_for_organization=BOOL,
        is_public=BOOL,
        attachments=array(
            object_schema(
                ["id"], id={"type": "string", "format": "uuid"}, name=STR, size=INT, url=STR
            )
        ),
    ),
    "KnowledgeBaseStructureItem": object_schema(
        [
            "id",
            "title",
            "type",
            "created_at",
            "updated_at",
            "access_right",
            "is_open_for_organization",
        ],
        id=STR,
        title=STR,
        type=_KB_TYPE,
        parent_topic_id=STR,
        created_at=TIMESTAMP,
        updated_at=TIMESTAMP,
        access_right=_KB_LEVEL,
        is_open_for_organization=BOOL,
        children=list_of("KnowledgeBaseStructureItem"),
    ),
    "KnowledgeBaseStructure": object_schema(
        ["items"],
        parent_topic_id=STR,
        depth=INT,
        items=list_of("KnowledgeBaseStructureItem"),
    ),
    "KnowledgeBasePermissions": object_schema(
        ["global_permission", "inherit"],
        global_permission=_KB_LEVEL,
        inherit=BOOL,
        readers=list_of("KnowledgeBasePerson"),
        editors=list_of("KnowledgeBasePerson"),
    ),
    "KnowledgeBaseDelete": object_schema(["deleted"], deleted=BOOL),
    "CallResponse": object_schema(["task_id"], task_id=INT),
    # The OpenAPI document itself (its full shape is the OpenAPI 3.1 meta-schema).
    "OpenApiDocument": object_schema(
        ["openapi", "info", "paths", "components"],
        openapi={"type": "string", "pattern": r"^3\.1\.\d+$"},
        info=object_schema(["title", "version"], title=STR, version=STR),
        paths={"type": "object"},
        components={"type": "object"},
    ),
    # -- request bodies --
    "CreateAnnouncement": object_schema(
        [], text=STR, formatted_text=STR, attachments=array(_NEW_FILE)
    ),
    "CreateKnowledgeBaseEntity": object_schema(
        ["type", "title"], type=_KB_TYPE, title=STR, body=STR, parent_topic_id=STR
    ),
    "UpdateKnowledgeBaseEntity": object_schema(
        [], title=STR, body=STR, parent_topic_id_changed=BOOL, parent_topic_id=STR
    ),
    "UpdateKnowledgeBasePermissions": object_schema([], inherit=BOOL, readers=INTS, editors=INTS),
    "RegisterCall": object_schema(
        ["account_id"],
        account_id=STR,
        from_number=STR,
        to_number=STR,
        internal_number=STR,
        external_id=STR,
        mappings=_MAPPINGS,
    ),
    "AttachCallRecord": object_schema(
        ["record_file"],
        record_file=STR,
        from_number=STR,
        to_number=STR,
        external_id=STR,
        task_id=INT,
        mappings=_MAPPINGS,
    ),
}

#: The schema of the 200 JSON reply, by method and path (below the API prefix).
RESPONSES: dict[tuple[str, str], str] = {
    ("GET", "/announcements"): "AnnouncementsResponse",
    ("GET", "/announcements/{announcement_id}"): "AnnouncementResponse",
    ("POST", "/announcements"): "AnnouncementResponse",
    ("POST", "/announcements/{announcement_id}/comments"): "AnnouncementResponse",
    ("GET", "/knowledgebase/structure"): "KnowledgeBaseStructure",
    ("POST", "/knowledgebase"): "KnowledgeBaseEntity",
    ("GET", "/knowledgebase/{entity_id}"): "KnowledgeBaseEntity",
    ("PUT", "/knowledgebase/{entity_id}"): "KnowledgeBaseEntity",
    ("DELETE", "/knowledgebase/{entity_id}"): "KnowledgeBaseDelete",
    ("GET", "/knowledgebase/{entity_id}/permissions"): "KnowledgeBasePermissions",
    ("PUT", "/knowledgebase/{entity_id}/permissions"): "KnowledgeBasePermissions",
    ("POST", "/integrations/call"): "CallResponse",
    ("POST", "/integrations/attachcallrecord"): "Empty",
    ("GET", "/openapi.json"): "OpenApiDocument",
}

#: The schema of the JSON request body, by method and path.
REQUEST_BODIES: dict[tuple[str, str], str] = {
    ("POST", "/announcements"): "CreateAnnouncement",
    ("POST", "/announcements/{announcement_id}/comments"): "CreateAnnouncement",
    ("POST", "/knowledgebase"): "CreateKnowledgeBaseEntity",
    ("PUT", "/knowledgebase/{entity_id}"): "UpdateKnowledgeBaseEntity",
    ("PUT", "/knowledgebase/{entity_id}/permissions"): "UpdateKnowledgeBasePermissions",
    ("POST", "/integrations/call"): "RegisterCall",
    ("POST", "/integrations/attachcallrecord"): "AttachCallRecord",
}
