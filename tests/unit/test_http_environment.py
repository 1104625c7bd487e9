"""Calls to LINE honour the environment's proxy and CA bundle variables, read once per host
(line_auth.internal.http_environment), as requests would read them on every call."""

from __future__ import annotations

import pytest
import requests
from requests.adapters import BaseAdapter

from line_auth.client import LineClient

pytestmark = pytest.mark.django_db  # each call to LINE is audited
PROFILE_URL = "https://api.line.me/v2/profile"


class Recording(BaseAdapter):
    """Answers 200 with a JSON object and keeps the arguments of each request."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[dict] = []

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        self.sent.append({"verify": verify, "proxies": proxies, "headers": dict(request.headers)})
        response = requests.Response()
        response.status_code, response._content, response.request = 200, b"{}", request
        return response

    def close(self) -> None:
        """Nothing to release."""


@pytest.fixture
def recorded(monkeypatch):
    for name in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    client, adapter = LineClient(), Recording()
    client.session.mount("https://api.line.me", adapter)
    return client, adapter


def test_the_environments_proxy_and_ca_bundle_reach_each_call(recorded, monkeypatch):
    client, adapter = recorded
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/company-ca.pem")
    client.send("GET", PROFILE_URL)
    assert adapter.sent[0]["proxies"]["https"] == "http://proxy.example:3128"
    assert adapter.sent[0]["verify"] == "/etc/ssl/company-ca.pem"


def test_no_proxy_keeps_line_direct_and_without_a_bundle_certificates_are_verified(recorded, monkeypatch):
    client, adapter = recorded
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "api.line.me")
    client.send("GET", PROFILE_URL)
    assert "https" not in adapter.sent[0]["proxies"]
    assert adapter.sent[0]["verify"] is True


def test_the_environment_is_read_once_per_host(recorded, monkeypatch):
    client, adapter = recorded
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    client.send("GET", PROFILE_URL)
    monkeypatch.setenv("HTTPS_PROXY", "http://other.example:3128")
    client.send("GET", PROFILE_URL)
    assert [sent["proxies"]["https"] for sent in adapter.sent] == ["http://proxy.example:3128"] * 2


def test_a_callers_own_verify_wins(recorded, monkeypatch):
    client, adapter = recorded
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/company-ca.pem")
    client.send("GET", PROFILE_URL, verify="/tmp/pinned.pem")
    assert adapter.sent[0]["verify"] == "/tmp/pinned.pem"


def test_no_netrc_credentials_travel_to_line(recorded, monkeypatch, tmp_path):
    client, adapter = recorded
    netrc = tmp_path / "netrc"
    netrc.write_text("machine api.line.me login someone password secret\n")
    monkeypatch.setenv("NETRC", str(netrc))
    client.send("GET", PROFILE_URL)
    assert "Authorization" not in adapter.sent[0]["headers"]
