"""Authentication: ``POST /auth`` and the Bearer token on every other call (contract §3, D7-D9).

The only module of the API that knows about tokens. The rules themselves (which token is
valid, expired, revoked, blocked) live in
:meth:`pyrus_mock.state.backend.PyrusBackend.resolve_token`
and :meth:`~pyrus_mock.state.backend.PyrusBackend.login`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request

from . import body
from .errors import ApiError

if TYPE_CHECKING:
    from ..domain.model import Person, Token
    from ..state.backend import PyrusBackend
    from .call import Call

__all__ = ["PYRUS_HOSTS", "authenticate", "bearer_token", "login", "origins"]

#: The real Pyrus host names; under interception requests arrive on these.
PYRUS_HOSTS = frozenset({"api.pyrus.com", "accounts.pyrus.com", "files.pyrus.com"})

_CLOUD_ORIGINS = ("https://api.pyrus.com/v4/", "https://files.pyrus.com/")


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    header = request.headers.get("Authorization")
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def authenticate(backend: PyrusBackend, request: Request) -> tuple[Person, Token]:
    """The caller, or the 401 :class:`ApiError` Pyrus answers (D9)."""
    value = bearer_token(request)
    with backend.lock:
        return backend.accounts.resolve_token(value)


_VALID_HOST = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


def origins(request: Request) -> tuple[str, str]:
    """``(api_url, files_url)`` pointing back at the host the request arrived on (D12).

    Requests that arrived on a real Pyrus host name (interception) get the real cloud URLs,
    ``https://api.pyrus.com/v4/`` and ``https://files.pyrus.com/``, as Pyrus answers them.
    """
    host = request.host
    if not _VALID_HOST.fullmatch(host):  # empty or forged Host: use the address it came to
        environ = request.environ
        server, port = environ.get("SERVER_NAME") or "127.0.0.1", environ.get("SERVER_PORT")
        host = f"{server}:{port}" if port else str(server)
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if name.lower() in PYRUS_HOSTS:
        return _CLOUD_ORIGINS
    base = f"{request.scheme}://{host}"
    return base + "/v4/", base + "/"


def login(call: Call) -> dict[str, Any]:
    """``POST /auth``: ``{login, security_key, person_id?}`` to ``{access_token, api_url,
    files_url}``; 401 ``invalid_credentials`` or ``account_blocked`` otherwise."""
    data = call.json()
    user = body.get_str(data, "login")
    key = body.get_str(data, "security_key")
    person_id: Any = data.get("person_id")
    # The example in the docs sends a number, the TypeScript client a string.
    if person_id is not None and (
        isinstance(person_id, bool) or not isinstance(person_id, (int, str))
    ):
        raise ApiError(
            "invalid_json", f"/person_id must be an integer, got {body.type_name(person_id)}"
        )
    if not user or not key:
        raise ApiError("invalid_credentials", "Invalid login/security key.")
    backend = call.backend
    token = backend.accounts.login(user, key, person_id)
    call.token = token
    call.person = backend.find_person(token.person_id)
    return {"access_token": token.value, "api_url": call.api_url, "files_url": call.files_url}
