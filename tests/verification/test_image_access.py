"""Staff open identity images only for submitted cases they may work, and
each review session is one event in the owner's timeline (every opening is
still recorded, staff-only).

The rule: never a draft; a reviewer, a case in review not under a
colleague's live claim; a supervisor, any submitted case that still has its
images. A refusal writes nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import StatusEvent
from accounts.selectors import account_timeline
from tests.conftest import _staff, errors_of, run_together, staff_two_step_pass
from verification import services
from verification.models import VerificationRequest

pytestmark = pytest.mark.django_db
State = VerificationRequest.State


@pytest.fixture
def colleague(db):
    return _staff("rev2", "reviewer")


def _url(image) -> str:
    return reverse("verification:staff_image", args=[image.pk])


def _front(vr):
    return vr.images.get(kind="front")


def _open(client, user, image):
    client.force_login(user)
    staff_two_step_pass(client, user)
    return client.get(_url(image))


def _refused(response, status: int, words: str) -> None:
    assert response.status_code == status
    page = response.content.decode()
    assert 'data-testid="file-unavailable"' in page and words in page, page[-1500:]


def _served(response) -> None:
    assert response.status_code == 200, response.content[-800:]
    assert response["Content-Type"] == "image/jpeg"
    assert response.content[:3] == b"\xff\xd8\xff"


# ---------------------------------------------------------------------------
# Who may open which case's images
# ---------------------------------------------------------------------------
def test_nobody_opens_a_draft(make_request, client, reviewer, supervisor, admin_user):
    vr = make_request()
    for staff in (reviewer, supervisor, admin_user):
        _refused(_open(client, staff, _front(vr)), 403, "still the owner&#x27;s draft")
    assert not StatusEvent.objects.filter(kind__in=["id_images_viewed", "id_image_opened"]) \
        .exists()


def test_a_case_not_yet_in_review_is_for_supervisors_only(make_request, client, reviewer,
                                                          supervisor):
    vr = make_request(submit=True)
    assert vr.state == State.SUBMITTED
    _refused(_open(client, reviewer, _front(vr)), 403, "no longer in the review queue")
    _served(_open(client, supervisor, _front(vr)))


def test_a_reviewer_opens_an_unclaimed_case_in_review(in_review, client, reviewer):
    _served(_open(client, reviewer, _front(in_review())))


def test_a_colleagues_live_claim_refuses_other_reviewers(in_review, client, reviewer,
                                                        colleague, supervisor):
    vr = in_review()
    services.verification_claim(request=vr, acting_user=colleague)
    before = StatusEvent.objects.count()
    _refused(_open(client, reviewer, _front(vr)), 403, "rev2 has claimed this case")
    assert StatusEvent.objects.count() == before  # a refusal writes nothing
    _served(_open(client, colleague, _front(vr)))
    _served(_open(client, supervisor, _front(vr)))


def test_a_lapsed_claim_no_longer_refuses(in_review, client, reviewer, colleague):
    vr = in_review()
    services.verification_claim(request=vr, acting_user=colleague,
                                now=timezone.now() - timedelta(hours=2))
    _served(_open(client, reviewer, _front(vr)))


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_decided_cases_are_for_supervisors_only(in_review, client, reviewer, supervisor,
                                                decision):
    vr = in_review()
    if decision == "approve":
        services.verification_approve(request=vr, acting_user=reviewer)
    else:
        services.verification_reject(request=vr, acting_user=reviewer, reason="photo_unclear")
    before = StatusEvent.objects.count()
    _refused(_open(client, reviewer, _front(vr)), 403, "no longer in the review queue")
    assert StatusEvent.objects.count() == before
    _served(_open(client, supervisor, _front(vr)))


def test_owners_and_other_roles_have_no_image_permission(in_review, client, officer):
    vr = in_review()
    for user in (vr.account, officer):
        assert _open(client, user, _front(vr)).status_code == 403
    assert not StatusEvent.objects.filter(kind__in=["id_images_viewed", "id_image_opened"]) \
        .exists()


def test_an_unknown_image_id_is_404(client, reviewer):
    client.force_login(reviewer)
    assert client.get(reverse("verification:staff_image", args=[999_999])).status_code == 404


def test_a_purged_image_is_410_and_records_nothing(in_review, client, supervisor):
    vr = in_review()
    services.verification_approve(request=vr, acting_user=supervisor)
    services.verification_images_purge(now=timezone.now() + timedelta(days=365))
    image = _front(vr)
    image.refresh_from_db()
    assert image.name == ""
    _refused(_open(client, supervisor, image), 410, "deleted after the retention period")
    assert not StatusEvent.objects.filter(kind__in=["id_images_viewed", "id_image_opened"]) \
        .exists()


def test_a_file_missing_from_storage_is_404_not_500(in_review, client, reviewer,
                                                    _private_media):
    vr = in_review()
    image = _front(vr)
    (_private_media / image.name).unlink()
    _refused(_open(client, reviewer, image), 404, "missing from storage")
    assert not StatusEvent.objects.filter(kind="id_image_opened").exists()


# ---------------------------------------------------------------------------
# One event per reviewer, case and review session in the owner's timeline
# ---------------------------------------------------------------------------
def test_a_review_of_twelve_image_loads_is_one_timeline_event(in_review, client, reviewer):
    vr = in_review()
    images = list(vr.images.all())
    loads = (images * 12)[:12]
    for image in loads:
        _served(_open(client, reviewer, image))
    summaries = StatusEvent.objects.filter(account=vr.account, kind="id_images_viewed")
    assert summaries.count() == 1
    summary = summaries.get()
    assert summary.acting_user == reviewer and summary.data == {"request": vr.pk}
    # Every opening is kept for the audit, naming the image and its session.
    opened = StatusEvent.objects.filter(account=vr.account, kind="id_image_opened") \
        .order_by("pk")
    assert [(e.data["image_id"], e.data["session"]) for e in opened] == [
        (image.pk, summary.pk) for image in loads]
    assert all(e.acting_user == reviewer and e.data["request"] == vr.pk for e in opened)
    # The owner sees the one summary, never the openings.
    timeline = [e.kind for e in account_timeline(vr.account)]
    assert timeline.count("id_images_viewed") == 1 and "id_image_opened" not in timeline
    client.force_login(vr.account)
    page = client.get(reverse("accounts:status")).content.decode()
    assert page.count("Staff viewed identity images") == 1


def test_each_reviewer_has_a_session_of_their_own(in_review, client, reviewer, supervisor):
    vr = in_review()
    for staff in (reviewer, supervisor, reviewer, supervisor):
        _served(_open(client, staff, _front(vr)))
    viewers = list(StatusEvent.objects.filter(kind="id_images_viewed")
                   .values_list("acting_user__username", flat=True).order_by("pk"))
    assert viewers == [reviewer.username, supervisor.username]


def test_a_new_session_starts_once_a_claim_would_have_lapsed(in_review, reviewer, settings):
    vr = in_review()
    image = _front(vr)
    now = timezone.now()
    services.verification_images_viewed(request=vr, acting_user=reviewer, image=image, now=now)
    services.verification_images_viewed(
        request=vr, acting_user=reviewer, image=image,
        now=now + settings.PORTAL_VERIFICATION_CLAIM_TIMEOUT - timedelta(seconds=5))
    assert StatusEvent.objects.filter(kind="id_images_viewed").count() == 1
    services.verification_images_viewed(
        request=vr, acting_user=reviewer, image=image,
        now=now + settings.PORTAL_VERIFICATION_CLAIM_TIMEOUT + timedelta(minutes=1))
    assert StatusEvent.objects.filter(kind="id_images_viewed").count() == 2
    assert StatusEvent.objects.filter(kind="id_image_opened").count() == 3


def test_the_service_refuses_and_records_nothing_for_a_draft(make_request, supervisor):
    vr = make_request()
    with pytest.raises(Exception) as refused:
        services.verification_images_viewed(request=vr, acting_user=supervisor,
                                            image=_front(vr))
    assert getattr(refused.value, "code", None) == "not_submitted"
    assert not StatusEvent.objects.filter(kind__in=["id_images_viewed", "id_image_opened"]) \
        .exists()


@pytest.mark.django_db(transaction=True)
def test_images_loaded_at_once_by_one_page_start_one_session(in_review, reviewer):
    vr = in_review()
    images = list(vr.images.all())[:6]

    def load(image):
        return lambda: services.verification_images_viewed(request=vr, acting_user=reviewer,
                                                           image=image)

    results = run_together([load(image) for image in images])
    assert not errors_of(results), errors_of(results)
    assert StatusEvent.objects.filter(kind="id_images_viewed").count() == 1
    assert StatusEvent.objects.filter(kind="id_image_opened").count() == len(images)


def test_the_case_page_says_why_images_are_not_shown(in_review, client, reviewer, colleague):
    vr = in_review()
    services.verification_claim(request=vr, acting_user=colleague)
    client.force_login(reviewer)
    page = client.get(reverse("admin:verification_verificationrequest_change",
                              args=[vr.pk])).content.decode()
    assert 'data-testid="images-refused"' in page and "rev2 has claimed this case" in page
    assert _url(_front(vr)) not in page
    client.force_login(colleague)
    staff_two_step_pass(client, colleague)
    page = client.get(reverse("admin:verification_verificationrequest_change",
                              args=[vr.pk])).content.decode()
    assert _url(_front(vr)) in page
