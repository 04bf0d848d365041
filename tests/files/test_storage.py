"""Private files: owner-only, never left unowned (rollback, killed worker), swept after a grace."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from appeals import services as appeal_services
from portal.files import storage
from tests.appeals.conftest import clean_image
from tests.conftest import stored_files
from tests.support import verification as wizard
from tests.verification.pictures import card_jpeg, upload
from verification import services
from verification.models import VerificationImage

LATER = timedelta(hours=2)  # past the default grace of one hour


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.django_db
def test_private_files_and_folders_are_the_portals_alone(private_dir, make_account,
                                                         restricted_user, file_appeal):
    account = make_account(language="en")
    image = services.verification_attach_image(
        request=wizard.draft(account), acting_user=account, kind="front", upload=upload(card_jpeg(1)))
    appeal = file_appeal(restricted_user.holds.get(), files=[clean_image("a.jpg")])
    paths = [private_dir / image.name, private_dir / appeal.attachments.get().file.name]
    for path in paths:
        assert _mode(path) == 0o600, oct(_mode(path))
        folder = path.parent
        while folder != private_dir.parent:
            assert _mode(folder) == 0o700, (folder, oct(_mode(folder)))
            folder = folder.parent


@pytest.mark.django_db
def test_a_rolled_back_write_deletes_its_files(private_dir):
    with pytest.raises(IntegrityError):
        with storage.kept_on_success() as keep, transaction.atomic():
            name = keep(storage.save(b"pixels", folder="verification/1", extension="jpg"))
            assert (private_dir / name).exists()
            raise IntegrityError("the row could not be written")
    assert stored_files(private_dir) == []


@pytest.mark.django_db
def test_the_sweeper_deletes_only_unowned_files_past_the_grace(private_dir, make_account,
                                                               restricted_user, file_appeal):
    account = make_account(language="en")
    owned_image = services.verification_attach_image(
        request=wizard.draft(account), acting_user=account, kind="front", upload=upload(card_jpeg(2)))
    appeal = file_appeal(restricted_user.holds.get(), files=[clean_image("a.jpg")])
    owned_evidence = appeal.attachments.get().file.name
    # Evidence written in a transaction that then rolled back: no row owns it.
    with pytest.raises(RuntimeError), transaction.atomic():
        appeal_services.appeal_user_reply(appeal=appeal, acting_user=restricted_user,
                                          body="More.", files=[clean_image("b.jpg")])
        raise RuntimeError("the request failed after the files were written")
    orphans = {p.relative_to(private_dir).as_posix() for p in stored_files(private_dir)} - {
        owned_image.name, owned_evidence}
    assert len(orphans) == 1
    stray = storage.save(b"x", folder="verification/999", extension="jpg")
    unrelated = storage.save(b"x", folder="elsewhere", extension="txt")

    assert storage.sweep() == 0  # everything is younger than the grace period
    assert storage.sweep(now=timezone.now() + LATER) == 2
    left = {p.relative_to(private_dir).as_posix() for p in stored_files(private_dir)}
    assert left == {owned_image.name, owned_evidence, unrelated}
    assert stray not in left and not orphans & left


@pytest.mark.django_db
def test_the_sweeper_empties_the_upload_spool_of_stale_files(settings, tmp_path, private_dir):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "spool")
    spool = Path(settings.FILE_UPLOAD_TEMP_DIR)
    spool.mkdir()
    stale, fresh = spool / "tmpa1.upload.jpg", spool / "tmpb2.upload.jpg"
    for path in (stale, fresh):
        path.write_bytes(b"raw upload")
    hours_ago = time.time() - 3 * 3600
    os.utime(stale, (hours_ago, hours_ago))
    assert storage.sweep() == 1
    assert not stale.exists() and fresh.exists()


def test_the_sweeper_runs_from_beat_on_a_queue_a_worker_consumes():
    from portal.celery import QUEUES

    entry = django_settings.CELERY_BEAT_SCHEDULE["files-sweep"]
    assert entry["task"] == "portal.files.tasks.files_sweep"
    from portal.files import tasks

    assert tasks.files_sweep.name == entry["task"]
    assert django_settings.CELERY_TASK_ROUTES["portal.files.tasks.*"]["queue"] in QUEUES


# ---------------------------------------------------------------------------
# A worker killed between writing the file and committing the row
# ---------------------------------------------------------------------------
_KILLED_MID_WRITE = """
import os, signal, sys, django
django.setup()
from verification import services
from verification.models import VerificationImage, VerificationRequest
from django.core.files.uploadedfile import SimpleUploadedFile

def die(*args, **kwargs):  # the moment between the stored file and the commit
    os.kill(os.getpid(), signal.SIGKILL)

VerificationImage.objects.create = die
request = VerificationRequest.objects.get(pk=int(sys.argv[1]))
photo = SimpleUploadedFile("card.jpg", open(sys.argv[2], "rb").read(), "image/jpeg")
services.verification_attach_image(request=request, acting_user=request.account, kind="front",
                                   upload=photo)
"""


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_before_the_commit_leaves_a_file_the_sweeper_removes(
        private_dir, make_account, tmp_path):
    account = make_account(language="en")
    request = wizard.draft(account)
    photo = tmp_path / "card.jpg"
    photo.write_bytes(card_jpeg(5))
    database = django_settings.DATABASES["default"]
    env = {**os.environ, "PYTHONPATH": os.getcwd(),
           "DJANGO_SETTINGS_MODULE": "portal.settings.test",
           "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT'] or 5432}"
                           f"/{database['NAME']}",
           "PORTAL_PRIVATE_MEDIA_ROOT": str(private_dir)}
    done = subprocess.run([sys.executable, "-c", _KILLED_MID_WRITE, str(request.pk), str(photo)],
                          env=env, capture_output=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    left = stored_files(private_dir)
    assert len(left) == 1 and not VerificationImage.objects.exists()  # unowned
    assert storage.sweep() == 0  # it might still be committing: kept during the grace
    assert storage.sweep(now=timezone.now() + LATER) == 1
    assert stored_files(private_dir) == []
