from django.apps import AppConfig


class FilesConfig(AppConfig):
    """Registers the sweeper task (``tasks``) and the HEIF opener with Pillow."""

    name = "portal.files"
    label = "portal_files"
    verbose_name = "Untrusted files"

    def ready(self) -> None:
        from . import images  # noqa: F401 - registers the HEIF opener with Pillow
