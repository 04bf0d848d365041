"""The demo accounts: loaded by the embedded run only (their passwords are published)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from accounts.demo import DEMO_ACCOUNTS, DEMO_STAFF
from accounts.models import Account

pytestmark = pytest.mark.django_db


def test_the_command_refuses_without_debug_and_creates_nobody(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG"):
        call_command("demo_load", stdout=io.StringIO())
    assert not Account.objects.filter(username__in=[a.username for a in DEMO_ACCOUNTS]).exists()
    assert not Account.objects.filter(username__in=[name for name, *_ in DEMO_STAFF]).exists()


def test_the_command_loads_them_in_the_embedded_run(settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("demo_load", stdout=out)
    assert Account.objects.filter(username="admin", is_superuser=True).exists()
    assert all(a.username in out.getvalue() for a in DEMO_ACCOUNTS)
