"""The audit trail in the admin: operators read it, filter it, and cannot change it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from line_auth.models import AuditKind, AuditRecord

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/line_auth/auditrecord/"


@pytest.fixture
def trail(line_emulator, login):
    """A real login's records, plus a cancelled one on another channel last year."""
    login(Client(), line_emulator, line_emulator.add_user())
    AuditRecord.objects.create(kind=AuditKind.CALLBACK, outcome="cancelled", channel_id="2000000000",
                               created=timezone.now() - timedelta(days=365), request_id="req-cancelled")
    return list(AuditRecord.objects.all())


def listed(page) -> set[int]:
    html = page.content.decode()
    return {record.pk for record in AuditRecord.objects.all() if f"{CHANGELIST}{record.pk}/change/" in html}


def test_the_trail_is_listed_and_each_record_readable_without_a_secret(admin_client, trail, line_emulator):
    page = admin_client.get(CHANGELIST)
    assert page.status_code == 200 and listed(page) == {record.pk for record in trail}
    call = AuditRecord.objects.filter(kind=AuditKind.API_CALL).first()
    detail = admin_client.get(f"{CHANGELIST}{call.pk}/change/")
    assert detail.status_code == 200 and call.request_id in detail.content.decode()
    shown = page.content.decode() + detail.content.decode()
    assert not [secret for secret in line_emulator.issued_secrets() if secret in shown]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind__exact=api_call", {"api_call"}),
        ("outcome=cancelled", {"cancelled"}),
        ("channel_id=2000000000", {"cancelled"}),
        ("q=req-cancelled", {"cancelled"}),
    ],
)
def test_filters_and_search_narrow_the_trail(admin_client, trail, query, expected):
    page = admin_client.get(f"{CHANGELIST}?{query}")
    shown = AuditRecord.objects.filter(pk__in=listed(page))
    assert shown.exists() and {record.kind if record.kind == "api_call" else record.outcome
                               for record in shown} == expected


def test_the_date_hierarchy_drills_down_by_year(admin_client, trail):
    last_year = (timezone.now() - timedelta(days=365)).year
    page = admin_client.get(f"{CHANGELIST}?created__year={last_year}")
    assert [AuditRecord.objects.get(pk=pk).outcome for pk in listed(page)] == ["cancelled"]


def test_nobody_can_add_change_or_delete_a_record(admin_client, trail):
    record = trail[0]
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    assert admin_client.get(f"{CHANGELIST}{record.pk}/delete/").status_code == 403
    admin_client.post(f"{CHANGELIST}{record.pk}/change/", {"outcome": "forged"})
    admin_client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"})
    assert AuditRecord.objects.get(pk=record.pk).outcome == record.outcome
    assert "delete_selected" not in admin_client.get(CHANGELIST).content.decode()
