"""One endpoint of the route table (:class:`Endpoint`), the werkzeug rules it becomes
(:func:`build_map`), and the API
prefixes; no views here, so that anything may describe the table (:mod:`pyrus_mock.api.openapi`)
without importing it (:func:`pyrus_mock.api.app.default_map` builds the table's)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.routing import Map, Rule

from .call import View

__all__ = [
    "API_PREFIXES",
    "Endpoint",
    "EndpointRule",
    "build_map",
    "route_summary",
    "split_prefix",
]

#: Where API endpoints answer (D12): the cloud form ``/v4/...`` and the on-premise ``/api/v4/``.
API_PREFIXES = ("/v4", "/api/v4")
_ANY_PREFIX = ("", *API_PREFIXES)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One implemented Pyrus endpoint.

    Attributes:
        methods: HTTP methods (``HEAD`` is added to ``GET`` by werkzeug).
        path: werkzeug rule syntax below the prefix, e.g. ``/tasks/<int:task_id>``.
        view: the view callable, ``view(call, **url_arguments)``.
        notes: what is implemented, for ``COVERAGE.md``.
        prefixes: the prefixes the path answers under.
        public: no Bearer token needed (``/auth`` only).
        upload: the body limit is ``max_upload_bytes`` instead of ``max_request_bytes``.
        raw: the reply is file bytes, not JSON.
    """

    methods: tuple[str, ...]
    path: str
    view: View
    notes: str
    prefixes: tuple[str, ...] = API_PREFIXES
    public: bool = False
    upload: bool = False
    raw: bool = False

    @property
    def display_path(self) -> str:
        """The path with ``{name}`` placeholders: ``/tasks/{task_id}``."""
        return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", self.path)

    @property
    def label(self) -> str:
        """``GET|POST /forms/{form_id}/register``."""
        return f"{'|'.join(self.methods)} {self.display_path}"


class EndpointRule(Rule):
    """A werkzeug ``Rule`` that also carries its :class:`Endpoint` (``rule.spec``)."""

    def __init__(self, string: str, *, spec: Endpoint) -> None:
        super().__init__(string, methods=list(spec.methods), endpoint=spec.view)
        self.spec = spec

    def get_empty_kwargs(self) -> dict[str, Any]:
        """Keep ``spec`` when werkzeug copies the rule."""
        return {**super().get_empty_kwargs(), "spec": self.spec}


def build_map(endpoints: Iterable[Endpoint], extra: Iterable[Rule] = ()) -> Map:
    """A werkzeug ``Map`` of every endpoint (paths below the prefix; see :func:`split_prefix`).

    Trailing slashes are accepted everywhere (``/auth/`` as the docs' curl sends it), and no
    rule ever answers a redirect.

    Args:
        endpoints: the API endpoints.
        extra: more rules in the same table.
    """
    # One rule per endpoint: the prefix is split off before matching (:func:`split_prefix`) and
    # checked against the endpoint's prefixes afterwards, so the table is a third the size.
    rules: list[Rule] = [EndpointRule(ep.path, spec=ep) for ep in endpoints]
    rules.extend(extra)
    return Map(rules, strict_slashes=False, merge_slashes=False, redirect_defaults=False)


def split_prefix(path: str) -> tuple[str, str]:
    """``("/v4", "/tasks/1")`` for ``/v4/tasks/1``; ``("", path)`` when no API prefix leads it."""
    for prefix in _LONGEST_FIRST:
        if path.startswith(prefix) and (len(path) == len(prefix) or path[len(prefix)] == "/"):
            return prefix, path[len(prefix) :] or "/"
    return "", path


_LONGEST_FIRST = sorted(API_PREFIXES, key=len, reverse=True)


def route_summary(endpoints: Iterable[Endpoint]) -> str:
    """One line listing the implemented routes, for the 404 message (style §2 item 6)."""
    table = tuple(endpoints)
    api = [ep.label for ep in table if ep.prefixes == API_PREFIXES]
    other = [
        f"{ep.label} (under {', '.join(p or 'no prefix' for p in ep.prefixes)})"
        for ep in table
        if ep.prefixes != API_PREFIXES
    ]
    return (
        "implemented routes, under /v4 or /api/v4: " + ", ".join(api) + "; also " + ", ".join(other)
    )
