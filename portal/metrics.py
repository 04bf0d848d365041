"""Prometheus metrics at ``/metrics``.

django-prometheus counts requests, responses, latency and exceptions per
process (gunicorn's workers share them through prometheus_client's
multiprocess folder, set up in ``portal/gunicorn.conf.py``). The portal's own
gauges describe shared state — queues in the broker, cases in PostgreSQL — so
they are not kept in any process: :class:`PortalCollector` reads them when
Prometheus scrapes, and one reading is shared by every process and host
through the cache for ``PORTAL_METRICS_CACHE_SECONDS``, so several scrapers
or workers cost at most one set of queries per interval. Each source (broker,
database) that cannot be read reports ``portal_metrics_source_up 0`` instead
of failing the whole scrape.
"""

from __future__ import annotations

import hmac
import logging
import math
import os
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

CACHE_KEY = "portal:metrics:reading"
QUANTILES = (0.5, 0.95, 1.0)

# A reading: metric name -> list of (label values, value).
Reading = dict[str, list[tuple[tuple[str, ...], float]]]

# name: (help, label names)
GAUGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "portal_metrics_source_up": (
        "1 if the source of the gauges below could be read at the last reading",
        ("source",)),
    "portal_celery_queue_depth": ("Messages waiting in each Celery queue", ("queue",)),
    "portal_oldest_waiting_case_seconds": (
        "Age of the oldest case waiting in each state (0 when none waits)", ("case",)),
    "portal_sla_breaches": ("Open cases past their SLA due time", ("case",)),
    "portal_webhook_failed_attempts_last_hour": (
        "Webhook delivery attempts that failed in the last hour", ()),
    "portal_webhook_deliveries_pending": ("Webhook deliveries waiting to be sent", ()),
    "portal_checks_latency_seconds": (
        "Submission to automatic-check decision, requests checked in the last hour",
        ("quantile",)),
    "portal_checks_decided_last_hour": (
        "Requests whose automatic checks ended in the last hour", ()),
    "portal_outbox_pending": (
        "Side effects recorded and not yet published (grows while the broker is down)", ()),
    "portal_outbox_oldest_pending_seconds": (
        "Age of the oldest unpublished outbox message (0 when none waits)", ()),
}


# ---------------------------------------------------------------------------
# Reading the gauges
# ---------------------------------------------------------------------------
def take_reading(now: datetime | None = None) -> Reading:
    """Read every gauge from the broker and the database (one query each)."""
    now = now or timezone.now()
    reading: Reading = {name: [] for name in GAUGES}
    sources: dict[str, Callable[[Reading, datetime], None]] = {
        "broker": _read_queues,
        "database": _read_cases,
    }
    for source, read in sources.items():
        try:
            read(reading, now)
            up = 1.0
        except Exception:  # noqa: BLE001 - a source down is a reading, not a 500
            logger.warning("metrics: could not read %s", source, exc_info=True)
            up = 0.0
        reading["portal_metrics_source_up"].append(((source,), up))
    return reading


def _read_queues(reading: Reading, now: datetime) -> None:
    from kombu.exceptions import ChannelError

    from portal.celery import QUEUES, app

    with app.connection_for_read() as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, timeout=3)
        channel = connection.default_channel
        for queue in QUEUES:
            try:
                depth = channel.queue_declare(queue=queue, passive=True).message_count
            except ChannelError:
                depth = 0  # an empty Redis queue does not exist
            reading["portal_celery_queue_depth"].append(((queue,), float(depth)))


def _read_cases(reading: Reading, now: datetime) -> None:
    from accounts.api.models import WebhookDelivery
    from appeals.models import Appeal
    from verification.models import VerificationRequest as Request

    state = Request.State
    oldest = {
        "verification_checking": Request.objects.filter(
            state__in=[state.SUBMITTED, state.CHECKING]).aggregate(t=Min("submitted_at"))["t"],
        "verification_in_review": Request.objects.filter(
            state=state.IN_REVIEW).aggregate(t=Min("submitted_at"))["t"],
        "appeal_open": Appeal.objects.filter(
            state__in=Appeal.OPEN_STATES).aggregate(t=Min("created_at"))["t"],
    }
    for case, since in oldest.items():
        age = (now - since).total_seconds() if since else 0.0
        reading["portal_oldest_waiting_case_seconds"].append(((case,), max(age, 0.0)))
    breaches = {
        "verification": Request.objects.filter(state=state.IN_REVIEW, sla_due_at__lt=now),
        "appeal": Appeal.objects.filter(state__in=Appeal.OPEN_STATES, sla_due_at__lte=now),
    }
    for case, queryset in breaches.items():
        reading["portal_sla_breaches"].append(((case,), float(queryset.count())))
    hour_ago = now - timedelta(hours=1)
    deliveries = WebhookDelivery.objects
    failed = deliveries.filter(state=WebhookDelivery.State.FAILED, attempted_at__gte=hour_ago)
    pending = deliveries.filter(state=WebhookDelivery.State.PENDING)
    reading["portal_webhook_failed_attempts_last_hour"].append(((), float(failed.count())))
    reading["portal_webhook_deliveries_pending"].append(((), float(pending.count())))
    _read_checks_latency(reading, hour_ago)
    _read_outbox(reading, now)


def _read_outbox(reading: Reading, now: datetime) -> None:
    from accounts.models import OutboxMessage

    waiting = OutboxMessage.objects.filter(published_at__isnull=True).aggregate(
        n=Count("pk"), oldest=Min("created_at"))
    age = (now - waiting["oldest"]).total_seconds() if waiting["oldest"] else 0.0
    reading["portal_outbox_pending"].append(((), float(waiting["n"])))
    reading["portal_outbox_oldest_pending_seconds"].append(((), max(age, 0.0)))


def _read_checks_latency(reading: Reading, since: datetime) -> None:
    from verification.models import VerificationRequest as Request

    pairs = Request.objects.filter(
        checked_at__gte=since, submitted_at__isnull=False
    ).values_list("submitted_at", "checked_at")[:10_000]
    latencies = sorted(
        max((done - sent).total_seconds(), 0.0) for sent, done in pairs if sent and done)
    reading["portal_checks_decided_last_hour"].append(((), float(len(latencies))))
    for q in QUANTILES:
        # Nearest rank: the smallest latency that q of the requests did not exceed.
        value = latencies[max(math.ceil(q * len(latencies)) - 1, 0)] if latencies else 0.0
        reading["portal_checks_latency_seconds"].append(((f"{q:g}",), value))


def shared_reading() -> Reading:
    """The cached reading, or a fresh one (then cached for every process)."""
    reading = cache.get(CACHE_KEY)
    if not isinstance(reading, dict):
        reading = take_reading()
        cache.set(CACHE_KEY, reading, settings.PORTAL_METRICS_CACHE_SECONDS)
    return reading


class PortalCollector(Collector):
    """Yield the portal's gauges from the shared reading at scrape time."""

    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Names only: registering must not query the database.
        for name, (help_text, labels) in GAUGES.items():
            yield GaugeMetricFamily(name, help_text, labels=labels)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        reading = shared_reading()
        for name, (help_text, labels) in GAUGES.items():
            family = GaugeMetricFamily(name, help_text, labels=labels)
            for label_values, value in reading.get(name, []):
                family.add_metric(list(label_values), value)
            yield family


COLLECTOR = PortalCollector()


def register() -> None:
    """Add the portal's gauges to the process's default registry (once)."""
    try:
        REGISTRY.register(COLLECTOR)
    except ValueError:
        pass  # already registered (ready() ran twice in this process)


# ---------------------------------------------------------------------------
# The /metrics view
# ---------------------------------------------------------------------------
def allowed(request: HttpRequest) -> bool:
    """A matching bearer token, or a client address in the allow-list."""
    token = settings.PORTAL_METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header.removeprefix("Bearer ").encode(), token.encode())
    return request.META.get("REMOTE_ADDR") in settings.PORTAL_METRICS_ALLOWED_IPS


def registry() -> Any:
    """This process's registry, or every gunicorn worker's in multiprocess mode."""
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    combined = CollectorRegistry()
    multiprocess.MultiProcessCollector(combined)
    combined.register(COLLECTOR)
    return combined


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        # As if there were nothing here: do not tell scanners what to attack.
        return HttpResponse(status=404)
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
