"""Inspect and normalise one untrusted PDF with pikepdf (qpdf). Runs as a child process.

Usage: ``python pdf_inspect.py LIMITS_JSON < file.pdf``. It writes one JSON
line, the verdict (``{"ok": true, "pages": n}`` or ``{"ok": false, "code":
..., "params": {...}}``), followed by the normalised PDF when accepted.

The parser does the reading: object streams, every standard filter (ASCIIHex,
ASCII85, Flate, LZW, RunLength, PNG/TIFF predictors), hex-escaped names and
encryption are decoded by qpdf, so the checks below see the objects a viewer
sees, never the file's bytes (a scanned image whose bytes happen to contain
``/JS`` is just an image). What is stored is qpdf's rewrite of the document:
decrypted, one revision, no unreachable objects, no bytes outside objects.

The process limits its own memory and CPU time before reading anything:
qpdf bounds Flate, RunLength and predictor output (set below) but not LZW,
so a bomb that escapes those limits ends this process, not the web worker.
Nothing here imports Django, so the child starts in well under 0.1 s.
"""

from __future__ import annotations

import io
import json
import resource
import sys
from collections.abc import Iterator

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf, Stream, StreamDecodeLevel, String

# Refusal codes, most serious first: the first one found is reported.
SEVERITY = ("pdf_javascript", "pdf_launch", "pdf_embedded_file", "pdf_xfa", "pdf_rich_media")
# Actions (the /S of an action dictionary) that reach outside the document:
# run a program, open another file, fetch or send data. /URI and /GoTo are fine.
OUTSIDE_ACTIONS = {"/Launch", "/GoToR", "/GoToE", "/ImportData", "/SubmitForm"}
# A /URI link is fine unless it runs a script or opens a local file or share.
SCRIPT_SCHEMES = {"javascript", "vbscript"}
LOCAL_SCHEMES = {"file", "smb"}
MEDIA_ACTIONS = {"/Rendition", "/RichMediaExecute", "/Movie", "/Sound"}
MEDIA_SUBTYPES = {"/RichMedia", "/3D", "/Movie", "/Sound", "/Screen"}
MEDIA_KEYS = {"/RichMediaContent", "/RichMediaSettings", "/3DD"}
EMBEDDED_KEYS = {"/EmbeddedFiles", "/EF"}
SCRIPT_KEYS = {"/JS", "/JavaScript"}
# A dictionary without any of these keys has nothing to report.
TELLING_KEYS = SCRIPT_KEYS | EMBEDDED_KEYS | MEDIA_KEYS | {"/S", "/Subtype", "/Type", "/XFA"}
# Filters qpdf decodes without loss; anything else (images) is kept as it is.
DECODABLE = {"/FlateDecode", "/Fl", "/LZWDecode", "/LZW", "/ASCIIHexDecode", "/AHx",
             "/ASCII85Decode", "/A85", "/RunLengthDecode", "/RL", "/Crypt"}
LZW = {"/LZWDecode", "/LZW"}
# LZW expands at most about 1,400 : 1 (a run of one byte); qpdf cannot cap it,
# so a stream that could expand past the per-stream cap is not decoded at all.
LZW_MAX_RATIO = 1500


class Refused(Exception):
    def __init__(self, code: str, **params) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def main() -> int:
    limits = json.loads(sys.argv[1])
    _limit_self(limits)
    data = sys.stdin.buffer.read()
    out = sys.stdout.buffer
    try:
        content, pages = inspect(data, limits)
    except Refused as refusal:
        verdict, content = {"ok": False, "code": refusal.code, "params": refusal.params}, b""
    except MemoryError:
        verdict, content = {"ok": False, "code": "pdf_too_large", "params": {}}, b""
    else:
        verdict = {"ok": True, "pages": pages}
    out.write(json.dumps(verdict).encode() + b"\n" + content)
    out.flush()
    return 0


def _limit_self(limits: dict) -> None:
    memory = limits["memory_bytes"]
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = limits["cpu_seconds"]
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    stream = limits["max_stream_bytes"]
    pikepdf.settings.set_qpdf_limits(
        flate_max_memory=stream, run_length_max_memory=stream, png_max_memory=stream,
        tiff_max_memory=stream, dct_max_memory=stream)


def inspect(data: bytes, limits: dict) -> tuple[bytes, int]:
    """Return the normalised PDF and its page count, or raise Refused."""
    try:
        pdf = Pdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        raise Refused("pdf_encrypted") from None
    except pikepdf.PdfError as error:
        if "encrypt" in str(error).lower():  # an unsupported security handler
            raise Refused("pdf_encrypted") from None
        raise Refused("pdf_broken") from None
    with pdf:
        if len(pdf.get_xref_table()) > limits["max_objects"]:
            raise Refused("pdf_too_large", mb=limits["max_decoded_bytes"] >> 20)
        _check_streams(pdf, limits)
        pages = _page_count(pdf, limits)
        _check_active_content(pdf)
        return _normalised(pdf), pages


def _page_count(pdf: Pdf, limits: dict) -> int:
    try:
        pages = len(pdf.pages)
    except pikepdf.PdfError:
        raise Refused("pdf_broken") from None
    if pages == 0:
        raise Refused("pdf_empty")
    if pages > limits["max_pages"]:
        raise Refused("pdf_too_many_pages", pages=pages, max=limits["max_pages"])
    return pages


# ---------------------------------------------------------------------------
# Size: what the streams hold once decoded
# ---------------------------------------------------------------------------
def _check_streams(pdf: Pdf, limits: dict) -> None:
    """Decode every losslessly decodable stream within the budget; refuse a bomb.

    Images whose filters are lossy (JPEG, JBIG2, CCITT, JPEG 2000) stay
    encoded; their declared size is checked instead, as a viewer allocates it.
    """
    too_large = Refused("pdf_too_large", mb=limits["max_decoded_bytes"] >> 20)
    total = 0
    for obj in pdf.objects:
        if not isinstance(obj, Stream):
            continue
        if _image_pixels(obj) > limits["max_image_pixels"]:
            raise too_large
        total += _decoded_size(obj, limits["max_stream_bytes"], too_large)
        if total > limits["max_decoded_bytes"]:
            raise too_large


def _decoded_size(stream: Stream, cap: int, too_large: Refused) -> int:
    raw = len(stream.read_raw_bytes())
    filters = _filters(stream)
    if filters & LZW and raw * LZW_MAX_RATIO > cap:
        raise too_large
    if not filters or not filters <= DECODABLE:
        return raw
    try:
        return len(stream.read_bytes(StreamDecodeLevel.specialized))
    except MemoryError:
        raise too_large from None
    except pikepdf.DataDecodingError as error:
        if "limit" in str(error) or "bad_alloc" in str(error):  # qpdf's cap, or out of memory
            raise too_large from None
        return raw  # a damaged stream: qpdf keeps its bytes as they are


def _filters(stream: Stream) -> set[str]:
    value = stream.get("/Filter")
    items = list(value) if isinstance(value, Array) else [value] if value is not None else []
    return {str(item) if isinstance(item, Name) else "?" for item in items}


def _image_pixels(stream: Stream) -> int:
    if stream.get("/Subtype") != Name.Image:
        return 0
    width, height = stream.get("/Width"), stream.get("/Height")
    if not isinstance(width, int) or not isinstance(height, int):
        return 0
    return max(width, 0) * max(height, 0)


# ---------------------------------------------------------------------------
# Active content: scripts, launch actions, attachments, XFA, rich media
# ---------------------------------------------------------------------------
def _check_active_content(pdf: Pdf) -> None:
    """Refuse the most serious active content found in any object."""
    found: set[str] = set()
    for obj in pdf.objects:
        for holder, keys in _dictionaries(obj):
            if keys & TELLING_KEYS:
                found.update(_findings(holder, keys))
        if "pdf_javascript" in found:
            break
    for code in SEVERITY:
        if code in found:
            raise Refused(code)


def _dictionaries(obj) -> Iterator[tuple[object, set[str]]]:
    """Yield ``obj`` (a dictionary or stream) and every direct dictionary inside it,
    each with its keys.

    Indirect objects are visited on their own, from ``pdf.objects``, so the
    walk never follows a reference and cannot loop.
    """
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, (Dictionary, Stream)):
            keys = set(item.keys())
            yield item, keys
            children = [item[key] for key in keys]
        elif isinstance(item, Array):
            children = list(item)
        else:
            continue
        stack.extend(c for c in children
                     if isinstance(c, (Dictionary, Array)) and not c.is_indirect)


def _findings(holder, keys: set[str]) -> Iterator[str]:
    action = _name(holder.get("/S")) if "/S" in keys else ""
    subtype = _name(holder.get("/Subtype")) if "/Subtype" in keys else ""
    scheme = _uri_scheme(holder.get("/URI")) if action == "/URI" else ""
    if keys & SCRIPT_KEYS or action == "/JavaScript" or scheme in SCRIPT_SCHEMES:
        yield "pdf_javascript"
    if action in OUTSIDE_ACTIONS or scheme in LOCAL_SCHEMES:
        yield "pdf_launch"
    if keys & EMBEDDED_KEYS or subtype == "/FileAttachment" or (
            "/Type" in keys and _name(holder.get("/Type")) == "/EmbeddedFile"):
        yield "pdf_embedded_file"
    if "/XFA" in keys:
        yield "pdf_xfa"
    if action in MEDIA_ACTIONS or subtype in MEDIA_SUBTYPES or keys & MEDIA_KEYS:
        yield "pdf_rich_media"


def _name(value) -> str:
    return str(value) if isinstance(value, Name) else ""


def _uri_scheme(value) -> str:
    """Return a link's scheme as a viewer would read it (case and leading blanks ignored)."""
    if not isinstance(value, String):
        return ""
    text = bytes(value).decode("latin-1").lstrip("\x00\t\n\r\x0c ").lower()
    if text.startswith("\\\\"):  # a Windows share: \\host\path
        return "file"
    return text.split(":", 1)[0] if ":" in text else ""


# ---------------------------------------------------------------------------
# The stored copy
# ---------------------------------------------------------------------------
def _normalised(pdf: Pdf) -> bytes:
    """Rewrite the document: decrypted, plain objects, lossless streams recompressed."""
    out = io.BytesIO()
    try:
        pdf.save(out, encryption=False, object_stream_mode=pikepdf.ObjectStreamMode.disable,
                 stream_decode_level=StreamDecodeLevel.generalized, compress_streams=True,
                 deterministic_id=True, fix_metadata_version=False)
    except pikepdf.PdfError:
        raise Refused("pdf_broken") from None
    return out.getvalue()


if __name__ == "__main__":
    sys.exit(main())
