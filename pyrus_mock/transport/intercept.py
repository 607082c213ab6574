"""Serve ``requests`` and ``httpx`` calls to Pyrus's cloud hosts from the fake, in-process.

:class:`Interceptor` holds a **private** ``responses.RequestsMock`` (never responses' module-level
default mock). While it is active, every request ``requests`` sends to ``api.pyrus.com``,
``accounts.pyrus.com`` or ``files.pyrus.com`` (any method, any path, http or https) is turned
into a WSGI call of the fake's app in the same thread, and every other URL passes through
untouched, so bots served over real TLS stay reachable. Only responses' public API is used
(``add_callback``, ``add_passthru``, the ``real_adapter_send`` argument).

Living with your own ``responses`` mocks:

* **Yours outside, ours inside** (recommended): start your ``RequestsMock`` (or enter
  ``responses.activate``) first and ``intercept()`` inside it. Pyrus URLs are served by the fake;
  everything else goes to *your* mock, so your registrations keep answering.
* **Ours outside, yours inside**: your mock sees every request first. Pyrus URLs reach the fake
  only if your mock does not claim them; responses' own passthrough goes straight to the network,
  bypassing the fake. Avoid this order.
* Stop in reverse order of starting (``with`` blocks do): each mock restores the ``send`` it found.
* The patch is process-wide, like every ``responses`` mock: requests sent by other threads while
  the interceptor is active (a bot's server thread, say) are intercepted too, which is what a bot
  calling Pyrus back needs. The app is thread-safe.

``httpx`` (sync and async clients; aiopyrus is built on it) is covered too when it is installed,
by patching its two default transport classes for the intercepted hosts only (see
:mod:`pyrus_mock.transport.intercept_httpx` for how and why). httpx stays optional: it is imported
when an
interceptor starts, and nothing happens without it. Both libraries go through one function,
:func:`call_wsgi` (werkzeug's ``EnvironBuilder`` and ``run_wsgi_app``, public API only), so a
reply is the same whichever client asked. Pyrus URLs are answered before httpcore is reached,
so a ``respx`` mock (its default mocker patches httpcore) only sees the other URLs.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import responses
from requests.adapters import HTTPAdapter
from werkzeug.test import EnvironBuilder, run_wsgi_app

from .intercept_httpx import HttpxPatch

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication, WSGIEnvironment
    from requests import PreparedRequest

__all__ = ["PYRUS_HOSTS", "Interceptor", "call_wsgi", "wsgi_environ"]

#: The host names of Pyrus's cloud that are served by the fake.
PYRUS_HOSTS = ("api.pyrus.com", "accounts.pyrus.com", "files.pyrus.com")

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
#: What a server adds about the client (read only by ``EnvironBuilder``, never changed).
_ENVIRON_BASE: dict[str, Any] = {"REMOTE_ADDR": "127.0.0.1"}


def _body_bytes(body: object) -> bytes:
    """The request body as bytes; responses has already read file-like bodies."""
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if isinstance(body, Iterable):  # a generator: requests sends it chunked
        return b"".join(c.encode("utf-8") if isinstance(c, str) else bytes(c) for c in body)
    raise TypeError(f"cannot send a request body of type {type(body).__name__}")


class Interceptor:
    """Route ``requests`` and ``httpx`` traffic for Pyrus's hosts to a WSGI app, in-process.

    A context manager; also :meth:`start` / :meth:`stop`. Usually obtained from
    :meth:`pyrus_mock.PyrusMock.intercept`::

        with pyrus_mock.intercept():
            api = pyrus.client.PyrusAPI(login=bot.login, security_key=bot.security_key)
            api.get_task(task.id)

    Args:
        app: the WSGI application to call (the fake's API).
        hosts: the host names to serve; Pyrus's three cloud hosts by default.
    """

    def __init__(self, app: WSGIApplication, *, hosts: Iterable[str] = PYRUS_HOSTS) -> None:
        self.app = app
        self.hosts = tuple(h.lower() for h in hosts)
        if not self.hosts:
            raise ValueError("hosts: give at least one host name to intercept")
        names = "|".join(re.escape(h) for h in self.hosts)
        pyrus = rf"https?://(?:{names})(?::\d+)?(?:[/?#]|$)"
        # Compiled once: responses matches these against every request URL.
        self._pyrus_url = re.compile(pyrus, re.IGNORECASE)
        self._other_url = re.compile(rf"(?!{pyrus})", re.IGNORECASE)
        self._lock = threading.Lock()
        self._mock: responses.RequestsMock | None = None
        self._httpx = HttpxPatch(self._pyrus_url.match, self._serve_httpx)

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        """Whether requests are being intercepted now."""
        return self._mock is not None

    @property
    def clients(self) -> tuple[str, ...]:
        """The HTTP libraries intercepted now: ``requests``, plus ``httpx`` when installed."""
        if self._mock is None:
            return ()
        return ("requests", "httpx") if self._httpx.active else ("requests",)

    def start(self) -> Interceptor:
        """Start intercepting (idempotent); returns self.

        The ``send`` found now (requests' own, or another active ``responses`` mock's) is where
        non-Pyrus URLs are passed on to; likewise httpx's transport methods found now.
        """
        with self._lock:
            if self._mock is not None:
                return self
            mock = responses.RequestsMock(
                assert_all_requests_are_fired=False,
                real_adapter_send=HTTPAdapter.send,
            )
            for method in _METHODS:
                mock.add_callback(method, self._pyrus_url, callback=self._serve, content_type=None)
            mock.add_passthru(self._other_url)
            mock.start()
            self._mock = mock
            self._httpx.start()
        return self

    def stop(self) -> None:
        """Stop intercepting (idempotent)."""
        with self._lock:
            mock, self._mock = self._mock, None
            self._httpx.stop()
        if mock is not None:
            mock.stop(allow_assert=False)
            mock.reset()

    def __enter__(self) -> Interceptor:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- serving -------------------------------------------------------------------------------

    def _serve(self, request: PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        """The responses callback: run the app and hand back status, headers and body."""
        status, headers, payload = call_wsgi(
            self.app,
            request.method or "GET",
            request.url or "",
            request.headers.items(),
            _body_bytes(request.body),
        )
        # The app never repeats a header name, so a dict (what responses types) loses nothing.
        return status, dict(headers), payload

    def _serve_httpx(
        self, method: str, url: str, headers: Iterable[tuple[str, str]], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """The httpx transports' hook: the same WSGI call as :meth:`_serve`."""
        return call_wsgi(self.app, method, url, headers, body)


def wsgi_environ(
    method: str, url: str, headers: Iterable[tuple[str | bytes, str | bytes]], data: bytes
) -> WSGIEnvironment:
    """A PEP 3333 environ for one request, built by werkzeug's ``EnvironBuilder``.

    As a server builds it: the host and port come from the URL (a ``Host`` header is not
    repeated into a list), headers sent more than once are joined with a comma (as
    :mod:`pyrus_mock.transport.server` joins them), and a chunked body has no ``CONTENT_LENGTH``
    and a
    terminated input stream (``wsgi.input_terminated``), so the app reads it to the end.
    """
    parts = urlsplit(url)
    scheme = (parts.scheme or "https").lower()
    joined: dict[str, tuple[str, str]] = {}
    chunked = False
    for raw_name, raw_value in headers:
        # requests passes a header given as bytes through as bytes; on the wire they are the
        # same octets, which a server reads as latin-1 text (PEP 3333).
        name = raw_name.decode("latin-1") if isinstance(raw_name, bytes) else raw_name
        value = raw_value.decode("latin-1") if isinstance(raw_value, bytes) else raw_value
        key = name.lower()
        if key == "host":
            continue
        if key == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
        if key in joined:  # a repeated header: joined, as a server does
            value = f"{joined[key][1]},{value}"
            name = joined[key][0]
        joined[key] = (name, value)
    environ = EnvironBuilder(
        path=parts.path or "/",
        base_url=f"{scheme}://{parts.netloc}",
        query_string=parts.query,
        method=(method or "GET").upper(),
        input_stream=io.BytesIO(data),
        headers=list(joined.values()),
        environ_base=_ENVIRON_BASE,
        multithread=True,
    ).get_environ()
    if chunked:
        # As a real server does: no length, the stream ends where the body ends.
        del environ["CONTENT_LENGTH"]
        environ["wsgi.input_terminated"] = True
    return environ


def call_wsgi(
    app: WSGIApplication,
    method: str,
    url: str,
    headers: Iterable[tuple[str | bytes, str | bytes]],
    body: bytes,
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Run ``app`` on one request in this thread; returns status, headers and the whole body.

    The one code path of every in-process client (``requests`` through responses, ``httpx``
    through its transports), with werkzeug's ``run_wsgi_app``. A ``HEAD`` reply carries no
    body, as a server sends it.
    """
    app_iter, status, reply_headers = run_wsgi_app(
        app, wsgi_environ(method, url, headers, body), buffered=True
    )
    payload = b"" if method.upper() == "HEAD" else b"".join(app_iter)
    return int(status.split(" ", 1)[0]), list(reply_headers.items()), payload
