"""The official Python client (``pyrus-api``) against a :func:`make_world` fake, by
interception or over the real HTTPS server: the ``world`` fixture runs each test both ways
(import it into a test module), and :func:`official` logs a client in as someone of the world.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from pyrus import client

from ._api_helpers import World, make_world


@contextmanager
def reached_world(transport: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A fresh world reached by interception (``"intercept"``) or over the real HTTPS server
    (``"https"``); on the way out, errors its servers kept are raised."""
    world = make_world()
    mock = world.mock
    try:
        if transport == "intercept":
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


@pytest.fixture(params=["intercept", "https"])
def world(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A fresh world reached by interception or over the real HTTPS server."""
    with reached_world(request.param, monkeypatch) as reached:
        yield reached


def client_for(world: World, login: str, key: str) -> client.PyrusAPI:
    """The official client for ``login``; over HTTPS it is pointed at the fake's server."""
    api = client.PyrusAPI(login=login, security_key=key)
    if world.mock._server is not None:  # the https transport: point the client at the server
        host = world.mock.base_url.removeprefix("https://")
        api._host, api._auth_host, api._files_host = host, host + "/api", host
    return api


def official(world: World, who: str = "bot") -> client.PyrusAPI:
    """The official client logged in as the bot or a user (``author``, ``supervisor``, ...)."""
    if who == "bot":
        return client_for(world, world.bot.login, world.bot.security_key)
    person = getattr(world, who)
    return client_for(world, person.email, world.mock._backend.user_key(person.id))
