"""Set up and run the whole portal on one machine: what ``make run`` calls.

In order: refuse an address that is already in use (before anything
starts), migrate, create the staff roles, load the demo accounts, print
where to sign in, then hand over to honcho, which runs every process of
``portal/Procfile`` (web, worker, beat, …) with prefixed output and stops
them all when one exits or on Ctrl-C. A new process is a new Procfile line;
a new address worth printing is a new entry in ``LINKS``.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from honcho.environ import parse_procfile

from accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_STAFF, STAFF_PASSWORD

PROCFILE = Path(settings.BASE_DIR) / "portal" / "Procfile"
# (label, path on the web process) printed in the banner.
LINKS = [
    ("Portal", "/"),
    ("Staff admin", "/admin/"),
    ("Health", "/health/"),
    ("Metrics", "/metrics"),
]


def split_address(addr: str) -> tuple[str, int]:
    host, _, port = addr.rpartition(":")
    if not host or not port.isdigit():
        raise CommandError(f"Not an address: {addr!r} (expected host:port, e.g. 127.0.0.1:8000).")
    return host.strip("[]"), int(port)


def address_free(host: str, port: int) -> bool:
    """True if a server could listen on host:port now (as gunicorn will)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return False
            raise CommandError(f"Cannot listen on {host}:{port}: {error.strerror}.") from error
    return True


class Command(BaseCommand):
    help = "Set up (migrate, roles, demo data) and run every process of portal/Procfile."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default=os.environ.get("PORTAL_ADDR", "127.0.0.1:8000"))
        parser.add_argument("--no-demo", action="store_true", help="Do not load demo accounts.")

    def handle(self, *args, **options):
        addr = options["addr"]
        host, port = split_address(addr)
        if not address_free(host, port):
            raise CommandError(
                f"{addr} is already in use (another portal, or another program): nothing was "
                f"started. Stop that program, or run on another address, e.g. "
                f"PORTAL_ADDR={host}:{port + 1} make run"
            )
        platform_port = settings.PORTAL_DEMO_PLATFORM_PORT
        if not address_free("127.0.0.1", platform_port):
            raise CommandError(
                f"127.0.0.1:{platform_port}, the reference platform's port, is already in use: "
                f"nothing was started. Stop that program, or choose another port, e.g. "
                f"PORTAL_PLATFORM_PORT={platform_port + 1} make run"
            )
        call_command("migrate", interactive=False, verbosity=0)
        call_command("setup_roles", verbosity=0, stdout=open(os.devnull, "w"))
        if not options["no_demo"]:
            call_command("demo_load", verbosity=0, stdout=open(os.devnull, "w"))
        processes = list(parse_procfile(PROCFILE.read_text()).processes)
        self.stdout.write(self.banner(addr, processes, demo=not options["no_demo"]))
        self.stdout.flush()
        self.exec_honcho(addr)

    def banner(self, addr: str, processes: list[str], *, demo: bool) -> str:
        width = max(len(label) for label, _path in LINKS)
        lines = [
            "",
            *[f"  {label + ':':<{width + 1}}  http://{addr}{path}" for label, path in LINKS],
            f"  {'Platform:':<{width + 1}}  http://127.0.0.1:{settings.PORTAL_DEMO_PLATFORM_PORT}/"
            "  (the reference platform's app: 去处理 signs a demo owner in)",
        ]
        if demo:
            lines += [
                "  Demo owners (password " + DEMO_PASSWORD + "):",
                *[f"    {a.username:<14} {a.situation}" for a in DEMO_ACCOUNTS],
                "  Demo staff (password " + STAFF_PASSWORD + "):",
                *[f"    {name:<14} {label}" for name, label, _group in DEMO_STAFF],
            ]
        lines += [
            f"  Starting {', '.join(processes)} ({PROCFILE.relative_to(settings.BASE_DIR)}); "
            "Ctrl-C stops them all.",
            "",
        ]
        return "\n".join(lines)

    def exec_honcho(self, addr: str) -> None:
        """Replace this process by honcho running the Procfile (never returns)."""
        bin_dir = str(Path(sys.executable).parent)
        env = {
            **os.environ,
            "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
            "PORTAL_ADDR": addr,
            "PORTAL_PLATFORM_PORT": str(settings.PORTAL_DEMO_PLATFORM_PORT),
            # Absolute links (emails, hand-off links, webhooks' portal_url) name
            # the address this run serves, unless the operator set one.
            "PORTAL_SITE_URL": os.environ.get("PORTAL_SITE_URL") or f"http://{addr}",
            "PYTHONUNBUFFERED": "1",
        }
        # People read this terminal: text lines, requests and warnings only.
        env.setdefault("LOG_FORMAT", "text")
        env.setdefault("LOG_LEVEL", "WARNING")
        env.setdefault("WEB_CONCURRENCY", "2")
        honcho = os.path.join(bin_dir, "honcho")
        os.chdir(settings.BASE_DIR)  # the Procfile names files relative to the project
        os.execve(honcho, [honcho, "start", "--procfile", str(PROCFILE),
                           "--app-root", str(settings.BASE_DIR)], env)
