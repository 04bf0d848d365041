"""System checks for what Django's own ``check --deploy`` cannot see.

``static_files_collect`` builds the static files exactly as ``collectstatic``
will at deploy time, into a scratch folder. A stylesheet or script that names
a file the build cannot find (a vendored library's source map, a font) makes
the manifest storage fail there, and then every page is a 500 — while the
settings themselves look fine.

``redis_broker_and_cache_apart`` refuses a broker and a cache in one Redis
database: they need different eviction policies (see the README).
"""

from __future__ import annotations

import io
import tempfile
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.management.commands import collectstatic
from django.core import checks
from django.core.files.storage import FileSystemStorage
from django.utils.module_loading import import_string


def register() -> None:
    checks.register(static_files_collect, checks.Tags.staticfiles, deploy=True)
    checks.register(redis_broker_and_cache_apart, checks.Tags.caches, deploy=True)


def _redis_database(url: str) -> tuple[str, int, int] | None:
    """(host, port, db) of a redis:// URL, None for anything else."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        return None
    db = int(parts.path.strip("/") or 0) if parts.path.strip("/").isdigit() else 0
    return (parts.hostname or "localhost", parts.port or 6379, db)


def redis_broker_and_cache_apart(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    broker = _redis_database(settings.CELERY_BROKER_URL)
    cache_settings: dict[str, dict[str, Any]] = settings.CACHES
    caches = [_redis_database(str(c.get("LOCATION", ""))) for c in cache_settings.values()]
    if broker is not None and broker in caches:
        return [
            checks.Error(
                "CELERY_BROKER_URL and CACHE_URL point at the same Redis database.",
                hint="Use separate databases or servers: the broker's Redis needs "
                "maxmemory-policy noeviction, the cache's an LRU policy.",
                id="portal.E002",
            )
        ]
    return []


def static_files_collect(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Collect and post-process every static file into a scratch folder."""
    backend = settings.STORAGES["staticfiles"]
    storage_class = import_string(backend["BACKEND"])
    # Only a storage on local disk can be built in a scratch folder; the
    # plain storage has no post-processing that could fail.
    if not issubclass(storage_class, FileSystemStorage) or not hasattr(
        storage_class, "post_process"
    ):
        return []
    with tempfile.TemporaryDirectory(prefix="portal-static-check-") as scratch:
        options = {**backend.get("OPTIONS", {}), "location": scratch}
        try:
            _collect(storage_class(**options))
        except Exception as error:  # noqa: BLE001 - any failure is the finding
            return [
                checks.Error(
                    f"collectstatic fails with these settings: {error}",
                    hint="Every page would answer 500. Ship the missing file next to the "
                    "one that names it (for a vendored library, from the same release).",
                    obj=backend["BACKEND"],
                    id="portal.E001",
                )
            ]
    return []


def _collect(storage: FileSystemStorage) -> None:
    """Run collectstatic's own collection into ``storage`` (raises what it raises)."""
    command = collectstatic.Command(stdout=io.StringIO(), stderr=io.StringIO())
    command.storage = storage
    command.set_options(
        interactive=False, verbosity=0, link=False, clear=False, dry_run=False,
        ignore_patterns=[], use_default_ignore_patterns=True, post_process=True,
    )
    command.collect()
