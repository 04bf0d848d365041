"""Benchmark: the appeal page's "expected wait" (median time to decision, last 7 days).

Compares, on the same PostgreSQL database in alternating rounds (A B C A B C …,
median per call over rounds):

  A  SQL       percentile_cont in PostgreSQL (what runs on PostgreSQL)
  B  Python    the bounded-sample median in Python (what runs on SQLite)
  C  baseline  an exact median in Python over every row of the window

and prints each time, the ratio to the baseline, and how far the bounded
sample's answer is from the exact one.

    .venv/bin/python bench/bench_appeals_expected_wait.py [--appeals 60000] [--rounds 7]

Uses its own database ``portal_bench_appeals`` (dropped and re-created).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("BENCH_DB_NAME", "portal_bench_appeals")
REASON = "content_violation"


def prepare_database() -> None:
    for sql in (f"DROP DATABASE IF EXISTS {DB_NAME}", f"CREATE DATABASE {DB_NAME}"):
        subprocess.run(["psql", f"{PG}/postgres", "-q", "-c", sql], check=True)
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "portal.settings.base",
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        # Seeding places holds, which queue notices on commit: keep them in memory,
        # never in a broker someone's worker reads.
        "CELERY_BROKER_URL": "memory://",
        "CACHE_URL": "locmemcache://bench",
        "LOG_LEVEL": "WARNING",
    })
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed(total: int) -> None:
    """Decided appeals spread over 14 days (half inside the window) on a few holds."""
    from django.utils import timezone

    from accounts import services
    from accounts.models import Account
    from appeals.models import Appeal

    rng = random.Random(7)
    holds = []
    for n in range(50):
        account = Account.objects.create_user(f"bench{n}", platform_account_id=f"b-{n}")
        for reason in (REASON, "bulk_activity"):
            holds.append(services.hold_place(account=account, reason=reason, acting_user=None))
    now = timezone.now()
    rows = []
    for i in range(total):
        hold = holds[i % len(holds)]
        decided = now - timedelta(seconds=rng.uniform(0, 14 * 86400))
        wait = timedelta(seconds=rng.lognormvariate(9.5, 1.0))  # median about 3.7 hours
        rows.append(Appeal(account_id=hold.account_id, hold=hold, reason=hold.reason,
                           category="other", statement="bench", state="rejected",
                           decision="rejected", created_at=decided - wait, decided_at=decided,
                           sla_due_at=decided - wait + timedelta(hours=48)))
    Appeal.objects.bulk_create(rows, batch_size=5000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Appeal._meta.db_table}")


def exact_python(reason, *, now):
    from appeals.models import Appeal
    from appeals.selectors import EXPECTED_WAIT_WINDOW

    pairs = Appeal.objects.filter(reason=reason, decided_at__gte=now - EXPECTED_WAIT_WINDOW,
                                  decided_at__lte=now).values_list("created_at", "decided_at")
    durations = [(d - c).total_seconds() for c, d in pairs.iterator(chunk_size=5000)]
    return timedelta(seconds=statistics.median(durations)) if durations else None


def timed(fn, now, calls: int) -> tuple[float, timedelta]:
    start = time.perf_counter()
    for _ in range(calls):
        result = fn(REASON, now=now)
    return (time.perf_counter() - start) / calls * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--appeals", type=int, default=60000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=5)
    args = parser.parse_args()
    prepare_database()
    seed(args.appeals)
    from django.utils import timezone

    from appeals.selectors import expected_wait_python, expected_wait_sql

    now = timezone.now()
    variants = {"sql": expected_wait_sql, "python-sample": expected_wait_python,
                "python-exact (baseline)": exact_python}
    times: dict[str, list[float]] = {name: [] for name in variants}
    answers = {}
    for fn in variants.values():  # warm-up
        timed(fn, now, 1)
    for _ in range(args.rounds):
        for name, fn in variants.items():
            ms, answers[name] = timed(fn, now, args.calls)
            times[name].append(ms)
    baseline = statistics.median(times["python-exact (baseline)"])
    print(f"{args.appeals} decided appeals over 14 days, 2 reasons; {args.rounds} rounds "
          f"x {args.calls} calls, median ms per call")
    for name in variants:
        ms = statistics.median(times[name])
        print(f"  {name:24s} {ms:8.2f} ms   {baseline / ms:6.2f}x vs baseline   "
              f"answer {answers[name]}")
    exact = answers["python-exact (baseline)"].total_seconds()
    sample = answers["python-sample"].total_seconds()
    print(f"  sql equals exact: {abs(answers['sql'].total_seconds() - exact) < 1e-3}; "
          f"bounded sample off by {abs(sample - exact) / exact:.1%}")
    from django.db import connections

    connections.close_all()
    subprocess.run(["psql", f"{PG}/postgres", "-q", "-c", f"DROP DATABASE IF EXISTS {DB_NAME}"],
                   check=False, env={**os.environ})


if __name__ == "__main__":
    main()
