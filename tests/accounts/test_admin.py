"""Staff place and lift holds in admin; the forms call the services."""

import pytest
from django.urls import reverse

from accounts.models import Hold, StatusEvent

pytestmark = pytest.mark.django_db


def test_supervisor_places_a_hold_from_the_account_page(client, supervisor, active_user):
    client.force_login(supervisor)
    url = reverse("admin:accounts_account_place_hold", args=[active_user.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "content_violation", "public_message": "Post 42"})
    assert response.status_code == 302
    hold = Hold.objects.get(account=active_user)
    assert hold.placed_by == supervisor and hold.source == "staff"
    active_user.refresh_from_db()
    assert active_user.status == "restricted"


def test_bad_admin_input_shows_the_service_error_and_writes_nothing(
    client, supervisor, active_user
):
    client.force_login(supervisor)
    url = reverse("admin:accounts_account_place_hold", args=[active_user.pk])
    response = client.post(
        url,
        {"reason": "content_violation", "deadline": "2030-01-01 10:00"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert "cannot be set" in response.content.decode()
    assert not Hold.objects.filter(account=active_user).exists()


def test_bulk_place_action_places_one_hold_per_selected_account(client, supervisor, make_account):
    client.force_login(supervisor)
    accounts = [make_account(), make_account()]
    response = client.post(
        reverse("admin:accounts_account_changelist"),
        {
            "action": "place_hold",
            "_selected_action": [a.pk for a in accounts],
            "apply": "1",
            "reason": "bulk_activity",
            "level": "frozen",
        },
    )
    assert response.status_code == 302
    assert Hold.objects.filter(account__in=accounts, level="frozen").count() == 2


def test_lift_action_lifts_and_records_who(client, supervisor, restricted_user):
    client.force_login(supervisor)
    hold = Hold.objects.get(account=restricted_user)
    client.post(
        reverse("admin:accounts_hold_changelist"),
        {"action": "lift_holds", "_selected_action": [hold.pk]},
    )
    hold.refresh_from_db()
    assert hold.lifted_by == supervisor and hold.lift_reason == "staff"
    restricted_user.refresh_from_db()
    assert restricted_user.status == "active"


def test_appeals_officer_cannot_lift_a_ban(client, officer, banned_user):
    client.force_login(officer)
    hold = Hold.objects.get(account=banned_user)
    response = client.post(
        reverse("admin:accounts_hold_lift", args=[hold.pk]),
        {"lift_reason": "staff"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Only a supervisor" in response.content.decode()
    hold.refresh_from_db()
    assert hold.is_active


def test_lift_is_offered_only_to_who_may_lift_the_hold(client, officer, supervisor, banned_user,
                                                       restricted_user):
    ban = Hold.objects.get(account=banned_user)
    content = Hold.objects.get(account=restricted_user)
    lift = reverse("admin:accounts_hold_lift", args=[ban.pk])
    client.force_login(officer)
    assert lift not in client.get(reverse("admin:accounts_hold_change", args=[ban.pk])
                                  ).content.decode()
    assert reverse("admin:accounts_hold_lift", args=[content.pk]) in client.get(
        reverse("admin:accounts_hold_change", args=[content.pk])).content.decode()
    client.force_login(supervisor)
    assert lift in client.get(reverse("admin:accounts_hold_change", args=[ban.pk])
                              ).content.decode()


def test_supervisor_can_lift_a_ban(client, supervisor, banned_user):
    client.force_login(supervisor)
    hold = Hold.objects.get(account=banned_user)
    client.post(reverse("admin:accounts_hold_lift", args=[hold.pk]), {"lift_reason": "staff"})
    hold.refresh_from_db()
    assert not hold.is_active


def test_events_are_read_only_in_admin(client, admin_user, restricted_user):
    client.force_login(admin_user)
    event = StatusEvent.objects.filter(account=restricted_user).first()
    change = client.post(
        reverse("admin:accounts_statusevent_change", args=[event.pk]), {"kind": "x"}
    )
    assert change.status_code == 403
    delete = client.post(
        reverse("admin:accounts_statusevent_delete", args=[event.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert StatusEvent.objects.get(pk=event.pk).kind == event.kind


def test_status_fields_cannot_be_edited_in_admin(client, admin_user, restricted_user):
    client.force_login(admin_user)
    html = client.get(
        reverse("admin:accounts_account_change", args=[restricted_user.pk])
    ).content.decode()
    assert 'name="status"' not in html and 'name="blocked_features"' not in html


def test_account_changelist_filters_by_status_and_reason(
    client, admin_user, restricted_user, frozen_user
):
    client.force_login(admin_user)
    url = reverse("admin:accounts_account_changelist")
    by_status = client.get(url, {"status__exact": "frozen"}).content.decode()
    assert frozen_user.username in by_status and restricted_user.username not in by_status
    by_reason = client.get(url, {"hold_reason": "content_violation"}).content.decode()
    assert restricted_user.username in by_reason and frozen_user.username not in by_reason


def test_staff_cannot_record_a_lift_as_a_verification_or_appeal(client, supervisor, restricted_user):
    client.force_login(supervisor)
    hold = Hold.objects.get(account=restricted_user)
    response = client.post(reverse("admin:accounts_hold_lift", args=[hold.pk]),
                           {"lift_reason": "verification_approved"})
    assert response.status_code == 200  # the form is shown again with its error
    assert "lift_reason" in response.context["form"].errors
    hold.refresh_from_db()
    assert hold.is_active
