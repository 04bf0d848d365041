"""The supervisors' dashboard of the staff queues, and its CSV export.

Three queues: identity verification, appeals (with remedies reviews, which
also end in a decision on a hold) and support conversations (appeals of the
support kind, which end when staff close them). For each: depth, unassigned,
past due (the same rule as the queue's SLA column), oldest waiting, decisions
per day and per reviewer over the last days, and for verification the share
of checked submissions the automatic checks sent back. Every number links to
the changelist filtered to the cases it counts. Every query is served by the
queues' partial indexes (open states, decided_at, closed_at, checked_at).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Min, Q, QuerySet
from django.db.models.functions import TruncDate
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from appeals.models import Appeal
from verification.models import VerificationRequest

WINDOW_DAYS = 7


@dataclass
class QueueFigures:
    key: str
    title: str
    url: str  # the changelist filtered to this queue's open cases
    depth: int
    unassigned: int
    breached: int
    oldest_waiting: datetime | None
    oldest_due: datetime | None
    per_day: list[tuple[date, int]]
    per_reviewer: list[tuple[str, int]]
    auto_rejection_rate: float | None = None
    links: dict[str, str] = field(default_factory=dict)


def _days(now: datetime) -> list[date]:
    today = timezone.localdate(now)
    return [today - timedelta(days=n) for n in range(WINDOW_DAYS - 1, -1, -1)]


def _per_day(decided: QuerySet, at: str, now: datetime) -> list[tuple[date, int]]:
    counts = {row["day"]: row["n"] for row in decided.annotate(day=TruncDate(at))
              .values("day").annotate(n=Count("pk")).order_by()}
    return [(day, counts.get(day, 0)) for day in _days(now)]


def _per_reviewer(decided: QuerySet, who: str) -> list[tuple[str, int]]:
    rows = (decided.exclude(**{f"{who}__isnull": True}).values(f"{who}__username")
            .annotate(n=Count("pk")).order_by("-n", f"{who}__username"))
    return [(row[f"{who}__username"], row["n"]) for row in rows]


def _since(now: datetime) -> datetime:
    return now - timedelta(days=WINDOW_DAYS)


def verification_figures(now: datetime) -> QueueFigures:
    State = VerificationRequest.State
    waiting = VerificationRequest.objects.filter(state=State.IN_REVIEW)
    totals = waiting.aggregate(
        depth=Count("pk"),
        unassigned=Count("pk", filter=~Q(claimed_until__gt=now)),
        breached=Count("pk", filter=VerificationRequest.sla_breached_q(now)),
        oldest_waiting=Min("submitted_at"), oldest_due=Min("sla_due_at"))
    decided = VerificationRequest.objects.filter(
        decided_at__gte=_since(now), state__in=[State.APPROVED, State.REJECTED])
    checked = VerificationRequest.objects.filter(checked_at__gte=_since(now)).aggregate(
        all=Count("pk"), sent_back=Count("pk", filter=Q(state=State.AUTO_REJECTED)))
    url = reverse("admin:verification_verificationrequest_changelist")
    return QueueFigures(
        key="verification", title=_("Identity verification"), url=url, **totals,
        per_day=_per_day(decided, "decided_at", now),
        per_reviewer=_per_reviewer(decided, "decided_by"),
        auto_rejection_rate=checked["sent_back"] / checked["all"] if checked["all"] else None,
        links={"depth": url, "unassigned": url + "?claim=unassigned",
               "breached": url + "?sla=breached", "decided": url + "?queue=decided",
               "auto_rejected": url + "?state__exact=auto_rejected"},
    )


def _appeal_figures(key: str, title: str, kinds: list[str], now: datetime) -> QueueFigures:
    cases = Appeal.objects.filter(kind__in=kinds)
    totals = cases.filter(state__in=Appeal.OPEN_STATES).aggregate(
        depth=Count("pk"), unassigned=Count("pk", filter=Q(assignee__isnull=True)),
        breached=Count("pk", filter=Appeal.sla_breached_q(now)),
        oldest_waiting=Min("created_at"), oldest_due=Min("sla_due_at"))
    url = reverse("admin:appeals_appeal_changelist") + "?kind__in=" + ",".join(kinds)
    if key == "support":  # a conversation ends when staff close it, not in a decision
        done, at, who = cases.filter(closed_at__gte=_since(now)), "closed_at", "assignee"
    else:
        done, at, who = cases.filter(decided_at__gte=_since(now)), "decided_at", "decided_by"
    return QueueFigures(
        key=key, title=title, url=url, **totals,
        per_day=_per_day(done, at, now), per_reviewer=_per_reviewer(done, who),
        links={"depth": url, "unassigned": url + "&who=unassigned",
               "breached": url + "&sla=breached", "decided": url + "&open=no"},
    )


def queue_figures(*, now: datetime | None = None, keys=None) -> list[QueueFigures]:
    """The figures of every queue (or of ``keys``), in a fixed number of queries."""
    now = now or timezone.now()
    builders = {
        "verification": lambda: verification_figures(now),
        "appeals": lambda: _appeal_figures(
            "appeals", _("Appeals and remedies reviews"),
            [Appeal.Kind.APPEAL, Appeal.Kind.REMEDIES], now),
        "support": lambda: _appeal_figures(
            "support", _("Support conversations"), [Appeal.Kind.SUPPORT], now),
    }
    return [build() for key, build in builders.items() if keys is None or key in keys]


def visible_queues(user) -> list[str]:
    """The queues ``user`` may open in admin."""
    keys = []
    if user.has_perm("verification.view_verificationrequest"):
        keys.append("verification")
    if user.has_perm("appeals.view_appeal"):
        keys += ["appeals", "support"]
    return keys


CSV_COLUMNS = ["queue", "depth", "unassigned", "breached", "oldest_waiting", "oldest_due",
               "auto_rejection_rate", "metric", "day_or_reviewer", "count"]


def figures_csv(figures: list[QueueFigures]) -> HttpResponse:
    """The dashboard as CSV: one summary row per queue, then one row per day and reviewer."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="queues.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for q in figures:
        rate = "" if q.auto_rejection_rate is None else f"{q.auto_rejection_rate:.4f}"
        writer.writerow([q.key, q.depth, q.unassigned, q.breached, _iso(q.oldest_waiting),
                         _iso(q.oldest_due), rate, "summary", "", ""])
        writer.writerows([q.key, "", "", "", "", "", "", "decided_per_day", day.isoformat(), n]
                         for day, n in q.per_day)
        writer.writerows([q.key, "", "", "", "", "", "", "decided_by", who, n]
                         for who, n in q.per_reviewer)
    return response


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


def dashboard_view(request: HttpRequest) -> HttpResponse:
    """The dashboard page (``?format=csv`` for the export); staff who see a queue only."""
    keys = visible_queues(request.user)
    if not keys:
        raise PermissionDenied
    figures = queue_figures(keys=keys)
    if request.GET.get("format") == "csv":
        return figures_csv(figures)
    context = {**admin.site.each_context(request), "title": gettext_lazy("Queues dashboard"),
               "queues": figures, "window_days": WINDOW_DAYS}
    return TemplateResponse(request, "admin/queues_dashboard.html", context)
