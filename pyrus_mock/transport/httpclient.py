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
  request cannot have reached the bot's app (see :meth:`BotConnection.request`);
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
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from .http_failures import ERROR_KINDS, ErrorKind, classify, excerpt, root

if TYPE_CHECKING:
    import urllib3

    from .bot_connection import BotPool, Exchange

__all__ = ["ERROR_KINDS", "BotHttpClient", "ErrorKind", "HttpResult"]

_MAX_IDLE_PER_KEY = 16
_READ_SIZE = 65536

_PoolKey = tuple[str, str, int, int]


@dataclass(frozen=True)
class HttpResult:
    """What happened when the fake POSTed to a bot.

    Attributes:
        status: The HTTP status, or None when no reply arrived.
        headers: Reply headers in the order received (a repeated header's values together).
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
        self._in_flight: set[Exchange] = set()

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
        # urllib3 (tens of ms to import) loads with the first post, not with the package.
        from .bot_connection import Exchange, StaleConnection

        target = _Target.parse(url)
        if not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        deadline = time.perf_counter() + timeout
        request = _Request(target, body, dict(headers), timeout, max_reply_bytes, deadline)
        entry = self._checkout(("https", target.host, target.port, id(ssl_context)), ssl_context)
        try:
            # A stale connection costs no request (see BotConnection.request), so trying the next
            # idle one is safe; the pool's own liveness check makes a second stale one rare, and
            # the last try may not be retried.
            for tries_left in range(self._max_idle, -1, -1):
                exchange = Exchange(deadline, may_retry=tries_left > 0)
                with self._lock:
                    self._in_flight.add(exchange)
                try:
                    return self._exchange(entry.pool, request, exchange)
                except StaleConnection:
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

    def _idle_connections(self) -> list[Any]:
        """The open connections idle in the pools (for tests and the memory benchmark)."""
        with self._lock:
            entries = list(self._pools.values())
        queues = [list(e.pool.pool.queue) for e in entries if e.pool.pool is not None]
        return [conn for queue in queues for conn in queue if conn and conn.sock is not None]

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
                from .bot_connection import BotPool

                pool = BotPool(
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

    def _exchange(self, pool: BotPool, request: _Request, exchange: Exchange) -> HttpResult:
        from urllib3.exceptions import ClosedPoolError
        from urllib3.exceptions import HTTPError as Urllib3Error

        from .bot_connection import NO_RETRIES, StaleConnection, bound, remaining

        try:
            with bound(exchange):
                budget = remaining(request.deadline)
                reply = pool.urlopen(
                    "POST",
                    request.target.path,
                    body=request.body,
                    headers=request.headers,
                    retries=NO_RETRIES,
                    redirect=False,
                    assert_same_host=False,
                    timeout=budget,  # connecting, then reading; BotConnection keeps to the deadline
                    preload_content=False,
                    decode_content=False,
                    release_conn=False,
                )
                exchange.phase = "body"
                return self._read_reply(reply, request, exchange)
        except StaleConnection:
            raise
        except (Urllib3Error, OSError, http.client.HTTPException, ValueError) as exc:
            if exchange.phase == "send" and root(exc) is exc and type(exc) is ValueError:
                raise  # a bad header value from our caller, not a network problem
            kind, message = classify(
                exc,
                phase=exchange.phase,
                host=request.target.host,
                where=request.target.address,
                timeout=request.timeout,
                # ClosedPoolError: close() ran between this post's checkout and its urlopen
                aborted=exchange.aborted or isinstance(exc, ClosedPoolError),
            )
            return request.result(exchange, None, (), b"", kind, message)

    def _read_reply(
        self, reply: urllib3.BaseHTTPResponse, request: _Request, exchange: Exchange
    ) -> HttpResult:
        status = reply.status
        headers = self._share_headers(tuple(reply.headers.items()))

        def failed(kind: ErrorKind, error: str, body: bytes = b"") -> HttpResult:
            if kind == "reply_too_large" or status == 101:
                # The rest of the body is unread, or the bot switched the connection to another
                # protocol (101 ends HTTP on it): either way the connection is not reusable.
                reply.close()
            reply.release_conn()
            return request.result(exchange, status, headers, body, kind, error)

        if status == 101:  # before any read: reading the empty body would pool the connection
            return failed(
                "http_status",
                f"the bot answered 101 {reply.reason}: it switched the connection away from "
                "HTTP. Pyrus counts only a 2xx as delivered; answer the POST with a 2xx.",
            )
        limit = request.max_reply_bytes
        declared = reply.length_remaining  # None when chunked or delimited by the end
        if declared is not None and declared > limit:
            return failed("reply_too_large", request.too_large(status, f"{declared} bytes"))
        if declared is not None:  # within the limit: one read (short when the bot hangs up)
            body = reply.read()
        else:  # chunked or up to the end of the connection: the limit applies as it arrives
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
        if status in (401, 403):  # what a bot answers when it refuses the signature
            why = (
                "a 401 or 403 usually means the bot refused X-Pyrus-Sig: check that it "
                "verifies the hex HMAC-SHA1 of the raw body with the bot's current security "
                "key (bot.security_key, also after a key reset)"
            )
        elif status in (404, 405):  # the URL's path is not the route that takes the POST
            why = (
                f"a {status} usually means the bot has no POST route at {request.target.path}: "
                "give add_bot the URL of that route (under pytest, "
                'bot_server(app, path="/webhook"); otherwise the server\'s URL plus the route)'
            )
        else:
            why = "look at the bot's logs for why it failed"
        return failed(
            "http_status",
            f"the bot answered {status} {reply.reason}: {excerpt(body)}. Pyrus counts only a "
            f"2xx as delivered; {why}.",
            body,
        )


class _PoolEntry:
    """A bot's pool and how many posts are using it (a busy pool is never pruned)."""

    __slots__ = ("busy", "pool")

    def __init__(self, pool: BotPool) -> None:
        self.pool = pool
        self.busy = 0


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
        exchange: Exchange,
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


def _same(headers: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """One tuple per distinct set of reply headers, shared by every reply that carries it
    (wrapped in a per-client LRU cache, see ``BotHttpClient.__init__``).

    The fake keeps every reply's headers; with thousands of deliveries recorded, keeping a bot's
    usual headers (``Server``, ``Content-Type``, this second's ``Date``) once instead of per
    reply saves about half a kilobyte per delivery.
    """
    return headers
