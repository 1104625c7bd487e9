"""A login over real HTTP: the site on a live server, the emulator on another port,
and a visitor driven by `requests` through the emulator's consent page."""

from __future__ import annotations

import html
import re

import pytest
import requests

from line_auth.models import Friendship, LineAccount

pytestmark = pytest.mark.django_db(transaction=True)


def hidden_fields(page: str) -> dict[str, str]:
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
    return {name: html.unescape(value) for name, value in found}


def test_a_visitor_logs_in_over_http_and_becomes_a_friend(live_server, line_emulator_server, settings):
    settings.LINE_AUTH_ACCESS_BASE_URL = settings.LINE_AUTH_API_BASE_URL = line_emulator_server.url
    settings.LINE_AUTH_AUTHORIZATION_OPTIONS = {"bot_prompt": "normal"}
    taro = line_emulator_server.emulator.add_user(name="Taro Live")
    browser = requests.Session()

    login_page = browser.get(f"{live_server.url}/accounts/line/login/")
    csrf = hidden_fields(login_page.text)["csrfmiddlewaretoken"]
    consent = browser.post(f"{live_server.url}/accounts/line/login/", data={"csrfmiddlewaretoken": csrf},
                           headers={"Referer": f"{live_server.url}/accounts/line/login/"})
    assert consent.url.startswith(line_emulator_server.url) and "Allow" in consent.text

    form = hidden_fields(consent.text)
    form.update({"emulator_user": taro.user_id, "emulator_add_friend": "1", "action": "approve"})
    landed = browser.post(f"{line_emulator_server.url}/oauth2/v2.1/authorize/consent", data=form)

    assert landed.url == f"{live_server.url}/done/"
    account = LineAccount.objects.get()
    assert account.line_user_id == taro.user_id and account.friendship == Friendship.FRIEND
    page = browser.get(f"{live_server.url}/accounts/line/account/")
    assert "Taro Live" in page.text and 'data-friendship="friend"' in page.text
