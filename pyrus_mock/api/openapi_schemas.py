"""The data schemas of the OpenAPI description (``components/schemas``) and which operation
replies or takes which (:data:`RESPONSES`, :data:`REQUEST_BODIES`).

The shapes are those the fake emits (:mod:`pyrus_mock.state.serialize`,
:mod:`pyrus_mock.state.serialize_directory`), named after the official clients' models
(TaskWithComments, Form, Catalog, Person, ...). A member is ``required`` only where the fake
always sends it: empty values are omitted, never ``null`` (D3), so most members are optional.
Objects stay open (``additionalProperties`` is not restricted): Pyrus adds members over time,
and a client must ignore the ones it does not know.
"""

from __future__ import annotations

from typing import Any

__all__ = ["REQUEST_BODIES", "RESPONSES", "SCHEMAS"]

_INT: dict[str, Any] = {"type": "integer"}
_STR: dict[str, Any] = {"type": "string"}
_BOOL: dict[str, Any] = {"type": "boolean"}
_INTS: dict[str, Any] = {"type": "array", "items": _INT}
#: ``YYYY-MM-DDThh:mm:ssZ``, no fractions (D11).
_TIMESTAMP: dict[str, Any] = {
    "type": "string",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$",
}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _list(name: str) -> dict[str, Any]:
    return {"type": "array", "items": _ref(name)}


def _object(required: list[str], **properties: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


_PERSON_PROPERTIES: dict[str, dict[str, Any]] = {
    "id": _INT,
    "first_name": _STR,
    "last_name": _STR,
    "email": _STR,
    "type": {"type": "string", "enum": ["user", "bot", "role"]},
}

_TASK_HEADER_PROPERTIES: dict[str, dict[str, Any]] = {
    "id": _INT,
    "text": _STR,
    "formatted_text": _STR,
    "create_date": _TIMESTAMP,
    "last_modified_date": _TIMESTAMP,
    "author": _ref("Person"),
    "responsible": _ref("Person"),
    "close_date": _TIMESTAMP,
    "due_date": _STR,
}
_TASK_HEADER_REQUIRED = ["id", "create_date", "last_modified_date", "author"]

_TASK_PROPERTIES: dict[str, dict[str, Any]] = {
    **_TASK_HEADER_PROPERTIES,
    "subject": _STR,
    "due": _STR,
    "duration": _INT,
    "scheduled_date": _STR,
    "scheduled_datetime_utc": _STR,
    "form_id": _INT,
    "current_step": _INT,
    "participants": _list("Person"),
    "subscribers": _list("Subscriber"),
    "attachments": _list("File"),
    "list_ids": _INTS,
    "linked_task_ids": _INTS,
    "parent_task_id": _INT,
    "last_note_id": _INT,
    "spent_minutes": _INT,
    "is_closed": _BOOL,
    "fields": _list("FormField"),
    "approvals": {"type": "array", "items": _list("Approval")},
    "steps": _list("TaskStep"),
}

_PERSON_LIST = _list("Person")
_APPROVAL_GROUPS: dict[str, Any] = {"type": "array", "items": _list("Approval")}

_MEMBER_PROPERTIES: dict[str, dict[str, Any]] = {
    **_PERSON_PROPERTIES,
    "position": _STR,
    "department_id": _INT,
    "department_name": _STR,
    "phone": _STR,
    "external_id": _STR,
    "member_ids": _INTS,
    "status": _STR,
    "mobile_phone": _STR,
    "avatar_id": _INT,
    "external_avatar_id": _INT,
    "banned": _BOOL,
    "fired": _BOOL,
    "rights": _INT,
}

_TASK_LIST_PROPERTIES: dict[str, dict[str, Any]] = {
    "id": _INT,
    "name": _STR,
    "deleted": _BOOL,
    "list_type": _STR,
    "has_form": _BOOL,
    "manager_ids": _INTS,
    "member_ids": _INTS,
    "version": _INT,
    "is_private": _BOOL,
    "parent_id": _INT,
    "color": _STR,
    "external_id": _INT,
    "external_version": _INT,
    "children": _list("TaskList"),
}

#: Every named schema of ``components/schemas`` but ``Error``.
SCHEMAS: dict[str, dict[str, Any]] = {
    "Person": _object(["id"], **_PERSON_PROPERTIES),
    "Member": _object(["id", "type", "banned", "fired"], **_MEMBER_PROPERTIES),
    "Role": _object(
        ["id", "name", "banned", "fired"],
        id=_INT,
        name=_STR,
        banned=_BOOL,
        fired=_BOOL,
        member_ids=_INTS,
        external_id=_STR,
        avatar_id=_INT,
        external_avatar_id=_INT,
    ),
    "File": _object(
        ["id", "size", "version"],
        id=_INT,
        name=_STR,
        md5=_STR,
        url=_STR,
        root_id=_INT,
        size=_INT,
        version=_INT,
    ),
    "Subscriber": _object(["person"], person=_ref("Person"), approval_choice=_STR),
    "Approval": _object(["person"], person=_ref("Person"), approval_choice=_STR, step=_INT),
    "TaskStep": _object(["step", "name", "elapsed_time"], step=_INT, name=_STR, elapsed_time=_INT),
    # A field of a task, with its value (any JSON: text, number, Person, catalog item, rows...).
    "FormField": _object(
        ["id", "type", "name"],
        id=_INT,
        type=_STR,
        name=_STR,
        code=_STR,
        parent_id=_INT,
        row_id=_INT,
        value={},
        duration=_INT,
    ),
    "TaskComment": _object(
        ["id", "create_date", "author"],
        id=_INT,
        create_date=_TIMESTAMP,
        author=_ref("Person"),
        text=_STR,
        formatted_text=_STR,
        subject=_STR,
        reassigned_to=_ref("Person"),
        field_updates=_list("FormField"),
        approval_choice=_STR,
        approval_step=_INT,
        changed_step=_INT,
        reset_to_step=_INT,
        action=_STR,
        approvals_added=_APPROVAL_GROUPS,
        approvals_removed=_APPROVAL_GROUPS,
        approvals_rerequested=_APPROVAL_GROUPS,
        subscribers_added=_PERSON_LIST,
        subscribers_removed=_PERSON_LIST,
        subscribers_rerequested=_PERSON_LIST,
        participants_added=_PERSON_LIST,
        participants_removed=_PERSON_LIST,
        attachments=_list("File"),
        due_date=_STR,
        due=_STR,
        duration=_INT,
        cancel_due=_BOOL,
        scheduled_date=_STR,
        scheduled_datetime_utc=_STR,
        cancel_schedule=_BOOL,
        added_list_ids=_INTS,
        removed_list_ids=_INTS,
        spent_minutes=_INT,
        edit_comment_id=_INT,
        channel={"type": "object"},
        skip_satisfaction=_BOOL,
        skip_notification=_BOOL,
        skip_auto_reopen=_BOOL,
        mentions=_INTS,
        comment_as_roles=_PERSON_LIST,
    ),
    "TaskHeader": _object(_TASK_HEADER_REQUIRED, **_TASK_HEADER_PROPERTIES),
    "TaskWithComments": _object(
        [*_TASK_HEADER_REQUIRED, "is_closed"],
        **_TASK_PROPERTIES,
        comments=_list("TaskComment"),
    ),
    "TaskResponse": _object(["task"], task=_ref("TaskWithComments")),
    # A field definition of a form (``info`` holds options, columns, nested fields...).
    "FormFieldDef": _object(
        ["id", "type"],
        id=_INT,
        type=_STR,
        name=_STR,
        code=_STR,
        parent_id=_INT,
        info={"type": "object"},
        value={},
    ),
    "Form": _object(
        ["id"],
        id=_INT,
        name=_STR,
        steps={"type": "object", "additionalProperties": _STR},
        fields=_list("FormFieldDef"),
        deleted_or_closed=_BOOL,
    ),
    "FormsResponse": _object(["forms"], forms=_list("Form")),
    "CatalogItem": _object(
        ["item_id", "values", "deleted"],
        item_id=_INT,
        values={"type": "array", "items": _STR},
        deleted=_BOOL,
    ),
    "Catalog": _object(
        [
            "catalog_id",
            "name",
            "version",
            "deleted",
            "source_type",
            "catalog_headers",
            "items",
        ],
        catalog_id=_INT,
        name=_STR,
        version=_INT,
        deleted=_BOOL,
        source_type=_STR,
        catalog_headers={
            "type": "array",
            "items": _object(["name", "type"], name=_STR, type=_STR),
        },
        items=_list("CatalogItem"),
        external_id=_STR,
        external_version=_INT,
        supervisors=_INTS,
    ),
    "CatalogsResponse": _object(["catalogs"], catalogs=_list("Catalog")),
    "MembersResponse": _object(["members"], members=_list("Member")),
    "Organization": _object(
        ["organization_id", "name", "persons"],
        organization_id=_INT,
        name=_STR,
        persons=_list("Member"),
        roles=_list("Role"),
    ),
    "Profile": _object(
        ["person_id", "locale", "timezone_offset", "organization_id", "organization"],
        person_id=_INT,
        first_name=_STR,
        last_name=_STR,
        email=_STR,
        locale=_STR,
        timezone_offset=_INT,
        organization_id=_INT,
        organization=_ref("Organization"),
    ),
    "TaskList": _object(
        [
            "id",
            "name",
            "deleted",
            "list_type",
            "has_form",
            "manager_ids",
            "member_ids",
            "version",
            "is_private",
        ],
        **_TASK_LIST_PROPERTIES,
    ),
    "ListsResponse": _object(["lists"], lists=_list("TaskList")),
    "TaskGroup": _object(
        ["id", "name", "has_more", "tasks"],
        id=_INT,
        name=_STR,
        has_more=_BOOL,
        tasks=_list("TaskHeader"),
    ),
    "InboxResponse": _object(
        ["tasks", "has_more", "task_groups"],
        tasks=_list("TaskHeader"),
        has_more=_BOOL,
        task_groups=_list("TaskGroup"),
    ),
    "Bot": _object(
        ["id", "is_enabled", "fired", "rights", "send_only_last_comment", "time_zone_offset"],
        id=_INT,
        name=_STR,
        bot_settings=_STR,
        hook_url=_STR,
        login=_STR,
        description=_STR,
        external_id=_STR,
        locale=_STR,
        is_enabled=_BOOL,
        fired=_BOOL,
        rights=_INT,
        send_only_last_comment=_BOOL,
        time_zone_offset=_INT,
    ),
    "BotsResponse": _object(["bots"], bots=_list("Bot")),
    "RolesResponse": _object(["roles"], roles=_list("Role")),
    "AuthResponse": _object(
        ["access_token", "api_url", "files_url"],
        access_token={"type": "string", "minLength": 1},
        api_url=_STR,
        files_url=_STR,
    ),
    # -- request bodies --
    "AuthRequest": _object(
        ["login", "security_key"], login=_STR, security_key=_STR, person_id=_INT
    ),
    "CreateTask": _object(
        [],
        text=_STR,
        formatted_text=_STR,
        subject=_STR,
        form_id=_INT,
        fields={"type": "array", "items": {"type": "object"}},
        fill_defaults=_BOOL,
        approvals={"type": "array", "items": {"type": "array"}},
        responsible={},
        participants={"type": "array"},
        subscribers={"type": "array"},
        due_date=_STR,
        due=_STR,
        duration=_INT,
        scheduled_date=_STR,
        scheduled_datetime_utc=_STR,
        list_ids=_INTS,
        parent_task_id=_INT,
        attachments={"type": "array"},
    ),
    "CreateCatalog": _object(
        ["name", "catalog_headers"],
        name=_STR,
        catalog_headers={
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"type": "string", "minLength": 1},
        },
        items={
            "type": "array",
            "items": _object(["values"], values={"type": "array", "items": _STR}),
        },
        source_type=_STR,
        add_supervisors=_BOOL,
    ),
}

#: The schema of the 200 JSON reply, by method and path (below the API prefix).
RESPONSES: dict[tuple[str, str], str] = {
    ("POST", "/auth"): "AuthResponse",
    ("GET", "/tasks/{task_id}"): "TaskResponse",
    ("POST", "/tasks"): "TaskResponse",
    ("POST", "/tasks/{task_id}/comments"): "TaskResponse",
    ("GET", "/forms"): "FormsResponse",
    ("GET", "/forms/{form_id}"): "Form",
    ("GET", "/catalogs"): "CatalogsResponse",
    ("PUT", "/catalogs"): "Catalog",
    ("GET", "/catalogs/{catalog_id}"): "Catalog",
    ("GET", "/members"): "MembersResponse",
    ("GET", "/members/{member_id}"): "Member",
    ("GET", "/profile"): "Profile",
    ("GET", "/lists"): "ListsResponse",
    ("GET", "/inbox"): "InboxResponse",
    ("GET", "/bots"): "BotsResponse",
    ("GET", "/roles"): "RolesResponse",
}

#: The schema of the JSON request body, by method and path (comments take the shipped
#: CreateComment schema, :func:`pyrus_mock.schema.load`, inlined by :mod:`.openapi`).
REQUEST_BODIES: dict[tuple[str, str], str] = {
    ("POST", "/auth"): "AuthRequest",
    ("POST", "/tasks"): "CreateTask",
    ("PUT", "/catalogs"): "CreateCatalog",
}
