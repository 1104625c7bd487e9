"""Print the mutation score of each mutated module from mutmut's results in mutants/.

Run from the project root after ``mutmut run`` (scripts/mutation.sh does both).
A mutant counts as killed when a test failed, timed out or the type checker caught it;
a mutant no test reached counts as a survivor, like one the tests let through.
With ``--survivors`` the names of the mutants that were not killed follow the table,
ready for ``mutmut show NAME``. Exits 1 when a module scores under ``--minimum``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

KILLED = {1: "killed", 3: "killed", 36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout",
          255: "timeout", 37: "type check"}
SURVIVED = {0: "survived", 5: "no tests", 33: "no tests"}


def verdict(exit_code: int | None) -> str:
    if exit_code is None:
        return "not run"
    if exit_code in KILLED:
        return "killed"
    return SURVIVED.get(exit_code, "suspicious")


def module_results(mutants_dir: Path) -> dict[str, dict[str, str]]:
    """``{module path: {mutant name: verdict}}`` for every file mutmut mutated."""
    results = {}
    for meta in sorted(mutants_dir.rglob("*.py.meta")):
        exit_codes = json.loads(meta.read_text())["exit_code_by_key"]
        module = str(meta.relative_to(mutants_dir))[: -len(".meta")]
        results[module] = {name: verdict(code) for name, code in exit_codes.items()}
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=Path, default=Path("mutants"))
    parser.add_argument("--minimum", type=float, default=90.0, help="lowest acceptable score, in percent")
    parser.add_argument("--survivors", action="store_true", help="list the mutants that were not killed")
    parser.add_argument("modules", nargs="*", help="only these modules, e.g. line_auth/id_token.py")
    arguments = parser.parse_args()

    results = module_results(arguments.mutants)
    if arguments.modules:
        results = {module: found for module, found in results.items() if module in arguments.modules}
    if not results:
        print("No mutmut results: run scripts/mutation.sh first.", file=sys.stderr)
        return 2
    below = []
    print(f"{'module':<32} {'killed/total':>13} {'score':>7}  not killed")
    for module, verdicts in results.items():
        counts = Counter(verdicts.values())
        checked = len(verdicts) - counts["not run"]
        score = 100.0 * counts["killed"] / checked if checked else 0.0
        missing = ", ".join(f"{count} {name}" for name, count in sorted(counts.items()) if name != "killed")
        print(f"{module:<32} {counts['killed']:>6}/{checked:<6} {score:6.1f}%  {missing}")
        if score < arguments.minimum or counts["not run"]:
            below.append(module)
    if arguments.survivors:
        for verdicts in results.values():
            for name, found in verdicts.items():
                if found not in ("killed", "not run"):
                    print(f"{found:<10} {name}")
    if below:
        print(f"Under {arguments.minimum:g}% or not fully run: {', '.join(below)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
