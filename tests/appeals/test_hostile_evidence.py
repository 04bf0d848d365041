"""Hostile evidence through the real filing and reply views: 400, a specific message, nothing written.

Messages are checked in English and Chinese; "nothing written" means no
appeal, message, attachment or event, and no file in private storage.
"""

from __future__ import annotations

import io

import pikepdf
import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from accounts.models import StatusEvent
from appeals.models import Appeal, Attachment, Message
from tests.conftest import stored_files
from tests.files import samples

from .conftest import image_bytes, upload

pytestmark = pytest.mark.django_db

JS_IN_OBJSTM = b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"

# name → (file, English words, Chinese words)
HOSTILE = {
    "pdf_script_in_encoded_object_stream": (
        samples.objstm_pdf(JS_IN_OBJSTM, *samples.OBJSTM_FILTERS["all_chained"]),
        "contains scripts (JavaScript)", "文件包含脚本"),
    "pdf_script_in_encrypted_file": (samples.encrypted_pdf(active="js_page_open"),
                                     "contains scripts (JavaScript)", "文件包含脚本"),
    "pdf_launch": (samples.active_pdf("launch"), "open other files or programs",
                   "打开其他文件或程序"),
    "pdf_attachment": (samples.active_pdf("attachment"), "files attached inside it",
                       "附带了其他文件"),
    "pdf_xfa": (samples.active_pdf("xfa"), "XFA form", "XFA 表单"),
    "pdf_rich_media": (samples.active_pdf("rich_media"), "multimedia", "多媒体"),
    "pdf_password": (samples.encrypted_pdf(user="1234"), "protected with a password",
                     "文件设有密码"),
    "pdf_bomb": (samples.double_flate_bomb_pdf(), "too large to check", "文件太大"),
    "pdf_broken": (b"%PDF-1.7\n" + b"\x00garbage" * 50, "damaged", "已损坏"),
    "photo_strip": (samples.encoded(Image.new("L", (20000, 10), 200), "PNG"),
                    "only 20000 × 10 pixels", "图片只有 20000 × 10 像素"),
    "photo_lying_header": (samples.lying_jpeg(), "claims to be 6000 × 6000", "声称有"),
    "gif": (samples.encoded(samples.picture((300, 300)), "GIF"), "Take a screenshot",
            "请截图"),
}


def counts():
    return (Appeal.objects.count(), Message.objects.count(), Attachment.objects.count(),
            StatusEvent.objects.count())


def _client(account, language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(account)
    return client


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_filing_with_hostile_evidence_is_refused_and_writes_nothing(case, restricted_user,
                                                                    private_dir):
    data, english, chinese = HOSTILE[case]
    url = reverse("appeals:file", args=[restricted_user.holds.get().pk])
    before = counts()
    for language, words in (("en", english), ("zh-hans", chinese)):
        response = _client(restricted_user, language).post(url, {
            "category": "wrong_decision", "statement": "It was not me.",
            "evidence": [upload("good.jpg", image_bytes()), upload("evidence.pdf", data)]})
        assert response.status_code == 400
        page = response.content.decode()
        assert words in page and "evidence.pdf" in page
    assert counts() == before
    assert stored_files(private_dir) == []


def test_a_hostile_file_in_a_reply_is_refused_and_the_good_one_beside_it_not_kept(
        restricted_user, file_appeal, private_dir):
    appeal = file_appeal(restricted_user.holds.get())
    before, files_before = counts(), stored_files(private_dir)
    response = _client(restricted_user, "en").post(
        reverse("appeals:reply", args=[appeal.pk]),
        {"body": "Here is more.", "evidence": [upload("good.jpg", image_bytes()),
                                               upload("bad.pdf", samples.active_pdf("launch"))]})
    assert response.status_code == 400
    assert "open other files or programs" in response.content.decode()
    assert counts() == before and stored_files(private_dir) == files_before


def test_real_documents_are_filed_and_stored_as_normalised_copies(restricted_user, private_dir):
    real = {
        "receipt.pdf": samples.LIBREOFFICE_PDF.read_bytes(),
        "scan.pdf": samples.scanner_pdf(),
        "locked-for-editing.pdf": samples.encrypted_pdf(),
        "IMG_0042.HEIC": samples.encoded(samples.picture((800, 600)), "HEIF"),
        "chat.png": samples.encoded(samples.picture((500, 8000)), "PNG"),
    }
    response = _client(restricted_user, "en").post(
        reverse("appeals:file", args=[restricted_user.holds.get().pk]),
        {"category": "wrong_decision", "statement": "See the documents.",
         "evidence": [upload(name, data) for name, data in real.items()]})
    assert response.status_code == 302
    stored = {a.original_name: a for a in Attachment.objects.all()}
    assert set(stored) == set(real)
    for name in ("receipt.pdf", "scan.pdf", "locked-for-editing.pdf"):
        content = stored[name].file.read()
        assert content != real[name]  # the parser's rewrite, not the user's bytes
        with pikepdf.open(io.BytesIO(content)) as document:
            assert not document.is_encrypted and len(document.pages) >= 1
    heic = stored["IMG_0042.HEIC"]
    assert heic.content_type == "image/jpeg" and heic.file.name.endswith(".jpg")
    assert len(stored_files(private_dir)) == len(real)
