"""The urllib3 connection a bot delivery goes over: one deadline, phases told, 1xx skipped.

:class:`BotPool` is urllib3's ``HTTPSConnectionPool`` with :class:`BotConnection` connections.
urllib3 creates and calls them without extra arguments, so the try of a post they work for (an
:class:`Exchange`: its deadline, the phase reached, whether it was aborted) is bound to the
calling thread with :func:`bound` around ``urlopen``.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import socket
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, cast

import urllib3
from urllib3.connection import HTTPSConnection

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = [
    "NO_RETRIES",
    "BotConnection",
    "BotPool",
    "Exchange",
    "StaleConnection",
    "bound",
    "remaining",
]

NO_RETRIES = urllib3.Retry(False, redirect=False)
"""``retries=False``, made once: an error is raised as is, a 3xx is returned, not followed."""


class StaleConnection(Exception):
    """Sending on a reused connection failed: the bot had closed it while it sat in the pool."""


_local = threading.local()
"""``exchange``: the :class:`Exchange` of this thread's ``urlopen`` call, for the connection
and response classes that urllib3 creates and calls (they take no extra arguments)."""


class Exchange:
    """One try of a post: its deadline, the phase it reached, and how to abort it."""

    __slots__ = ("aborted", "conn", "deadline", "may_retry", "phase")

    def __init__(self, deadline: float, *, may_retry: bool) -> None:
        self.deadline = deadline
        self.may_retry = may_retry
        self.phase = "connect"
        self.conn: BotConnection | None = None
        self.aborted = False

    def check(self) -> None:
        """Raise when the client was closed: no new step starts after that."""
        if self.aborted:
            raise ConnectionAbortedError("the fake was closed")

    def abort(self) -> None:
        """Wake the thread blocked on this exchange's socket: its next read sees the end."""
        self.aborted = True
        sock = self.conn.sock if self.conn is not None else None
        if sock is not None:
            # The plain socket's shutdown: ssl.SSLSocket.shutdown would drop its TLS state under
            # the reading thread's feet. OSError: already closed.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _current() -> Exchange:
    exchange: Exchange | None = getattr(_local, "exchange", None)
    if exchange is None:  # pragma: no cover - only BotHttpClient drives these classes
        raise RuntimeError("a bot connection was used outside BotHttpClient.post")
    return exchange


# http.client's limits for a header line and a header count (its _MAXLINE and _MAXHEADERS).
_MAX_LINE = 65536
_MAX_HEADERS = 100


class _Response(http.client.HTTPResponse):
    """A response that reads from the socket within the deadline of the whole reply.

    The connection sets the socket's timeout to what is left of the deadline just before
    ``getresponse()`` creates this object; that budget then covers every later read, so a bot that
    trickles its reply cannot stretch the exchange past the deadline.
    """

    def __init__(
        self,
        sock: socket.socket,
        debuglevel: int = 0,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(sock, debuglevel, method, url)
        self.fp.close()  # the plain makefile() of the base class; only drops its reference
        self.fp = io.BufferedReader(_Reader(sock))

    def _read_status(self) -> tuple[str, int, str]:
        # Overrides a private hook of http.client (stable since Python 3.5; checked on 3.10 to
        # 3.13, and by tests/test_httpclient.py's 1xx cases, which fail if it stops being called).
        # http.client skips ``100 Continue`` only; RFC 9110 §15.2 has a client skip every
        # interim 1xx reply (``103 Early Hints`` ...) before the final one. 101 ends HTTP: kept.
        while True:
            version, status, reason = super()._read_status()  # type: ignore[misc]  # untyped
            if not (100 < status < 200) or status == 101:
                return version, status, reason
            for _ in range(_MAX_HEADERS + 1):  # its headers, up to the empty line
                line = self.fp.readline(_MAX_LINE + 1)
                if len(line) > _MAX_LINE:
                    raise http.client.LineTooLong("header line")
                if line in (b"\r\n", b"\n", b""):
                    break
            else:
                raise http.client.HTTPException(f"more than {_MAX_HEADERS} headers")


class _Reader(io.RawIOBase):
    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        # A SocketIO keeps the socket open (makefile reference) until this reader is closed,
        # as http.client expects when the connection closes before the body is read.
        self._raw = sock.makefile("rb", buffering=0)
        budget = sock.gettimeout()
        self._deadline = None if budget is None else time.perf_counter() + budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int | None:
        if self._deadline is not None:
            self._sock.settimeout(remaining(self._deadline))
        return self._raw.readinto(buffer)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class BotConnection(HTTPSConnection):
    """urllib3's HTTPS connection, bounded by the exchange's deadline and telling its phases.

    urllib3 creates and calls it; the exchange it works for is in :data:`_local`.
    """

    response_class = _Response

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.auto_open = 0  # never reconnect behind urllib3's back: a new connection is a new try
        self.requests_sent = 0  # on the current socket
        self.tls_info: tuple[str | None, str | None] = (None, None)
        """TLS version and peer certificate subject, known once connected."""

    def _new_conn(self) -> socket.socket:
        # urllib3's connection hook (``HTTPConnection._new_conn``, the same in urllib3 2.0 to
        # 2.8; pyproject pins urllib3 < 3): where the TCP connect happens, so the deadline and
        # the phase are set around it. The delivery tests fail if it stops being called.
        exchange = _current()
        exchange.conn = self
        exchange.phase = "connect"
        self.timeout = remaining(exchange.deadline)
        sock = super()._new_conn()  # TCP only (TCP_NODELAY set); the handshake follows
        exchange.phase = "handshake"
        try:
            exchange.check()
            sock.settimeout(remaining(exchange.deadline))
        except BaseException:
            sock.close()
            raise
        return sock

    def connect(self) -> None:
        """Open TCP, then TLS, each step bounded by what is left of the deadline."""
        self.requests_sent = 0
        self.tls_info = (None, None)
        super().connect()
        sock = cast("ssl.SSLSocket", self.sock)
        cert = sock.getpeercert() or {}
        rdns = cast("tuple[tuple[tuple[str, str], ...], ...]", cert.get("subject", ()))
        subject = ", ".join(
            f"{_RDN_NAMES.get(name, name)}={value}" for rdn in rdns for name, value in rdn
        )
        self.tls_info = (sock.version(), subject or None)

    def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        """Send the request; on a reused connection the bot closed, raise StaleConnection.

        How a retry is known to be safe: the bot's app acts on a request only once it has read
        all of it, and here sending it failed (the socket refused the bytes: EPIPE, ECONNRESET
        or a TLS EOF), so the bot had closed the connection before the request was complete.
        urllib3 itself swallows such a send error and goes on to read a reply, which makes it
        look like a connection dropped after the request arrived (never retried: the bot may
        have acted on it); hence the check here, where the send happens.
        """
        exchange = _current()
        exchange.conn = self
        exchange.phase = "send"
        exchange.check()
        reused = self.requests_sent > 0
        self.requests_sent += 1
        self.timeout = remaining(exchange.deadline)  # urllib3 applies it to a reused socket
        try:
            super().request(method, url, body=body, headers=headers, **kwargs)
        except OSError as exc:
            if reused and exchange.may_retry and not exchange.aborted:
                raise StaleConnection from exc
            raise
        exchange.phase = "reply"

    def getresponse(self) -> urllib3.HTTPResponse:  # type: ignore[override]
        """Read the reply head; the time left until the deadline covers it and the body."""
        exchange = _current()  # its phase stays "send" when urllib3 swallowed a failed send
        exchange.check()
        self.timeout = remaining(exchange.deadline)  # the budget _Response reads within
        return super().getresponse()


class BotPool(urllib3.HTTPSConnectionPool):
    """urllib3's HTTPS pool, with :class:`BotConnection` connections."""

    ConnectionCls = BotConnection  # type: ignore[assignment]  # typed as urllib3's Protocol


_RDN_NAMES = {
    "commonName": "CN",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "countryName": "C",
    "localityName": "L",
    "stateOrProvinceName": "ST",
}


def remaining(deadline: float) -> float:
    left = deadline - time.perf_counter()
    if left <= 0:
        raise TimeoutError("the deadline has passed")
    return left


@contextlib.contextmanager
def bound(exchange: Exchange) -> Iterator[Exchange]:
    """Bind ``exchange`` to this thread for the connections urllib3 uses inside the block."""
    _local.exchange = exchange
    try:
        yield exchange
    finally:
        _local.exchange = None
