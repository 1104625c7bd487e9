"""The audit trail LINE's development guidelines recommend, end to end through the emulator:
what each login step and each call to LINE leaves behind, and that no secret ever does."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import transaction
from django.forms.models import model_to_dict
from django.test import Client, RequestFactory
from django.utils import timezone
from social_core.exceptions import AuthConfigurationError

from line_auth import audit, signals, tasks, tokens
from line_auth.client import TOKEN_PATH, get_client
from line_auth.exceptions import ErrorCode, LineAPIError
from line_auth.models import AuditKind, AuditRecord, LineAccount

pytestmark = pytest.mark.django_db
CHANNEL = settings.SOCIAL_AUTH_LINE_KEY
PROFILE = "/v2/profile"
FRIENDSHIP = "/friendship/v1/status"


def rows(**filters):
    return list(AuditRecord.objects.filter(**filters).order_by("id"))


@pytest.fixture
def recorded():
    received = []

    def receiver(sender, record, **kwargs):
        received.append((sender, record))

    signals.audit_recorded.connect(receiver)
    yield received
    signals.audit_recorded.disconnect(receiver)


def test_no_token_code_secret_or_nonce_reaches_the_trail(
    client, line_emulator, start, come_back, query, sdk_login, native_post
):
    """A web login, a native login with each token and a refresh: every value LINE or the site
    issued that could act for the user is absent from every field of every record."""
    taro = line_emulator.add_user(name="Taro Line")
    url = start(client, prompt="consent", max_age="600")
    result = line_emulator.authorize(url, taro)
    assert come_back(client, result).status_code == 302
    app = Client()
    assert sdk_login(app, line_emulator, line_emulator.add_user(name="Hanako")).status_code == 200
    issued = line_emulator.issue_tokens(line_emulator.add_user(name="Jiro"), CHANNEL, scope="profile")
    assert native_post(Client(), {"access_token": issued["access_token"]}).status_code == 200
    assert tokens.refresh(LineAccount.objects.get(line_user_id=taro.user_id)) is tokens.Outcome.REFRESHED

    records = rows()
    dumped = json.dumps([model_to_dict(record) for record in records], default=str)
    sent = query(url)
    secrets = line_emulator.issued_secrets() | {result.code, settings.SOCIAL_AUTH_LINE_SECRET}
    secrets |= {sent["state"], sent["nonce"], sent["code_challenge"]}
    secrets |= {account.refresh_token for account in LineAccount.objects.all()} - {""}
    assert {secret[:12] for secret in secrets if secret and secret in dumped} == set()
    kinds = {(record.kind, record.outcome) for record in records}
    assert {(AuditKind.AUTHORIZATION, "started"), (AuditKind.CALLBACK, "success"),
            (AuditKind.NATIVE_LOGIN, "success"), (AuditKind.API_CALL, "success")} <= kinds
    assert sorted(record.details["token"] for record in rows(kind=AuditKind.NATIVE_LOGIN)) == [
        "access_token", "id_token"]


def test_a_web_login_records_its_request_callback_and_token_exchange(client, line_emulator, login, settings):
    settings.LINE_AUTH_FETCH_FRIENDSHIP = True
    taro = line_emulator.add_user()
    login(client, line_emulator, taro, begin={"prompt": "consent", "max_age": "600", "ui_locales": "ja th"})

    started, exchange, friendship, callback = rows()
    assert friendship.endpoint == FRIENDSHIP  # a first login asks inside the pipeline
    account = LineAccount.objects.get()
    assert (started.kind, started.outcome, started.channel_id) == (AuditKind.AUTHORIZATION, "started", CHANNEL)
    assert started.details == {"parameters": {
        "scope": "profile openid", "prompt": "consent", "max_age": "600", "ui_locales": "ja th"}}
    assert started.user is None  # nobody was logged in yet
    assert (exchange.kind, exchange.method, exchange.endpoint, exchange.status) == (
        AuditKind.API_CALL, "POST", TOKEN_PATH, 200)
    assert exchange.request_id and exchange.duration_ms is not None
    assert (callback.kind, callback.outcome) == (AuditKind.CALLBACK, "success")
    assert (callback.user, callback.line_account) == (account.user, account)


def test_a_cancelled_login_records_lines_error_and_description(client, line_emulator, login):
    login(client, line_emulator, line_emulator.add_user(), outcome="deny")

    callback = rows(kind=AuditKind.CALLBACK)[0]
    assert callback.outcome == "cancelled"
    assert callback.details == {
        "error": "ACCESS_DENIED", "error_description": "The resource owner denied the request."}
    assert callback.user is None and callback.line_account is None


def test_a_refused_token_exchange_records_lines_error_and_the_failed_call(client, line_emulator, login):
    line_emulator.fail_next(TOKEN_PATH, status=400, body='{"error": "invalid_grant", "error_description": "bad"}')
    response = login(client, line_emulator, line_emulator.add_user())

    assert response.status_code == 400
    call = rows(kind=AuditKind.API_CALL)[0]
    assert (call.outcome, call.status, call.endpoint) == ("line_api_error", 400, TOKEN_PATH)
    callback = rows(kind=AuditKind.CALLBACK)[0]
    assert callback.outcome == "session"  # the code was refused: start again
    assert callback.details == {"error": "invalid_grant", "error_description": "bad"}


def test_an_unreachable_line_is_recorded_without_a_status(line_emulator):
    line_emulator.fail_next(PROFILE, kind="connection_refused", times=3)
    with pytest.raises(LineAPIError):
        get_client().get_profile("not-a-token")

    calls = rows(kind=AuditKind.API_CALL)
    assert [(call.outcome, call.status, call.endpoint) for call in calls] == [("line_unavailable", None, PROFILE)] * 3


def test_a_refused_native_login_records_its_kind_and_code(native_post, client, line_emulator):
    response = native_post(client, {"id_token": "a.b.c", "nonce": "n"})

    assert response.status_code == 401
    record = rows(kind=AuditKind.NATIVE_LOGIN)[0]
    assert (record.outcome, record.details) == ("invalid_id_token", {"token": "id_token"})
    native_post(client, "[]")
    assert rows(kind=AuditKind.NATIVE_LOGIN)[1].outcome == "invalid_request"


@pytest.mark.django_db(transaction=True)
def test_a_failed_login_is_recorded_after_its_transaction_rolled_back(
    client, line_emulator, login, monkeypatch, settings
):
    """The pipeline's transaction is undone, with the friendship call recorded inside it; the
    failure's own record comes after the rollback and brings that call back to the trail."""
    settings.LINE_AUTH_FETCH_FRIENDSHIP = True
    def fail(changes):
        raise AuthConfigurationError(None, code="boom")

    monkeypatch.setattr("line_auth.pipeline.save_changes", fail)
    response = login(client, line_emulator, line_emulator.add_user())

    assert response.status_code == 400 and not LineAccount.objects.exists()
    assert [(record.kind, record.outcome, record.endpoint) for record in rows()] == [
        (AuditKind.AUTHORIZATION, "started", ""),
        (AuditKind.API_CALL, "success", TOKEN_PATH),
        (AuditKind.API_CALL, "success", FRIENDSHIP),
        (AuditKind.CALLBACK, "configuration", ""),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_call_inside_a_rolled_back_transaction_is_written_again_without_its_links(line_emulator, user_factory):
    signed_in = RequestFactory().get("/")
    signed_in.user, begun = user_factory(), timezone.now()
    with pytest.raises(LineAPIError), transaction.atomic():
        AuditRecord.objects.create(kind=AuditKind.API_CALL, outcome="x")  # undone with the rest
        audit.callback_failed(signed_in, ErrorCode.SESSION, {}, ValueError(), CHANNEL)
        get_client().get_profile("not-a-token")
    assert not AuditRecord.objects.exists()

    audit.authorization_requested(RequestFactory().get("/"), {"scope": "openid"}, CHANNEL)
    outcomes = [(record.kind, record.outcome, record.user_id) for record in rows(created__gte=begun)]
    assert outcomes == [(AuditKind.CALLBACK, "session", None), (AuditKind.API_CALL, "line_api_error", None),
                        (AuditKind.AUTHORIZATION, "started", None)]


def test_each_committed_record_is_announced_once(client, line_emulator, login, recorded,
                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        login(client, line_emulator, line_emulator.add_user())
    assert [record for _, record in recorded] == rows()
    assert {sender for sender, _ in recorded} == {AuditRecord}


def test_nothing_is_announced_before_commit(client, line_emulator, login, recorded):
    login(client, line_emulator, line_emulator.add_user())  # the test's transaction never commits
    assert rows() and recorded == []


def test_the_trail_can_be_turned_off(client, line_emulator, login, settings, sdk_login):
    settings.LINE_AUTH_AUDIT = False
    login(client, line_emulator, line_emulator.add_user())
    sdk_login(Client(), line_emulator)
    assert LineAccount.objects.count() == 2 and not AuditRecord.objects.exists()


@pytest.mark.parametrize(
    ("mode", "remote", "kept"),
    [
        ("truncated", "203.0.113.77", "203.0.113.0/24"),
        ("truncated", "2001:db8:1234:5678::1", "2001:db8:1234::/48"),
        ("truncated", "::ffff:198.51.100.9", "198.51.100.0/24"),
        ("full", "203.0.113.77", "203.0.113.77"),
        ("full", "2001:db8:1234:5678::1", "2001:db8:1234:5678::1"),
        ("off", "203.0.113.77", ""),
    ],
)
def test_the_client_address_is_kept_as_the_site_chooses(settings, line_emulator, mode, remote, kept, start):
    settings.LINE_AUTH_AUDIT_CLIENT_ADDRESS = mode
    start(Client(REMOTE_ADDR=remote))
    assert rows()[0].client_address == kept


def test_the_address_is_the_one_the_trusted_proxy_saw(settings, line_emulator, start):
    settings.LINE_AUTH_TRUSTED_PROXIES = 1
    start(Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.9"))
    assert rows()[0].client_address == "198.51.100.0/24"


def test_the_batch_refresh_records_its_workers_calls(linked_account, line_emulator, line_account_factory):
    for _ in range(3):
        linked_account(line_emulator, line_account_factory, expires_in=timedelta(hours=1))
    counts = tokens.refresh_many(LineAccount.objects.all(), concurrency=3)

    assert counts[tokens.Outcome.REFRESHED] == 3
    assert [(call.endpoint, call.status) for call in rows(kind=AuditKind.API_CALL)] == [(TOKEN_PATH, 200)] * 3


# -- export, erasure and retention --


def test_records_for_finds_a_users_records_and_scrub_unties_them(client, line_emulator, login, settings):
    settings.LINE_AUTH_AUDIT_CLIENT_ADDRESS = "full"
    login(client, line_emulator, line_emulator.add_user())
    login(Client(), line_emulator, line_emulator.add_user())
    taro, hanako = (account.user for account in LineAccount.objects.order_by("id"))
    AuditRecord.objects.create(kind=AuditKind.CALLBACK, outcome="success",
                               line_account=LineAccount.objects.get(user=taro))

    mine = list(audit.records_for(taro))
    assert len(mine) == 2 and all(record.line_account.user == taro for record in mine)
    assert audit.scrub(taro) == 2
    assert not audit.records_for(taro).exists()
    for record in AuditRecord.objects.filter(pk__in=[record.pk for record in mine]):
        assert (record.user, record.line_account, record.client_address) == (None, None, "")
        assert (record.kind, record.outcome) == (AuditKind.CALLBACK, "success")
    assert audit.records_for(hanako).get().client_address == "127.0.0.1"


def test_pruning_deletes_only_records_past_the_retention(settings):
    settings.LINE_AUTH_AUDIT_RETENTION = timedelta(days=30)
    now = timezone.now()
    for age in (29, 31, 400):
        AuditRecord.objects.create(kind=AuditKind.API_CALL, outcome="success", created=now - timedelta(days=age))

    assert audit.prune(now) == 2
    assert [record.created for record in rows()] == [now - timedelta(days=29)]


def test_the_command_and_the_task_prune(capsys, settings):
    settings.LINE_AUTH_AUDIT_RETENTION = 3600  # seconds
    old = timezone.now() - timedelta(hours=2)
    AuditRecord.objects.create(kind=AuditKind.API_CALL, outcome="success", created=old)
    call_command("line_auth_prune_audit")
    assert "Deleted 1 audit record." in capsys.readouterr().out
    AuditRecord.objects.create(kind=AuditKind.API_CALL, outcome="success", created=old)
    AuditRecord.objects.create(kind=AuditKind.API_CALL, outcome="success")
    assert tasks.prune_audit.call() == 1 and AuditRecord.objects.count() == 1
    assert tasks.PRUNE_AUDIT in tasks.TASK_NAMES


@pytest.mark.django_db(transaction=True)
def test_a_request_ends_by_writing_what_its_rolled_back_transactions_held(line_emulator):
    begun = timezone.now()
    request_started.send(sender=None)
    with pytest.raises(LineAPIError), transaction.atomic():
        get_client().get_profile("not-a-token")
    request_finished.send(sender=None)
    assert [(call.endpoint, call.status) for call in rows(created__gte=begun)] == [(PROFILE, 401)]


@pytest.mark.django_db(transaction=True)
def test_a_new_request_does_not_write_what_an_earlier_one_left(line_emulator):
    begun = timezone.now()
    with pytest.raises(LineAPIError), transaction.atomic():
        get_client().get_profile("not-a-token")
    request_started.send(sender=None)
    request_finished.send(sender=None)
    assert not AuditRecord.objects.filter(created__gte=begun).exists()


@pytest.mark.django_db(transaction=True)
def test_only_the_latest_records_are_held_for_rewriting(line_emulator, monkeypatch):
    monkeypatch.setattr(audit, "MAX_PENDING", 2)
    begun = timezone.now()
    with pytest.raises(LineAPIError), transaction.atomic():
        get_client().get_jwks()
        get_client().get_jwks()
        get_client().get_profile("not-a-token")
    audit.request_finished(sender=None)
    assert [call.endpoint for call in rows(created__gte=begun)] == ["/oauth2/v2.1/certs", PROFILE]


def test_a_bad_address_setting_keeps_the_record_without_an_address(settings, line_emulator, start, caplog):
    settings.LINE_AUTH_AUDIT_CLIENT_ADDRESS = "hashed"
    start(Client(REMOTE_ADDR="203.0.113.77"))
    assert rows()[0].client_address == "" and "LINE_AUTH_AUDIT_CLIENT_ADDRESS must be" in caplog.text


def test_an_inactive_users_native_login_is_recorded_as_refused_only(line_emulator, sdk_login):
    hanako = line_emulator.add_user()
    assert sdk_login(Client(), line_emulator, hanako).status_code == 200
    user = LineAccount.objects.get().user
    user.is_active = False
    user.save()
    response = sdk_login(Client(), line_emulator, hanako)

    assert response.status_code == 403
    assert [record.outcome for record in rows(kind=AuditKind.NATIVE_LOGIN)] == ["success", "login_not_allowed"]


def test_what_comes_back_through_the_browser_is_stored_cleaned_never_a_500(client):
    """LINE's error text reaches the callback through the visitor's browser; PostgreSQL's JSON
    refuses NUL, so it is cleaned before the record is written."""
    response = client.get(
        "/accounts/line/complete/", {"error": "ACCESS_DENIED", "error_description": "a\x00b", "state": "s"}
    )

    assert response.status_code == 400
    (callback,) = rows(kind=AuditKind.CALLBACK)
    assert callback.details["error_description"] == "ab"
