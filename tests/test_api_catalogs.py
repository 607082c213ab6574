"""Catalogs: create, sync, diff, read, and the C# bulk forms, including every refusal.

Endpoints the official Python client has (``create_catalog``, ``sync_catalog``,
``update_catalog_items``, ``get_catalog``) are driven through it, over ``intercept()`` and over
HTTPS; the others with raw requests shaped exactly as the C# client sends them
(``PyrusClient.cs``, ``Requests/*Catalog*.cs``, serialised with null members left out).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pyrus import client
from pyrus.models.catalog_item_filters import CatalogItemFilter, CatalogItemFilters
from pyrus.models.requests import (
    CreateCatalogRequest,
    SyncCatalogRequest,
    UpdateCatalogItemsRequest,
)

from pyrus_mock import PyrusMock
from pyrus_mock.domain.errors import InvalidArgument

from ._api_helpers import World, make_world
from ._official_helpers import client_for, reached_world

pytestmark = pytest.mark.filterwarnings("ignore:keys will default to True:DeprecationWarning")


@pytest.fixture
def world() -> World:
    return make_world()


# -- through the official Python client ------------------------------------------------------------


@pytest.fixture(params=["intercept", "https"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def live(transport: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with reached_world(transport, monkeypatch) as world:
        yield world


@pytest.fixture
def bot_api(live: World, transport: str) -> client.PyrusAPI:
    return client_for(live, live.bot.login, live.bot.security_key)


@pytest.fixture
def manager_api(live: World, transport: str) -> client.PyrusAPI:
    key = live.mock._backend.user_key(live.manager.id)
    return client_for(live, live.manager.email, key)


def _values(items: Any) -> list[list[str]]:
    return [i.values for i in items or []]


def test_create_catalog_then_read_and_change_it(live: World, bot_api: client.PyrusAPI) -> None:
    created = bot_api.create_catalog(
        CreateCatalogRequest(
            name="Sizes",
            catalog_headers=["Size", "Label"],
            items=[["S", "Small"], ["M", "Medium"]],
        )
    )
    assert created.error_code is None, created.error
    assert created.source_type == "default"
    assert [h.name for h in created.catalog_headers] == ["Size", "Label"]
    assert _values(created.items) == [["S", "Small"], ["M", "Medium"]]
    stored = live.mock._backend.find_catalog(created.catalog_id)
    assert stored is not None
    assert stored.supervisors == [live.bot.id]  # the creator may change it
    read = bot_api.get_catalog(created.catalog_id)
    assert [i.item_id for i in read.items] == [i.item_id for i in created.items]
    diff = bot_api.update_catalog_items(
        created.catalog_id, UpdateCatalogItemsRequest(upsert=[["L", "Large"]])
    )
    assert diff.error_code is None, diff.error
    assert _values(diff.added) == [["L", "Large"]]


def test_sync_without_apply_is_a_dry_run(live: World, manager_api: client.PyrusAPI) -> None:
    request = SyncCatalogRequest(
        catalog_headers=["Name", "Code"], items=[["Red", "R"], ["Blue", "b"], ["Green", "g"]]
    )
    reply = manager_api.sync_catalog(live.catalog.id, request)
    assert reply.error_code is None, reply.error
    assert reply.apply is False
    assert _values(reply.added) == [["Green", "g"]]
    assert _values(reply.updated) == [["Red", "R"]]
    assert _values(reply.deleted) == [["Light blue", "lb"]]
    assert reply.added[0].item_id is None  # not created, so no id yet
    assert _values(manager_api.get_catalog(live.catalog.id).items) == [
        ["Red", "r"],
        ["Blue", "b"],
        ["Light blue", "lb"],
    ]
    assert live.catalog.version == 1


def test_sync_with_apply_replaces_the_items(live: World, manager_api: client.PyrusAPI) -> None:
    before = {i.values[0]: i.id for i in live.catalog.items}
    request = SyncCatalogRequest(
        apply=True,
        catalog_headers=["Name", "Code", "Hex"],
        items=[["Red", "r", "#f00"], ["Blue", "b", "#00f"], ["Green", "g", "#0f0"]],
    )
    reply = manager_api.sync_catalog(live.catalog.id, request)
    assert reply.error_code is None, reply.error
    assert reply.apply is True
    assert [h.name for h in reply.catalog_headers] == ["Name", "Code", "Hex"]
    assert _values(reply.deleted) == [["Light blue", "lb"]]
    assert {i.values[0]: i.item_id for i in reply.updated} == {
        "Red": before["Red"],
        "Blue": before["Blue"],
    }
    assert reply.added[0].item_id not in before.values()
    read = manager_api.get_catalog(live.catalog.id)
    assert _values(read.items) == [
        ["Red", "r", "#f00"],
        ["Blue", "b", "#00f"],
        ["Green", "g", "#0f0"],
    ]
    assert live.catalog.version == 2


def test_update_catalog_items_upserts_and_deletes_by_key(
    live: World, manager_api: client.PyrusAPI
) -> None:
    blue = next(i for i in live.catalog.items if i.values[0] == "Blue")
    reply = manager_api.update_catalog_items(
        live.catalog.id,
        UpdateCatalogItemsRequest(upsert=[["Blue", "B"], ["Green", "g"]], delete=["Red", "Nope"]),
    )
    assert reply.error_code is None, reply.error
    assert reply.apply is True
    assert [(i.item_id, i.values) for i in reply.updated] == [(blue.id, ["Blue", "B"])]
    assert _values(reply.added) == [["Green", "g"]]
    assert _values(reply.deleted) == [["Red", "r"]]  # an unknown key is ignored
    assert _values(manager_api.get_catalog(live.catalog.id).items) == [
        ["Blue", "B"],
        ["Light blue", "lb"],
        ["Green", "g"],
    ]


def test_the_python_client_reads_refusals(
    live: World, bot_api: client.PyrusAPI, manager_api: client.PyrusAPI
) -> None:
    sync = SyncCatalogRequest(apply=True, catalog_headers=["Name", "Code"], items=[["Red", "r"]])
    denied = bot_api.sync_catalog(live.catalog.id, sync)
    assert denied.error_code == "access_denied_catalog"
    assert "Configuration manager" in denied.error
    assert manager_api.sync_catalog(999999, sync).error_code == "access_denied_catalog"
    assert manager_api.get_catalog(999999).error_code == "access_denied_catalog"
    twice = UpdateCatalogItemsRequest(upsert=[["Pink", "p"], ["Pink", "q"]])
    duplicate = manager_api.update_catalog_items(live.catalog.id, twice)
    assert duplicate.error_code == "catalog_duplicate_rows"
    assert "/upsert/1/values/0" in duplicate.error
    short = manager_api.update_catalog_items(
        live.catalog.id, UpdateCatalogItemsRequest(upsert=[["Pink"]])
    )
    assert short.error_code == "catalog_headers_items_mismatch"
    no_headers = bot_api.create_catalog(CreateCatalogRequest(name="Empty"))
    assert no_headers.error_code == "empty_catalog_headers"
    renamed = manager_api.sync_catalog(
        live.catalog.id, SyncCatalogRequest(catalog_headers=["Colour", "Code"])
    )
    assert renamed.error_code == "can_not_modify_first_column"
    assert (live.catalog.headers[0].name, live.catalog.version) == ("Name", 1)  # unchanged


def test_get_catalog_filters_through_the_client(live: World, bot_api: client.PyrusAPI) -> None:
    filters = CatalogItemFilters([CatalogItemFilter("Name", "*blue")], use_wildcard=True)
    reply = bot_api.get_catalog(live.catalog.id, filters)
    assert reply.error_code is None, reply.error
    assert _values(reply.items) == [["Blue", "b"], ["Light blue", "lb"]]


# -- raw requests: what only the C# and TypeScript clients send -----------------------------------


def _url(world: World, tail: str = "") -> str:
    return f"/v4/catalogs/{world.catalog.id}{tail}"


def test_csharp_get_catalog_query(world: World) -> None:
    """C# ``GetCatalogRequest.ToString``: ``?include_deleted={bool}`` always, then the filters
    with ``use_wildcard``."""
    world.catalog.items[0].deleted = True
    shown = world.ok("GET", _url(world, "?include_deleted=False"))
    assert [i["values"][0] for i in shown["items"]] == ["Blue", "Light blue"]
    every = world.ok("GET", _url(world, "?include_deleted=True"))
    assert [(i["values"][0], i["deleted"]) for i in every["items"]] == [
        ("Red", True),
        ("Blue", False),
        ("Light blue", False),
    ]
    filtered = world.ok(
        "GET", _url(world, "?include_deleted=True&column=Name&value=R%2A&use_wildcard=True")
    )
    assert [i["values"][0] for i in filtered["items"]] == ["Red"]


def test_catalog_shape_is_one_every_client_reads(world: World) -> None:
    """C# ``CatalogResponse`` reads ``source_type`` with a strict enum converter."""
    data = world.ok("GET", _url(world))
    assert data["source_type"] == "default"
    assert {"catalog_id", "name", "version", "deleted", "catalog_headers", "items"} <= set(data)
    assert all(set(i) == {"item_id", "values", "deleted"} for i in data["items"])
    assert data["catalog_headers"][0] == {"name": "Name", "type": "text"}


def test_csharp_sync_body_with_default_members(world: World) -> None:
    """C# ``SyncCatalogRequest`` carries ``id: 0``, ``external_version: 0``,
    ``force_update_first_column: false`` and items ``{item_id: 0, values, deleted: false}``."""
    body = {
        "apply": True,
        "force_update_first_column": False,
        "id": 0,
        "external_version": 0,
        "catalog_headers": ["Name", "Code"],
        "items": [{"item_id": 0, "values": ["Red", "r"], "deleted": False}],
    }
    reply = world.ok("POST", _url(world), who="manager", json_body=body)
    assert reply["catalog_id"] == world.catalog.id
    assert [i["values"][0] for i in reply["deleted"]] == ["Blue", "Light blue"]
    assert "added" not in reply
    assert "updated" not in reply


def test_renaming_the_key_column_needs_force(world: World) -> None:
    body = {"apply": True, "catalog_headers": ["Colour", "Code"], "items": []}
    world.fail(
        "POST", _url(world), 400, "can_not_modify_first_column", who="manager", json_body=body
    )
    body["force_update_first_column"] = True
    reply = world.ok("POST", _url(world), who="manager", json_body=body)
    assert [h["name"] for h in reply["catalog_headers"]] == ["Colour", "Code"]


@pytest.mark.parametrize(
    ("body", "code", "where"),
    [
        pytest.param({"catalog_headers": "Name"}, "invalid_json", "/catalog_headers", id="headers"),
        pytest.param({"catalog_headers": [1]}, "invalid_json", "/catalog_headers/0", id="header"),
        pytest.param({"catalog_headers": []}, "empty_catalog_headers", "", id="no-headers"),
        pytest.param(
            {"catalog_headers": ["A", "a"]}, "catalog_duplicate_headers", "/1", id="dup-headers"
        ),
        pytest.param(
            {"catalog_headers": ["A"], "items": [{"values": ["x", "y"]}]},
            "catalog_headers_items_mismatch",
            "/items/0/values",
            id="width",
        ),
        pytest.param(
            {"catalog_headers": ["A", "B"], "items": [{"values": ["x", 5]}]},
            "invalid_json",
            "/items/0/values/1",
            id="number-value",
        ),
        pytest.param(
            {"catalog_headers": ["A", "B"], "items": [{"values": ["x", None]}]},
            "catalog_null_value",
            "/items/0/values/1",
            id="null-value",
        ),
        pytest.param(
            {"catalog_headers": ["A"], "items": [{"values": ["x" * 501]}]},
            "catalog_item_max_length_exceeded",
            "/items/0/values/0",
            id="too-long",
        ),
        pytest.param(
            {"catalog_headers": ["A"], "items": [{"values": [" "]}]},
            "empty_item_key",
            "/items/0/values/0",
            id="empty-key",
        ),
        pytest.param(
            {"catalog_headers": ["A"], "items": [{"values": ["k"]}, {"values": ["k"]}]},
            "catalog_duplicate_rows",
            "/items/1/values/0",
            id="dup-rows",
        ),
        pytest.param(
            {"catalog_headers": ["A"], "items": [["k"]]}, "invalid_json", "/items/0", id="row"
        ),
        pytest.param(
            {"catalog_headers": ["A"], "source_type": "user"},
            "invalid_value_format",
            "/source_type",
            id="source-type",
        ),
        pytest.param(
            {"catalog_headers": ["A"], "add_supervisors": [999999]},
            "invalid_person_id",
            "/add_supervisors/0",
            id="supervisor",
        ),
        pytest.param({"name": "", "catalog_headers": ["A"]}, "required_parameter_missing", "/name"),
    ],
)
def test_create_refuses_bad_bodies(
    world: World, body: dict[str, Any], code: str, where: str
) -> None:
    count = len(world.mock._backend.catalogs())
    reply = world.fail("PUT", "/v4/catalogs", 400, code, json_body={"name": "C", **body})
    assert where in reply["error"]
    assert len(world.mock._backend.catalogs()) == count


def test_too_many_items(world: World) -> None:
    items = [{"values": [str(n)]} for n in range(15_001)]
    body = {"name": "Big", "catalog_headers": ["N"], "items": items}
    world.fail("PUT", "/v4/catalogs", 400, "too_many_catalog_items", json_body=body)


def test_a_deleted_item_stays_readable_on_tasks_and_cannot_be_chosen(world: World) -> None:
    red = world.catalog.items[0]
    colour = next(f for f in world.form.fields if f.code == "u_colour")
    world.mock._backend.comment(
        world.task,
        {"field_updates": [{"id": colour.id, "value": {"item_id": red.id}}]},
        world.author,
    )
    world.ok("POST", _url(world, "/diff"), who="manager", json_body={"delete": ["Red"]})
    task = world.ok("GET", f"/v4/tasks/{world.task.id}", who="author")["task"]
    value = next(f for f in task["fields"] if f["id"] == colour.id)["value"]
    assert value["item_ids"] == [red.id]
    assert value["values"] == ["Red", "r"]
    refused = {"field_updates": [{"id": colour.id, "value": {"item_id": red.id}}]}
    world.fail(
        "POST",
        f"/v4/tasks/{world.task.id}/comments",
        400,
        "invalid_catalog_item_id",
        who="author",
        json_body=refused,
    )
    # The key comes back: the same item, alive again.
    revived = world.ok(
        "POST",
        _url(world, "/diff"),
        who="manager",
        json_body={"upsert": [{"values": ["Red", "R"]}]},
    )
    assert revived["added"] == [{"item_id": red.id, "values": ["Red", "R"], "deleted": False}]


def test_diff_refusals(world: World) -> None:
    url = _url(world, "/diff")
    world.fail(
        "POST",
        url,
        400,
        "catalog_duplicate_rows",
        who="manager",
        json_body={"upsert": [{"values": ["Red", "x"]}], "delete": ["Red"]},
    )
    body = world.fail(
        "POST", url, 400, "invalid_json", who="manager", json_body={"delete": ["Red", 3]}
    )
    assert "/delete/1" in body["error"]
    world.fail("POST", url, 403, "access_denied_catalog", who="author", json_body={})
    world.fail(
        "POST",
        "/v4/catalogs/999999/diff",
        403,
        "access_denied_catalog",
        who="manager",
        json_body={},
    )
    assert world.catalog.version == 1


def test_csharp_bulk_create(world: World) -> None:
    """C# ``CreateCatalogs``: ``PUT /catalogs/bulk`` with ``CreateCatalogRequest[]``."""
    body = [
        {
            "name": "Sizes",
            "catalog_headers": ["Size"],
            "items": [{"values": ["S"]}],
            "id": 0,
            "external_version": 0,
            "source_type": "default",
        },
        {"name": "Fill", "catalog_headers": ["K", "V"], "source_type": "fill_table"},
    ]
    reply = world.ok("PUT", "/v4/catalogs/bulk", json_body=body)
    assert [(c["name"], c["source_type"]) for c in reply["catalogs"]] == [
        ("Sizes", "default"),
        ("Fill", "fill_table"),
    ]
    assert [i["values"] for i in reply["catalogs"][0]["items"]] == [["S"]]
    ids = [c["catalog_id"] for c in world.ok("GET", "/v4/catalogs")["catalogs"]]
    assert ids[-2:] == [c["catalog_id"] for c in reply["catalogs"]]


def test_bulk_create_is_all_or_nothing(world: World) -> None:
    body = [{"name": "Good", "catalog_headers": ["A"]}, {"name": "Bad", "catalog_headers": []}]
    reply = world.fail("PUT", "/v4/catalogs/bulk", 400, "empty_catalog_headers", json_body=body)
    assert "/1/catalog_headers" in reply["error"]
    assert [c.name for c in world.mock._backend.catalogs()] == ["Colours"]
    world.fail("PUT", "/v4/catalogs/bulk", 400, "invalid_json", json_body=[1])
    world.fail("PUT", "/v4/catalogs/bulk", 400, "invalid_json", json_body={"name": "x"})


def test_csharp_bulk_sync(world: World) -> None:
    """C# ``SyncCatalogs``: ``POST /catalogs/bulk`` with ``SyncCatalogRequest[]`` carrying
    ``id``; answers ``{catalogs: [SyncCatalogResponse]}``."""
    other = world.mock.add_catalog("Sizes", ["Size"], [["S"], ["M"]])
    body = [
        {
            "id": world.catalog.id,
            "apply": True,
            "catalog_headers": ["Name", "Code"],
            "items": [{"values": ["Red", "r"]}],
        },
        {"id": other.id, "apply": False, "catalog_headers": ["Size"], "items": []},
    ]
    reply = world.ok("POST", "/v4/catalogs/bulk", who="manager", json_body=body)
    first, second = reply["catalogs"]
    assert (first["catalog_id"], first["apply"], len(first["deleted"])) == (
        world.catalog.id,
        True,
        2,
    )
    assert (second["catalog_id"], second["apply"], len(second["deleted"])) == (other.id, False, 2)
    assert len([i for i in world.catalog.items if not i.deleted]) == 1
    assert all(not i.deleted for i in other.items)


def test_bulk_sync_is_all_or_nothing(world: World) -> None:
    body: list[dict[str, Any]] = [
        {"id": world.catalog.id, "apply": True, "catalog_headers": ["Name", "Code"]},
        {"id": 999999, "apply": True, "catalog_headers": ["A"]},
    ]
    reply = world.fail(
        "POST", "/v4/catalogs/bulk", 403, "access_denied_catalog", who="manager", json_body=body
    )
    assert reply["error"].startswith("/1/id")
    assert all(not i.deleted for i in world.catalog.items)
    twice = [body[0], body[0]]
    world.fail(
        "POST", "/v4/catalogs/bulk", 400, "invalid_value_format", who="manager", json_body=twice
    )
    world.fail(
        "POST",
        "/v4/catalogs/bulk",
        400,
        "required_parameter_missing",
        who="manager",
        json_body=[{"catalog_headers": ["A"]}],
    )


def test_csharp_bulk_delete(world: World) -> None:
    """C# ``DeleteCatalogs``: ``DELETE /catalogs/bulk`` with ``[{id}]``; the catalog stays
    readable, flagged, and refuses changes."""
    world.fail(
        "DELETE",
        "/v4/catalogs/bulk",
        403,
        "access_denied_catalog",
        who="bot",
        json_body=[{"id": world.catalog.id}],
    )
    assert world.catalog.deleted is False
    assert (
        world.ok("DELETE", "/v4/catalogs/bulk", who="manager", json_body=[{"id": world.catalog.id}])
        == {}
    )
    assert world.ok("GET", _url(world))["deleted"] is True
    assert world.ok("GET", "/v4/catalogs")["catalogs"][0]["deleted"] is True
    world.fail(
        "POST",
        _url(world, "/diff"),
        400,
        "can_not_modify_deleted_catalog",
        who="manager",
        json_body={"delete": ["Red"]},
    )
    world.fail(
        "POST",
        _url(world),
        400,
        "can_not_modify_deleted_catalog",
        who="manager",
        json_body={"apply": True, "catalog_headers": ["Name", "Code"]},
    )


def test_a_supervisor_may_change_a_catalog(world: World) -> None:
    catalog = world.mock.add_catalog("Team", ["Name"], [["Ann"]], supervisors=[world.author])
    url = f"/v4/catalogs/{catalog.id}/diff"
    world.ok("POST", url, who="author", json_body={"upsert": [{"values": ["Bob"]}]})
    world.fail("POST", url, 403, "access_denied_catalog", who="outsider", json_body={})
    assert world.ok("GET", f"/v4/catalogs/{catalog.id}")["supervisors"] == [world.author.id]


def test_builder_arguments_are_checked() -> None:
    with PyrusMock() as mock:
        with pytest.raises(InvalidArgument, match="source_type"):
            mock.add_catalog("C", ["A"], source_type="user")
        with pytest.raises(InvalidArgument, match="supervisors"):
            mock.add_catalog("C", ["A"], supervisors=[999999])


# -- reading and filtering with raw requests -------------------------------------------------------


def test_catalogs(world: World) -> None:
    catalogs = world.ok("GET", "/v4/catalogs")["catalogs"]
    assert [c["catalog_id"] for c in catalogs] == [world.catalog.id]
    catalog = world.ok("GET", f"/v4/catalogs/{world.catalog.id}")
    assert [h["name"] for h in catalog["catalog_headers"]] == ["Name", "Code"]
    assert [i["values"] for i in catalog["items"]] == [
        ["Red", "r"],
        ["Blue", "b"],
        ["Light blue", "lb"],
    ]


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("column=Name&value=blue", ["Blue"]),
        ("column=Name&value=*blue&use_wildcard=True", ["Blue", "Light blue"]),
        ("column=code&value=l*&use_wildcard=true", ["Light blue"]),
        ("column=Name&value=Blue&column=Code&value=x", []),
        ("column=Name&value=*i*h*&use_wildcard=true", ["Light blue"]),
        ("column=Name&value=L*E&use_wildcard=true", ["Light blue"]),
        ("column=Name&value=*&use_wildcard=true", ["Red", "Blue", "Light blue"]),
        ("column=Name&value=Blue*Blue&use_wildcard=true", []),  # parts may not overlap
        ("column=Name&value=*blue&use_wildcard=false", []),  # a literal star
        # a pattern that makes a backtracking regex take seconds per item
        ("column=Name&value=" + "l*" * 12 + "x&use_wildcard=true", []),
    ],
)
def test_catalog_filters(world: World, query: str, names: list[str]) -> None:
    catalog = world.ok("GET", f"/v4/catalogs/{world.catalog.id}?{query}")
    assert [i["values"][0] for i in catalog["items"]] == names


def test_catalog_filter_errors(world: World) -> None:
    url = f"/v4/catalogs/{world.catalog.id}"
    body = world.fail("GET", url + "?column=Nope&value=x", 400, "catalog_column_not_found")
    assert "'Nope'" in body["error"]
    assert "Name, Code" in body["error"]
    world.fail("GET", url + "?column=Name", 400, "invalid_catalog_item_filter")
    world.fail("GET", url + "?include_deleted=perhaps", 400, "invalid_value_format")


def test_wildcard_matching_agrees_with_the_regular_expression() -> None:
    import re

    from hypothesis import given
    from hypothesis import strategies as st

    from pyrus_mock.api.views_catalogs import _glob

    @given(st.text("ab*", max_size=7), st.text("ab", max_size=9))
    def agree(pattern: str, text: str) -> None:
        regex = ".*".join(re.escape(part) for part in pattern.split("*"))
        assert _glob(pattern.split("*"), text) == bool(re.fullmatch(regex, text))

    agree()
