"""Write ``COVERAGE.md`` from the API route table, or check that it is current.

Usage::

    python scripts/coverage.py           # rewrite COVERAGE.md
    python scripts/coverage.py --check   # exit 1 when COVERAGE.md is out of date

The text comes from :func:`pyrus_mock.api.coverage.coverage_markdown`: the implemented endpoints
of :data:`~pyrus_mock.api.routes.ENDPOINTS` and the known Pyrus endpoints of
:data:`~pyrus_mock.api.coverage.NOT_IMPLEMENTED`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pyrus_mock.api.coverage import coverage_markdown

COVERAGE = Path(__file__).resolve().parent.parent / "COVERAGE.md"


def main(argv: list[str] | None = None, path: Path = COVERAGE) -> int:
    """Write (or with ``--check``, verify) ``path``; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when the file is stale")
    args = parser.parse_args(argv)
    text = coverage_markdown()
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(f"{path.name} is out of date; run: python scripts/coverage.py", file=sys.stderr)
            return 1
        print(f"{path.name} is up to date")
        return 0
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
