"""Evidence PDFs through the real parser: hostile ones refused with the right reason, real ones kept.

Every hostile file here is a valid PDF (qpdf reads it without a warning)
unless it is a wreck on purpose.
"""

from __future__ import annotations

import io

import pikepdf
import pytest
from django.core.exceptions import ValidationError

from portal.files import pdf
from tests.files import samples

pytestmark = pytest.mark.usefixtures("english")

JS = b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"
LAUNCH = b"<< /S /Launch /F (calc.exe) >>"


def refused(data: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        pdf.clean(data)
    return info.value


def valid(data: bytes) -> bytes:
    """Assert qpdf reads ``data`` without a warning (a well-formed hostile file); return it."""
    with pikepdf.open(io.BytesIO(data)) as document:
        assert document.check_pdf_syntax() == [], "the sample itself should be a valid PDF"
        assert len(document.pages) >= 1
    return data


def reopened(content: bytes) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(content))


# ---------------------------------------------------------------------------
# Accepted: what people really send
# ---------------------------------------------------------------------------
def test_a_real_libreoffice_export_is_accepted_as_a_normalised_copy():
    original = samples.LIBREOFFICE_PDF.read_bytes()
    assert b"/OpenAction" in original  # what the old byte scan refused
    clean = pdf.clean(original)
    assert clean.pages == 2
    assert clean.content != original  # the rewrite is stored, not the user's bytes
    with reopened(clean.content) as document:
        assert str(document.docinfo["/Producer"]).startswith("LibreOffice")
        assert isinstance(document.Root.OpenAction, pikepdf.Array)  # a destination, kept
        links = [a for page in document.pages for a in page.obj.get("/Annots", [])]
        assert [link.A.S for link in links] == [pikepdf.Name.URI]


def test_libreoffice_like_and_linked_documents_are_accepted():
    for data in (samples.libreoffice_like_pdf(), samples.link_pdf()):
        assert pdf.clean(valid(data)).pages >= 1


def test_scans_whose_bytes_spell_js_and_launch_are_accepted():
    data = valid(samples.scanner_pdf())
    assert b"/JS" in data and b"/JavaScript" in data and b"/Launch" in data
    clean = pdf.clean(data)
    assert clean.pages == 2
    with reopened(clean.content) as document:
        image = document.pages[1].Resources.XObject.Im0
        assert samples.SCARY_BYTES in image.read_bytes()  # the pixels are intact


def test_a_pdf_protected_only_against_editing_is_accepted_and_stored_decrypted():
    data = samples.encrypted_pdf(owner="owner-secret", user="")
    assert b"/Encrypt" in data
    clean = pdf.clean(data)
    assert b"/Encrypt" not in clean.content
    with reopened(clean.content) as document:
        assert not document.is_encrypted
        assert b"Receipt" in document.pages[0].Contents.read_bytes()


def test_bytes_outside_the_document_are_not_stored():
    data = samples.plain_pdf() + b"\n<html><script>alert(1)</script></html>\nPK\x03\x04zip"
    clean = pdf.clean(data)
    assert b"<script>" not in clean.content and b"PK\x03\x04" not in clean.content


def test_an_earlier_revision_hidden_by_an_incremental_update_is_not_stored():
    # A script in revision 1, "removed" by revision 2: the bytes are still in the file.
    first = samples.active_pdf("js_open_action")
    with pikepdf.open(io.BytesIO(first)) as document:
        del document.Root.OpenAction
        out = io.BytesIO()
        document.save(out)
    updated = first + out.getvalue()[len(b"%PDF-1.3\n"):]  # a second revision appended
    clean = pdf.clean(updated)
    assert b"JavaScript" not in clean.content


# ---------------------------------------------------------------------------
# Refused: active content wherever it is
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(samples.ACTIVE))
def test_active_content_is_refused_with_what_it_is(name):
    error = refused(valid(samples.active_pdf(name)))
    assert error.code == samples.ACTIVE[name][1]
    assert "Print it to a new PDF" in error.messages[0]


@pytest.mark.parametrize("filters", sorted(samples.OBJSTM_FILTERS))
@pytest.mark.parametrize("hidden,code", [(JS, "pdf_javascript"), (LAUNCH, "pdf_launch")])
def test_active_content_in_an_encoded_object_stream_is_refused(filters, hidden, code):
    chain, columns = samples.OBJSTM_FILTERS[filters]
    data = valid(samples.objstm_pdf(hidden, chain, columns))
    assert b"JavaScript" not in data and b"Launch" not in data  # invisible to a byte scan
    assert refused(data).code == code


@pytest.mark.parametrize("R,aes", [(6, True), (4, True), (4, False)])
@pytest.mark.parametrize("active", ["js_open_action", "launch", "attachment"])
def test_active_content_in_an_encrypted_file_is_refused(R, aes, active):
    data = valid(samples.encrypted_pdf(active=active, R=R, aes=aes))
    assert refused(data).code == samples.ACTIVE[active][1]


def test_names_spelled_with_hex_escapes_are_read_as_names():
    assert refused(samples.hex_escaped_pdf()).code == "pdf_javascript"


def test_a_script_found_with_other_active_content_is_named_first():
    document = samples.text_pdf()
    samples.ACTIVE["attachment"][0](document)
    samples.ACTIVE["js_link"][0](document)
    out = io.BytesIO()
    document.save(out)
    assert refused(out.getvalue()).code == "pdf_javascript"


# ---------------------------------------------------------------------------
# Refused: passwords, bombs, wrecks
# ---------------------------------------------------------------------------
def test_a_password_staff_cannot_open_is_refused_saying_so():
    error = refused(samples.encrypted_pdf(user="user-secret"))
    assert error.code == "pdf_encrypted"
    assert "password" in error.messages[0]


@pytest.mark.parametrize("make", [samples.flate_bomb_pdf, samples.double_flate_bomb_pdf,
                                  samples.objstm_bomb_pdf, samples.lzw_bomb_pdf,
                                  samples.huge_image_pdf])
def test_a_decompression_bomb_is_refused_as_too_large_never_as_scripts(make):
    error = refused(make())
    assert error.code == "pdf_too_large"
    assert "too large" in error.messages[0] and "script" not in error.messages[0]


def test_many_streams_under_the_per_stream_cap_still_meet_the_total_budget(settings):
    settings.PORTAL_PDF_MAX_DECODED_BYTES = 64 << 20
    document = samples.text_pdf()
    page = document.pages[0].obj
    parts = [page.Contents]
    for _ in range(4):
        stream = document.make_stream(b"")
        stream.write(samples.zeros_deflated(20), filter=pikepdf.Name.FlateDecode)
        parts.append(stream)
    page.Contents = pikepdf.Array(parts)
    out = io.BytesIO()
    document.save(out, compress_streams=False,
                  stream_decode_level=pikepdf.StreamDecodeLevel.none)
    assert refused(out.getvalue()).code == "pdf_too_large"


def test_too_many_pages_are_refused_with_the_count(settings):
    settings.PORTAL_PDF_MAX_PAGES = 20
    error = refused(samples.many_pages_pdf(21))
    assert error.code == "pdf_too_many_pages"
    assert "21 pages" in error.messages[0] and "20" in error.messages[0]


def test_too_many_objects_are_refused(settings):
    settings.PORTAL_PDF_MAX_OBJECTS = 30
    assert refused(samples.many_pages_pdf(20)).code == "pdf_too_large"


def test_a_child_that_runs_out_of_memory_is_a_too_large_refusal(settings):
    # The per-stream cap lets 150 MB through; the child's own memory limit stops it.
    settings.PORTAL_PDF_MEMORY_BYTES = 120 << 20
    assert refused(samples.flate_bomb_pdf(150)).code == "pdf_too_large"


def test_a_check_that_takes_too_long_is_a_too_large_refusal(settings):
    settings.PORTAL_PDF_TIMEOUT_SECONDS = 0.01
    assert refused(samples.plain_pdf()).code == "pdf_too_large"


@pytest.mark.parametrize("data", [
    b"%PDF-1.4\n" + b"x" * 100,
    b"%PDF-1.7\n" + bytes(range(256)) * 20,
    samples.plain_pdf()[:200],
], ids=["junk", "binary", "truncated"])
def test_a_wreck_is_refused_as_damaged(data):
    assert refused(data).code == "pdf_broken"


def test_a_document_without_pages_is_refused():
    out = io.BytesIO()
    pikepdf.new().save(out)
    assert refused(out.getvalue()).code == "pdf_empty"
