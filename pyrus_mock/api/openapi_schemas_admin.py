"""OpenAPI data schemas of the people directory and its administration: members, roles,
profile and contacts, the org chart and form permissions (C# ``MemberResponse``,
``RoleResponse``, ``ProfileResponse``, ``ContactsResponse``, ``ChangeMembersResponse``,
``DepartmentResponse``, ``PermissionsResponse``...) and of the requests that write them.

Merged into :data:`pyrus_mock.api.openapi_schemas.SCHEMAS`; :data:`RESPONSES` and
:data:`REQUEST_BODIES` map this area's operations to them.
"""

from __future__ import annotations

from typing import Any

from .openapi_schemas_base import BOOL, INT, INT32, INTS, STR, array, list_of, object_schema, ref

__all__ = ["REQUEST_BODIES", "RESPONSES", "SCHEMAS"]

_PERMISSION_LEVEL: dict[str, Any] = {
    "type": "string",
    "enum": ["none", "member", "manager", "restricted_manager", "administrator"],
}
#: C# ``Dictionary<int, PermissionLevel>``: person ids (as JSON keys) to levels.
_PERMISSIONS: dict[str, Any] = {
    "type": "object",
    "propertyNames": {"pattern": "^[0-9]+$"},
    "additionalProperties": _PERMISSION_LEVEL,
}

_MEMBER_PROPERTIES: dict[str, dict[str, Any]] = {
    "id": INT,
    "first_name": STR,
    "last_name": STR,
    "email": STR,
    "type": {"type": "string", "enum": ["user", "bot", "role"]},
    "position": STR,
    "department_id": INT,
    "department_name": STR,
    "phone": STR,
    "external_id": STR,
    "member_ids": INTS,
    "status": STR,
    "mobile_phone": STR,
    "avatar_id": INT,
    "external_avatar_id": INT,
    "banned": BOOL,
    "fired": BOOL,
    "rights": INT,
}

#: The members a create or update request may set (C# CreateMemberRequest/UpdateMemberRequest).
_MEMBER_WRITE: dict[str, dict[str, Any]] = {
    "first_name": STR,
    "last_name": STR,
    "email": STR,
    "status": STR,
    "rights": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
    "position": STR,
    "department_id": INT32,
    "skype": STR,
    "phone": STR,
    "mobile_phone": STR,
    "login_phone": STR,
    "location": STR,
    "personality": STR,
    "personnel_number": STR,
    "external_id": STR,
}
_MEMBER_UPDATE: dict[str, dict[str, Any]] = {
    **_MEMBER_WRITE,
    "banned": BOOL,
    "drop_department": BOOL,
}

_ROLE_UPDATE: dict[str, dict[str, Any]] = {
    "name": STR,
    "external_id": STR,
    "banned": BOOL,
    "member_add": INTS,
    "member_remove": INTS,
}
_DEPARTMENT_WRITE: dict[str, dict[str, Any]] = {
    "parent_id": INT,
    "manager_id": INT32,
    "department_name": STR,
    "external_id": INT,
}

#: The named schemas of this area.
SCHEMAS: dict[str, dict[str, Any]] = {
    "Member": object_schema(["id", "type", "banned", "fired"], **_MEMBER_PROPERTIES),
    "Role": object_schema(
        ["id", "name", "banned", "fired"],
        id=INT,
        name=STR,
        banned=BOOL,
        fired=BOOL,
        member_ids=INTS,
        external_id=STR,
        avatar_id=INT,
        external_avatar_id=INT,
    ),
    "MembersResponse": object_schema(["members"], members=list_of("Member")),
    "RolesResponse": object_schema(["roles"], roles=list_of("Role")),
    "Organization": object_schema(
        ["organization_id", "name", "persons"],
        organization_id=INT,
        name=STR,
        persons=list_of("Member"),
        roles=list_of("Role"),
        department_catalog_id=INT,
    ),
    "Profile": object_schema(
        ["person_id", "locale", "timezone_offset", "organization_id", "organization"],
        person_id=INT,
        first_name=STR,
        last_name=STR,
        email=STR,
        locale=STR,
        timezone_offset=INT,
        organization_id=INT,
        organization=ref("Organization"),
    ),
    "ContactsResponse": object_schema(["organizations"], organizations=list_of("Organization")),
    "ProfileIdentity": object_schema(["email", "organization_id"], email=STR, organization_id=INT),
    "Department": object_schema(
        ["id", "department_name"],
        id=INT,
        parent_id=INT,
        manager_id=INT,
        department_name=STR,
        external_id=INT,
    ),
    "DepartmentsResponse": object_schema(["departments"], departments=list_of("Department")),
    "PermissionsResponse": object_schema(["permissions"], permissions=_PERMISSIONS),
    # -- request bodies --
    "CreateMember": object_schema(["email"], **_MEMBER_WRITE),
    "UpdateMember": object_schema([], **_MEMBER_UPDATE),
    # C# ChangeMembersRequest (member names as C# sends them; the fake folds their case).
    "ChangeMembers": object_schema(
        [],
        AddMembers=array(object_schema(["email"], **_MEMBER_WRITE)),
        ChangeMembers=array(object_schema(["id"], id=INT32, **_MEMBER_UPDATE)),
        BanMembers=array(object_schema([], id=INT32, email=STR)),
        FireMembers=array(object_schema(["id"], id=INT32, task_receiver_id=INT32)),
    ),
    "SetAvatar": object_schema([], guid=STR, external_avatar_id=INT32),
    "CreateRole": object_schema(["name"], name=STR, external_id=STR, member_add=INTS),
    "CreateRoles": array(ref("CreateRole"), minItems=1),
    "UpdateRole": object_schema([], **_ROLE_UPDATE),
    "UpdateRoles": array(object_schema(["id"], id=INT32, **_ROLE_UPDATE), minItems=1),
    "DeleteRole": object_schema([], task_receiver_id=INT32),
    "DeleteRoles": array(object_schema(["id"], id=INT32, task_receiver_id=INT32), minItems=1),
    "CreateDepartment": object_schema(["department_name"], **_DEPARTMENT_WRITE),
    "CreateDepartments": array(ref("CreateDepartment"), minItems=1),
    "UpdateDepartment": object_schema([], remove_manager=BOOL, **_DEPARTMENT_WRITE),
    "UpdateDepartments": array(
        object_schema(["id"], id=INT, remove_manager=BOOL, **_DEPARTMENT_WRITE), minItems=1
    ),
    "DeleteDepartments": array(object_schema(["id"], id=INT), minItems=1),
    "ChangePermissions": object_schema(["permissions"], permissions=_PERMISSIONS),
}

#: The schema of the 200 JSON reply, by method and path (below the API prefix).
RESPONSES: dict[tuple[str, str], str] = {
    ("GET", "/members"): "MembersResponse",
    ("GET", "/members/{member_id}"): "Member",
    ("POST", "/members"): "Member",
    ("PUT", "/members/{member_id}"): "Member",
    ("DELETE", "/members/{member_id}"): "Member",
    ("POST", "/members/bulk"): "MembersResponse",
    ("PUT", "/members/{member_id}/avatar"): "Member",
    ("GET", "/profile"): "Profile",
    ("GET", "/profile/identity"): "ProfileIdentity",
    ("GET", "/contacts"): "ContactsResponse",
    ("GET", "/roles"): "RolesResponse",
    ("GET", "/roles/{role_id}"): "Role",
    ("POST", "/roles"): "Role",
    ("POST", "/roles/bulk"): "RolesResponse",
    ("PUT", "/roles/{role_id}"): "Role",
    ("PUT", "/roles/bulk"): "RolesResponse",
    ("DELETE", "/roles/{role_id}"): "Role",
    ("DELETE", "/roles/bulk"): "RolesResponse",
    ("GET", "/orgchart"): "DepartmentsResponse",
    ("PUT", "/orgchart"): "Department",
    ("PUT", "/orgchart/bulk"): "DepartmentsResponse",
    ("POST", "/orgchart/{department_id}"): "Department",
    ("POST", "/orgchart/bulk"): "DepartmentsResponse",
    ("DELETE", "/orgchart/{department_id}"): "Empty",
    ("DELETE", "/orgchart/bulk"): "Empty",
    ("GET", "/forms/{form_id}/permissions"): "PermissionsResponse",
    ("POST", "/forms/{form_id}/permissions"): "PermissionsResponse",
}

#: The schema of the JSON request body, by method and path.
REQUEST_BODIES: dict[tuple[str, str], str] = {
    ("POST", "/members"): "CreateMember",
    ("PUT", "/members/{member_id}"): "UpdateMember",
    ("POST", "/members/bulk"): "ChangeMembers",
    ("PUT", "/members/{member_id}/avatar"): "SetAvatar",
    ("POST", "/roles"): "CreateRole",
    ("POST", "/roles/bulk"): "CreateRoles",
    ("PUT", "/roles/{role_id}"): "UpdateRole",
    ("PUT", "/roles/bulk"): "UpdateRoles",
    ("DELETE", "/roles/{role_id}"): "DeleteRole",
    ("DELETE", "/roles/bulk"): "DeleteRoles",
    ("PUT", "/orgchart"): "CreateDepartment",
    ("PUT", "/orgchart/bulk"): "CreateDepartments",
    ("POST", "/orgchart/{department_id}"): "UpdateDepartment",
    ("POST", "/orgchart/bulk"): "UpdateDepartments",
    ("DELETE", "/orgchart/bulk"): "DeleteDepartments",
    ("POST", "/forms/{form_id}/permissions"): "ChangePermissions",
}
