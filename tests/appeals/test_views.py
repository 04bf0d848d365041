"""The owner's pages: filing, progress, reply, download; access and bad input."""

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import Hold, StatusEvent
from accounts.services import hold_lift
from appeals import services
from appeals.models import Appeal, Attachment, Message
from tests.appeals.conftest import PDF_OK, clean_image, image_bytes, upload

pytestmark = pytest.mark.django_db

SECRET_NOTE = "INTERNAL-ONLY repeat offender, see ticket 4711"


def counts():
    return (Appeal.objects.count(), Message.objects.count(), Attachment.objects.count(),
            StatusEvent.objects.count())


@pytest.fixture
def owner_client(client, restricted_user):
    client.force_login(restricted_user)
    return client


@pytest.fixture
def appeal_with_note(restricted_user, officer, file_appeal):
    """An appeal with user evidence, a staff reply, and an internal note with a file."""
    appeal = file_appeal(restricted_user.holds.get(), files=[clean_image("mine.jpg")])
    services.appeal_staff_message(appeal=appeal, acting_user=officer, body="Thanks, looking.")
    services.appeal_staff_message(appeal=appeal, acting_user=officer, body=SECRET_NOTE,
                                  internal=True, files=[clean_image("staff-only.png")])
    return appeal


def test_status_page_appeal_button_opens_the_form(owner_client, restricted_user):
    hold = restricted_user.holds.get()
    page = owner_client.get(reverse("accounts:status")).content.decode()
    assert reverse("appeals:file", args=[hold.pk]) in page
    response = owner_client.get(reverse("appeals:file", args=[hold.pk]))
    assert response.status_code == 200
    assert b'data-testid="appeal-form"' in response.content


def test_filing_with_evidence_redirects_to_progress(owner_client, restricted_user):
    hold = restricted_user.holds.get()
    response = owner_client.post(reverse("appeals:file", args=[hold.pk]), {
        "category": "wrong_decision", "statement": "The post was satire.",
        "evidence": [upload("a.jpg", image_bytes()), upload("b.pdf", PDF_OK, "application/pdf")],
    })
    appeal = Appeal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("appeals:detail", args=[appeal.pk])
    assert appeal.attachments.count() == 2
    page = owner_client.get(response["Location"]).content.decode()
    assert "The post was satire." in page and 'data-testid="steps"' in page


@pytest.mark.parametrize("statement,expected", [
    ("", "cannot be empty"),
    ("x" * 10_000, "10000 characters long; the limit is 5000"),
])
def test_bad_statement_gives_a_clear_message_and_writes_nothing(owner_client, restricted_user,
                                                                statement, expected):
    before = counts()
    response = owner_client.post(reverse("appeals:file", args=[restricted_user.holds.get().pk]),
                                 {"category": "other", "statement": statement})
    assert response.status_code == 400
    assert expected in response.content.decode()
    assert counts() == before


@pytest.mark.parametrize("name,content", [("photo.jpg", b"MZ\x90\x00" + b"\x00" * 100),
                                          ("scan.pdf", b"\x7fELF\x02\x01" + b"\x00" * 100)])
def test_disguised_executable_is_refused_and_nothing_written(owner_client, restricted_user,
                                                             name, content):
    before = counts()
    response = owner_client.post(reverse("appeals:file", args=[restricted_user.holds.get().pk]), {
        "category": "other", "statement": "See attached.", "evidence": [upload(name, content)]})
    assert response.status_code == 400
    assert "is a program or archive" in response.content.decode()
    assert counts() == before


def test_lifted_hold_is_explained_and_nothing_written(owner_client, restricted_user):
    hold = restricted_user.holds.get()
    hold_lift(hold=hold, acting_user=None, lift_reason=Hold.LiftReason.STAFF)
    before = counts()
    url = reverse("appeals:file", args=[hold.pk])
    assert b"already lifted" in owner_client.get(url).content
    response = owner_client.post(url, {"category": "other", "statement": "Please."})
    assert b"already lifted" in response.content
    assert counts() == before


def test_someone_elses_hold_is_not_found_and_nothing_written(owner_client, make_account,
                                                             place_hold):
    other = place_hold(make_account(), "content_violation")
    before = counts()
    url = reverse("appeals:file", args=[other.pk])
    assert owner_client.get(url).status_code == 404
    response = owner_client.post(url, {"category": "other", "statement": "Mine now."})
    assert response.status_code == 404
    assert b"no such limit on your account" in response.content
    assert counts() == before


def test_open_appeal_rule_is_explained_with_a_link(owner_client, restricted_user, file_appeal):
    appeal = file_appeal(restricted_user.holds.get())
    page = owner_client.get(reverse("appeals:file", args=[appeal.hold_id])).content.decode()
    assert 'data-code="already_open"' in page
    assert reverse("appeals:detail", args=[appeal.pk]) in page


def test_cooldown_rule_shows_the_date(owner_client, restricted_user, officer, file_appeal):
    appeal = file_appeal(restricted_user.holds.get())
    services.appeal_decide(appeal=appeal, acting_user=officer, decision="rejected", message="No.")
    appeal.refresh_from_db()
    page = owner_client.get(reverse("appeals:file", args=[appeal.hold_id])).content.decode()
    assert 'data-code="cooldown"' in page
    from django.utils import formats, timezone
    from django.utils.translation import override

    with override("en"):
        when = formats.date_format(
            timezone.localtime(appeal.decided_at + settings.PORTAL_APPEAL_COOLDOWN),
            "DATETIME_FORMAT")
    assert when in page
    detail = owner_client.get(reverse("appeals:detail", args=[appeal.pk])).content.decode()
    assert 'data-testid="reappeal-rule"' in detail and when in detail


def _owner_urls(appeal):
    own = appeal.attachments.filter(message__internal=False).first()
    return [reverse("appeals:detail", args=[appeal.pk]),
            reverse("appeals:attachment", args=[appeal.pk, own.pk])]


def test_every_appeal_url_is_404_for_another_user(client, appeal_with_note, make_account):
    client.force_login(make_account())
    for url in _owner_urls(appeal_with_note):
        assert client.get(url).status_code == 404, url
    response = client.post(reverse("appeals:reply", args=[appeal_with_note.pk]), {"body": "hi"})
    assert response.status_code == 404
    assert appeal_with_note.messages.count() == 3
    assert appeal_with_note.pk not in [a.pk for a in client.get(
        reverse("appeals:list")).context["appeals"]]


def test_every_appeal_url_redirects_anonymous_to_sign_in(client, appeal_with_note):
    urls = _owner_urls(appeal_with_note) + [
        reverse("appeals:list"), reverse("appeals:file", args=[appeal_with_note.hold_id])]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    response = client.post(reverse("appeals:reply", args=[appeal_with_note.pk]), {"body": "hi"})
    assert response["Location"].startswith("/accounts/login/")


def test_internal_notes_never_reach_the_owner(owner_client, appeal_with_note, restricted_user):
    note_file = Attachment.objects.get(message__internal=True)
    pages = [reverse("appeals:detail", args=[appeal_with_note.pk]), reverse("appeals:list"),
             reverse("accounts:status"), reverse("accounts:notices"),
             reverse("appeals:file", args=[appeal_with_note.hold_id])]
    for url in pages:
        body = owner_client.get(url).content.decode()
        assert SECRET_NOTE not in body and "staff-only.png" not in body, url
    assert owner_client.get(
        reverse("appeals:attachment", args=[appeal_with_note.pk, note_file.pk])).status_code == 404
    for own in appeal_with_note.attachments.filter(message__internal=False):
        response = owner_client.get(reverse("appeals:attachment",
                                            args=[appeal_with_note.pk, own.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"


def test_appeal_text_with_html_is_shown_escaped(owner_client, restricted_user, file_appeal):
    appeal = file_appeal(restricted_user.holds.get(),
                         statement='<script>alert("x")</script><b onmouseover=1>hi</b>')
    page = owner_client.get(reverse("appeals:detail", args=[appeal.pk])).content.decode()
    assert "<script>alert" not in page and "<b onmouseover" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_reply_moves_awaiting_user_back_to_review(owner_client, restricted_user, officer,
                                                  file_appeal):
    appeal = file_appeal(restricted_user.holds.get())
    services.appeal_ask_user(appeal=appeal, acting_user=officer, body="Which post?")
    page = owner_client.get(reverse("appeals:detail", args=[appeal.pk])).content.decode()
    assert 'data-testid="awaiting-user"' in page
    response = owner_client.post(reverse("appeals:reply", args=[appeal.pk]),
                                 {"body": "The one from May.",
                                  "evidence": [upload("p.png", image_bytes("PNG"))]})
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.state == "in_review"
    thread = owner_client.get(reverse("appeals:detail", args=[appeal.pk])).context["thread"]
    assert [m.body for m in thread][-1] == "The one from May."  # newest at the bottom


def test_empty_reply_is_refused(owner_client, restricted_user, file_appeal):
    appeal = file_appeal(restricted_user.holds.get())
    response = owner_client.post(reverse("appeals:reply", args=[appeal.pk]), {"body": " "})
    assert response.status_code == 400
    assert appeal.messages.count() == 1


def test_expected_wait_is_the_median_of_recent_decisions(client, make_account, place_hold,
                                                         officer, file_appeal):
    from datetime import timedelta

    from django.utils import timezone

    from appeals.selectors import expected_wait

    now = timezone.now()
    for hours in (1, 3, 10):
        appeal = file_appeal(place_hold(make_account(), "bulk_activity"), now=now - timedelta(days=2))
        services.appeal_decide(appeal=appeal, acting_user=officer, decision="rejected",
                               message="No.", now=now - timedelta(days=2) + timedelta(hours=hours))
    old = file_appeal(place_hold(make_account(), "bulk_activity"), now=now - timedelta(days=20))
    services.appeal_decide(appeal=old, acting_user=officer, decision="rejected", message="No.",
                           now=now - timedelta(days=10))  # outside the 7-day window
    assert expected_wait("bulk_activity", now=now) == timedelta(hours=3)
    assert expected_wait("identity_bound", now=now) is None
    # The portable Python path (SQLite in the embedded run) agrees with the SQL one.
    from appeals.selectors import expected_wait_python

    assert expected_wait_python("bulk_activity", now=now) == timedelta(hours=3)
    assert expected_wait_python("identity_bound", now=now) is None
    waiting = file_appeal(place_hold(make_account(), "bulk_activity"))
    client.force_login(waiting.account)
    page = client.get(reverse("appeals:detail", args=[waiting.pk])).content.decode()
    assert "decided in about 3 hours (median of the last 7 days)" in page


def test_attachment_ids_cannot_be_mixed_across_appeals(client, restricted_user, frozen_user,
                                                       file_appeal):
    mine = file_appeal(restricted_user.holds.get(), files=[clean_image()])
    theirs = file_appeal(frozen_user.holds.get(), files=[clean_image()])
    client.force_login(restricted_user)
    their_file = theirs.attachments.get()
    assert client.get(reverse("appeals:attachment", args=[mine.pk, their_file.pk])).status_code == 404
    assert client.get(reverse("appeals:attachment",
                              args=[theirs.pk, their_file.pk])).status_code == 404


def test_staff_reply_attachments_reach_the_owner_and_pdfs_download(owner_client, restricted_user,
                                                                    officer, file_appeal):
    from appeals.uploads import evidence_clean

    appeal = file_appeal(restricted_user.holds.get())
    pdf = evidence_clean(upload("rules.pdf", PDF_OK, "application/pdf"))
    services.appeal_staff_message(appeal=appeal, acting_user=officer, body="See the rules.",
                                  files=[pdf])
    attachment = appeal.attachments.get()
    response = owner_client.get(reverse("appeals:attachment", args=[appeal.pk, attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == pdf.content  # the normalised copy


def test_pages_read_in_chinese_by_default(restricted_user, file_appeal):
    from django.test import Client

    appeal = file_appeal(restricted_user.holds.get())
    chinese = Client()  # no Accept-Language: the portal's default language
    chinese.force_login(restricted_user)
    page = chinese.get(reverse("appeals:detail", args=[appeal.pk])).content.decode()
    assert "进展" in page and "消息" in page and "已提交" in page


@pytest.mark.parametrize("language,words", [
    ("en", ["in up to", "or PDF, up to"]), ("zh-hans", ["个字", "最多"])])
def test_the_forms_help_texts_are_in_the_owners_language(owner_client, restricted_user,
                                                         settings, language, words):
    """The form fields are made once, at import: their texts must be translated when shown."""
    owner_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    hold = restricted_user.holds.get()
    for url in (reverse("appeals:file", args=[hold.pk]), reverse("appeals:support_new")):
        page = owner_client.get(url).content.decode()
        assert any(word in page for word in words), (language, url)
    other = {"en": "最多", "zh-hans": "up to"}[language]
    assert other not in owner_client.get(reverse("appeals:file", args=[hold.pk])).content.decode()


def test_switching_language_on_a_page_shown_for_a_form_goes_back_to_the_form_page(
        owner_client, appeal_with_note):
    """A reply with errors is shown at the reply address, which only a form can
    open: the language switch returns to the case page the form was on."""
    case = reverse("appeals:detail", args=[appeal_with_note.pk])
    page = owner_client.post(reverse("appeals:reply", args=[appeal_with_note.pk]), {"body": ""},
                             HTTP_REFERER=f"http://testserver{case}").content.decode()
    assert f'name="next" type="hidden" value="http://testserver{case}"' in page
    switched = owner_client.post(reverse("accounts:switch_language"),
                                 {"language": "en", "next": f"http://testserver{case}"})
    assert switched.status_code == 302 and switched["Location"].endswith(case)
