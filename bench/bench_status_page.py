"""Benchmark: the signed-in status page against a bare Django JSON view.

A frozen owner with three holds (a suspicious sign-in, missing real-name
verification, a content violation: a security checklist, a verification card
and a card per hold) reloads the status page. One gunicorn (sync workers, the
product's settings and full middleware stack, against PostgreSQL and Redis)
serves both that page and ``/bench/bare``, a plain Django ``JsonResponse``
(bench/api_urls.py). wrk loads both with the same Lua script (the cookies a
browser sends on a reload, session and CSRF, on every request, the bare
view's too) at 1, 8 and 32
connections, in rounds alternating page / bare at each connection count.
Prints the medians of both throughputs and p99s, and the ratio; the last line
is the 32-connection result:

    status-page: ratio=0.41 p99_ms=80

    .venv/bin/python bench/bench_status_page.py [--rounds 3] [--seconds 5] [--workers 2×cores+1]

Its own database (``BENCH_DB_NAME``, default ``portal_bench_status``, dropped
and re-created) and Redis databases (``BENCH_CACHE_URL`` default
``redis://127.0.0.1:6379/3``, ``BENCH_BROKER_URL`` default
``redis://127.0.0.1:6379/2``); ``BENCH_PG`` names the PostgreSQL server.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile

from harness import Bench, first_answer, free_port, require_wrk, wrk

BENCH = Bench(
    db_name=os.environ.get("BENCH_DB_NAME", "portal_bench_status"),
    cache_url=os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/3"),
    broker_url=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/2"),
    pg=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"),
)
GOAL_RATIO, GOAL_P99_MS = 0.35, 100
CONNECTIONS = (1, 8, 32)

# The owner, three holds, and a signed-in session; prints the session cookie.
SETUP = """
from django.conf import settings
from django.test import Client
from accounts import services
from accounts.models import Account
owner = Account.objects.create_user("bench-owner", platform_account_id="bench-owner-1",
                                    password="bench-not-a-secret")
for reason in ("content_violation", "realname_missing", "suspicious_signin"):
    services.hold_place(account=owner, reason=reason, acting_user=None)
client = Client()
client.force_login(owner)
print(client.cookies[settings.SESSION_COOKIE_NAME].value)
"""

# The cookies a browser sends on a reload: the session and the CSRF cookie the
# first view set.
LUA = """
wrk.headers["Cookie"] = "%s"
wrk.headers["Accept-Language"] = "zh-CN,zh;q=0.9,en;q=0.8"
"""

# Only the signed-in page has it (the sign-in page, a redirect's target, does not).
PAGE_MARKER = b'data-testid="status-banner"'


def load(urls: dict[str, str], script: str, rounds: int, seconds: int
         ) -> dict[int, dict[str, tuple[float, float]]]:
    """Median (req/s, p99 ms) per connection count and URL, rounds alternating the URLs."""
    summary: dict[int, dict[str, tuple[float, float]]] = {}
    for connections in CONNECTIONS:
        for url in urls.values():  # warm-up, not counted
            wrk(url, script, 2, connections)
        rows: dict[str, list[tuple[float, float]]] = {name: [] for name in urls}
        for n in range(rounds):
            for name, url in urls.items():
                rows[name].append(wrk(url, script, seconds, connections))
                rps, p99 = rows[name][-1]
                print(f"c={connections:<2} round {n + 1} {name:>6}: {rps:8.0f} req/s  "
                      f"p99 {p99:7.2f} ms", flush=True)
        summary[connections] = {
            name: (statistics.median(r for r, _ in got), statistics.median(p for _, p in got))
            for name, got in rows.items()
        }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    # gunicorn's own recommendation: (2 x cores) + 1.
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    args = parser.parse_args()
    require_wrk()

    session = BENCH.prepare_database(SETUP)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    urls = {"status": f"{base}/", "bare": f"{base}/bench/bare"}
    cookies = {"sessionid": session}
    server = BENCH.start_gunicorn(port, args.workers)
    lua = None
    try:
        page, set_cookies = first_answer(urls["status"], {"Cookie": f"sessionid={session}"})
        if PAGE_MARKER not in page:
            raise SystemExit("the session cookie did not sign the owner in")
        cookies.update(set_cookies)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
            lua.write(LUA % "; ".join(f"{name}={value}" for name, value in cookies.items()))
        summary = load(urls, lua.name, args.rounds, args.seconds)
    finally:
        server.terminate()
        server.wait()
        if lua is not None:
            os.unlink(lua.name)

    print(f"\nstatus page {len(page)} B; gunicorn sync x{args.workers}; "
          f"wrk -t1 -d{args.seconds}s; {args.rounds} rounds page/bare per connection count, "
          "medians")
    for connections, row in summary.items():
        (page_rps, page_p99), (bare_rps, bare_p99) = row["status"], row["bare"]
        print(f"c={connections:<2} status {page_rps:7.0f} req/s p99 {page_p99:7.2f} ms | "
              f"bare {bare_rps:7.0f} req/s p99 {bare_p99:7.2f} ms | "
              f"ratio {page_rps / bare_rps:.2f}")
    (page_rps, page_p99), (bare_rps, _) = summary[32]["status"], summary[32]["bare"]
    ratio = page_rps / bare_rps
    met = ratio >= GOAL_RATIO and page_p99 < GOAL_P99_MS
    print(f"goal at 32 connections (ratio >= {GOAL_RATIO}, p99 < {GOAL_P99_MS} ms): "
          f"{'met' if met else 'NOT met'}")
    print(f"status-page: ratio={ratio:.2f} p99_ms={round(page_p99)}")


if __name__ == "__main__":
    main()
