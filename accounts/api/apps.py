from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts.api"
    label = "api"
    verbose_name = _("Integration API and webhooks")

    def ready(self) -> None:
        from . import services  # noqa: F401  registers its event listeners and outbox calls
