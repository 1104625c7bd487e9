"""The offline stand-in for pip-audit: the installed dependencies are at or above the
release that fixed each advisory that concerns a LINE login client.

pip-audit needs an online vulnerability service that this network cannot reach; these
floors are also the lower bounds in setup.cfg, so pip never installs an affected release.
"""

from __future__ import annotations

from importlib.metadata import version

import pytest

# (distribution, first fixed release, advisory)
ADVISORY_FLOORS = [
    ("PyJWT", (2, 12, 0), "GHSA-752w-5fwx-jx9f / CVE-2026-32597: unknown 'crit' header accepted"),
    ("PyJWT", (2, 4, 0), "CVE-2022-29217: algorithm confusion with public keys as HMAC secrets"),
    ("social-auth-app-django", (5, 4, 1), "CVE-2024-32879: uid matched case-insensitively on MySQL"),
    ("social-auth-core", (5, 0, 1), "partial pipeline resumed from another browser (login CSRF)"),
    ("requests", (2, 32, 4), "CVE-2024-47081: .netrc credentials leaked to other hosts"),
    ("cryptography", (42, 0, 4), "CVE-2024-26130: NULL dereference on mismatched PKCS#12 keys"),
]


def release(distribution: str) -> tuple[int, ...]:
    parts = []
    for piece in version(distribution).split(".")[:3]:
        digits = "".join(character for character in piece if character.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


@pytest.mark.parametrize(("distribution", "fixed", "advisory"), ADVISORY_FLOORS)
def test_installed_release_has_the_fix(distribution, fixed, advisory):
    assert release(distribution) >= fixed, f"{distribution} {version(distribution)} is affected by {advisory}"
