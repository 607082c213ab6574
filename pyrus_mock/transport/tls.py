"""TLS material for the fake: one private CA, server and client contexts, certificates for bots.

Pyrus only calls bots over HTTPS and verifies their certificates, and the fake's own API is served
over HTTPS too. Everything is made at runtime with trustme; no key is ever committed.

Cheat sheet::

    with CertificateAuthority() as ca:
        server_ctx = ca.server_context()            # for TLSServer on 127.0.0.1 / localhost
        client_ctx = ca.client_context()            # trusts only this CA
        requests.get(url, verify=ca.ca_path)        # requests wants a CA bundle path
        bot = ca.issue_cert("localhost")            # files for uvicorn, aiohttp, nginx ...

Creating a CA and a server context takes a few milliseconds (ECDSA keys, nothing written to disk
until a path is asked for), so every test may have its own.
"""

from __future__ import annotations

import datetime
import os
import shutil
import ssl
import tempfile
import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import TracebackType

import trustme

from ..domain.errors import InvalidArgument
from .files import make_private_dir, write_atomic
from .hostnames import MAX_HOSTS, check_host

__all__ = [
    "DEFAULT_HOSTS",
    "CertificateAuthority",
    "IssuedCert",
    "check_cert_host",
    "server_hosts",
]

DEFAULT_HOSTS: tuple[str, ...] = ("localhost", "127.0.0.1")
"""Host names a certificate is issued for when none are given."""

_WILDCARD_ADDRESSES = ("", "0.0.0.0", "::")


def check_cert_host(name: str, argument: str = "cert_hosts") -> str:
    """Return ``name`` if a server certificate can cover it: an IP address or a DNS name
    (internationalised names and a leading ``*.`` wildcard included); see
    :mod:`pyrus_mock.transport.hostnames` for the exact rules.

    Raises:
        InvalidArgument: anything else (empty, too long, spaces, control characters, a
            misplaced wildcard, bracketed IPv6 ...), naming ``argument`` and the host.
    """
    return check_host(name, argument, "(--cert-host NAME)" if argument == "cert_hosts" else "")


def _checked_hosts(hosts: tuple[str, ...]) -> tuple[str, ...]:
    """``hosts``, or :data:`DEFAULT_HOSTS` when empty, each checked (``hosts[i]`` in errors)."""
    if len(hosts) > MAX_HOSTS:
        raise InvalidArgument("hosts", f"{len(hosts)} names given", f"at most {MAX_HOSTS}")
    for index, host in enumerate(hosts):
        check_host(host, f"hosts[{index}]")
    return hosts or DEFAULT_HOSTS


def server_hosts(listen_host: str = "127.0.0.1", extra: Iterable[str] = ()) -> tuple[str, ...]:
    """The names a server certificate covers: :data:`DEFAULT_HOSTS`, then the address the server
    listens on (unless it is a wildcard such as ``0.0.0.0`` or no name a certificate can hold),
    then ``extra``, without repeats.

    >>> server_hosts("0.0.0.0", ["pyrus.test", "localhost"])
    ('localhost', '127.0.0.1', 'pyrus.test')
    """
    hosts = list(DEFAULT_HOSTS)
    candidates = [] if listen_host in _WILDCARD_ADDRESSES else [listen_host]
    try:
        check_cert_host(listen_host)
    except InvalidArgument:  # e.g. "[::1]" or "my_host": the bind decides whether it is usable
        candidates = []
    for host in (*candidates, *extra):
        if host and host not in hosts:
            hosts.append(host)
    return tuple(hosts)


@dataclass(frozen=True)
class IssuedCert:
    """A leaf certificate issued by a :class:`CertificateAuthority`, written to PEM files.

    No public constructor: get one from :meth:`CertificateAuthority.issue_cert`. The files live in
    the CA's private directory and are removed by :meth:`CertificateAuthority.close`.

    Attributes:
        cert_path: PEM file with the certificate chain (leaf first), e.g. uvicorn's
            ``--ssl-certfile``.
        key_path: PEM file with the private key, e.g. uvicorn's ``--ssl-keyfile``.
        ca_path: PEM file with the CA certificate that clients must trust.
        cert_pem: The contents of ``cert_path``.
        key_pem: The contents of ``key_path``.
    """

    cert_path: str
    key_path: str
    ca_path: str
    cert_pem: bytes
    key_pem: bytes = field(repr=False)  # a private key never shows in a repr


class CertificateAuthority:
    """A private certificate authority for one fake (or one test).

    Everything is created lazily and cached: the leaf certificate and context per host tuple, the
    client context, and the CA file. Thread-safe.

    Args:
        ca: An existing trustme CA to wrap. A new one with an ECDSA key is made when omitted.
    """

    def __init__(self, ca: trustme.CA | None = None) -> None:
        self._ca = ca if ca is not None else trustme.CA()
        self._ca_pem = self._ca.cert_pem.bytes()
        self._lock = threading.Lock()
        self._dir: str | None = None
        self._cleanup: weakref.finalize[[str], CertificateAuthority] | None = None
        self._ca_path: str | None = None
        self._issued = 0
        self._client_context: ssl.SSLContext | None = None
        self._leaves: dict[tuple[str, ...], trustme.LeafCert] = {}
        self._server_contexts: dict[tuple[str, ...], ssl.SSLContext] = {}

    @property
    def ca(self) -> trustme.CA:
        """The wrapped trustme CA."""
        return self._ca

    @property
    def ca_pem(self) -> bytes:
        """The CA certificate in PEM form."""
        return self._ca_pem

    @property
    def ca_path(self) -> str:
        """Path of a PEM file holding the CA certificate, for ``requests(verify=...)`` and friends.

        Written once, on first access, into the CA's private directory.
        """
        with self._lock:
            if self._ca_path is None:
                self._ca_path = self._write_private("ca.pem", self._ca_pem)
            return self._ca_path

    def client_context(self) -> ssl.SSLContext:
        """Return the client context that trusts this CA and nothing else.

        Certificate and host name verification are on. The system trust store is deliberately not
        loaded (it would also be slow: tens of milliseconds). The context is cached; do not change
        it, make your own with :meth:`trustme.CA.configure_trust` if you need other settings.

        Returns:
            A cached ``ssl.SSLContext`` for clients.
        """
        with self._lock:
            if self._client_context is None:
                # cadata given, so create_default_context skips load_default_certs().
                self._client_context = ssl.create_default_context(
                    cadata=self._ca_pem.decode("ascii")
                )
            return self._client_context

    def server_context(self, *hosts: str) -> ssl.SSLContext:
        """Return a server context whose certificate is issued by this CA for ``hosts``.

        Args:
            *hosts: Host names or IP addresses the certificate covers. Defaults to
                ``("localhost", "127.0.0.1")``.

        Returns:
            A cached ``ssl.SSLContext`` (one per distinct host tuple), TLS 1.2 or newer.
        """
        key = hosts or DEFAULT_HOSTS
        with self._lock:
            ctx = self._server_contexts.get(key)
            if ctx is None:
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.minimum_version = ssl.TLSVersion.TLSv1_2
                # Nobody resumes sessions against the fake: skip sending TLS 1.3 tickets.
                ctx.num_tickets = 0
                # The stdlib can only load a key from a file: trustme writes a temporary one.
                self._leaf(key).configure_cert(ctx)
                self._server_contexts[key] = ctx
            return ctx

    def issue_cert(
        self,
        *hosts: str,
        not_before: datetime.datetime | None = None,
        not_after: datetime.datetime | None = None,
    ) -> IssuedCert:
        """Issue a new leaf certificate and write it, its key and the CA to PEM files.

        Use this for bots served by another server (uvicorn, aiohttp, another language). Each call
        makes a new key and new files.

        Args:
            *hosts: Host names or IP addresses. Defaults to ``("localhost", "127.0.0.1")``.
            not_before: Start of validity; trustme's default (now) when omitted.
            not_after: End of validity; trustme's default (far future) when omitted. A date in the
                past gives an expired certificate, handy for negative tests.

        Returns:
            The paths and PEM bytes of the new certificate.

        Raises:
            InvalidArgument: a host no certificate can hold (see :func:`check_cert_host`),
                named as ``hosts[i]``; or more than 100 hosts.
        """
        leaf = self._ca.issue_cert(
            *_checked_hosts(hosts), not_before=not_before, not_after=not_after
        )
        cert_pem = b"".join(blob.bytes() for blob in leaf.cert_chain_pems)
        key_pem = leaf.private_key_pem.bytes()
        ca_path = self.ca_path
        with self._lock:
            self._issued += 1
            stem = f"cert-{self._issued}"
            cert_path = self._write_private(f"{stem}.pem", cert_pem)
            key_path = self._write_private(f"{stem}-key.pem", key_pem)
        return IssuedCert(
            cert_path=cert_path,
            key_path=key_path,
            ca_path=ca_path,
            cert_pem=cert_pem,
            key_pem=key_pem,
        )

    def write_to_dir(self, directory: str | os.PathLike[str], *hosts: str) -> dict[str, str]:
        """Write ``ca.pem``, ``server.pem`` and ``server-key.pem`` into ``directory``.

        The server certificate is the one :meth:`server_context` uses for the same ``hosts``, so a
        client trusting ``ca.pem`` can talk to this fake. Existing files are replaced atomically,
        never written through a symlink; the key file is readable by its owner only, and a
        directory made here is 0700.

        Args:
            directory: An existing directory, or one to create.
            *hosts: The names the written server certificate covers (those of a server started
                with :meth:`server_context` for the same names); :data:`DEFAULT_HOSTS` when
                omitted.

        Returns:
            Paths keyed ``"ca"``, ``"cert"`` and ``"key"``.
        """
        from pathlib import Path  # here: only this method needs it (about 1 ms of import time)

        target = make_private_dir(Path(directory))  # 0700 when made here
        with self._lock:
            leaf = self._leaf(_checked_hosts(hosts))
        files = {
            "ca": (target / "ca.pem", self._ca_pem, 0o644),
            "cert": (
                target / "server.pem",
                b"".join(blob.bytes() for blob in leaf.cert_chain_pems),
                0o644,
            ),
            "key": (target / "server-key.pem", leaf.private_key_pem.bytes(), 0o600),
        }
        for path, data, mode in files.values():
            _write_file(str(path), data, mode)
        return {name: str(path) for name, (path, _, _) in files.items()}

    def close(self) -> None:
        """Remove the private directory and every file written into it. Safe to call twice."""
        with self._lock:
            if self._cleanup is not None:
                self._cleanup()
            self._cleanup = None
            self._dir = None
            self._ca_path = None

    def __enter__(self) -> CertificateAuthority:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _leaf(self, hosts: tuple[str, ...]) -> trustme.LeafCert:
        # Caller holds self._lock.
        leaf = self._leaves.get(hosts)
        if leaf is None:
            leaf = self._leaves[hosts] = self._ca.issue_cert(*hosts)
        return leaf

    def _write_private(self, name: str, data: bytes) -> str:
        # Caller holds self._lock.
        if self._dir is None:
            self._dir = tempfile.mkdtemp(prefix="pyrus-mock-tls-")
            # A safety net if close() is never called; not __del__, see style.md section 4.
            self._cleanup = weakref.finalize(self, _remove_tree, self._dir)
        path = os.path.join(self._dir, name)
        _write_file(path, data, 0o600)
        return path


def _remove_tree(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _write_file(path: str, data: bytes, mode: int) -> None:
    write_atomic(path, data, mode)  # never through a symlink planted at ``path``
