"""What a request sent to the emulator, kept for assertions with every credential masked.

Tests need to check *where* a credential travelled (the client secret in the form body,
never in the URL) without the record itself holding it: a recorded call may be printed in
an assertion message or a log. Each credential is replaced by :func:`mask`, a short hash,
so a test compares ``mask(expected)`` with what was recorded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from urllib.parse import parse_qsl

from .webio import Request

# Parameter names (form, query or top-level JSON) whose values are credentials.
SECRET_FIELDS = frozenset(
    {
        "client_secret",
        "client_assertion",
        "code",
        "code_verifier",
        "access_token",
        "refresh_token",
        "id_token",
        "userAccessToken",
    }
)
# Headers whose whole value is a credential (or carries one).
SECRET_HEADERS = frozenset({"authorization", "cookie"})

Pairs = tuple[tuple[str, str], ...]


def mask(value: str) -> str:
    """A stand-in for a credential: equal values give equal masks, the value is not kept."""
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return f"masked:{digest[:16]}"


def masked_query(req: Request) -> Pairs:
    return _masked_pairs(parse_qsl(req.query_string, keep_blank_values=True))


def masked_headers(req: Request) -> Pairs:
    return tuple(
        (name, _masked_header(name, value)) for name, value in sorted(req.headers.items())
    )


def masked_body(req: Request) -> Pairs:
    """The form fields, or the top-level JSON members, of the body; empty for anything else."""
    if req.headers.get("content-type", "").startswith("application/json"):
        try:
            data = json.loads(req.body)
        except ValueError:
            return ()
        if not isinstance(data, dict):
            return ()
        return _masked_pairs((str(name), str(value)) for name, value in data.items())
    return _masked_pairs(req.form_pairs)


def _masked_pairs(pairs: Iterable[tuple[str, str]]) -> Pairs:
    return tuple((name, mask(value) if name in SECRET_FIELDS else value) for name, value in pairs)


def _masked_header(name: str, value: str) -> str:
    if name not in SECRET_HEADERS:
        return value
    scheme, space, credential = value.partition(" ")
    if name == "authorization" and space:
        return f"{scheme} {mask(credential)}"
    return mask(value)
