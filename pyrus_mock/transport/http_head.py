"""Checks of a request's head for :mod:`pyrus_mock.transport.wsgi_handler` (RFC 9112).

Lenient parsers let requests be smuggled past a proxy; these checks are strict instead:

* :class:`HeadLines` notes any header line that is not a clean ``Name: value`` while the
  standard library's parser reads the head (a bare CR or a NUL, whitespace before the colon,
  a folded line, no colon);
* :func:`body_length` accepts exactly one framing of the body: ``Transfer-Encoding: chunked``
  alone, or ``Content-Length`` (repeated only with the same value), or neither (no body).

The handler answers a JSON 400 for either and closes the connection.
"""

from __future__ import annotations

from email.message import Message
from typing import Any

from ..domain.ids import parse_decimal
from .http_io import bad_field_line

__all__ = ["BadHead", "HeadLines", "body_length"]


class BadHead(ValueError):
    """The request's head is refused; the message says why (it becomes the 400's text)."""


class HeadLines:
    """The handler's ``rfile`` while the standard library reads the header lines: notes any line
    that is not a clean ``Name: value`` (see
    :func:`~pyrus_mock.transport.http_io.bad_field_line`).

    Args:
        rfile: the handler's buffered reader; lines are read from it unchanged.
    """

    def __init__(self, rfile: Any) -> None:
        self._rfile = rfile
        #: Whether a bad header line was read.
        self.bad = False

    def readline(self, limit: int = -1) -> bytes:
        """The next line of ``rfile`` (at most ``limit`` bytes), checked on the way."""
        line: bytes = self._rfile.readline(limit)
        if (
            line not in (b"\r\n", b"\n", b"")
            and bad_field_line(line)
            and not 0 <= limit <= len(line)
        ):
            self.bad = True  # (an over-long line is the parser's 431)
        return line


def body_length(headers: Message) -> int | None:
    """How the body of a request with ``headers`` is framed (RFC 9112 §6.3).

    Returns:
        The body's length (``0`` with neither header), or None for ``Transfer-Encoding:
        chunked``.

    Raises:
        BadHead: another transfer coding, both headers, conflicting or non-numeric
            ``Content-Length`` values: how requests are smuggled, so they are refused.
    """
    encodings = headers.get_all("Transfer-Encoding") or []
    lengths = headers.get_all("Content-Length") or []
    if encodings:
        codings = [c.strip().lower() for c in ",".join(encodings).split(",")]
        if codings != ["chunked"]:
            shown = ", ".join(encodings)[:60]
            raise BadHead(
                f"Unsupported Transfer-Encoding {shown!r}: this server takes 'chunked' only"
            )
        if lengths:
            raise BadHead("Both Transfer-Encoding and Content-Length: send one of them")
        return None
    values = {v.strip() for v in ",".join(lengths).split(",")} if lengths else {"0"}
    if len(values) > 1:
        raise BadHead(f"Conflicting Content-Length values {', '.join(lengths)[:60]!r}")
    (value,) = values
    length = parse_decimal(value)
    if length is None:
        raise BadHead(f"Bad Content-Length {value[:40]!r}")
    return length
