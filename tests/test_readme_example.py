"""The README's "Testing your bot" section: its code is the example in tests/examples, verbatim,
and it runs as a user would run it (pytester, no conftest)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

# Imported in this process so the in-process run below does not import it afresh (slow).
import flask  # noqa: F401
import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = Path(__file__).resolve().parent / "examples"
FILES = ("flask_bot.py", "test_flask_bot.py")
SECTION = "## Testing your bot"


def _section_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.find(SECTION)
    assert start >= 0, (
        f"README.md has no {SECTION!r} section; it must show tests/examples/flask_bot.py and "
        "tests/examples/test_flask_bot.py verbatim"
    )
    end = readme.find("\n## ", start + len(SECTION))
    text = readme[start : end if end >= 0 else len(readme)]
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


@pytest.mark.parametrize("name", FILES)
def test_readme_shows_the_example_verbatim(name: str) -> None:
    source = (EXAMPLES / name).read_text(encoding="utf-8")
    assert source in _section_blocks(), (
        f"the {SECTION!r} section of README.md must hold tests/examples/{name} verbatim in a "
        "```python block; copy the file into it"
    )


def test_the_readme_example_runs(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The files are the README's code (test above), run where a user would put them. This
    # process may have imported tests/examples under the same module names: hide those.
    for name in FILES:
        monkeypatch.delitem(sys.modules, name[:-3], raising=False)
        pytester.makepyfile(**{name[:-3]: (EXAMPLES / name).read_text(encoding="utf-8")})
    pytester.runpytest("-p", "no:cacheprovider", "-W", "error").assert_outcomes(passed=3)
