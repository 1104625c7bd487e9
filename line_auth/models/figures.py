"""Daily figures counted ahead of time, so the admin overview never counts the big tables."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Metric(models.TextChoices):
    """What a :class:`DailyFigure` counts."""

    LINKED = "linked", _("accounts linked")
    FOLLOWS = "follows", _("follows")
    UNFOLLOWS = "unfollows", _("unfollows")
    # Snapshots taken at each roll-up, on the day of the roll-up:
    FRIENDS = "friends", _("friends")
    NOT_FRIENDS = "not_friends", _("not friends")
    FRIENDSHIP_UNKNOWN = "friendship_unknown", _("friendship unknown")
    # Snapshots too, on the day the tokens expire:
    ACCESS_EXPIRY = "access_expiry", _("access tokens expiring")
    REFRESH_EXPIRY = "refresh_expiry", _("refresh deadlines passing")


class DailyFigure(models.Model):
    """One number per local day and metric, so the overview never counts the big tables.

    Written by :func:`line_auth.figures.roll_up` (a command and a task).
    """

    day = models.DateField(_("day"))
    metric = models.CharField(_("metric"), max_length=32, choices=Metric.choices)
    value = models.BigIntegerField(_("value"))
    updated = models.DateTimeField(_("counted at"), auto_now=True)

    class Meta:
        verbose_name = _("daily figure")
        verbose_name_plural = _("daily figures")
        ordering = ("day", "metric")
        constraints = [
            models.UniqueConstraint(fields=("metric", "day"), name="line_auth_unique_daily_figure"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.metric}: {self.value}"
