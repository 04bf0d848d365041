"""Filing rules, the transition table, claims and decisions, through the services."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from accounts.models import Hold, Notice, StatusEvent
from appeals import services
from appeals.models import Appeal, Attachment, Message
from tests.appeals.conftest import clean_image

pytestmark = pytest.mark.django_db


def test_filing_creates_appeal_message_evidence_event_and_notice(restricted_user, file_appeal):
    hold = restricted_user.holds.get()
    appeal = file_appeal(hold, files=[clean_image()])
    assert appeal.state == "submitted"
    assert appeal.reason == "content_violation"
    assert appeal.sla_due_at - appeal.created_at == hold.catalog.appeal_sla
    assert appeal.messages.get().body == appeal.statement
    attachment = Attachment.objects.get(appeal=appeal)
    assert attachment.file.name.startswith(f"appeals/{appeal.pk}/")
    assert attachment.file.storage.exists(attachment.file.name)
    assert StatusEvent.objects.filter(account=restricted_user, kind="appeal_filed",
                                      data__appeal=appeal.pk).exists()
    assert Notice.objects.filter(account=restricted_user, url=f"/appeals/{appeal.pk}/").exists()


def test_sla_comes_from_the_reason(frozen_user, file_appeal):
    appeal = file_appeal(frozen_user.holds.get())
    assert appeal.sla_due_at - appeal.created_at == timedelta(hours=24)


@pytest.mark.parametrize("reason", ["realname_missing", "legal", "inactivity"])
def test_reasons_that_do_not_allow_appeal_are_refused(make_account, place_hold, file_appeal, reason):
    hold = place_hold(make_account(), reason)
    with pytest.raises(ValidationError) as error:
        file_appeal(hold)
    assert error.value.code == "not_appealable"
    assert Appeal.objects.count() == 0


def test_one_open_appeal_per_hold(restricted_user, file_appeal):
    hold = restricted_user.holds.get()
    first = file_appeal(hold)
    with pytest.raises(ValidationError) as error:
        file_appeal(hold)
    assert error.value.code == "already_open"
    eligibility = services.appeal_eligibility(hold=hold, account=restricted_user)
    assert eligibility.open_appeal == first
    assert Appeal.objects.count() == 1


def test_database_refuses_a_second_open_appeal_even_past_the_service(restricted_user, file_appeal):
    first = file_appeal(restricted_user.holds.get())
    with pytest.raises(IntegrityError), transaction.atomic():
        Appeal.objects.create(account=restricted_user, hold=first.hold, reason=first.reason,
                              category="other", statement="x", sla_due_at=timezone.now())


def test_lifted_and_foreign_holds_are_refused(restricted_user, make_account, place_hold, file_appeal):
    hold = restricted_user.holds.get()
    other = place_hold(make_account(), "content_violation")
    with pytest.raises(ValidationError) as error:
        file_appeal(other, account=restricted_user)
    assert error.value.code == "not_your_hold"
    from accounts.services import hold_lift
    hold_lift(hold=hold, acting_user=None, lift_reason=Hold.LiftReason.STAFF)
    with pytest.raises(ValidationError) as error:
        file_appeal(hold)
    assert error.value.code == "hold_not_active"
    assert Appeal.objects.count() == 0


@pytest.mark.parametrize("statement,code", [("", "empty"), ("   \n ", "empty"),
                                            ("x" * 10_000, "too_long")])
def test_bad_statements_write_nothing(restricted_user, file_appeal, statement, code):
    events = StatusEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        file_appeal(restricted_user.holds.get(), statement=statement)
    assert error.value.code == code
    assert (Appeal.objects.count(), Message.objects.count()) == (0, 0)
    assert StatusEvent.objects.count() == events


def test_transition_table_has_no_way_out_of_closed():
    assert services.TRANSITIONS[Appeal.State.CLOSED] == frozenset()
    assert Appeal.State.SUBMITTED not in set().union(*services.TRANSITIONS.values())


def test_claim_moves_to_review_and_locks_out_a_colleague(restricted_user, officer, supervisor,
                                                         file_appeal):
    appeal = file_appeal(restricted_user.holds.get())
    services.appeal_claim(appeal=appeal, acting_user=officer)
    appeal.refresh_from_db()
    assert (appeal.state, appeal.claimed_by) == ("in_review", officer)
    with pytest.raises(ValidationError) as error:
        services.appeal_decide(appeal=appeal, acting_user=supervisor, decision="accepted",
                               message="ok")
    assert error.value.code == "claimed_by_other"
    # A lapsed claim no longer blocks.
    later = timezone.now() + timedelta(hours=2)
    services.appeal_decide(appeal=appeal, acting_user=supervisor, decision="rejected",
                           message="The post breaks rule 4.", now=later)
    appeal.refresh_from_db()
    assert (appeal.state, appeal.decided_by) == ("rejected", supervisor)


def test_people_without_the_permission_cannot_act(restricted_user, reviewer, file_appeal):
    appeal = file_appeal(restricted_user.holds.get())
    with pytest.raises(ValidationError) as error:
        services.appeal_claim(appeal=appeal, acting_user=reviewer)
    assert error.value.code == "permission_denied"


def test_ask_reply_accept_lifts_hold_and_notifies(restricted_user, officer, file_appeal):
    hold = restricted_user.holds.get()
    appeal = file_appeal(hold)
    services.appeal_ask_user(appeal=appeal, acting_user=officer, body="Send the original post.")
    appeal.refresh_from_db()
    assert appeal.state == "awaiting_user"
    services.appeal_user_reply(appeal=appeal, acting_user=restricted_user, body="Here it is.",
                               files=[clean_image()])
    appeal.refresh_from_db()
    assert appeal.state == "in_review"
    services.appeal_decide(appeal=appeal, acting_user=officer, decision="accepted",
                           message="You are right; sorry.")
    appeal.refresh_from_db()
    hold.refresh_from_db()
    restricted_user.refresh_from_db()
    assert appeal.state == "accepted"
    assert hold.lift_reason == "appeal_accepted"
    assert restricted_user.status == "active"
    kinds = list(StatusEvent.objects.filter(data__appeal=appeal.pk).order_by("at", "pk")
                 .values_list("kind", flat=True))
    assert kinds == ["appeal_filed", "appeal_awaiting_user", "appeal_user_replied",
                     "appeal_accepted"]
    # filed, asked for more, accepted; plus the hold-lifted notice from accounts.
    assert Notice.objects.filter(account=restricted_user, url=f"/appeals/{appeal.pk}/").count() == 3


def test_user_cannot_reply_to_a_decided_appeal_or_someone_elses(restricted_user, officer,
                                                                 make_account, file_appeal):
    appeal = file_appeal(restricted_user.holds.get())
    with pytest.raises(ValidationError) as error:
        services.appeal_user_reply(appeal=appeal, acting_user=make_account(), body="hi")
    assert error.value.code == "not_your_appeal"
    services.appeal_decide(appeal=appeal, acting_user=officer, decision="rejected", message="No.")
    with pytest.raises(ValidationError) as error:
        services.appeal_user_reply(appeal=appeal, acting_user=restricted_user, body="but")
    assert error.value.code == "appeal_not_open"


def test_accepting_a_ban_needs_a_supervisor(banned_user, officer, supervisor, file_appeal):
    appeal = file_appeal(banned_user.holds.get())
    with pytest.raises(ValidationError) as error:
        services.appeal_decide(appeal=appeal, acting_user=officer, decision="accepted",
                               message="ok")
    assert error.value.code == "needs_supervisor"
    assert banned_user.holds.get().is_active
    services.appeal_release(appeal=appeal, acting_user=officer)
    services.appeal_decide(appeal=appeal, acting_user=supervisor, decision="accepted",
                           message="The trade was not yours.")
    banned_user.refresh_from_db()
    assert banned_user.status == "active"


def test_reject_then_reappeal_after_cooldown(settings, restricted_user, officer, file_appeal):
    settings.PORTAL_APPEAL_COOLDOWN = timedelta(days=7)
    hold = restricted_user.holds.get()
    t0 = timezone.now()
    appeal = file_appeal(hold, now=t0)
    services.appeal_decide(appeal=appeal, acting_user=officer, decision="rejected",
                           message="It breaks rule 4.", now=t0 + timedelta(hours=1))
    early = t0 + timedelta(days=3)
    with pytest.raises(ValidationError) as error:
        file_appeal(hold, now=early)
    assert error.value.code == "cooldown"
    eligibility = services.appeal_eligibility(hold=hold, account=restricted_user, now=early)
    assert eligibility.available_at == t0 + timedelta(hours=1, days=7)
    second = file_appeal(hold, now=t0 + timedelta(days=8), statement="New facts: see the link.")
    services.appeal_decide(appeal=second, acting_user=officer, decision="rejected",
                           message="Still breaks it.", now=t0 + timedelta(days=8, hours=1))
    with pytest.raises(ValidationError) as error:
        file_appeal(hold, now=t0 + timedelta(days=30))
    assert error.value.code == "no_more_appeals"
    assert Appeal.objects.filter(hold=hold).count() == 2


def test_final_reasons_get_no_second_appeal(banned_user, supervisor, file_appeal):
    hold = banned_user.holds.get()
    appeal = file_appeal(hold)
    services.appeal_decide(appeal=appeal, acting_user=supervisor, decision="rejected", message="No.")
    with pytest.raises(ValidationError) as error:
        file_appeal(hold, now=timezone.now() + timedelta(days=60))
    assert error.value.code == "final"


def test_internal_notes_are_staff_only(restricted_user, officer, file_appeal):
    appeal = file_appeal(restricted_user.holds.get())
    notices = Notice.objects.count()
    note = services.appeal_staff_message(appeal=appeal, acting_user=officer, internal=True,
                                         body="Looks like a repeat offender.")
    assert note.internal
    assert Notice.objects.count() == notices  # the owner is not told about a note
    services.appeal_staff_message(appeal=appeal, acting_user=officer, body="We are looking.")
    assert Notice.objects.count() == notices + 1


def test_triage_sets_priority_and_assigns_least_busy_officer(restricted_user, frozen_user,
                                                             officer, file_appeal):
    from tests.conftest import _staff

    second = _staff("officer2", "appeals officer")
    a1 = services.appeal_triage(appeal=file_appeal(restricted_user.holds.get()))
    a2 = services.appeal_triage(appeal=file_appeal(frozen_user.holds.get()))
    assert {a1.assignee, a2.assignee} == {officer, second}
    assert a2.priority > a1.priority  # a frozen sign-in beats a content restriction
    again = services.appeal_triage(appeal=a1, now=timezone.now() + timedelta(days=1))
    assert again.triaged_at == a1.triaged_at  # idempotent


def test_escalate_remind_and_close_each_once(restricted_user, officer, supervisor, file_appeal):
    appeal = file_appeal(restricted_user.holds.get())
    services.appeal_ask_user(appeal=appeal, acting_user=officer, body="Which post?")
    t = timezone.now()
    assert services.appeals_escalate_overdue(now=t + timedelta(days=3)) == 1
    assert services.appeals_escalate_overdue(now=t + timedelta(days=3)) == 0
    appeal.refresh_from_db()
    assert appeal.assignee == supervisor
    assert Notice.objects.filter(account=supervisor).exists()
    assert services.appeals_remind_silent(now=t + timedelta(days=2)) == 0
    assert services.appeals_remind_silent(now=t + timedelta(days=4)) == 1
    assert services.appeals_remind_silent(now=t + timedelta(days=5)) == 0
    assert services.appeals_close_abandoned(now=t + timedelta(days=13)) == 0
    assert services.appeals_close_abandoned(now=t + timedelta(days=15)) == 1
    appeal.refresh_from_db()
    assert appeal.state == "closed" and appeal.decision == ""
    kinds = set(StatusEvent.objects.filter(data__appeal=appeal.pk).values_list("kind", flat=True))
    assert {"appeal_escalated", "appeal_reminded", "appeal_closed"} <= kinds
    # Closed without a decision: the owner can file again at once.
    assert services.appeal_eligibility(hold=appeal.hold, account=restricted_user).allowed


def test_the_close_sweep_spares_an_appeal_answered_after_its_query(
    restricted_user, officer, file_appeal
):
    appeal = file_appeal(restricted_user.holds.get())
    services.appeal_ask_user(appeal=appeal, acting_user=officer, body="Which post?")
    later = timezone.now() + timedelta(days=15)  # past the close period
    services.appeal_user_reply(appeal=appeal, acting_user=restricted_user, body="Post 42.")
    # The sweep's query ran before the reply; the close re-checks under the lock.
    assert services.appeal_close_if_abandoned(appeal=appeal.pk, now=later) is False
    appeal.refresh_from_db()
    assert appeal.state in Appeal.OPEN_STATES and appeal.closed_at is None


def test_escalation_notice_is_in_each_supervisors_language(restricted_user, officer, supervisor,
                                                          file_appeal):
    supervisor.language = "en"
    supervisor.save(update_fields=["language"])
    appeal = file_appeal(restricted_user.holds.get())
    with translation.override("zh-hans"):  # the worker's (or acting staff's) language
        assert services.appeals_escalate_overdue(now=timezone.now() + timedelta(days=3)) == 1
    notice = Notice.objects.get(account=supervisor)
    assert notice.title.startswith(f"Appeal #{appeal.pk} escalated")
    assert notice.body.startswith("The answer is overdue")


def test_escalating_a_colleagues_case_needs_a_supervisor(restricted_user, officer, supervisor,
                                                         file_appeal):
    from tests.conftest import _staff

    colleague = _staff("officer2", "appeals officer")
    appeal = file_appeal(restricted_user.holds.get())
    services.appeal_claim(appeal=appeal, acting_user=officer)
    with pytest.raises(ValidationError) as error:
        services.appeal_escalate(appeal=appeal, acting_user=colleague)
    assert error.value.code == "claimed_by_other"
    services.appeal_escalate(appeal=appeal, acting_user=supervisor, note="Needs a second look.")
    appeal.refresh_from_db()
    assert appeal.escalated_at and appeal.claimed_by is None
    note = appeal.messages.get(internal=True)
    assert "Needs a second look." in note.body


def test_pending_triage_sweep_picks_up_lost_tasks(restricted_user, officer, file_appeal):
    appeal = file_appeal(restricted_user.holds.get())
    assert services.appeals_triage_pending() == 0  # too fresh: its task may still come
    later = timezone.now() + timedelta(minutes=6)
    assert services.appeals_triage_pending(now=later) == 1
    assert services.appeals_triage_pending(now=later) == 0
    appeal.refresh_from_db()
    assert appeal.assignee == officer


def test_decided_appeals_are_archived_after_the_close_period_without_a_notice(
        restricted_user, officer, file_appeal):
    appeal = file_appeal(restricted_user.holds.get())
    services.appeal_decide(appeal=appeal, acting_user=officer, decision="rejected", message="No.")
    notices = Notice.objects.filter(account=restricted_user).count()
    t = timezone.now()
    assert services.appeals_close_abandoned(now=t + timedelta(days=13)) == 0
    assert services.appeals_close_abandoned(now=t + timedelta(days=15)) == 1
    appeal.refresh_from_db()
    assert (appeal.state, appeal.decision) == ("closed", "rejected")
    assert Notice.objects.filter(account=restricted_user).count() == notices
    # The rejection still counts for the re-appeal rule once closed.
    eligibility = services.appeal_eligibility(hold=appeal.hold, account=restricted_user,
                                              now=t + timedelta(days=15))
    assert eligibility.allowed  # past the 7-day cool-down
