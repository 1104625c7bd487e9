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
from typing import Any
from urllib.parse import quote, urlencode

from django.http import HttpRequest
from django.urls import reverse
from social_core.backends.oauth import BaseOAuth2PKCE
from social_core.exceptions import (
    AuthAssociationError,
    AuthCanceled,
    AuthInputError,
    AuthResponseError,
    SocialAuthBaseException,
)
from social_django.utils import load_backend, load_strategy

from line_auth import channels
from line_auth import client as line_client
from line_auth.channels import Channel
from line_auth.conf import line_settings
from line_auth.exceptions import InvalidIdToken, InvalidIdTokenSignature, LineAPIError
from line_auth.internal import fitting, identity, login_pipeline, steps
from line_auth.internal.backend_http import LineClientRequests
from line_auth.internal.id_token import verify_web_id_token
from line_auth.internal.options import resolve_options

logger = logging.getLogger("line_auth.backends")

# Never copied into UserSocialAuth.extra_data: it is stored unencrypted.
SECRET_RESPONSE_KEYS = ("access_token", "refresh_token", "id_token")


class LineBackend(LineClientRequests, BaseOAuth2PKCE):
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
    _channel: Channel | None = None

    # -- the channel: chosen at the login, bound to its state, used at the callback --

    @property
    def channel(self) -> Channel:
        """The channel of this login: the one chosen, or the default channel."""
        if self._channel is None:
            self._channel = channels.default_channel()
        return self._channel

    def use_channel(self, channel: Channel) -> None:
        """Log in through ``channel``; its ID, secret, scope and options are used from now on."""
        self._channel = channel
        self._login_options = None

    def get_key_and_secret(self) -> tuple[str, str]:
        """The channel's ID and secret, instead of social-core's single KEY and SECRET.

        social-core's documented hook: the authorization URL's ``client_id`` and
        the code exchange's credentials both come from here.
        """
        return self.channel.channel_id, self.channel.secret

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
            channel_options = {"scope": " ".join(self.channel.scope), **self.channel.authorization_options}
            self._login_options = resolve_options(request_values, line_settings.request_options, channel_options)
        return self._login_options

    def get_scope(self) -> list[str]:
        """The scope of this login's validated options (settings or an allowed request value)."""
        return self.login_options()["scope"].split()

    def auth_params(self, state: str | None = None) -> dict[str, str]:
        """social-core's parameters (state, PKCE) plus the nonce and LINE's options.

        The nonce, the options and the channel are kept with the state, for the
        callback to check: a callback cannot choose its channel.
        """
        params = super().auth_params(state)
        options = self.login_options()
        nonce = self.strategy.random_string(self.NONCE_LENGTH)
        channel = self.channel
        self._remember(state, nonce=nonce, options=options,
                       channel={"name": channel.name, "channel_id": channel.channel_id})
        params["nonce"] = nonce
        params.update(options)  # their scope is the one auth_url sends as social-core's scope argument
        return params

    def _remember(self, state: str | None, **values: Any) -> None:
        """Keep what the callback must check in the state's session transaction, which
        social-core's ``get_or_create_state`` stored before ``auth_url`` asked for the parameters."""
        key = self.transaction_key(str(state))
        self.strategy.session_set(key, {**self.strategy.session_get(key), **values})

    # -- the callback --

    def auth_complete(self, *args: Any, **kwargs: Any) -> Any:
        """Validate the callback, exchange the code once, verify the ID token, run the pipeline."""
        error = self.data.get("error")
        pending = self._stored_with_state()
        state = self.validate_state()
        self.use_channel(self._bound_channel(pending))
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
        response["channel_id"] = self.channel.channel_id
        # The add-friend option this login showed, if any: friendship.login reads it.
        response["bot_prompt"] = options.get("bot_prompt")
        return self.do_auth(access_token, *args, response=response, **kwargs)

    def _stored_with_state(self) -> dict[str, Any]:
        """What ``auth_params`` kept with this callback's state: the nonce and the options.

        It lives in the state's session transaction (``transaction_key``), which
        ``validate_state`` removes once the state is used, so it is read first; the
        callback trusts it only after ``validate_state`` accepted the state.
        """
        state = self.get_request_state()
        if not state:
            return {}  # validate_state refuses this callback next
        return self.strategy.session_get(self.transaction_key(state)) or {}

    def _bound_channel(self, pending: dict[str, Any]) -> Channel:
        """The channel the login was started with, as stored with its state.

        A state stored before channels existed names none: it was the default
        channel's. A stored channel that is no longer configured, no longer takes
        web logins, or whose name and ID disagree is refused, never replaced.
        """
        stored = pending.get("channel")
        if stored is None:
            return channels.default_channel()
        found = channels.by_id(str(stored.get("channel_id", ""))) if isinstance(stored, dict) else None
        if found is None or found.name != stored.get("name") or not found.serves_web_login:
            logger.warning("LINE callback refused: its stored channel is not a configured web channel")
            raise AuthResponseError(self, code="channel_mismatch", stage="callback")
        return found

    def _callback_error(self, error: str) -> SocialAuthBaseException:
        # LINE documents upper-case codes; its own SDKs compare case-insensitively. The code
        # alone decides: LINE's error_description is free text no page or log line shows
        # (the audit trail reads it from the request).
        found = self.get_provider_error({"error": error.lower()})
        # social-core classifies every non-empty code; the fallback only gives the type an answer.
        return found or AuthCanceled(self)

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
                channel_id=self.channel.channel_id,
                channel_secret=self.channel.secret,
                issuer=line_settings.id_token_issuer,
                nonce=str(pending.get("nonce") or ""),
                max_age=int(max_age) if max_age is not None else None,
                leeway=line_settings.id_token_leeway,
            )
            return identity.from_claims(claims)
        except InvalidIdToken as error:
            logger.warning("LINE ID token rejected: %s", error.reason)
            code = "invalid_signature" if isinstance(error, InvalidIdTokenSignature) else "invalid_claim"
            # The reason is in the line above and in the cause; no page or log line reads the message.
            raise AuthResponseError(self, code=code, stage="token_validation") from error

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
        """Run LINE's pipeline, in one transaction where it creates anything.

        social-core hands in the pipeline setting it found for LINE or, when there is
        none, its generic ``DEFAULT_AUTH_PIPELINE``, which saves no ``LineAccount``.
        Which of the two it is, social-core's own lookup says (``setting("PIPELINE")``);
        without a setting the backend runs its own ``LINE_AUTH_PIPELINE``, never by
        comparing lists. docs/pipeline.md says exactly what runs.
        """
        configured = pipeline if self.setting("PIPELINE") is not None else None
        pipeline = steps.refuse_email_association(steps.for_line(configured), logger)
        try:
            return login_pipeline.run(self, super().pipeline, pipeline, pipeline_index, args, kwargs)
        except AuthAssociationError:
            if kwargs.get("user") is not None:
                raise  # a logged-in user tried to link a LINE account someone else owns
            # A parallel first login (a second tab) created this LINE user's account while
            # ours was rolled back, or another request unlinked it: look up and run again.
            return login_pipeline.run(self, super().pipeline, pipeline, pipeline_index, args, kwargs)


def get_backend(request: HttpRequest, channel: Channel | None = None) -> LineBackend:
    """The ``line`` backend bound to this request, with our callback URL; ``channel`` is the one
    a login starts with (a callback finds its own in the state it comes back with)."""
    strategy = load_strategy(request)
    backend: LineBackend = load_backend(strategy, LineBackend.name, redirect_uri=reverse("line_auth:complete"))
    if channel is not None:
        backend.use_channel(channel)
    return backend
