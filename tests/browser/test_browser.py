"""What a visitor sees, in a real (headless) Chromium: the site on ``live_server``,
LINE played by the emulator on another port, in English and Japanese."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from line_auth.models import Friendship, LineAccount
from line_auth.views.failures import FAILURES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["en", "ja"]
ACCOUNT = "/accounts/line/account/"


def translated(language: str, message: Any) -> str:
    """``message`` (a string or a lazy translation) as a visitor using ``language`` reads it."""
    with translation.override(language):
        return translation.gettext(message) if isinstance(message, str) else str(message)


def start_login(browser: Any, name: str | None = None, *, next: str = ACCOUNT) -> None:
    """From the site's login page to the emulator's consent page."""
    browser.get(f"/accounts/line/login/?next={next}")
    if name:
        browser.screenshot(name)
    button = "button.line-auth-line-button"
    assert browser.find(button).text == translated(browser.language, "Log in with LINE")
    browser.click(button)
    assert browser.url.startswith(browser.line.url), browser.driver.page_source[:3000]


def consent(browser: Any, user: Any, action: str = "approve", *, add_friend: bool = False) -> None:
    """Choose the emulated LINE user on the consent page and press a button."""
    from selenium.webdriver.support.ui import Select

    Select(browser.find("select[name=emulator_user]")).select_by_value(user.user_id)
    friend = browser.find_all("input[name=emulator_add_friend]")
    if friend and friend[0].is_selected() != add_friend:
        friend[0].click()
    browser.click(f"button[name=action][value={action}]")


@pytest.fixture
def taro(line_site: Any) -> Any:
    return line_site.emulator.add_user(name="Taro Line", picture_url=None)


@pytest.mark.parametrize("language", LANGUAGES)
def test_log_in(browser: Any, taro: Any, language: str) -> None:
    browser.use_language(language)
    start_login(browser, "01-login")
    browser.screenshot("02-consent")
    consent(browser, taro)

    assert browser.url.endswith(ACCOUNT), browser.driver.page_source[:2500]
    assert "Taro Line" in browser.text
    friendship = browser.find("[data-friendship]").get_attribute("data-friendship")
    assert friendship == Friendship.NOT_FRIEND
    assert translated(language, "Unlink this LINE account") in browser.text
    browser.screenshot("03-account")
    assert LineAccount.objects.get().line_user_id == taro.user_id


@pytest.mark.parametrize("language", LANGUAGES)
def test_add_the_friend_on_the_consent_page(browser: Any, taro: Any, language: str) -> None:
    browser.use_language(language)
    start_login(browser)
    consent(browser, taro, add_friend=True)

    badge = browser.find("[data-friendship]")
    assert badge.get_attribute("data-friendship") == Friendship.FRIEND
    assert badge.text == translated(language, Friendship.FRIEND.label)
    browser.screenshot("04-account-friend")


@pytest.mark.parametrize("language", LANGUAGES)
def test_cancel_on_the_consent_page(browser: Any, taro: Any, language: str) -> None:
    browser.use_language(language)
    start_login(browser)
    consent(browser, taro, "deny")

    failure = FAILURES["cancelled"]
    assert browser.find("h1").text == translated(language, failure.title)
    assert translated(language, failure.message) in browser.text
    assert browser.find_all("button.line-auth-button")  # "Try again"
    browser.screenshot("05-error-cancelled")
    assert not LineAccount.objects.exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_retry_after_auto_login_failure(browser: Any, taro: Any, language: str) -> None:
    browser.use_language(language)
    start_login(browser)
    browser.click("button[name=action][value=auto_login_failure]")

    failure = FAILURES["auto_login_failed"]
    assert browser.find("h1").text == translated(language, failure.title)
    browser.screenshot("06-error-auto-login")
    assert browser.find("button.line-auth-button").text == translated(language, "Try again")
    browser.click("button.line-auth-button")

    # The retry asks LINE for the login page itself, so the emulator offers no auto login.
    assert browser.url.startswith(browser.line.url)
    assert not browser.find_all("button[value=auto_login_failure]")
    consent(browser, taro)
    assert LineAccount.objects.get().line_user_id == taro.user_id


@pytest.mark.parametrize("language", LANGUAGES)
def test_unlink_is_refused_without_a_password(browser: Any, taro: Any, language: str) -> None:
    browser.use_language(language)
    start_login(browser)
    consent(browser, taro)
    browser.click("form[action$='/disconnect/'] button")

    refusal = "Set a password first: without LINE you would have no way to log in."
    assert browser.find(".line-auth-messages .error").text == translated(language, refusal)
    browser.screenshot("07-account-unlink-refused")
    assert LineAccount.objects.count() == 1


@pytest.mark.parametrize("language", LANGUAGES)
def test_unlink_with_a_password(browser: Any, taro: Any, language: str) -> None:
    browser.use_language(language)
    start_login(browser)
    consent(browser, taro)
    user = LineAccount.objects.get().user
    user.set_password("a-password-of-their-own")
    user.save()  # which ends the session (Django ties it to the password): log in again
    browser.get(ACCOUNT)
    assert "/accounts/line/login/" in browser.url
    start_login(browser)
    consent(browser, taro)
    browser.click("form[action$='/disconnect/'] button")

    assert browser.find(".line-auth-messages .success").text == translated(
        language, "Your LINE account was unlinked."
    )
    assert translated(language, "No LINE account is linked.") in browser.text
    assert browser.find_all("button.line-auth-line-button")  # link one again
    browser.screenshot("08-account-unlinked")
    assert not LineAccount.objects.exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_admin_sees_the_account(
    browser: Any, django_user_model: Any, line_account_factory: Any, language: str
) -> None:
    django_user_model.objects.create_superuser("boss", "boss@example.com", "boss-password")
    line_account_factory(display_name="Hanako Line", friendship=Friendship.FRIEND)
    browser.use_language(language)
    browser.get("/admin/login/?next=/admin/line_auth/lineaccount/")
    browser.find("#id_username").send_keys("boss")
    browser.find("#id_password").send_keys("boss-password")
    browser.click("input[type=submit], button[type=submit]")

    assert browser.url.endswith("/admin/line_auth/lineaccount/")
    assert "Hanako Line" in browser.find("#result_list").text
    browser.screenshot("09-admin-changelist")
    browser.click("#result_list tbody tr a")
    assert "Hanako Line" in browser.text
    browser.screenshot("10-admin-change")



def consent_and_follow_the_form_post(browser: Any, user: Any) -> None:
    """Consent, then let LINE's self-submitting form POST the callback: from LINE's host (the
    emulator on 127.0.0.1) to ours (localhost), which the browser treats as cross-site."""
    from selenium.webdriver.support.ui import WebDriverWait

    consent(browser, user)
    WebDriverWait(browser.driver, 10).until(lambda driver: "Redirecting" not in driver.title)


def test_form_post_logs_in_when_the_session_cookie_crosses_sites(browser: Any, taro: Any, settings: Any) -> None:
    settings.SESSION_COOKIE_SAMESITE = "None"
    settings.SESSION_COOKIE_SECURE = True  # Chromium keeps Secure cookies on http://localhost
    start_login(browser, next=f"{ACCOUNT}&response_mode=form_post")
    consent_and_follow_the_form_post(browser, taro)

    assert browser.url.endswith(ACCOUNT), browser.driver.page_source[:2500]
    assert "Taro Line" in browser.text
    browser.screenshot("11-account-after-form-post")
    assert LineAccount.objects.get().line_user_id == taro.user_id


def test_form_post_with_a_lax_session_cookie_is_refused_before_line(browser: Any, taro: Any) -> None:
    browser.get(f"/accounts/line/login/?next={ACCOUNT}&response_mode=form_post")
    browser.click("button.line-auth-line-button")

    assert browser.url.endswith("/accounts/line/login/")  # never sent to LINE
    assert translated(browser.language, FAILURES["invalid_option"].title) in browser.text
    browser.screenshot("12-form-post-refused")
    assert browser.line.emulator.count_calls() == 0 and not LineAccount.objects.exists()


def test_a_lax_session_cookie_is_really_missing_on_lines_form_post(browser: Any, taro: Any, settings: Any) -> None:
    """Why the refusal above exists, in a real browser: with form_post set site-wide
    (warning W003) the session cookie stays behind and the login is lost."""
    settings.LINE_AUTH_AUTHORIZATION_OPTIONS = {"response_mode": "form_post"}
    start_login(browser)
    consent_and_follow_the_form_post(browser, taro)

    assert "line-auth-page--error" in browser.find("body").get_attribute("class")
    browser.screenshot("13-form-post-lost-with-lax-cookie")
    assert not LineAccount.objects.exists()
