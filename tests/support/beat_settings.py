"""The test settings with a beat whose only entry is the deadline reminders, every
second: a real ``celery beat`` process fires it many times while a test watches
that each reminder is still sent once."""

from portal.settings.test import *  # noqa: F403

CELERY_BEAT_SCHEDULE = {
    "holds-remind-deadlines": {
        "task": "accounts.tasks.holds_remind_deadlines", "schedule": 1.0},
}
