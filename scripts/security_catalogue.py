"""Run the security catalogue and print it as a Markdown table (case, expected, result).

Each case names the tests that prove it; a case passes when every one of its tests
passed. Run:  .venv/bin/python scripts/security_catalogue.py   (LINE_AUTH_TEST_DB=postgres
for the race cases, which need PostgreSQL). Exits non-zero when a case fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
S = "tests/security/"
FLOW = "tests/test_login_flow.py::"
NATIVE = "tests/test_native_login.py::"
HOOK = "tests/test_webhook.py::"
IDT = "tests/test_id_token.py::"

# (area, case, expected, tests: node ids or prefixes of node ids)
CATALOGUE = [
    (
        "ID token (web)",
        "alg none, other secret, ES256 where HS256 expected, wrong iss/aud, aud list, expired, "
        "iat in the future, missing/mismatched nonce, missing sub, garbage, oversize",
        "refused before login",
        [IDT + "test_forged_or_stale_tokens_are_refused"],
    ),
    (
        "ID token (web)",
        "tampered payload with a valid header",
        "refused",
        [IDT + "test_tampered_payload_with_a_valid_header_is_refused"],
    ),
    (
        "ID token (web)",
        "unknown crit header; keys offered in the header",
        "refused",
        [IDT + "test_an_unknown_critical_header_is_refused", IDT + "test_a_key_in_the_header_changes_nothing"],
    ),
    (
        "ID token (web)",
        "max_age without a fresh auth_time",
        "refused",
        [IDT + "test_max_age_requires_a_recent_auth_time"],
    ),
    (
        "ID token (web)",
        "token response without id_token; signed with another secret",
        "fail closed, nothing created",
        [
            FLOW + "test_a_token_response_without_id_token_fails_closed",
            FLOW + "test_an_id_token_signed_with_another_secret_is_refused",
        ],
    ),
    (
        "ID token (native)",
        "alg none; bad signature; HS256 signed with LINE's public key (alg confusion)",
        "401 invalid_id_token, nothing created",
        [
            NATIVE + "test_alg_none_is_refused",
            NATIVE + "test_a_bad_signature_is_refused",
            NATIVE + "test_hs256_signed_with_lines_public_key_is_refused",
        ],
    ),
    (
        "ID token (native)",
        "wrong aud, aud list with extra entries, wrong iss, expired, iat in the future, missing sub",
        "401, nothing created",
        [
            NATIVE + "test_a_token_for_another_channel_is_refused",
            NATIVE + "test_a_wrong_issuer_is_refused",
            NATIVE + "test_an_expired_id_token_is_refused",
            S + "test_native_tokens.py::test_claims_line_never_issues",
        ],
    ),
    (
        "ID token (native)",
        "unknown kid; flood of random kids",
        "one JWKS refetch, throttled, refused",
        [NATIVE + "test_an_unknown_kid_is_refused", NATIVE + "test_a_rotated_key_is_fetched_once"],
    ),
    (
        "ID token (native)",
        "nonce replayed, never issued, expired, not the token's",
        "401 invalid_nonce",
        [
            NATIVE + "test_a_replayed_nonce_is_refused",
            NATIVE + "test_a_nonce_the_server_never_issued_is_refused",
            NATIVE + "test_an_expired_nonce_is_refused",
            NATIVE + "test_a_nonce_that_is_not_the_tokens_is_refused",
        ],
    ),
    (
        "ID token (native)",
        "crit header, header jwk/jku, psychic signature, foreign key with LINE's kid, garbage",
        "refused",
        [
            S + "test_native_tokens.py::test_an_unknown_critical_header_is_refused",
            S + "test_native_tokens.py::test_a_key_offered_in_the_header_is_never_used",
            S + "test_native_tokens.py::test_the_all_zero_psychic_signature_is_refused",
            S + "test_native_tokens.py::test_an_es256_token_signed_by_another_key",
            S + "test_native_tokens.py::test_garbage_and_oversize_tokens_are_refused",
        ],
    ),
    (
        "Access token (native)",
        "token of another channel; expired token",
        "401, nothing created",
        [
            NATIVE + "test_an_access_token_of_another_channel_is_refused",
            NATIVE + "test_an_expired_access_token_is_refused",
        ],
    ),
    (
        "Redirect flow",
        "missing, wrong, expired state; no session and no state",
        "refused before any token request",
        [
            FLOW + "test_a_callback_without_state_is_refused",
            S + "test_redirect_flow.py::test_wrong_state_is_refused",
            S + "test_redirect_flow.py::test_state_expires",
            S + "test_redirect_flow.py::test_no_session_and_no_state",
        ],
    ),
    (
        "Redirect flow",
        "callback replayed after success; attacker's state+code in the victim's browser",
        "refused, one token call at most",
        [
            FLOW + "test_a_replayed_callback_is_refused_without_a_second_token_call",
            S + "test_redirect_flow.py::test_attackers_state_and_code_replayed",
        ],
    ),
    (
        "Redirect flow",
        "code injected from another session; PKCE verifier missing or wrong",
        "LINE refuses the code, nothing created",
        [
            FLOW + "test_a_code_from_another_browser_fails_pkce_and_creates_nothing",
            S + "test_redirect_flow.py::test_a_wrong_pkce_verifier",
            S + "test_redirect_flow.py::test_a_missing_pkce_verifier",
        ],
    ),
    (
        "Redirect flow",
        "error with and without state; upper/lower case codes; reflected error text",
        "friendly cancel page, escaped, nothing consumed",
        [
            FLOW + "test_cancel_on_the_consent_page_is_a_friendly_cancel",
            S + "test_redirect_flow.py::test_an_error_callback_creates_nothing",
            S + "test_redirect_flow.py::test_an_error_with_a_forged_state",
        ],
    ),
    (
        "Redirect flow",
        "open redirect via next (absolute, //host, backslashes, encoded, javascript:, CRLF)",
        "lands on LOGIN_REDIRECT_URL",
        [
            FLOW + "test_next_cannot_redirect_off_site",
            S + "test_redirect_flow.py::test_open_redirect_through_next",
            S + "test_redirect_flow.py::test_next_given_at_the_callback",
        ],
    ),
    (
        "Redirect flow",
        "session fixation; login CSRF; framing; caching; referrer",
        "new session key; cross-site POST refused; DENY; no-store; same-origin",
        [
            FLOW + "test_session_key_changes_at_login",
            FLOW + "test_login_cannot_be_started_by_a_cross_site_post",
            S + "test_redirect_flow.py::test_login_pages_cannot_be_framed_or_cached",
            S + "test_redirect_flow.py::test_the_callback_url_is_never_sent_as_a_referrer",
        ],
    ),
    (
        "Redirect flow",
        "option values LINE does not accept; parameters outside the allow-list",
        "400 page, never forwarded",
        [FLOW + "test_an_invalid_option_is_a_clear_error", "tests/test_options.py::"],
    ),
    (
        "Secrets",
        "no token, code or channel secret in any log line or rendered page of the whole suite",
        "every test's logs and pages scanned",
        ["tests/"],
    ),
    (
        "Secrets",
        "tokens encrypted in every table; extra_data holds none; admin never shows them",
        "ciphertext only",
        [
            S + "test_token_storage.py::test_no_token_is_stored_in_plain_text_anywhere",
            FLOW + "test_no_token_is_stored_in_social_auth_extra_data",
            "tests/test_admin.py::test_changelist_and_change_page_show_the_account_but_never_its_tokens",
        ],
    ),
    (
        "Secrets",
        "key rotation: re-encrypt every row; old keys decrypt until removed",
        "no token lost",
        [
            S + "test_token_storage.py::test_rotating",
            S + "test_token_storage.py::test_rotation_reports",
            "tests/test_fields.py::",
        ],
    ),
    (
        "Faults from LINE",
        "timeout, refused, 500, 429, HTML, truncated JSON at token exchange; no access_token",
        "friendly page, nothing created, next login works",
        [
            FLOW + "test_line_faults_at_token_exchange_end_on_a_friendly_page",
            S + "test_faults.py::test_a_token_response_missing_its_access_token",
        ],
    ),
    (
        "Faults from LINE",
        "the same faults on the profile API and on native access-token verification",
        "friendly page or JSON 401/503, next login works",
        [
            S + "test_faults.py::test_profile_api_faults",
            S + "test_faults.py::test_native_access_token_login",
            NATIVE + "test_line_unavailable_for_the_jwks_is_a_503_not_a_500",
        ],
    ),
    (
        "Webhook",
        "signature missing, invalid, wrong secret, body altered by one byte",
        "400/403, no change",
        [HOOK + "test_anything_but_a_valid_signature_is_refused", HOOK + "test_a_forged_follow_changes_nothing"],
    ),
    (
        "Webhook",
        "redelivery; out of order events",
        "applied once; newest wins",
        [HOOK + "test_a_redelivered_event_is_applied_once", HOOK + "test_an_older_event_never_overwrites"],
    ),
    (
        "Races (PostgreSQL)",
        "the same callback twice at once; one LINE user's first login from two tabs",
        "one login; one user and one LineAccount",
        [
            S + "test_races.py::test_the_same_callback_twice_at_once_logs_in_once",
            S + "test_races.py::test_first_login_of_one_line_user_from_two_tabs_makes_one_account",
        ],
    ),
    (
        "Races (PostgreSQL)",
        "two workers refreshing one account",
        "one refresh",
        ["tests/test_tokens.py::test_two_workers_refreshing_one_account_make_one_call"],
    ),
    (
        "Fuzzing",
        "callback query strings, login options, native-login JSON, webhook bodies (hypothesis)",
        "never a 500, nothing changed on refusal",
        [S + "test_fuzz.py::"],
    ),
    (
        "Dependencies",
        "releases with known advisories (offline stand-in for pip-audit)",
        "floors met",
        [S + "test_dependencies.py::"],
    ),
]


def main() -> int:
    junit = Path(tempfile.mkdtemp()) / "catalogue.xml"
    selected = sorted({test.split("::")[0] for *_, tests in CATALOGUE for test in tests})
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:randomly",
        f"--junitxml={junit}",
        "--ignore=tests/browser",
        *selected,
    ]
    subprocess.run(command, cwd=ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL, check=False)
    outcomes: dict[str, str] = {}
    for case in ElementTree.parse(junit).iter("testcase"):
        path = case.get("classname", "").replace(".", "/") + ".py::" + case.get("name", "")
        kinds = {child.tag for child in case}
        outcomes[path] = "fail" if kinds & {"failure", "error"} else "skip" if "skipped" in kinds else "pass"
    print("| area | case | expected | result |\n|---|---|---|---|")
    failed = False
    for area, case, expected, tests in CATALOGUE:
        found = [outcome for path, outcome in outcomes.items() if any(path.startswith(t) for t in tests)]
        result = (
            "no test found"
            if not found
            else "fail"
            if "fail" in found
            else "skipped"
            if set(found) == {"skip"}
            else f"pass ({found.count('pass')} tests)"
        )
        failed |= result.startswith(("fail", "no test"))
        print(f"| {area} | {case} | {expected} | {result} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
