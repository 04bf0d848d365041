"""Logging filters: the Celery task a log line was written in."""

from __future__ import annotations

import logging

from celery import current_task


class CeleryTaskFilter(logging.Filter):
    """Add ``task_id`` and ``task_name`` (None outside a task) to every record.

    What Celery's own TaskFormatter does, as a filter so any formatter (JSON
    or text) can use the fields.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        task = current_task
        request = getattr(task, "request", None) if task else None
        task_id = getattr(request, "id", None)
        record.task_id = task_id
        record.task_name = getattr(task, "name", None) if task_id else None
        return True
