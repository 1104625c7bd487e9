"""The overview's numbers, counted ahead of time so no page counts the big tables.

:func:`roll_up` writes one :class:`~line_auth.models.DailyFigure` per local day
and metric: accounts linked and follows/unfollows per day (counted again only
from the day of the previous roll-up on, each an index range), and snapshots of
the friendship share and of the tokens expiring per coming day. The overview
reads a few hundred of these rows, whatever the number of accounts. Run it with
``manage.py line_auth_roll_up_figures`` or the task ``line_auth.roll_up_figures``
(every few minutes); the overview says when the figures were counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from line_auth.models import DailyFigure, Friendship, FriendshipChange, FriendshipSource, LineAccount, Metric

# How many days of token expiries the snapshot holds (the overview shows 30).
EXPIRY_DAYS = 30
# Days before the previous roll-up counted again, for webhook events LINE delivers late.
LATE_DAYS = 1
FLOWS = (Metric.LINKED, Metric.FOLLOWS, Metric.UNFOLLOWS)
SHARE: dict[str, str] = {
    Friendship.FRIEND: Metric.FRIENDS,
    Friendship.NOT_FRIEND: Metric.NOT_FRIENDS,
    Friendship.UNKNOWN: Metric.FRIENDSHIP_UNKNOWN,
}
EXPIRIES: dict[str, str] = {
    Metric.ACCESS_EXPIRY: "access_token_expires_at",
    Metric.REFRESH_EXPIRY: "refresh_token_expires_at",
}
# A follow is becoming a friend after not being one; a webhook event always is one,
# because it reports the act itself. A first status learned at login is not: the
# user may have been a friend for years.
_WEBHOOK = Q(source=FriendshipSource.WEBHOOK)
BECAME_FRIEND = Q(current=Friendship.FRIEND) & (Q(previous=Friendship.NOT_FRIEND) | _WEBHOOK)
LEFT = Q(current=Friendship.NOT_FRIEND) & (Q(previous=Friendship.FRIEND) | _WEBHOOK)


def roll_up(now: datetime | None = None, *, full: bool = False) -> int:
    """Count the figures again; return how many rows were written.

    ``full`` counts every day since the first account (the first roll-up does anyway).
    One transaction: the overview sees the old figures or the new, never half. Run
    one at a time (one scheduled task): a second run at the same moment fails on the
    unique constraint and changes nothing.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        since = None if full else previous_roll_up_day()
        if since is not None:
            since -= timedelta(days=LATE_DAYS)
        counted = {**_flows(since), **_snapshot(today, now)}
        flows = DailyFigure.objects.filter(metric__in=FLOWS)
        if since is not None:
            flows = flows.filter(day__gte=since)
        flows.delete()
        DailyFigure.objects.filter(metric__in=EXPIRIES).delete()
        DailyFigure.objects.filter(metric__in=SHARE.values(), day=today).delete()
        DailyFigure.objects.bulk_create(
            [DailyFigure(day=day, metric=metric, value=value) for (metric, day), value in counted.items()],
            batch_size=1000,
        )
    return len(counted)


def previous_roll_up_day() -> date | None:
    """The local day of the last roll-up: it wrote a friendship-share snapshot on it."""
    day: date | None = DailyFigure.objects.filter(metric=Metric.FRIENDS).aggregate(day=Max("day"))["day"]
    return day


def _flows(since: date | None) -> dict[tuple[str, date], int]:
    accounts = LineAccount.objects.all()
    changes = FriendshipChange.objects.all()
    if since is not None:
        accounts = accounts.filter(created__gte=start_of(since))
        changes = changes.filter(event_at__gte=start_of(since))
    figures: dict[tuple[str, date], int] = {}
    for day, row in per_day(accounts, "created", n=Count("pk")).items():
        figures[Metric.LINKED, day] = row["n"]
    counted = per_day(
        changes, "event_at", follows=Count("pk", filter=BECAME_FRIEND), unfollows=Count("pk", filter=LEFT)
    )
    for day, row in counted.items():
        figures[Metric.FOLLOWS, day] = row["follows"]
        figures[Metric.UNFOLLOWS, day] = row["unfollows"]
    return {key: value for key, value in figures.items() if value}


def _snapshot(today: date, now: datetime) -> dict[tuple[str, date], int]:
    shares = dict(
        LineAccount.objects.order_by().values("friendship").annotate(n=Count("pk")).values_list("friendship", "n")
    )
    # Every share is written, zeros too: the friends row marks the roll-up's day.
    figures: dict[tuple[str, date], int] = {(metric, today): shares.get(value, 0) for value, metric in SHARE.items()}
    end = start_of(today + timedelta(days=EXPIRY_DAYS))
    for metric, field in EXPIRIES.items():
        due = LineAccount.objects.filter(**{f"{field}__gte": now, f"{field}__lt": end})
        for day, row in per_day(due, field, n=Count("pk")).items():
            figures[metric, day] = row["n"]
    return figures


def per_day(queryset: QuerySet[Any], field: str, **counts: Any) -> dict[date, dict[str, int]]:
    """Counts per local calendar day of ``field``, in one grouped query."""
    rows = (
        queryset.annotate(day=TruncDate(field, tzinfo=timezone.get_current_timezone()))
        .order_by()
        .values("day")
        .annotate(**counts)
    )
    return {row.pop("day"): row for row in rows}


def start_of(day: date) -> datetime:
    """The first instant of a local calendar day."""
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True)
class Figures:
    """What the overview shows, read in a constant number of small queries."""

    by_metric: Mapping[str, Mapping[date, int]]
    linked_before: int
    shares: Mapping[str, int]
    counted_at: datetime | None

    def series(self, metric: str, days: Iterable[date]) -> list[int]:
        values = self.by_metric.get(metric, {})
        return [values.get(day, 0) for day in days]


def read(first: date, last: date) -> Figures:
    """The daily figures of ``first`` to ``last`` (local days) and the latest share snapshot."""
    by_metric: dict[str, dict[date, int]] = {}
    days = DailyFigure.objects.filter(day__gte=first, day__lte=last).exclude(metric__in=SHARE.values())
    for metric, day, value in days.values_list("metric", "day", "value"):
        by_metric.setdefault(metric, {})[day] = value
    before = DailyFigure.objects.filter(metric=Metric.LINKED, day__lt=first).aggregate(n=Sum("value"))["n"]
    latest = DailyFigure.objects.filter(metric=Metric.FRIENDS).order_by("-day").values("day")[:1]
    shares: dict[str, int] = {}
    counted_at = None
    for metric, value, updated in DailyFigure.objects.filter(
        metric__in=SHARE.values(), day=Subquery(latest)
    ).values_list("metric", "value", "updated"):
        shares[metric] = value
        counted_at = max(counted_at or updated, updated)
    return Figures(by_metric, before or 0, shares, counted_at)
