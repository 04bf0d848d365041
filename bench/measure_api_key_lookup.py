"""The "may" hot path's own work, in-process: ``client_for_key`` (one Redis
round trip: the key record and the status by MGET, plus the rate count
pipelined with it) and the limit check, per-client limit off vs on, in
alternating rounds; median wall and CPU µs per call.

Run after ``bench/bench_api.py``, whose database (account ``bench-1``) it uses:

    .venv/bin/python bench/measure_api_key_lookup.py

To compare with another version of the code, run it in that checkout too
(figures in docs/benchmarks.md).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.api_settings"
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_PG", "postgres://postgres@127.0.0.1:5432") + "/" + os.environ.get(
    "BENCH_DB_NAME", "portal_bench_api")
os.environ["CACHE_URL"] = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/6")
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.test.utils import override_settings  # noqa: E402

from accounts.api import auth, throttling  # noqa: E402
from accounts.api import services as api_services  # noqa: E402

CALLS = 5000
ROUNDS = 9
ON = "1000000000/minute"  # counted, never refused


def measure(key: str, rate: str) -> tuple[float, float]:
    with override_settings(PORTAL_API_RATE_PER_CLIENT=rate):
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(CALLS):
            request = types.SimpleNamespace()
            client = auth.client_for_key(key, request, "bench-1")
            assert throttling.client_wait(request, client.key_hash) is None
        return ((time.perf_counter() - wall) / CALLS * 1e6,
                (time.process_time() - cpu) / CALLS * 1e6)


def main() -> None:
    _client, key = api_services.service_client_create(
        name="key lookup bench", scopes=["status:read"], acting_user=None)
    measure(key, ""), measure(key, ON)  # warm-up: connections, caches
    rows: dict[str, list[tuple[float, float]]] = {"off": [], "on": []}
    for _ in range(ROUNDS):
        rows["off"].append(measure(key, ""))
        rows["on"].append(measure(key, ON))
    for name, values in rows.items():
        print(f"limit {name:>3}: wall {statistics.median(v[0] for v in values):6.1f} µs, "
              f"CPU {statistics.median(v[1] for v in values):6.1f} µs per call")


if __name__ == "__main__":
    main()
