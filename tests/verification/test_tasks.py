"""Task routing and the beat schedule of verification."""

from __future__ import annotations

from django.conf import settings

from portal.celery import app


def test_verification_tasks_go_to_the_checks_queue():
    route = app.amqp.router.route({}, "verification.tasks.verification_run_checks")
    assert route["queue"].name == "checks"


def test_beat_runs_the_sweeper_and_the_retention_purge():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"verification.tasks.verification_requeue_stuck",
            "verification.tasks.verification_images_purge"} <= tasks
