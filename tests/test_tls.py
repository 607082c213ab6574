"""The private CA: contexts and files that really work over sockets, and fail when they must."""

from __future__ import annotations

import datetime
import http.client
import os
import socket
import ssl
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import trustme

from pyrus_mock.transport.server import TLSServer
from pyrus_mock.transport.tls import CertificateAuthority

from ._tls_helpers import wsgi_reply

BUNDLE_STATES = [pytest.param(True, id="REQUESTS_CA_BUNDLE-set"), pytest.param(False, id="unset")]


@pytest.fixture(scope="module")
def ca() -> Iterator[CertificateAuthority]:
    with CertificateAuthority() as authority:
        yield authority


@pytest.fixture(scope="module")
def server(ca: CertificateAuthority) -> Iterator[TLSServer]:
    with TLSServer(wsgi_reply(body=b"hello"), ca.server_context(), name="tls-test") as srv:
        yield srv
        srv.raise_errors()


@pytest.fixture(params=BUNDLE_STATES)
def bundle_set(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> bool:
    """Run the test with REQUESTS_CA_BUNDLE naming a bundle without our CA, and unset."""
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    if request.param:
        bundle = tmp_path / "unrelated-ca.pem"
        bundle.write_bytes(trustme.CA().cert_pem.bytes())
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    return bool(request.param)


def _get(ctx: ssl.SSLContext, server: TLSServer, host: str = "127.0.0.1") -> bytes:
    conn = http.client.HTTPSConnection(host, server.port, context=ctx, timeout=5)
    try:
        conn.request("GET", "/")
        return conn.getresponse().read()
    finally:
        conn.close()


def test_client_context_connects(
    ca: CertificateAuthority, server: TLSServer, bundle_set: bool
) -> None:
    assert _get(ca.client_context(), server) == b"hello"
    assert _get(ca.client_context(), server, host="localhost") == b"hello"


def test_system_store_rejects_our_server(server: TLSServer, bundle_set: bool) -> None:
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        _get(ssl.create_default_context(), server)


def test_requests_with_per_call_verify(
    ca: CertificateAuthority, server: TLSServer, bundle_set: bool
) -> None:
    reply = requests.get(server.url + "/", verify=ca.ca_path, timeout=5)
    assert reply.status_code == 200
    assert reply.content == b"hello"


def test_requests_session_verify_is_overridden_by_the_bundle_variable(
    ca: CertificateAuthority, server: TLSServer, bundle_set: bool
) -> None:
    """The pitfall: with REQUESTS_CA_BUNDLE set, requests ignores ``Session.verify``."""
    with requests.Session() as session:
        session.verify = ca.ca_path
        if bundle_set:
            with pytest.raises(requests.exceptions.SSLError):
                session.get(server.url + "/", timeout=5)
        else:
            assert session.get(server.url + "/", timeout=5).content == b"hello"


def test_requests_without_verify_rejects_our_server(server: TLSServer, bundle_set: bool) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(server.url + "/", timeout=5)


def test_client_context_trusts_only_our_ca(ca: CertificateAuthority) -> None:
    ctx = ca.client_context()
    assert ctx.verify_mode == ssl.CERT_REQUIRED
    assert ctx.check_hostname
    assert ctx.cert_store_stats()["x509_ca"] == 1
    assert ca.client_context() is ctx


def test_other_ca_is_rejected(server: TLSServer) -> None:
    with CertificateAuthority() as other, pytest.raises(ssl.SSLCertVerificationError) as info:
        _get(other.client_context(), server)
    assert info.value.verify_code == 20  # unable to get local issuer certificate


def test_server_context_cached_per_hosts(ca: CertificateAuthority) -> None:
    assert ca.server_context() is ca.server_context("localhost", "127.0.0.1")
    assert ca.server_context("example.org") is not ca.server_context()
    assert ca.server_context().minimum_version >= ssl.TLSVersion.TLSv1_2


def test_server_context_for_other_host_fails_hostname_check(ca: CertificateAuthority) -> None:
    with TLSServer(wsgi_reply(), ca.server_context("example.org")) as srv:
        with pytest.raises(ssl.SSLCertVerificationError) as info:
            _get(ca.client_context(), srv)
        assert info.value.verify_code == 64  # IP address mismatch


def test_ca_file_is_written_lazily_and_removed_by_close() -> None:
    authority = CertificateAuthority()
    authority.server_context()
    authority.client_context()
    assert authority._dir is None, "contexts must not write files"
    path = Path(authority.ca_path)
    assert path.read_bytes() == authority.ca_pem
    assert authority.ca_path == str(path)
    authority.close()
    assert not path.parent.exists()
    authority.close()  # twice is fine


def test_wraps_an_existing_trustme_ca() -> None:
    original = trustme.CA()
    with CertificateAuthority(original) as authority:
        assert authority.ca is original
        assert authority.ca_pem == original.cert_pem.bytes()


def test_issue_cert_serves_a_bot(ca: CertificateAuthority) -> None:
    issued = ca.issue_cert("localhost")
    assert Path(issued.cert_path).read_bytes() == issued.cert_pem
    assert Path(issued.key_path).read_bytes() == issued.key_pem
    assert Path(issued.ca_path).read_bytes() == ca.ca_pem
    assert stat.S_IMODE(os.stat(issued.key_path).st_mode) == 0o600
    assert ca.issue_cert().cert_path != issued.cert_path
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(issued.cert_path, issued.key_path)
    with TLSServer(wsgi_reply(body=b"bot"), ctx) as srv:
        client = ssl.create_default_context(cafile=issued.ca_path)
        assert _get(client, srv, host="localhost") == b"bot"
        with pytest.raises(ssl.SSLCertVerificationError):
            _get(client, srv, host="127.0.0.1")  # not in the certificate


def test_issue_cert_expired(ca: CertificateAuthority) -> None:
    now = datetime.datetime.now(datetime.timezone.utc)
    issued = ca.issue_cert(
        not_before=now - datetime.timedelta(days=2), not_after=now - datetime.timedelta(days=1)
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(issued.cert_path, issued.key_path)
    with TLSServer(wsgi_reply(), ctx) as srv, pytest.raises(ssl.SSLCertVerificationError) as info:
        _get(ca.client_context(), srv)
    assert info.value.verify_code == 10  # certificate has expired


def test_write_to_dir(ca: CertificateAuthority, tmp_path: Path) -> None:
    paths = ca.write_to_dir(tmp_path / "state")
    assert paths == {
        "ca": str(tmp_path / "state" / "ca.pem"),
        "cert": str(tmp_path / "state" / "server.pem"),
        "key": str(tmp_path / "state" / "server-key.pem"),
    }
    assert stat.S_IMODE(os.stat(paths["key"]).st_mode) == 0o600
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(paths["cert"], paths["key"])
    with TLSServer(wsgi_reply(body=b"ok"), ctx) as srv:
        assert _get(ssl.create_default_context(cafile=paths["ca"]), srv) == b"ok"
    assert ca.write_to_dir(tmp_path / "state") == paths  # rewriting is fine


def test_plain_http_client_gets_no_http_answer(server: TLSServer) -> None:
    """The server really speaks only TLS on its socket: plain HTTP gets an alert or a reset."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            reply = sock.recv(100)
        except ConnectionResetError:
            reply = b""
    assert not reply.startswith(b"HTTP/")


def test_start_cert_hosts_go_into_the_api_server_certificate() -> None:
    from pyrus_mock import InvalidArgument, PyrusMock

    mock = PyrusMock()
    try:
        with pytest.raises(InvalidArgument, match=r"'bad host' cannot go into a server cert"):
            mock.start(cert_hosts=["bad host"])
        with pytest.raises(Exception, match="not running"):
            _ = mock.server  # a refused name starts nothing
        mock.start(cert_hosts=["pyrus.test", "::1"])
        assert mock.cert_hosts == ("localhost", "127.0.0.1", "pyrus.test", "::1")
        context = ssl.create_default_context(cafile=mock.ca_path)
        for name, ok in (("pyrus.test", True), ("localhost", True), ("other.test", False)):
            with socket.create_connection(("127.0.0.1", mock.server.port), timeout=10) as raw:
                if ok:
                    context.wrap_socket(raw, server_hostname=name).close()
                else:
                    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
                        context.wrap_socket(raw, server_hostname=name)
    finally:
        mock.close()


def test_start_refuses_new_arguments_while_running() -> None:
    from pyrus_mock import InvalidArgument, PyrusMock

    with PyrusMock() as mock:  # started with the defaults
        assert mock.start() is mock  # the same arguments: nothing to do
        with pytest.raises(InvalidArgument, match=r"call stop\(\) first"):
            mock.start(cert_hosts=["host.docker.internal"])
        mock.stop()
        mock.start(cert_hosts=["host.docker.internal"])
        assert "host.docker.internal" in mock.cert_hosts


def test_entering_a_started_fake_keeps_its_server_and_a_failed_bind_leaves_it_startable() -> None:
    import socket as socket_module

    from pyrus_mock import PyrusMock

    with PyrusMock().start(cert_hosts=["pyrus.test"]) as mock:
        assert "pyrus.test" in mock.cert_hosts
    fake = PyrusMock()
    try:
        with (
            socket_module.create_server(("127.0.0.1", 0)) as busy,
            pytest.raises(OSError, match="cannot listen"),
        ):
            fake.start(port=busy.getsockname()[1])
        fake.start()  # nothing was left half-started
        assert fake.server.port > 0
    finally:
        fake.close()
