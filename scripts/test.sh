#!/usr/bin/env bash
# Run the whole test suite on a fresh machine: creates .venv, installs line_auth with its
# test extras, then runs pytest on SQLite, the user-model tests under each custom user
# model, and, when PostgreSQL answers on 127.0.0.1:5432 (or LINE_AUTH_REQUIRE_POSTGRES=1
# demands it), the whole suite again on PostgreSQL. The Celery worker test needs Redis on
# 127.0.0.1:6379 (database 5); it is skipped without it unless LINE_AUTH_REQUIRE_REDIS=1
# (set by .ci/run, which starts Redis) makes that a failure.
# Extra arguments go to pytest, e.g. scripts/test.sh -k friendship
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -e ".[test]"

echo "== tests on SQLite"
.venv/bin/python -m pytest "$@"

# AUTH_USER_MODEL is fixed per process: the login tests that depend on the user model
# (web, native, admin pages) run once more under each model of tests/user_models. A model
# inheriting a concrete model is also looked up the ORM's way at login: the look-up's own
# tests run under it too.
for user_model in email_only no_username extra_field inherited; do
  echo "== user model $user_model (SQLite)"
  look_up_tests=()
  [ "$user_model" = inherited ] && look_up_tests=(tests/unit/test_login_rows.py)
  LINE_AUTH_TEST_USER_MODEL=$user_model .venv/bin/python -m pytest -m "not browser" \
    tests/flows/test_user_models.py tests/unit/test_migrations.py "${look_up_tests[@]}"
done

if .venv/bin/python - <<'PY' 2>/dev/null
import psycopg
psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", connect_timeout=3).close()
PY
then
  echo "== tests on PostgreSQL"
  LINE_AUTH_TEST_DB=postgres .venv/bin/python -m pytest "$@"
elif [ "${LINE_AUTH_REQUIRE_POSTGRES:-0}" = "1" ]; then
  echo "PostgreSQL is required (LINE_AUTH_REQUIRE_POSTGRES=1) but does not answer on 127.0.0.1:5432" >&2
  exit 1
else
  echo "== PostgreSQL not reachable on 127.0.0.1:5432: skipped the PostgreSQL run"
fi
