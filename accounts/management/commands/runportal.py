"""Run the whole portal on one machine: web, Celery worker and Celery beat.

The embedded run of ``make run``. Each part is a child process; Ctrl-C (or
any child exiting) stops them all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_STAFF, STAFF_PASSWORD


class Command(BaseCommand):
    help = "Migrate, load demo data, and run web + Celery worker + beat together."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default=os.environ.get("PORTAL_ADDR", "127.0.0.1:8000"))
        parser.add_argument("--no-demo", action="store_true", help="Do not load demo accounts.")

    def handle(self, *args, **options):
        Path(settings.VAR_DIR, "broker", "out").mkdir(parents=True, exist_ok=True)
        Path(settings.VAR_DIR, "broker", "processed").mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        if not options["no_demo"]:
            call_command("demo_load", verbosity=0, stdout=open(os.devnull, "w"))
        children = self._start(options["addr"])
        time.sleep(4)  # let the children print their start-up lines first
        self._print_banner(options["addr"])
        self._supervise(children)

    def _start(self, addr: str) -> list[subprocess.Popen]:
        python, manage = sys.executable, str(Path(settings.BASE_DIR, "manage.py"))
        celery = [python, "-m", "celery", "-A", "portal"]
        schedule = str(Path(settings.VAR_DIR, "celerybeat-schedule"))
        commands = [
            [python, manage, "runserver", addr, "--noreload"],
            [*celery, "worker", "-Q", "checks,review,notify", "-c", "2", "-l", "warning"],
            [*celery, "beat", "-s", schedule, "-l", "warning"],
        ]
        return [subprocess.Popen(command, cwd=settings.BASE_DIR) for command in commands]

    def _print_banner(self, addr: str) -> None:
        lines = [
            "",
            f"  Portal:  http://{addr}/        Staff admin:  http://{addr}/admin/",
            "  Demo owners (password " + DEMO_PASSWORD + "):",
            *[f"    {a.username:<14} {a.situation}" for a in DEMO_ACCOUNTS],
            "  Demo staff (password " + STAFF_PASSWORD + "):",
            *[f"    {name:<14} {label}" for name, label, _group in DEMO_STAFF],
            "  Ctrl-C stops web, worker and beat.",
            "",
        ]
        self.stdout.write("\n".join(lines))

    def _supervise(self, children: list[subprocess.Popen]) -> None:
        def stop(*_args):
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
            raise SystemExit(0)

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
            self.stderr.write("A portal process exited; stopping the others.")
        except KeyboardInterrupt:
            pass
        stop()
