"""Serving an ASGI bot over HTTPS with uvicorn, for the ``bot_server`` fixture.

WSGI bots are served in-process by :meth:`pyrus_mock.PyrusMock.serve_bot`; ASGI bots (FastAPI,
Starlette, Quart, ...) need an event loop, so they run in uvicorn on a background thread.
uvicorn is optional: ``pip install 'pyrus-mock[asgi]'``. It is imported only when an ASGI app is
actually served, so this module is cheap to import.
"""

from __future__ import annotations

import inspect
import socket
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any, Literal

from ..domain.errors import PyrusMockError

if TYPE_CHECKING:
    from .tls import IssuedCert

__all__ = ["AsgiBotServer", "is_asgi_app", "vacant_asgi_app"]

_Scope = MutableMapping[str, Any]
_Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
_Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

_STARTUP_TIMEOUT = 10.0
_POLL_INTERVAL = 0.002


def is_asgi_app(app: object) -> bool:
    """True for an ASGI 3 app: a coroutine function, or an object whose ``__call__`` is one.

    A WSGI app (a plain function, Flask, werkzeug) is not.
    """
    if inspect.iscoroutinefunction(app):
        return True
    if inspect.isclass(app) or not callable(app):
        return False
    return inspect.iscoroutinefunction(type(app).__call__)


async def vacant_asgi_app(scope: _Scope, receive: _Receive, send: _Send) -> None:
    """What a pooled ASGI bot server answers between tests: 503 to every HTTP request."""
    if scope.get("type") != "http":
        return
    body = b"no bot is served here: the test that served one has ended"
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class AsgiBotServer:
    """An ASGI app served over HTTPS by uvicorn from a daemon thread, on 127.0.0.1 port 0.

    The socket is bound in the caller's thread (a bind error raises there); :meth:`start`
    returns once uvicorn accepts connections, or raises after a bounded wait. Exceptions the
    app raises while handling requests are kept in :attr:`errors` (uvicorn answers them 500).

    :attr:`app` may be replaced while the server runs: each request goes to the app set when it
    arrives (the ``bot_server`` fixture pools servers per session this way).

    Args:
        app: the ASGI application.
        cert: a certificate for ``127.0.0.1``/``localhost``, e.g. ``PyrusMock.issue_cert()``.
        host: the address to listen on.
        startup_timeout: seconds to wait for uvicorn to start.
        lifespan: uvicorn's ``lifespan`` option: ``"auto"`` runs the app's startup and
            shutdown events; a pooled server, whose app changes, passes ``"off"``.
    """

    def __init__(
        self,
        app: Any,
        cert: IssuedCert,
        *,
        host: str = "127.0.0.1",
        startup_timeout: float = _STARTUP_TIMEOUT,
        lifespan: Literal["auto", "on", "off"] = "auto",
    ) -> None:
        self.app = app
        self.name = "asgi-bot"
        self._cert = cert
        self._host = host
        self._startup_timeout = startup_timeout
        self._lifespan = lifespan
        self._errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.url = ""

    @property
    def errors(self) -> list[BaseException]:
        """Exceptions the app raised while handling requests, oldest first (a copy)."""
        with self._lock:
            return list(self._errors)

    def clear_errors(self) -> None:
        """Forget the captured errors (a pooled server's errors belong to the test leasing it)."""
        with self._lock:
            self._errors.clear()

    async def _guarded(self, scope: _Scope, receive: _Receive, send: _Send) -> None:
        try:
            await self.app(scope, receive, send)
        except Exception as exc:
            if scope.get("type") == "http":
                with self._lock:
                    self._errors.append(exc)
            raise

    def start(self) -> str:
        """Start serving; returns the URL ``https://127.0.0.1:PORT/``.

        Raises:
            PyrusMockError: uvicorn is not installed, or did not start in time.
        """
        try:
            import uvicorn
        except ImportError as exc:
            raise PyrusMockError(
                "serving an ASGI app needs uvicorn, which is not installed: run "
                "pip install 'pyrus-mock[asgi]', or serve the bot as a WSGI app"
            ) from exc
        sock = socket.create_server((self._host, 0))
        # Accepted connections inherit TCP_NODELAY; without it uvicorn's reply (headers, then
        # body, over TLS) waits ~40 ms for the client's delayed ACK on every request.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._guarded,
            host=self._host,
            port=port,
            ssl_certfile=self._cert.cert_path,
            ssl_keyfile=self._cert.key_path,
            log_config=None,  # never reconfigure the test process's logging
            log_level="warning",
            access_log=False,
            lifespan=self._lifespan,
            interface="asgi3",
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"asgi-bot-{port}", daemon=True
        )
        self._server, self._thread, self._socket = server, thread, sock
        thread.start()
        deadline = time.monotonic() + self._startup_timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise PyrusMockError(
                    f"uvicorn did not start serving the ASGI bot within "
                    f"{self._startup_timeout:g} s; look at the log above for its error"
                )
            time.sleep(_POLL_INTERVAL)
        self.url = f"https://{self._host}:{port}/"
        return self.url

    def stop(self, timeout: float = 5.0) -> None:
        """Ask uvicorn to exit and wait for its thread (bounded). Safe to call twice."""
        server, thread, sock = self._server, self._thread, self._socket
        self._server = self._thread = self._socket = None
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive() and server is not None:
                server.force_exit = True
                thread.join(1.0)
        if sock is not None:
            sock.close()
