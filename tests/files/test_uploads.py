"""Raw uploads through real servers: nothing left in the spool folder, nothing beyond the cap.

Django spools a request's files to ``FILE_UPLOAD_TEMP_DIR`` when the body is
over 2 MB and deletes them when the request closes. What stayed behind were
the files of workers killed mid-request (timeouts, the OOM killer, deploys):
no code runs then. They now land in a folder of the portal's own, which the
files sweeper empties; the last test here kills a gunicorn worker to show it.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
import requests
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from appeals.models import Attachment
from portal.files import storage
from portal.files.uploads import CappedTemporaryFileUploadHandler, spool_limit
from tests.appeals.conftest import clean_image
from tests.conftest import stored_files
from tests.files import samples
from tests.support import verification as wizard
from verification.models import VerificationImage


def noisy_jpeg(size=(2000, 1400)) -> bytes:
    """A photo that compresses badly: over 2 MB, so Django spools it to disk."""
    pixels = np.random.default_rng(7).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=95)
    return out.getvalue()


@pytest.fixture
def spool(settings, tmp_path) -> Path:
    folder = tmp_path / "spool"
    folder.mkdir(mode=0o700)
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    return folder


def _browser(live_server, client, account, page: str) -> tuple[requests.Session, str]:
    """A requests session signed in as ``account``, with the CSRF token of ``page``."""
    client.force_login(account)
    session = requests.Session()
    session.cookies.set("sessionid", client.cookies["sessionid"].value)
    session.headers["Accept-Language"] = "en"
    session.get(live_server.url + page, timeout=30).raise_for_status()
    return session, session.cookies["csrftoken"]


@pytest.mark.django_db(transaction=True)
def test_no_spooled_file_remains_after_good_and_bad_uploads(live_server, client, make_account,
                                                            restricted_user, file_appeal,
                                                            spool, private_dir):
    good = noisy_jpeg()
    assert len(good) > 2_500_000
    bad = {
        "truncated": good[: len(good) * 9 // 10],
        "too large": b"\xff\xd8\xff" + bytes(12 * 1024 * 1024),
        "not a photo": b"%!PS-Adobe-3.0\n" + bytes(3 * 1024 * 1024),
        "pdf bomb": samples.flate_bomb_pdf(),
    }
    account = make_account(language="en")
    request = wizard.draft(account)
    step = reverse("verification:step", args=[request.pk, "front"])
    session, token = _browser(live_server, client, account, step)
    for label, data in [("good", good), *bad.items()]:
        response = session.post(live_server.url + step, data={"csrfmiddlewaretoken": token},
                                files={"photo": ("card.jpg", data, "image/jpeg")}, timeout=60,
                                allow_redirects=False)
        assert response.status_code == (302 if label == "good" else 200), label
        _spool_empties(spool, label)
    assert VerificationImage.objects.count() == 1

    appeal = file_appeal(restricted_user.holds.get(), files=[clean_image()])
    detail = reverse("appeals:detail", args=[appeal.pk])
    session, token = _browser(live_server, client, restricted_user, detail)
    reply = reverse("appeals:reply", args=[appeal.pk])
    for label, data in [("good", good), *bad.items()]:
        response = session.post(live_server.url + reply, timeout=60, allow_redirects=False,
                                data={"csrfmiddlewaretoken": token, "body": "See the file."},
                                files={"evidence": ("evidence.bin", data, "image/jpeg")})
        assert response.status_code == (302 if label == "good" else 400), label
        _spool_empties(spool, label)
    assert Attachment.objects.count() == 2
    assert len(stored_files(private_dir)) == 3  # one photo, two pieces of evidence


def _spool_empties(spool: Path, label: str) -> None:
    """The server closes the request, deleting its spooled files, just after it answers."""
    try:
        _wait_for(lambda: not any(spool.iterdir()), timeout=15)
    except AssertionError:
        raise AssertionError(f"{label}: {list(spool.iterdir())} left behind") from None


def test_an_oversized_file_is_spooled_only_up_to_the_cap(spool, settings):
    settings.PORTAL_UPLOAD_MAX_BYTES = settings.PORTAL_APPEAL_EVIDENCE_MAX_BYTES = 1 << 20
    handler = CappedTemporaryFileUploadHandler()
    handler.new_file("photo", "big.jpg", "image/jpeg", None)
    chunk = bytes(64 * 1024)
    sent = 0
    for _ in range(100):  # 6.4 MB sent
        handler.receive_data_chunk(chunk, sent)
        sent += len(chunk)
    upload = handler.file_complete(sent)
    on_disk = Path(upload.temporary_file_path())
    assert upload.size == sent  # the form sees the size that was sent, and refuses it
    assert on_disk.stat().st_size == spool_limit() == (1 << 20) + 1
    upload.close()
    assert not on_disk.exists()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _wait_for(condition, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.mark.django_db
def test_a_worker_killed_mid_upload_leaves_a_spooled_file_the_sweeper_removes(spool, private_dir):
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "PORTAL_UPLOAD_TEMP_DIR": str(spool),
           "DJANGO_SETTINGS_MODULE": "portal.settings.test"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", "1", "--timeout", "120"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: _answers(port), timeout=60)
        worker = _children(server.pid)[0]
        token = "a" * 32
        boundary = "----portal-test"
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrfmiddlewaretoken\""
                f"\r\n\r\n{token}\r\n--{boundary}\r\nContent-Disposition: form-data; "
                f"name=\"photo\"; filename=\"card.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
                ).encode()
        declared = len(head) + 8 * 1024 * 1024
        with socket.create_connection(("127.0.0.1", port)) as connection:
            connection.sendall(
                f"POST /verification/1/step/front/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Cookie: csrftoken={token}\r\nContent-Length: {declared}\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\n\r\n".encode())
            connection.sendall(head + b"\xff\xd8\xff" + bytes(3 * 1024 * 1024))
            spooled = _wait_for(lambda: [p for p in spool.iterdir()
                                         if p.stat().st_size > 2 * 1024 * 1024])
            os.kill(worker, signal.SIGKILL)  # the OOM killer, a timeout, a deploy
            _wait_for(lambda: not Path(f"/proc/{worker}").exists() or _zombie(worker))
        assert all(path.exists() for path in spooled)  # nothing cleaned it up
        assert storage.sweep() == 0  # within the grace an upload may still be running
        assert storage.sweep(now=timezone.now() + timedelta(hours=2)) == len(spooled)
        assert list(spool.iterdir()) == []
    finally:
        server.terminate()
        server.wait(timeout=30)


def _answers(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/health-of-nothing/", timeout=10) is not None
    except requests.RequestException:
        return False


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
