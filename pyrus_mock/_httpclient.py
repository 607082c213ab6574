"""The HTTP client the fake Pyrus uses to POST deliveries to bots.

Built on :mod:`http.client` and :mod:`ssl` directly, never on ``requests``/``urllib3``: so neither
``REQUESTS_CA_BUNDLE`` nor an active ``responses`` mock in the test can change what the fake sees.

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
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Literal, cast, get_args
from urllib.parse import quote, urlsplit

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

    Each ``post`` takes a connection out of the pool (or opens one), so concurrent posts never
    share a connection. A pooled connection that the bot closed meanwhile is replaced
    transparently, once.

    Args:
        max_idle_per_host: Idle connections kept per (host, port, TLS context).
    """

    def __init__(self, *, max_idle_per_host: int = _MAX_IDLE_PER_KEY) -> None:
        self._share_headers = functools.lru_cache(maxsize=256)(_same)
        self._max_idle = max_idle_per_host
        self._lock = threading.Lock()
        # Pooled connections hold a strong reference to their ssl_context, so while a key has
        # entries its id() cannot be reused by another context.
        self._idle: dict[_PoolKey, list[_Connection]] = {}

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
        started = time.perf_counter()
        deadline = started + timeout
        key: _PoolKey = ("https", target.host, target.port, id(ssl_context))
        exchange = _Exchange(
            target, body, dict(headers), timeout, max_reply_bytes, self._share_headers
        )
        conn = self._checkout(key)
        if conn is not None:
            try:
                return self._finish(key, conn, exchange.run(conn, deadline, reused=True))
            except _StaleConnection:
                conn.close()  # the bot closed it while it sat in the pool: open a fresh one
        conn = _Connection(target.host, target.port, ssl_context)
        return self._finish(key, conn, exchange.run(conn, deadline, reused=False))

    def close(self) -> None:
        """Close every idle connection. The client stays usable and opens new ones as needed."""
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for conn in connections:
                conn.close()

    def __enter__(self) -> BotHttpClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _checkout(self, key: _PoolKey) -> _Connection | None:
        while True:
            with self._lock:
                connections = self._idle.get(key)
                if not connections:
                    return None
                conn = connections.pop()  # the most recently used is the most likely alive
                if not connections:
                    del self._idle[key]  # keep the table to live keys
            if not _looks_dropped(conn.sock):
                return conn
            conn.close()

    def _finish(self, key: _PoolKey, conn: _Connection, outcome: _Outcome) -> HttpResult:
        result, keep = outcome
        closing = [conn]
        if keep:
            with self._lock:
                connections = self._idle.get(key)
                if connections is None:
                    # A bot not seen before: the moment to drop idle connections to bots that
                    # went away (their server closed them), so that a session that starts and
                    # stops a bot server per test does not keep a socket per test.
                    closing.extend(self._prune())
                    connections = self._idle[key] = []
                if len(connections) < self._max_idle:
                    connections.append(conn)
                    closing.remove(conn)
        for idle in closing:
            idle.close()
        return result

    def _prune(self) -> list[_Connection]:
        """Take the closed idle connections (and empty keys) out of the pool; caller locks."""
        closed: list[_Connection] = []
        for key, connections in list(self._idle.items()):
            alive = [conn for conn in connections if not _looks_dropped(conn.sock)]
            closed.extend(conn for conn in connections if conn not in alive)
            if alive:
                self._idle[key] = alive
            else:
                del self._idle[key]
        return closed


_Outcome = tuple[HttpResult, bool]  # the result, and whether the connection may be reused


class _StaleConnection(Exception):
    """A pooled connection turned out closed before any byte of the reply arrived."""


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


class _Exchange:
    """One request/reply over one connection, with failures classified."""

    def __init__(
        self,
        target: _Target,
        body: bytes,
        headers: dict[str, str],
        timeout: float,
        max_reply_bytes: int,
        share_headers: Callable[[tuple[tuple[str, str], ...]], tuple[tuple[str, str], ...]],
    ) -> None:
        self.share_headers = share_headers
        self.target = target
        self.body = body
        self.headers = headers
        self.timeout = timeout
        self.max_reply_bytes = max_reply_bytes

    def run(self, conn: _Connection, deadline: float, *, reused: bool) -> _Outcome:
        started = deadline - self.timeout
        conn.deadline = deadline
        phase = "connect"
        try:
            if conn.sock is None:
                conn.connect()
            phase = "send"
            conn.sock.settimeout(_remaining(deadline))
            conn.request("POST", self.target.path, body=self.body, headers=self.headers)
            phase = "reply"
            # The socket timeout at this moment is the budget of the whole reply: see _Reader.
            conn.sock.settimeout(_remaining(deadline))
            reply = conn.getresponse()
            phase = "body"
            return self._read_reply(conn, reply, started)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if isinstance(exc, ValueError) and phase == "send":
                conn.close()  # opened for nothing: never left to the garbage collector
                raise  # a bad header value from our caller, not a network problem
            if phase == "connect" and conn.phase == "handshake":
                phase = "handshake"
            if reused and _is_stale(phase, exc):
                raise _StaleConnection from exc
            kind, message = self._classify(phase, exc)
            tls_version, subject = conn.tls_info
            result = HttpResult(
                status=None,
                headers=(),
                body=b"",
                elapsed=time.perf_counter() - started,
                error_kind=kind,
                error=message,
                tls_version=tls_version,
                peer_cert_subject=subject,
            )
            return result, False

    def _read_reply(
        self, conn: _Connection, reply: http.client.HTTPResponse, started: float
    ) -> _Outcome:
        status = reply.status
        headers = self.share_headers(tuple(reply.getheaders()))
        tls_version, subject = conn.tls_info

        def result(
            body: bytes, kind: ErrorKind | None = None, error: str | None = None
        ) -> _Outcome:
            outcome = HttpResult(
                status=status,
                headers=headers,
                body=body,
                elapsed=time.perf_counter() - started,
                error_kind=kind,
                error=error,
                tls_version=tls_version,
                peer_cert_subject=subject,
            )
            reusable = kind in (None, "http_status", "redirect")
            return outcome, reusable and conn.sock is not None and reply.isclosed()

        limit = self.max_reply_bytes
        declared = reply.length  # None when chunked or delimited by the end of the connection
        if declared is not None and declared > limit:
            return result(b"", "reply_too_large", self._too_large(status, f"{declared} bytes"))
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = reply.read(min(_READ_SIZE, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                return result(
                    b"", "reply_too_large", self._too_large(status, f"more than {limit} bytes")
                )
        if declared is not None and size < declared:
            raise http.client.IncompleteRead(b"".join(chunks), declared - size)
        body = b"".join(chunks)
        if 200 <= status < 300:
            return result(body)
        if 300 <= status < 400:
            location = reply.getheader("Location") or "(no Location header)"
            return result(
                body,
                "redirect",
                f"the bot answered {status} {reply.reason} with Location: {location}. Pyrus does "
                "not follow redirects: give the fake the bot's final https:// URL.",
            )
        return result(
            body,
            "http_status",
            f"the bot answered {status} {reply.reason}: {_excerpt(body)}. Pyrus counts only a "
            "2xx as delivered; look at the bot's logs for why it failed.",
        )

    def _too_large(self, status: int, size: str) -> str:
        return (
            f"the bot's reply ({status}) has a body of {size}, over the fake's limit of "
            f"{self.max_reply_bytes} bytes. Reply with a small JSON comment, or raise "
            "max_reply_bytes."
        )

    def _classify(self, phase: str, exc: BaseException) -> tuple[ErrorKind, str]:
        where = self.target.address
        if isinstance(exc, TimeoutError):
            doing = {
                "connect": f"connecting to {where}",
                "handshake": "in the TLS handshake",
                "send": "sending the request",
                "reply": "waiting for the reply",
                "body": "reading the reply body",
            }[phase]
            return "timeout", (
                f"the bot at {where} sent no complete reply within {self.timeout:g} s "
                f"(timed out {doing}). Make the bot answer sooner, or raise the fake's timeout."
            )
        if isinstance(exc, ssl.SSLCertVerificationError):
            return _classify_certificate(exc, where)
        if phase == "connect":
            if isinstance(exc, socket.gaierror):
                return "connection_refused", (
                    f"cannot resolve the bot's host {self.target.host!r} ({exc.strerror}). "
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
        return "protocol_error", self._protocol_message(phase, exc)

    def _protocol_message(self, phase: str, exc: BaseException) -> str:
        where = self.target.address
        if phase == "send":
            detail = f"the bot at {where} closed the connection while the request was being sent"
        elif isinstance(exc, http.client.RemoteDisconnected):
            detail = f"the bot at {where} closed the connection without sending a reply"
        elif isinstance(exc, http.client.BadStatusLine):
            line = str(exc.args[0]) if exc.args else ""
            detail = f"the bot at {where} answered something that is not HTTP: {line[:80]!r}"
        elif isinstance(exc, http.client.IncompleteRead):
            detail = (
                f"the bot at {where} closed the connection in the middle of the reply "
                f"({len(exc.partial)} bytes of body read, more expected)"
            )
        elif isinstance(exc, http.client.LineTooLong | http.client.HTTPException | ValueError):
            detail = f"the bot at {where} sent an invalid HTTP reply ({_describe(exc)})"
        else:
            detail = (
                f"the connection to the bot at {where} broke during the reply ({_describe(exc)})"
            )
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


class _Connection(http.client.HTTPSConnection):
    """An HTTPS connection that connects and reads within one deadline."""

    response_class = _Response

    def __init__(self, host: str, port: int, context: ssl.SSLContext) -> None:
        super().__init__(host, port, context=context)
        self.tls_context = context
        self.deadline = 0.0
        self.phase = "connect"
        self.auto_open = 0  # never reconnect behind our back: a new connection is a new attempt
        self.tls_info: tuple[str | None, str | None] = (None, None)
        """TLS version and peer certificate subject, known once connected."""

    def connect(self) -> None:
        """Open TCP, then TLS, each step bounded by what is left of the deadline."""
        self.phase = "connect"
        self.timeout = _remaining(self.deadline)
        http.client.HTTPConnection.connect(self)  # TCP only; sets TCP_NODELAY
        self.phase = "handshake"
        raw = self.sock
        raw.settimeout(_remaining(self.deadline))
        try:
            self.sock = self.tls_context.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            self.sock = None
            raw.close()
            raise
        cert = self.sock.getpeercert() or {}
        rdns = cast("tuple[tuple[tuple[str, str], ...], ...]", cert.get("subject", ()))
        subject = ", ".join(
            f"{_RDN_NAMES.get(name, name)}={value}" for rdn in rdns for name, value in rdn
        )
        self.tls_info = (self.sock.version(), subject or None)


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


def _is_stale(phase: str, exc: BaseException) -> bool:
    """A reused connection failed before the bot could have seen the whole request.

    Only a failure while *sending* qualifies: once the request is written, the bot may have
    acted on it, so a connection dropped without a reply is a failed attempt (recorded, retried
    on Pyrus's schedule with ``X-Pyrus-Retry``), never a silent second POST of the same body.
    """
    return phase == "send" and isinstance(
        exc, BrokenPipeError | ConnectionResetError | ssl.SSLEOFError
    )


def _looks_dropped(sock: socket.socket | None) -> bool:
    """True when an idle connection is closed or has unexpected data waiting (so is unusable)."""
    if sock is None:
        return True
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    try:
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable)
    except (OSError, ValueError):
        return True


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
