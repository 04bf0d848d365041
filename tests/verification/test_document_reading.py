"""Reading documents without the worker: the models load offline, the MRZ, reuse, NaN."""

from __future__ import annotations

import io
import math
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from tests.support.verification import ID_NUMBERS
from verification import checks
from verification.document import fields, phash, reading
from verification.services.document import verification_document_read

from . import cards
from .pictures import card_jpeg

ROOT = Path(__file__).resolve().parents[2]


def test_the_ocr_and_face_models_load_and_read_with_no_network():
    """In a fresh process whose sockets refuse to connect, build the engine and read a card."""
    script = textwrap.dedent("""
        import socket, sys
        def refuse(*args, **kwargs):
            raise OSError("network disabled for this test")
        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        import os
        os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings.base"
        import django
        django.setup()
        from tests.verification.pictures import card_jpeg
        from verification.document import reading
        result = reading.read_photo(card_jpeg(7, name="赵六", number="31010119880808451X"))
        print(result.fields.get("number"), result.fields.get("name"), result.face)
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-3:] == ["31010119880808451X", "赵六", "True"]


def test_the_models_are_files_inside_the_installed_packages():
    import cv2
    import rapidocr

    models = Path(rapidocr.__file__).parent / "models"
    assert sorted(p.suffix for p in models.glob("*.onnx")) == [".onnx"] * 3
    assert Path(cv2.data.haarcascades, "haarcascade_frontalface_default.xml").is_file()


def test_a_passport_machine_readable_zone_is_read_with_its_check_digits():
    lines = cards.passport_mrz("ZHANG", "SAN", "E12345678", date(1990, 3, 7), "M",
                               date(2031, 5, 20))
    page = cards.draw_passport(lines, seed=3)
    photo = cards.photograph(page, cards.Shot(size=(1400, 1050), card_width=0.8), seed=3)
    result = reading.read_photo(photo)
    assert result.kind == "passport"
    assert result.fields["number"] == "E12345678"
    assert result.fields["mrz_checks"] == {"number": True, "birth_date": True,
                                           "expiry_date": True, "composite": True}
    assert result.fields["expiry_date"] == "2031-05-20" and result.face is True


def test_icao_check_digits_match_the_published_example():
    # ICAO 9303 part 4's specimen: L898902C3 → 6, 740812 → 2, 120415 → 9.
    assert (fields.check_digit("L898902C3"), fields.check_digit("740812"),
            fields.check_digit("120415")) == ("6", "2", "9")


def test_hamming_distance_of_signed_hashes():
    a = phash.to_signed("ffffffffffffffff")
    assert a == -1 and phash.to_signed("0000000000000001") == 1
    assert phash.hamming(a, 0) == 64 and phash.hamming(5, 6) == 2


def _varied_photo(seed: int, side: str) -> bytes:
    import random

    rng = random.Random(seed)
    draw = cards.draw_front if side == "front" else cards.draw_back
    return cards.photograph(draw(cards.identity_for("张三", ID_NUMBERS[0]), seed=seed),
                            cards.random_shot(rng, size=(1000, 750), seed=seed), seed=seed)


def _variant(data: bytes, *, crop: float = 0.0, turn: float = 0.0) -> bytes:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    w, h = image.size
    dx, dy = int(w * crop), int(h * crop)
    image = image.crop((dx, dy, w - dx, h - dy)).rotate(turn, resample=Image.BICUBIC)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("change", [{"crop": 0.01}, {"turn": 1.0}, {"crop": 0.01, "turn": -1.0}])
def test_the_same_photo_cropped_or_turned_is_seen_as_reused(make_request, change):
    photo = card_jpeg(4343)
    first = make_request(front=photo, back=_varied_photo(4401, "back"))
    second = make_request(front=_variant(photo, **change), back=_varied_photo(4402, "back"))
    other = make_request(front=_varied_photo(4403, "front"), back=_varied_photo(4404, "back"))
    sides = list(second.images.filter(kind__in=["front", "back"]))
    outcome = checks.check_reused_photo(second, sides)
    assert outcome.passed is False and first.pk in outcome.detail["other_requests"]
    assert other.pk not in outcome.detail["other_requests"]


@pytest.mark.django_db
def test_different_photos_of_the_same_template_are_not_reuse(make_request):
    requests = [make_request(front=_varied_photo(900 + i, "front"),
                             back=_varied_photo(950 + i, "back")) for i in range(4)]
    for request in requests:
        sides = list(request.images.filter(kind__in=["front", "back"]))
        assert checks.check_reused_photo(request, sides).passed is True


def test_nan_never_reaches_the_database_from_an_outcome():
    outcome = checks.Outcome("x", False, float("nan"), detail={"a": float("inf"),
                                                              "b": [float("nan"), 1.5]})
    assert outcome.score == 0.0 and outcome.detail == {"a": None, "b": [None, 1.5]}
    assert checks.Outcome("y", True, 7.0).score == 1.0


@pytest.mark.django_db
def test_a_reading_with_nan_measures_is_stored_as_null(make_request, monkeypatch):
    from verification.document import card as card_module

    real = card_module.measure

    def nan_measure(*args, **kwargs):
        measured = real(*args, **kwargs)
        return card_module.Measures(math.nan, measured.brightness, measured.glare,
                                    measured.glare_band, math.inf)

    monkeypatch.setattr(card_module, "measure", nan_measure)
    request = make_request()
    front = request.images.get(kind="front")
    stored = verification_document_read(image_id=front.pk)
    stored.refresh_from_db()
    assert stored.data["metrics"]["sharpness"] is None
    assert stored.data["metrics"]["contrast"] is None


@pytest.mark.django_db
def test_sqlite_gets_the_distance_function(tmp_path):
    import sqlite3

    connection = sqlite3.connect(tmp_path / "x.db")

    class Wrapper:
        vendor = "sqlite"

    wrapper = Wrapper()
    wrapper.connection = connection
    phash.register_sqlite(None, wrapper)
    assert connection.execute("select portal_hamming(-1, 0)").fetchone()[0] == 64



@pytest.mark.django_db
def test_retention_purge_takes_what_was_read_with_the_photos(make_request, settings):
    from datetime import timedelta

    from django.utils import timezone

    from verification import services
    from verification.models import DocumentReading, VerificationRequest

    request = make_request()
    stored = verification_document_read(image_id=request.images.get(kind="front").pk)
    assert stored.data["fields"]["name"] == "张三" and stored.crop.name
    long_ago = timezone.now() - timedelta(days=settings.PORTAL_IMAGE_RETENTION_DAYS + 1)
    VerificationRequest.objects.filter(pk=request.pk).update(state="rejected",
                                                             decided_at=long_ago)
    services.verification_images_purge()
    stored = DocumentReading.objects.get(pk=stored.pk)
    assert stored.data == {} and stored.number_encrypted == ""
    assert not request.images.exclude(name="").exists()  # photos and flattened cards


def test_a_card_the_engine_cannot_read_goes_to_a_person_not_back_to_the_owner():
    from verification.document import judge

    unreadable = {"card": "found", "kind": "unknown", "fields": {}, "face": True,
                  "metrics": {"text_rows": 1, "ratio": 1.58}}
    [finding] = judge.judge_front(unreadable, "", document_type="cn_ric", typed_name="张三",
                                  typed_number="11010519491231002X", today=date.today())
    assert (finding.passed, finding.code, finding.fixable) == (False, "unreadable", False)
    page_of_text = {**unreadable, "metrics": {"text_rows": 12}}
    [finding] = judge.judge_front(page_of_text, "", document_type="cn_ric", typed_name="张三",
                                  typed_number="11010519491231002X", today=date.today())
    assert (finding.code, finding.fixable) == ("not_id_card", True)
    blank_sheet = {**unreadable, "face": False}  # no ID text and no portrait
    [finding] = judge.judge_front(blank_sheet, "", document_type="cn_ric", typed_name="张三",
                                  typed_number="11010519491231002X", today=date.today())
    assert (finding.code, finding.fixable) == ("not_id_card", True)


def test_a_misread_number_is_not_taken_for_a_typing_mistake():
    from verification.document import judge

    read = {"card": "found", "kind": "cn_front", "face": True, "fields": {"name": "张三"}}
    findings = judge.judge_front(read, "11010519491231002Y", document_type="cn_ric",
                                 typed_name="张三", typed_number="11010519491231002X",
                                 today=date.today())
    number = next(f for f in findings if f.name == "read_number")
    assert (number.code, number.fixable) == ("number_unread", False)  # checksum fails: a misread
