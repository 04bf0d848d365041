"""The broker is down while owners submit, file and get approved: nothing is lost.

A second portal process (gunicorn) points at a Redis port where nothing
listens. Owners submit a verification and file an appeal through its pages,
the platform places a hold through its API, and a reviewer approves a case
in its admin: every request answers without a 500, and the API's status is
right throughout. Then a Redis is started on that port with a relay and a
worker: every check, notice, email and webhook arrives, each exactly once.
"""

from __future__ import annotations

import email
import re
import time
from collections import Counter
from pathlib import Path

import pytest

from accounts.api import events
from accounts.api import services as api_services
from accounts.api.models import WebhookDelivery, WebhookEndpoint
from accounts.models import Account, Hold, Notice, OutboxMessage, StatusEvent
from appeals.models import Appeal
from tests.api.conftest import receiver  # noqa: F401  a real HTTP webhook receiver
from tests.conftest import PASSWORD
from tests.support import processes
from tests.support.servers import RedisServer, free_port
from tests.verification.conftest import in_review, make_request  # noqa: F401  fixtures
from verification.models import VerificationRequest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


@pytest.fixture
def dead_broker(tmp_path, monkeypatch):
    """A Redis that is not running yet, and this test process's outbox pointed at it too."""
    from accounts import outbox
    from portal.celery import app

    server = RedisServer(free_port(), tmp_path)
    monkeypatch.setattr(app.conf, "broker_url", server.url)
    monkeypatch.setattr(app.conf, "broker_write_url", server.url)
    outbox._drop_connection()
    yield server
    server.stop()
    outbox._drop_connection()
    outbox._breaker.open_until = 0


@pytest.fixture
def children(tmp_path):
    started: list[processes.Process] = []
    yield started
    for process in started:
        process.stop()
    for process in started:  # shown by pytest only when the test failed
        print(f"----- {process.name} -----\n{process.log()[-4000:]}")


def _api_status(web: processes.WebUser, key: str, account: Account) -> str:
    response = web.http.get(
        f"{web.base}/api/v1/accounts/{account.platform_account_id}/status",
        headers={"Authorization": f"Bearer {key}"}, timeout=30,
    )
    web.responses.append(response)
    assert response.status_code == 200, response.text
    return response.json()["status"]


def _assert_api_right(web, key, accounts) -> None:
    for account in accounts:
        account.refresh_from_db()
        assert _api_status(web, key, account) == account.status, account.username


def _emails(folder: Path) -> list[email.message.Message]:
    found = []
    for path in folder.glob("*.log"):
        for chunk in path.read_text().split("-" * 79):
            if chunk.strip():
                found.append(email.message_from_string(chunk.strip()))
    return found


def test_nothing_is_lost_while_the_broker_is_down(
    dead_broker, children, tmp_path, receiver, make_account, place_hold,  # noqa: F811
    make_request, in_review, reviewer,  # noqa: F811
):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = processes.portal_env(
        CELERY_BROKER_URL=dead_broker.url, EMAIL_BACKEND="django.core.mail.backends.filebased"
        ".EmailBackend", EMAIL_FILE_PATH=str(mail_dir),
    )
    WebhookEndpoint.objects.create(name="platform", url=receiver.url, secret=receiver.secret)
    _client, key = api_services.service_client_create(
        name="risk engine", scopes=["status:read", "holds:write"], acting_user=None
    )
    # The cast, set up while the broker is already down (their side effects wait too).
    submitter = make_account("sun")
    place_hold(submitter, "realname_missing")
    draft = make_request(submitter, number="440305198808084515")
    appellant = make_account("qian")
    contested = place_hold(appellant, "content_violation")
    newcomer = make_account("zhou")
    approved_owner = make_account("wu")
    place_hold(approved_owner, "realname_outdated")
    case = in_review(approved_owner, number="110101199003074477")

    web_process, base = processes.web(env, tmp_path)
    children.append(web_process)
    owners = [submitter, appellant, newcomer, approved_owner]

    # 1. An owner submits the verification.
    owner = processes.WebUser(base)
    owner.sign_in(submitter.username, PASSWORD)
    owner.post_form(f"/verification/{draft.pk}/step/review/", {})
    draft.refresh_from_db()
    assert draft.state == VerificationRequest.State.SUBMITTED
    _assert_api_right(owner, key, owners)

    # 2. Another owner files an appeal.
    appellant_web = processes.WebUser(base)
    appellant_web.sign_in(appellant.username, PASSWORD)
    appellant_web.post_form(f"/appeals/file/{contested.pk}/", {
        "category": Appeal.Category.WRONG_DECISION, "statement": "It was a quote, not mine.",
    })
    assert Appeal.objects.filter(hold=contested).exists()

    # 3. The platform places a hold through the API.
    response = owner.http.post(
        f"{base}/api/v1/accounts/{newcomer.platform_account_id}/holds",
        json={"reason": "suspicious_signin"}, headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    owner.responses.append(response)
    assert response.status_code == 201, response.text
    _assert_api_right(owner, key, owners)

    # 4. A reviewer approves a case in admin.
    staff = processes.WebUser(base)
    staff.sign_in(reviewer.username, PASSWORD, admin=True)
    change = f"/admin/verification/verificationrequest/{case.pk}/change/"
    staff.post_form(f"/admin/verification/verificationrequest/{case.pk}/claim/", {},
                    form_page=change)
    staff.post_form(f"/admin/verification/verificationrequest/{case.pk}/decide/",
                    {"decision": "approve", "message": ""}, form_page=change)
    case.refresh_from_db()
    assert case.state == VerificationRequest.State.APPROVED
    _assert_api_right(owner, key, owners)

    for user in (owner, appellant_web, staff):
        assert not user.server_errors()
    waiting = OutboxMessage.objects.filter(published_at__isnull=True, kind="task")
    waiting_count = waiting.count()
    assert waiting_count >= 10  # checks, triage, notices, emails, listeners: all kept

    # The broker comes back; a relay and a worker start on it.
    dead_broker.start()
    children.append(processes.relay(env, tmp_path))
    children.append(processes.worker(env, tmp_path))

    draft_done = processes.wait_until(
        lambda: VerificationRequest.objects.filter(
            pk=draft.pk, state__in=["in_review", "auto_rejected"]).first(),
        what="the submitted verification was checked")
    assert draft_done.checks.exists() and draft_done.checks_attempts == 1
    processes.wait_until(lambda: Appeal.objects.get(hold=contested).triaged_at,
                         what="the appeal was triaged")
    processes.wait_until(lambda: not OutboxMessage.objects.filter(
        published_at__isnull=True).exists(), what="the outbox is empty")

    # Every notice exists once and was emailed once.
    notices = Notice.objects.filter(account__in=owners)
    processes.wait_until(lambda: not notices.filter(emailed_at__isnull=True).exists(),
                         what="every notice was emailed")
    hold_notices = notices.exclude(dedupe_key=None)
    expected = Hold.objects.filter(account__in=owners).count()
    assert hold_notices.count() >= expected
    # A notice is marked emailed when its send is claimed, just before the mail
    # is written: wait for the mail itself, then give a duplicate time to show.
    processes.wait_until(lambda: len(_emails(mail_dir)) >= notices.count(),
                         what="every notice's email was written")
    time.sleep(1)
    sent = Counter((m["To"], m["Subject"]) for m in _emails(mail_dir))
    assert sum(sent.values()) == notices.count()
    assert set(sent.values()) == {1}

    # Every webhook of the catalogue arrived once, verified.
    webhook_events = StatusEvent.objects.filter(account__in=owners, kind__in=events.KINDS)
    processes.wait_until(lambda: WebhookDelivery.objects.filter(
        state="delivered").count() >= webhook_events.count(), what="webhooks delivered")
    ids = Counter(r["event_id"] for r in receiver.received)
    assert set(ids) == {events.message_id(pk) for pk in webhook_events.values_list("pk",
                                                                                  flat=True)}
    assert set(ids.values()) == {1}
    assert all(r["valid"] for r in receiver.received)

    # And the API still tells the truth.
    _assert_api_right(owner, key, owners)
    assert not re.search(r"Traceback", "".join(p.log() for p in children[:1]))
