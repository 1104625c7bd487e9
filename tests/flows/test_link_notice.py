"""The notice of what ending a link does at LINE: next to the unlink button, as a tag and a
constant for sign-up terms, in English, Japanese, Traditional Chinese and Thai."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation

from line_auth.deauthorization import LINE_LINK_NOTICE

# A part of the sentence each language must show (LY Corporation named as it is there).
EXPECTED = {
    "en": "we notify LY Corporation",
    "ja": "LINEヤフー株式会社",
    "zh-hant": "LY Corporation",
    "th": "LY Corporation",
}


@pytest.mark.parametrize("language", EXPECTED)
def test_the_constant_and_the_tag_say_the_same_in_each_language(language):
    with translation.override(language):
        text = str(LINE_LINK_NOTICE)
        rendered = Template("{% load line_auth %}{% line_link_notice %}").render(Context())
    assert EXPECTED[language] in text
    assert rendered == text.replace("'", "&#x27;")
    if language != "en":
        with translation.override("en"):
            assert text != str(LINE_LINK_NOTICE)  # really translated


@pytest.mark.django_db
@pytest.mark.parametrize("language", EXPECTED)
def test_the_account_page_shows_it_next_to_the_unlink_button(language, client, line_account_factory):
    account = line_account_factory()
    client.force_login(account.user)
    page = client.get("/accounts/line/account/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert "data-line-link-notice" in page and EXPECTED[language] in page
    assert page.index("/disconnect/") < page.index("data-line-link-notice")
