"""The staff queue in Django admin: order, filters, claim, the case page, decisions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Hold
from tests.conftest import staff_two_step_pass
from verification import services
from verification.models import VerificationRequest

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:verification_verificationrequest_changelist")


def _change(pk):
    return reverse("admin:verification_verificationrequest_change", args=[pk])


def _login(client, user):
    client.force_login(user)
    staff_two_step_pass(client, user)


def test_queue_lists_oldest_due_first_and_filters(in_review, reviewer, client):
    late, early = in_review(), in_review()
    VerificationRequest.objects.filter(pk=early.pk).update(
        sla_due_at=timezone.now() - timedelta(hours=1))
    _login(client, reviewer)
    page = client.get(CHANGELIST).content.decode()
    assert page.index(f"#{early.pk} ") < page.index(f"#{late.pk} ")
    breached = client.get(CHANGELIST + "?sla=breached").content.decode()
    assert f"#{early.pk} " in breached and f"#{late.pk} " not in breached
    services.verification_claim(request=late, acting_user=reviewer)
    mine = client.get(CHANGELIST + "?claim=mine").content.decode()
    assert f"#{late.pk} " in mine and f"#{early.pk} " not in mine
    unassigned = client.get(CHANGELIST + "?claim=unassigned").content.decode()
    assert f"#{early.pk} " in unassigned and f"#{late.pk} " not in unassigned


def test_case_page_shows_images_checks_holds_and_timeline(in_review, make_account, place_hold,
                                                          reviewer, client):
    account = make_account(language="en")
    place_hold(account, "realname_missing")
    vr = in_review(account)
    _login(client, reviewer)
    page = client.get(_change(vr.pk)).content.decode()
    for image in vr.images.all():
        assert reverse("verification:staff_image", args=[image.pk]) in page
    assert "Sharpness" in page and "front_sharpness" not in page  # in words, not codes
    assert "A face in the liveness frames" in page
    assert "1101**********002X" in page
    assert str(Hold.objects.get(account=account).catalog.title) in page
    assert "data-testid=\"claim\"" in page and "data-testid=\"approve\"" in page


def test_case_page_shows_typed_beside_read_with_differences_and_the_flattened_cards(
        in_review, reviewer, client):
    from verification.models import DocumentReading
    from verification.services.document import verification_document_read

    from .pictures import card_jpeg

    vr = in_review(name="王晓明", front=card_jpeg(71, name="王小明"))
    for image in vr.images.filter(kind__in=["front", "back"]):
        verification_document_read(image_id=image.pk)  # already read by the checks: reused
    _login(client, reviewer)
    page = client.get(_change(vr.pk)).content.decode()
    name_row = page[page.index('data-field="name"'):].split("</tr>")[0]
    assert 'data-testid="differs"' in name_row and "王晓明" in name_row and "王小明" in name_row
    number_row = page[page.index('data-field="number"'):].split("</tr>")[0]
    assert "differs" not in number_row and "1101**********002X" in number_row
    crops = DocumentReading.objects.filter(image__request=vr).values_list("crop_id", flat=True)
    for crop in crops:
        url = reverse("verification:staff_image", args=[crop])
        assert url in page
        served = client.get(url)  # the same permission-checked, audited view as the originals
        assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
        assert served.content[:3] == b"\xff\xd8\xff"
    from accounts.models import StatusEvent

    # Every opening is audited (staff-only), the details on the page too; the
    # review session is one timeline row.
    opened = StatusEvent.objects.filter(account=vr.account, kind="id_image_opened")
    assert {e.data.get("image") or e.data["details"] for e in opened} == {
        "typed_and_read", "front_card", "back_card"}
    assert StatusEvent.objects.filter(account=vr.account, kind="id_images_viewed").count() == 1
    assert "The name on the card differs from the name typed." in page


def test_identity_details_need_the_code_and_are_recorded(in_review, reviewer, client):
    """Name, number, birth date and address, typed and read, are identity data:
    the page shows them under the images' rule, and each showing is recorded."""
    from accounts.models import StatusEvent

    vr = in_review()
    client.force_login(reviewer)  # signed in, no two-step code entered
    page = client.get(_change(vr.pk)).content.decode()
    assert 'data-testid="details-hidden"' in page and 'data-field="name"' not in page
    assert vr.legal_name not in page
    opened = StatusEvent.objects.filter(account=vr.account, kind="id_image_opened")
    assert not opened.exists()
    _login(client, reviewer)
    page = client.get(_change(vr.pk)).content.decode()
    assert 'data-field="name"' in page and vr.legal_name in page
    assert [e.data for e in opened] == [
        {"request": vr.pk, "session": opened.get().data["session"], "details": "typed_and_read"}]


def test_case_page_speaks_the_reviewers_language(in_review, reviewer, client):
    vr = in_review()
    _login(client, reviewer)
    client.cookies["django_language"] = "zh-hans"
    page = client.get(_change(vr.pk), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "清晰度" in page  # "Sharpness"


def test_claim_blocks_a_second_reviewer_in_admin(in_review, reviewer, supervisor, client):
    vr = in_review()
    _login(client, reviewer)
    client.post(reverse("admin:verification_verificationrequest_claim", args=[vr.pk]))
    vr.refresh_from_db()
    assert vr.claimed_by == reviewer
    _login(client, supervisor)
    page = client.get(_change(vr.pk)).content.decode()
    assert "claimed-by-other" in page and "data-testid=\"approve\"" not in page
    response = client.post(reverse("admin:verification_verificationrequest_decide", args=[vr.pk]),
                           {"decision": "approve"}, follow=True)
    assert "you cannot act on it" in response.content.decode()
    vr.refresh_from_db()
    assert vr.state == "in_review"


def test_reviewer_approves_from_admin_and_holds_are_lifted(in_review, make_account, place_hold,
                                                           reviewer, client):
    account = make_account(language="en")
    place_hold(account, "realname_missing")
    vr = in_review(account)
    _login(client, reviewer)
    client.post(reverse("admin:verification_verificationrequest_claim", args=[vr.pk]))
    response = client.post(reverse("admin:verification_verificationrequest_decide", args=[vr.pk]),
                           {"decision": "approve", "message": "已通过"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.status == "active"


def test_reviewer_rejects_with_a_reason_template(in_review, reviewer, client):
    vr = in_review()
    _login(client, reviewer)
    client.post(reverse("admin:verification_verificationrequest_decide", args=[vr.pk]),
                {"decision": "reject:document_expired", "message": "证件已过期"})
    vr.refresh_from_db()
    assert vr.state == "rejected" and vr.decision_reason == "document_expired"


def test_staff_without_verification_permissions_cannot_open_the_queue(officer, client):
    _login(client, officer)
    assert client.get(CHANGELIST).status_code == 403
