"""Raw uploads: read within a cap, and never spool more than the cap to disk.

Django keeps a small request's files in memory and spools larger ones to
``FILE_UPLOAD_TEMP_DIR``; the request deletes them when it closes. A worker
killed in the middle of a request (a timeout, the OOM killer, a deploy)
never closes it, so its spooled files stay behind: they live in a folder of
their own (settings) that ``storage.sweep`` empties of anything older than
the grace period.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "empty": _("The file is empty. Choose the photo again."),
    "too_large": _(
        "The file is larger than %(mb)d MB. Take the photo again or choose a smaller one."),
}


def read_capped(upload, limit: int) -> bytes:
    """Return the upload's bytes, refusing an empty file or one over ``limit`` bytes."""
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise too_large(limit)
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise too_large(limit)
    if not data:
        raise ValidationError(MESSAGES["empty"], code="empty")
    return data


def too_large(limit: int) -> ValidationError:
    return ValidationError(MESSAGES["too_large"], code="too_large",
                           params={"mb": limit // (1024 * 1024)})


def spool_limit() -> int:
    """The most bytes of one file worth keeping: one more than the largest accepted file."""
    return max(settings.PORTAL_UPLOAD_MAX_BYTES, settings.PORTAL_APPEAL_EVIDENCE_MAX_BYTES) + 1


class CappedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Spool at most ``spool_limit()`` bytes of a file; count the rest without keeping it.

    The file's ``size`` is still the size that was sent, so the form refuses
    it as too large, but a 2 GB upload never fills the disk.
    """

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.kept = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        room = spool_limit() - self.kept
        if room > 0:
            self.file.write(raw_data[:room])
            self.kept += min(room, len(raw_data))
