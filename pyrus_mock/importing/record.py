"""``pyrus-mock record``: a TLS reverse proxy between real Pyrus and a bot, saving each call.

Put it in front of a bot in staging: Pyrus (or anything) calls the proxy, the proxy forwards
the call unchanged to the bot over verified TLS, answers with the bot's reply, and writes the
exchange to a directory (:mod:`pyrus_mock.importing.recording`), secrets redacted. Replay the
directory with ``pyrus-mock replay`` or :meth:`PyrusMock.replay <pyrus_mock.PyrusMock.replay>`.

The proxy serves TLS with a certificate from a CA of its own (``ca.pem`` in the state
directory): trust that CA in whatever calls the proxy (real Pyrus needs a publicly trusted
certificate, so in staging put the proxy behind your usual TLS front end, or call it from
``pyrus-mock serve`` / your own tests).
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from ..transport.httpclient import BotHttpClient
from .recording import FORMAT, HOP_HEADERS, parse_body, recording_name, redact_headers

__all__ = ["Recorder", "record"]

StartResponse = Any


class Recorder:
    """A WSGI app forwarding every request to ``target`` and recording the exchange.

    Args:
        target: the bot's ``https://`` URL; a request to ``/x`` goes to ``target`` + ``x``.
        directory: where recordings are written (made if missing); numbering continues after
            the recordings already there.
        ssl_context: whom to trust for the bot's certificate (verification always on).
        timeout: seconds the bot may take (Pyrus allows 60).
    """

    def __init__(
        self,
        target: str,
        directory: str | Path,
        *,
        ssl_context: ssl.SSLContext,
        timeout: float = 60.0,
    ) -> None:
        if not target.lower().startswith("https://"):
            raise ValueError(f"{target!r} is not an https:// URL; bots are called over HTTPS")
        self.target = target
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.ssl_context = ssl_context
        self.timeout = timeout
        self.recorded: list[Path] = []
        self._client = BotHttpClient()
        self._lock = threading.Lock()
        self._number = len(list(self.directory.glob("*.json")))

    def close(self) -> None:
        """Close the pooled connections to the bot."""
        self._client.close()

    def _url(self, path: str, query: str) -> str:
        base = self.target
        if path not in ("", "/"):
            base = base.rstrip("/") + path
        return base + ("?" + query if query else "")

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Forward the request, record it, answer with the bot's reply (502 when none came)."""
        from werkzeug.wrappers import Request

        request = Request(environ)
        body = request.get_data()
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_HEADERS]
        result = self._client.post(
            self._url(request.path, request.query_string.decode("latin-1")),
            body,
            dict(headers),
            ssl_context=self.ssl_context,
            timeout=self.timeout,
        )
        reply: dict[str, Any]
        if result.status is None:
            reply = {"error": result.error, "error_kind": result.error_kind}
            status, out_headers, out_body = (
                502,
                [("Content-Type", "text/plain")],
                (f"pyrus-mock record: the bot did not answer: {result.error}".encode()),
            )
        else:
            status = result.status
            out_headers = [(k, v) for k, v in result.headers if k.lower() not in HOP_HEADERS]
            out_body = result.body
            reply = {
                "status": status,
                "headers": redact_headers(result.headers),
                **parse_body(result.body),
                "elapsed_ms": round(result.elapsed * 1000, 1),
            }
        self._save(request.method, request.path, headers, body, reply)
        out_headers.append(("Content-Length", str(len(out_body))))
        start_response(f"{status} {_reason(status)}", out_headers)
        return [out_body]

    def _save(
        self,
        method: str,
        path: str,
        headers: list[tuple[str, str]],
        body: bytes,
        reply: dict[str, Any],
    ) -> None:
        request = {
            "method": method,
            "path": path,
            "headers": redact_headers(headers),
            **parse_body(body),
        }
        data = {"format": FORMAT, "recorded_at": _now(), "request": request, "reply": reply}
        with self._lock:
            self._number += 1
            path_out = self.directory / recording_name(self._number, request.get("json"))
            path_out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")
            self.recorded.append(path_out)


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def record(
    *,
    to: str,
    listen: int,
    directory: str,
    host: str = "127.0.0.1",
    ca_file: str | None = None,
    state_dir: str | None = None,
    cert_hosts: Iterable[str] = (),
    out: TextIO,
    err: TextIO,
    stop: threading.Event | None = None,
) -> int:
    """Run the recording proxy until SIGINT, SIGTERM or ``stop``; returns the exit status."""
    import shutil
    import tempfile

    from ..transport.server import TLSServer
    from ..transport.signals import install_signals, restore_signals
    from ..transport.tls import CertificateAuthority, server_hosts

    stop = stop or threading.Event()
    try:
        trust = ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as exc:
        print(f"pyrus-mock record: error: --ca-file {ca_file}: {exc}", file=err)
        return 2
    try:
        recorder = Recorder(to, directory, ssl_context=trust)
    except (ValueError, OSError) as exc:
        print(f"pyrus-mock record: error: {exc}", file=err)
        return 2
    owns = state_dir is None
    state = Path(tempfile.mkdtemp(prefix="pyrus-record-") if owns else state_dir or "").resolve()
    ca = CertificateAuthority()
    installed = install_signals(stop)
    server = None
    try:
        hosts = server_hosts(host, list(cert_hosts))
        files = ca.write_to_dir(state, *hosts)
        server = TLSServer(
            recorder, ca.server_context(*hosts), host=host, port=listen, name="pyrus-record"
        )
        try:
            server.start()
        except OSError as exc:
            print(f"pyrus-mock record: cannot listen on {host}:{listen}: {exc}", file=err)
            return 1
        shown = "127.0.0.1" if host in ("", "0.0.0.0") else host
        print(
            f"pyrus-mock record: https://{shown}:{server.port}/ -> {to}\n"
            f"  Recordings   {recorder.directory.resolve()}\n"
            f"  CA           {files['ca']} (trust it in whatever calls the proxy)\n"
            "Stop with Ctrl+C or SIGTERM.",
            file=out,
            flush=True,
        )
        stop.wait()
        return 0
    finally:
        restore_signals(installed)
        if server is not None:
            server.stop()
        recorder.close()
        ca.close()
        if owns:
            shutil.rmtree(state, ignore_errors=True)
        print(
            f"pyrus-mock record: stopped; {len(recorder.recorded)} call(s) recorded",
            file=out,
            flush=True,
        )
