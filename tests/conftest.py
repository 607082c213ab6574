"""Shared fixtures: ``pytester`` and ``suite`` (a pytester directory with the test bots), used by
the plugin and strict-mode tests."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

# Imported here, in the outer process, so that in-process pytester runs find them imported:
# pytester drops the modules a run imported, so each run would import (and assertion-rewrite,
# for plugin distributions) them again, costing seconds; and cryptography's Rust core rejects
# key types from a second import of its modules ("curve must be an EllipticCurve instance").
import trustme  # noqa: F401

from . import _bots

pytest_plugins = ["pytester"]

for _optional in ("hypothesis", "uvicorn"):
    with contextlib.suppress(ImportError):
        __import__(_optional)


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester directory with the test bots importable as ``bots``."""
    pytester.makepyfile(bots=Path(_bots.__file__).read_text())
    return pytester
