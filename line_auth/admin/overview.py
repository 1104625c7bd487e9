"""An overview page for the LINE accounts admin: growth, friendship and token expiry.

Every number is aggregated in the database (``TruncDate`` and ``Count``), so
the page makes the same small number of queries for a hundred accounts or a
million. Charts are server-side SVG from :mod:`line_auth.admin.charts`, each followed
by its numbers in a table that only screen readers see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from line_auth.admin import charts
from line_auth.admin.deauthorizations import outstanding_counts
from line_auth.models import Friendship, FriendshipChange, FriendshipSource, LineAccount

HISTORY_DAYS = 90
EXPIRY_DAYS = 30


@dataclass(frozen=True)
class Chart:
    """One chart: its SVG, and the same numbers as table rows for screen readers."""

    title: str
    svg: SafeString
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def per_day(queryset: QuerySet[Any], field: str, **counts: Any) -> dict[date, dict[str, int]]:
    """Counts per local calendar day of ``field``, in one grouped query."""
    rows = (
        queryset.annotate(day=TruncDate(field, tzinfo=timezone.get_current_timezone()))
        .order_by()
        .values("day")
        .annotate(**counts)
    )
    return {row.pop("day"): row for row in rows}


def days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=offset) for offset in range(count)]


def linked_accounts_chart(today: date) -> Chart:
    """The running total of linked accounts over the last days."""
    window = days(today - timedelta(days=HISTORY_DAYS - 1), HISTORY_DAYS)
    start = _start_of(window[0])
    accounts = LineAccount.objects.all()
    total = accounts.filter(created__lt=start).count()
    linked = per_day(accounts.filter(created__gte=start), "created", n=Count("pk"))
    totals = []
    for day in window:
        total += linked.get(day, {}).get("n", 0)
        totals.append(total)
    title = _("Linked accounts, last %(days)d days") % {"days": HISTORY_DAYS}
    summary = _("%(total)s linked accounts on %(day)s, %(start)s on %(first)s.") % {
        "total": charts.number(totals[-1]),
        "day": window[-1].isoformat(),
        "start": charts.number(totals[0]),
        "first": window[0].isoformat(),
    }
    labels = [day.isoformat() for day in window]
    return Chart(
        title,
        charts.line_chart("line-auth-linked", title, summary, labels, totals),
        (_("Day"), _("Linked accounts")),
        list(zip(labels, totals, strict=True)),
    )


def friendship_share_chart() -> Chart:
    """How many linked accounts are friends of the Official Account, now."""
    counts = dict(
        LineAccount.objects.order_by()
        .values("friendship")
        .annotate(n=Count("pk"))
        .values_list("friendship", "n")
    )
    parts = [(str(label), counts.get(value, 0)) for value, label in Friendship.choices]
    title = _("Share of friends")
    summary = "; ".join(f"{name}: {charts.number(value)}" for name, value in parts)
    return Chart(
        title,
        charts.share_chart("line-auth-share", title, summary, parts),
        (_("Friendship"), _("Accounts")),
        parts,
    )


def follows_chart(today: date) -> Chart:
    """Follows and unfollows per day, from the friendship history.

    A first status learned at login is not a follow (the user may have been a
    friend for years); a webhook event always is, it reports the act itself.
    """
    window = days(today - timedelta(days=HISTORY_DAYS - 1), HISTORY_DAYS)
    webhook = Q(source=FriendshipSource.WEBHOOK)
    became_friend = Q(current=Friendship.FRIEND) & (Q(previous=Friendship.NOT_FRIEND) | webhook)
    left = Q(current=Friendship.NOT_FRIEND) & (Q(previous=Friendship.FRIEND) | webhook)
    counted = per_day(
        FriendshipChange.objects.filter(event_at__gte=_start_of(window[0])),
        "event_at",
        follows=Count("pk", filter=became_friend),
        unfollows=Count("pk", filter=left),
    )
    follows = [counted.get(day, {}).get("follows", 0) for day in window]
    unfollows = [counted.get(day, {}).get("unfollows", 0) for day in window]
    title = _("Follows and unfollows per day, last %(days)d days") % {"days": HISTORY_DAYS}
    summary = _("%(follows)s follows and %(unfollows)s unfollows in %(days)d days.") % {
        "follows": charts.number(sum(follows)),
        "unfollows": charts.number(sum(unfollows)),
        "days": HISTORY_DAYS,
    }
    labels = [day.isoformat() for day in window]
    return Chart(
        title,
        charts.bar_chart(
            "line-auth-follows",
            title,
            summary,
            labels,
            [(_("Follows"), follows), (_("Unfollows"), unfollows)],
        ),
        (_("Day"), _("Follows"), _("Unfollows")),
        list(zip(labels, follows, unfollows, strict=True)),
    )


def expiry_chart(now: datetime) -> Chart:
    """Access tokens and refresh deadlines that fall in the coming days."""
    window = days(timezone.localdate(now), EXPIRY_DAYS)
    end = _start_of(window[-1] + timedelta(days=1))
    accounts = LineAccount.objects.all()
    access = per_day(
        accounts.filter(access_token_expires_at__gte=now, access_token_expires_at__lt=end),
        "access_token_expires_at",
        n=Count("pk"),
    )
    refresh = per_day(
        accounts.filter(refresh_token_expires_at__gte=now, refresh_token_expires_at__lt=end),
        "refresh_token_expires_at",
        n=Count("pk"),
    )
    access_counts = [access.get(day, {}).get("n", 0) for day in window]
    refresh_counts = [refresh.get(day, {}).get("n", 0) for day in window]
    title = _("Tokens expiring in the next %(days)d days") % {"days": EXPIRY_DAYS}
    summary = _(
        "%(access)s access tokens expire and %(refresh)s refresh deadlines pass "
        "(those users must log in again)."
    ) % {"access": charts.number(sum(access_counts)), "refresh": charts.number(sum(refresh_counts))}
    labels = [day.isoformat() for day in window]
    return Chart(
        title,
        charts.bar_chart(
            "line-auth-expiry",
            title,
            summary,
            labels,
            [(_("Access tokens"), access_counts), (_("Refresh deadlines"), refresh_counts)],
        ),
        (_("Day"), _("Access tokens"), _("Refresh deadlines")),
        list(zip(labels, access_counts, refresh_counts, strict=True)),
    )


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class OverviewAdminMixin:
    """Adds ``overview/`` to a ModelAdmin of :class:`~line_auth.models.LineAccount`."""

    overview_template = "admin/line_auth/lineaccount/overview.html"

    def get_urls(self) -> list[URLPattern]:
        opts = self.opts  # type: ignore[attr-defined]
        view = self.admin_site.admin_view(self.overview_view)  # type: ignore[attr-defined]
        name = f"{opts.app_label}_{opts.model_name}_overview"
        return [path("overview/", view, name=name), *super().get_urls()]  # type: ignore[misc]

    def overview_view(self, request: HttpRequest) -> HttpResponse:
        """The charts; anyone who may see LINE accounts may see them."""
        if not self.has_view_permission(request):  # type: ignore[attr-defined]
            raise PermissionDenied
        now = timezone.now()
        today = timezone.localdate(now)
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "opts": self.opts,  # type: ignore[attr-defined]
            "title": _("LINE accounts overview"),
            "charts": [
                linked_accounts_chart(today),
                friendship_share_chart(),
                follows_chart(today),
                expiry_chart(now),
            ],
            "deauthorizations": outstanding_counts(),
        }
        return TemplateResponse(request, self.overview_template, context)
