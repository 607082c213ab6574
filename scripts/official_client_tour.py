"""Call every method of the official Python client (PyPI ``pyrus-api``) against the fake.

The tour builds a small organisation with default settings (a form with a ``creation_date``
field, a catalog, a list, a task), then calls each public method of ``pyrus.client.PyrusAPI``
once, unmodified, and checks that the client parsed a reply without an error. It runs both
ways a test reaches the fake:

- ``intercept``: in-process, the client keeps its default cloud hosts;
- ``https``: the fake's real HTTPS server, the client's host attributes pointed at it and its
  CA trusted through ``REQUESTS_CA_BUNDLE``.

A method of the client that the tour does not call fails the tour, so a new client release
that adds an endpoint shows up here. Run it with ``python scripts/official_client_tour.py``
(exit status 0 when every call passed); ``tests/test_official_client_tour.py`` runs it too.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import inspect
import os
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pyrus import client as pyrus_client
from pyrus.models import requests as req

from pyrus_mock import PyrusMock

#: Public client methods that make no HTTP call of their own.
NOT_ENDPOINTS = {"serialize_request": "serialises a request body for the other methods"}

ADMIN_EMAIL = "ada@example.com"
ADMIN_KEY = "tour-security-key"


@dataclass
class Step:
    """One client call of the tour and its outcome."""

    method: str
    ok: bool
    detail: str = ""


@dataclass
class Tour:
    """The organisation the tour runs in, and what it has called so far."""

    fake: PyrusMock
    api: pyrus_client.PyrusAPI
    ids: dict[str, Any] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)

    def call(self, method: str, *args: Any, check: Callable[[Any], object] | None = None) -> Any:
        """Call ``api.method(*args)``; record whether it parsed without an error."""
        try:
            reply = getattr(self.api, method)(*args)
        except Exception as exc:  # the client raising is exactly what the tour looks for
            self.steps.append(Step(method, False, f"{type(exc).__name__}: {exc}"))
            return None
        error = getattr(reply, "error_code", None)
        if error is not None:
            self.steps.append(Step(method, False, f"{error}: {getattr(reply, 'error', '')}"))
            return reply
        try:
            if check is not None:
                outcome = check(reply)
                if outcome is False:
                    raise AssertionError("the reply does not hold what was asked for")
        except Exception as exc:
            self.steps.append(Step(method, False, f"unexpected reply: {exc}"))
            return reply
        self.steps.append(Step(method, True))
        return reply

    @property
    def passed(self) -> bool:
        """Every call passed and every client method was called."""
        return all(s.ok for s in self.steps) and not self.missing

    @property
    def missing(self) -> list[str]:
        """Client methods the tour did not call."""
        called = {s.method for s in self.steps}
        return [m for m in client_methods() if m not in called]

    def table(self) -> str:
        """A plain-text table of the calls."""
        lines = [f"{'method':38} result"]
        for s in self.steps:
            detail = s.detail if len(s.detail) <= 200 else s.detail[:197] + "..."
            lines.append(f"{s.method:38} {'ok' if s.ok else 'FAILED ' + detail}")
        for m in self.missing:
            lines.append(f"{m:38} NOT CALLED by the tour")
        good = sum(s.ok for s in self.steps)
        lines.append(f"{good} passed, {len(self.steps) - good + len(self.missing)} failed")
        return "\n".join(lines)


def client_methods() -> list[str]:
    """The public methods of ``PyrusAPI`` that call an endpoint."""
    return sorted(
        name
        for name, _ in inspect.getmembers(pyrus_client.PyrusAPI, inspect.isfunction)
        if name[:1].islower() and name not in NOT_ENDPOINTS
    )


def build_world(fake: PyrusMock) -> dict[str, Any]:
    """The organisation of the tour; returns the ids the calls need."""
    admin = fake.add_user(
        "Ada",
        "Admin",
        email=ADMIN_EMAIL,
        rights=["supervisor", "configuration_manager", "organization_manager"],
        security_key=ADMIN_KEY,
    )
    colleague = fake.add_user("Bob", "Builder", email="bob@example.com")
    catalog = fake.add_catalog("Cities", ["City", "Country"], [["Berlin", "DE"], ["Paris", "FR"]])
    form = fake.add_form(
        "Expense report",
        fields=[
            {"name": "Description", "type": "text", "code": "u_description"},
            {"name": "Amount", "type": "money", "code": "u_amount"},
            {"name": "Created", "type": "creation_date", "code": "u_created"},
            {"name": "City", "type": "catalog", "code": "u_city", "catalog": catalog},
            {"name": "Due", "type": "due_date", "code": "u_due"},
        ],
        steps=[{"name": "Review", "approvers": [admin]}],
    )
    lst = fake.add_list("Projects")
    task = fake.add_task(
        form=form,
        author=colleague,
        fields={
            "u_description": "Train to Paris",
            "u_amount": 120.5,
            "u_city": {"item_names": ["Paris"]},
        },
        list_ids=[lst.id],
    )
    due = (fake.clock.now() + timedelta(days=1)).strftime("%Y-%m-%d")
    simple = fake.add_task(text="Book the hotel", responsible=admin, due_date=due)
    return {
        "admin": admin.id,
        "colleague": colleague.id,
        "catalog": catalog.id,
        "form": form.id,
        "list": lst.id,
        "task": task.id,
        "simple": simple.id,
    }


def run_calls(tour: Tour, upload_path: str) -> None:
    """Every client method, in an order where each call finds what it needs."""
    ids = tour.ids
    t = tour.call
    t("auth", check=lambda r: r.success)
    t("get_profile", check=lambda r: r.person_id == ids["admin"])
    t("get_contacts", check=lambda r: r.organizations)
    t("get_forms", check=lambda r: any(f.id == ids["form"] for f in r.forms))
    t("get_form", ids["form"], check=lambda r: r.id == ids["form"])
    t("get_form_permissions", ids["form"])
    t(
        "change_form_permissions",
        ids["form"],
        req.ChangePermissionsRequest({ids["colleague"]: "member"}),
    )
    t("get_task", ids["task"], check=lambda r: r.task.id == ids["task"] and r.task.fields)
    t("get_registry", ids["form"], check=lambda r: any(x.id == ids["task"] for x in r.tasks))
    t(
        "get_registry",
        ids["form"],
        req.FormRegisterRequest(include_archived=True, item_count=10),
        check=lambda r: r.tasks,
    )
    t("get_inbox", 10, 10, check=lambda r: any(x.id == ids["simple"] for x in r.tasks))
    t("get_lists", check=lambda r: r.lists)
    t("get_task_list", ids["list"], check=lambda r: any(x.id == ids["task"] for x in r.tasks))
    t(
        "comment_task",
        ids["task"],
        req.TaskCommentRequest(text="Looks fine", approval_choice="approved"),
        check=lambda r: r.task.comments[-1].text == "Looks fine",
    )
    created = t(
        "create_task",
        req.CreateTaskRequest(text="Call the client", responsible=ids["colleague"]),
        check=lambda r: r.task.comments,
    )
    if created is not None and created.task is not None:
        ids["created"] = created.task.id
    now = tour.fake.clock.now().replace(tzinfo=None)
    t(
        "get_calendar_tasks",
        req.CalendarRequest(now - timedelta(days=1), now + timedelta(days=7)),
    )
    upload = t("upload_file", upload_path, check=lambda r: r.guid)
    guid = getattr(upload, "guid", None)
    if guid:
        attached = tour.api.comment_task(
            ids["simple"], req.TaskCommentRequest(text="the file", attachments=[guid])
        )
        file_id = attached.task.comments[-1].attachments[0].id
        t("download_file", file_id, check=lambda r: r.raw_file == b"tour file\n")
    else:
        tour.steps.append(Step("download_file", False, "no upload to download"))
    t("get_catalog", ids["catalog"], check=lambda r: len(r.items) == 2)
    new_catalog = t(
        "create_catalog",
        req.CreateCatalogRequest("Colours", ["Colour"], [["red"], ["green"]]),
        check=lambda r: r.catalog_id,
    )
    catalog_id = getattr(new_catalog, "catalog_id", None) or ids["catalog"]
    t(
        "sync_catalog",
        catalog_id,
        req.SyncCatalogRequest(apply=True, catalog_headers=["Colour"], items=[["red"], ["blue"]]),
    )
    t(
        "update_catalog_items",
        catalog_id,
        req.UpdateCatalogItemsRequest(upsert=[["black"]], delete=["red"]),
    )
    t("get_members", check=lambda r: any(m.id == ids["colleague"] for m in r.members))
    t("get_member", ids["colleague"], check=lambda r: r.id == ids["colleague"])
    member = t(
        "create_member",
        req.CreateMemberRequest(first_name="Cara", last_name="New", email="cara@example.com"),
        check=lambda r: r.id,
    )
    member_id = getattr(member, "id", None) or ids["colleague"]
    t(
        "update_member",
        member_id,
        req.UpdateMemberRequest(position="Accountant"),
        check=lambda r: r.id == member_id,  # the client's MemberResponse has no position
    )
    if guid:
        t("set_avatar", member_id, guid)
    else:
        tour.steps.append(Step("set_avatar", False, "no upload to use as the avatar"))
    role = t(
        "create_role",
        req.CreateRoleRequest("Accountants", [ids["colleague"]]),
        check=lambda r: r.id,
    )
    role_id = getattr(role, "id", None)
    t("get_roles", check=lambda r: r.roles)
    if role_id:
        t("get_role", role_id, check=lambda r: r.id == role_id)
        t("update_role", role_id, req.UpdateRoleRequest(name="Finance", added_members=[member_id]))
        t("delete_role", role_id, req.DeleteRoleRequest(task_receiver_id=ids["admin"]))
    else:
        for name in ("get_role", "update_role", "delete_role"):
            tour.steps.append(Step(name, False, "no role was created"))
    announcement = t(
        "create_announcement",
        req.CreateAnnouncementRequest(text="Office closed on Friday"),
        check=lambda r: r.announcement,
    )
    announcement_id = getattr(getattr(announcement, "announcement", None), "id", None)
    t("get_announcements", check=lambda r: r.announcements)
    if announcement_id:
        t("get_announcement", announcement_id, check=lambda r: r.announcement)
        t(
            "comment_announcement",
            announcement_id,
            req.AnnouncementCommentRequest(text="Noted"),
        )
    else:
        for name in ("get_announcement", "comment_announcement"):
            tour.steps.append(Step(name, False, "no announcement was created"))
    topic = t(
        "create_knowledge_base_entity",
        req.CreateKnowledgeBaseEntityRequest("topic", "Travel"),
    )
    topic_id = _entity_id(topic)
    article = t(
        "create_knowledge_base_entity",
        req.CreateKnowledgeBaseEntityRequest(
            "article", "Expenses", body="Keep the receipts.", parent_topic_id=topic_id
        ),
    )
    article_id = _entity_id(article)
    t("get_knowledge_base_structure")
    if article_id and topic_id:
        t("get_knowledge_base_entity", article_id)
        t(
            "update_knowledge_base_entity",
            article_id,
            req.UpdateKnowledgeBaseEntityRequest(title="Expense rules"),
        )
        t("get_knowledge_base_permissions", topic_id)
        t(
            "update_knowledge_base_permissions",
            topic_id,
            req.UpdateKnowledgeBasePermissionsRequest(inherit=False, readers=[ids["colleague"]]),
        )
        t("delete_knowledge_base_entity", topic_id, True)
    else:
        for name in (
            "get_knowledge_base_entity",
            "update_knowledge_base_entity",
            "get_knowledge_base_permissions",
            "update_knowledge_base_permissions",
            "delete_knowledge_base_entity",
        ):
            tour.steps.append(Step(name, False, "no knowledge-base entity was created"))


def _entity_id(reply: Any) -> str | None:
    if reply is None:
        return None
    value = getattr(reply, "id", None) or (reply.original_response or {}).get("id")
    return str(value) if value is not None else None


@contextlib.contextmanager
def _transport(fake: PyrusMock, transport: str) -> Iterator[Callable[[Any], None]]:
    """Reach the fake in-process or over HTTPS; yields a function that points a client at it."""
    if transport == "intercept":
        with fake.intercept():
            yield lambda api: None
        return
    fake.start()
    saved = os.environ.get("REQUESTS_CA_BUNDLE")
    os.environ["REQUESTS_CA_BUNDLE"] = fake.ca_path
    host = fake.base_url.removeprefix("https://")

    def point(api: Any) -> None:
        api._host = host
        api._auth_host = host + "/api"
        api._files_host = host

    try:
        yield point
    finally:
        if saved is None:
            os.environ.pop("REQUESTS_CA_BUNDLE", None)
        else:
            os.environ["REQUESTS_CA_BUNDLE"] = saved


def run(transport: str) -> Tour:
    """Run the tour over ``intercept`` or ``https`` with a fresh fake and default settings."""
    if transport not in ("intercept", "https"):
        raise ValueError(f"transport must be 'intercept' or 'https', not {transport!r}")
    with warnings.catch_warnings():
        # the client serialises with jsonpickle, which warns about a future default
        warnings.filterwarnings("ignore", "keys will default to True", DeprecationWarning)
        # upload_file() opens the file and never closes it (the client's own leak)
        warnings.filterwarnings("ignore", category=ResourceWarning)
        with PyrusMock() as fake, tempfile.TemporaryDirectory() as tmp:
            upload_path = os.path.join(tmp, "receipt.txt")
            with open(upload_path, "wb") as f:
                f.write(b"tour file\n")
            ids = build_world(fake)
            with _transport(fake, transport) as point:
                api = pyrus_client.PyrusAPI(login=ADMIN_EMAIL, security_key=ADMIN_KEY)
                point(api)
                tour = Tour(fake, api, ids)
                run_calls(tour, upload_path)
            if transport == "https":
                fake.server.raise_errors()
        gc.collect()  # while the client's ResourceWarning is still ignored
    return tour


def main(argv: list[str] | None = None) -> int:
    """Command line: run the tour and print a table per transport."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--transport", choices=("intercept", "https", "both"), default="both", help="how to reach"
    )
    args = parser.parse_args(argv)
    transports = ("intercept", "https") if args.transport == "both" else (args.transport,)
    status = 0
    for transport in transports:
        tour = run(transport)
        print(f"== official Python client (pyrus-api) over {transport}")
        print(tour.table())
        status |= 0 if tour.passed else 1
    return status


if __name__ == "__main__":
    sys.exit(main())
