"""/metrics: django-prometheus plus the portal's gauges, behind a token or an allow-list."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from portal import metrics
from portal.celery import app
from tests.verification.conftest import in_review, make_request  # noqa: F401 - fixtures
from verification.models import VerificationRequest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_reading():
    cache.delete(metrics.CACHE_KEY)
    yield
    cache.delete(metrics.CACHE_KEY)


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus' text format."""
    label_text = ",".join(f'{key}="{value}"' for key, value in labels.items())
    pattern = "^" + re.escape(f"{name}{{{label_text}}}" if labels else name) + r" (\S+)$"
    match = re.search(pattern, text, re.MULTILINE)
    assert match, f"{name} {labels} not in the scrape"
    return float(match.group(1))


def test_loopback_may_scrape_in_the_embedded_run(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    text = response.content.decode()
    assert "django_http_requests_total_by_method_total" in text  # django-prometheus
    assert sample(text, "portal_metrics_source_up", source="database") == 1.0


def test_an_address_outside_the_allow_list_sees_nothing(client):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 404
    assert b"portal_" not in response.content


def test_a_bearer_token_opens_metrics_when_no_address_is_allowed(client, settings):
    settings.PORTAL_METRICS_TOKEN = "s3cret-scrape-token"
    settings.PORTAL_METRICS_ALLOWED_IPS = []

    assert client.get("/metrics").status_code == 404
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer guess")
    right = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")

    assert wrong.status_code == 404
    assert right.status_code == 200
    assert b"portal_celery_queue_depth" in right.content


def test_gauges_count_breached_cases_and_the_oldest_waiting(client, in_review):  # noqa: F811
    late = in_review()
    in_review()  # a second one, still within its SLA
    submitted = timezone.now() - timedelta(hours=30)
    VerificationRequest.objects.filter(pk=late.pk).update(
        submitted_at=submitted, sla_due_at=timezone.now() - timedelta(hours=6))

    text = client.get("/metrics").content.decode()

    assert sample(text, "portal_sla_breaches", case="verification") == 1.0
    oldest = sample(text, "portal_oldest_waiting_case_seconds", case="verification_in_review")
    assert 30 * 3600 - 60 < oldest < 30 * 3600 + 60
    # Both were checked in the last hour; the one moved back waited 30 hours for it.
    assert sample(text, "portal_checks_decided_last_hour") == 2.0
    assert sample(text, "portal_checks_latency_seconds", quantile="0.5") < 60
    assert sample(text, "portal_checks_latency_seconds", quantile="1") > 30 * 3600 - 60


def test_queue_depth_is_read_from_the_broker(client):
    app.control.purge()
    try:
        for _ in range(3):
            app.send_task("verification.tasks.verification_requeue_stuck")
        app.send_task("appeals.tasks.appeals_triage_pending")

        text = client.get("/metrics").content.decode()

        assert sample(text, "portal_celery_queue_depth", queue="checks") == 3.0
        assert sample(text, "portal_celery_queue_depth", queue="review") == 1.0
        assert sample(text, "portal_celery_queue_depth", queue="notify") == 0.0
    finally:
        app.control.purge()


def test_one_reading_serves_every_scrape_until_it_expires(client, django_assert_num_queries):
    client.get("/metrics")  # takes the reading and shares it through the cache
    with django_assert_num_queries(0):
        metrics.PortalCollector().collect().__next__()


def test_a_broker_that_cannot_be_read_is_reported_not_raised(client, monkeypatch):
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:9/0")
    monkeypatch.setattr(app.conf, "broker_read_url", "redis://127.0.0.1:9/0")

    response = client.get("/metrics")

    assert response.status_code == 200
    text = response.content.decode()
    assert sample(text, "portal_metrics_source_up", source="broker") == 0.0
    assert sample(text, "portal_metrics_source_up", source="database") == 1.0


def test_the_outbox_backlog_is_a_gauge(client):
    from accounts.models import OutboxMessage

    OutboxMessage.objects.create(kind="task", name="accounts.tasks.holds_lift_expired",
                                 created_at=timezone.now() - timedelta(minutes=10))
    OutboxMessage.objects.create(kind="task", name="accounts.tasks.holds_lift_expired",
                                 published_at=timezone.now())

    text = client.get("/metrics").content.decode()

    assert sample(text, "portal_outbox_pending") == 1.0
    assert 590 < sample(text, "portal_outbox_oldest_pending_seconds") < 700
