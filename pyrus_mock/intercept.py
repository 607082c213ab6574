"""Serve ``requests`` calls to Pyrus's cloud hosts from the fake, in-process.

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
"""

from __future__ import annotations

import io
import re
import sys
import threading
from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes, urlsplit

import responses
from requests.adapters import HTTPAdapter

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import WSGIApplication, WSGIEnvironment
    from requests import PreparedRequest

__all__ = ["PYRUS_HOSTS", "Interceptor"]

#: The host names of Pyrus's cloud that are served by the fake.
PYRUS_HOSTS = ("api.pyrus.com", "accounts.pyrus.com", "files.pyrus.com")

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_DEFAULT_PORTS = {"https": "443", "http": "80"}
_SPECIAL_HEADERS = {"CONTENT_TYPE", "CONTENT_LENGTH"}


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
    """Route ``requests`` traffic for Pyrus's hosts to a WSGI app, in-process.

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

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        """Whether requests are being intercepted now."""
        return self._mock is not None

    def start(self) -> Interceptor:
        """Start intercepting (idempotent); returns self.

        The ``send`` found now (requests' own, or another active ``responses`` mock's) is where
        non-Pyrus URLs are passed on to.
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
        return self

    def stop(self) -> None:
        """Stop intercepting (idempotent)."""
        with self._lock:
            mock, self._mock = self._mock, None
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

    def _environ(self, request: PreparedRequest) -> WSGIEnvironment:
        """A PEP 3333 environ for ``request``, built by hand (EnvironBuilder is ~10x slower)."""
        url = urlsplit(request.url or "")
        scheme = (url.scheme or "https").lower()
        data = _body_bytes(request.body)
        environ: WSGIEnvironment = {
            "REQUEST_METHOD": (request.method or "GET").upper(),
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(url.path or "/").decode("latin-1"),
            "QUERY_STRING": url.query,
            "SERVER_NAME": url.hostname or "",
            "SERVER_PORT": str(url.port) if url.port else _DEFAULT_PORTS.get(scheme, "443"),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": url.netloc,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scheme,
            "wsgi.input": io.BytesIO(data),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        chunked = False
        for name, value in request.headers.items():
            key = name.upper().replace("-", "_")
            if key == "TRANSFER_ENCODING" and "chunked" in value.lower():
                chunked = True
            if key not in _SPECIAL_HEADERS:
                key = "HTTP_" + key
                if key == "HTTP_HOST":
                    continue
            environ[key] = value
        if chunked:
            # As a real server does: no length, the stream ends where the body ends.
            environ.pop("CONTENT_LENGTH", None)
            environ["wsgi.input_terminated"] = True
        else:
            environ["CONTENT_LENGTH"] = str(len(data))
        return environ

    def _serve(self, request: PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        """The responses callback: run the app and hand back status, headers and body."""
        reply: list[Any] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
        ) -> Any:
            reply[:] = [status, headers]
            return None

        result = self.app(self._environ(request), start_response)
        try:
            payload = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status, headers = reply
        if request.method == "HEAD":
            payload = b""  # as a server sends it: the headers of GET, no body
        # The app never repeats a header name, so a dict (what responses types) loses nothing.
        return int(status.split(" ", 1)[0]), dict(headers), payload
