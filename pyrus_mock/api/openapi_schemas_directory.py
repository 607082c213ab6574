"""OpenAPI data schemas of forms, catalogs, lists and bots (C# ``FormResponse``,
``CatalogResponse``, ``SyncCatalogResponse``, ``PlainTaskList``/``TaskList``,
``BotResponse``...) and of the requests that write them.

Merged into :data:`pyrus_mock.api.openapi_schemas.SCHEMAS`; :data:`RESPONSES` and
:data:`REQUEST_BODIES` map this area's operations to them.
"""

from __future__ import annotations

from typing import Any

from .catalog_edits import SOURCE_TYPES
from .openapi_schemas_base import (
    BOOL,
    INT,
    INT32,
    INTS,
    STR,
    STRS,
    array,
    list_of,
    object_schema,
    ref,
)

__all__ = ["REQUEST_BODIES", "RESPONSES", "SCHEMAS"]

_PLAIN_LIST_PROPERTIES: dict[str, dict[str, Any]] = {
    "id": INT,
    "name": STR,
    "deleted": BOOL,
    "list_type": {"type": "string", "enum": ["private", "org_wide"]},
    "has_form": BOOL,
    "manager_ids": INTS,
    "member_ids": INTS,
    "version": INT,
    "is_private": BOOL,
    "parent_id": INT,
    "color": STR,
    "external_id": INT,
    "external_version": INT,
}
_PLAIN_LIST_REQUIRED = [
    "id",
    "name",
    "deleted",
    "list_type",
    "has_form",
    "manager_ids",
    "member_ids",
    "version",
    "is_private",
]

#: C# ``SourceType`` (a strict enum: an unknown value fails the client's parse).
_SOURCE_TYPE: dict[str, Any] = {"type": "string", "enum": sorted(SOURCE_TYPES)}
_CATALOG_HEADER = object_schema(
    ["name", "type"], name=STR, type={"type": "string", "enum": ["text", "workflow"]}
)
#: A catalog item of a request: ``values`` (the first one is the key).
_NEW_ITEM = object_schema(["values"], values=STRS)
#: CatalogRequestBase's column names: non-empty, distinct.
_HEADER_NAMES = array({"type": "string", "minLength": 1}, minItems=1, uniqueItems=True)

_LIST_WRITE: dict[str, dict[str, Any]] = {
    "name": STR,
    "color": STR,
    "list_type": {"type": "string", "enum": ["private", "org_wide"]},
    "added_managers": INTS,
    "added_members": INTS,
    "external_version": INT,
    "external_id": INT,
    "is_private": BOOL,
}

#: The named schemas of this area.
SCHEMAS: dict[str, dict[str, Any]] = {
    # A field definition of a form.
    "FormFieldDef": object_schema(
        ["id", "type"],
        id=INT,
        type=STR,
        name=STR,
        code=STR,
        parent_id=INT,
        info=ref("FormFieldInfo"),
        value={},
    ),
    # C# FormFieldInfo: steps, options, catalog, columns, nested fields of a field definition.
    "FormFieldInfo": object_schema(
        [],
        required_step=INT,
        immutable_step=INT,
        options=array(
            object_schema(
                ["choice_id", "choice_value"],
                choice_id=INT,
                choice_value=STR,
                deleted=BOOL,
                fields=list_of("FormFieldDef"),
            )
        ),
        catalog_id=INT,
        columns=list_of("FormFieldDef"),
        fields=list_of("FormFieldDef"),
        form_id=INT,
        code=STR,
        decimal_places=INT,
        multiple_choice=BOOL,
        multiline=BOOL,
    ),
    "Form": object_schema(
        ["id"],
        id=INT,
        name=STR,
        steps={
            "type": "object",
            "propertyNames": {"pattern": "^[0-9]+$"},
            "additionalProperties": STR,
        },
        fields=list_of("FormFieldDef"),
        deleted_or_closed=BOOL,
        business_owners=INTS,
        folder=STRS,
    ),
    "FormsResponse": object_schema(["forms"], forms=list_of("Form")),
    "CatalogHeader": _CATALOG_HEADER,
    "CatalogItem": object_schema(
        ["item_id", "values", "deleted"],
        item_id=INT,
        values=STRS,
        deleted=BOOL,
    ),
    "Catalog": object_schema(
        [
            "catalog_id",
            "name",
            "version",
            "deleted",
            "source_type",
            "catalog_headers",
            "items",
        ],
        catalog_id=INT,
        name=STR,
        version=INT,
        deleted=BOOL,
        source_type=_SOURCE_TYPE,
        catalog_headers=list_of("CatalogHeader"),
        items=list_of("CatalogItem"),
        external_id=STR,
        external_version=INT,
        supervisors=INTS,
    ),
    "CatalogsResponse": object_schema(["catalogs"], catalogs=list_of("Catalog")),
    # A dry run's added items have no ``item_id`` yet.
    "SyncCatalogItem": object_schema(["values", "deleted"], item_id=INT, values=STRS, deleted=BOOL),
    "SyncCatalogResponse": object_schema(
        ["catalog_id", "apply", "catalog_headers"],
        catalog_id=INT,
        apply=BOOL,
        added=list_of("SyncCatalogItem"),
        deleted=list_of("SyncCatalogItem"),
        updated=list_of("SyncCatalogItem"),
        catalog_headers=list_of("CatalogHeader"),
    ),
    "SyncCatalogsResponse": object_schema(["catalogs"], catalogs=list_of("SyncCatalogResponse")),
    "PlainTaskList": object_schema(_PLAIN_LIST_REQUIRED, **_PLAIN_LIST_PROPERTIES),
    "TaskList": object_schema(
        _PLAIN_LIST_REQUIRED, **_PLAIN_LIST_PROPERTIES, children=list_of("TaskList")
    ),
    "ListsResponse": object_schema(["lists"], lists=list_of("TaskList")),
    "PlainListsResponse": object_schema(["lists"], lists=list_of("PlainTaskList")),
    "Bot": object_schema(
        ["id", "is_enabled", "fired", "rights", "send_only_last_comment", "time_zone_offset"],
        id=INT,
        name=STR,
        bot_settings=STR,
        hook_url=STR,
        login=STR,
        description=STR,
        external_id=STR,
        locale=STR,
        is_enabled=BOOL,
        fired=BOOL,
        rights=INT,
        send_only_last_comment=BOOL,
        time_zone_offset=INT,
        avatar_id=INT,
        external_avatar_id=INT,
        version=STR,
    ),
    # ``POST /bots`` adds the new bot's ``security_key`` (extension: Pyrus shows it once).
    "NewBot": {
        "allOf": [
            ref("Bot"),
            object_schema(["security_key", "login"], security_key=STR, login=STR),
        ]
    },
    "BotsResponse": object_schema(["bots"], bots=list_of("Bot")),
    # -- request bodies --
    "CreateCatalog": object_schema(
        ["name", "catalog_headers"],
        name=STR,
        catalog_headers=_HEADER_NAMES,
        items=array(_NEW_ITEM),
        source_type=_SOURCE_TYPE,
        add_supervisors=INTS,
        remove_supervisors=INTS,
        external_id=STR,
        external_version=INT,
    ),
    "CreateCatalogs": array(ref("CreateCatalog"), minItems=1),
    "SyncCatalog": object_schema(
        ["catalog_headers"],
        apply=BOOL,
        force_update_first_column=BOOL,
        catalog_headers=_HEADER_NAMES,
        items=array(_NEW_ITEM),
        external_id=STR,
        external_version=INT,
    ),
    "SyncCatalogs": array(
        object_schema(
            ["id", "catalog_headers"],
            id=INT,
            apply=BOOL,
            force_update_first_column=BOOL,
            catalog_headers=_HEADER_NAMES,
            items=array(_NEW_ITEM),
        ),
        minItems=1,
    ),
    "UpdateCatalogItems": object_schema([], upsert=array(_NEW_ITEM), delete=STRS),
    "DeleteCatalogs": array(object_schema(["id"], id=INT), minItems=1),
    "CreateList": object_schema(["name"], parent_id=INT, **_LIST_WRITE),
    "UpdateList": object_schema([], **_LIST_WRITE, removed_managers=INTS, removed_members=INTS),
    "CreateLists": array(object_schema(["name"], parent_id=INT, **_LIST_WRITE), minItems=1),
    "UpdateLists": array(
        object_schema(["id"], id=INT, **_LIST_WRITE, removed_managers=INTS, removed_members=INTS),
        minItems=1,
    ),
    "DeleteLists": array(object_schema(["id"], id=INT), minItems=1),
    "CreateBot": object_schema(["name"], name=STR, hook_url=STR, external_id=STR),
    "UpdateBot": object_schema(
        [],
        name=STR,
        hook_url=STR,
        is_enabled=BOOL,
        bot_settings=STR,
        description=STR,
        rights=INT32,
        send_only_last_comment=BOOL,
        locale=STR,
        time_zone_offset=INT32,
    ),
    "DeleteBot": object_schema([], task_receiver_id=INT32),
}

#: The schema of the 200 JSON reply, by method and path (below the API prefix).
RESPONSES: dict[tuple[str, str], str] = {
    ("GET", "/forms"): "FormsResponse",
    ("GET", "/forms/{form_id}"): "Form",
    ("GET", "/catalogs"): "CatalogsResponse",
    ("PUT", "/catalogs"): "Catalog",
    ("GET", "/catalogs/{catalog_id}"): "Catalog",
    ("POST", "/catalogs/{catalog_id}"): "SyncCatalogResponse",
    ("POST", "/catalogs/{catalog_id}/diff"): "SyncCatalogResponse",
    ("PUT", "/catalogs/bulk"): "CatalogsResponse",
    ("POST", "/catalogs/bulk"): "SyncCatalogsResponse",
    ("DELETE", "/catalogs/bulk"): "Empty",
    ("GET", "/lists"): "ListsResponse",
    ("PUT", "/lists"): "PlainTaskList",
    ("GET", "/lists/{list_id}"): "TaskList",
    ("POST", "/lists/{list_id}"): "PlainTaskList",
    ("DELETE", "/lists/{list_id}"): "Empty",
    ("PUT", "/lists/bulk"): "PlainListsResponse",
    ("POST", "/lists/bulk"): "PlainListsResponse",
    ("DELETE", "/lists/bulk"): "Empty",
    ("GET", "/bots"): "BotsResponse",
    ("POST", "/bots"): "NewBot",
    ("PUT", "/bots/{bot_id}"): "Bot",
    ("DELETE", "/bots/{bot_id}"): "Bot",
}

#: The schema of the JSON request body, by method and path.
REQUEST_BODIES: dict[tuple[str, str], str] = {
    ("PUT", "/catalogs"): "CreateCatalog",
    ("POST", "/catalogs/{catalog_id}"): "SyncCatalog",
    ("POST", "/catalogs/{catalog_id}/diff"): "UpdateCatalogItems",
    ("PUT", "/catalogs/bulk"): "CreateCatalogs",
    ("POST", "/catalogs/bulk"): "SyncCatalogs",
    ("DELETE", "/catalogs/bulk"): "DeleteCatalogs",
    ("PUT", "/lists"): "CreateList",
    ("POST", "/lists/{list_id}"): "UpdateList",
    ("PUT", "/lists/bulk"): "CreateLists",
    ("POST", "/lists/bulk"): "UpdateLists",
    ("DELETE", "/lists/bulk"): "DeleteLists",
    ("POST", "/bots"): "CreateBot",
    ("PUT", "/bots/{bot_id}"): "UpdateBot",
    ("DELETE", "/bots/{bot_id}"): "DeleteBot",
}
