"""What a conformance run reports: one :class:`CheckResult` per check and the
:class:`ConformanceReport` holding them, with its renderings (the text table, ``to_dict`` and
JUnit XML). The checks themselves, which fill it, are in :mod:`pyrus_mock.mock.conformance`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ..domain.masking import scrub

if TYPE_CHECKING:
    from .fuzz import FuzzReport

__all__ = ["CheckResult", "CheckStatus", "ConformanceReport"]

CheckStatus = Literal["pass", "fail", "skip"]


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check.

    Attributes:
        name: one of :data:`~pyrus_mock.mock.conformance.CHECKS`.
        status: ``pass``, ``fail`` or ``skip``.
        reason: what was seen, and for a failure what to change.
        elapsed: wall seconds the check took.
    """

    name: str
    status: CheckStatus
    reason: str
    elapsed: float = 0.0


@dataclass(repr=False)
class ConformanceReport:
    """The outcome of :func:`~pyrus_mock.mock.conformance.check_bot`:
    ``report.assert_passed()`` fails a test with the table.

    Attributes:
        bot_id: the bot's id in the fake.
        bot_url: the URL that was checked.
        checks: one result per check, in the order they ran (``fuzz`` last, when asked for).
        fuzz: the fuzzing report (``check_bot(bot, fuzz=N)``), else None.
        secrets: the tokens and keys the fake issued, masked in every rendering (``str``,
            ``to_dict``, JUnit XML): a bot's reply, quoted in a reason, may hold its token.
            The reasons themselves keep what was seen.
    """

    bot_id: int
    bot_url: str
    checks: list[CheckResult] = field(default_factory=list)
    fuzz: FuzzReport | None = None
    secrets: Sequence[str] = field(default=(), compare=False)

    @property
    def passed(self) -> bool:
        """No check failed (skipped checks do not count against the bot)."""
        return all(check.status != "fail" for check in self.checks)

    @property
    def failed(self) -> list[CheckResult]:
        """The failed checks."""
        return [check for check in self.checks if check.status == "fail"]

    def __getitem__(self, name: str) -> CheckResult:
        """The result of the check called ``name``.

        Raises:
            KeyError: no check of that name ran.
        """
        for check in self.checks:
            if check.name == name:
                return check
        from .conformance import CHECKS  # the checks import this module

        raise KeyError(f"no check named {name!r}; the checks are {', '.join(CHECKS)}")

    def summary(self) -> str:
        """One line: the bot, PASSED or FAILED, and the counts."""
        counts = {status: sum(c.status == status for c in self.checks) for status in
                  ("pass", "fail", "skip")}  # fmt: skip
        verdict = "PASSED" if self.passed else "FAILED"
        return (
            f"pyrus-mock conformance of bot {self.bot_id} at {self.bot_url}: {verdict} "
            f"({counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped)"
        )

    def assert_passed(self) -> ConformanceReport:
        """Return this report if no check failed; else raise ``AssertionError`` with the table.

        Prefer it to ``assert report.passed, report``: pytest shows a non-string assertion
        message as a ``repr`` cut at 240 characters, which loses the reasons.

        Raises:
            AssertionError: a check failed; the message is ``str(report)``.
        """
        if not self.passed:
            raise AssertionError(str(self))
        return self

    def __repr__(self) -> str:
        failed = ", ".join(check.name for check in self.failed) or "none"
        return (
            f"<ConformanceReport bot {self.bot_id}: {'PASSED' if self.passed else 'FAILED'}; "
            f"failed: {failed}; str(report) or report.assert_passed() shows the reasons>"
        )

    def __str__(self) -> str:
        width = max([len("check"), *(len(c.name) for c in self.checks)])
        lines = [self.summary(), f"  {'check':<{width}}  status  reason"]
        for check in self.checks:
            status = check.status.upper() if check.status == "fail" else check.status
            lines.append(f"  {check.name:<{width}}  {status:<6}  {check.reason}")
        if self.fuzz is not None and not self.fuzz.passed:
            lines.append(str(self.fuzz))  # the shrunk tasks, each as a test
        return self._shown("\n".join(lines))

    def _shown(self, text: str) -> str:
        return scrub(text, self.secrets)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form: ``{"bot_id", "bot_url", "passed", "checks": [...]}``."""
        return {
            "bot_id": self.bot_id,
            "bot_url": self.bot_url,
            "passed": self.passed,
            "checks": [
                {
                    "name": c.name,
                    "status": c.status,
                    "reason": self._shown(c.reason),
                    "elapsed": round(c.elapsed, 6),
                }
                for c in self.checks
            ],
        }

    def to_junit_xml(self, path: str) -> None:
        """Write the report as a JUnit XML file (one test case per check) for CI systems."""
        suite = ET.Element(
            "testsuite",
            {
                "name": "pyrus-mock conformance",
                "tests": str(len(self.checks)),
                "failures": str(len(self.failed)),
                "errors": "0",
                "skipped": str(sum(c.status == "skip" for c in self.checks)),
                "time": f"{sum(c.elapsed for c in self.checks):.3f}",
            },
        )
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", {"name": "bot_url", "value": self.bot_url})
        ET.SubElement(properties, "property", {"name": "bot_id", "value": str(self.bot_id)})
        for check in self.checks:
            case = ET.SubElement(
                suite,
                "testcase",
                {"classname": "pyrus_mock.mock.conformance", "name": check.name,
                 "time": f"{check.elapsed:.3f}"},
            )  # fmt: skip
            reason = self._shown(check.reason)
            if check.status == "fail":
                ET.SubElement(case, "failure", {"message": reason}).text = reason
            elif check.status == "skip":
                ET.SubElement(case, "skipped", {"message": reason})
        root = ET.Element("testsuites")
        root.append(suite)
        ET.indent(root)
        ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
