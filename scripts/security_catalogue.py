"""Run the security catalogue and print it as a Markdown table (case, area, attack, expected, result).

The catalogue lives in the tests: each case ID (BR-07, ST-01...) is a pytest marker registered
in pyproject.toml as ``"<ID>: <area> | <attack or fault> | <expected>"``, and the tests that
prove a case carry its marker. This script runs the suite (browser tests excepted), groups the
outcomes by marker, and prints one row per case: pass when every test of the case passed.
Run:  .venv/bin/python scripts/security_catalogue.py   (LINE_AUTH_TEST_DB=postgres for the
race cases, which need PostgreSQL; extra arguments go to pytest). Pytest's own output goes to
stderr. Exits non-zero when a case fails or has no test.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASE_MARKER = re.compile(r"^(?P<name>[A-Z]{2}_\d{2}): (?P<area>[^|]+) \| (?P<attack>[^|]+) \| (?P<expected>.+)$")


@dataclass
class Case:
    name: str
    area: str
    attack: str
    expected: str
    tests: set[str] = field(default_factory=set)


class Catalogue:
    """A pytest plugin: reads the case markers, records which tests carry them and how they ended."""

    def __init__(self) -> None:
        self.cases: dict[str, Case] = {}
        self.outcomes: dict[str, str] = {}

    def pytest_configure(self, config: pytest.Config) -> None:
        for line in config.getini("markers"):
            match = CASE_MARKER.match(line)
            if match:
                self.cases[match["name"]] = Case(**{key: value.strip() for key, value in match.groupdict().items()})

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            for marker in item.iter_markers():
                if marker.name in self.cases:
                    self.cases[marker.name].tests.add(item.nodeid)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        seen = self.outcomes.get(report.nodeid)
        if report.failed:
            self.outcomes[report.nodeid] = "fail"
        elif report.skipped and seen != "fail":
            self.outcomes[report.nodeid] = "skip"
        elif report.when == "call" and seen is None:
            self.outcomes[report.nodeid] = "pass"

    def result(self, case: Case) -> str:
        found = [self.outcomes[test] for test in case.tests if test in self.outcomes]
        passed, skipped = found.count("pass"), found.count("skip")
        if not found:
            return "no test found"
        if "fail" in found:
            return "fail"
        if not passed:
            return "skipped"
        counted = "" if passed == 1 else f" ({passed} tests)"
        return "pass" + counted + (f", {skipped} skipped" if skipped else "")


def main(arguments: list[str]) -> int:
    os.chdir(ROOT)  # pytest finds pyproject.toml (markers, settings, pythonpath) from here
    catalogue = Catalogue()
    with contextlib.redirect_stdout(sys.stderr):
        pytest.main(["-q", "-p", "no:randomly", "-m", "not browser", *arguments], plugins=[catalogue])
    print("| case | area | attack or fault | expected | result |\n|---|---|---|---|---|")
    failed = False
    for case in catalogue.cases.values():
        result = catalogue.result(case)
        failed |= result in ("fail", "no test found")
        print(f"| {case.name.replace('_', '-')} | {case.area} | {case.attack} | {case.expected} | {result} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
