#!/usr/bin/env bash
# Run the example site against the LINE Platform emulator, offline, on a fresh machine.
# Creates .venv (if missing), installs line_auth from this checkout, migrates, creates
# the admin user admin/admin, starts the emulator on :8001 and the site on :8000.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -e .
cd example_project
../.venv/bin/python manage.py migrate --no-input -v0
../.venv/bin/python manage.py shell -c "
from django.contrib.auth import get_user_model
User = get_user_model()
User.objects.filter(username='admin').exists() or User.objects.create_superuser('admin', 'admin@example.com', 'admin')"
if [ -z "${LINE_CHANNEL_ID:-}" ]; then
  ../.venv/bin/python -m line_auth.testing.server --port 8001 --user "Taro Line" --user "Hanako Line" \
    --channel 2000000002:fedcba9876543210fedcba9876543210 &
  emulator=$!
  trap 'kill $emulator 2>/dev/null' EXIT
fi
echo "Open http://127.0.0.1:8000/  (admin: http://127.0.0.1:8000/admin/ as admin/admin)"
../.venv/bin/python manage.py runserver 127.0.0.1:8000 --noreload
