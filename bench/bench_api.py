"""Benchmark: the "may X do Y" endpoint against a bare Django JSON view.

Both are served by the same gunicorn (same workers, same settings, same
middleware) on 127.0.0.1, against PostgreSQL and Redis, and loaded by the same
tool (wrk, with a Lua script adding the API key to every request, the bare
view included) in alternating rounds A B A B …. Prints requests per second
and p99 latency of both (median over rounds) and the throughput ratio.

    .venv/bin/python bench/bench_api.py [--rounds 5] [--seconds 5] [--workers 2×cores+1]

Uses its own database (``portal_bench_api``, dropped and re-created) and Redis
database 6 (``BENCH_CACHE_URL``) unless told otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile

from harness import Bench, free_port, require_wrk, wait_until_up, wrk

BENCH = Bench(
    db_name=os.environ.get("BENCH_DB_NAME", "portal_bench_api"),
    cache_url=os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/6"),
    broker_url=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/5"),
    pg=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"),
)
GOAL = 0.70

SETUP = """
from accounts import services
from accounts.api import services as api_services
from accounts.models import Account
account = Account.objects.create_user("bench", platform_account_id="bench-1")
services.hold_place(account=account, reason="content_violation", acting_user=None,
                    features=["publish", "comment"])
client, key = api_services.service_client_create(name="bench", scopes=["status:read"],
                                                 acting_user=None)
print(key)
"""

LUA = """
wrk.headers["Authorization"] = "Bearer %s"
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5)
    # gunicorn's own recommendation: (2 x cores) + 1.
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    require_wrk()

    key = BENCH.prepare_database(SETUP)
    auth = {"Authorization": f"Bearer {key}"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    may_url = f"{base}/api/v1/accounts/bench-1/may/publish"
    bare_url = f"{base}/bench/bare"

    # Learn the exact "may" body first, so the bare view answers the same bytes.
    probe = BENCH.start_gunicorn(port, 1, BENCH_BARE_BODY="{}")
    try:
        may_body = wait_until_up(may_url, auth).decode()
    finally:
        probe.terminate()
        probe.wait()
    port = free_port()  # a fresh port: the probe's may linger a moment
    may_url = f"http://127.0.0.1:{port}/api/v1/accounts/bench-1/may/publish"
    bare_url = f"http://127.0.0.1:{port}/bench/bare"
    server = BENCH.start_gunicorn(port, args.workers, BENCH_BARE_BODY=may_body)
    lua = None
    try:
        bare_body = wait_until_up(bare_url, auth)
        assert json.loads(bare_body) == json.loads(may_body), (bare_body, may_body)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
            lua.write(LUA % key)
        results: dict[str, list[tuple[float, float]]] = {"may": [], "bare": []}
        wrk(may_url, lua.name, 2, args.connections)  # warm-up, not counted
        wrk(bare_url, lua.name, 2, args.connections)
        for n in range(args.rounds):
            for name, url in (("may", may_url), ("bare", bare_url)):
                results[name].append(wrk(url, lua.name, args.seconds, args.connections))
                rps, p99 = results[name][-1]
                print(f"round {n + 1} {name:>4}: {rps:8.0f} req/s  p99 {p99:6.2f} ms", flush=True)
    finally:
        server.terminate()
        server.wait()
        if lua is not None:
            os.unlink(lua.name)

    summary = {
        name: (statistics.median(r for r, _ in rows), statistics.median(p for _, p in rows))
        for name, rows in results.items()
    }
    ratio = summary["may"][0] / summary["bare"][0]
    print(f"\nbody sizes: may {len(may_body)} B, bare {len(bare_body)} B; "
          f"gunicorn sync x{args.workers}; wrk -t1 -c{args.connections} -d{args.seconds}s; "
          f"{args.rounds} rounds A/B, medians")
    print(f"may  endpoint: {summary['may'][0]:8.0f} req/s  p99 {summary['may'][1]:6.2f} ms")
    print(f"bare view    : {summary['bare'][0]:8.0f} req/s  p99 {summary['bare'][1]:6.2f} ms")
    print(f"ratio (may / bare throughput): {ratio:.1%}  (goal ≥ {GOAL:.0%}: "
          f"{'met' if ratio >= GOAL else 'NOT met'})")


if __name__ == "__main__":
    main()
