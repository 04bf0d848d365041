"""The staff queue and case page in Django admin, as an appeals officer uses them."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import StatusEvent
from appeals import services
from appeals.models import Appeal
from tests.appeals.conftest import clean_image

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


def act(client, appeal, action, body="", **extra):
    return client.post(reverse("admin:appeals_appeal_act", args=[appeal.pk]),
                       {"action": action, "body": body, **extra}, follow=True)


def test_queue_is_oldest_due_first_with_filters(officer_client, officer, restricted_user,
                                                frozen_user, file_appeal):
    late = file_appeal(restricted_user.holds.get())  # 48 h SLA
    soon = file_appeal(frozen_user.holds.get())  # 24 h SLA
    services.appeal_triage(appeal=late)
    url = reverse("admin:appeals_appeal_changelist")
    response = officer_client.get(url)
    assert response.status_code == 200
    assert [a.pk for a in response.context["cl"].result_list] == [soon.pk, late.pk]
    mine = officer_client.get(url, {"who": "mine"}).context["cl"].result_list
    assert [a.pk for a in mine] == [late.pk]
    unassigned = officer_client.get(url, {"who": "unassigned"}).context["cl"].result_list
    assert [a.pk for a in unassigned] == [soon.pk]
    Appeal.objects.filter(pk=soon.pk).update(sla_due_at=timezone.now() - timedelta(hours=1))
    breached = officer_client.get(url, {"sla": "breached"}).context["cl"].result_list
    assert [a.pk for a in breached] == [soon.pk]
    by_reason = officer_client.get(url, {"reason__exact": "content_violation"}).context["cl"]
    assert [a.pk for a in by_reason.result_list] == [late.pk]
    by_state = officer_client.get(url, {"state__exact": "submitted"}).context["cl"].result_list
    assert len(by_state) == 2


def test_case_page_shows_thread_notes_hold_and_timeline(officer_client, officer,
                                                        restricted_user, file_appeal):
    appeal = file_appeal(restricted_user.holds.get(), files=[clean_image("proof.jpg")])
    services.appeal_staff_message(appeal=appeal, acting_user=officer, internal=True,
                                  body="note for colleagues")
    page = officer_client.get(reverse("admin:appeals_appeal_change", args=[appeal.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    for expected in ("note for colleagues", "proof.jpg", appeal.statement, 'data-testid="reply-box"',
                     'data-testid="note-box"', "Contested hold", "Account timeline"):
        assert expected in html, expected
    assert 'name="_save"' not in html  # appeals change only through the actions


def test_staff_ask_and_accept_through_admin(officer_client, restricted_user, file_appeal):
    appeal = file_appeal(restricted_user.holds.get())
    act(officer_client, appeal, "claim")
    act(officer_client, appeal, "ask", "Please send a screenshot.")
    assert Appeal.objects.get(pk=appeal.pk).state == "awaiting_user"
    services.appeal_user_reply(appeal=appeal, acting_user=restricted_user, body="Attached.")
    response = act(officer_client, appeal, "accept", "Thanks, lifted.")
    assert "Appeal accepted" in response.content.decode()
    restricted_user.refresh_from_db()
    assert restricted_user.status == "active"


def test_second_staff_member_is_told_the_case_is_claimed(client, officer, supervisor,
                                                         restricted_user, file_appeal):
    appeal = file_appeal(restricted_user.holds.get())
    services.appeal_claim(appeal=appeal, acting_user=officer)
    client.force_login(supervisor)
    response = act(client, appeal, "reject", "No.")
    assert "is working on this appeal" in response.content.decode()
    assert Appeal.objects.get(pk=appeal.pk).state == "in_review"


def test_decision_without_message_is_refused(officer_client, restricted_user, file_appeal):
    appeal = file_appeal(restricted_user.holds.get())
    response = act(officer_client, appeal, "reject", "  ")
    assert "cannot be empty" in response.content.decode()
    assert Appeal.objects.get(pk=appeal.pk).is_open


def test_evidence_view_needs_permission_and_is_audited(client, officer, reviewer,
                                                       restricted_user, file_appeal):
    appeal = file_appeal(restricted_user.holds.get(), files=[clean_image()])
    url = reverse("admin:appeals_appeal_evidence", args=[appeal.pk, appeal.attachments.get().pk])
    client.force_login(reviewer)  # staff, but not an appeals role
    assert client.get(url).status_code == 403
    client.force_login(officer)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert StatusEvent.objects.filter(kind="evidence_viewed", acting_user=officer).count() == 1
    # The audit event is not on the owner's timeline.
    client.force_login(restricted_user)
    assert "evidence" not in client.get(reverse("accounts:status")).content.decode().lower()


def test_owner_cannot_open_the_admin_evidence_url(client, restricted_user, file_appeal):
    appeal = file_appeal(restricted_user.holds.get(), files=[clean_image()])
    client.force_login(restricted_user)
    url = reverse("admin:appeals_appeal_evidence", args=[appeal.pk, appeal.attachments.get().pk])
    assert client.get(url).status_code == 302  # admin login, not the file


def test_queue_links_to_the_dashboard_that_counts_it(officer_client, officer, restricted_user,
                                                     frozen_user, file_appeal):
    from accounts.dashboard import queue_figures

    first = file_appeal(restricted_user.holds.get())
    file_appeal(frozen_user.holds.get())
    services.appeal_decide(appeal=first, acting_user=officer, decision="rejected", message="No.")
    later = timezone.now() + timedelta(days=2)
    (stats,) = queue_figures(now=later, keys=["appeals"])
    assert (stats.depth, stats.unassigned, stats.breached) == (1, 1, 1)
    assert sum(n for _day, n in stats.per_day) == 1
    assert stats.per_reviewer == [(officer.username, 1)]
    page = officer_client.get(reverse("admin:appeals_appeal_changelist")).content.decode()
    assert 'data-testid="queue-dashboard-link"' in page


def test_owner_pages_use_a_fixed_number_of_queries(client, restricted_user, officer, file_appeal,
                                                   django_assert_max_num_queries):
    appeal = file_appeal(restricted_user.holds.get(), files=[clean_image()])
    for n in range(5):
        services.appeal_staff_message(appeal=appeal, acting_user=officer, body=f"reply {n}",
                                      files=[clean_image()])
    client.force_login(restricted_user)
    with django_assert_max_num_queries(9):
        assert client.get(reverse("appeals:detail", args=[appeal.pk])).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("appeals:list")).status_code == 200


def test_only_supervisors_reassign(client, officer, supervisor, restricted_user, file_appeal):
    from tests.conftest import _staff

    colleague = _staff("officer2", "appeals officer")
    appeal = file_appeal(restricted_user.holds.get())
    services.appeal_claim(appeal=appeal, acting_user=officer)
    client.force_login(officer)
    response = act(client, appeal, "assign", assignee=colleague.pk)
    assert "Only a supervisor" in response.content.decode()
    client.force_login(supervisor)
    page = client.get(reverse("admin:appeals_appeal_change", args=[appeal.pk])).content.decode()
    assert 'data-testid="assign-box"' in page
    response = act(client, appeal, "assign", assignee=colleague.pk)
    assert "Appeal reassigned." in response.content.decode()
    appeal.refresh_from_db()
    assert (appeal.assignee, appeal.claimed_by) == (colleague, None)
    response = act(client, appeal, "assign", assignee=restricted_user.pk)
    assert "cannot work on appeals" in response.content.decode()
