"""Pieces the staff queues' changelists share (verification requests, appeals).

A queue must open as fast on a million cases as on a thousand, so:

- a filter may have a default (the queue opens on the open cases), with an
  explicit "All" choice instead of Django's "no parameter";
- the paginator counts exactly only up to ``COUNT_CAP`` rows and asks the
  planner beyond (Django's exact ``COUNT(*)`` reads every matching row on
  every page load); the changelists also set ``show_full_result_count =
  False``;
- the SLA cell says one thing in both queues: when the answer is due, and
  whether that moment has passed for a case still waiting.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

COUNT_CAP = 1_000  # ten pages of 100: past them, the count is the planner's estimate


def planner_estimate(queryset) -> int | None:
    """The number of rows PostgreSQL's planner expects ``queryset`` to return."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        (plan,) = cursor.fetchone()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


class CappedCountPaginator(Paginator):
    """Count exactly up to ``COUNT_CAP`` rows; past it, take the planner's estimate.

    The capped count reads at most ``COUNT_CAP + 1`` index entries whatever
    the size of the table, so a page costs the same at 1,000 and at 1,000,000
    cases; past the cap the number of pages is approximate (``estimated``),
    which only the last page links notice.
    """

    estimated = False

    @cached_property
    def count(self) -> int:
        rows = self.object_list.order_by()  # type: ignore[attr-defined]
        capped = rows[: COUNT_CAP + 1].count()
        if capped <= COUNT_CAP:
            return capped
        self.estimated = True
        return max(COUNT_CAP + 1, planner_estimate(rows) or 0)


class DefaultListFilter(admin.SimpleListFilter):
    """A list filter that applies ``default`` when the address names no choice.

    The "All" choice is an explicit value (``ALL``), so a staff member can
    still see everything, and the default is dropped when one of
    ``yields_to`` (a filter on the same field) is in the address.
    """

    ALL = "all"
    default: str = ""
    yields_to: tuple[str, ...] = ()

    def __init__(self, request, params, model, model_admin):
        self._yield = any(name in request.GET for name in self.yields_to)
        super().__init__(request, params, model, model_admin)

    def value(self):
        chosen = super().value()
        if chosen is None:
            return self.ALL if self._yield else self.default
        return chosen

    def choices(self, changelist):
        current = self.value()
        for lookup, title in [(self.ALL, _("All")), *self.lookup_choices]:
            yield {
                "selected": current == str(lookup),
                "query_string": changelist.get_query_string(
                    {self.parameter_name: lookup}, self.yields_to),
                "display": title,
            }

    def queryset(self, request, queryset):
        chosen = self.value()
        if chosen in (None, self.ALL):
            return queryset
        return self.filter(queryset, chosen)

    def filter(self, queryset, value: str):
        raise NotImplementedError


def sla_cell(due: datetime | None, breached: bool, in_queue: bool) -> str:
    """The one SLA cell of both queues: the due time, marked when a waiting case is past it."""
    if due is None or not in_queue:
        return "—"
    when = formats.date_format(timezone.localtime(due), "SHORT_DATETIME_FORMAT")
    if breached:
        return format_html('<strong class="sla-breached">{} · {}</strong>', _("Past due"), when)
    return format_html("{}", when)
