"""OpenAPI data schemas of tasks, comments, inbox, register, calendar, authentication and
uploads (C# ``TaskWithComments``, ``Task``, ``TaskHeader``, ``TaskResponse``,
``TaskListResponse``, ``FormRegisterResponse``, ``CalendarResponse``,
``MultipleTasksChangeResponse``, ``AuthResponse``, ``UploadResponse``...).

Merged into :data:`pyrus_mock.api.openapi_schemas.SCHEMAS`; :data:`RESPONSES` and
:data:`REQUEST_BODIES` map this area's operations to them.
"""

from __future__ import annotations

from typing import Any

from .openapi_schemas_base import (
    BOOL,
    DATE,
    INT,
    INTS,
    STR,
    STRS,
    TIMESTAMP,
    array,
    list_of,
    object_schema,
    ref,
)

__all__ = ["REQUEST_BODIES", "RESPONSES", "SCHEMAS"]

_PERSON_PROPERTIES: dict[str, dict[str, Any]] = {
    "id": INT,
    "first_name": STR,
    "last_name": STR,
    "email": STR,
    "type": {"type": "string", "enum": ["user", "bot", "role"]},
}

_TASK_HEADER_PROPERTIES: dict[str, dict[str, Any]] = {
    "id": INT,
    "text": STR,
    "formatted_text": STR,
    "create_date": TIMESTAMP,
    "last_modified_date": TIMESTAMP,
    "author": ref("Person"),
    "responsible": ref("Person"),
    "close_date": TIMESTAMP,
    "due_date": DATE,
}
_TASK_HEADER_REQUIRED = ["id", "create_date", "last_modified_date", "author"]

_TASK_PROPERTIES: dict[str, dict[str, Any]] = {
    **_TASK_HEADER_PROPERTIES,
    "subject": STR,
    "due": TIMESTAMP,
    "duration": INT,
    "scheduled_date": DATE,
    "scheduled_datetime_utc": TIMESTAMP,
    "form_id": INT,
    "current_step": INT,
    "participants": list_of("Person"),
    "subscribers": list_of("Subscriber"),
    "attachments": list_of("File"),
    "list_ids": INTS,
    "linked_task_ids": INTS,
    "parent_task_id": INT,
    "last_note_id": INT,
    "spent_minutes": INT,
    "is_closed": BOOL,
    "fields": list_of("FormField"),
    "approvals": array(list_of("Approval")),
    "steps": list_of("TaskStep"),
}

_PERSON_LIST = list_of("Person")
#: C# ``ApprovalChoice`` and ``ActivityAction``.
_CHOICE: dict[str, Any] = {
    "type": "string",
    "enum": ["waiting", "approved", "rejected", "revoked", "acknowledged"],
}
_ACTION: dict[str, Any] = {"type": "string", "enum": ["finished", "reopened"]}
_APPROVAL_GROUPS: dict[str, Any] = array(list_of("Approval"))

_CHECKMARK: dict[str, Any] = {"type": "string", "enum": ["checked", "unchecked"]}

#: The ``value`` of a task field by its ``type``, as the C# ``FormField*`` classes type it.
_FIELD_VALUES: dict[str, dict[str, Any]] = {
    **dict.fromkeys(("text", "email", "phone", "note"), STR),
    "time": {"type": "string", "pattern": "^[0-9]{2}:[0-9]{2}$"},
    "money": {"type": "number"},
    "number": {"type": "number"},
    "date": DATE,
    "due_date": DATE,
    # ``YYYY-MM-DD`` or a timestamp: the ``creation_date_format`` setting.
    "creation_date": {
        "type": "string",
        "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)?$",
    },
    "due_date_time": TIMESTAMP,
    "checkmark": _CHECKMARK,
    "flag": {"type": "string", "enum": ["none", "checked", "unchecked"]},
    "step": INT,
    "status": {"type": "string", "enum": ["open", "closed"]},
    "catalog": object_schema(
        [],
        item_id=INT,
        item_ids=INTS,
        item_names=STRS,
        headers=STRS,
        values=STRS,
        rows=array(STRS),
    ),
    "file": list_of("File"),
    "person": ref("Person"),
    "author": ref("Person"),
    "table": array(
        object_schema(
            ["row_id"],
            row_id=INT,
            position=INT,
            deleted=BOOL,
            cells=list_of("FormField"),
        )
    ),
    "title": object_schema([], checkmark=_CHECKMARK, fields=list_of("FormField")),
    "multiple_choice": object_schema(
        [], choice_id=INT, choice_ids=INTS, choice_names=STRS, fields=list_of("FormField")
    ),
    "project": object_schema(
        [], projects=array(object_schema(["id"], id=INT, name=STR, parent={"type": "object"}))
    ),
    "form_link": object_schema([], task_id=INT, task_ids=INTS, subject=STR),
}


def _typed_values() -> list[dict[str, Any]]:
    """One ``if type is X then value is ...`` clause per field type."""
    return [
        {
            "if": {"properties": {"type": {"const": kind}}, "required": ["type"]},
            "then": {"properties": {"value": schema}},
        }
        for kind, schema in sorted(_FIELD_VALUES.items())
    ]


#: The named schemas of this area.
SCHEMAS: dict[str, dict[str, Any]] = {
    "Person": object_schema(["id"], **_PERSON_PROPERTIES),
    "File": object_schema(
        ["id", "size", "version"],
        id=INT,
        name=STR,
        md5=STR,
        url=STR,
        root_id=INT,
        size=INT,
        version=INT,
    ),
    "Subscriber": object_schema(["person"], person=ref("Person"), approval_choice=_CHOICE),
    "Approval": object_schema(["person"], person=ref("Person"), approval_choice=_CHOICE, step=INT),
    "TaskStep": object_schema(
        ["step", "name", "elapsed_time"], step=INT, name=STR, elapsed_time=INT
    ),
    # A field of a task, with its value typed by the field's type (text, number, Person, catalog
    # item, table rows of FormFields...).
    "FormField": {
        **object_schema(
            ["id", "type", "name"],
            id=INT,
            type=STR,
            name=STR,
            code=STR,
            parent_id=INT,
            row_id=INT,
            value={},
            duration=INT,
        ),
        "allOf": _typed_values(),
    },
    "TaskComment": object_schema(
        ["id", "create_date", "author"],
        id=INT,
        create_date=TIMESTAMP,
        author=ref("Person"),
        text=STR,
        formatted_text=STR,
        subject=STR,
        reassigned_to=ref("Person"),
        field_updates=list_of("FormField"),
        approval_choice=_CHOICE,
        approval_step=INT,
        changed_step=INT,
        reset_to_step=INT,
        action=_ACTION,
        approvals_added=_APPROVAL_GROUPS,
        approvals_removed=_APPROVAL_GROUPS,
        approvals_rerequested=_APPROVAL_GROUPS,
        subscribers_added=_PERSON_LIST,
        subscribers_removed=_PERSON_LIST,
        subscribers_rerequested=_PERSON_LIST,
        participants_added=_PERSON_LIST,
        participants_removed=_PERSON_LIST,
        attachments=list_of("File"),
        due_date=DATE,
        due=TIMESTAMP,
        duration=INT,
        cancel_due=BOOL,
        scheduled_date=DATE,
        scheduled_datetime_utc=TIMESTAMP,
        cancel_schedule=BOOL,
        added_list_ids=INTS,
        removed_list_ids=INTS,
        spent_minutes=INT,
        edit_comment_id=INT,
        channel={"type": "object"},
        skip_satisfaction=BOOL,
        skip_notification=BOOL,
        skip_auto_reopen=BOOL,
        mentions=INTS,
        comment_as_roles=_PERSON_LIST,
    ),
    "TaskHeader": object_schema(_TASK_HEADER_REQUIRED, **_TASK_HEADER_PROPERTIES),
    # C# ``Task``: a task without its comments (register rows, bulk comment replies).
    "Task": object_schema([*_TASK_HEADER_REQUIRED, "is_closed"], **_TASK_PROPERTIES),
    "TaskWithComments": object_schema(
        [*_TASK_HEADER_REQUIRED, "is_closed"],
        **_TASK_PROPERTIES,
        comments=list_of("TaskComment"),
    ),
    "TaskResponse": object_schema(["task"], task=ref("TaskWithComments")),
    "TaskListResponse": object_schema(
        ["tasks", "has_more"], tasks=list_of("TaskHeader"), has_more=BOOL
    ),
    "FormRegisterResponse": object_schema(["tasks"], tasks=list_of("Task")),
    # ``{}`` when the request asked ``no_tasks_in_response``.
    "MultipleTasksChangeResponse": object_schema([], tasks=list_of("Task")),
    "CalendarResponse": object_schema(
        ["tasks", "has_more"],
        tasks=list_of("TaskWithComments"),
        has_more=BOOL,
        meetings=array({"type": "object"}),
    ),
    "TaskGroup": object_schema(
        ["id", "name", "has_more", "tasks"],
        id=INT,
        name=STR,
        has_more=BOOL,
        tasks=list_of("TaskHeader"),
    ),
    "InboxResponse": object_schema(
        ["tasks", "has_more", "task_groups"],
        tasks=list_of("TaskHeader"),
        has_more=BOOL,
        task_groups=list_of("TaskGroup"),
    ),
    "AuthResponse": object_schema(
        ["access_token", "api_url", "files_url"],
        access_token={"type": "string", "minLength": 1},
        api_url=STR,
        files_url=STR,
    ),
    "UploadResponse": object_schema(
        ["guid", "md5_hash"],
        guid={"type": "string", "minLength": 1},
        md5_hash={"type": "string", "pattern": "^[0-9a-f]{32}$"},
    ),
    # -- request bodies --
    "AuthRequest": object_schema(
        ["login", "security_key"], login=STR, security_key=STR, person_id=INT
    ),
    "CreateTask": object_schema(
        [],
        text=STR,
        formatted_text=STR,
        subject=STR,
        form_id=INT,
        fields=array({"type": "object"}),
        fill_defaults=BOOL,
        approvals=array({"type": "array"}),
        responsible={},
        participants={"type": "array"},
        subscribers={"type": "array"},
        due_date=DATE,
        due=TIMESTAMP,
        duration=INT,
        scheduled_date=DATE,
        scheduled_datetime_utc=TIMESTAMP,
        list_ids=INTS,
        parent_task_id=INT,
        attachments={"type": "array"},
    ),
    # C# MultipleTasksChangeRequest: ``comments`` of CommentDescription.
    "CommentTasks": object_schema(
        ["comments"],
        no_tasks_in_response=BOOL,
        comments=array(
            object_schema(
                ["task_id", "comment"],
                task_id=INT,
                previous_note_id=INT,
                comment=ref("CreateComment"),
            )
        ),
    ),
    # C# TaskListRequest (``POST /lists/{id}/tasks``).
    "TaskListRequest": object_schema(
        [],
        item_count=INT,
        include_archived=BOOL,
        modified_before=STR,
        modified_after=STR,
        created_before=STR,
        created_after=STR,
        closed_before=STR,
        closed_after=STR,
    ),
}

#: The schema of the 200 JSON reply, by method and path (below the API prefix).
RESPONSES: dict[tuple[str, str], str] = {
    ("POST", "/auth"): "AuthResponse",
    ("GET", "/tasks/{task_id}"): "TaskResponse",
    ("POST", "/tasks"): "TaskResponse",
    ("POST", "/tasks/{task_id}/comments"): "TaskResponse",
    ("GET", "/tasksbyapprover/{person_id}"): "TaskListResponse",
    ("POST", "/tasks/comments"): "MultipleTasksChangeResponse",
    ("POST", "/tasks//comments"): "MultipleTasksChangeResponse",
    ("GET", "/forms/{form_id}/register"): "FormRegisterResponse",
    ("POST", "/forms/{form_id}/register"): "FormRegisterResponse",
    ("GET", "/inbox"): "InboxResponse",
    ("GET", "/calendar"): "CalendarResponse",
    ("GET", "/lists/{list_id}/tasks"): "TaskListResponse",
    ("POST", "/lists/{list_id}/tasks"): "TaskListResponse",
    ("POST", "/files/upload"): "UploadResponse",
}

#: The schema of the JSON request body, by method and path.
REQUEST_BODIES: dict[tuple[str, str], str] = {
    ("POST", "/auth"): "AuthRequest",
    ("POST", "/tasks"): "CreateTask",
    ("POST", "/tasks/comments"): "CommentTasks",
    ("POST", "/tasks//comments"): "CommentTasks",
    ("POST", "/lists/{list_id}/tasks"): "TaskListRequest",
}
