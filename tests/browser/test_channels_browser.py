"""A site with two LINE channels, in a real (headless) Chromium: a visitor logs in through
each channel's button; both logins are the same person under one provider."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from selenium.webdriver.support.ui import Select

from line_auth.models import LineAccount

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHANNELS = {
    "jp": {"CHANNEL_ID": "2000000001", "CHANNEL_SECRET": "a" * 32, "PROVIDER": "retail", "LABEL": "Japan"},
    "tw": {"CHANNEL_ID": "2000000002", "CHANNEL_SECRET": "b" * 32, "PROVIDER": "retail", "LABEL": "Taiwan"},
}


@pytest.fixture
def line_emulator_options(settings: Any) -> dict[str, Any]:
    """Declare the two channels before the emulator is built, so it serves both."""
    settings.SOCIAL_AUTH_LINE_KEY = settings.SOCIAL_AUTH_LINE_SECRET = ""
    settings.LINE_AUTH_CHANNELS = CHANNELS
    return {}


def test_a_visitor_logs_in_through_each_channels_button(browser: Any, line_site: Any) -> None:
    taro = line_site.emulator.add_user(name="Taro Line", picture_url=None)
    for name, declared in CHANNELS.items():
        browser.driver.delete_all_cookies()
        browser.get("/buttons/")
        labels = [button.text for button in browser.find_all("button.line-auth-line-button")]
        assert labels == ["Log in with LINE\nJapan", "Log in with LINE\nTaiwan"]
        browser.screenshot(f"channels-buttons-{name}")
        browser.click(f"form[data-line-channel={name}] button")
        assert browser.url.startswith(line_site.url) and f"client_id={declared['CHANNEL_ID']}" in browser.url

        Select(browser.find("select[name=emulator_user]")).select_by_value(taro.user_id)
        browser.click("button[name=action][value=approve]")

        assert browser.url.endswith("/accounts/line/account/"), browser.driver.page_source[:2000]
        assert declared["LABEL"] in browser.text
        assert LineAccount.objects.filter(channel_id=declared["CHANNEL_ID"]).exists()

    assert LineAccount.objects.count() == 2 and get_user_model().objects.count() == 1
