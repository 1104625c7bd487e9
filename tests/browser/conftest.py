"""Real-browser tests: Debian's Chromium, headless, driven by Selenium.

Nothing is downloaded: the browser is ``/usr/bin/chromium`` and the driver
``/usr/bin/chromedriver`` (apt packages ``chromium`` and ``chromium-driver``), both
passed explicitly so Selenium Manager never runs. Without them the tests are skipped.

Each page visited is saved as PNGs under ``artifacts/screenshots/`` at a phone
(390x844) and a desktop (1280x800) viewport.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
VIEWPORTS = {"phone": (390, 844, True), "desktop": (1280, 800, False)}
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = None
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        reason = (
            f"needs {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)"
        )
    else:
        try:
            import selenium  # noqa: F401
        except ImportError:
            reason = "needs selenium (pip install -e '.[test]')"
    if reason:
        here = Path(__file__).parent
        for item in items:
            if Path(str(item.fspath)).is_relative_to(here):
                item.add_marker(pytest.mark.skip(reason=reason))


class Browser:
    """A thin helper over the WebDriver: language, viewports and screenshots."""

    def __init__(self, driver: Any, base_url: str, line: Any) -> None:
        self.driver = driver
        self.base_url = base_url
        self.line = line  # the emulator server: ``line.url``, ``line.emulator``
        self.language = "en"

    def use_language(self, language: str) -> None:
        """Pick the page language the Django way: the ``django_language`` cookie."""
        from django.conf import settings

        self.language = language
        self.driver.get(f"{self.base_url}/static/line_auth/line_auth.css")
        self.driver.delete_all_cookies()
        self.driver.add_cookie({"name": settings.LANGUAGE_COOKIE_NAME, "value": language})

    def get(self, path: str) -> None:
        self.driver.get(path if path.startswith("http") else self.base_url + path)

    def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def click(self, css: str) -> None:
        """Click something that submits a form or follows a link, and wait for the next page.

        The old page is marked with a window property that a new document does not have.
        Waiting for an element of the old page to go stale instead is racy: while the page
        is being replaced Chromium may answer "node does not belong to the document" rather
        than "stale element", and that error ends the wait.
        """
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver.execute_script("window.lineAuthPageBeforeClick = true")
        self.find(css).click()

        def next_page_loaded(driver: Any) -> bool:
            try:
                return bool(
                    driver.execute_script(
                        "return !window.lineAuthPageBeforeClick"
                        " && document.readyState === 'complete'"
                    )
                )
            except WebDriverException:  # asked while one document replaces the other
                return False

        WebDriverWait(self.driver, 10).until(next_page_loaded)

    @property
    def text(self) -> str:
        return self.find("body").text

    @property
    def url(self) -> str:
        return self.driver.current_url

    def viewport(self, name: str) -> None:
        width, height, mobile = VIEWPORTS[name]
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
        )

    def screenshot(self, name: str) -> None:
        """Save the current page at both viewports: ``<name>-<lang>-<phone|desktop>.png``."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for viewport in VIEWPORTS:
            self.viewport(viewport)
            self.driver.save_screenshot(str(SCREENSHOTS / f"{name}-{self.language}-{viewport}.png"))
        self.viewport("desktop")


@pytest.fixture(scope="session")
def chromium_driver() -> Iterator[Any]:
    """One headless Chromium for the whole run; each test starts with no cookies."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="line-auth-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument("--window-size=1280,800")
    options.add_argument("--lang=en-US")
    # No speculative connections: an unused preconnected socket is closed only after the
    # test, and its server thread then closes a database connection the test no longer owns.
    options.add_experimental_option("prefs", {"net.network_prediction_options": 2})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(20)
    # One request per connection: Django's live server closes the test database
    # connection when a connection's thread ends, which must happen inside the test
    # that made the request, not later when Chromium drops an idle keep-alive socket.
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Connection": "close"}})
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def line_site(live_server: Any, line_emulator_server: Any, settings: Any) -> Any:
    """The site under ``live_server`` talking to the emulator served on another port."""
    settings.LINE_AUTH_ACCESS_BASE_URL = settings.LINE_AUTH_API_BASE_URL = line_emulator_server.url
    settings.LINE_AUTH_AUTHORIZATION_OPTIONS = {"bot_prompt": "normal"}
    settings.LOGIN_URL = "/accounts/line/login/"
    return line_emulator_server


@pytest.fixture
def browser(chromium_driver: Any, live_server: Any, line_site: Any) -> Iterator[Browser]:
    browser = Browser(chromium_driver, live_server.url, line_site)
    browser.viewport("desktop")
    yield browser
    chromium_driver.delete_all_cookies()
