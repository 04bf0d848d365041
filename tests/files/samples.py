"""Good and hostile files, generated here (one real LibreOffice export is checked in).

PDFs are written with pikepdf (qpdf), except the object-stream variants,
whose exotic filter chains (ASCIIHex, ASCII85, Flate twice, a PNG predictor)
qpdf would never write: those are assembled by ``objstm_pdf`` below, and
qpdf reads them without a warning (the tests check that).
"""

from __future__ import annotations

import base64
import binascii
import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pikepdf
from pikepdf import Array, Dictionary, Name, String
from PIL import Image, ImageDraw

FIXTURES = Path(__file__).parent / "fixtures"
# A two-page receipt (Chinese and English text, a picture, a link) exported
# by LibreOffice 7.4 (`soffice --headless --convert-to pdf`). Its catalog has
# an /OpenAction (a destination, not a script), which the old byte scan refused.
LIBREOFFICE_PDF = FIXTURES / "libreoffice-receipt.pdf"

# Names that a byte scan took for active content.
SCARY_BYTES = b"/JS /JavaScript /Launch /OpenAction /AA /EmbeddedFile /XFA /RichMedia"


# ---------------------------------------------------------------------------
# Pictures
# ---------------------------------------------------------------------------
def picture(size=(640, 480), mode="RGB", seed: int = 0) -> Image.Image:
    """A picture with edges and colours (not a flat fill)."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", size, (200, 210, 225))
    draw = ImageDraw.Draw(image)
    w, h = size
    for _ in range(40):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        draw.rectangle([x, y, x + w // 8, y + h // 10], fill=colour)
    return image.convert(mode) if mode != "RGB" else image


def encoded(image: Image.Image, fmt: str = "JPEG", **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def grey16_png(size=(640, 480)) -> bytes:
    """A 16-bit greyscale PNG: a left-to-right ramp over the whole 16-bit range."""
    ramp = np.linspace(0, 65535, size[0]).astype(np.uint16)
    return encoded(Image.fromarray(np.tile(ramp, (size[1], 1))), "PNG")


def lying_jpeg(declared=(6000, 6000)) -> bytes:
    """A small real JPEG whose header claims ``declared`` pixels."""
    data = bytearray(encoded(picture((64, 64)), "JPEG", quality=70))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 7] = declared[1].to_bytes(2, "big")
    data[sof + 7:sof + 9] = declared[0].to_bytes(2, "big")
    return bytes(data)


def orientation_exif(orientation: int = 6) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 50.0)}
    return exif.tobytes()


def with_exif(image: Image.Image, fmt: str, exif: bytes) -> bytes:
    """``image`` saved with a raw EXIF block (which may be malformed on purpose)."""
    return encoded(image, fmt, exif=exif)


# ---------------------------------------------------------------------------
# PDFs written by pikepdf
# ---------------------------------------------------------------------------
def _save(pdf: pikepdf.Pdf, **options) -> bytes:
    out = io.BytesIO()
    pdf.save(out, **options)
    return out.getvalue()


def text_pdf(pages: int = 1, text: str = "Receipt 2026-11-20") -> pikepdf.Pdf:
    """A plain document: pages of text in a standard font."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1,
                                        BaseFont=Name.Helvetica))
    for number in range(pages):
        page = pdf.add_blank_page(page_size=(595, 842))
        page.obj.Resources = Dictionary(Font=Dictionary(F1=font))
        content = f"BT /F1 14 Tf 72 760 Td ({text}, page {number + 1}) Tj ET".encode()
        page.obj.Contents = pdf.make_stream(content)
    return pdf


def plain_pdf(**options) -> bytes:
    return _save(text_pdf(), **options)


def libreoffice_like_pdf() -> bytes:
    """What LibreOffice writes: an /OpenAction destination, a language, viewer preferences."""
    pdf = text_pdf(2)
    pdf.Root.OpenAction = Array([pdf.pages[0].obj, Name.XYZ, None, None, 0])
    pdf.Root.Lang = String("zh-CN")
    pdf.Root.ViewerPreferences = Dictionary(DisplayDocTitle=True)
    pdf.docinfo[Name.Producer] = String("LibreOffice 7.4")
    return _save(pdf)


def scanner_pdf() -> bytes:
    """Scanned pages whose raw bytes happen to contain /JS, /JavaScript, /Launch…

    Page 1 is a JPEG whose comment segment holds those names; page 2 a
    lossless scan stored with zlib's "stored" blocks (no compression), so the
    pixel bytes, which spell the names, appear as they are in the file.
    """
    pdf = pikepdf.new()
    jpeg = encoded(picture((300, 400)), "JPEG", quality=80)
    jpeg = jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(SCARY_BYTES) + 2) + SCARY_BYTES + jpeg[2:]
    width = 300
    row = (SCARY_BYTES * (width * 3 // len(SCARY_BYTES) + 1))[:width * 3]
    lossless = zlib.compress(row * 400, 0)
    assert SCARY_BYTES in jpeg and b"/JavaScript" in lossless
    for data, filter_ in ((jpeg, Name.DCTDecode), (lossless, Name.FlateDecode)):
        image = pdf.make_stream(data, Type=Name.XObject, Subtype=Name.Image, Width=300,
                                Height=400, ColorSpace=Name.DeviceRGB, BitsPerComponent=8,
                                Filter=filter_)
        page = pdf.add_blank_page(page_size=(300, 400))
        page.obj.Resources = Dictionary(XObject=Dictionary(Im0=image))
        page.obj.Contents = pdf.make_stream(b"q 300 0 0 400 0 0 cm /Im0 Do Q")
    return _save(pdf, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.none)


def link_pdf() -> bytes:
    """A page with a web link (/URI) and an /OpenAction that goes to page 1: both harmless."""
    pdf = text_pdf()
    page = pdf.pages[0].obj
    page.Annots = Array([pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.Link, Rect=Array([72, 700, 300, 720]),
        A=Dictionary(S=Name.URI, URI=String("https://example.invalid/order/42"))))])
    pdf.Root.OpenAction = Dictionary(S=Name.GoTo, D=Array([page, Name.Fit]))
    return _save(pdf)


def _action(pdf: pikepdf.Pdf, **entries) -> pikepdf.Object:
    return pdf.make_indirect(Dictionary(**entries))


def _js(pdf: pikepdf.Pdf) -> pikepdf.Object:
    return _action(pdf, S=Name.JavaScript, JS=String("app.alert('hi')"))


def _with_js_open_action(pdf):
    pdf.Root.OpenAction = _js(pdf)


def _with_js_page_aa(pdf):
    pdf.pages[0].obj.AA = Dictionary(O=_js(pdf))


def _with_js_catalog_aa(pdf):
    pdf.Root.AA = Dictionary(WC=_js(pdf))


def _with_js_names(pdf):
    pdf.Root.Names = Dictionary(JavaScript=Dictionary(Names=Array([String("init"), _js(pdf)])))


def _with_js_link(pdf):
    pdf.pages[0].obj.Annots = Array([pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.Link, Rect=Array([0, 0, 100, 100]), A=_js(pdf)))])


def _with_js_next(pdf):
    # A harmless action whose /Next chain runs a script.
    pdf.Root.OpenAction = Dictionary(S=Name.URI, URI=String("https://example.invalid"),
                                     Next=_js(pdf))


def _with_js_field(pdf):
    field = pdf.make_indirect(Dictionary(FT=Name.Tx, T=String("amount"),
                                         AA=Dictionary(K=_js(pdf))))
    pdf.Root.AcroForm = Dictionary(Fields=Array([field]))


def _with_js_stream(pdf):
    # The script itself in a compressed stream.
    code = pdf.make_stream(zlib.compress(b"app.alert(1)"), Filter=Name.FlateDecode)
    pdf.Root.OpenAction = _action(pdf, S=Name.JavaScript, JS=code)


def _uri_link(pdf, uri: str):
    pdf.pages[0].obj.Annots = Array([pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.Link, Rect=Array([0, 0, 100, 100]),
        A=Dictionary(S=Name.URI, URI=String(uri))))])


def _with_javascript_uri(pdf):
    _uri_link(pdf, "  JavaScript:app.alert(1)")


def _with_file_uri(pdf):
    _uri_link(pdf, "file:///C:/Windows/System32/calc.exe")


def _with_share_uri(pdf):
    _uri_link(pdf, "\\\\attacker.invalid\\share\\x.exe")


def _with_launch(pdf):
    pdf.Root.OpenAction = _action(pdf, S=Name.Launch, F=String("cmd.exe"),
                                  Win=Dictionary(F=String("cmd.exe"), P=String("/c calc")))


def _with_remote_goto(pdf):
    pdf.pages[0].obj.AA = Dictionary(O=_action(pdf, S=Name.GoToR,
                                               F=String("\\\\attacker\\share\\x.pdf"),
                                               D=Array([0, Name.Fit])))


def _with_submit_form(pdf):
    pdf.Root.OpenAction = _action(pdf, S=Name.SubmitForm, F=String("https://example.invalid"))


def _with_attachment(pdf):
    pdf.attachments["invoice.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ\x90\x00" + bytes(200))


def _with_file_annotation(pdf):
    spec = pikepdf.AttachedFileSpec(pdf, b"MZ\x90\x00" + bytes(200), filename="x.exe")
    pdf.pages[0].obj.Annots = Array([pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.FileAttachment, Rect=Array([0, 0, 20, 20]),
        FS=spec.obj))])


def _with_xfa(pdf):
    xfa = pdf.make_stream(b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'></xdp:xdp>")
    pdf.Root.AcroForm = Dictionary(Fields=Array([]), XFA=xfa)


def _with_rich_media(pdf):
    pdf.pages[0].obj.Annots = Array([pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.RichMedia, Rect=Array([0, 0, 100, 100]),
        RichMediaContent=Dictionary(Assets=Dictionary(Names=Array([])))))])


def _with_3d(pdf):
    stream = pdf.make_stream(b"U3D", Type=Name("/3D"), Subtype=Name.U3D)
    pdf.pages[0].obj.Annots = Array([pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name("/3D"), Rect=Array([0, 0, 100, 100]),
        **{"/3DD": stream}))])


# name → (how to add it, the refusal code)
ACTIVE = {
    "js_open_action": (_with_js_open_action, "pdf_javascript"),
    "js_page_open": (_with_js_page_aa, "pdf_javascript"),
    "js_document_will_close": (_with_js_catalog_aa, "pdf_javascript"),
    "js_document_level": (_with_js_names, "pdf_javascript"),
    "js_link": (_with_js_link, "pdf_javascript"),
    "js_in_next_chain": (_with_js_next, "pdf_javascript"),
    "js_form_field": (_with_js_field, "pdf_javascript"),
    "js_code_in_stream": (_with_js_stream, "pdf_javascript"),
    "javascript_uri": (_with_javascript_uri, "pdf_javascript"),
    "launch": (_with_launch, "pdf_launch"),
    "file_uri": (_with_file_uri, "pdf_launch"),
    "share_uri": (_with_share_uri, "pdf_launch"),
    "remote_goto": (_with_remote_goto, "pdf_launch"),
    "submit_form": (_with_submit_form, "pdf_launch"),
    "attachment": (_with_attachment, "pdf_embedded_file"),
    "file_annotation": (_with_file_annotation, "pdf_embedded_file"),
    "xfa": (_with_xfa, "pdf_xfa"),
    "rich_media": (_with_rich_media, "pdf_rich_media"),
    "3d": (_with_3d, "pdf_rich_media"),
}


def active_pdf(name: str, **options) -> bytes:
    pdf = text_pdf()
    ACTIVE[name][0](pdf)
    return _save(pdf, **options)


def encrypted_pdf(*, user: str = "", owner: str = "owner-secret", active: str | None = None,
                  R: int = 6, aes: bool = True) -> bytes:
    """An encrypted document (with object streams), with active content if named."""
    pdf = text_pdf()
    if active:
        ACTIVE[active][0](pdf)
    return _save(pdf, encryption=pikepdf.Encryption(owner=owner, user=user, R=R, aes=aes,
                                                        metadata=aes),
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)


def hex_escaped_pdf() -> bytes:
    """/J#61vaScript and /Op#65nAction: names spelled with #xx escapes."""
    data = active_pdf("js_open_action", compress_streams=False,
                      object_stream_mode=pikepdf.ObjectStreamMode.disable)
    data = data.replace(b"/JavaScript", b"/J#61vaScript").replace(b"/OpenAction",
                                                                  b"/Op#65nAction")
    assert b"/JavaScript" not in data
    return data


# ---------------------------------------------------------------------------
# Object streams with exotic filter chains (assembled by hand)
# ---------------------------------------------------------------------------
def _png_up(data: bytes, columns: int) -> bytes:
    data += bytes(-len(data) % columns)
    out, previous = [], bytes(columns)
    for start in range(0, len(data), columns):
        row = data[start:start + columns]
        out.append(b"\x02" + bytes((a - b) & 0xFF for a, b in zip(row, previous, strict=True)))
        previous = row
    return b"".join(out)


_ENCODE = {
    "ASCIIHexDecode": lambda data: binascii.hexlify(data) + b">",
    "ASCII85Decode": lambda data: base64.a85encode(data) + b"~>",
    "FlateDecode": zlib.compress,
}


def _encode(data: bytes, filters: list[str], predictor_columns: int | None):
    """Encode ``data`` so that applying ``filters`` in order decodes it."""
    parms = ["null"] * len(filters)
    for index in range(len(filters) - 1, -1, -1):
        name = filters[index]
        if name == "FlateDecode" and predictor_columns and index == len(filters) - 1:
            data = zlib.compress(_png_up(data, predictor_columns))
            parms[index] = f"<< /Predictor 12 /Columns {predictor_columns} >>"
        else:
            data = _ENCODE[name](data)
    names = "[" + " ".join("/" + f for f in filters) + "]"
    return data, names.encode(), ("[" + " ".join(parms) + "]").encode()


def objstm_pdf(hidden: bytes, filters=("FlateDecode",), predictor_columns: int | None = None,
               catalog_extra: bytes = b"/OpenAction 5 0 R") -> bytes:
    """A valid PDF 1.7 whose object 5 (``hidden``) lives in an object stream encoded
    with ``filters``; the catalog refers to it (by default as its /OpenAction)."""
    body = io.BytesIO()
    body.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}

    def obj(number: int, source: bytes) -> None:
        offsets[number] = body.tell()
        body.write(b"%d 0 obj\n" % number + source + b"\nendobj\n")

    obj(1, b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>")
    obj(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    obj(3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Resources << >> >>")
    header = b"5 0 "
    data, names, parms = _encode(header + hidden, list(filters), predictor_columns)
    obj(4, b"<< /Type /ObjStm /N 1 /First %d /Filter %s /DecodeParms %s /Length %d >>\n"
        b"stream\n%s\nendstream" % (len(header), names, parms, len(data), data))
    xref_at = body.tell()
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    rows += [struct.pack(">BIH", 1, offsets[n], 0) for n in (1, 2, 3, 4)]
    rows += [struct.pack(">BIH", 2, 4, 0), struct.pack(">BIH", 1, xref_at, 0)]
    xref = b"".join(rows)
    body.write(b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\n"
               b"stream\n%s\nendstream\nendobj\n" % (len(xref), xref))
    body.write(b"startxref\n%d\n%%%%EOF\n" % xref_at)
    return body.getvalue()


OBJSTM_FILTERS = {
    "flate": (("FlateDecode",), None),
    "ascii_hex": (("ASCIIHexDecode",), None),
    "ascii85": (("ASCII85Decode",), None),
    "flate_twice": (("FlateDecode", "FlateDecode"), None),
    "png_predictor": (("FlateDecode",), 5),
    "all_chained": (("ASCIIHexDecode", "ASCII85Decode", "FlateDecode", "FlateDecode"), 7),
}


# ---------------------------------------------------------------------------
# Bombs and wrecks
# ---------------------------------------------------------------------------
def zeros_deflated(megabytes: int, *, times: int = 1) -> bytes:
    """Deflate ``megabytes`` MB of zeros (``times`` rounds) in a fraction of a second."""
    data = repeated_deflated(megabytes)
    for _ in range(times - 1):
        data = zlib.compress(data, 9)
    return data


def repeated_deflated(megabytes: int, byte: int = 0, then: bytes = b"") -> bytes:
    """A valid zlib stream of ``megabytes`` MB of ``byte``, then ``then``.

    Deflate forgets everything at a full flush, so every further megabyte
    compresses to the same block: write it once and repeat it. The checksum
    (Adler-32) of n equal bytes has a closed form.
    """
    chunk = bytes([byte]) * (1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.compress(then) + compressor.flush()
    n, modulus = megabytes << 20, 65521
    low = (1 + byte * n) % modulus
    high = (n + byte * n * (n + 1) // 2) % modulus
    checksum = zlib.adler32(then, (high << 16) | low)
    return b"\x78\xda" + first + again * (megabytes - 1) + end + struct.pack(">I", checksum)


def _raw_stream_pdf(data: bytes, filters) -> bytes:
    pdf = text_pdf()
    stream = pdf.make_stream(b"")
    stream.write(data, filter=filters)
    pdf.pages[0].obj.Contents = Array([pdf.pages[0].obj.Contents, stream])
    return _save(pdf, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.none)


def flate_bomb_pdf(megabytes: int = 2048) -> bytes:
    """A content stream that inflates to ``megabytes`` MB of zeros (2 GB in about 2 MB)."""
    return _raw_stream_pdf(zeros_deflated(megabytes), Name.FlateDecode)


def double_flate_bomb_pdf(megabytes: int = 4096) -> bytes:
    """Flate inside Flate: ``megabytes`` MB of zeros in a few kilobytes."""
    return _raw_stream_pdf(zeros_deflated(megabytes, times=2),
                           Array([Name.FlateDecode, Name.FlateDecode]))


def objstm_bomb_pdf(megabytes: int = 1024) -> bytes:
    """An object stream padded with ``megabytes`` MB of spaces before its one object."""
    data = repeated_deflated(megabytes, ord(" "), b"<< /S /JavaScript /JS (x) >>")
    pdf = objstm_pdf(b"<< /S /GoTo /D [3 0 R /Fit] >>")
    start = pdf.index(b"4 0 obj")
    end = pdf.index(b"endobj", start)
    first = len(b"5 0 ")
    stream = (b"4 0 obj\n<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\n"
              b"stream\n" % (first + (megabytes << 20), len(data)) + data + b"\nendstream\n")
    # Rebuild with the bomb in place (offsets move, qpdf's recovery finds them).
    return pdf[:start] + stream + pdf[end:]


def lzw_bomb_pdf(megabytes: int = 300) -> bytes:
    """A content stream in LZW (which qpdf decodes without a memory limit): about 1,400 : 1."""
    return _raw_stream_pdf(_lzw_zeros(megabytes << 20), Name.LZWDecode)


def _lzw_zeros(count: int) -> bytes:
    """PDF LZW (early change) of ``count`` zero bytes, codes written MSB first."""
    out, acc, nbits = bytearray(), 0, 0

    def emit(code: int, width: int) -> None:
        nonlocal acc, nbits
        acc, nbits = (acc << width) | code, nbits + width
        while nbits >= 8:
            nbits -= 8
            out.append((acc >> nbits) & 0xFF)
        acc &= (1 << nbits) - 1

    width, emitted, run, next_code = 9, 0, 1, 258
    emit(256, width)
    while emitted + run <= count:
        # In a run of zeros, each code is one byte longer than the one before.
        emit(0 if run == 1 else next_code - 1, width)
        emitted += run
        run += 1
        next_code += 1
        if next_code + 1 > (1 << width) and width < 12:
            width += 1
        if next_code >= 4094:
            emit(256, width)
            width, run, next_code = 9, 1, 258
    emit(257, width)
    if nbits:
        out.append((acc << (8 - nbits)) & 0xFF)
    return bytes(out)


def many_pages_pdf(pages: int) -> bytes:
    return _save(text_pdf(pages), object_stream_mode=pikepdf.ObjectStreamMode.generate)


def huge_image_pdf(side: int = 30000) -> bytes:
    """A page showing a tiny JPEG that claims to be ``side`` × ``side`` pixels."""
    pdf = text_pdf()
    image = pdf.make_stream(encoded(picture((16, 16)), "JPEG"), Type=Name.XObject,
                            Subtype=Name.Image, Width=side, Height=side,
                            ColorSpace=Name.DeviceRGB, BitsPerComponent=8,
                            Filter=Name.DCTDecode)
    pdf.pages[0].obj.Resources.XObject = Dictionary(Im0=image)
    return _save(pdf)
