"""Files: ``POST /files/upload`` and the download forms (contract §7.3)."""

from __future__ import annotations

import hashlib
import io

import pytest

from ._api_helpers import World, make_world


@pytest.fixture
def world() -> World:
    return make_world()


@pytest.mark.parametrize("part", ["file", "report.pdf", "anything"])
@pytest.mark.parametrize("prefix", ["", "/v4", "/api/v4"])
def test_upload_any_part_name(world: World, part: str, prefix: str) -> None:
    content = "päper".encode()
    data = world.ok("POST", f"{prefix}/files/upload", data={part: (io.BytesIO(content), "p.txt")})
    assert data["md5_hash"] == hashlib.md5(content).hexdigest()
    record = world.mock._backend.find_file_by_guid(data["guid"])
    assert record is not None
    assert (record.name, record.content, record.uploaded_by) == ("p.txt", content, world.bot.id)


def test_upload_refusals(world: World) -> None:
    world.fail("POST", "/v4/files/upload", 400, "file_is_missing", data={"field": "text only"})
    world.fail("POST", "/v4/files/upload", 400, "file_is_missing", json_body={"file": "x"})
    two = {"a": (io.BytesIO(b"1"), "a.txt"), "b": (io.BytesIO(b"2"), "b.txt")}
    body = world.fail("POST", "/v4/files/upload", 400, "too_many_attachments", data=two)
    assert "a, b" in body["error"]


@pytest.mark.parametrize(
    "path",
    [
        "/files/download/{id}",
        "/v4/files/download/{id}",
        "/api/v4/files/download/{id}",
        "/services/attachment?Id={id}",
        "/services/attachment?id={id}",
    ],
)
def test_downloads(world: World, path: str) -> None:
    response, _ = world.call("GET", path.format(id=world.file.id), who="author", raw_ok=True)
    assert response.status_code == 200
    assert response.get_data() == b"receipt bytes"
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"] == "attachment; filename=receipt.txt"


@pytest.mark.parametrize("who", ["author", "bot", "supervisor"])
def test_who_may_download(world: World, who: str) -> None:
    response, _ = world.call("GET", f"/v4/files/download/{world.file.id}", who=who, raw_ok=True)
    assert response.status_code == 200


def test_uploader_may_download_unattached_files(world: World) -> None:
    record = world.mock._backend.upload("mine.txt", b"m", world.outsider.id)
    response, _ = world.call("GET", f"/files/download/{record.id}", who="outsider", raw_ok=True)
    assert response.status_code == 200
    world.fail("GET", f"/files/download/{record.id}", 403, "access_denied_file", who="author")


def test_file_field_values_are_downloadable(world: World) -> None:
    scan = next(f for f in world.form.fields if f.code == "u_scan")
    record = world.mock._backend.upload("field.bin", b"f", world.author.id)
    world.mock._backend.comment(
        world.task,
        {"field_updates": [{"id": scan.id, "value": [{"guid": record.guid}]}]},
        world.author,
    )
    response, _ = world.call("GET", f"/files/download/{record.id}", who="bot", raw_ok=True)
    assert response.status_code == 200


def test_non_ascii_file_names(world: World) -> None:
    from email.message import Message

    record = world.mock._backend.upload("счёт №1.pdf", b"x", world.bot.id)
    response, _ = world.call("GET", f"/services/attachment?Id={record.id}", raw_ok=True)
    header = response.headers["Content-Disposition"]
    assert header.isascii()
    message = Message()
    message["Content-Disposition"] = header
    assert message.get_filename() == "счёт №1.pdf"
