from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_STAFF, STAFF_PASSWORD, demo_load


class Command(BaseCommand):
    help = "Create the demo accounts (one per situation) and demo staff, if missing."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            # Their passwords are in the README, and "admin" is a superuser.
            raise CommandError("The demo accounts have published passwords: demo_load runs "
                               "only with DJANGO_DEBUG on (the embedded run, make run).")
        created = demo_load()
        self.stdout.write(f"created: {', '.join(created) or 'nothing (already there)'}")
        for account in DEMO_ACCOUNTS:
            self.stdout.write(f"  {account.username:<14} / {DEMO_PASSWORD}   {account.situation}")
        for name, label, _group in DEMO_STAFF:
            self.stdout.write(f"  {name:<14} / {STAFF_PASSWORD}  staff: {label}")
