"""An overview page for the LINE accounts admin: growth, friendship and token expiry.

Every number comes from :mod:`line_auth.figures`, counted ahead of time by
``manage.py line_auth_roll_up_figures`` or its task, so the page reads a few
hundred small rows in a constant number of queries, for a hundred accounts or
ten million, and never counts ``LineAccount``. Charts are server-side SVG from
:mod:`line_auth.admin.charts`, each followed by its numbers in a table that only
screen readers see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from line_auth import figures
from line_auth.admin import charts
from line_auth.admin.deauthorizations import outstanding_counts
from line_auth.models import Friendship, Metric

HISTORY_DAYS = 90
EXPIRY_DAYS = figures.EXPIRY_DAYS


@dataclass(frozen=True)
class Chart:
    """One chart: its SVG, and the same numbers as table rows for screen readers."""

    title: str
    svg: SafeString
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=offset) for offset in range(count)]


def history(today: date) -> list[date]:
    return days(today - timedelta(days=HISTORY_DAYS - 1), HISTORY_DAYS)


def linked_accounts_chart(today: date, counted: figures.Figures) -> Chart:
    """The running total of linked accounts over the last days."""
    window = history(today)
    total = counted.linked_before
    totals = []
    for linked in counted.series(Metric.LINKED, window):
        total += linked
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


def friendship_share_chart(counted: figures.Figures) -> Chart:
    """How many linked accounts are friends of the Official Account, at the last count."""
    parts = [(str(label), counted.shares.get(figures.SHARE[value], 0)) for value, label in Friendship.choices]
    title = _("Share of friends")
    summary = "; ".join(f"{name}: {charts.number(value)}" for name, value in parts)
    return Chart(
        title,
        charts.share_chart("line-auth-share", title, summary, parts),
        (_("Friendship"), _("Accounts")),
        parts,
    )


def follows_chart(today: date, counted: figures.Figures) -> Chart:
    """Follows and unfollows per day (the rule is :data:`line_auth.figures.BECAME_FRIEND`)."""
    window = history(today)
    follows = counted.series(Metric.FOLLOWS, window)
    unfollows = counted.series(Metric.UNFOLLOWS, window)
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


def expiry_chart(today: date, counted: figures.Figures) -> Chart:
    """Access tokens and refresh deadlines that fall in the coming days."""
    window = days(today, EXPIRY_DAYS)
    access_counts = counted.series(Metric.ACCESS_EXPIRY, window)
    refresh_counts = counted.series(Metric.REFRESH_EXPIRY, window)
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
        today = timezone.localdate()
        counted = figures.read(history(today)[0], today + timedelta(days=EXPIRY_DAYS - 1))
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "opts": self.opts,  # type: ignore[attr-defined]
            "title": _("LINE accounts overview"),
            "counted_at": counted.counted_at,
            "charts": [
                linked_accounts_chart(today, counted),
                friendship_share_chart(counted),
                follows_chart(today, counted),
                expiry_chart(today, counted),
            ],
            "deauthorizations": outstanding_counts(),
        }
        return TemplateResponse(request, self.overview_template, context)
