from django.core.management.base import BaseCommand

from accounts.roles import roles_apply


class Command(BaseCommand):
    help = "Create the staff groups (reviewer, appeals officer, supervisor) with their permissions."

    def handle(self, *args, **options):
        for name, count in roles_apply().items():
            self.stdout.write(f"{name}: {count} permissions")
