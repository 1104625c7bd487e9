"""Drive a LINE login through the Django test client and the in-process emulator."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

BEGIN_URL = "/accounts/line/login/"


def start(client: Any, **begin: Any) -> str:
    """POST the LINE button; return the authorization URL LINE would receive."""
    response = client.post(BEGIN_URL, begin)
    assert response.status_code == 302, response.content
    return response["Location"]


def query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def come_back(client: Any, result: Any) -> Any:
    """Deliver LINE's redirect (query) or auto-submitted form (form_post) to the site."""
    if result.method == "POST":
        return client.post(urlsplit(result.url).path, result.form)
    return client.get(result.url)


def login(client: Any, emulator: Any, user: Any = None, begin: dict | None = None, **consent: Any) -> Any:
    """A whole login; returns the site's response to the callback."""
    url = start(client, **(begin or {}))
    return come_back(client, emulator.authorize(url, user, **consent))
