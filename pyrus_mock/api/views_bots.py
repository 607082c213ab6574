"""Bots management (contract §1.4): ``GET|POST /bots``, ``PUT|DELETE /bots/{id}``.

Only persons with the Configuration manager right (the ``MANAGE_INTEGRATIONS_AND_CATALOGS``
bit) may call these; others get 403 ``access_denied``.

``POST /bots`` answers the Bot fields at the top level **plus** ``security_key``: no client
models it (contract §10.16), but whoever creates a bot through the API must learn its key
somehow, and an extra member is harmless to every client. The other replies never carry a key.
"""

from __future__ import annotations

from typing import Any

from ..domain.errors import BotLimitReached, InvalidArgument, UnknownEntity
from ..domain.model import BotAccount, Rights
from ..state import serialize
from . import body
from ._admin import check_receiver
from .call import Call
from .errors import ApiError

__all__ = ["create_bot", "delete_bot", "get_bots", "update_bot"]


def _require_manager(call: Call) -> None:
    if not call.me.rights & Rights.MANAGE_INTEGRATIONS_AND_CATALOGS:
        raise ApiError(
            "access_denied",
            "managing bots needs the Configuration manager right "
            "(Rights.MANAGE_INTEGRATIONS_AND_CATALOGS)",
        )


def _bot_json(call: Call, bot: BotAccount) -> dict[str, Any]:
    person = call.backend.person(bot.person_id)
    omit = call.backend.settings.omit_empty_bot_settings
    return serialize.bot(bot, person, omit_empty_bot_settings=omit)


def _invalid(exc: InvalidArgument) -> ApiError:
    return ApiError("invalid_value_format", str(exc))


def get_bots(call: Call) -> dict[str, Any]:
    """``GET /bots[?include_fired=True]``: ``{"bots": [Bot]}`` (deleted bots only on request)."""
    _require_manager(call)
    fired = body.query_bool(call.arg("include_fired"), "include_fired")
    with call.backend.lock:
        return {
            "bots": [_bot_json(call, b) for b in call.backend.accounts.bots(include_fired=fired)]
        }


def create_bot(call: Call) -> dict[str, Any]:
    """``POST /bots`` ``{name, hook_url?, external_id?}``: the Bot plus its ``security_key``."""
    _require_manager(call)
    data = call.json()
    name = body.get_str(data, "name")
    hook_url = body.get_str(data, "hook_url") or ""
    external_id = body.get_str(data, "external_id") or ""
    if not name or not name.strip():
        raise ApiError("invalid_value_format", "/name: a bot needs a non-empty name")
    try:
        bot = call.backend.accounts.create_bot(name, hook_url, external_id=external_id)
    except InvalidArgument as exc:
        raise _invalid(exc) from None
    except BotLimitReached as exc:
        raise ApiError("limit_exceeded", str(exc)) from None
    with call.backend.lock:
        data = _bot_json(call, bot)
        data["security_key"] = bot.security_key
        return data


_INT32 = (-(2**31), 2**31 - 1)

_UPDATE_TYPES: dict[str, type] = {
    "name": str,
    "hook_url": str,
    "is_enabled": bool,
    "bot_settings": str,
    "description": str,
    "rights": int,
    "send_only_last_comment": bool,
    "locale": str,
    "time_zone_offset": int,
    "external_id": str,
}


def update_bot(call: Call, bot_id: int) -> dict[str, Any]:
    """``PUT /bots/{id}``: change any of ``name, hook_url, is_enabled, bot_settings,
    description, rights, send_only_last_comment, locale, time_zone_offset``."""
    _require_manager(call)
    data = call.json()
    changes: dict[str, Any] = {}
    for key, value in data.items():
        expected = _UPDATE_TYPES.get(key)
        if expected is None or value is None:
            continue  # Pyrus ignores members it does not know; null means "unchanged"
        wrong_int = expected is int and isinstance(value, bool)
        if wrong_int or not isinstance(value, expected):
            raise ApiError(
                "invalid_json",
                f"/{key} must be {'an integer' if expected is int else expected.__name__}, "
                f"got {body.type_name(value)}",
            )
        if isinstance(value, int) and not _INT32[0] <= value <= _INT32[1]:  # C# reads int32
            raise ApiError("invalid_json", f"/{key}: {value} is outside the 32-bit integer range")
        changes[key] = value
    try:
        bot = call.backend.accounts.update_bot(bot_id, **changes)
    except UnknownEntity:
        raise ApiError("invalid_person_id", f"no bot has the id {bot_id}") from None
    except InvalidArgument as exc:
        raise _invalid(exc) from None
    with call.backend.lock:
        return _bot_json(call, bot)


def delete_bot(call: Call, bot_id: int) -> dict[str, Any]:
    """``DELETE /bots/{id}`` ``{task_receiver_id?}``: the bot's person is fired (D8).

    With ``task_receiver_id`` (an active user or bot) the bot's open tasks go to that person:
    responsible, waiting approvals on current and later steps, a participant, one comment per
    task (:mod:`pyrus_mock.engine.handover`). Absent or ``0``: the tasks stay with the bot.
    """
    _require_manager(call)
    data = call.json(required=False)
    receiver = body.get_int(data, "task_receiver_id")
    backend = call.backend
    with backend.lock:
        if backend.accounts.find_bot(bot_id) is None:
            raise ApiError("invalid_person_id", f"no bot has the id {bot_id}")
        if receiver:  # the C# client sends 0 for "nobody"
            check_receiver(call, receiver, bot_id, "/task_receiver_id")
        backend.accounts.delete_bot(bot_id)
        events = backend.hand_over_tasks(backend.person(bot_id), receiver, call.me.id)
        reply = _bot_json(call, backend.accounts.bot(bot_id))
    backend.announce(events)
    return reply
