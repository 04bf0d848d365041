"""Mark text in another language than the page's with ``lang`` (WCAG 3.1.2).

Pages carry the active language on ``<html lang>``; what the portal did not
write (a Chinese name, a platform's message in Chinese, a staff reply) can be
in the other language. A screen reader reads it with the right voice only
when the fragment says which language it is in:

    <p{{ hold.public_message|lang_attr }}>{{ hold.public_message }}</p>
    {% blocktranslate with name=account.public_name|lang_span %}Account {{ name }}…

The portal speaks Simplified Chinese and English, so the rule is small: text
with Han characters is Chinese; text with Latin letters and no Han characters,
shown on a Chinese page, is English. Digits and punctuation alone change nothing.
"""

from __future__ import annotations

import re

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

CHINESE = "zh-hans"
ENGLISH = "en"
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def text_language(text: object) -> str | None:
    """The language ``text`` is written in, as far as the portal can tell (None: no telling)."""
    value = str(text or "")
    if _HAN.search(value):
        return CHINESE
    if _LATIN_WORD.search(value):
        return ENGLISH
    return None


def foreign_language(text: object) -> str | None:
    """The language of ``text`` when it differs from the page's, else None."""
    language = text_language(text)
    page = (get_language() or CHINESE).lower()
    if language is None or page.split("-")[0] == language.split("-")[0]:
        return None
    return language


@register.filter
def lang_attr(text: object) -> SafeString:
    """` lang="…"` for an element holding ``text``, when it is not in the page's language."""
    language = foreign_language(text)
    return format_html(' lang="{}"', language) if language else mark_safe("")


@register.filter
def lang_span(text: object) -> SafeString:
    """``text`` (escaped), in a ``<span lang>`` when it is not in the page's language."""
    language = foreign_language(text)
    if language is None:
        return format_html("{}", text)
    return format_html('<span lang="{}">{}</span>', language, text)
