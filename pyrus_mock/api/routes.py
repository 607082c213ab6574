"""THE route table of the fake Pyrus API v4, and the source of ``COVERAGE.md``.

Every endpoint is one :class:`~pyrus_mock.api.endpoint.Endpoint` in :data:`ENDPOINTS`;
:func:`~pyrus_mock.api.endpoint.build_map` turns the table into a werkzeug ``Map`` whose rule
endpoints are the view callables themselves, so grep and mypy can follow the dispatch
(:func:`~pyrus_mock.api.app.default_map` is the one built from this table).
:mod:`pyrus_mock.api.coverage` lists the Pyrus endpoints the fake does not serve and renders
both as ``COVERAGE.md``.
"""

from __future__ import annotations

from . import (
    auth,
    views_announcements,
    views_bots,
    views_calendar,
    views_catalogs,
    views_directory,
    views_files,
    views_integrations,
    views_knowledge,
    views_lists,
    views_members,
    views_meta,
    views_orgchart,
    views_permissions,
    views_reports,
    views_roles,
    views_tasks,
    views_tasks_bulk,
)
from .endpoint import _ANY_PREFIX, Endpoint

__all__ = ["ENDPOINTS", "Endpoint"]

_TASKS = "/tasks/<int:task_id>"
_KB = "/knowledgebase/<entity_id>"

#: Every endpoint the fake serves.
ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        ("POST",),
        "/auth",
        auth.login,
        "`{login, security_key, person_id?}` → `{access_token, api_url, files_url}`; "
        "URLs point back at the host the request arrived on",
        prefixes=_ANY_PREFIX,
        public=True,
    ),
    Endpoint(
        ("GET",),
        _TASKS,
        views_tasks.get_task,
        "TaskWithComments; 403 `access_denied_task` for unknown or invisible tasks",
    ),
    Endpoint(
        ("POST",),
        _TASKS + "/comments",
        views_tasks.comment_task,
        "every CreateComment member, through the comment engine; a refusal lists every "
        "violation (extension member `violations`)",
    ),
    Endpoint(
        ("POST",),
        "/tasks",
        views_tasks.create_task,
        "text or formatted_text, subject, form_id, fields, approvals, responsible, "
        "participants, subscribers, due_date/due/duration, scheduled_date/"
        "scheduled_datetime_utc, list_ids, parent_task_id, attachments, fill_defaults (the "
        "`default` values of the form's fields)",
    ),
    # -- task endpoints over several tasks (views_tasks_bulk) --
    Endpoint(
        ("GET",),
        "/tasksbyapprover/<int:person_id>",
        views_tasks_bulk.get_tasks_by_approver,
        "TaskHeaders of the open tasks the caller sees that wait for that person's approval "
        "on their current step",
    ),
    Endpoint(
        ("POST",),
        "/tasks/comments",
        views_tasks_bulk.comment_tasks,
        "`{no_tasks_in_response?, comments: [{task_id, previous_note_id?, comment}]}` on two or "
        "more tasks, all applied or none (each checked as a single comment); stale "
        "`previous_note_id` → 409 `conflict`",
    ),
    Endpoint(
        ("POST",),
        "/tasks//comments",
        views_tasks_bulk.comment_tasks_double_slash,
        "the same, as the C# client spells it (`CommentMultipleTasksInOneTransaction`)",
    ),
    Endpoint(
        ("GET",),
        "/forms",
        views_directory.get_forms,
        "every form (form permissions are not modelled)",
    ),
    Endpoint(
        ("GET",),
        "/forms/<int:form_id>",
        views_directory.get_form,
        "Form with field `info` and `code`",
    ),
    Endpoint(
        ("GET", "POST"),
        "/forms/<int:form_id>/register",
        views_directory.get_register,
        "filters `steps`, `include_archived`, `task_ids`, `id`, `fld<ID>` (equals, "
        "`a,b`, `gt`, `lt`, `empty`, `*`), `item_count`, `modified_/created_/closed_"
        "before/after`, `include_text`, `field_ids`, `due_filter` (`overdue`, "
        "`overdue_on_step`, `past_due`, `{overdue_steps}`); `format=csv` answers `text/csv` "
        "(`delimiter`, `encoding`)",
    ),
    Endpoint(
        ("GET",),
        "/members",
        views_directory.get_members,
        "users and bots; fired ones (deleted bots) only with `include_fired`",
    ),
    Endpoint(
        ("GET",), "/members/<int:member_id>", views_directory.get_member, "Person at the top level"
    ),
    Endpoint(
        ("GET",),
        "/profile",
        views_directory.get_profile,
        "the caller and its organisation (`withinactive` / `include_inactive`)",
    ),
    Endpoint(
        ("GET",), "/contacts", views_directory.get_contacts, "one organisation (`include_inactive`)"
    ),
    Endpoint(
        ("GET",),
        "/inbox",
        views_directory.get_inbox,
        "tasks waiting for the caller; `item_count`; `task_groups` (one per form added with "
        "`inbox_group=True`) with `group_item_count`",
    ),
    # -- catalogs and lists (views_catalogs, views_lists) --
    Endpoint(
        ("GET",),
        "/catalogs",
        views_catalogs.get_catalogs,
        "every catalog (deleted ones flagged), live items",
    ),
    Endpoint(
        ("PUT",),
        "/catalogs",
        views_catalogs.create_catalog,
        "`{name, catalog_headers, items?, source_type?, add_supervisors?}` → Catalog; "
        "the caller becomes a supervisor",
    ),
    Endpoint(
        ("GET",),
        "/catalogs/<int:catalog_id>",
        views_catalogs.get_catalog,
        "headers and items; `include_deleted`; `column`/`value` filters with `use_wildcard`",
    ),
    Endpoint(
        ("POST",),
        "/catalogs/<int:catalog_id>",
        views_catalogs.sync_catalog,
        "sync: the request's headers and items replace the catalog's (keyed by the first "
        "column); `apply: false` is a dry run; Configuration manager or catalog supervisor",
    ),
    Endpoint(
        ("POST",),
        "/catalogs/<int:catalog_id>/diff",
        views_catalogs.update_catalog_items,
        "`{upsert, delete}` by first-column key; deleted items stay readable",
    ),
    Endpoint(
        ("PUT",),
        "/catalogs/bulk",
        views_catalogs.create_catalogs,
        "`[CreateCatalogRequest]` → `{catalogs}`; all checked before any is created",
    ),
    Endpoint(
        ("POST",),
        "/catalogs/bulk",
        views_catalogs.sync_catalogs,
        "`[SyncCatalogRequest + id]` → `{catalogs: [SyncCatalogResponse]}`; all or nothing",
    ),
    Endpoint(
        ("DELETE",),
        "/catalogs/bulk",
        views_catalogs.delete_catalogs,
        "`[{id}]` → `{}`; catalogs flagged deleted, still readable",
    ),
    Endpoint(
        ("GET",),
        "/lists",
        views_lists.get_lists,
        "TaskLists nested by parent; `with_deleted` (`with_forms` accepted, form lists not "
        "modelled); private lists only for their managers and members",
    ),
    Endpoint(
        ("PUT",),
        "/lists",
        views_lists.create_list,
        "CreateListRequest → PlainTaskList; the caller becomes a manager",
    ),
    Endpoint(
        ("GET",),
        "/lists/<int:list_id>",
        views_lists.get_list,
        "TaskList with children; `with_deleted`",
    ),
    Endpoint(
        ("POST",),
        "/lists/<int:list_id>",
        views_lists.update_list,
        "UpdateListRequest (managers/members added and removed) → PlainTaskList, "
        "`version` + 1; list manager or EDIT_ORGANIZATION_PROJECTS right",
    ),
    Endpoint(
        ("DELETE",),
        "/lists/<int:list_id>",
        views_lists.delete_list,
        "`{}`; the list and its sub-lists flagged deleted",
    ),
    Endpoint(
        ("PUT",),
        "/lists/bulk",
        views_lists.create_lists,
        "`[CreateListRequest]` → `{lists}`; all checked before any is created",
    ),
    Endpoint(
        ("POST",),
        "/lists/bulk",
        views_lists.update_lists,
        "`[UpdateListRequest]` → `{lists}`; all or nothing",
    ),
    Endpoint(
        ("DELETE",),
        "/lists/bulk",
        views_lists.delete_lists,
        "`[{id}]` → `{}`; all or nothing",
    ),
    Endpoint(
        ("GET", "POST"),
        "/lists/<int:list_id>/tasks",
        views_lists.get_list_tasks,
        "TaskHeaders; `item_count`, `include_archived`",
    ),
    # -- end of catalogs and lists --
    Endpoint(
        ("POST",),
        "/files/upload",
        views_files.upload,
        "multipart, exactly one file part under any part name → `{guid, md5_hash}`",
        prefixes=_ANY_PREFIX,
        upload=True,
    ),
    Endpoint(
        ("GET",),
        "/files/download/<int:file_id>",
        views_files.download,
        "raw bytes with `Content-Disposition`; 403 `access_denied_file`",
        prefixes=_ANY_PREFIX,
        raw=True,
    ),
    Endpoint(
        ("GET",),
        "/services/attachment",
        views_files.download_attachment,
        "`?Id={id}` (official Python and C# clients, files host)",
        prefixes=("",),
        raw=True,
    ),
    Endpoint(
        ("GET",),
        "/bots",
        views_bots.get_bots,
        "`include_fired`; Configuration manager right required",
    ),
    Endpoint(
        ("POST",),
        "/bots",
        views_bots.create_bot,
        "`{name, hook_url?, external_id?}` → Bot **plus `security_key`** (extension)",
    ),
    Endpoint(
        ("PUT",),
        "/bots/<int:bot_id>",
        views_bots.update_bot,
        "name, hook_url, is_enabled, bot_settings, description, rights, "
        "send_only_last_comment, locale, time_zone_offset",
    ),
    Endpoint(
        ("DELETE",),
        "/bots/<int:bot_id>",
        views_bots.delete_bot,
        "fires the bot's person; `task_receiver_id` (an active user or bot) takes over its open "
        "tasks (responsible, waiting approvals, participant, one comment each); absent or 0: "
        "they stay",
    ),
    Endpoint(
        ("GET",),
        "/openapi.json",
        views_meta.get_openapi,
        "fake-only: the OpenAPI 3.1 description of this API, generated from the route table "
        "(`pyrus_mock.api.openapi`); no token needed",
        prefixes=_ANY_PREFIX,
        public=True,
    ),
    # -- directory administration: roles, members, org chart, identity, form permissions --
    Endpoint(("GET",), "/roles", views_roles.get_roles, "`include_fired`; any member may read"),
    Endpoint(("GET",), "/roles/<int:role_id>", views_roles.get_role, "403 `access_denied_person`"),
    Endpoint(
        ("POST",),
        "/roles",
        views_roles.create_role,
        "`{name, external_id?, member_add?}`; Organization manager (`MANAGE_ROLES`) right",
    ),
    Endpoint(
        ("POST",), "/roles/bulk", views_roles.create_roles, "CreateRoleRequest[]; all or nothing"
    ),
    Endpoint(
        ("PUT",),
        "/roles/<int:role_id>",
        views_roles.update_role,
        "name, external_id, banned, member_add, member_remove",
    ),
    Endpoint(
        ("PUT",), "/roles/bulk", views_roles.update_roles, "UpdateRoleRequest[]; all or nothing"
    ),
    Endpoint(
        ("DELETE",),
        "/roles/<int:role_id>",
        views_roles.delete_role,
        "the role is `fired`; `task_receiver_id` (an active user or bot) takes over its open "
        "tasks; absent or 0: they stay",
    ),
    Endpoint(
        ("DELETE",),
        "/roles/bulk",
        views_roles.delete_roles,
        "`[{id, task_receiver_id}]`; each role's tasks go to its receiver",
    ),
    Endpoint(
        ("POST",),
        "/members",
        views_members.create_member,
        "CreateMemberRequest (email and a name required); Organization manager "
        "(`MANAGE_PERSONS_IN_ORGANIZATION`) right",
    ),
    Endpoint(
        ("PUT",),
        "/members/<int:member_id>",
        views_members.update_member,
        "names, email, status, banned, rights, position, department_id/drop_department, "
        "phone, mobile_phone; users only (bots: `/bots`)",
    ),
    Endpoint(
        ("DELETE",),
        "/members/<int:member_id>",
        views_members.delete_member,
        "fires the member (`cannot_be_fired` for oneself); no body, its tasks stay (`FireMembers` "
        "of `POST /members/bulk` takes `task_receiver_id`)",
    ),
    Endpoint(
        ("POST",),
        "/members/bulk",
        views_members.update_members,
        "ChangeMembersRequest (`AddMembers`, `ChangeMembers`, `BanMembers`, `FireMembers`, "
        "any case); all or nothing; a fired member's open tasks go to its `task_receiver_id`",
    ),
    Endpoint(
        ("PUT",),
        "/members/<int:member_id>/avatar",
        views_members.set_avatar,
        "`{guid, external_avatar_id}`; the upload becomes `avatar_id`; one's own without rights",
    ),
    Endpoint(
        ("GET",),
        "/profile/identity",
        views_orgchart.get_identity,
        "`{email, organization_id}` of the caller",
    ),
    Endpoint(("GET",), "/orgchart", views_orgchart.get_orgchart, "`{departments}`"),
    Endpoint(
        ("PUT",),
        "/orgchart",
        views_orgchart.create_department,
        "CreateDepartmentRequest → Department; Organization manager "
        "(`MANAGE_PERSONS_IN_ORGANIZATION`) right",
    ),
    Endpoint(
        ("PUT",),
        "/orgchart/bulk",
        views_orgchart.create_departments,
        "CreateDepartmentRequest[]; all or nothing",
    ),
    Endpoint(
        ("POST",),
        "/orgchart/<int:department_id>",
        views_orgchart.update_department,
        "name, parent (no loops), manager / `remove_manager`, external_id",
    ),
    Endpoint(
        ("POST",),
        "/orgchart/bulk",
        views_orgchart.update_departments,
        "UpdateDepartmentRequest[]; all or nothing",
    ),
    Endpoint(
        ("DELETE",),
        "/orgchart/<int:department_id>",
        views_orgchart.delete_department,
        "`{}`; not with sub-departments; members lose the department",
    ),
    Endpoint(("DELETE",), "/orgchart/bulk", views_orgchart.delete_departments, "`[{id}]` → `{}`"),
    Endpoint(
        ("GET",),
        "/forms/<int:form_id>/permissions",
        views_permissions.get_form_permissions,
        "`{permissions: {person_id: level}}`; Configuration manager right or the form's "
        "administrator/manager; `GET /forms` does not filter by them",
    ),
    Endpoint(
        ("POST",),
        "/forms/<int:form_id>/permissions",
        views_permissions.change_form_permissions,
        "`{permissions: {person_id: none|member|manager|restricted_manager|administrator}}` "
        "→ the whole table",
    ),
    # -- announcements, calendar, knowledge base, telephony, audit reports --------------------
    Endpoint(
        ("GET",),
        "/announcements",
        views_announcements.get_announcements,
        "newest first; `item_count` 1..10000 (default 100)",
    ),
    Endpoint(
        ("GET",),
        "/announcements/<int:announcement_id>",
        views_announcements.get_announcement,
        "AnnouncementWithComments; 403 `access_denied` for unknown ids",
    ),
    Endpoint(
        ("POST",),
        "/announcements",
        views_announcements.create_announcement,
        "`{text or formatted_text, attachments}`; every member reads announcements",
    ),
    Endpoint(
        ("POST",),
        "/announcements/<int:announcement_id>/comments",
        views_announcements.comment_announcement,
        "`{text or formatted_text, attachments}` → the announcement with every comment",
    ),
    Endpoint(
        ("GET",),
        "/calendar",
        views_calendar.get_calendar,
        "tasks whose `due` (with `duration`) or `due_date` day meets the range; "
        "`all_accessed_tasks`, `item_count` (≤ 100), `filter_mask` bits 1-2; no meetings",
    ),
    Endpoint(
        ("GET",),
        "/knowledgebase/structure",
        views_knowledge.get_structure,
        "readable entities nested; `parent_topic_id`, `depth`",
    ),
    Endpoint(
        ("POST",),
        "/knowledgebase",
        views_knowledge.create_entity,
        "`{type, title, body, parent_topic_id}`; the caller is the author (write access)",
    ),
    Endpoint(
        ("GET",),
        _KB,
        views_knowledge.get_entity,
        "article or topic; 404 `knowledge_base_not_found`, 403 `knowledge_base_access_denied`",
    ),
    Endpoint(
        ("PUT",),
        _KB,
        views_knowledge.update_entity,
        "`title`, `body`, `parent_topic_id_changed` + `parent_topic_id`; `version` + 1",
    ),
    Endpoint(
        ("DELETE",),
        _KB,
        views_knowledge.delete_entity,
        "`delete_with_children` (needed for a topic with entities) → `{deleted: true}`",
    ),
    Endpoint(
        ("GET",),
        _KB + "/permissions",
        views_knowledge.get_permissions,
        "`{global_permission, inherit, readers, editors}` (the entity's own lists)",
    ),
    Endpoint(
        ("PUT",),
        _KB + "/permissions",
        views_knowledge.update_permissions,
        "`{inherit, readers, editors}`; null members unchanged",
    ),
    Endpoint(
        ("POST",),
        "/integrations/call",
        views_integrations.register_call,
        "`{account_id, from_number, to_number, internal_number, external_id, mappings}` → "
        "`{task_id}`: a task on the account's form (`add_call_integration`)",
    ),
    Endpoint(
        ("POST",),
        "/integrations/attachcallrecord",
        views_integrations.attach_call_record,
        "`{record_file, task_id or external_id or from_number + to_number, mappings}`: "
        "a comment with the record on the call's task",
    ),
    Endpoint(
        ("GET",),
        "/eventhistory",
        views_reports.event_history,
        "CSV (Supervisor right): logins from the API log, "
        "`event_id,date,person_id,email,event`; `after`/`count` paging",
        prefixes=_ANY_PREFIX,
        raw=True,
    ),
    Endpoint(
        ("GET",),
        "/fileaccesshistory",
        views_reports.file_access_history,
        "CSV (Supervisor right): downloads, `…,file_id,file_name`; `after`/`count` paging; "
        "403 `access_denied_file_access_history`",
        prefixes=_ANY_PREFIX,
        raw=True,
    ),
    Endpoint(
        ("GET",),
        "/taskaccesshistory",
        views_reports.task_access_history,
        "CSV (Supervisor right): task reads and comments, `…,task_id,action`; "
        "`after`/`count` paging",
        prefixes=_ANY_PREFIX,
        raw=True,
    ),
    Endpoint(
        ("GET",),
        "/registryaccesshistory",
        views_reports.registry_access_history,
        "CSV (Supervisor right): register reads: `…,form_id`; `after`/`count` paging",
        prefixes=_ANY_PREFIX,
        raw=True,
    ),
    Endpoint(
        ("GET",),
        "/registrydownloadhistory",
        views_reports.registry_download_history,
        "CSV (Supervisor right): register reads with `format=csv`, `…,form_id`; "
        "`after`/`count` paging",
        prefixes=_ANY_PREFIX,
        raw=True,
    ),
    Endpoint(
        ("GET",),
        "/personlastaction",
        views_reports.person_last_action,
        "CSV (Supervisor right): `person_id,email,first_name,last_name,type,last_action`",
        prefixes=_ANY_PREFIX,
        raw=True,
    ),
    Endpoint(
        ("GET",),
        "/handlingtime",
        views_reports.handling_time,
        "CSV (Supervisor right): `sd`, `ed`, `formId` (`tz` ignored) → "
        "`task_id,form_id,create_date,close_date,handling_minutes`",
        prefixes=_ANY_PREFIX,
        raw=True,
    ),
)
