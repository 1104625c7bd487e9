"""ID-token signing: HS256 with the channel secret (web login), or ES256 from a JWKS (SDK/LIFF)."""

from __future__ import annotations

import hashlib
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from .state import ID_TOKEN_TTL, ISSUER, EmulatedUser


class KeyRing:
    """The current ES256 key; rotating drops the old one, as a JWKS refresh would reveal."""

    def __init__(self) -> None:
        self.signed: set[str] = set()  # every token signed, so tests can look for leaks
        self.rotate()

    def rotate(self) -> str:
        self._private_key = ec.generate_private_key(ec.SECP256R1())
        public_der = self._private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        # LINE's kids are 64 hex characters (spec §9.2); a key digest has that shape.
        self.kid = hashlib.sha256(public_der).hexdigest()
        return self.kid

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._private_key.public_key()

    def jwks(self) -> dict[str, Any]:
        jwk = ECAlgorithm.to_jwk(self.public_key, as_dict=True)
        jwk.update({"alg": "ES256", "use": "sig", "kid": self.kid})
        return {"keys": [jwk]}

    def sign(self, claims: dict[str, Any], alg: str, secret: str) -> str:
        """Sign ``claims`` as LINE does: HS256 with the channel secret, or ES256 with ``kid``."""
        if alg == "HS256":
            token = jwt.encode(claims, secret, algorithm="HS256", headers={"typ": "JWT"})
        elif alg == "ES256":
            token = jwt.encode(
                claims,
                self._private_key,
                algorithm="ES256",
                headers={"typ": "JWT", "kid": self.kid},
            )
        else:
            raise ValueError(f"LINE ID tokens are HS256 or ES256, not {alg!r}")
        self.signed.add(token)
        return token


def id_token_claims(
    user: EmulatedUser,
    channel_id: str,
    *,
    now: float,
    scopes: tuple[str, ...] | list[str],
    nonce: str | None = None,
    email: str | None = None,
    amr: list[str] | None = None,
    auth_time: int | None = None,
    subject: str | None = None,
) -> dict[str, Any]:
    """The payload of spec §5.2: optional claims are omitted, not null.

    ``subject`` is the user's ID under the channel's provider (``user.user_id`` if omitted).
    """
    iat = int(now)
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": subject or user.user_id,
        "aud": channel_id,
        "exp": iat + ID_TOKEN_TTL,
        "iat": iat,
    }
    if auth_time is not None:
        claims["auth_time"] = auth_time
    if nonce is not None:
        claims["nonce"] = nonce
    if amr:
        claims["amr"] = list(amr)
    if "profile" in scopes:
        claims["name"] = user.name
        if user.picture_url:
            claims["picture"] = user.picture_url
    if email:
        claims["email"] = email
    return claims
