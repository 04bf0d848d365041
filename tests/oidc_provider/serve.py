"""Run the test OIDC provider: migrate, create its users and the portal's
client, then serve on 127.0.0.1 until killed.

    python -m tests.oidc_provider.serve --port 8200 --redirect-uri URL \
        --client-id portal --client-secret SECRET --db /tmp/x.sqlite3

Needs OIDC_RSA_PRIVATE_KEY in the environment (the tests generate one).
Users (password ``platform-pass``), their username being the platform id:
``p-oidc-alice`` and ``p-oidc-stranger``.
"""

from __future__ import annotations

import argparse
import os
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

PASSWORD = "platform-pass"
USERS = (("p-oidc-alice", "Alice Platform"), ("p-oidc-stranger", "Stranger"))


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redirect-uri", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    os.environ["OIDC_PROVIDER_DB"] = args.db
    os.environ.setdefault("OIDC_ISSUER", f"http://127.0.0.1:{args.port}/o")
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0, interactive=False)
    for username, name in USERS:
        User.objects.create_user(username, email=f"{username}@platform.invalid",
                                 password=PASSWORD, first_name=name)
    Application.objects.create(
        name="Account centre", client_id=args.client_id, client_secret=args.client_secret,
        hash_client_secret=False, client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=args.redirect_uri, algorithm=Application.RS256_ALGORITHM,
        skip_authorization=False,
    )
    server = make_server("127.0.0.1", args.port, get_wsgi_application(),
                         server_class=ThreadingServer, handler_class=QuietHandler)
    print("ready", flush=True)
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
