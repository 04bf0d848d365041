"""Private files: written under random names, read, deleted, and swept when unowned.

A file is written before the row that points to it commits. When the
transaction rolls back, ``kept_on_success`` deletes what was written in it;
when the process dies first (killed between the write and the commit), no
code runs at all, so ``sweep`` (a beat task) deletes files that no row owns
once they are older than a grace period, and spooled upload files left by
killed workers. The owners are named in settings (``PORTAL_FILES_OWNERS``).

On FileSystemStorage, files are 0600 and folders 0700 (settings:
``FILE_UPLOAD_PERMISSIONS``, ``FILE_UPLOAD_DIRECTORY_PERMISSIONS``).
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.utils import timezone

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500


def private_storage() -> Storage:
    """Return the private storage: no URL pattern serves it."""
    return storages["private"]


def save(content: bytes, *, folder: str, extension: str) -> str:
    """Save ``content`` in private storage under a random name; return the name."""
    return private_storage().save(f"{folder}/{uuid.uuid4().hex}.{extension}",
                                  ContentFile(content))


def load(name: str) -> bytes:
    with private_storage().open(name, "rb") as handle:
        return handle.read()


def delete(name: str) -> None:
    if name:
        private_storage().delete(name)


@contextmanager
def kept_on_success() -> Iterator[Callable[[str], str]]:
    """Yield ``keep(name)``; if the block raises, delete every name it kept.

    Wrap the transaction that writes the owning rows, so a rollback leaves
    no file behind::

        with kept_on_success() as keep, transaction.atomic():
            name = keep(storage.save(...))
    """
    written: list[str] = []

    def keep(name: str) -> str:
        written.append(name)
        return name

    try:
        yield keep
    except BaseException:
        for name in written:
            _delete_quietly(name)
        raise


def _delete_quietly(name: str) -> None:
    try:
        delete(name)
    except OSError:  # the sweeper removes it later
        logger.warning("could not delete %s after a rollback", name)


# ---------------------------------------------------------------------------
# The sweeper
# ---------------------------------------------------------------------------
def sweep(*, now: datetime | None = None) -> int:
    """Delete unowned private files and stale spooled uploads older than the grace period.

    Returns how many files were deleted.
    """
    cutoff = (now or timezone.now()) - settings.PORTAL_FILES_ORPHAN_GRACE
    removed = 0
    for folder, owner in settings.PORTAL_FILES_OWNERS.items():
        removed += _sweep_folder(folder, owner, cutoff)
    return removed + _sweep_upload_spool(cutoff)


def _sweep_folder(folder: str, owner: str, cutoff: datetime) -> int:
    storage = private_storage()
    model_label, field = owner.rsplit(".", 1)
    model = apps.get_model(model_label)
    removed = 0
    for batch in _batches(_walk(storage, folder), SWEEP_BATCH):
        owned = set(model._default_manager.filter(**{f"{field}__in": batch})
                    .values_list(field, flat=True))
        for name in batch:
            if name not in owned and storage.get_modified_time(name) < cutoff:
                storage.delete(name)
                removed += 1
    if removed:
        logger.info("deleted %d unowned files under %s/", removed, folder)
    return removed


def _walk(storage: Storage, folder: str) -> Iterator[str]:
    """Yield every file name under ``folder`` (recursively)."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{folder}/{name}"
    for sub in folders:
        yield from _walk(storage, f"{folder}/{sub}")


def _batches(names: Iterator[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for name in names:
        batch.append(name)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _sweep_upload_spool(cutoff: datetime) -> int:
    """Delete files that killed workers left in the upload spool folder."""
    spool = settings.FILE_UPLOAD_TEMP_DIR
    if not spool or not Path(spool).is_dir():
        return 0
    removed = 0
    for entry in os.scandir(spool):
        if entry.is_file(follow_symlinks=False) and _mtime(entry) < cutoff:
            Path(entry.path).unlink(missing_ok=True)
            removed += 1
    return removed


def _mtime(entry: os.DirEntry) -> datetime:
    return datetime.fromtimestamp(entry.stat(follow_symlinks=False).st_mtime, tz=UTC)
