"""JWKS fetches per native logins: ``POST native/login/`` with ES256 ID tokens.

    .venv/bin/python benchmarks/native_jwks.py --logins 1000

Each login is what an app does: ask for a nonce, log in with the LINE SDK (the
in-process emulator signs an ES256 ID token with that nonce), send the token.
Every login is a new LINE user, so each one creates a Django user and a
``LineAccount``. Prints how often LINE's JWKS was fetched and the time per login.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--logins", type=int, default=1000)
    args = parser.parse_args()

    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from line_auth.models import LineAccount
    from line_auth.testing import LineEmulator

    setup_test_environment()
    call_command("migrate", verbosity=0)
    channel = settings.SOCIAL_AUTH_LINE_KEY
    emulator = LineEmulator()
    emulator.add_channel(channel, settings.SOCIAL_AUTH_LINE_SECRET)
    client = Client()
    with emulator.intercept():
        started = time.perf_counter()
        for _ in range(args.logins):
            nonce = client.post("/accounts/line/native/nonce/").json()["nonce"]
            token = emulator.make_id_token(emulator.add_user(), channel, nonce=nonce, alg="ES256")
            response = client.post(
                "/accounts/line/native/login/",
                json.dumps({"id_token": token, "nonce": nonce}),
                content_type="application/json",
            )
            assert response.status_code == 200, response.content
        elapsed = time.perf_counter() - started
    fetches = emulator.count_calls("/oauth2/v2.1/certs")
    print(f"{args.logins} native logins, {LineAccount.objects.count()} accounts created")
    print(f"JWKS fetches: {fetches} ({fetches / args.logins * 1000:.1f} per 1,000 logins)")
    print(f"LINE calls in all: {emulator.count_calls()}")
    print(f"{elapsed / args.logins * 1000:.2f} ms per login (nonce + login, in process)")


if __name__ == "__main__":
    main()
