"""The API's JSON parser: DRF's, refusing with a 400 what DRF's would let
through to a 500 (nesting deep enough to exhaust the stack) or turn into
values nothing downstream expects (numbers too large to be meant,
infinities)."""

from __future__ import annotations

import codecs
import json
import math

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# No request of the API nests deeper than a few levels; this leaves room for
# structured fields without letting a body cost more than its size.
MAX_DEPTH = 32
# Longer integers are never ids, counts or timestamps of this API.
MAX_INTEGER_DIGITS = 20


class StrictJSONParser(JSONParser):
    """Parse a JSON body or raise ``ParseError`` (400) with a specific message."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = _text_encoding(parser_context or {})
        try:
            data = json.load(
                codecs.getreader(encoding)(stream),
                parse_constant=_refuse_constant,
                parse_int=_integer,
                parse_float=_finite_float,
            )
        except RecursionError:
            raise ParseError(_too_deep(), code="too_deep") from None
        except UnicodeDecodeError:
            raise ParseError(_("The body is not valid %(encoding)s text.")
                             % {"encoding": encoding.upper()}, code="invalid_encoding") from None
        except _NumberError as error:
            raise ParseError(str(error), code="invalid_number") from None
        except ValueError as error:
            raise ParseError(_("The body is not valid JSON: %(error)s") % {"error": error},
                             code="invalid_json") from None
        if _depth_exceeds(data, MAX_DEPTH):
            raise ParseError(_too_deep(), code="too_deep")
        return data


class _NumberError(ValueError):
    pass


def _text_encoding(parser_context: dict) -> str:
    """Return the request's charset, refusing codecs that are not text encodings.

    As DRF's own parser does: a ``bz2_codec`` "charset" would decompress a
    small body without bound, and ``str.encode`` accepts text encodings only.
    """
    encoding = parser_context.get("encoding") or settings.DEFAULT_CHARSET
    try:
        "".encode(encoding)
    except (LookupError, UnicodeError):
        raise ParseError(_("Unknown charset “%(charset)s”; send UTF-8.")
                         % {"charset": str(encoding)[:40]}, code="unknown_charset") from None
    return encoding


def _too_deep() -> str:
    return _("The JSON is nested more than %(n)d levels deep.") % {"n": MAX_DEPTH}


def _refuse_constant(name: str):
    raise _NumberError(_("%(name)s is not a JSON number.") % {"name": name})


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _NumberError(_("A number in the body has more than %(n)d digits.")
                           % {"n": MAX_INTEGER_DIGITS})
    return int(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NumberError(_("A number in the body is too large."))
    return value


def _depth_exceeds(data, limit: int) -> bool:
    """Return whether ``data`` nests deeper than ``limit`` (iteratively: no recursion)."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            children = value.values() if isinstance(value, dict) else value
            pending.extend((child, depth + 1) for child in children)
    return False
