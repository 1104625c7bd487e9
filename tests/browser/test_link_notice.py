"""The notice of what ending a LINE link does, as a visitor's browser shows it: next to the
unlink button and on the admin's delete page, in the language the browser asks for."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What each language must show of the sentence (LY Corporation as it is named there).
EXPECTED = {
    "en": "we notify LY Corporation",
    "ja": "LINEヤフー株式会社",
    "zh-hant": "LY Corporation",
    "th": "LY Corporation",
}
CLOSE = {"Connection": "close"}  # what the session's driver sends on every request


@pytest.fixture
def accept_language(browser: Any) -> Iterator[Any]:
    """Ask for pages in a language the way a browser does: the Accept-Language header."""

    def use(language: str) -> None:
        browser.language = language
        browser.driver.execute_cdp_cmd(
            "Network.setExtraHTTPHeaders", {"headers": {**CLOSE, "Accept-Language": language}}
        )

    yield use
    browser.driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": CLOSE})


def log_in(browser: Any, next: str) -> None:
    browser.get(f"/admin/login/?next={next}")
    browser.find("#id_username").send_keys("boss")
    browser.find("#id_password").send_keys("boss-password")
    browser.click("input[type=submit], button[type=submit]")
    assert browser.url.endswith(next)


@pytest.mark.parametrize("language", EXPECTED)
def test_the_notice_is_shown_next_to_unlink_and_delete(
    browser: Any, accept_language: Any, django_user_model: Any, line_account_factory: Any, language: str
) -> None:
    boss = django_user_model.objects.create_superuser("boss", "boss@example.com", "boss-password")
    account = line_account_factory(user=boss, display_name="Hanako Line")
    accept_language(language)

    log_in(browser, "/accounts/line/account/")
    assert browser.find("html").get_attribute("lang").lower() == language
    notice = browser.find("[data-line-link-notice]")
    assert notice.is_displayed() and EXPECTED[language] in notice.text
    assert browser.find("form[action$='/disconnect/'] button").is_displayed()
    browser.screenshot("11-account-link-notice")

    browser.get(f"/admin/line_auth/lineaccount/{account.pk}/delete/")
    notice = browser.find("[data-line-link-notice]")
    assert notice.is_displayed() and EXPECTED[language] in notice.text
    browser.screenshot("12-admin-delete-link-notice")
