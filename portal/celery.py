"""The Celery app: queues ``checks``, ``review`` and ``notify``; late acks."""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.base")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue("checks"), Queue("review"), Queue("notify")]
app.autodiscover_tasks()
app.autodiscover_tasks(["accounts.api"])
