"""The request-head checks of the TLS server (``pyrus_mock.transport.http_head``)."""

from __future__ import annotations

import io
from email.message import Message

import pytest

from pyrus_mock.transport.http_head import BadHead, HeadLines, body_length


def _headers(*pairs: tuple[str, str]) -> Message:
    message = Message()
    for name, value in pairs:
        message[name] = value
    return message


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ((), 0),
        ((("Content-Length", "12"),), 12),
        ((("Content-Length", "12"), ("Content-Length", "12")), 12),
        ((("Content-Length", "12, 12"),), 12),
        ((("Transfer-Encoding", "chunked"),), None),
        ((("Transfer-Encoding", " Chunked "),), None),
    ],
)
def test_one_unambiguous_framing_is_accepted(
    pairs: tuple[tuple[str, str], ...], expected: int | None
) -> None:
    assert body_length(_headers(*pairs)) == expected


@pytest.mark.parametrize(
    ("pairs", "says"),
    [
        ((("Transfer-Encoding", "gzip, chunked"),), "Unsupported Transfer-Encoding"),
        ((("Transfer-Encoding", "chunked"), ("Content-Length", "3")), "send one of them"),
        ((("Content-Length", "3"), ("Content-Length", "4")), "Conflicting Content-Length"),
        ((("Content-Length", "+3"),), "Bad Content-Length"),
        ((("Content-Length", "0x10"),), "Bad Content-Length"),
    ],
)
def test_ambiguous_framing_is_refused_with_a_reason(
    pairs: tuple[tuple[str, str], ...], says: str
) -> None:
    with pytest.raises(BadHead, match=says):
        body_length(_headers(*pairs))


def test_head_lines_note_a_bad_header_line_and_pass_lines_through() -> None:
    clean = HeadLines(io.BytesIO(b"Host: a\r\nX-A: 1\r\n\r\n"))
    assert [clean.readline(65537) for _ in range(3)] == [b"Host: a\r\n", b"X-A: 1\r\n", b"\r\n"]
    assert not clean.bad
    for line in (b"Host : a\r\n", b" folded\r\n", b"X-A: 1\r2\r\n", b"no colon\r\n"):
        lines = HeadLines(io.BytesIO(line))
        assert lines.readline(65537) == line
        assert lines.bad, line
