"""Operators of a several-channel site see, filter and search each account's channel and provider."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/line_auth/lineaccount/"
JAPAN = {"CHANNEL_ID": "2000000001", "CHANNEL_SECRET": "a" * 32, "PROVIDER": "retail", "LABEL": "LINE Japan"}
KOREA = {"CHANNEL_ID": "2000000003", "CHANNEL_SECRET": "c" * 32, "PROVIDER": "korea-brand", "LABEL": "LINE Korea"}


@pytest.fixture
def accounts(settings, line_account_factory):
    settings.LINE_AUTH_CHANNELS = {"jp": JAPAN, "kr": KOREA}
    return {
        "Aiko": line_account_factory(display_name="Aiko", channel_id=JAPAN["CHANNEL_ID"], provider="retail"),
        "Minji": line_account_factory(display_name="Minji", channel_id=KOREA["CHANNEL_ID"], provider="korea-brand"),
        "Gone": line_account_factory(display_name="Gone", channel_id="2999999999", provider="old"),
    }


def listed(admin_client, **query):
    html = admin_client.get(CHANGELIST, query).content.decode()
    return {name for name in ("Aiko", "Minji", "Gone") if f">{name}<" in html}


def test_the_changelist_names_each_accounts_channel_and_provider(admin_client, accounts):
    html = admin_client.get(CHANGELIST).content.decode()

    assert '<td class="field-channel">LINE Japan</td>' in html
    assert '<td class="field-channel">LINE Korea</td>' in html
    assert '<td class="field-channel">2999999999 (not configured)</td>' in html
    assert '<td class="field-provider">korea-brand</td>' in html
    change = admin_client.get(f"{CHANGELIST}{accounts['Minji'].pk}/change/").content.decode()
    assert "LINE Korea" in change and "korea-brand" in change


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"channel": JAPAN["CHANNEL_ID"]}, {"Aiko"}),
        ({"channel": KOREA["CHANNEL_ID"]}, {"Minji"}),
        ({"provider__exact": "korea-brand"}, {"Minji"}),
        ({"q": KOREA["CHANNEL_ID"]}, {"Minji"}),
        ({"q": "retail"}, {"Aiko"}),
        ({"q": "2999999999"}, {"Gone"}),
    ],
)
def test_filter_and_search_by_channel_and_provider(admin_client, accounts, query, expected):
    assert listed(admin_client, **query) == expected


def test_the_channel_filter_offers_the_configured_channels_by_label(admin_client, accounts):
    html = admin_client.get(CHANGELIST).content.decode()

    assert f'?channel={JAPAN["CHANNEL_ID"]}"' in html and "LINE Japan</a>" in html


def test_the_channel_column_costs_no_query_per_row(admin_client, accounts, line_account_factory):
    with CaptureQueriesContext(connection) as three:
        admin_client.get(CHANGELIST)
    for _ in range(5):
        line_account_factory(channel_id=KOREA["CHANNEL_ID"])
    with CaptureQueriesContext(connection) as eight:
        admin_client.get(CHANGELIST)
    assert len(eight) == len(three)
