"""Reading LINE's answer to "is this access token good": one rule for every caller.

Pure functions of LINE's JSON, shared by the token lifecycle (``tokens.verify``)
and the native login, so the rule cannot drift between them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Verification:
    """Whether an access token may be used for this site, and why not."""

    valid: bool
    reason: str = ""
    expires_in: int = 0
    scope: str = ""
    client_id: str = ""


def check_verification(data: dict[str, Any], audiences: tuple[str, ...]) -> Verification:
    """LINE's secure-login rule: ``client_id`` must be ours and ``expires_in`` positive.

    Without it a token issued to any other channel would be accepted
    (https://developers.line.biz/en/docs/line-login/secure-login-process/).
    """
    client_id = str(data.get("client_id") or "")
    expires_in = data.get("expires_in")
    scope = str(data.get("scope") or "")
    if client_id not in audiences:
        return Verification(False, "issued to another channel", client_id=client_id)
    if isinstance(expires_in, bool) or not isinstance(expires_in, int) or expires_in <= 0:
        return Verification(False, "expired", client_id=client_id)
    return Verification(True, expires_in=expires_in, scope=scope, client_id=client_id)
