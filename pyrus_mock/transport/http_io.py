"""Socket I/O for :mod:`pyrus_mock.transport.wsgi_handler`: a request deadline, and what went wrong.

:class:`ConnectionStream` is the raw stream under the handler's buffered ``rfile`` and its
``wfile``. It enforces two separate timeouts:

* between requests a connection may sit idle for ``idle_timeout`` seconds (keep-alive);
* from the first byte of a request until its head and body are read, the client has
  ``request_timeout`` seconds in all, however slowly it trickles bytes (slowloris).

It also remembers what the *client* did wrong during the current request (hung up, timed out,
broke the framing), so the handler can tell a client's problem from an app error whatever the
app made of the failed read.
"""

from __future__ import annotations

import io
import re
import ssl
import time

from werkzeug.exceptions import BadRequest, ClientDisconnected, RequestTimeout

__all__ = ["BadFraming", "ChunkedInput", "ClientTimedOut", "ConnectionStream", "bad_field_line"]


class ClientTimedOut(RequestTimeout):
    """The client did not send its request (head and body) within the request deadline."""


class BadFraming(BadRequest):
    """The request body's framing is broken (e.g. a chunk size that is not hexadecimal)."""


class ConnectionStream(io.RawIOBase):
    """Reads and writes of one TLS connection, under the idle timeout and the request deadline.

    Args:
        sock: the connected TLS socket.
        idle_timeout: seconds a connection may wait for the first byte of a request, and a
            reply may wait for the client to accept bytes.
        request_timeout: seconds from the first byte of a request until it is read in full.
    """

    def __init__(self, sock: ssl.SSLSocket, idle_timeout: float, request_timeout: float) -> None:
        super().__init__()
        self.sock = sock
        self.idle_timeout = idle_timeout
        self.request_timeout = request_timeout
        self.deadline: float | None = None  # set by the first byte of a request
        self.problem: BaseException | None = None  # what the client did wrong in this request
        self._timeout = sock.gettimeout()

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def next_request(self) -> None:
        """The current request is over: the next one gets a fresh deadline."""
        self.deadline = None
        self.problem = None

    def fail(self, problem: BaseException) -> BaseException:
        """Remember ``problem`` (the client's fault) and return it, for ``raise``."""
        if self.problem is None:
            self.problem = problem
        return problem

    def _set_timeout(self, timeout: float) -> None:
        if timeout != self._timeout:
            self.sock.settimeout(timeout)
            self._timeout = timeout

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        deadline = self.deadline
        if deadline is None:
            # Between requests: the idle timeout. A TimeoutError here ends the connection quietly.
            self._set_timeout(self.idle_timeout)
            count = self.sock.recv_into(buffer)
            if count:
                self.deadline = time.monotonic() + self.request_timeout
            return count
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise self.fail(self._timed_out())
        self._set_timeout(remaining)
        try:
            count = self.sock.recv_into(buffer)
        except TimeoutError:
            raise self.fail(self._timed_out()) from None
        except OSError as exc:  # reset, TLS error: the client went away in the middle
            self.fail(ClientDisconnected(f"the client went away: {exc}"))
            raise
        if not count:
            self.fail(ClientDisconnected("the client closed the connection mid-request"))
        return count

    def _timed_out(self) -> ClientTimedOut:
        return ClientTimedOut(
            f"the request was not received in full within {self.request_timeout:g} seconds "
            "(the server's request deadline, setting server_request_timeout); send the head and "
            "body without pausing"
        )

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self._set_timeout(self.idle_timeout)
        self.sock.sendall(data)
        return len(data)


_CHUNK_LINE_LIMIT = 4096
"""Bytes a chunk-size line (size and extensions) may hold."""

_TRAILER_LIMIT = 100
"""Trailer lines a chunked body may end with (the head's limit on header lines, too)."""

_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")
_CHUNK_EXTENSIONS = re.compile(rb"[ \t]*(;[^\r\n\0]*)?")
_FIELD_LINE = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[^\r\n\0]*\r?\n")
"""A header or trailer line: a token, a colon, a value without CR, LF or NUL (RFC 9112 §5)."""


def bad_field_line(line: bytes) -> bool:
    """Whether ``line`` (one line of a head, with its line end) is not a valid field line.

    Catches what smuggles requests past other parsers: a bare CR or a NUL, whitespace between
    the name and the colon, a line folded onto the previous one (obs-fold), a line without a
    colon.
    """
    return _FIELD_LINE.fullmatch(line) is None


class ChunkedInput(io.RawIOBase):
    """The body of a ``Transfer-Encoding: chunked`` request, de-chunked (RFC 9112 §7.1).

    Chunk extensions are accepted and ignored; so are trailer fields. A size that is not 1 to
    16 hex digits, a chunk not followed by CRLF, a size line over 4 KiB or more than 100
    trailer lines raise :class:`BadFraming` (a 400); a client that leaves in the middle raises
    ``ClientDisconnected``. Both are noted on the connection's stream as the client's fault.

    Args:
        rfile: the connection's buffered reader, positioned at the first chunk-size line.
        stream: the connection's stream, which keeps the deadline and notes the client's faults.
    """

    def __init__(self, rfile: io.BufferedReader, stream: ConnectionStream) -> None:
        super().__init__()
        self._rfile = rfile
        self._stream = stream
        self._left = 0  # bytes of the current chunk still to read
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._done or not len(buffer):
            return 0
        if not self._left:
            self._left = self._chunk_size()
            if not self._left:
                self._skip_trailers()
                self._done = True
                return 0
        data = self._rfile.read(min(len(buffer), self._left))
        if not data:
            raise self._gone()
        count = len(data)
        buffer[:count] = data
        self._left -= count
        if not self._left and self._rfile.read(2) != b"\r\n":
            raise self._bad("a chunk's data is not followed by CRLF (its size is wrong)")
        return count

    def _line(self, what: str) -> bytes:
        line = self._rfile.readline(_CHUNK_LINE_LIMIT + 1)
        if not line.endswith(b"\n"):
            if len(line) > _CHUNK_LINE_LIMIT:
                raise self._bad(f"a {what} line is longer than {_CHUNK_LINE_LIMIT} bytes")
            raise self._gone()
        return line

    def _chunk_size(self) -> int:
        line = self._line("chunk-size")
        if not line.endswith(b"\r\n"):
            raise self._bad("a chunk-size line does not end with CRLF")
        size = _CHUNK_SIZE.match(line)
        if size is None or _CHUNK_EXTENSIONS.fullmatch(line, size.end(), len(line) - 2) is None:
            shown = line[:40].decode("latin-1").rstrip("\r\n")
            raise self._bad(f"bad chunk size {shown!r}: expected 1 to 16 hex digits")
        return int(size.group(), 16)

    def _skip_trailers(self) -> None:
        for _ in range(_TRAILER_LIMIT + 1):
            line = self._line("trailer")
            if line in (b"\r\n", b"\n"):
                return
            if bad_field_line(line):
                raise self._bad("a trailer line is not 'Name: value' (or holds a CR or NUL)")
        raise self._bad(f"more than {_TRAILER_LIMIT} trailer lines")

    def _bad(self, problem: str) -> BaseException:
        return self._stream.fail(
            BadFraming(
                f"{problem}; frame a chunked body as 'SIZE-IN-HEX CRLF data CRLF', ending "
                "with '0 CRLF CRLF'"
            )
        )

    def _gone(self) -> BaseException:
        return self._stream.fail(
            ClientDisconnected("the client closed the connection in the middle of a chunked body")
        )
