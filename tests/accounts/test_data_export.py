"""Download my data: everything the owner may take, never staff notes, whatever the status."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from appeals import services as appeal_services
from appeals.models import Appeal

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_with_history(banned_user, officer):
    hold = banned_user.holds.get()
    hold.__class__.objects.filter(pk=hold.pk).update(internal_note="RISK-SCORE-97")
    appeal = appeal_services.appeal_file(account=banned_user, hold=hold, category="other",
                                         statement="I never sold it.", acting_user=banned_user)
    appeal_services.appeal_staff_message(appeal=appeal, acting_user=officer,
                                         body="STAFF-ONLY NOTE", internal=True)
    appeal_services.appeal_staff_message(appeal=appeal, acting_user=officer,
                                         body="We are looking at it.")
    appeal_services.support_open(account=banned_user, hold=None, body="Where is my balance?",
                                 acting_user=banned_user)
    return banned_user


def test_a_banned_owner_downloads_everything_but_staff_notes(client, owner_with_history):
    client.force_login(owner_with_history)
    assert client.get(reverse("accounts:data")).status_code == 200
    response = client.post(reverse("accounts:data_download", args=["json"]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="my-data-')
    body = response.content.decode()
    data = json.loads(body)
    assert data["account"]["status"] == "banned"
    assert data["holds"][0]["reason"] == "severe_violation"
    assert data["holds"][0]["statement_of_reasons"]["rule"] == "ACC-2"
    kinds = {case["kind"] for case in data["cases"]}
    assert kinds == {Appeal.Kind.APPEAL, Appeal.Kind.SUPPORT}
    texts = [m["text"] for case in data["cases"] for m in case["messages"]]
    assert "We are looking at it." in texts and "Where is my balance?" in texts
    assert "STAFF-ONLY NOTE" not in body and "RISK-SCORE-97" not in body
    assert "internal_note" not in body and '"officer"' not in body
    assert any(event["kind"] == "hold_placed" for event in data["events"])


def test_the_readable_page_and_the_download_is_in_the_timeline(client, owner_with_history):
    client.force_login(owner_with_history)
    response = client.post(reverse("accounts:data_download", args=["html"]),
                           HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert "I never sold it." in html and "STAFF-ONLY NOTE" not in html
    assert owner_with_history.status_events.filter(kind="data_exported").count() == 1


def test_a_download_needs_a_post(client, frozen_user):
    client.force_login(frozen_user)
    assert client.get(reverse("accounts:data_download", args=["json"])).status_code == 405


def test_only_the_two_formats_are_downloads(client, frozen_user):
    """Whatever follows the dot reaches the file name: only json and html are routes."""
    client.force_login(frozen_user)
    home = reverse("accounts:data_download", args=["json"]).rsplit(".", 1)[0]
    for fmt in ('x";foo=1', "csv", "json%0d%0aSet-Cookie:a=b", "JSON"):
        assert client.post(f"{home}.{fmt}").status_code == 404, fmt
    assert not frozen_user.status_events.filter(kind="data_exported").exists()
