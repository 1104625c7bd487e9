"""The offline stand-in for pip-audit: no release that setup.cfg admits, nor the installed
one, is affected by an advisory that concerns a LINE login client.

pip-audit needs an online vulnerability service that this network cannot reach. Each row
names the releases an advisory affects; setup.cfg's requirements are the one source of
the floors, and this test fails when one of them still admits an affected release.
"""

from __future__ import annotations

import configparser
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

pytestmark = [pytest.mark.LA_02]

SETUP_CFG = Path(__file__).resolve().parents[2] / "setup.cfg"

# (distribution, releases affected, advisory)
ADVISORIES = [
    ("Django", ">=5.2,<5.2.17", "CVE-2026-15307 (high): file write and request forgery via spatial "
     "lookups; CVE-2026-15920: XSS via URLField values in the admin; CVE-2026-15830, "
     "CVE-2026-15337: denial of service"),
    ("Django", ">=6.0,<6.0.8", "CVE-2026-15307, CVE-2026-15920, CVE-2026-15830 in the 6.0 series"),
    ("Django", ">=5.2,<5.2.16", "CVE-2026-48588: private data from the shared cache via cached "
     "Set-Cookie responses; CVE-2026-53878: header injection through DomainNameValidator"),
    ("Django", ">=6.0,<6.0.7", "CVE-2026-48588, CVE-2026-53878 in the 6.0 series"),
    ("PyJWT", "<2.4.0", "CVE-2022-29217: algorithm confusion with public keys as HMAC secrets"),
    ("PyJWT", "<2.12.0", "GHSA-752w-5fwx-jx9f / CVE-2026-32597: unknown 'crit' header accepted"),
    ("PyJWT", "<2.13.0", "GHSA-xgmm-8j9v-c9wx: JWK JSON accepted as an HMAC secret; "
     "GHSA-jq35-7prp-9v3f: algorithm allow-list bypass with PyJWK"),
    ("PyJWT", "<2.14.0", "GHSA-9v7f-9g4p-ffgj / CVE-2026-102267: PyJWKClient follows redirects"),
    ("PyJWT", "<2.15.0", "GHSA-42vr-xj54-vc7v / CVE-2026-101918: RecursionError before verification"),
    ("PyJWT", "<2.15.1", "GHSA-x33g-cr3x-6449 / CVE-2026-102275: OKP JWK with mismatched x and d "
     "accepted (published after 2.15.0)"),
    ("social-auth-app-django", "<5.4.1", "CVE-2024-32879: uid matched case-insensitively on MySQL"),
    ("social-auth-core", "<5.0.1", "partial pipeline resumed from another browser (login CSRF)"),
    ("requests", "<2.32.4", "CVE-2024-47081: .netrc credentials leaked to other hosts"),
    ("requests", "<2.33.0", "GHSA-gc5v-m9x4-r6x2 / CVE-2026-25645: predictable temp file reuse"),
    ("cryptography", "<42.0.4", "CVE-2024-26130: NULL dereference on mismatched PKCS#12 keys"),
]


def required() -> dict[str, SpecifierSet]:
    """install_requires from setup.cfg, by lower-cased distribution name."""
    parser = configparser.ConfigParser()
    parser.read(SETUP_CFG)
    lines = parser["options"]["install_requires"].strip().splitlines()
    return {(req := Requirement(line)).name.lower(): req.specifier for line in lines if line.strip()}


def probes(affected: SpecifierSet) -> list[Version]:
    """Releases to try against a requirement: every patch release of each bound's series up
    to the bound, patch releases of the series before it, and a very old release."""
    found = {Version("0.0.1")}
    for clause in affected:
        major, minor, patch = (list(Version(clause.version).release) + [0, 0])[:3]
        found |= {Version(f"{major}.{minor}.{number}") for number in range(patch + 1)}
        if minor:
            found |= {Version(f"{major}.{minor - 1}.{number}") for number in range(30)}
    return sorted(found)


@pytest.mark.parametrize(("distribution", "affected", "advisory"), ADVISORIES)
def test_installed_release_is_not_affected(distribution, affected, advisory):
    installed = version(distribution)
    assert not SpecifierSet(affected).contains(installed), f"{distribution} {installed}: {advisory}"


@pytest.mark.parametrize(("distribution", "affected", "advisory"), ADVISORIES)
def test_setup_cfg_admits_no_affected_release(distribution, affected, advisory):
    requirement = required()[distribution.lower()]
    admitted = [
        str(release) for release in probes(SpecifierSet(affected))
        if release in SpecifierSet(affected) and release in requirement
    ]
    assert not admitted, f"setup.cfg {distribution}{requirement} admits {admitted}: {advisory}"


def test_every_distribution_with_an_advisory_is_required():
    assert {distribution.lower() for distribution, _, _ in ADVISORIES} <= set(required())
