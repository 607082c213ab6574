"""A real headless Chromium for the dashboard tests, trusting the fake's CA (and only it).

Chromium comes from the OS packages (``/usr/bin/chromium``, or ``$PYRUS_MOCK_CHROMIUM``) and is
driven by Playwright with ``executable_path`` (Playwright's own browser downloads are never
used). The fake's CA goes into a fresh NSS database in a temporary ``HOME``, so the browser
verifies the dashboard's certificate like any other: TLS verification stays on. When Chromium,
NSS's ``certutil`` or Playwright is missing, :func:`browser_or_skip` skips with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

#: Where screenshots go (gitignored); ``$PYRUS_MOCK_ARTIFACTS`` changes it.
ARTIFACTS = Path(os.environ.get("PYRUS_MOCK_ARTIFACTS") or Path(__file__).parents[1] / "artifacts")


def _missing() -> str | None:
    chromium = os.environ.get("PYRUS_MOCK_CHROMIUM", "/usr/bin/chromium")
    if not os.access(chromium, os.X_OK):
        return (
            f"no Chromium at {chromium} (install the OS package: apt-get install chromium, "
            "or point PYRUS_MOCK_CHROMIUM at one)"
        )
    if shutil.which("certutil") is None:
        return "no certutil to trust the fake's CA in Chromium (apt-get install libnss3-tools)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[ui-test]')"
    return None


def trusting_home(home: Path, ca_pem_path: str) -> Path:
    """Make ``home/.pki/nssdb`` trust the PEM CA at ``ca_pem_path`` (Chromium's store on Linux)."""
    db = home / ".pki" / "nssdb"
    db.mkdir(parents=True)
    run = {"check": True, "capture_output": True, "timeout": 60}
    subprocess.run(["certutil", "-d", f"sql:{db}", "-N", "--empty-password"], **run)
    subprocess.run(
        ["certutil", "-d", f"sql:{db}", "-A", "-n", "pyrus-mock CA", "-t", "C,,", "-i",
         ca_pem_path],
        **run,
    )  # fmt: skip
    return home


@contextmanager
def browser_or_skip(home: Path) -> Iterator[Any]:
    """A headless Chromium whose ``HOME`` is ``home``; skips the test when none can run."""
    reason = _missing()
    if reason is not None:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("PYRUS_MOCK_CHROMIUM", "/usr/bin/chromium"),
            args=CHROMIUM_ARGS,
            env={**os.environ, "HOME": str(home)},
            timeout=60_000,
        )
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot of ``page`` as ``artifacts/NAME.png``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
