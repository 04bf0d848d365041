"""The session, the account and the status page's fingerprint, read on every signed-in
request, are prepared statements (accounts/db.py) that mean what the ORM's queries meant."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts import db
from accounts.backends import LimitedAccountBackend
from accounts.models import Account, AccountSession

STATUS = "/"


def _prepared(fragment: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                       [f"%{fragment}%"])
        return cursor.fetchone()[0]


def _signed_in_page(client) -> str:
    response = client.get(STATUS)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db(transaction=True)  # a connection of its own: none prepared yet
def test_a_reload_prepares_its_three_reads_once_per_connection(client, frozen_user):
    connection.close()
    client.force_login(frozen_user)
    for _reload in range(3):
        assert 'data-testid="status-banner"' in _signed_in_page(client)
    assert _prepared('"session_data"') == 1
    assert _prepared('FROM "accounts_account" WHERE "accounts_account"."id"') == 1
    assert _prepared("string_agg(t::text") == 1


@pytest.mark.django_db(transaction=True)
def test_prepared_statements_can_be_turned_off(client, frozen_user, settings):
    settings.PORTAL_DATABASE_PREPARED_STATEMENTS = False  # behind a pooler that cannot keep them
    connection.close()
    client.force_login(frozen_user)
    _signed_in_page(client)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] == 0


def test_an_expired_session_signs_nobody_in(client, frozen_user):
    client.force_login(frozen_user)
    AccountSession.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(STATUS)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_unknown_session_key_signs_nobody_in(frozen_user):
    client = Client()
    client.cookies["sessionid"] = "x" * 32
    response = client.get(STATUS)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_account_is_the_one_the_orm_reads(frozen_user):
    from_orm = Account.objects.get(pk=frozen_user.pk)
    read = db.model_by_pk(Account, str(frozen_user.pk))  # the session keeps it as text
    assert read is not None and read.pk == frozen_user.pk and not read._state.adding
    for field in Account._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(from_orm, field.attname), field.name
    assert read.blocked_features and isinstance(read.blocked_features, list)  # JSON decoded
    assert read.status_changed_at.tzinfo is not None


@pytest.mark.parametrize("key", [None, "abc", "12.5", 10**12])
def test_a_missing_or_malformed_account_key_is_nobody(key, frozen_user):
    assert LimitedAccountBackend().get_user(key) is None


def test_a_closed_account_loses_its_session(client, frozen_user):
    client.force_login(frozen_user)
    Account.objects.filter(pk=frozen_user.pk).update(is_active=False)
    request = client.get(STATUS).wsgi_request
    assert not get_user(request).is_authenticated
