"""What :func:`nasbook.check_strategy` returns: one line per check, for a student and a grader.

A student reads the printed report (what passed, what went wrong, how to fix it). A
grader reads the object: ``report.passed``, ``report.score``, ``report["budget"].status``,
``report["performance"].numbers["median_regret"]``, or ``report.to_dict()`` as JSON.
"""
from __future__ import annotations

import textwrap
from dataclasses import asdict, dataclass, field
from typing import Any

STATUSES = ("pass", "fail", "skip")
_MARK = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP"}


@dataclass
class Check:
    """One check's outcome. ``fix`` says how to repair a failure; ``numbers`` holds measurements."""

    name: str
    title: str
    status: str
    message: str
    fix: str = ""
    numbers: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def lines(self, width: int = 96) -> list[str]:
        head = f"[{_MARK[self.status]}] {self.title}"
        out = [head]
        for label, text in (("", self.message), ("How to fix: ", self.fix)):
            if text:
                out += textwrap.wrap(label + text, width, initial_indent="       ",
                                     subsequent_indent="       ", break_long_words=False)
        return out


@dataclass
class CheckReport:
    """All checks of one strategy. ``score`` is the fraction of checks passed (0..1)."""

    strategy: str
    benchmark: str
    checks: list[Check]
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def score(self) -> float:
        return sum(c.passed for c in self.checks) / len(self.checks) if self.checks else 0.0

    @property
    def failed(self) -> list[str]:
        """Names of the checks that failed (skipped ones are not listed)."""
        return [c.name for c in self.checks if c.status == "fail"]

    def __getitem__(self, name: str) -> Check:
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(f"no check named {name!r}; checks: {[c.name for c in self.checks]}")

    def to_dict(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "benchmark": self.benchmark, "passed": self.passed,
                "score": self.score, "seconds": round(self.seconds, 3),
                "checks": [asdict(c) for c in self.checks]}

    def __str__(self) -> str:
        n_pass = sum(c.passed for c in self.checks)
        lines = [f"Checking {self.strategy} (performance measured on the {self.benchmark} benchmark)", ""]
        for check in self.checks:
            lines += check.lines() + [""]
        verdict = "all checks passed" if self.passed else f"failed: {', '.join(self.failed) or 'none'}"
        lines.append(f"Score: {n_pass}/{len(self.checks)} checks passed ({self.score:.2f}); {verdict}.")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"CheckReport({self.strategy}, passed={self.passed}, score={self.score:.2f}, "
                f"failed={self.failed})")
