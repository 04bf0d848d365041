"""Support conversations: from any hold card (legal holds and bans included) or the help
page, kept in the appeals thread and queue; staff answer in admin; bad input changes nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Notice, StatusEvent
from appeals import services
from appeals.models import Appeal, Attachment, Message
from tests.appeals.conftest import image_bytes, upload

pytestmark = pytest.mark.django_db


def counts():
    return (Appeal.objects.count(), Message.objects.count(), Attachment.objects.count(),
            StatusEvent.objects.count(), Notice.objects.count())


@pytest.fixture
def legal_owner(make_account, place_hold):
    account = make_account("lena", language="en")
    place_hold(account, "legal", facts={"authority": "City court", "reference": "2026-17"})
    return account


def _open(account, hold=None, body="What can I do about this?", **kwargs):
    return services.support_open(account=account, hold=hold, body=body, acting_user=account,
                                 **kwargs)


@pytest.mark.parametrize("cast,reason", [("legal_owner", "legal"), ("banned_user", None),
                                         ("frozen_user", None)])
def test_every_hold_card_offers_support(client, request, cast, reason):
    account = request.getfixturevalue(cast)
    hold = account.holds.get()
    client.force_login(account)
    html = client.get(reverse("accounts:status")).content.decode()
    assert reverse("appeals:support_new", args=[hold.pk]) in html


def test_the_legal_card_says_what_is_known_and_that_self_service_does_not_apply(client,
                                                                                legal_owner):
    client.force_login(legal_owner)
    html = client.get(reverse("accounts:status")).content.decode()
    assert "Self-service does not apply" in html
    assert "Authority: City court" in html
    assert "to protect it" not in html and "temporary" not in html  # not a protective freeze
    card = html.split('data-testid="hold-card"')[1]
    support = reverse("appeals:support_new", args=[legal_owner.holds.get().pk])
    assert f'class="btn btn-primary" href="{support}"' in card


def test_a_conversation_from_a_card_joins_the_queue(client, legal_owner, officer):
    hold = legal_owner.holds.get()
    client.force_login(legal_owner)
    response = client.post(reverse("appeals:support_new", args=[hold.pk]), {
        "body": "Which authority do I contact?", "evidence": [upload("id.jpg", image_bytes())]})
    case = Appeal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("appeals:detail", args=[case.pk])
    assert (case.kind, case.hold, case.state) == ("support", hold, "submitted")
    assert case.attachments.count() == 1 and case.sla_due_at > case.created_at
    assert StatusEvent.objects.filter(account=legal_owner, kind="support_opened").exists()
    notice = Notice.objects.get(account=legal_owner, title="We received your message")
    assert "by" in notice.body
    # The same queue, claims and SLA as appeals.
    services.appeal_triage(appeal=case)
    case.refresh_from_db()
    assert case.assignee == officer and case.triaged_at is not None
    page = client.get(response["Location"]).content.decode()
    assert "Which authority do I contact?" in page and "Support conversation" in page


def test_the_help_page_starts_a_conversation_about_no_hold(client, active_user):
    client.force_login(active_user)
    help_page = client.get(reverse("accounts:help")).content.decode()
    assert reverse("appeals:support_new") in help_page
    client.post(reverse("appeals:support_new"), {"body": "I cannot find my old posts."})
    case = Appeal.objects.get()
    assert case.hold is None and case.kind == "support" and case.reason == ""
    # The status page shows the open conversation although no hold is about it.
    assert 'data-case-kind="support"' in client.get(reverse("accounts:status")).content.decode()


def test_one_open_conversation_per_topic(client, legal_owner):
    hold = legal_owner.holds.get()
    first = _open(legal_owner, hold)
    with pytest.raises(ValidationError) as error:
        _open(legal_owner, hold)
    assert error.value.code == "already_open"
    client.force_login(legal_owner)
    response = client.get(reverse("appeals:support_new", args=[hold.pk]))
    assert response["Location"] == reverse("appeals:detail", args=[first.pk])
    assert _open(legal_owner, None).pk != first.pk  # another topic is another conversation


@pytest.mark.parametrize("name,content,expected", [
    ("photo.jpg", b"MZ\x90\x00" + b"\x00" * 100, "photo.jpg"),
    ("notes.txt", b"just some text", "notes.txt"),
])
def test_a_bad_attachment_is_refused_clearly_and_nothing_is_written(client, legal_owner, name,
                                                                    content, expected):
    client.force_login(legal_owner)
    before = counts()
    response = client.post(reverse("appeals:support_new", args=[legal_owner.holds.get().pk]),
                           {"body": "See the file.", "evidence": [upload(name, content)]})
    assert response.status_code == 400
    assert expected in response.content.decode()
    assert counts() == before


def test_staff_answer_in_admin_and_the_owner_is_told(client, officer, legal_owner):
    case = _open(legal_owner, legal_owner.holds.get())
    client.force_login(officer)
    act = reverse("admin:appeals_appeal_act", args=[case.pk])
    client.post(act, {"action": "reply", "body": "Contact the City court, office 3."})
    case.refresh_from_db()
    assert case.claimed_by == officer  # answering claims the case
    assert Notice.objects.filter(account=legal_owner, title="Support answered you",
                                 body="Contact the City court, office 3.").exists()
    page = client.get(reverse("admin:appeals_appeal_change", args=[case.pk])).content.decode()
    assert 'data-testid="resolve"' in page and 'data-testid="accept"' not in page


def test_a_conversation_is_never_accepted_or_rejected(officer, legal_owner):
    case = _open(legal_owner, legal_owner.holds.get())
    with pytest.raises(ValidationError) as error:
        services.appeal_decide(appeal=case, acting_user=officer, decision="accepted",
                               message="ok")
    assert error.value.code == "not_decidable"
    assert legal_owner.holds.get().is_active


def test_an_answer_to_a_closed_conversation_is_refused_and_nothing_is_written(client, officer,
                                                                             legal_owner):
    case = _open(legal_owner, legal_owner.holds.get())
    services.case_resolve(appeal=case, acting_user=officer, body="Done: see the court's letter.")
    assert Notice.objects.filter(account=legal_owner,
                                 title="Support closed your conversation").exists()
    client.force_login(legal_owner)
    before = counts()
    response = client.post(reverse("appeals:reply", args=[case.pk]), {"body": "One more thing"})
    assert response.status_code == 400
    assert "This conversation is closed" in response.content.decode()
    assert counts() == before


def test_when_staff_ask_the_owner_sees_by_when_to_answer(client, officer, legal_owner, settings):
    case = _open(legal_owner, legal_owner.holds.get())
    services.appeal_ask_user(appeal=case, acting_user=officer, body="Send the court's letter.")
    case.refresh_from_db()
    due = case.awaiting_since + settings.PORTAL_APPEAL_CLOSE_AFTER
    assert case.answer_by == due
    client.force_login(legal_owner)
    page = client.get(reverse("appeals:detail", args=[case.pk])).content.decode()
    assert 'data-testid="answer-by"' in page
    status = client.get(reverse("accounts:status")).content.decode()
    assert "Support asked you a question" in status
    notice = Notice.objects.get(account=legal_owner, title="Support needs more information")
    assert notice.body.startswith("Send the court's letter.") and "Answer by" in notice.body


def test_the_live_part_answers_204_until_a_staff_reply_arrives(client, officer, legal_owner):
    case = _open(legal_owner, legal_owner.holds.get())
    client.force_login(legal_owner)
    live = reverse("appeals:live", args=[case.pk])
    page = client.get(reverse("appeals:detail", args=[case.pk])).content.decode()
    version = page.split('data-version="')[1].split('"')[0]
    assert client.get(live, {"v": version}).status_code == 204
    services.appeal_staff_message(appeal=case, acting_user=officer, body="We are on it.")
    response = client.get(live, {"v": version})
    html = response.content.decode()
    assert response.status_code == 200 and "We are on it." in html
    assert 'data-announce="New message from staff."' in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_live_part_is_the_owners_only(client, legal_owner, active_user):
    case = _open(legal_owner, legal_owner.holds.get())
    client.force_login(active_user)
    assert client.get(reverse("appeals:live", args=[case.pk])).status_code == 404


def test_internal_notes_never_reach_the_live_part(client, officer, legal_owner):
    case = _open(legal_owner, legal_owner.holds.get())
    services.appeal_staff_message(appeal=case, acting_user=officer, body="SECRET NOTE",
                                  internal=True)
    client.force_login(legal_owner)
    html = client.get(reverse("appeals:live", args=[case.pk]), {"v": "x"}).content.decode()
    assert "SECRET NOTE" not in html
