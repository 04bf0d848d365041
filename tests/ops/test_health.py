"""/health/ answers load balancers: database, cache, private storage, broker."""

import pytest

from portal.celery import app

pytestmark = pytest.mark.django_db


def test_health_is_ok_when_every_service_answers(client):
    response = client.get("/health/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    results = response.json()
    assert set(results.values()) == {"OK"}
    assert {name.split("(")[0] for name in results} == {"Database", "Cache", "Storage", "Broker"}
    assert "no-cache" in response["Cache-Control"]


def test_health_fails_when_the_broker_is_unreachable(client, monkeypatch):
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:9/0")
    monkeypatch.setattr(app.conf, "broker_write_url", "redis://127.0.0.1:9/0")

    response = client.get("/health/", HTTP_ACCEPT="application/json")

    assert response.status_code == 500
    broker = [value for name, value in response.json().items() if name.startswith("Broker")]
    assert broker == ["Unavailable: Broker unreachable"]
