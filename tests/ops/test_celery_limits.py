"""Every task gets the soft and hard time limits of its queue; children are recycled."""

import pytest
from django.conf import settings

from portal.celery import app

TASKS_BY_QUEUE = {
    "checks": "verification.tasks.verification_run_checks",
    "review": "appeals.tasks.appeals_triage_pending",
    "notify": "accounts.api.tasks.webhook_deliveries_sweep",
}


@pytest.mark.parametrize(("queue", "name"), TASKS_BY_QUEUE.items())
def test_a_task_has_the_time_limits_of_its_queue(queue, name):
    soft, hard = settings.PORTAL_CELERY_TIME_LIMITS[queue]
    task = app.tasks[name]
    assert (task.soft_time_limit, task.time_limit) == (soft, hard)
    assert soft < hard


def test_the_queues_have_different_limits_and_workers_recycle_children():
    limits = settings.PORTAL_CELERY_TIME_LIMITS
    assert set(limits) == {"checks", "review", "notify"}
    assert limits["checks"] != limits["notify"]  # CPU-bound checks get longer
    assert app.conf.worker_max_tasks_per_child == settings.CELERY_WORKER_MAX_TASKS_PER_CHILD > 0
