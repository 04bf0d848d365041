"""Staff open evidence only for appeals they may work (open, not under a
colleague's live claim; supervisors beyond), and each review session is one
summary event, every opening recorded staff-only. By the one policy of
``StatusEvent.OWNER_SEES_STAFF_VIEWS`` evidence views stay off the owner's
timeline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import StatusEvent
from accounts.selectors import account_timeline
from appeals import services
from appeals.models import Appeal
from tests.appeals.conftest import clean_image
from tests.conftest import _staff, errors_of, run_together

pytestmark = pytest.mark.django_db
VIEW_KINDS = ["evidence_viewed", "evidence_opened"]


@pytest.fixture
def colleague(db):
    return _staff("officer2", "appeals officer")


@pytest.fixture
def appeal(restricted_user, file_appeal) -> Appeal:
    return file_appeal(restricted_user.holds.get(), files=[clean_image(), clean_image("b.jpg")])


def _url(attachment) -> str:
    return reverse("admin:appeals_appeal_evidence", args=[attachment.appeal_id, attachment.pk])


def _open(client, user, attachment):
    client.force_login(user)
    return client.get(_url(attachment))


def _served(response) -> None:
    assert response.status_code == 200, response.content[-800:]
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"


def _refused(response, status: int, words: str) -> None:
    assert response.status_code == status
    page = response.content.decode()
    assert 'data-testid="file-unavailable"' in page and words in page, page[-1500:]


def test_an_officer_opens_evidence_of_an_open_appeal(client, officer, appeal):
    _served(_open(client, officer, appeal.attachments.first()))
    assert StatusEvent.objects.filter(kind="evidence_viewed", acting_user=officer).count() == 1


def test_a_colleagues_live_claim_refuses_other_officers(client, officer, colleague,
                                                       supervisor, appeal):
    services.appeal_claim(appeal=appeal, acting_user=colleague)
    attachment = appeal.attachments.first()
    before = StatusEvent.objects.count()
    _refused(_open(client, officer, attachment), 403, "officer2 has claimed this case")
    assert StatusEvent.objects.count() == before  # a refusal writes nothing
    _served(_open(client, colleague, attachment))
    _served(_open(client, supervisor, attachment))


def test_a_lapsed_claim_no_longer_refuses(client, officer, colleague, appeal):
    services.appeal_claim(appeal=appeal, acting_user=colleague,
                          now=timezone.now() - timedelta(hours=3))
    _served(_open(client, officer, appeal.attachments.first()))


def test_a_decided_appeal_is_for_supervisors_only(client, officer, supervisor, appeal):
    services.appeal_decide(appeal=appeal, acting_user=officer, decision="rejected",
                           message="The post breaks rule 4.")
    attachment = appeal.attachments.first()
    before = StatusEvent.objects.count()
    _refused(_open(client, officer, attachment), 403, "no longer in the review queue")
    assert StatusEvent.objects.count() == before
    _served(_open(client, supervisor, attachment))


def test_other_roles_and_owners_have_no_evidence_permission(client, reviewer, appeal):
    attachment = appeal.attachments.first()
    for user in (reviewer, appeal.account):
        response = _open(client, user, attachment)
        assert response.status_code in (302, 403)  # the owner is sent to the admin login
    assert not StatusEvent.objects.filter(kind__in=VIEW_KINDS).exists()


def test_a_file_missing_from_storage_is_404_not_500(client, officer, appeal):
    attachment = appeal.attachments.first()
    attachment.file.storage.delete(attachment.file.name)
    _refused(_open(client, officer, attachment), 404, "missing from storage")
    assert not StatusEvent.objects.filter(kind__in=VIEW_KINDS).exists()


def test_a_session_is_one_summary_and_stays_off_the_owners_timeline(client, officer, appeal):
    files = list(appeal.attachments.all())
    for attachment in files * 3:
        _served(_open(client, officer, attachment))
    summary = StatusEvent.objects.get(kind="evidence_viewed")
    opened = StatusEvent.objects.filter(kind="evidence_opened").order_by("pk")
    assert [e.data["attachment"] for e in opened] == [a.pk for a in files * 3]
    assert {e.data["session"] for e in opened} == {summary.pk}
    assert not StatusEvent.OWNER_SEES_STAFF_VIEWS[StatusEvent.Kind.EVIDENCE_VIEWED]
    assert not {"evidence_viewed", "evidence_opened"} & {
        e.kind for e in account_timeline(appeal.account)}


def test_a_new_session_starts_once_a_claim_would_have_lapsed(officer, appeal, settings):
    attachment = appeal.attachments.first()
    now = timezone.now()
    for later in (timedelta(0), timedelta(minutes=1),
                  settings.PORTAL_APPEAL_CLAIM_TIMEOUT + timedelta(minutes=2)):
        services.appeal_evidence_viewed(attachment=attachment, acting_user=officer,
                                        now=now + later)
    assert StatusEvent.objects.filter(kind="evidence_viewed").count() == 2
    assert StatusEvent.objects.filter(kind="evidence_opened").count() == 3


@pytest.mark.django_db(transaction=True)
def test_files_loaded_at_once_start_one_session(officer, restricted_user, file_appeal):
    appeal = file_appeal(restricted_user.holds.get(),
                         files=[clean_image(f"{n}.jpg") for n in range(4)])
    results = run_together([
        lambda attachment=attachment: services.appeal_evidence_viewed(
            attachment=attachment, acting_user=officer)
        for attachment in appeal.attachments.all()
    ])
    assert not errors_of(results), errors_of(results)
    assert StatusEvent.objects.filter(kind="evidence_viewed").count() == 1
    assert StatusEvent.objects.filter(kind="evidence_opened").count() == 4
