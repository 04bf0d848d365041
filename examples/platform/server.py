"""A reference host platform: the app side of the portal's integration.

A separate process that talks to the portal only as a real platform would:
through the public API with its own API key, and through the webhooks the
portal signs (Standard Webhooks, verified here with the ``standardwebhooks``
library). Standard library otherwise: a WSGI app served by ``wsgiref``.

    python examples/platform/server.py --port 8100

Pages (phone-shaped, Chinese with an English switch):
  /                     the platform's demo users
  /u/<id>               one user's app screen: the "账号异常，请实名激活" banner
                        with "去处理", the platform's own "may" answers, and the
                        feed of signed webhooks received for this user
  POST /u/<id>/handle   asks the portal for a hand-off link and redirects there
  POST /u/<id>/risk     the platform's risk control places a real-name hold
  POST /webhooks/portal the webhook receiver (verified, stored in SQLite)

Configuration (flags or environment): the portal's URL (PLATFORM_PORTAL_URL),
the API key (PLATFORM_API_KEY), the webhook secret (PLATFORM_WEBHOOK_SECRET)
and the SQLite file of received webhooks (PLATFORM_DATA). The defaults are
the embedded run's demo credentials, which ``manage.py demo_load`` gives the
portal (settings PORTAL_DEMO_PLATFORM_*).
"""

from __future__ import annotations

import argparse
import binascii
import html
import json
import os
import sqlite3
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

ROOT = Path(__file__).resolve().parents[2]
# The embedded run's demo credentials (portal settings PORTAL_DEMO_PLATFORM_*).
DEMO_API_KEY = "psk_demoplatform_embedded-demo-only-not-for-production"
DEMO_WEBHOOK_SECRET = "whsec_cmVmZXJlbmNlLXBsYXRmb3JtLWRlbW8tc2VjcmV0ISE="
FEATURES = ("publish", "comment", "message", "withdraw")
FEED_LENGTH = 20
API_TIMEOUT = 5

# The platform's own users: its ids are the portal's platform_account_id.
USERS = {
    "p-demo-active": ("林小雨", "Lin Xiaoyu", "139****0001"),
    "p-demo-realname": ("王小明", "Wang Xiaoming", "138****5678"),
    "p-demo-frozen": ("陈静", "Chen Jing", "137****2468"),
    "p-demo-multi": ("赵磊", "Zhao Lei", "136****1357"),
    "p-demo-banned": ("刘洋", "Liu Yang", "135****9999"),
    "p-demo-legal": ("孙悦", "Sun Yue", "134****4321"),
}

TEXT = {
    "zh": {
        "app": "短视频", "users": "演示用户", "switch": "English",
        "realname": "账号异常，请实名激活",
        "frozen": "账号已被冻结", "banned": "账号已被封禁", "restricted": "部分功能受限",
        "handle": "去处理", "fine": "账号状态正常", "may": "功能可用情况", "allowed": "可用",
        "blocked": "不可用", "webhooks": "收到的通知（已验证签名）", "none": "还没有收到通知",
        "risk": "模拟风控：要求实名认证", "unknown": "门户还不认识这个账号",
        "portal_down": "暂时连不上账号中心，请稍后再试",
        "publish": "发布", "comment": "评论", "message": "私信", "withdraw": "提现",
        "deadline": "处理期限",
    },
    "en": {
        "app": "ShortVideo", "users": "Demo users", "switch": "中文",
        "realname": "Account issue: please verify your real name",
        "frozen": "Your account is frozen", "banned": "Your account is banned",
        "restricted": "Some features are limited", "handle": "Fix it", "fine": "All good",
        "may": "What you can do", "allowed": "allowed", "blocked": "blocked",
        "webhooks": "Notices received (signatures verified)", "none": "No notices yet",
        "risk": "Simulate risk control: require real-name",
        "unknown": "The portal does not know this account yet",
        "portal_down": "The account centre cannot be reached; try again later",
        "publish": "Publish", "comment": "Comment", "message": "Message", "withdraw": "Withdraw",
        "deadline": "Act by",
    },
}


# ---------------------------------------------------------------------------
# The portal's API, with the platform's key
# ---------------------------------------------------------------------------
class Portal:
    def __init__(self, base: str, api_key: str) -> None:
        self.base = base.rstrip("/")
        self.api_key = api_key

    def call(self, method: str, path: str, body: dict | None = None,
             headers: dict | None = None) -> tuple[int, dict]:
        """Return (status, JSON body); status 0 when the portal cannot be reached."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.base}/api/v1{path}", data=data, method=method,
            headers={"Authorization": f"Bearer {self.api_key}", "Accept": "application/json",
                     "Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=API_TIMEOUT) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            try:
                return error.code, json.loads(error.read() or b"{}")
            except ValueError:
                return error.code, {}
        except (OSError, ValueError):
            return 0, {}


def _account_path(account_id: str) -> str:
    return "/accounts/" + urllib.parse.quote(account_id, safe="")


# ---------------------------------------------------------------------------
# Received webhooks (SQLite under var/)
# ---------------------------------------------------------------------------
class Inbox:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.lock = threading.Lock()
        with self._db() as db:
            db.execute("CREATE TABLE IF NOT EXISTS webhook (id TEXT PRIMARY KEY, received_at TEXT,"
                       " type TEXT, account TEXT, body TEXT)")

    def _db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def add(self, webhook_id: str, payload: dict) -> None:
        """Store a verified webhook once (a retry carries the same webhook-id)."""
        data = payload.get("data") or {}
        with self.lock, self._db() as db:
            db.execute("INSERT OR IGNORE INTO webhook VALUES (?, ?, ?, ?, ?)", (
                webhook_id, datetime.now(UTC).isoformat(timespec="seconds"),
                str(payload.get("type", "")), str(data.get("platform_account_id", "")),
                json.dumps(payload, ensure_ascii=False),
            ))

    def feed(self, account_id: str) -> list[tuple[str, str, str]]:
        with self._db() as db:
            return db.execute(
                "SELECT received_at, type, body FROM webhook WHERE account = ? "
                "ORDER BY received_at DESC, rowid DESC LIMIT ?", (account_id, FEED_LENGTH),
            ).fetchall()


def verify_webhook(secret: str, body: bytes, headers: dict[str, str]) -> dict | None:
    """Return the payload if the Standard Webhooks signature checks out, else None."""
    try:
        payload = Webhook(secret).verify(body, headers)
    except (WebhookVerificationError, ValueError, binascii.Error):
        return None
    return payload if isinstance(payload, dict) else None


# ---------------------------------------------------------------------------
# The app
# ---------------------------------------------------------------------------
class Platform:
    def __init__(self, portal: Portal, inbox: Inbox, webhook_secret: str) -> None:
        self.portal, self.inbox, self.webhook_secret = portal, inbox, webhook_secret
        self.provisioned: set[str] = set()

    def __call__(self, environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")
        lang = _language(environ)
        parts = [p for p in path.split("/") if p]
        if method == "POST" and parts == ["webhooks", "portal"]:
            return self.receive(environ, start_response)
        if method == "GET" and path == "/health":
            return _send(start_response, "200 OK", "ok", "text/plain")
        if method == "GET" and not parts:
            return _send(start_response, "200 OK", self.index_page(lang))
        if len(parts) >= 2 and parts[0] == "u":
            account_id = urllib.parse.unquote(parts[1])
            if method == "GET" and len(parts) == 2:
                return _send(start_response, "200 OK", self.user_page(account_id, lang),
                             cookie=_language_cookie(environ))
            if method == "POST" and parts[2:] == ["handle"]:
                return self.handle(account_id, lang, start_response)
            if method == "POST" and parts[2:] == ["risk"]:
                return self.risk(account_id, start_response)
        return _send(start_response, "404 Not Found", "not found", "text/plain")

    # -- the webhook receiver --------------------------------------------------
    def receive(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(min(length, 1_000_000))
        headers = {key[5:].replace("_", "-").lower(): value
                   for key, value in environ.items() if key.startswith("HTTP_")}
        payload = verify_webhook(self.webhook_secret, body, headers)
        if payload is None:
            print("webhook refused: bad or missing signature", file=sys.stderr, flush=True)
            return _send(start_response, "400 Bad Request", "bad signature", "text/plain")
        self.inbox.add(headers["webhook-id"], payload)
        start_response("204 No Content", [])
        return [b""]

    # -- actions ------------------------------------------------------------------
    def handle(self, account_id: str, lang: str, start_response):
        """The "去处理" button: ask the portal for a hand-off link and go there."""
        code, status = self.portal.call("GET", _account_path(account_id) + "/status")
        target = _next_path(status.get("holds", [])) if code == 200 else "/"
        code, link = self.portal.call("POST", _account_path(account_id) + "/sign-in-links",
                                      {"next": target})
        if code != 201:
            message = TEXT[lang]["portal_down"]
            page = _page(message, f'<p class="note">{_e(message)}</p>', lang)
            return _send(start_response, "502 Bad Gateway", page)
        start_response("303 See Other", [("Location", link["url"]), ("Cache-Control", "no-store")])
        return [b""]

    def risk(self, account_id: str, start_response):
        """The platform's risk control asks for real-name verification (a hold)."""
        self.portal.call("POST", _account_path(account_id) + "/holds",
                         {"reason": "realname_missing"},
                         headers={"Idempotency-Key": f"risk-realname-{account_id}"})
        start_response("303 See Other", [("Location", f"/u/{urllib.parse.quote(account_id)}")])
        return [b""]

    # -- pages --------------------------------------------------------------------
    def index_page(self, lang: str) -> str:
        t = TEXT[lang]
        items = "".join(
            f'<li><a href="/u/{_q(pid)}">{_e(names[0] if lang == "zh" else names[1])}</a>'
            f' <small>{_e(pid)}</small></li>' for pid, names in USERS.items()
        )
        return _page(t["users"], f'<h1>{_e(t["users"])}</h1><ul class="users">{items}</ul>', lang)

    def user_page(self, account_id: str, lang: str) -> str:
        t = TEXT[lang]
        self._provision(account_id, lang)
        code, status = self.portal.call("GET", _account_path(account_id) + "/status")
        if code == 0:
            body = f'<p class="note">{_e(t["portal_down"])}</p>'
        elif code == 404:
            body = f'<p class="note">{_e(t["unknown"])}</p>'
        else:
            body = self._banner(account_id, status, t) + self._features(account_id, t)
        body += self._feed(account_id, t)
        body += (f'<form method="post" action="/u/{_q(account_id)}/risk"><button class="link" '
                 f'data-testid="risk">{_e(t["risk"])}</button></form>')
        name = USERS.get(account_id, (account_id, account_id))[0 if lang == "zh" else 1]
        return _page(name, f'<h1>{_e(name)}</h1>{body}', lang)

    def _provision(self, account_id: str, lang: str) -> None:
        """Tell the portal who this user is (PUT, idempotent), once per process."""
        if account_id in self.provisioned or account_id not in USERS:
            return
        zh, en, phone = USERS[account_id]
        code, _body = self.portal.call("PUT", _account_path(account_id), {
            "display_name": zh, "phone_hint": phone, "language": "zh-hans",
        })
        if code in (200, 201):
            self.provisioned.add(account_id)

    def _banner(self, account_id: str, status: dict, t: dict) -> str:
        holds = status.get("holds", [])
        if status.get("status") == "active" or not holds:
            return f'<div class="ok" data-testid="all-good">{_e(t["fine"])}</div>'
        if any(h.get("reason", "").startswith("realname") for h in holds):
            title = t["realname"]
        else:
            title = t.get(status.get("status"), t["restricted"])
        deadline = next((h["deadline"] for h in holds if h.get("deadline")), None)
        when = ""
        if deadline:
            when = f'<small>{_e(t["deadline"])}: {_e(deadline[:16].replace("T", " "))}</small>'
        return (f'<form class="banner" data-testid="banner" method="post" '
                f'action="/u/{_q(account_id)}/handle"><span>⚠️ {_e(title)}{when}</span>'
                f'<button data-testid="handle">{_e(t["handle"])}</button></form>')

    def _features(self, account_id: str, t: dict) -> str:
        rows = []
        for feature in FEATURES:
            code, answer = self.portal.call("GET", f"{_account_path(account_id)}/may/{feature}")
            allowed = code == 200 and answer.get("allowed") is True
            why = ", ".join(b["reason"] for b in answer.get("blocked_by", []))
            rows.append(
                f'<li data-testid="may-{feature}" data-allowed="{str(allowed).lower()}">'
                f'<span>{_e(t[feature])}</span><b class="{"yes" if allowed else "no"}">'
                f'{_e(t["allowed"] if allowed else t["blocked"])}</b>'
                f'{f"<small>{_e(why)}</small>" if why else ""}</li>'
            )
        return f'<h2>{_e(t["may"])}</h2><ul class="may">{"".join(rows)}</ul>'

    def _feed(self, account_id: str, t: dict) -> str:
        entries = self.inbox.feed(account_id)
        if not entries:
            return (f'<h2>{_e(t["webhooks"])}</h2>'
                    f'<p class="note" data-testid="no-webhooks">{_e(t["none"])}</p>')
        items = "".join(
            f'<li data-testid="webhook" data-type="{_e(kind)}"><b>{_e(kind)}</b> '
            f'<small>{_e(received[11:19])}</small><code>{_e(body)}</code></li>'
            for received, kind, body in entries
        )
        return f'<h2>{_e(t["webhooks"])}</h2><ol class="feed">{items}</ol>'


def _next_path(holds: list[dict]) -> str:
    """Where "去处理" should land: verification for a real-name hold, else the hold."""
    if any(h.get("reason", "").startswith("realname") for h in holds):
        return "/verification/"
    if holds and holds[0].get("portal_url"):
        return urllib.parse.urlsplit(holds[0]["portal_url"]).path
    return "/"


# ---------------------------------------------------------------------------
# HTML and HTTP helpers
# ---------------------------------------------------------------------------
STYLE = """
*{box-sizing:border-box}body{margin:0;font:16px/1.45 system-ui,"Noto Sans CJK SC",sans-serif;
background:#e9ecef}main{max-width:390px;min-height:100vh;margin:0 auto;background:#fff;
padding:0 0 2rem}header{display:flex;justify-content:space-between;align-items:center;
padding:.75rem 1rem;background:#111;color:#fff}header a{color:#fff}h1{font-size:1.3rem;
margin:1rem}h2{font-size:1rem;margin:1.25rem 1rem .5rem;color:#555}.banner{display:flex;
gap:.5rem;align-items:center;justify-content:space-between;margin:0 1rem;padding:.75rem;
border-radius:.6rem;background:#fff4e5;border:1px solid #f0a020}.banner span{display:flex;
flex-direction:column}.banner button{flex:none;min-height:2.75rem;padding:0 1.1rem;border:0;
border-radius:1.4rem;background:#fe2c55;color:#fff;font-weight:600;font-size:1rem}.ok,.note{
margin:0 1rem;padding:.75rem;border-radius:.6rem;background:#e8f5e9}.note{background:#f1f3f5}
ul,ol{list-style:none;margin:0 1rem;padding:0}.may li{display:flex;flex-wrap:wrap;
justify-content:space-between;padding:.55rem 0;border-bottom:1px solid #eee}.may small{
width:100%;color:#888}.yes{color:#2b8a3e}.no{color:#c92a2a}.feed li{padding:.5rem 0;
border-bottom:1px solid #eee}.feed code{display:block;font-size:.72rem;color:#555;
word-break:break-all}.users li{padding:.6rem 0}.link{margin:1.5rem 1rem 0;background:none;
border:0;color:#1864ab;text-decoration:underline;font-size:.9rem;padding:0}
"""


def _page(title: str, body: str, lang: str) -> str:
    other = "en" if lang == "zh" else "zh"
    return (
        f'<!doctype html><html lang="{"zh-Hans" if lang == "zh" else "en"}"><head>'
        '<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{_e(title)} · {_e(TEXT[lang]["app"])}</title><style>{STYLE}</style></head>'
        f'<body><main><header><a href="/">{_e(TEXT[lang]["app"])}</a>'
        f'<a href="?lang={other}" data-testid="lang-switch">{_e(TEXT[lang]["switch"])}</a>'
        f'</header>{body}</main></body></html>'
    )


def _language(environ) -> str:
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    if query.get("lang", [""])[0] in TEXT:
        return query["lang"][0]
    cookies = dict(
        part.strip().split("=", 1) for part in environ.get("HTTP_COOKIE", "").split(";")
        if "=" in part
    )
    return cookies.get("platform_lang") if cookies.get("platform_lang") in TEXT else "zh"


def _language_cookie(environ) -> str | None:
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    lang = query.get("lang", [""])[0]
    return f"platform_lang={lang}; Path=/; SameSite=Lax" if lang in TEXT else None


def _send(start_response, status: str, body: str, content_type: str = "text/html",
          cookie: str | None = None) -> list[bytes]:
    data = body.encode()
    headers = [("Content-Type", f"{content_type}; charset=utf-8"),
               ("Content-Length", str(len(data))), ("Cache-Control", "no-store")]
    if cookie:
        headers.append(("Set-Cookie", cookie))
    start_response(status, headers)
    return [data]


def _e(value: object) -> str:
    return html.escape(str(value))


def _q(value: str) -> str:
    return urllib.parse.quote(value, safe="")


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PLATFORM_PORT", 8100)))
    parser.add_argument("--portal", default=os.environ.get("PLATFORM_PORTAL_URL",
                                                          "http://127.0.0.1:8000"))
    parser.add_argument("--api-key", default=os.environ.get("PLATFORM_API_KEY", DEMO_API_KEY))
    parser.add_argument("--webhook-secret",
                        default=os.environ.get("PLATFORM_WEBHOOK_SECRET", DEMO_WEBHOOK_SECRET))
    parser.add_argument("--data", default=os.environ.get(
        "PLATFORM_DATA", str(ROOT / "var" / "platform" / "webhooks.sqlite3")))
    args = parser.parse_args(argv)
    app = Platform(Portal(args.portal, args.api_key), Inbox(Path(args.data)), args.webhook_secret)
    server = make_server(args.host, args.port, app, server_class=_ThreadingServer,
                         handler_class=_QuietHandler)
    print(f"reference platform on http://{args.host}:{args.port}/ (portal {args.portal})",
          flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
