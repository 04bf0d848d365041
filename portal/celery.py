"""The Celery app: queues ``checks``, ``review`` and ``notify``; late acks."""

import os

from celery import Celery
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.base")

QUEUES = ("checks", "review", "notify")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each queue has its own exchange and routing key, so a task routed to one
# queue is delivered to that queue only.
app.conf.task_queues = [Queue(name, Exchange(name), routing_key=name) for name in QUEUES]
app.autodiscover_tasks()
app.autodiscover_tasks(["accounts.api"])
