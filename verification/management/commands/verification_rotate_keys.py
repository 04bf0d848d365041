"""Re-encrypt stored document numbers under the newest PORTAL_FIELD_ENCRYPTION_KEYS key."""

from django.core.management.base import BaseCommand

from verification.services import encryption_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored document number with the first key of "
        "PORTAL_FIELD_ENCRYPTION_KEYS. Put the new key first, run this, then remove the old key."
    )

    def handle(self, *args, **options):
        changed = encryption_rotate()
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {changed} document numbers."))
