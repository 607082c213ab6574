"""Socket I/O for :mod:`pyrus_mock._wsgi_handler`: a request deadline, and what went wrong.

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
import ssl
import time

from werkzeug.exceptions import BadRequest, ClientDisconnected, RequestTimeout

__all__ = ["BadFraming", "ClientTimedOut", "ConnectionStream"]


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
