"""Rendering the dashboard: the Jinja2 templates (package data) and JSON shown with its paths.

:func:`page` renders a template into an HTML response; :func:`json_html` shows a JSON value as
indented text whose every member carries its JSON pointer (``data-path``), the members that
violations point at marked ``class="bad"``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from markupsafe import Markup, escape
from werkzeug.wrappers import Response

__all__ = ["environment", "json_html", "marked_paths", "page"]


@lru_cache(maxsize=1)
def environment() -> Any:
    """The Jinja2 environment over ``pyrus_mock/control/dashboard/templates`` (autoescaped)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pyrus_mock.control.dashboard", "templates"),
        autoescape=True,
        undefined=jinja2.ChainableUndefined,  # pruned JSON: absent members are empty
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["json_html"] = json_html
    env.filters["pretty"] = lambda value: json.dumps(value, ensure_ascii=False, indent=2)
    return env


def page(template: str, status: int = 200, **context: Any) -> Response:
    """``template`` rendered with ``context`` as an HTML response that is never cached."""
    html = environment().get_template(template).render(**context)
    response = Response(html, status, content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
    )
    return response


def _pointer_parts(pointer: str) -> list[str]:
    if not pointer:
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]


def _escape_part(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def marked_paths(value: Any, pointers: Iterable[str]) -> set[str]:
    """For each JSON pointer, the deepest member of ``value`` it reaches (``""`` the root)."""
    marked: set[str] = set()
    for pointer in pointers:
        node, reached = value, ""
        for part in _pointer_parts(pointer):
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                break
            reached += "/" + _escape_part(part)
        marked.add(reached)
    return marked


def json_html(value: Any, bad: Iterable[str] = ()) -> Markup:
    """``value`` as indented JSON in HTML; members at the pointers in ``bad`` are highlighted."""
    marks = marked_paths(value, bad)
    out: list[str] = []
    _emit(value, "", 0, None, marks, out, last=True)
    return Markup('<pre class="json">' + "".join(out) + "</pre>")


def _emit(
    value: Any, path: str, depth: int, key: str | None, marks: set[str], out: list[str], last: bool
) -> None:
    pad = "  " * depth
    label = ""
    if key is not None:
        label = f'<span class="key">{escape(json.dumps(key, ensure_ascii=False))}</span>: '

    comma = "" if last else ","
    css = "jl bad" if path in marks else "jl"
    open_tag = f'<span class="{css}" data-path="{escape(path)}">'
    if isinstance(value, dict) and value:
        out.append(f"{open_tag}{pad}{label}{{\n")
        items = list(value.items())
        for index, (k, v) in enumerate(items):
            child = f"{path}/{_escape_part(str(k))}"
            _emit(v, child, depth + 1, str(k), marks, out, index == len(items) - 1)
        out.append(f"{pad}}}{comma}\n</span>")
    elif isinstance(value, list) and value:
        out.append(f"{open_tag}{pad}{label}[\n")
        for index, v in enumerate(value):
            _emit(v, f"{path}/{index}", depth + 1, None, marks, out, index == len(value) - 1)
        out.append(f"{pad}]{comma}\n</span>")
    else:
        text = escape(json.dumps(value, ensure_ascii=False))
        out.append(f'{open_tag}{pad}{label}<span class="val">{text}</span>{comma}\n</span>')
