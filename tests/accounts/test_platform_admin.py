"""Admin shows the platform's profile fields; a set platform id is read-only."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_set_platform_id_is_read_only_in_admin(client, admin_user, active_user):
    client.force_login(admin_user)
    url = reverse("admin:accounts_account_change", args=[active_user.pk])
    page = client.get(url).content.decode()
    assert 'name="platform_account_id"' not in page and active_user.platform_account_id in page
    assert 'name="display_name"' in page and 'name="phone_hint"' in page


def test_an_unset_platform_id_can_be_given_in_admin(client, admin_user, make_account):
    client.force_login(admin_user)
    account = make_account("nopid", platform_account_id=None)
    page = client.get(reverse("admin:accounts_account_change", args=[account.pk]))
    assert 'name="platform_account_id"' in page.content.decode()
