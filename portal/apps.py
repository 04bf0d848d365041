"""The project's own operations app: deploy checks, health checks, metrics, logging."""

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal operations"

    def ready(self) -> None:
        from . import checks, metrics

        checks.register()
        metrics.register()
