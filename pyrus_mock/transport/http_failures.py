"""How a failed POST to a bot is told: the error kinds and their one-line messages.

Used by :mod:`pyrus_mock.transport.httpclient`, which knows the phase an exchange failed in;
urllib3 wraps
the socket, TLS and :mod:`http.client` errors, so the root cause is looked up first (:func:`root`).
"""

from __future__ import annotations

import http.client
import socket
import ssl
from typing import Literal, cast, get_args

__all__ = ["ERROR_KINDS", "ErrorKind", "classify", "excerpt", "root"]

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
* ``protocol_error``: the reply is not valid HTTP or the connection broke in the middle of it
  (also a post aborted because the client was closed: its message says so).
"""

_UNTRUSTED_CODES = frozenset({2, 18, 19, 20, 21})
_EXPIRED_CODES = frozenset({9, 10})  # not yet valid, expired
_HOSTNAME_CODES = frozenset({62, 63, 64})  # host name, e-mail, IP address mismatch
_EXCERPT = 200


def root(exc: BaseException) -> BaseException:
    """The exception urllib3 wrapped (``ProtocolError("Connection aborted.", e)``,
    ``SSLError(e)``, ``... from e``), down to the socket, TLS or http.client error."""
    from urllib3.exceptions import HTTPError as Urllib3Error  # loaded by the failed post

    for _ in range(8):
        if not isinstance(exc, Urllib3Error) or isinstance(exc, http.client.IncompleteRead):
            break
        inner = exc.__cause__ or next((a for a in exc.args if isinstance(a, BaseException)), None)
        if inner is None:
            break
        exc = inner
    return exc


def classify(
    error: BaseException, *, phase: str, host: str, where: str, timeout: float, aborted: bool
) -> tuple[ErrorKind, str]:
    """The kind of a failure in ``phase`` and what to tell the test author.

    Args:
        error: What urllib3 (or the socket) raised.
        phase: ``connect``, ``handshake``, ``send``, ``reply`` or ``body``.
        host: The bot's host name.
        where: ``host:port`` for messages.
        timeout: The exchange's budget in seconds.
        aborted: The client was closed during the exchange.
    """
    from urllib3.exceptions import NewConnectionError
    from urllib3.exceptions import TimeoutError as Urllib3Timeout

    exc = root(error)
    if aborted:
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
            f"the bot at {where} sent no complete reply within {timeout:g} s "
            f"(timed out {doing}). Make the bot answer sooner (Pyrus waits 60 s), or raise "
            "the fake's delivery_timeout: @pytest.mark.pyrus_mock(delivery_timeout=S), "
            "--pyrus-mock-delivery-timeout, PyrusMock(delivery_timeout=S), "
            "pyrus-mock check --timeout or serve --set delivery_timeout=S."
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _classify_certificate(exc, where)
    if phase == "connect":
        if isinstance(exc, socket.gaierror):
            return "connection_refused", (
                f"cannot resolve the bot's host {host!r} ({exc.strerror}). "
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
        partial: object = exc.partial  # a byte count in urllib3's subclass
        got = partial if isinstance(partial, int) else len(cast("bytes", partial))
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


def excerpt(body: bytes) -> str:
    if not body:
        return "(empty body)"
    text = " ".join(body[: _EXCERPT * 2].decode("utf-8", "replace").split())
    if len(text) > _EXCERPT or len(body) > _EXCERPT * 2:
        text = text[:_EXCERPT] + "..."
    return repr(text)
