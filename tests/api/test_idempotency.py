"""Two concurrent identical requests with one idempotency key place one hold."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from rest_framework.test import APIClient

from accounts.models import Hold

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_identical_requests_place_one_hold(make_client, active_user):
    keyed = make_client()
    url = f"/api/v1/accounts/{active_user.platform_account_id}/holds"
    barrier = threading.Barrier(2)
    responses = []

    def post():
        http = APIClient()  # each thread gets its own database connection
        http.credentials(HTTP_AUTHORIZATION=f"Bearer {keyed.key}")
        try:
            barrier.wait(timeout=10)
            responses.append(http.post(url, {"reason": "content_violation"}, format="json",
                                       HTTP_IDEMPOTENCY_KEY="retry-123"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(r.status_code for r in responses) == [200, 201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert Hold.objects.filter(account=active_user).count() == 1
