"""JSON log lines carry the request id, and in a worker the Celery task id too."""

from __future__ import annotations

import copy
import io
import json
import logging
import logging.config
import uuid
from collections.abc import Iterator

import pytest
from celery import shared_task
from django.conf import settings
from django_guid import clear_guid, set_guid

from tests.conftest import wait_for

logger = logging.getLogger("tests.ops")


@shared_task(name="tests.ops.log_a_line")
def log_a_line() -> None:
    logger.warning("inside the task")


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Log through the project's LOGGING, JSON formatter, into a buffer."""
    stream = io.StringIO()
    config = copy.deepcopy(settings.LOGGING)
    config["handlers"]["console"]["formatter"] = "json"
    config["handlers"]["console"]["stream"] = stream
    logging.config.dictConfig(config)
    yield stream
    logging.config.dictConfig(settings.LOGGING)


def records(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


@pytest.mark.django_db
def test_a_request_logs_json_with_the_id_the_proxy_sent(client, json_lines):
    request_id = uuid.uuid4().hex

    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID=request_id)

    assert response.status_code == 404
    assert response["X-Request-ID"] == request_id
    [line] = [r for r in records(json_lines) if r["logger"] == "django.request"]
    assert line["level"] == "WARNING"
    assert line["request_id"] == request_id
    assert line["task_id"] is None
    assert "/no-such-page/" in line["message"]


@pytest.mark.django_db
def test_a_request_without_an_id_gets_one(client, json_lines):
    response = client.get("/no-such-page/")
    [line] = [r for r in records(json_lines) if r["logger"] == "django.request"]
    assert line["request_id"] == response["X-Request-ID"]
    assert len(line["request_id"]) == 32


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_task_logs_its_own_id_and_the_id_of_the_request_that_sent_it(celery_worker, json_lines):
    request_id = uuid.uuid4().hex
    set_guid(request_id)  # as the middleware does while a request is handled
    try:
        result = log_a_line.apply_async(queue="notify")
    finally:
        clear_guid()

    def task_line():
        return [r for r in records(json_lines) if r["message"] == "inside the task"]

    [line] = wait_for(task_line)
    assert line["task_id"] == result.id
    assert line["task_name"] == "tests.ops.log_a_line"
    assert line["request_id"] == request_id
