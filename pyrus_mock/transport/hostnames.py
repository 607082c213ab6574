"""Which names a server certificate of the fake may cover: checked before trustme sees them.

Accepted: IPv4 and IPv6 literals (without brackets or a ``%zone``), DNS names of at most 253
characters with labels of 1 to 63 characters (``localhost`` included; internationalised names
are IDNA-encoded, the way trustme writes them), and a wildcard only as the whole first label
of a DNS name (``*.example.test``). Everything else (empty names, spaces, control characters,
``_``, ``a.*.test``, ``x*.test``, names IDNA cannot encode, bracketed IPv6) is refused with
an :class:`~pyrus_mock.domain.errors.InvalidArgument` that names the host and says what to give.
"""

from __future__ import annotations

import ipaddress

from ..domain.errors import InvalidArgument

__all__ = ["ALLOWED_HOSTS", "MAX_HOSTS", "check_host"]

MAX_HOSTS = 100
"""The most names one certificate request may list."""

ALLOWED_HOSTS = (
    "a DNS name such as 'bot.example.test' or 'localhost' (at most 253 characters, labels of "
    "1 to 63 letters, digits or '-'), a wildcard only as the whole first label "
    "('*.example.test'), or an IPv4/IPv6 address without brackets ('127.0.0.1', '::1')"
)
_MAX_NAME = 253
_MAX_LABEL = 63


def check_host(name: object, argument: str = "hosts", hint: str = "") -> str:
    """``name`` if a server certificate can cover it, else :class:`InvalidArgument`.

    Args:
        name: the host name or IP address to check.
        argument: how the error names the input (``hosts[2]``, ``cert_hosts``).
        hint: appended to the list of what is allowed (``(--cert-host NAME)``).

    Raises:
        InvalidArgument: the message names ``argument``, quotes the host, says why it cannot
            go into a certificate and lists what can.
    """
    allowed = f"{ALLOWED_HOSTS} {hint}".rstrip()
    if not isinstance(name, str):
        raise InvalidArgument(argument, f"{name!r} is not a string", allowed)
    problem = _problem(name)
    if problem:
        shown = name if len(name) <= 80 else name[:80] + "\u2026"
        raise InvalidArgument(
            argument, f"{shown!r} cannot go into a server certificate ({problem})", allowed
        )
    return name


def _problem(name: str) -> str:
    """Why ``name`` is no certificate host, or ``""`` when it is one."""
    if not name:
        return "it is empty"
    if len(name) > 4 * _MAX_NAME:  # no point encoding megabytes
        return f"it is {len(name)} characters long, the limit is {_MAX_NAME}"
    for index, char in enumerate(name):
        if not char.isprintable() or char.isspace():
            return f"control character or space {char!r} at position {index}"
    if name.startswith("[") or "%" in name:
        bare = name.strip("[]").split("%")[0]
        return f"give the IP address alone, without brackets or a zone, e.g. {bare!r}"
    try:
        ipaddress.ip_address(name)
        return ""
    except ValueError:
        pass
    dns = name[2:] if name.startswith("*.") else name
    if "*" in dns:
        return "a wildcard may only be the whole first label, as in '*.example.test'"
    if dns != name:
        try:
            ipaddress.ip_address(dns)
            return "a wildcard cannot precede an IP address"
        except ValueError:
            pass
    problem = _length_problem(name.encode("utf-8"))
    if problem:
        return problem
    import idna  # trustme's own dependency, which it encodes names with

    try:
        encoded = idna.encode(dns, uts46=True)
    except (idna.IDNAError, UnicodeError, ValueError) as exc:
        return f"not a valid DNS name: {exc}"
    return _length_problem(name.encode("utf-8")[: len(name) - len(dns)] + encoded)


def _length_problem(name: bytes) -> str:
    """Why ``name`` (the bytes of a name, IDNA-encoded or not) is too long, or ``""``."""
    name = name.rstrip(b".")
    if len(name) > _MAX_NAME:
        return f"it is {len(name)} characters long (IDNA-encoded), longer than {_MAX_NAME}"
    for label in name.split(b"."):
        if len(label) > _MAX_LABEL:
            shown = label[:20].decode("utf-8", "replace")
            return f"the label {shown!r}... is longer than {_MAX_LABEL} characters"
    return ""
