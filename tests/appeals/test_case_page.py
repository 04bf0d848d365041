"""The appeal case page (issue 13): reply and decision first, only the buttons a
role may use, refusals that keep the text, takeover, escalation reasons, macros."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import StatusEvent
from appeals import services
from appeals.models import Appeal, Macro, Message

pytestmark = pytest.mark.django_db


def _change(appeal):
    return reverse("admin:appeals_appeal_change", args=[appeal.pk])


def act(client, appeal, action, body="", follow=True, **extra):
    return client.post(reverse("admin:appeals_appeal_act", args=[appeal.pk]),
                       {"action": action, "body": body, **extra}, follow=follow)


def _macro(supervisor, **fields) -> Macro:
    fields = {"kind": "appeal", "title": "Thanks for the proof", "body_en": "Thank you.",
              "body_zh_hans": "感谢您提供的材料。", **fields}
    macro = services.macro_save(macro=Macro(**fields), acting_user=supervisor)
    return services.macro_approve(macro=macro, acting_user=supervisor)


def test_reply_and_decision_come_before_the_thread(client, officer, restricted_user, file_appeal):
    appeal = file_appeal(restricted_user.holds.get())
    client.force_login(officer)
    page = client.get(_change(appeal)).content.decode()
    assert page.index('data-testid="accept"') < page.index("the post was a quote")
    assert 'data-testid="open-next"' in page and 'data-testid="shortcuts"' in page


def test_a_refusal_is_an_error_and_keeps_the_typed_reply(client, officer, supervisor,
                                                         restricted_user, file_appeal):
    appeal = file_appeal(restricted_user.holds.get())
    services.appeal_claim(appeal=appeal, acting_user=supervisor)
    client.force_login(officer)
    page = act(client, appeal, "reject", "您的申诉理由不充分。").content.decode()
    messages = page[page.index('data-testid="admin-messages"'):].split("</ul>")[0]
    assert 'class="error"' in messages and "is working on this appeal" in messages
    assert "danger" not in messages and 'class="success"' not in messages
    services.appeal_release(appeal=appeal, acting_user=supervisor)
    page = client.get(_change(appeal)).content.decode()
    assert ">您的申诉理由不充分。</textarea>" in page


def test_an_officer_sees_only_the_buttons_they_may_use(client, officer, supervisor, banned_user,
                                                       file_appeal):
    appeal = file_appeal(banned_user.holds.get())
    client.force_login(officer)
    page = client.get(_change(appeal)).content.decode()
    assert 'data-testid="accept"' not in page and 'data-testid="needs-supervisor"' in page
    assert 'data-testid="assign-box"' not in page and 'data-testid="release"' not in page
    services.appeal_claim(appeal=appeal, acting_user=supervisor)
    page = client.get(_change(appeal)).content.decode()
    assert 'data-testid="takeover"' not in page and 'data-testid="reply-box"' not in page
    client.force_login(supervisor)
    page = client.get(_change(appeal)).content.decode()
    assert 'data-testid="accept"' in page and 'data-testid="assign-box"' in page
    assert 'data-testid="release"' in page


def test_a_supervisor_takes_over_with_an_event_and_an_officer_cannot(
        client, officer, supervisor, restricted_user, file_appeal):
    appeal = file_appeal(restricted_user.holds.get())
    services.appeal_claim(appeal=appeal, acting_user=officer)
    with pytest.raises(ValidationError, match="Only a supervisor"):
        services.appeal_claim_takeover(appeal=appeal, acting_user=officer)
    client.force_login(supervisor)
    assert 'data-testid="takeover"' in client.get(_change(appeal)).content.decode()
    page = act(client, appeal, "takeover").content.decode()
    assert "You took over the claim" in page
    appeal.refresh_from_db()
    assert appeal.claimed_by == supervisor
    event = StatusEvent.objects.get(account=appeal.account, kind="claim_taken_over")
    assert event.acting_user == supervisor and event.data["from"] == officer.pk
    assert Message.objects.filter(appeal=appeal, internal=True,
                                  body__contains="Took over the claim from officer").exists()


def test_a_manual_escalation_is_not_logged_as_overdue(client, officer, restricted_user,
                                                      file_appeal):
    appeal = file_appeal(restricted_user.holds.get())
    client.force_login(officer)
    act(client, appeal, "escalate", "")
    event = StatusEvent.objects.get(account=appeal.account, kind="appeal_escalated")
    assert event.data["reason"] == "manual" and event.acting_user == officer
    note = Message.objects.get(appeal=appeal, internal=True, body__startswith="Escalated")
    assert "overdue" not in note.body and "without a note" in note.body


def test_the_sweep_records_overdue(restricted_user, supervisor, file_appeal):
    appeal = file_appeal(restricted_user.holds.get())
    Appeal.objects.filter(pk=appeal.pk).update(sla_due_at=timezone.now() - timedelta(hours=1))
    assert services.appeals_escalate_overdue() == 1
    event = StatusEvent.objects.get(account=appeal.account, kind="appeal_escalated")
    assert event.data["reason"] == "overdue" and event.acting_user is None
    assert "overdue" in Message.objects.get(appeal=appeal, internal=True).body


def test_only_reviewed_macros_are_offered_in_the_owners_language(
        client, officer, supervisor, make_account, place_hold, file_appeal):
    owner = make_account(language="zh-hans")
    appeal = file_appeal(place_hold(owner, "content_violation"))
    reviewed = _macro(supervisor)
    services.macro_save(macro=Macro(kind="appeal", title="Draft words", body_en="x",
                                    body_zh_hans="草稿"), acting_user=supervisor)
    _macro(supervisor, kind="support", title="Support only")
    client.force_login(officer)
    page = client.get(_change(appeal)).content.decode()
    assert f'data-macro-body="{reviewed.body_zh_hans}"' in page
    assert "Draft words" not in page and "Support only" not in page
    # Without JavaScript: the select puts the words in the box, still to be edited and sent.
    page = act(client, appeal, "macro", macro=reviewed.pk).content.decode()
    assert f">{reviewed.body_zh_hans}</textarea>" in page
    assert Appeal.objects.get(pk=appeal.pk).state == "submitted"  # nothing was sent


def test_changing_a_macros_words_takes_its_review_away_and_officers_cannot(officer, supervisor):
    macro = _macro(supervisor)
    assert macro.is_reviewed
    macro.active = False
    macro = services.macro_save(macro=macro, acting_user=supervisor)
    assert macro.is_reviewed  # switching it off changes no words
    macro.body_en = "Thanks a lot."
    assert not services.macro_save(macro=macro, acting_user=supervisor).is_reviewed
    with pytest.raises(ValidationError, match="Only a supervisor"):
        services.macro_save(macro=macro, acting_user=officer)
    with pytest.raises(ValidationError, match="Only a supervisor"):
        services.macro_approve(macro=macro, acting_user=officer)


def test_supervisors_manage_macros_in_admin_and_officers_only_read(client, officer, supervisor):
    changelist = reverse("admin:appeals_macro_changelist")
    client.force_login(supervisor)
    response = client.post(reverse("admin:appeals_macro_add"), {
        "kind": "support", "title": "Closing", "body_zh_hans": "如有问题请再联系我们。",
        "body_en": "Write again if anything is unclear.", "active": "on"})
    assert response.status_code == 302
    macro = Macro.objects.get(title="Closing")
    assert not macro.is_reviewed
    client.post(changelist, {"action": "mark_reviewed", "_selected_action": [macro.pk]})
    assert Macro.objects.get(pk=macro.pk).approved_by == supervisor
    client.force_login(officer)
    assert client.get(changelist).status_code == 200
    assert client.get(reverse("admin:appeals_macro_add")).status_code == 403


def test_deciding_with_next_opens_the_next_case_claimed(client, officer, restricted_user,
                                                        frozen_user, file_appeal):
    first = file_appeal(restricted_user.holds.get())
    second = file_appeal(frozen_user.holds.get())
    client.force_login(officer)
    response = act(client, first, "reject", "No.", follow=False, open_next="1")
    assert response["Location"] == _change(second)
    assert Appeal.objects.get(pk=second.pk).claimed_by == officer


def test_skipping_gives_the_claim_back_and_opens_the_next_case(client, officer, restricted_user,
                                                               frozen_user, file_appeal):
    first = file_appeal(restricted_user.holds.get())
    second = file_appeal(frozen_user.holds.get())
    services.appeal_claim(appeal=first, acting_user=officer)
    client.force_login(officer)
    response = act(client, first, "next", follow=False)
    assert response["Location"] == _change(second)
    assert Appeal.objects.get(pk=first.pk).claimed_by is None
    assert Appeal.objects.get(pk=second.pk).claimed_by == officer
