"""Page counts that stay fast at millions of rows: exact when small, estimated when large.

``SELECT COUNT(*)`` reads every matching row, so at ten million accounts the
changelist's count alone takes seconds. PostgreSQL's planner already estimates
how many rows a query returns (from ``reltuples`` and the column statistics
that autovacuum keeps), and ``EXPLAIN`` gives that figure without running the
query. Above :attr:`EstimatedCountPaginator.exact_count_limit` the changelist
shows that estimate, marked as one ("about N"); below it, and on other
databases, the exact count.
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.formats import number_format


def planned_rows(queryset: QuerySet[Any]) -> int | None:
    """The planner's estimate of the rows ``queryset`` returns; None off PostgreSQL."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):  # a driver that does not decode json
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


class EstimatedCountPaginator(Paginator):
    """A paginator whose ``count`` is the planner's estimate above a limit.

    ``estimated`` tells whether it is, for the page to say "about". Pages near
    the estimated end may come out short or empty; every page before is exact.
    """

    # Estimates above this many rows are shown as they are; at or below, counted.
    exact_count_limit = 10_000

    estimated = False

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, QuerySet):
            estimate = planned_rows(self.object_list)
            if estimate is not None and estimate > self.exact_count_limit:
                self.estimated = True
                return estimate
        return super().count

    @property
    def shown_count(self) -> str:
        """The count with the active locale's digit grouping: "about 9,999,358"."""
        return str(number_format(self.count, force_grouping=True))
