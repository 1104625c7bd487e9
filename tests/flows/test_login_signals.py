"""The signals a LINE login sends, with what their documentation promises to receivers.

line_auth/signals.py: ``line_account_linked`` (request, user, line_account) on the first
link only, ``line_login`` (request, user, line_account, is_new_user) on every login.
"""

from __future__ import annotations

import pytest
from django.http import HttpRequest

from line_auth import signals
from line_auth.internal import steps
from line_auth.models import LineAccount

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    got: list[tuple[str, object, dict]] = []

    def recorder(name):
        def receive(sender, signal, **kwargs):
            got.append((name, sender, kwargs))
        return receive

    receivers = {"linked": recorder("linked"), "login": recorder("login")}
    signals.line_account_linked.connect(receivers["linked"])
    signals.line_login.connect(receivers["login"])
    yield got
    signals.line_account_linked.disconnect(receivers["linked"])
    signals.line_login.disconnect(receivers["login"])


def test_a_first_login_announces_the_link_then_the_login(
    received, login, client, line_emulator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        login(client, line_emulator, line_emulator.add_user())
    account = LineAccount.objects.get()
    assert [(name, sender) for name, sender, _ in received] == [("linked", LineAccount), ("login", LineAccount)]
    (_, _, linked), (_, _, logged_in) = received
    assert set(linked) == {"request", "user", "line_account"}
    assert set(logged_in) == {"request", "user", "line_account", "is_new_user"}
    for kwargs in (linked, logged_in):
        assert isinstance(kwargs["request"], HttpRequest)
        assert kwargs["user"] == account.user and kwargs["line_account"] == account
    assert logged_in["is_new_user"] is True


def test_a_returning_login_announces_only_the_login_of_a_known_user(
    received, login, client, line_emulator, django_capture_on_commit_callbacks
):
    taro = line_emulator.add_user()
    login(client, line_emulator, taro)
    client.logout()
    with django_capture_on_commit_callbacks(execute=True):
        login(client, line_emulator, taro)
    account = LineAccount.objects.get()
    assert [(name, sender) for name, sender, _ in received] == [("login", LineAccount)]
    kwargs = received[0][2]
    assert kwargs["user"] == account.user and kwargs["line_account"] == account
    assert isinstance(kwargs["request"], HttpRequest) and kwargs["is_new_user"] is False


def test_a_visitor_logged_in_who_links_line_without_sign_up_is_not_announced_as_new(
    received, login, client, line_emulator, user_factory, settings, django_capture_on_commit_callbacks
):
    """A pipeline without create_user (docs/pipeline.md): the visitor's own user gets the
    account, and receivers must not treat the visitor as someone who just signed up."""
    settings.SOCIAL_AUTH_PIPELINE = [step for step in steps.LINE_AUTH_PIPELINE if step != steps.CREATE_USER]
    visitor = user_factory()
    client.force_login(visitor)
    with django_capture_on_commit_callbacks(execute=True):
        assert login(client, line_emulator, line_emulator.add_user()).status_code == 302
    assert LineAccount.objects.get().user == visitor
    assert [(name, kwargs["user"]) for name, _, kwargs in received] == [("linked", visitor), ("login", visitor)]
    assert received[1][2]["is_new_user"] is False
