"""What the fake verifies bot certificates against (the ``trust`` of
:class:`~pyrus_mock.mock.fake.PyrusMock`, D4): checking a ``trust`` value when it is given, and
resolving it to the client ``SSLContext`` deliveries use. Verification is never switched off.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..domain.errors import InvalidArgument

if TYPE_CHECKING:
    from ..transport.tls import CertificateAuthority

__all__ = ["checked_trust", "trust_context"]


def checked_trust(trust: object) -> ssl.SSLContext | None:
    """Refuse a ``trust`` the fake cannot use, when the fake is made rather than at the first
    delivery (where the failure would look like the bot's); load a path's context now.

    Returns:
        the context for a CA path or a given context; None for "fake_ca" and "system".

    Raises:
        InvalidArgument: an unknown value, an unreadable CA file, or a context that does not
            verify certificates and host names (D4: verification is never switched off).
    """
    allowed = '"fake_ca", "system", a CA PEM path, or an ssl.SSLContext that verifies'
    if isinstance(trust, ssl.SSLContext):
        if trust.verify_mode != ssl.CERT_REQUIRED or not trust.check_hostname:
            raise InvalidArgument(
                "trust",
                "the SSLContext does not verify bot certificates (verify_mode "
                f"{trust.verify_mode.name}, check_hostname {trust.check_hostname}); Pyrus "
                "always checks the chain and the host name (D4), and so does the fake: use "
                "ssl.create_default_context(cafile=...) for your CA",
                allowed,
            )
        return trust
    if trust in ("fake_ca", "system"):
        return None
    if not isinstance(trust, str):
        raise InvalidArgument("trust", f"{trust!r} is not a string or an SSLContext", allowed)
    try:
        return ssl.create_default_context(cafile=trust)
    except (OSError, ssl.SSLError) as exc:
        hint = ""
        if not os.path.exists(trust):
            import difflib

            close = difflib.get_close_matches(trust, ["fake_ca", "system"], n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InvalidArgument(
            "trust", f"cannot load CA certificates from {trust!r}{hint}: {exc}", allowed
        ) from exc


def trust_context(trust: object, ca: Callable[[], CertificateAuthority]) -> ssl.SSLContext:
    """The client context for one of the two named stores, which :func:`checked_trust` leaves
    unresolved: the system store for ``"system"``, else the fake's CA (``ca()``, called only
    then, so that a fake trusting the system never creates a CA).
    """
    if trust == "system":
        return ssl.create_default_context()
    return ca().client_context()
