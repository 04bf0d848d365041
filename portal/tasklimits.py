"""Celery time limits by queue.

``CELERY_TASK_ANNOTATIONS`` names :class:`QueueTimeLimits`; Celery asks it
for each task's attributes when the task class is bound, and it answers with
the soft and hard limits of the queue the task is routed to
(``PORTAL_CELERY_TIME_LIMITS``). A new task gets limits by being routed.
"""

from __future__ import annotations

from typing import Any

from celery.app.routes import MapRoute
from django.conf import settings


class QueueTimeLimits:
    def __init__(self) -> None:
        self.routes = MapRoute(settings.CELERY_TASK_ROUTES)

    def queue_of(self, task_name: str) -> str:
        route = self.routes(task_name) or {}
        return route.get("queue", settings.CELERY_TASK_DEFAULT_QUEUE)

    def annotate(self, task: Any) -> dict[str, int] | None:
        if task.name.startswith("celery."):
            return None  # Celery's own housekeeping tasks
        limits = settings.PORTAL_CELERY_TIME_LIMITS.get(self.queue_of(task.name))
        if limits is None:
            return None
        soft, hard = limits
        return {"soft_time_limit": soft, "time_limit": hard}
