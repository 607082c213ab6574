"""The official Python client (``pyrus-api``) against a :func:`make_world` fake, by
interception or over the real HTTPS server: the ``world`` fixture runs each test both ways
(import it into a test module), and :func:`official` logs a client in as someone of the world.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pyrus import client

from ._api_helpers import World, make_world


@pytest.fixture(params=["intercept", "https"])
def world(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A fresh world reached by interception or over the real HTTPS server."""
    world = make_world()
    mock = world.mock
    try:
        if request.param == "intercept":
            with mock.intercept():
                yield world
        else:
            mock.start()
            monkeypatch.setenv("REQUESTS_CA_BUNDLE", mock.ca_path)
            yield world
            mock.server.raise_errors()
    finally:
        mock.close()
    world.app.raise_errors()


def official(world: World, who: str = "bot") -> client.PyrusAPI:
    """The official client logged in as the bot or a user (``author``, ``supervisor``, ...)."""
    if who == "bot":
        api = client.PyrusAPI(login=world.bot.login, security_key=world.bot.security_key)
    else:
        person = getattr(world, who)
        api = client.PyrusAPI(
            login=person.email, security_key=world.mock._backend.user_key(person.id)
        )
    if world.mock._server is not None:  # the https transport: point the client at the server
        host = world.mock.base_url.removeprefix("https://")
        api._host, api._auth_host, api._files_host = host, host + "/api", host
    return api
