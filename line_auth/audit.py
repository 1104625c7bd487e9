"""The audit trail LINE's development guidelines recommend: authorization requests,
LINE's answers and errors, native logins, and every call to LINE's APIs.

Each record is written in the transaction of what it records, so a login's
success is committed with the login. A record written inside a transaction that
is then rolled back is written again, without its links to rows that transaction
may have created, by the next record written outside any transaction (a failed
login's own record is one) or at the latest when the request ends, so failures
stay on the trail. Each request starts with nothing held over from another. Records never hold a
token, a code, a secret or a nonce: only parameter names and values LINE
documents, outcomes, LINE's error and its ``x-line-request-id``.

Calls to LINE made in the batch engine's worker threads, which must not touch
the database, are queued and written by the calling thread with its batch.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from queue import Empty, SimpleQueue
from typing import Any
from urllib.parse import urlsplit

import requests
from asgiref.local import Local
from django.core.exceptions import ImproperlyConfigured
from django.db import router, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from line_auth import signals
from line_auth.conf import line_settings
from line_auth.exceptions import ErrorCode, LineAPIError
from line_auth.internal import fitting
from line_auth.internal.ratelimit import forwarded_address
from line_auth.models import AuditKind, AuditRecord, LineAccount

logger = logging.getLogger("line_auth.audit")

# The do_auth keyword a native login passes, naming the token the app sent; a web callback has none.
NATIVE_TOKEN_KWARG = "native_token_kind"
STARTED = "started"
SUCCESS = "success"
# The authorization parameters a record keeps: LINE's documented options, never
# state, nonce or code_challenge, which are secrets of the login in flight.
AUDITED_PARAMETERS = ("scope", "prompt", "bot_prompt", "max_age", "ui_locales", "response_mode")
# LINE's error text is kept, cut to this length: it comes from the query string,
# which anyone can write.
MAX_TEXT = 255
# Records of rolled-back transactions held for rewriting, per thread; beyond this the
# oldest are dropped, so a site whose every request is a transaction cannot grow it forever.
MAX_PENDING = 1000
TRUNCATED_PREFIX = {4: 24, 6: 48}

_local = Local()
_deferred: SimpleQueue[AuditRecord] = SimpleQueue()
_worker = threading.local()


# -- what the views, the backend and the client report --


def authorization_requested(request: HttpRequest, options: Mapping[str, str], channel_id: str) -> None:
    """An authorization request was sent to LINE for ``channel_id`` with these validated options."""
    parameters = {name: options[name] for name in AUDITED_PARAMETERS if name in options}
    _write(
        AuditKind.AUTHORIZATION, STARTED, request=request, channel_id=channel_id, details={"parameters": parameters}
    )


def callback_failed(
    request: HttpRequest, outcome: ErrorCode, data: Mapping[str, Any], error: Exception, channel_id: str
) -> None:
    """LINE's callback for ``channel_id`` ended in a failure (``cancelled`` when the user declined)."""
    line_error = data.get("error")
    description = data.get("error_description")
    cause = error.__cause__
    if not line_error and isinstance(cause, LineAPIError):
        line_error, description = cause.error, cause.error_description
    details = {"error": _text(line_error), "error_description": _text(description)} if line_error else {}
    _write(AuditKind.CALLBACK, outcome, request=request, channel_id=channel_id, details=details)


def native_login_failed(request: HttpRequest, token_kind: str, outcome: ErrorCode) -> None:
    """A native or LIFF login was refused; ``token_kind`` is ``id_token``, ``access_token`` or ``""``."""
    # A refused token names no channel of ours that can be trusted.
    _write(AuditKind.NATIVE_LOGIN, outcome, request=request, channel_id="", details={"token": token_kind})


def login_succeeded(backend: Any, user: Any, pipeline_kwargs: Mapping[str, Any]) -> None:
    """The pipeline logged ``user`` in; called inside its transaction.

    A native login passes :data:`NATIVE_TOKEN_KWARG` to ``do_auth``; a web callback does not.
    """
    if getattr(user, "pk", None) is None or not getattr(user, "is_active", False):
        return  # a partial pipeline's response, or a user social-core will refuse
    token_kind = pipeline_kwargs.get(NATIVE_TOKEN_KWARG)
    kind, details = (AuditKind.NATIVE_LOGIN, {"token": token_kind}) if token_kind else (AuditKind.CALLBACK, {})
    request = getattr(backend.strategy, "request", None)
    account = _line_account(getattr(user, "social_user", None))
    channel_id = account.channel_id if account is not None else line_settings.channel_id
    _write(kind, SUCCESS, request=request, user=user, line_account=account, channel_id=channel_id, details=details)


def api_call(send: Callable[..., requests.Response], method: str, url: str, **kwargs: Any) -> requests.Response:
    """``send(method, url, **kwargs)``, recorded: method, path, status, LINE's request ID, time."""
    if not line_settings.audit_enabled:
        return send(method, url, **kwargs)
    started = time.perf_counter()
    try:
        response = send(method, url, **kwargs)
    except requests.RequestException:
        _call_record(method, url, None, "", started)
        raise
    _call_record(method, url, response.status_code, response.headers.get("x-line-request-id", ""), started)
    return response


def _call_record(method: str, url: str, status: int | None, request_id: str, started: float) -> None:
    if status is None or status >= 500:
        outcome = ErrorCode.LINE_UNAVAILABLE.value
    else:
        outcome = SUCCESS if status < 400 else ErrorCode.LINE_API_ERROR.value
    _write(
        AuditKind.API_CALL,
        outcome,
        method=method.upper()[:8],
        # The path only: GET /verify carries a token in its query.
        endpoint=urlsplit(url).path[:100],
        status=status,
        request_id=request_id[:64],
        duration_ms=max(0, round((time.perf_counter() - started) * 1000)),
    )


# -- the batch engine's worker threads --


def defer_in_this_thread() -> None:
    """Queue this thread's records for :func:`write_deferred` (a thread-pool initializer)."""
    _worker.deferring = True


def write_deferred() -> int:
    """Write the records worker threads queued; call it on a thread that may use the database."""
    records = []
    while True:
        try:
            records.append(_deferred.get_nowait())
        except Empty:
            break
    for record in records:
        _save(record)
    return len(records)


# -- export, erasure and retention --


def records_for(user: Any) -> QuerySet[AuditRecord]:
    """Every audit record linked to ``user``, directly or through one of their LINE accounts."""
    accounts = LineAccount.objects.filter(user=user).values("pk")
    return AuditRecord.objects.filter(user=user) | AuditRecord.objects.filter(line_account__in=accounts)


def scrub(user: Any) -> int:
    """Remove ``user``'s links and client addresses from their records; returns how many.

    What happened, when, with which outcome and which call to LINE stays, no
    longer tied to anyone.
    """
    return records_for(user).update(user=None, line_account=None, client_address="")


def prune(now: datetime | None = None) -> int:
    """Delete records older than ``LINE_AUTH_AUDIT_RETENTION``; returns how many went."""
    cutoff = (now or timezone.now()) - line_settings.audit_retention
    deleted, _ = AuditRecord.objects.filter(created__lt=cutoff).delete()
    return deleted


# -- writing --


def _write(kind: AuditKind, outcome: str, *, request: HttpRequest | None = None, **fields: Any) -> None:
    if not line_settings.audit_enabled:
        return
    if request is not None:
        fields["client_address"] = _client_address(request)
        user = getattr(request, "user", None)
        if "user" not in fields and user is not None and user.is_authenticated:
            fields["user"] = user
    fields.setdefault("channel_id", line_settings.channel_id)
    record = AuditRecord(kind=kind, outcome=str(outcome), **fields)
    if getattr(_worker, "deferring", False):
        _deferred.put(record)
        return
    _save(record)


def _save(record: AuditRecord) -> None:
    using = router.db_for_write(AuditRecord)
    if not transaction.get_connection(using).in_atomic_block:
        _rewrite_rolled_back(using)
    record.save(using=using, force_insert=True)
    pending = _pending()
    pending.append(record)
    del pending[:-MAX_PENDING]
    # Runs at once outside a transaction; dropped with a rolled-back one.
    transaction.on_commit(lambda: _committed(record), using=using)


def request_started(sender: Any, **kwargs: Any) -> None:
    """``request_started`` receiver: a request starts with no record held over from another."""
    _pending().clear()


def request_finished(sender: Any, **kwargs: Any) -> None:
    """``request_finished`` receiver: write again what this request's rolled-back transactions held."""
    using = router.db_for_write(AuditRecord)
    if not transaction.get_connection(using).in_atomic_block:
        _rewrite_rolled_back(using)


def _committed(record: AuditRecord) -> None:
    pending = _pending()
    pending[:] = [held for held in pending if held is not record]
    signals.audit_recorded.send(sender=AuditRecord, record=record)


def _rewrite_rolled_back(using: str) -> None:
    """Outside every transaction, a record still pending was rolled back: write it again."""
    rolled_back = list(_pending())
    _pending().clear()
    for record in rolled_back:
        # The user or account may have been created by the transaction that was undone.
        record.pk = None
        record.user = None
        record.line_account = None
        _save(record)


def _pending() -> list[AuditRecord]:
    pending: list[AuditRecord] | None = getattr(_local, "pending", None)
    if pending is None:
        pending = _local.pending = []
    return pending


def _line_account(social: Any) -> LineAccount | None:
    """The login's account, which the pipeline keeps on its social-auth row (``channel_account``).

    Channels of one provider share the row, so the row alone does not say which
    account logged in.
    """
    account = getattr(social, "channel_account", None)
    return account if isinstance(account, LineAccount) else None


def _client_address(request: HttpRequest) -> str:
    """The client's address as ``LINE_AUTH_AUDIT_CLIENT_ADDRESS`` says to keep it."""
    try:
        mode = line_settings.audit_client_address
        address = forwarded_address(request)
    except ImproperlyConfigured as error:
        logger.error("Audit record kept without a client address: %s", error)  # checks E040/E011
        return ""
    if mode == "off":
        return ""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if mode == "full":
        return str(ip)
    return str(ipaddress.ip_network((ip, TRUNCATED_PREFIX[ip.version]), strict=False))


def _text(value: Any) -> str:
    # LINE's error text comes back through the visitor's browser: anything may be in it.
    return fitting.storable_text(value)[:MAX_TEXT]
