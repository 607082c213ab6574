"""The HTTP client the fake Pyrus uses to POST deliveries to bots.

Built on urllib3's :class:`~urllib3.HTTPSConnectionPool` (connection pooling, keep-alive and
HTTP/1.1 framing), never on ``requests``: so neither ``REQUESTS_CA_BUNDLE`` nor an active
``responses`` mock in the test can change what the fake sees. This module adds what urllib3 does
not do the way Pyrus does:

* one deadline for the whole exchange (connecting, the TLS handshake, sending, the reply head and
  every read of its body), where urllib3 times each socket operation on its own;
* interim 1xx replies skipped (urllib3, like :mod:`http.client`, skips ``100 Continue`` only);
* the reply body limit enforced while reading;
* failures classified (:data:`ERROR_KINDS`) from the phase the exchange was in and the root
  cause, which urllib3 wraps (``ProtocolError``, ``SSLError``, ``NewConnectionError``);
* a request on a reused connection that the bot had closed retried once, and only when the
  request cannot have reached the bot's app (see :meth:`_Connection.request`);
* :meth:`BotHttpClient.close` aborting the posts in flight.

It behaves like Pyrus (contract decisions D4 and D5): HTTPS only, the bot's certificate verified
against the trust the fake is given, no redirects followed, a 2xx within the timeout is the only
success. Every outcome is an :class:`HttpResult`; failures carry an ``error_kind`` from
:data:`ERROR_KINDS` and a one-line ``error`` that says what happened and what to do.

Connections are kept alive and pooled per (host, port, TLS context), so a test that delivers
hundreds of events pays for one TLS handshake.
"""

from __future__ import annotations

import functools
import http.client
import io
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, cast, get_args
from urllib.parse import quote, urlsplit

import urllib3
from urllib3.connection import HTTPSConnection
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = ["ERROR_KINDS", "BotHttpClient", "ErrorKind", "HttpResult"]

ErrorKind = Literal[
    "connection_refused",
    "tls_untrusted",
    "tls_hostname",
    "tls_expired",
    "tls_handshake",
    "timeout",
    "http_status",
    "redirect",
    "reply_too_large",
    "protocol_error",
]

ERROR_KINDS: tuple[ErrorKind, ...] = get_args(ErrorKind)
"""Every ``HttpResult.error_kind`` other than None:

* ``connection_refused``: nothing listens at the bot's address (or the name does not resolve);
* ``tls_untrusted``: the certificate chain does not reach a CA the fake trusts (or is self-signed);
* ``tls_hostname``: the certificate is not for the host in the bot URL;
* ``tls_expired``: the certificate has expired or is not valid yet;
* ``tls_handshake``: any other TLS failure, e.g. the bot speaks plain HTTP;
* ``timeout``: no complete reply within the timeout (connecting included);
* ``http_status``: a status other than 2xx or 3xx;
* ``redirect``: a 3xx (Pyrus does not follow redirects);
* ``reply_too_large``: the reply body is over the size limit;
* ``protocol_error``: the reply is not valid HTTP or the connection broke in the middle of it.
"""

_UNTRUSTED_CODES = frozenset({2, 18, 19, 20, 21})
_EXPIRED_CODES = frozenset({9, 10})  # not yet valid, expired
_HOSTNAME_CODES = frozenset({62, 63, 64})  # host name, e-mail, IP address mismatch

_MAX_IDLE_PER_KEY = 16
_READ_SIZE = 65536
_EXCERPT = 200

_PoolKey = tuple[str, str, int, int]


@dataclass(frozen=True)
class HttpResult:
    """What happened when the fake POSTed to a bot.

    Attributes:
        status: The HTTP status, or None when no reply arrived.
        headers: Reply headers in the order received.
        body: The reply body (empty when not read, e.g. it was too large).
        elapsed: Wall-clock seconds from the start of ``post`` to the end of the reply.
        error_kind: None on a 2xx; otherwise one of :data:`ERROR_KINDS`.
        error: None on a 2xx; otherwise a one-line explanation with what to do next.
        tls_version: Negotiated TLS version, e.g. ``"TLSv1.3"``, when the handshake succeeded.
        peer_cert_subject: The bot certificate's subject, e.g. ``"O=trustme, OU=Testing"``.
    """

    status: int | None
    headers: tuple[tuple[str, str], ...]
    body: bytes
    elapsed: float
    error_kind: ErrorKind | None = None
    error: str | None = None
    tls_version: str | None = None
    peer_cert_subject: str | None = None

    @property
    def ok(self) -> bool:
        """True when the bot answered 2xx in time."""
        return self.error_kind is None

    def header(self, name: str) -> str | None:
        """Return the first reply header called ``name`` (any case), or None.

        Args:
            name: Header name.

        Returns:
            Its value, or None when the reply has no such header.
        """
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


class BotHttpClient:
    """POST to bots over HTTPS with pooled keep-alive connections. Thread-safe.

    Each ``post`` takes a connection out of its bot's pool (or opens one), so concurrent posts
    never share a connection. A pooled connection that the bot closed meanwhile is replaced
    transparently, and the request is sent once.

    Args:
        max_idle_per_host: Idle connections kept per (host, port, TLS context).
    """

    def __init__(self, *, max_idle_per_host: int = _MAX_IDLE_PER_KEY) -> None:
        self._share_headers = functools.lru_cache(maxsize=256)(_same)
        self._max_idle = max_idle_per_host
        self._lock = threading.Lock()
        # A pool holds a strong reference to its ssl_context, so while a key has a pool its
        # id() cannot be reused by another context.
        self._pools: dict[_PoolKey, _PoolEntry] = {}
        self._in_flight: set[_Exchange] = set()

    def post(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        ssl_context: ssl.SSLContext,
        timeout: float,
        max_reply_bytes: int = 10 * 1024 * 1024,
    ) -> HttpResult:
        """POST ``body`` to ``url`` and report what happened.

        Never raises for network or bot problems: those become ``error_kind``/``error``.

        Args:
            url: The bot URL; must be ``https://``.
            body: The exact bytes to send.
            headers: Request headers; ``Host`` and ``Content-Length`` are added unless given.
            ssl_context: Client TLS context the bot's certificate is verified with (chain and
                host name).
            timeout: Wall seconds for the whole exchange, connecting included.
            max_reply_bytes: Largest reply body accepted; a larger one is ``reply_too_large``.

        Returns:
            The outcome.

        Raises:
            ValueError: ``url`` is not an https:// URL, or ``timeout`` is not positive.
        """
        target = _Target.parse(url)
        if not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        deadline = time.perf_counter() + timeout
        request = _Request(target, body, dict(headers), timeout, max_reply_bytes, deadline)
        entry = self._checkout(("https", target.host, target.port, id(ssl_context)), ssl_context)
        try:
            # A stale connection costs no request (see _Connection.request), so trying the next
            # idle one is safe; the pool's own liveness check makes a second stale one rare, and
            # the last try may not be retried.
            for tries_left in range(self._max_idle, -1, -1):
                exchange = _Exchange(deadline, may_retry=tries_left > 0)
                with self._lock:
                    self._in_flight.add(exchange)
                try:
                    return self._exchange(entry.pool, request, exchange)
                except _StaleConnection:
                    continue
                finally:
                    with self._lock:
                        self._in_flight.discard(exchange)
            raise AssertionError("unreachable: the last try is never retried")  # pragma: no cover
        finally:
            with self._lock:
                entry.busy -= 1

    def close(self) -> None:
        """Close every connection, aborting the posts in flight (they fail as ``protocol_error``
        and say the fake was closed). The client stays usable and opens new ones as needed."""
        with self._lock:
            pools, self._pools = self._pools, {}
            in_flight = list(self._in_flight)
        for exchange in in_flight:
            exchange.abort()
        for entry in pools.values():
            entry.pool.close()  # idle connections now; busy ones when their post releases them

    def __enter__(self) -> BotHttpClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _checkout(self, key: _PoolKey, ssl_context: ssl.SSLContext) -> _PoolEntry:
        closing: list[_PoolEntry] = []
        with self._lock:
            entry = self._pools.get(key)
            if entry is None:
                # A bot not seen before: the moment to drop pools whose connections all went
                # away (their server closed them), so that a session that starts and stops a bot
                # server per test does not keep a socket per test.
                closing = self._prune()
                pool = _Pool(
                    key[1], key[2], maxsize=self._max_idle, block=False, ssl_context=ssl_context
                )
                entry = self._pools[key] = _PoolEntry(pool)
            entry.busy += 1
        for old in closing:
            old.pool.close()
        return entry

    def _prune(self) -> list[_PoolEntry]:
        """Take the idle pools without a live connection out of the table; caller locks."""
        dead: list[_PoolEntry] = []
        for key, entry in list(self._pools.items()):
            idle = list(entry.pool.pool.queue) if entry.pool.pool is not None else []
            if not entry.busy and not any(conn and conn.is_connected for conn in idle):
                dead.append(self._pools.pop(key))
        return dead

    def _exchange(self, pool: _Pool, request: _Request, exchange: _Exchange) -> HttpResult:
        budget = _remaining(request.deadline)
        _local.exchange = exchange
        try:
            reply = pool.urlopen(
                "POST",
                request.target.path,
                body=request.body,
                headers=request.headers,
                retries=False,
                redirect=False,
                assert_same_host=False,
                timeout=urllib3.Timeout(connect=budget, read=budget),
                preload_content=False,
                decode_content=False,
                release_conn=False,
            )
            exchange.phase = "body"
            return self._read_reply(reply, request, exchange)
        except _StaleConnection:
            raise
        except (Urllib3Error, OSError, http.client.HTTPException, ValueError) as exc:
            if exchange.phase == "send" and _root(exc) is exc and type(exc) is ValueError:
                raise  # a bad header value from our caller, not a network problem
            kind, message = _classify(request, exchange, exc)
            return request.result(exchange, None, (), b"", kind, message)
        finally:
            _local.exchange = None

    def _read_reply(
        self, reply: urllib3.BaseHTTPResponse, request: _Request, exchange: _Exchange
    ) -> HttpResult:
        status = reply.status
        raw = exchange.reply
        items = raw.getheaders() if raw is not None else list(reply.headers.items())
        headers = self._share_headers(tuple(items))

        def failed(kind: ErrorKind, error: str, body: bytes = b"") -> HttpResult:
            if kind == "reply_too_large":
                reply.close()  # the rest of the body is unread: the connection is not reusable
            reply.release_conn()
            return request.result(exchange, status, headers, body, kind, error)

        limit = request.max_reply_bytes
        declared = reply.length_remaining  # None when chunked or delimited by the end
        if declared is not None and declared > limit:
            return failed("reply_too_large", request.too_large(status, f"{declared} bytes"))
        chunks: list[bytes] = []
        size = 0
        while chunk := reply.read(min(_READ_SIZE, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                return failed(
                    "reply_too_large", request.too_large(status, f"more than {limit} bytes")
                )
        body = b"".join(chunks)
        if 200 <= status < 300:
            reply.release_conn()
            return request.result(exchange, status, headers, body)
        if 300 <= status < 400:
            location = reply.headers.get("Location") or "(no Location header)"
            return failed(
                "redirect",
                f"the bot answered {status} {reply.reason} with Location: {location}. Pyrus does "
                "not follow redirects: give the fake the bot's final https:// URL.",
                body,
            )
        return failed(
            "http_status",
            f"the bot answered {status} {reply.reason}: {_excerpt(body)}. Pyrus counts only a "
            "2xx as delivered; look at the bot's logs for why it failed.",
            body,
        )


class _PoolEntry:
    """A bot's pool and how many posts are using it (a busy pool is never pruned)."""

    __slots__ = ("busy", "pool")

    def __init__(self, pool: _Pool) -> None:
        self.pool = pool
        self.busy = 0


class _StaleConnection(Exception):
    """Sending on a reused connection failed: the bot had closed it while it sat in the pool."""


_local = threading.local()
"""``exchange``: the :class:`_Exchange` of this thread's ``urlopen`` call, for the connection
and response classes that urllib3 creates and calls (they take no extra arguments)."""


class _Exchange:
    """One try of a post: its deadline, the phase it reached, and how to abort it."""

    __slots__ = ("aborted", "conn", "deadline", "may_retry", "phase", "reply")

    def __init__(self, deadline: float, *, may_retry: bool) -> None:
        self.deadline = deadline
        self.may_retry = may_retry
        self.phase = "connect"
        self.conn: _Connection | None = None
        self.reply: _Response | None = None
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
            try:
                # The plain socket's shutdown: ssl.SSLSocket.shutdown would drop its TLS state
                # under the reading thread's feet.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass  # already closed


def _exchange() -> _Exchange:
    exchange: _Exchange | None = getattr(_local, "exchange", None)
    if exchange is None:  # pragma: no cover - only BotHttpClient drives these classes
        raise RuntimeError("a bot connection was used outside BotHttpClient.post")
    return exchange


@dataclass(frozen=True)
class _Request:
    target: _Target
    body: bytes
    headers: dict[str, str]
    timeout: float
    max_reply_bytes: int
    deadline: float

    def result(
        self,
        exchange: _Exchange,
        status: int | None,
        headers: tuple[tuple[str, str], ...],
        body: bytes,
        kind: ErrorKind | None = None,
        error: str | None = None,
    ) -> HttpResult:
        tls_version, subject = exchange.conn.tls_info if exchange.conn else (None, None)
        return HttpResult(
            status=status,
            headers=headers,
            body=body,
            elapsed=time.perf_counter() - (self.deadline - self.timeout),
            error_kind=kind,
            error=error,
            tls_version=tls_version,
            peer_cert_subject=subject,
        )

    def too_large(self, status: int, size: str) -> str:
        return (
            f"the bot's reply ({status}) has a body of {size}, over the fake's limit of "
            f"{self.max_reply_bytes} bytes. Reply with a small JSON comment, or raise "
            "max_reply_bytes."
        )


@dataclass(frozen=True)
class _Target:
    host: str
    port: int
    path: str

    @classmethod
    def parse(cls, url: str) -> _Target:
        parts = urlsplit(url)
        if parts.scheme.lower() != "https":
            raise ValueError(
                f"bot URL {url!r} is not https://: Pyrus calls bots over HTTPS only. Serve the "
                "bot with TLS (a certificate from pyrus_mock.issue_cert(), for example)."
            )
        if not parts.hostname:
            raise ValueError(f"bot URL {url!r} has no host name")
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        # The request line is ASCII: other characters go as UTF-8 percent-escapes, as browsers
        # and requests send them; existing escapes and reserved characters stay as they are.
        path = quote(path, safe="!#$%&'()*+,/:;=?@[]~")
        return cls(parts.hostname, parts.port or 443, path)

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def _root(exc: BaseException) -> BaseException:
    """The exception urllib3 wrapped (``ProtocolError("Connection aborted.", e)``,
    ``SSLError(e)``, ``... from e``), down to the socket, TLS or http.client error."""
    for _ in range(8):
        if not isinstance(exc, Urllib3Error) or isinstance(exc, http.client.IncompleteRead):
            break
        inner = exc.__cause__ or next((a for a in exc.args if isinstance(a, BaseException)), None)
        if inner is None:
            break
        exc = inner
    return exc


def _classify(
    request: _Request, exchange: _Exchange, error: BaseException
) -> tuple[ErrorKind, str]:
    where = request.target.address
    phase = exchange.phase
    exc = _root(error)
    if exchange.aborted:
        doing = "connecting to" if phase in ("connect", "handshake") else "waiting for"
        return "protocol_error", (
            f"the fake was closed while {doing} the bot at {where}, so the attempt was "
            "abandoned. Let deliveries finish (or the bot answer) before closing the fake."
        )
    # urllib3's NewConnectionError is a ConnectTimeoutError: a refused connection is not a timeout
    if isinstance(exc, TimeoutError) or (
        isinstance(error, Urllib3Timeout) and not isinstance(error, NewConnectionError)
    ):
        doing = {
            "connect": f"connecting to {where}",
            "handshake": "in the TLS handshake",
            "send": "sending the request",
            "reply": "waiting for the reply",
            "body": "reading the reply body",
        }[phase]
        return "timeout", (
            f"the bot at {where} sent no complete reply within {request.timeout:g} s "
            f"(timed out {doing}). Make the bot answer sooner, or raise the fake's timeout."
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _classify_certificate(exc, where)
    if phase == "connect":
        if isinstance(exc, socket.gaierror):
            return "connection_refused", (
                f"cannot resolve the bot's host {request.target.host!r} ({exc.strerror}). "
                "Check the host name in the bot URL."
            )
        if isinstance(exc, ConnectionRefusedError):
            return "connection_refused", (
                f"nothing is listening at {where} (connection refused). Start the bot "
                "before the delivery, or fix the port in the bot URL."
            )
        return "connection_refused", (
            f"cannot connect to the bot at {where} ({_describe(exc)}). Check that the bot "
            "runs and that the bot URL is right."
        )
    if phase == "handshake":
        return "tls_handshake", _handshake_message(exc, where)
    return "protocol_error", _protocol_message(where, phase, exc)


def _protocol_message(where: str, phase: str, exc: BaseException) -> str:
    if phase == "send":
        detail = f"the bot at {where} closed the connection while the request was being sent"
    elif isinstance(exc, http.client.RemoteDisconnected):
        detail = f"the bot at {where} closed the connection without sending a reply"
    elif isinstance(exc, http.client.BadStatusLine):
        line = str(exc.args[0]) if exc.args else ""
        detail = f"the bot at {where} answered something that is not HTTP: {line[:80]!r}"
    elif isinstance(exc, http.client.IncompleteRead):
        got = exc.partial if isinstance(exc.partial, int) else len(exc.partial)
        detail = (
            f"the bot at {where} closed the connection in the middle of the reply "
            f"({got} bytes of body read, more expected)"
        )
    elif isinstance(exc, http.client.HTTPException | ValueError):
        detail = f"the bot at {where} sent an invalid HTTP reply ({_describe(exc)})"
    else:
        detail = f"the connection to the bot at {where} broke during the reply ({_describe(exc)})"
    return f"{detail}. Check that the bot answers one well-formed HTTP/1.1 response."


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
        exchange: _Exchange | None = getattr(_local, "exchange", None)
        if exchange is not None:
            exchange.reply = self  # for the headers in the order received

    def _read_status(self) -> tuple[str, int, str]:
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
            self._sock.settimeout(_remaining(self._deadline))
        return self._raw.readinto(buffer)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _Connection(HTTPSConnection):
    """urllib3's HTTPS connection, bounded by the exchange's deadline and telling its phases.

    urllib3 creates and calls it; the exchange it works for is in :data:`_local`.
    """

    response_class = _Response

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.requests_sent = 0  # on the current socket
        self.tls_info: tuple[str | None, str | None] = (None, None)
        """TLS version and peer certificate subject, known once connected."""

    def _new_conn(self) -> socket.socket:
        exchange = _exchange()
        exchange.conn = self
        exchange.phase = "connect"
        self.timeout = _remaining(exchange.deadline)
        sock = super()._new_conn()  # TCP only (TCP_NODELAY set); the handshake follows
        exchange.phase = "handshake"
        try:
            exchange.check()
            sock.settimeout(_remaining(exchange.deadline))
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
        """Send the request; on a reused connection the bot closed, raise _StaleConnection.

        How a retry is known to be safe: the bot's app acts on a request only once it has read
        all of it, and here sending it failed (the socket refused the bytes: EPIPE, ECONNRESET
        or a TLS EOF), so the bot had closed the connection before the request was complete.
        urllib3 itself swallows such a send error and goes on to read a reply, which makes it
        look like a connection dropped after the request arrived (never retried: the bot may
        have acted on it); hence the check here, where the send happens.
        """
        exchange = _exchange()
        exchange.conn = self
        exchange.phase = "send"
        exchange.check()
        reused = self.requests_sent > 0
        self.requests_sent += 1
        self.timeout = _remaining(exchange.deadline)  # urllib3 applies it to a reused socket
        try:
            super().request(method, url, body=body, headers=headers, **kwargs)
        except OSError as exc:
            if reused and exchange.may_retry and not exchange.aborted:
                raise _StaleConnection from exc
            raise
        exchange.phase = "reply"

    def getresponse(self) -> urllib3.HTTPResponse:  # type: ignore[override]
        """Read the reply head; the time left until the deadline covers it and the body."""
        exchange = _exchange()
        exchange.phase = "reply"
        exchange.check()
        self.timeout = _remaining(exchange.deadline)  # the budget _Response reads within
        return super().getresponse()


class _Pool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _Connection


_RDN_NAMES = {
    "commonName": "CN",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "countryName": "C",
    "localityName": "L",
    "stateOrProvinceName": "ST",
}


def _same(headers: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """One tuple per distinct set of reply headers, shared by every reply that carries it
    (wrapped in a per-client LRU cache, see ``BotHttpClient.__init__``).

    The fake keeps every reply's headers; with thousands of deliveries recorded, keeping a bot's
    usual headers (``Server``, ``Content-Type``, this second's ``Date``) once instead of per
    reply saves about half a kilobyte per delivery.
    """
    return headers


def _remaining(deadline: float) -> float:
    left = deadline - time.perf_counter()
    if left <= 0:
        raise TimeoutError("the deadline has passed")
    return left


def _classify_certificate(exc: ssl.SSLCertVerificationError, where: str) -> tuple[ErrorKind, str]:
    reason = exc.verify_message or exc.reason or str(exc)
    code = exc.verify_code
    if code in _EXPIRED_CODES:
        return "tls_expired", (
            f"the certificate of the bot at {where} is outside its validity period "
            f"(certificate verify failed: {reason}). Issue the bot a current certificate, e.g. "
            "with pyrus_mock.issue_cert()."
        )
    if code in _HOSTNAME_CODES:
        return "tls_hostname", (
            f"the certificate of the bot at {where} is not valid for that host "
            f"(certificate verify failed: {reason}). Use the host name the certificate was "
            "issued for in the bot URL, or issue one that includes it."
        )
    if code in _UNTRUSTED_CODES:
        return "tls_untrusted", (
            f"the certificate of the bot at {where} is not signed by a CA the fake trusts "
            f"(certificate verify failed: {reason}). Serve the bot with a certificate from "
            "the fake's CA (pyrus_mock.issue_cert(), or POST /_mock/certs under pyrus-mock "
            "serve), or make the fake trust the bot's CA (PyrusMock(trust=...), "
            "@pytest.mark.pyrus_mock(trust=...), pyrus-mock serve --trust, pyrus-mock check "
            "--ca-file)."
        )
    return "tls_handshake", (
        f"the certificate of the bot at {where} was rejected (certificate verify failed: "
        f"{reason}). Serve the bot with a certificate from pyrus_mock.issue_cert()."
    )


def _handshake_message(exc: BaseException, where: str) -> str:
    reason = _describe(exc)
    if isinstance(exc, ssl.SSLError) and exc.reason in (
        "WRONG_VERSION_NUMBER",
        "RECORD_LAYER_FAILURE",
    ):
        return (
            f"the TLS handshake with the bot at {where} failed ({reason}): the bot seems to speak "
            "plain HTTP. Pyrus calls bots over HTTPS only: serve the bot with TLS, e.g. a "
            "certificate from pyrus_mock.issue_cert()."
        )
    if isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError | ConnectionError):
        return (
            f"the bot at {where} closed the connection during the TLS handshake ({reason}). "
            "Check that the bot serves HTTPS on that port and accepts TLS 1.2 or newer."
        )
    return (
        f"the TLS handshake with the bot at {where} failed ({reason}). Check that the bot serves "
        "HTTPS on that port with a certificate from pyrus_mock.issue_cert()."
    )


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _excerpt(body: bytes) -> str:
    if not body:
        return "(empty body)"
    text = " ".join(body[: _EXCERPT * 2].decode("utf-8", "replace").split())
    if len(text) > _EXCERPT or len(body) > _EXCERPT * 2:
        text = text[:_EXCERPT] + "..."
    return repr(text)
