"""Private files on S3-compatible object storage (moto's server on 127.0.0.1).

What more than one web or worker host needs: a photo uploaded through one
host is read back by another from the same bucket, and retention deletes it
there. Each test gets a fresh bucket (``s3_private_storage``).
"""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from appeals.models import Appeal
from tests.appeals.conftest import image_bytes, upload
from tests.conftest import staff_two_step_pass
from tests.support import verification as wizard
from tests.verification.conftest import in_review, make_request  # noqa: F401 - fixtures
from tests.verification.pictures import card_jpeg
from verification import images, services
from verification.models import VerificationRequest

pytestmark = pytest.mark.django_db


def bucket_objects(options: dict) -> dict[str, bytes]:
    """Every object in the test's bucket, read straight from the S3 server."""
    client = boto3.client(
        "s3", endpoint_url=options["endpoint_url"], region_name=options["region_name"],
        aws_access_key_id=options["access_key"], aws_secret_access_key=options["secret_key"])
    listing = client.list_objects_v2(Bucket=options["bucket_name"]).get("Contents", [])
    return {
        item["Key"]: client.get_object(Bucket=options["bucket_name"], Key=item["Key"])["Body"].read()
        for item in listing
    }


def key_of(options: dict, name: str) -> str:
    return f"{options['location']}/{name}"


def test_an_identity_photo_uploaded_through_the_wizard_lands_in_the_bucket(
    s3_private_storage, client, make_account, place_hold
):
    owner = make_account(language="en")
    place_hold(owner, "realname_missing")
    request = wizard.draft(owner)
    client.force_login(owner)

    response = client.post(reverse("verification:step", args=[request.pk, "front"]),
                           {"photo": upload("front.jpg", card_jpeg(3))})

    assert response.status_code == 302
    image = request.images.get(kind="front")
    stored = bucket_objects(s3_private_storage)
    assert list(stored) == [key_of(s3_private_storage, image.name)]
    assert stored[key_of(s3_private_storage, image.name)] == images.load(image.name)
    assert stored[key_of(s3_private_storage, image.name)][:3] == b"\xff\xd8\xff"  # a JPEG


def test_staff_view_reads_the_identity_image_back_from_the_bucket(
    s3_private_storage, in_review, reviewer, client  # noqa: F811
):
    request = in_review()
    front = request.images.get(kind="front")
    client.force_login(reviewer)
    staff_two_step_pass(client, reviewer)

    response = client.get(reverse("verification:staff_image", args=[front.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response.content == bucket_objects(s3_private_storage)[
        key_of(s3_private_storage, front.name)]


def test_appeal_evidence_is_stored_in_the_bucket_and_downloaded_from_it(
    s3_private_storage, client, restricted_user
):
    hold = restricted_user.holds.get()
    client.force_login(restricted_user)
    photo = image_bytes(size=(640, 480))

    response = client.post(reverse("appeals:file", args=[hold.pk]), {
        "category": "wrong_decision", "statement": "The post was satire.",
        "evidence": [upload("proof.jpg", photo)]})

    assert response.status_code == 302
    attachment = Appeal.objects.get().attachments.get()
    stored = bucket_objects(s3_private_storage)
    assert list(stored) == [key_of(s3_private_storage, attachment.file.name)]
    download = client.get(reverse("appeals:attachment", args=[attachment.appeal_id, attachment.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == stored[
        key_of(s3_private_storage, attachment.file.name)]


def test_retention_deletes_the_identity_images_from_the_bucket(
    s3_private_storage, in_review, reviewer, settings  # noqa: F811
):
    request = in_review()
    services.verification_reject(request=request, acting_user=reviewer, reason="other",
                                  message="The photo is not of a document.")
    names = [key_of(s3_private_storage, n) for n in request.images.values_list("name", flat=True)]
    assert set(names) <= set(bucket_objects(s3_private_storage))
    later = timezone.now() + timedelta(days=settings.PORTAL_IMAGE_RETENTION_DAYS + 1)

    with TestCase.captureOnCommitCallbacks(execute=True):
        assert services.verification_images_purge(now=later) == 1

    assert not set(names) & set(bucket_objects(s3_private_storage))
    request.refresh_from_db()
    assert request.images_purged_at is not None
    assert request.state == VerificationRequest.State.REJECTED
