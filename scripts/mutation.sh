#!/usr/bin/env bash
# Mutation testing of the security core with mutmut 3 (configuration: [tool.mutmut] in
# pyproject.toml; results and scores: docs/testing.md). Creates .venv and installs what it
# needs, like scripts/test.sh, then mutates each module, runs the tests that reach each
# mutant, and prints the score per module. Exits 1 when a module scores under 90 %.
#
#   scripts/mutation.sh                       every configured module (about an hour on 2 cores)
#   scripts/mutation.sh internal.id_token views.webhook   only these modules
#   MUTATION_RESUME=1 scripts/mutation.sh     keep mutants/ and retest only what is not done
#   MUTATION_JOBS=1 scripts/mutation.sh       parallel test processes (default 2)
#
# Without MUTATION_RESUME the run starts from a clean mutants/ directory: mutmut does not
# retest a survivor after tests change, so a score is only trustworthy from a clean start.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -e ".[test]" "mutmut>=3.8,<4"

[ "${MUTATION_RESUME:-0}" = "1" ] || rm -rf mutants

patterns=()
modules=()
for name in "$@"; do
  patterns+=("line_auth.${name}.*")
  modules+=("line_auth/${name//.//}.py")
done

.venv/bin/mutmut run --max-children "${MUTATION_JOBS:-2}" "${patterns[@]}"
echo
.venv/bin/python scripts/mutation_scores.py "${modules[@]}"
