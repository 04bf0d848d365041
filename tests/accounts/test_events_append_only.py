"""The event log is append-only: in the model, the queryset and the database."""

import pytest
from django.db import DatabaseError, connection, transaction

from accounts import services
from accounts.models import StatusEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(restricted_user) -> StatusEvent:
    return StatusEvent.objects.filter(account=restricted_user).first()


def test_saving_an_existing_event_is_refused(event):
    event.data = {"tampered": True}
    with pytest.raises(TypeError):
        event.save()
    assert "tampered" not in StatusEvent.objects.get(pk=event.pk).data


def test_deleting_an_event_is_refused(event):
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        StatusEvent.objects.filter(pk=event.pk).delete()
    assert StatusEvent.objects.filter(pk=event.pk).exists()


def test_bulk_update_is_refused(event):
    with pytest.raises(TypeError):
        StatusEvent.objects.filter(pk=event.pk).update(kind="hold_lifted")


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE accounts_statusevent SET kind = 'x' WHERE id = %s",
        "DELETE FROM accounts_statusevent WHERE id = %s",
    ],
)
def test_database_trigger_refuses_raw_update_and_delete(event, sql):
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert StatusEvent.objects.get(pk=event.pk).kind == event.kind


def test_unknown_event_kind_is_refused(active_user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        services.event_record(account=active_user, kind="made_up", acting_user=None)
    assert error.value.code == "unknown_kind"
    assert not StatusEvent.objects.filter(account=active_user).exists()
