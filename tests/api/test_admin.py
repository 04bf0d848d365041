"""Admin: keys shown once on creation, revocation, the delivery log and re-send."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from rest_framework.test import APIClient

from accounts.api import services as api_services
from accounts.api.models import ServiceClient, WebhookDelivery, WebhookEndpoint
from accounts.models import StatusEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_creating_a_client_shows_the_key_once_and_it_works(staff_client, active_user):
    response = staff_client.post("/admin/api/serviceclient/add/",
                                 {"name": "risk engine", "scopes": ["status:read"]}, follow=True)
    assert response.status_code == 200
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    key = next(m for t in texts if (m := re.search(r"psk_\w+_[\w-]+", t))).group(0)
    client = ServiceClient.objects.get()
    assert client.scopes == ["status:read"] and client.key_hash != key

    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert http.get(f"/api/v1/accounts/{active_user.platform_account_id}/status").status_code == 200
    # The change page never shows the key again.
    page = staff_client.get(f"/admin/api/serviceclient/{client.pk}/change/")
    assert key not in page.content.decode()


def test_revoke_action(staff_client, make_client):
    keyed = make_client()
    staff_client.post("/admin/api/serviceclient/", {
        "action": "revoke", "_selected_action": [keyed.client.pk],
    })
    keyed.client.refresh_from_db()
    assert keyed.client.revoked_at is not None


def test_delivery_log_lists_and_resends(staff_client, frozen_user):
    endpoint = WebhookEndpoint.objects.create(name="platform", url="http://127.0.0.1:1/x")
    event = StatusEvent.objects.get(account=frozen_user, kind=StatusEvent.Kind.STATUS_CHANGED)
    (delivery,) = api_services.webhook_deliveries_create(event)

    page = staff_client.get("/admin/api/webhookdelivery/")
    assert page.status_code == 200 and str(endpoint) in page.content.decode()
    assert staff_client.get(f"/admin/api/webhookdelivery/{delivery.pk}/change/").status_code == 200

    staff_client.post("/admin/api/webhookdelivery/", {
        "action": "resend", "_selected_action": [delivery.pk],
    })
    resend = WebhookDelivery.objects.get(manual=True)
    assert resend.attempt == 2 and resend.body == delivery.body
