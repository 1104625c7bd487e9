"""Test-only middleware that keeps every response the site rendered, so the suite
can check that no token ever reached a page (see tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

RENDERED: list[str] = []


class RecordResponses:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        headers = "\n".join(f"{name}: {value}" for name, value in response.items())
        body = b"" if response.streaming else response.content
        RENDERED.append(headers + "\n" + body.decode("utf-8", "replace"))
        return response
