"""The WSGI environ the in-process interceptor hands the app, for ``requests`` and ``httpx``.

What an app sees in-process must be what it sees behind a server: repeated header names joined,
chunked bodies without a length (``wsgi.input_terminated``), percent-decoded UTF-8 paths and
queries, the URL's host and port, a client address.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests
from werkzeug.wrappers import Request

from pyrus_mock.transport.intercept import Interceptor, call_wsgi


class _Recorder:
    """A WSGI app that answers with what it received, as JSON (and keeps the environ)."""

    def __init__(self) -> None:
        self.environ: dict[str, Any] = {}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.environ = dict(environ)
        request = Request(environ)
        stream = environ["wsgi.input"]
        if environ.get("wsgi.input_terminated"):
            body = stream.read()
        else:
            body = stream.read(int(environ.get("CONTENT_LENGTH") or 0))
        seen = {
            "method": request.method,
            "path": request.path,
            "args": request.args.to_dict(flat=False),
            "host": request.host,
            "url": request.url,
            "body": body.decode("utf-8"),
        }
        payload = json.dumps(seen).encode()
        start_response(
            "201 Created",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(payload))),
                ("X-Seen", "yes"),
            ],
        )
        return [payload]


@pytest.fixture
def recorder() -> Iterator[_Recorder]:
    app = _Recorder()
    with Interceptor(app):
        yield app


def test_plain_request_environ(recorder: _Recorder) -> None:
    reply = requests.post(
        "https://api.pyrus.com/v4/tasks/7/comments", data=b'{"text": "hi"}', timeout=5
    )
    assert reply.status_code == 201
    assert reply.headers["X-Seen"] == "yes"
    seen = reply.json()
    assert seen["method"] == "POST"
    assert seen["path"] == "/v4/tasks/7/comments"
    assert seen["body"] == '{"text": "hi"}'
    env = recorder.environ
    assert env["CONTENT_LENGTH"] == "14"
    assert "wsgi.input_terminated" not in env
    assert env["SCRIPT_NAME"] == ""
    assert env["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert env["wsgi.url_scheme"] == "https"
    assert env["wsgi.multithread"] is True
    assert env["wsgi.multiprocess"] is False


@pytest.mark.parametrize(
    ("url", "host", "name", "port", "scheme"),
    [
        ("https://api.pyrus.com/v4/forms", "api.pyrus.com", "api.pyrus.com", "443", "https"),
        ("http://api.pyrus.com/v4/forms", "api.pyrus.com", "api.pyrus.com", "80", "http"),
        (
            "https://files.pyrus.com:8443/services/attachment",
            "files.pyrus.com:8443",
            "files.pyrus.com",
            "8443",
            "https",
        ),
    ],
)
def test_host_and_port_come_from_the_url(
    recorder: _Recorder, url: str, host: str, name: str, port: str, scheme: str
) -> None:
    for get in (requests.get, httpx.get):
        reply = get(url, timeout=5)
        assert reply.json()["host"] == host
        assert reply.json()["url"] == url
        env = recorder.environ
        assert (env["HTTP_HOST"], env["SERVER_NAME"], env["SERVER_PORT"]) == (host, name, port)
        assert env["wsgi.url_scheme"] == scheme


def test_repeated_header_names_are_joined(recorder: _Recorder) -> None:
    headers = [("X-Tag", "a"), ("X-Tag", "b"), ("Accept", "text/plain"), ("Accept", "*/*")]
    with httpx.Client() as client:
        reply = client.get("https://api.pyrus.com/v4/forms", headers=headers)
    assert reply.status_code == 201
    env = recorder.environ
    # As the HTTPS server joins them: a comma, no space.
    assert env["HTTP_X_TAG"] == "a,b"
    assert env["HTTP_ACCEPT"] == "text/plain,*/*"
    # The Host header httpx sends is not repeated into a list.
    assert env["HTTP_HOST"] == "api.pyrus.com"


def test_chunked_bodies_have_no_length(recorder: _Recorder) -> None:
    url = "https://api.pyrus.com/v4/tasks/7/comments"
    reply = requests.post(url, data=iter([b'{"text": ', b'"chunked"}']), timeout=5)
    assert reply.json()["body"] == '{"text": "chunked"}'
    assert "CONTENT_LENGTH" not in recorder.environ
    assert recorder.environ["wsgi.input_terminated"] is True
    assert "HTTP_TRANSFER_ENCODING" in recorder.environ

    with httpx.Client() as client:
        reply = client.post(url, content=iter([b'{"text": ', b'"httpx chunked"}']))
    assert reply.json()["body"] == '{"text": "httpx chunked"}'
    assert "CONTENT_LENGTH" not in recorder.environ
    assert recorder.environ["wsgi.input_terminated"] is True

    async def stream() -> Any:
        for chunk in (b'{"text": ', b'"async"}'):
            yield chunk

    async def post() -> httpx.Response:
        async with httpx.AsyncClient() as client:
            return await client.post(url, content=stream())

    assert asyncio.run(post()).json()["body"] == '{"text": "async"}'
    assert recorder.environ["wsgi.input_terminated"] is True


def test_non_ascii_paths_and_queries(recorder: _Recorder) -> None:
    params = {"q": "Привет мир", "tag": ["ä", "ß&="]}
    for get in (requests.get, httpx.get):
        reply = get("https://api.pyrus.com/v4/поиск/%D1%8F", params=params, timeout=5)
        seen = reply.json()
        assert seen["path"] == "/v4/поиск/я"
        assert seen["args"] == {"q": ["Привет мир"], "tag": ["ä", "ß&="]}
        # PEP 3333: the raw bytes, decoded as latin-1; the query string stays percent-encoded.
        assert recorder.environ["PATH_INFO"] == "/v4/поиск/я".encode().decode("latin-1")
        assert recorder.environ["QUERY_STRING"].isascii()


def test_bytes_that_are_not_utf8_reach_the_app_as_werkzeug_decodes_them() -> None:
    app = _Recorder()
    status, _, payload = call_wsgi(app, "get", "https://api.pyrus.com/v4/a%FFb?x=%FF", [], b"")
    assert status == 201
    seen = json.loads(payload)
    assert seen["method"] == "GET"
    assert seen["path"] == "/v4/a\ufffdb"
    assert seen["args"] == {"x": ["%FF"]}  # werkzeug keeps undecodable query bytes quoted


def test_head_replies_carry_no_body() -> None:
    status, headers, payload = call_wsgi(
        _Recorder(), "HEAD", "https://api.pyrus.com/v4/forms", [], b""
    )
    assert (status, payload) == (201, b"")
    assert ("X-Seen", "yes") in headers
