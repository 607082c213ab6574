"""The ``httpx`` half of :class:`~pyrus_mock.transport.intercept.Interceptor` (imported only when
used).

While active, :class:`HttpxPatch` replaces ``httpx.HTTPTransport.handle_request`` and
``httpx.AsyncHTTPTransport.handle_async_request`` **on the classes**. A request to one of the
intercepted hosts is answered by the interceptor's WSGI call (the same code path as the
``requests`` side); any other request goes to the method that was there before, untouched.

Why the transport classes and not ``mounts`` or httpcore:

* Patching the class reaches every client, including clients built *before* ``intercept()``
  started (aiopyrus, for one, keeps one ``AsyncClient`` for its session), the module-level
  ``httpx.get``, and the transports httpx builds for proxies (``proxy=``, ``HTTPS_PROXY``).
  ``mounts`` only affect clients created afterwards with our arguments.
* It sits above httpcore, where ``respx``'s default mocker patches: a respx mock keeps
  answering the other URLs, as a ``responses`` mock does on the ``requests`` side.
* A transport a test passes itself (``httpx.MockTransport``, ``ASGITransport``, a subclass that
  overrides ``handle_request``) is the test's own choice and is left alone.

The async side runs the WSGI call in a worker thread (``anyio.to_thread``, so asyncio and trio
both work): a call that makes the fake deliver to a bot served by the same event loop would
otherwise block the loop the bot needs to answer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

__all__ = ["HttpxPatch", "Serve"]

#: ``serve(method, url, headers, body) -> (status, headers, body)``, run in the caller's thread.
Serve = Callable[[str, str, list[tuple[str, str]], bytes], tuple[int, list[tuple[str, str]], bytes]]


class HttpxPatch:
    """Route httpx requests whose URL ``matches`` to ``serve``; a no-op without httpx.

    Args:
        matches: whether a URL (``str(request.url)``) is served in-process.
        serve: the in-process call.
    """

    def __init__(self, matches: Callable[[str], object], serve: Serve) -> None:
        self._matches = matches
        self._serve = serve
        self._lock = threading.Lock()
        self._saved: tuple[Any, Any] | None = None

    @property
    def active(self) -> bool:
        """Whether httpx's transports are patched now."""
        return self._saved is not None

    def start(self) -> bool:
        """Patch httpx's transports (idempotent); False when httpx is not installed."""
        try:
            import httpx
        except ImportError:
            return False
        with self._lock:
            if self._saved is not None:
                return True
            sync_cls, async_cls = httpx.HTTPTransport, httpx.AsyncHTTPTransport
            original = vars(sync_cls)["handle_request"]
            original_async = vars(async_cls)["handle_async_request"]
            self._saved = (original, original_async)
            setattr(sync_cls, "handle_request", self._sync_method(original))  # noqa: B010
            setattr(async_cls, "handle_async_request", self._async_method(original_async))  # noqa: B010
        return True

    def stop(self) -> None:
        """Put back the methods found by :meth:`start` (idempotent)."""
        with self._lock:
            saved, self._saved = self._saved, None
            if saved is None:
                return
            import httpx

            setattr(httpx.HTTPTransport, "handle_request", saved[0])  # noqa: B010
            setattr(httpx.AsyncHTTPTransport, "handle_async_request", saved[1])  # noqa: B010

    # -- the replacement methods ------------------------------------------------------------------

    def _sync_method(
        self, original: Callable[[httpx.HTTPTransport, httpx.Request], httpx.Response]
    ) -> Callable[[httpx.HTTPTransport, httpx.Request], httpx.Response]:
        matches, serve = self._matches, self._serve

        def handle_request(
            transport: httpx.HTTPTransport, request: httpx.Request
        ) -> httpx.Response:
            url = str(request.url)
            if not matches(url):
                return original(transport, request)
            body = request.read()
            reply = serve(request.method, url, request.headers.multi_items(), body)
            return _response(reply, request)

        handle_request.__wrapped__ = original  # type: ignore[attr-defined]
        return handle_request

    def _async_method(
        self,
        original: Callable[
            [httpx.AsyncHTTPTransport, httpx.Request], Coroutine[Any, Any, httpx.Response]
        ],
    ) -> Callable[[httpx.AsyncHTTPTransport, httpx.Request], Coroutine[Any, Any, httpx.Response]]:
        matches, serve = self._matches, self._serve

        async def handle_async_request(
            transport: httpx.AsyncHTTPTransport, request: httpx.Request
        ) -> httpx.Response:
            url = str(request.url)
            if not matches(url):
                return await original(transport, request)
            import anyio.to_thread

            body = await request.aread()
            reply = await anyio.to_thread.run_sync(
                serve, request.method, url, request.headers.multi_items(), body
            )
            return _response(reply, request)

        handle_async_request.__wrapped__ = original  # type: ignore[attr-defined]
        return handle_async_request


def _response(
    reply: tuple[int, list[tuple[str, str]], bytes], request: httpx.Request
) -> httpx.Response:
    """An ``httpx.Response`` as a transport returns it: unread, its body a byte stream."""
    import httpx

    status, headers, payload = reply
    return httpx.Response(
        status,
        headers=headers,
        stream=httpx.ByteStream(payload),
        request=request,
        extensions={"http_version": b"HTTP/1.1"},
    )
