from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VerificationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "verification"
    verbose_name = _("Real-name verification")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from . import images  # noqa: F401  registers its outbox call
        from .document.phash import register_sqlite

        # The reuse check's Hamming distance on SQLite (the embedded run).
        connection_created.connect(register_sqlite, dispatch_uid="verification_hamming")
