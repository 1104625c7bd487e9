"""Account takeover by configuration: trusting LINE's email while the pipeline links
logins to users by email.

LINE does not say whether an address was verified, so a brand-new LINE account
showing ``admin@example.com`` was logged in as the superuser. The combination is
an Error-level check, and LINE logins skip the association step meanwhile; the
association warning appears only where LINE's email can reach the step.
"""

from __future__ import annotations

import json
import logging

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.checks import Error, Warning
from django.test import override_settings
from social_core.pipeline import DEFAULT_AUTH_PIPELINE

from line_auth.checks import Codes
from line_auth.checks.pipeline import check_pipeline
from line_auth.models import LineAccount

pytestmark = [pytest.mark.ID_06]

ASSOCIATE = "social_core.pipeline.social_auth.associate_by_email"
OWN_STEP = "myproject.pipeline.add_line_email"
CREATE_USER = "social_core.pipeline.user.create_user"


def pipeline(*before_create_user: str) -> list[str]:
    """social-core's default pipeline with steps before ``create_user``, and line_auth's step."""
    steps = list(DEFAULT_AUTH_PIPELINE)
    index = steps.index(CREATE_USER)
    return [*steps[:index], *before_create_user, *steps[index:], "line_auth.pipeline.save_line_account"]


def association_messages(**overrides):
    with override_settings(**overrides):
        return [message for message in check_pipeline()
                if message.id in (Codes.EMAIL_TAKEOVER, Codes.ASSOCIATE_BY_EMAIL)]


TAKEOVER = Error(
    "LINE_AUTH_TRUST_EMAIL is on and the pipeline links logins to users by email: anyone could log in "
    "as any user by showing that user's email address at LINE.",
    hint="LINE does not say whether an address was verified. Turn LINE_AUTH_TRUST_EMAIL off, or give LINE "
    f"a pipeline without {ASSOCIATE} (SOCIAL_AUTH_LINE_PIPELINE). Until then LINE logins skip that step.",
    id=Codes.EMAIL_TAKEOVER,
)
OWN_STEP_WARNING = Warning(
    "The pipeline links logins to users by email after a step of your own; if that step puts LINE's "
    "email into details, anyone could take over an account.",
    hint="LINE does not say whether an address was verified: give LINE a pipeline without "
    f"{ASSOCIATE} (SOCIAL_AUTH_LINE_PIPELINE).",
    id=Codes.ASSOCIATE_BY_EMAIL,
)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"LINE_AUTH_TRUST_EMAIL": True, "SOCIAL_AUTH_PIPELINE": pipeline(ASSOCIATE)}, [TAKEOVER]),
        ({"LINE_AUTH_TRUST_EMAIL": True, "SOCIAL_AUTH_LINE_PIPELINE": pipeline(ASSOCIATE)}, [TAKEOVER]),
        # Another provider's pipeline: LINE has its own, without the step.
        ({"LINE_AUTH_TRUST_EMAIL": True, "SOCIAL_AUTH_PIPELINE": pipeline(ASSOCIATE),
          "SOCIAL_AUTH_LINE_PIPELINE": pipeline()}, []),
        # LINE's email never reaches details untrusted, so the step cannot match it.
        ({"SOCIAL_AUTH_PIPELINE": pipeline(ASSOCIATE)}, []),
        ({"SOCIAL_AUTH_PIPELINE": pipeline(ASSOCIATE, OWN_STEP)}, []),
        # ... unless a step of the site's own may put it there first.
        ({"SOCIAL_AUTH_PIPELINE": pipeline(OWN_STEP, ASSOCIATE)}, [OWN_STEP_WARNING]),
        ({"LINE_AUTH_TRUST_EMAIL": True, "SOCIAL_AUTH_PIPELINE": pipeline(OWN_STEP)}, []),
    ],
)
def test_the_association_check_fires_only_where_lines_email_can_match(overrides, expected):
    assert association_messages(**overrides) == expected


@pytest.fixture
def trusted_association(settings):
    settings.LINE_AUTH_TRUST_EMAIL = True
    settings.SOCIAL_AUTH_LINE_SCOPE = ["profile", "openid", "email"]
    settings.SOCIAL_AUTH_PIPELINE = pipeline(ASSOCIATE)


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser(username="admin", email="admin@example.com", password="pw")


@pytest.mark.django_db
def test_a_new_line_account_showing_the_admins_email_does_not_become_the_admin(
    login, client, line_emulator, trusted_association, superuser, caplog
):
    stranger = line_emulator.add_user(name="Not Admin", email="admin@example.com")
    response = login(client, line_emulator, stranger, begin={"scope": "profile openid email"})

    assert response.status_code == 302
    account = LineAccount.objects.select_related("user").get()
    assert account.user != superuser and not account.user.is_superuser
    assert int(client.session["_auth_user_id"]) == account.user.pk
    assert not superuser.line_accounts.exists()
    assert any(record.levelno == logging.ERROR and "line_auth.E014" in record.getMessage()
               for record in caplog.records)


@pytest.mark.django_db
def test_a_native_login_showing_the_admins_email_does_not_become_the_admin(
    client, line_emulator, trusted_association, superuser
):
    cache.clear()
    stranger = line_emulator.add_user(email="admin@example.com")
    nonce = client.post("/accounts/line/native/nonce/").json()["nonce"]
    token = line_emulator.make_id_token(stranger, settings.SOCIAL_AUTH_LINE_KEY, nonce=nonce, alg="ES256",
                                        scope="profile openid email")
    response = client.post("/accounts/line/native/login/", json.dumps({"id_token": token, "nonce": nonce}),
                           content_type="application/json")

    assert response.status_code == 200, response.content
    assert response.json()["user"]["id"] != superuser.pk
    assert get_user_model().objects.count() == 2 and not superuser.line_accounts.exists()
