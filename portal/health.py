"""``/health/`` for load balancers (django-health-check).

Database, cache, private storage (a write, read and delete), and the Celery
broker. The broker check opens a connection, and does not ask for workers:
a web host stays in the pool while workers restart.
"""

from __future__ import annotations

import dataclasses
import datetime

from health_check import Cache, Database, Storage
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView


@dataclasses.dataclass
class Broker(HealthCheck):
    """Check the Celery broker accepts a connection."""

    timeout: datetime.timedelta = dataclasses.field(
        default=datetime.timedelta(seconds=3), repr=False
    )

    def run(self) -> None:
        from portal.celery import app

        try:
            with app.connection_for_write() as connection:
                connection.ensure_connection(
                    max_retries=1, interval_start=0, timeout=self.timeout.total_seconds())
        except Exception as error:  # noqa: BLE001 - any failure means unavailable
            raise ServiceUnavailable("Broker unreachable") from error


health_view = HealthCheckView.as_view(
    checks=[Database, Cache, (Storage, {"alias": "private"}), Broker]
)
