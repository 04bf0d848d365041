"""Publish the outbox: what the services recorded and could not publish at once.

Run one or more of these beside the workers (each takes a lease per message,
so several relays never publish one message twice at the same time). It
keeps going through a broker outage, backing off, and publishes everything
once the broker is back. Stop it with SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import signal

from django.core.management.base import BaseCommand

from accounts import outbox


class Command(BaseCommand):
    help = "Relay outbox messages to the broker until stopped."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Publish what is due now, then exit."
        )

    def handle(self, *args, **options):
        if options["once"]:
            result = outbox.relay_due()
            self.stdout.write(f"published {result.published}, failed {result.failed}")
            return
        stopping = []
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.append(True))
        self.stdout.write("Outbox relay running.")
        outbox.relay_forever(stop=lambda: bool(stopping))
        self.stdout.write("Outbox relay stopped.")
