"""Just enough request/response plumbing over WSGI for the emulator, with no framework."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl

# Set by the live server so the app knows it may hold or drop a socket instead of raising.
LIVE_KEY = "line_emulator.live"


class SimulatedTimeout(Exception):
    """The request should look as if LINE never answered."""


class SimulatedDisconnect(ConnectionAbortedError):
    """The connection should drop without a response (wsgiref closes quietly on this type)."""


@dataclass
class Request:
    method: str
    path: str
    query_string: str
    body: bytes
    headers: dict[str, str]
    host: str
    script_name: str = ""
    live: bool = False

    @classmethod
    def from_environ(cls, environ: dict[str, Any]) -> Request:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        return cls(
            method=environ.get("REQUEST_METHOD", "GET").upper(),
            path=environ.get("PATH_INFO") or "/",
            query_string=environ.get("QUERY_STRING", ""),
            body=body,
            headers=headers,
            host=environ.get("HTTP_HOST") or environ.get("SERVER_NAME", ""),
            script_name=environ.get("SCRIPT_NAME", "").rstrip("/"),
            live=bool(environ.get(LIVE_KEY)),
        )

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(self.query_string, keep_blank_values=True))

    @property
    def form_pairs(self) -> list[tuple[str, str]]:
        if not self.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return []
        return parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True)

    @property
    def form(self) -> dict[str, str]:
        return dict(self.form_pairs)

    def bearer(self) -> str | None:
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        return token.strip() or None if scheme.lower() == "bearer" else None

    def cookie(self, name: str) -> str | None:
        jar = SimpleCookie()
        jar.load(self.headers.get("cookie", ""))
        return jar[name].value if name in jar else None


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def json(cls, status: int, data: Any) -> Response:
        return cls(status, json.dumps(data).encode(), "application/json")

    @classmethod
    def html(cls, status: int, page: str) -> Response:
        return cls(status, page.encode(), "text/html; charset=utf-8")

    def header_list(self) -> list[tuple[str, str]]:
        headers = list(self.headers)
        if self.content_type:
            headers.append(("Content-Type", self.content_type))
        headers.append(("Content-Length", str(len(self.body))))
        return headers
