"""``lang`` on every page and on fragments in the other language (WCAG 3.1.1, 3.1.2)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.templatetags.lang_tags import lang_attr, lang_span, text_language

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("text", "language"), [
    ("检测到新设备在外省登录。", "zh-hans"),
    ("Thank you. 请上传原始报道的截图。", "zh-hans"),  # any Han character: Chinese
    ("A post of yours was reported.", "en"),
    ("2026-03-01 02:14", None),  # digits and punctuation: no telling
    ("", None),
    (None, None),
])
def test_the_language_of_a_text_is_told_by_its_script(text, language):
    assert text_language(text) == language


def test_a_fragment_in_the_pages_language_gets_no_mark():
    with translation.override("zh-hans"):
        assert lang_attr("广东省 深圳市") == ""
        assert lang_span("王小明") == "王小明"
    with translation.override("en"):
        assert lang_attr("Reported twice") == ""


def test_a_fragment_in_the_other_language_is_marked_and_escaped():
    with translation.override("en"):
        assert lang_attr("广东省") == ' lang="zh-hans"'
        assert lang_span("<王>") == '<span lang="zh-hans">&lt;王&gt;</span>'
    with translation.override("zh-hans"):
        assert lang_span("Xiaomi phone") == '<span lang="en">Xiaomi phone</span>'


def _status_page(client, account, language: str) -> str:
    client.force_login(account)
    client.cookies["django_language"] = language
    response = client.get(reverse("accounts:status"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_platforms_chinese_message_and_facts_are_marked_on_the_english_page(
        client, make_account, place_hold):
    owner = make_account("王小明")
    place_hold(owner, "suspicious_signin", public_message="检测到新设备在外省登录。",
               facts={"region": "广东省 深圳市"})
    html = _status_page(client, owner, "en")
    assert '<html lang="en">' in html
    assert '<p class="border-start ps-2" lang="zh-hans">检测到新设备在外省登录。</p>' in html
    assert '<span lang="zh-hans">广东省 深圳市</span>' in html
    assert 'Account <span lang="zh-hans">王小明</span>' in html

    html = _status_page(client, owner, "zh-hans")
    assert '<html lang="zh-hans">' in html
    assert '<p class="border-start ps-2">检测到新设备在外省登录。</p>' in html
    assert 'lang="zh-hans">广东省' not in html


def test_the_language_switchers_other_language_is_marked(client, active_user):
    assert '<button class="btn btn-sm btn-link portal-header-link" name="language" value="en" ' \
           'lang="en">English</button>' in _status_page(client, active_user, "zh-hans")
    assert 'value="zh-hans" lang="zh-hans">中文</button>' in _status_page(
        client, active_user, "en")


def test_the_apps_chinese_button_name_is_marked_in_english_sign_in_help(client):
    client.cookies["django_language"] = "en"
    html = client.get(reverse("accounts:hold", args=[1])).content.decode()
    assert 'tap <span lang="zh-hans">“去处理”</span> (Handle)' in html
