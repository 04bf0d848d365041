from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("Accounts and holds")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import cache  # noqa: F401  registers its outbox calls
        from .signin_hooks import on_sign_in

        user_logged_in.connect(on_sign_in, dispatch_uid="accounts.signin_hooks.on_sign_in")
