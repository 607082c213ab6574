"""What the fake serves of the Pyrus API and what it does not: :data:`NOT_IMPLEMENTED`
(contract §7.1), the 404's hint (:func:`unimplemented`), and ``COVERAGE.md``
(:func:`coverage_markdown`; ``python scripts/coverage.py`` writes it, a test checks it is
current)."""

from __future__ import annotations

import re

from .routes import ENDPOINTS

__all__ = ["NOT_IMPLEMENTED", "coverage_markdown", "unimplemented"]

#: Pyrus endpoints the fake does not serve (contract §7.1), as ``(method, path, client)``.
NOT_IMPLEMENTED: tuple[tuple[str, str, str], ...] = (
    ("DELETE", "/tasks/{id}", "AIO"),
    ("GET", "/tasks/{id}/print_forms/{print_form_id}", "AIO"),
)


def unimplemented(method: str, path: str) -> str | None:
    """The :data:`NOT_IMPLEMENTED` entry ``path`` (below the prefix) falls under, as
    ``"GET /announcements/{id} (PY get_announcement)"``; None for a path Pyrus does not have
    (a typo), so the 404 can tell the two apart."""
    for methods, pattern, client in NOT_IMPLEMENTED:
        if method not in methods.split("|"):
            continue
        for alternative in pattern.split(", "):
            shape = alternative.split(" ")[0]  # "/forms/{id}/register with format=csv"
            if shape != alternative or shape.startswith("..."):
                continue
            regex = re.escape(shape.rstrip("./")).replace(re.escape("{id}"), "[^/]+")
            regex = regex.replace(re.escape("{print_form_id}"), "[^/]+")
            tail = "(?:/.*)?" if shape.endswith("...") else "/?"
            if re.fullmatch(regex + tail, path):
                return f"{methods} {pattern} ({client})"
    return None


def coverage_markdown() -> str:
    """The text of ``COVERAGE.md``."""
    lines = [
        "# Pyrus API v4 coverage of pyrus-mock",
        "",
        "Generated from `pyrus_mock/api/routes.py` by `python scripts/coverage.py`; "
        "do not edit by hand.",
        "",
        "Every API path answers under `/v4/...` and `/api/v4/...`; some also without a prefix "
        '(column *Prefixes*). Every reply is JSON `{"error_code", "error"}` on failure '
        "(file downloads excepted on success) and carries `X-RateLimit-*` headers. An unknown "
        "route answers 404 listing these routes, a known route with the wrong method 405.",
        "",
        "## Implemented",
        "",
        "| Method | Path | Prefixes | Notes |",
        "|---|---|---|---|",
    ]
    for ep in ENDPOINTS:
        prefixes = ", ".join(f"`{p}`" if p else "none" for p in ep.prefixes)
        lines.append(
            f"| {'&#124;'.join(ep.methods)} | `{ep.display_path}` | {prefixes} | {ep.notes} |"
        )
    lines += [
        "",
        "## Not implemented",
        "",
        "Known Pyrus endpoints (contract §7.1) the fake does not serve: they answer 404.",
        "",
        "| Method | Path | Used by |",
        "|---|---|---|",
    ]
    for method, path, client in NOT_IMPLEMENTED:
        lines.append(f"| {method.replace('|', '&#124;')} | `{path}` | {client} |")
    return "\n".join(lines) + "\n"
