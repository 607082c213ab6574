"""Raw socket servers for negative tests of TLS and HTTP: they misbehave on purpose."""

from __future__ import annotations

import contextlib
import json
import selectors
import socket
import ssl
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

Handler = Callable[[socket.socket], None]


class RawServer:
    """A TCP server on 127.0.0.1:0 that runs ``handler(sock)`` for each connection in a thread.

    With ``ssl_context`` the handshake is done first and the handler gets the TLS socket. The
    handler owns nothing: the socket is closed after it returns.
    """

    def __init__(self, handler: Handler, ssl_context: ssl.SSLContext | None = None) -> None:
        self._handler = handler
        self._ssl_context = ssl_context
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._threads: list[threading.Thread] = []
        self._accept = threading.Thread(target=self._loop, daemon=True)
        self._accept.start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/bot"

    def _loop(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while True:
                for key, _ in selector.select():
                    if key.fileobj is self._wake_r:
                        return
                    sock, _ = self._listener.accept()
                    thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
                    self._threads.append(thread)
                    thread.start()

    def _serve(self, sock: socket.socket) -> None:
        try:
            if self._ssl_context is not None:
                sock = self._ssl_context.wrap_socket(sock, server_side=True)
            self._handler(sock)
        except OSError:
            pass  # the client under test gave up, which is what some tests want
        finally:
            sock.close()

    def close(self) -> None:
        self._wake_w.send(b"\0")
        self._accept.join(5)
        for thread in self._threads:
            thread.join(5)
        for sock in (self._listener, self._wake_r, self._wake_w):
            sock.close()

    def __enter__(self) -> RawServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def read_request(sock: socket.socket) -> bytes:
    """Read one HTTP request (headers and a Content-Length body) so closing sends FIN, not RST."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return data


def answer(reply: bytes, *, whole_request: bool = True) -> Handler:
    """A handler that reads one request, sends ``reply`` verbatim and closes.

    With ``whole_request=False`` it answers the first bytes it gets (e.g. a TLS ClientHello).
    """

    def handler(sock: socket.socket) -> None:
        if whole_request:
            read_request(sock)
        else:
            sock.recv(65536)
        sock.sendall(reply)
        if not isinstance(sock, ssl.SSLSocket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_WR)

    return handler


def refused_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def wsgi_reply(
    status: str = "200 OK",
    body: bytes = b"",
    headers: list[tuple[str, str]] | None = None,
) -> Any:
    """A WSGI app that answers every request the same way (Content-Length set)."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        environ["wsgi.input"].read()
        start_response(status, [*(headers or []), ("Content-Length", str(len(body)))])
        return [body]

    return app


def tls_client(ca: Any, port: int, timeout: float) -> ssl.SSLSocket:
    """A TLS connection to 127.0.0.1:``port``, verified against ``ca`` (a CertificateAuthority)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    context: ssl.SSLContext = ca.client_context()
    return context.wrap_socket(raw, server_hostname="127.0.0.1")


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (a reset counts as closed)."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (ConnectionError, ssl.SSLError):
        pass
    return data


def json_error(reply: bytes) -> tuple[int, dict[str, str], dict[str, Any]]:
    """Status, headers and JSON body of a raw reply that must be a complete JSON error."""
    head, sep, body = reply.partition(b"\r\n\r\n")
    assert sep, f"no complete reply: {reply[:200]!r}"
    assert b"html" not in reply.lower()
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines)
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert int(headers["Content-Length"]) == len(body)
    payload = json.loads(body)
    assert set(payload) == {"error_code", "error"}
    assert payload["error"]
    return int(status_line.split()[1]), headers, payload
