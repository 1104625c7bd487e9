"""The social-core backend ``line``: LINE Login v2.1 with state, nonce, PKCE and
local ID token verification.

It builds on social-core's ``BaseOAuth2PKCE`` (state transactions bound to the
session, single-use state, S256 verifier) and overrides only what LINE needs:
its authorization parameters, its upper-case error codes, HS256 ID tokens keyed
with the channel secret, and profile data read from the verified token, so a
login with ``openid`` costs one call to LINE. social-core's generic
``OpenIdConnectAuth`` is not used because it expects discovery and JWKS keys
(LINE's discovery lists only ES256 while web tokens are HS256) and keeps nonces
in an extra database table.
"""

from __future__ import annotations

import logging
from typing import Any, Literal
from urllib.parse import quote, urlencode

from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from social_core.backends.oauth import BaseOAuth2PKCE
from social_core.exceptions import (
    AuthAssociationError,
    AuthCanceled,
    AuthInputError,
    AuthProviderError,
    AuthResponseError,
    SocialAuthBaseException,
)
from social_django.utils import load_backend, load_strategy

from line_auth import client as line_client
from line_auth.conf import line_settings
from line_auth.exceptions import InvalidIdToken, InvalidIdTokenSignature, LineAPIError, LineUnavailable
from line_auth.internal import fitting, identity, logins, steps
from line_auth.internal.id_token import verify_web_id_token
from line_auth.internal.options import resolve_options

logger = logging.getLogger("line_auth.backends")

# Never copied into UserSocialAuth.extra_data: it is stored unencrypted.
SECRET_RESPONSE_KEYS = ("access_token", "refresh_token", "id_token")


def refuse_email_association(pipeline: list[str]) -> list[str]:
    """``pipeline`` without its email association steps while LINE's email is trusted.

    LINE does not say whether an address was verified: with the email trusted,
    ``associate_by_email`` would log anyone showing an admin's address in as
    that admin. Check ``line_auth.E014`` reports it; this keeps a site whose
    checks never ran (a WSGI server does not run them) safe meanwhile.
    """
    refused = steps.email_associations(pipeline) if line_settings.trust_email else []
    if not refused:
        return pipeline
    logger.error("LINE login skips %s: LINE's email is trusted but not verified (check line_auth.E014)",
                 ", ".join(refused))
    return [step for step in pipeline if step not in refused]


class LineBackend(BaseOAuth2PKCE):
    """LINE Login (OAuth 2.0 code flow + OpenID Connect) for social-auth."""

    name = "line"
    ID_KEY = "sub"
    STATE_PARAMETER = True
    # LINE compares redirect_uri exactly between authorize and token requests.
    REDIRECT_STATE = False
    SCOPE_SEPARATOR = " "
    DEFAULT_USE_PKCE = True
    PKCE_DEFAULT_CODE_VERIFIER_LENGTH = 64
    EXTRA_DATA = [("expires_in", "expires"), ("scope", "scope"), ("token_type", "token_type")]
    NONCE_LENGTH = 32

    _login_options: dict[str, str] | None = None

    # -- endpoints: settings, so a site can point at the emulator or a proxy --

    def authorization_url(self) -> str:
        """LINE's authorize endpoint under ``LINE_AUTH_ACCESS_BASE_URL`` (the emulator, a proxy)."""
        return f"{line_settings.access_base_url}{line_client.AUTHORIZE_PATH}"

    def auth_url(self) -> str:
        """The authorization URL with every value percent-encoded (``%20`` as in LINE's docs).

        social-core unquotes the whole query when ``REDIRECT_STATE`` is off, so a callback
        URL with its own query (``?site=jp&lang=ja``, ``?next=%2F``), which LINE allows,
        would reach LINE cut or changed and the token request's ``redirect_uri`` would
        not match it.
        """
        state = self.get_or_create_state()
        params = {**self.auth_params(state), **self.get_scope_argument(), **self.auth_extra_arguments()}
        return f"{self.authorization_url()}?{urlencode(params, quote_via=quote)}"

    def access_token_url(self) -> str:
        """The token endpoint of the LINE client's API base URL, like every other call to LINE."""
        return line_client.get_client().api_url(line_client.TOKEN_PATH)

    # -- the authorization request --

    def login_options(self) -> dict[str, str]:
        """The validated LINE parameters for this login: settings plus allowed request values.

        Raises :class:`~line_auth.exceptions.InvalidOption` before anything is stored.
        """
        if self._login_options is None:
            request_values = self.strategy.request_data()
            self._login_options = resolve_options(request_values, line_settings.request_options)
        return self._login_options

    def get_scope(self) -> list[str]:
        """The scope of this login's validated options (settings or an allowed request value)."""
        return self.login_options()["scope"].split()

    def auth_params(self, state: str | None = None) -> dict[str, str]:
        """social-core's parameters (state, PKCE) plus the nonce and LINE's options.

        The nonce and options are kept with the state, for the callback to check.
        """
        params = super().auth_params(state)
        options = self.login_options()
        nonce = self.strategy.random_string(self.NONCE_LENGTH)
        self._remember(state, nonce=nonce, options=options)
        params["nonce"] = nonce
        params.update({name: value for name, value in options.items() if name != "scope"})
        return params

    def _remember(self, state: str | None, **values: Any) -> None:
        """Keep what the callback must check in the state's session transaction."""
        key = self.transaction_key(state or "")
        transaction_data = self.strategy.session_get(key)
        if not isinstance(transaction_data, dict):
            raise AuthInputError(self, parameter="state", code="session_context_missing", stage="begin")
        self.strategy.session_set(key, {**transaction_data, **values})

    # -- the callback --

    def auth_complete(self, *args: Any, **kwargs: Any) -> Any:
        """Validate the callback, exchange the code once, verify the ID token, run the pipeline."""
        error = self.data.get("error")
        pending = self._stored_with_state()
        state = self.validate_state()
        if error:
            raise self._callback_error(str(error))
        if not self.data.get("code"):
            raise AuthInputError(self, parameter="code", code="missing_parameter", stage="callback")
        response = self.request_access_token(
            self.access_token_url(),
            method="POST",
            headers=self.auth_headers(),
            data=self.auth_complete_params(state),
        )
        access_token = self.get_access_token(response)
        options = pending.get("options") or {}
        if "openid" in options.get("scope", "").split():
            response.update(self._identity_from_id_token(response, pending))
        else:
            response.update(self._identity_from_profile(access_token))
        response["friendship_status_changed"] = self.data.get("friendship_status_changed")
        return self.do_auth(access_token, *args, response=response, **kwargs)

    def _stored_with_state(self) -> dict[str, Any]:
        """What ``auth_params`` kept with this callback's state: the nonce and the options.

        It lives in the state's session transaction (``transaction_key``), which
        ``validate_state`` removes once the state is used, so it is read first; the
        callback trusts it only after ``validate_state`` accepted the state.
        """
        state = self.get_request_state()
        stored = self.strategy.session_get(self.transaction_key(state)) if isinstance(state, str) else None
        return stored if isinstance(stored, dict) else {}

    def _callback_error(self, error: str) -> SocialAuthBaseException:
        # LINE documents upper-case codes; its own SDKs compare case-insensitively.
        data = {"error": error.lower(), "error_description": str(self.data.get("error_description", ""))}
        found = self.get_provider_error(data, stage="callback")
        return found or AuthCanceled(self, stage="callback")

    def _identity_from_id_token(self, response: dict[str, Any], pending: dict[str, Any]) -> dict[str, Any]:
        """Claims of the verified ID token; no second call to LINE is needed."""
        token = response.get("id_token")
        if not token:
            # Asked for openid but got no ID token: fail closed (no silent fallback).
            raise AuthResponseError(self, claim="id_token", code="missing_claim", stage="token_validation")
        options = pending.get("options") or {}
        max_age = options.get("max_age")
        try:
            claims = verify_web_id_token(
                token,
                channel_id=line_settings.channel_id,
                channel_secret=line_settings.channel_secret,
                issuer=line_settings.id_token_issuer,
                nonce=str(pending.get("nonce") or ""),
                max_age=int(max_age) if max_age is not None else None,
                leeway=line_settings.id_token_leeway,
            )
            return identity.from_claims(claims)
        except InvalidIdToken as error:
            logger.warning("LINE ID token rejected: %s", error.reason)
            code = "invalid_signature" if isinstance(error, InvalidIdTokenSignature) else "invalid_claim"
            raise AuthResponseError(self, error.reason, code=code, stage="token_validation") from error

    def _identity_from_profile(self, access_token: str) -> dict[str, Any]:
        """Without ``openid`` the profile API is the only source of the user ID."""
        try:
            profile = line_client.get_client().get_profile(access_token)
        except LineAPIError as error:
            raise self._api_failure(error, stage="user_info") from error
        found = identity.from_profile(profile)
        if found is None:
            raise AuthResponseError(self, claim="userId", code="missing_claim", stage="user_info")
        return found

    def user_data(self, access_token: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Identity was already read during the callback; nothing more to fetch."""
        return {}

    def get_user_details(self, response: dict[str, Any]) -> dict[str, Any]:
        """The user's details, each fitting its column; the email only if trusted and valid."""
        return fitting.user_details(response, trust_email=line_settings.trust_email)

    def extra_data(self, user: Any, uid: str, response: dict[str, Any], details: dict[str, Any],
                   pipeline_kwargs: dict[str, Any]) -> dict[str, Any]:
        """Only non-secret fields; tokens live encrypted in ``LineAccount``."""
        data = super().extra_data(user, uid, response, details, pipeline_kwargs)
        for key in SECRET_RESPONSE_KEYS:
            data.pop(key, None)
        # The login time lives on LineAccount; kept here it would rewrite this row at
        # every login for nothing.
        data.pop("auth_time", None)
        return data

    def pipeline(self, pipeline: Any, pipeline_index: int = 0, *args: Any, **kwargs: Any) -> Any:
        """Run LINE's pipeline in one transaction, so a failure leaves no half-made account.

        social-core hands in the pipeline setting it found for LINE or, when there is
        none, its generic ``DEFAULT_AUTH_PIPELINE``, which saves no ``LineAccount``.
        Which of the two it is, social-core's own lookup says (``setting("PIPELINE")``);
        without a setting the backend runs its own ``LINE_AUTH_PIPELINE``, never by
        comparing lists. docs/pipeline.md says exactly what runs.
        """
        configured = pipeline if self.setting("PIPELINE") is not None else None
        pipeline = refuse_email_association(steps.for_line(configured))
        try:
            with transaction.atomic():
                return logins.completed(self, super().pipeline(pipeline, pipeline_index, *args, **kwargs), kwargs)
        except AuthAssociationError:
            if kwargs.get("user") is not None:
                raise  # a logged-in user tried to link a LINE account someone else owns
            # A parallel first login (a second tab) created this LINE user's account
            # while ours was rolled back: run again and find it.
            with transaction.atomic():
                return logins.completed(self, super().pipeline(pipeline, pipeline_index, *args, **kwargs), kwargs)

    # -- HTTP goes through the pooled LINE client --

    def request(self, url: str, *, method: Literal["GET", "POST", "DELETE"] = "GET",
                headers: Any = None, data: Any = None, json: Any = None, auth: Any = None,
                params: Any = None, timeout: float | None = None, stage: Any = "user_info") -> Any:
        """Through the pooled LINE client (timeouts, retries, the emulator), with its errors
        turned into social-core's, so the callback ends on the friendly page."""
        try:
            return line_client.get_client().send(
                method, url, headers=headers, data=data, json=json, auth=auth, params=params,
                idempotent=False, **({"timeout": timeout} if timeout else {}),
            )
        except LineAPIError as error:
            raise self._api_failure(error, stage=stage) from error

    def _api_failure(self, error: LineAPIError, *, stage: Any) -> SocialAuthBaseException:
        if isinstance(error, LineUnavailable):
            return AuthProviderError(self, code="unavailable", status_code=error.status_code, stage=stage)
        data = {"error": error.error.lower(), "error_description": error.error_description}
        found = self.get_provider_error(data, stage=stage, status_code=error.status_code)
        if found is not None:
            return found
        code = "rate_limited" if error.status_code == 429 else "unavailable" if error.is_transient else "http_error"
        return AuthProviderError(self, code=code, status_code=error.status_code, stage=stage)


def get_backend(request: HttpRequest) -> LineBackend:
    """The ``line`` backend bound to this request, with our callback URL."""
    strategy = load_strategy(request)
    return load_backend(strategy, LineBackend.name, redirect_uri=reverse("line_auth:complete"))
