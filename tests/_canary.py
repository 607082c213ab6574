"""Records every secret the fake makes (keys, tokens, signatures) for the canary scans.

Used in-process by ``test_secrets_canary.py`` and, through a generated ``conftest.py``, in the
pytest session it runs in a subprocess.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

from pyrus_mock.delivery import dispatch as delivery
from pyrus_mock.domain.accounts import Token
from pyrus_mock.state.accounts import Accounts


class Recorder:
    """Wraps the fake's secret makers; ``secrets`` holds everything they returned."""

    def __init__(self) -> None:
        self.secrets: set[str] = set()

    def install(self, monkeypatch: pytest.MonkeyPatch) -> Recorder:
        new_key: Callable[[], str] = Accounts.new_key
        issue: Callable[[Any, int], Token] = Accounts.issue_token
        sign: Callable[..., str] = delivery.sign

        def recorded_key() -> str:
            return self._keep(new_key())

        def recorded_token(backend: Any, person_id: int) -> Token:
            token = issue(backend, person_id)
            self._keep(token.value)
            return token

        def recorded_sign(*args: Any, **kwargs: Any) -> str:
            if args:
                self._keep(args[0])  # the key signed with, given by the user or not
            return self._keep(sign(*args, **kwargs))

        monkeypatch.setattr(Accounts, "new_key", staticmethod(recorded_key))
        monkeypatch.setattr(Accounts, "issue_token", recorded_token)
        monkeypatch.setattr(delivery, "sign", recorded_sign)
        return self

    def add(self, values: Iterable[str]) -> None:
        for value in values:
            self._keep(value)

    def _keep(self, value: str) -> str:
        if value:
            self.secrets.add(value)
        return value


PREFIX = 12
"""A secret's first this many characters are a leak too (a shortened value cut after them)."""


def echo_token(payload: dict[str, Any]) -> dict[str, Any]:
    """A bad bot's reply quoting its ``access_token`` in values and as an unknown key: the
    violations about it quote the token (whole, or cut short)."""
    token = payload["access_token"]
    return {"reassign_to": {"email": token}, "approval_choice": token, "bogus_" + token: 1}


def leaks(text: str, secrets: Iterable[str]) -> list[str]:
    """The secrets (at least 12 characters: shorter ones are no real keys) found in ``text``
    whole or by their first :data:`PREFIX` characters, each shown masked."""
    return sorted(
        f"…{s[-4:]} ({len(s)} chars)" for s in secrets if len(s) >= PREFIX and s[:PREFIX] in text
    )
