"""The README's Python code type-checks with ``mypy --strict`` against this package.

Each ```python block of README.md becomes a module; the "Testing your bot" bot becomes
``flask_bot.py`` (the test block imports it). Names a fragment takes from the reader's own code
(``app``, ``my_wsgi_app``: their WSGI bot; ``MY_BOT_KEY``: its key) are declared in front of it.
Skipped when mypy is not installed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy.api")

ROOT = Path(__file__).resolve().parent.parent
_FREE_NAMES = "from typing import Any\n\napp: Any\nmy_wsgi_app: Any\nMY_BOT_KEY: str\n\n"


def _readme_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)


def _write_modules(where: Path) -> list[Path]:
    files = []
    for n, block in enumerate(_readme_blocks()):
        if "def create_app" in block:
            path, text = where / "flask_bot.py", block
        else:
            path, text = where / f"readme_block_{n}.py", _FREE_NAMES + block
        path.write_text(text, encoding="utf-8")
        files.append(path)
    return files


def _mypy(files: list[Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MYPYPATH": str(ROOT)}  # this checkout's pyrus_mock, not an install
    cache = ROOT / ".mypy_cache" / "readme"
    config = cwd / "mypy.ini"
    config.write_text("[mypy]\n", encoding="utf-8")  # not the project's settings
    # The official client ("from pyrus import client") ships no types: the reader's concern.
    cmd = [sys.executable, "-m", "mypy", "--strict", "--config-file", str(config)]
    cmd += ["--disable-error-code", "import-untyped"]
    cmd += ["--cache-dir", str(cache), "--python-version", "3.10", *map(str, files)]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def test_readme_has_python_blocks() -> None:
    blocks = _readme_blocks()
    assert len(blocks) >= 3
    assert any("fake.clock.advance(61)" in b for b in blocks)


def test_readme_code_passes_mypy_strict(tmp_path: Path) -> None:
    files = _write_modules(tmp_path)
    result = _mypy(files, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_check_finds_a_type_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from pyrus_mock import PyrusMock\n\nPyrusMock().clock.advance('61 seconds')\n",
        encoding="utf-8",
    )
    result = _mypy([bad], tmp_path)
    assert result.returncode == 1
    assert 'Argument 1 to "advance"' in result.stdout


def test_a_real_clock_refuses_to_advance_with_what_to_do() -> None:
    from pyrus_mock import InvalidArgument, PyrusMock, RealClock

    clock = RealClock()
    try:
        with pytest.raises(InvalidArgument, match="VirtualClock"):
            clock.advance(61)
    finally:
        clock.close()
    fake = PyrusMock()
    before = fake.clock.time()
    fake.clock.advance(61)  # the default clock, typed as Clock, moves
    assert fake.clock.time() == before + 61
    fake.close()
