"""Route ``requests`` traffic for the emulated hosts into the WSGI app, without sockets.

Patching ``Session.get_adapter`` (rather than mounting adapters on one session) also
catches ``requests.get``/``requests.post``, which build a throwaway Session per call.
Any other host is refused, as ``responses`` does, so a test never reaches the real
network by accident; ``passthrough`` names what may.
"""

from __future__ import annotations

import http.client
import io
import sys
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.cookies import extract_cookies_to_jar
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from urllib3 import HTTPHeaderDict
from urllib3.response import HTTPResponse

from .state import EmulatorError
from .webio import SimulatedDisconnect, SimulatedTimeout

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# True lets every host through; a collection of URL prefixes (as in ``responses``'
# passthru) lets the URLs starting with one of them through.
Passthrough = bool | Collection[str]


class UnemulatedHostError(EmulatorError):
    """A request, while the emulator intercepts, to a host it neither emulates nor passes."""


class WsgiAdapter(BaseAdapter):
    """A transport adapter that answers from a WSGI app mounted at ``prefix``."""

    def __init__(self, app: WsgiApp, prefix: str) -> None:
        super().__init__()
        self.app = app
        self.prefix = prefix.rstrip("/")

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        environ = self._environ(request)
        captured: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> None:
            captured["status"], captured["headers"] = status, headers

        try:
            chunks = self.app(environ, start_response)
            body = b"".join(chunks)
        except SimulatedTimeout:
            raise requests.exceptions.ReadTimeout(
                f"emulated read timeout for {request.url}", request=request
            ) from None
        except SimulatedDisconnect:
            raise requests.exceptions.ConnectionError(
                f"emulated connection refused for {request.url}", request=request
            ) from None
        return self._response(request, captured["status"], captured["headers"], body)

    def close(self) -> None:
        """Nothing to release: no sockets or pools are ever opened."""

    def _environ(self, request: requests.PreparedRequest) -> dict[str, Any]:
        url = urlsplit(request.url or "")
        body = _body_bytes(request)
        mount_path = urlsplit(self.prefix).path
        environ: dict[str, Any] = {
            "REQUEST_METHOD": request.method or "GET",
            "SCRIPT_NAME": mount_path,
            "PATH_INFO": unquote(url.path)[len(mount_path) :] or "/",
            "QUERY_STRING": url.query,
            "SERVER_NAME": url.hostname or "",
            "SERVER_PORT": str(url.port or (443 if url.scheme == "https" else 80)),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": url.netloc,
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": url.scheme,
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in request.headers.items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif key != "CONTENT_LENGTH":
                environ[f"HTTP_{key}"] = value
        return environ

    def _response(
        self,
        request: requests.PreparedRequest,
        status: str,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> requests.Response:
        message = http.client.HTTPMessage()
        for name, value in headers:
            message[name] = value  # appends, so repeated Set-Cookie headers survive
        code, _, reason = status.partition(" ")
        raw = HTTPResponse(
            body=io.BytesIO(body),
            headers=HTTPHeaderDict(headers),
            status=int(code),
            reason=reason,
            preload_content=False,
            decode_content=False,
            request_method=request.method,
            request_url=request.url,
        )
        # requests reads cookies from the http.client message behind a urllib3 response.
        raw._original_response = _Original(message)  # type: ignore[assignment]
        response = requests.Response()
        response.status_code = int(code)
        response.reason = reason
        response.headers = CaseInsensitiveDict(raw.headers)
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw = raw
        response.url = request.url or ""
        response.request = request
        # requests declares HTTPAdapter, but only ever calls send() on it, as HTTPDigestAuth does.
        response.connection = self  # type: ignore[assignment]
        extract_cookies_to_jar(response.cookies, request, raw)
        return response


def _body_bytes(request: requests.PreparedRequest) -> bytes:
    """The prepared body as bytes: requests leaves bytes, text, a file or a generator."""
    body = request.body
    if not body:
        return b""
    if isinstance(body, str | bytes):
        return _encoded(body)
    if hasattr(body, "read"):
        return _encoded(body.read())
    return b"".join(_encoded(chunk) for chunk in body)


def _encoded(data: str | bytes) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


class _Original:
    """The slice of ``http.client.HTTPResponse`` that requests and urllib3 consult."""

    def __init__(self, msg: http.client.HTTPMessage) -> None:
        self.msg = msg

    def isclosed(self) -> bool:
        return True


class RefusingAdapter(BaseAdapter):
    """Answers nothing: says which host was asked and how to let it through."""

    def __init__(self, emulated: Iterable[str]) -> None:
        super().__init__()
        self.emulated = ", ".join(emulated)

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        url = urlsplit(request.url or "")
        raise UnemulatedHostError(
            f"The LINE emulator refused a request to {url.hostname or url.netloc!r} "
            f"({request.method} {url.scheme}://{url.netloc}{url.path}): it emulates only "
            f"{self.emulated}. Pass passthrough=[...] (URL prefixes) or passthrough=True "
            "to LineEmulator to let other hosts through."
        )

    def close(self) -> None:
        """Nothing to release."""


def _matches(url: str, prefix: str) -> bool:
    if not url.lower().startswith(prefix.lower()):
        return False
    rest = url[len(prefix) :]
    return rest == "" or rest[0] in "/?#"


@contextmanager
def intercept(
    app: WsgiApp, prefixes: Iterable[str], passthrough: Passthrough = False
) -> Iterator[None]:
    """While active, ``app`` answers requests to any of ``prefixes``; others are refused
    unless ``passthrough`` lets them go to the network."""
    emulated = [prefix.rstrip("/") for prefix in dict.fromkeys(prefixes)]
    routes = [(prefix, WsgiAdapter(app, prefix)) for prefix in emulated]
    refusing = RefusingAdapter(emulated)
    original = requests.Session.get_adapter

    def get_adapter(self: requests.Session, url: str) -> BaseAdapter:
        for prefix, adapter in routes:
            if _matches(url, prefix):
                return adapter
        if _passes(url, passthrough):
            return original(self, url)
        return refusing

    requests.Session.get_adapter = get_adapter  # type: ignore[method-assign]
    try:
        yield
    finally:
        requests.Session.get_adapter = original  # type: ignore[method-assign]


def _passes(url: str, passthrough: Passthrough) -> bool:
    if isinstance(passthrough, bool):
        return passthrough
    return any(url.lower().startswith(prefix.lower()) for prefix in passthrough)
