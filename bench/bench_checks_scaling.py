"""Benchmark: does the checks queue scale with workers?

A backlog of ``--submissions`` (default 40) real submissions — two 12-MP
(4000×3000) card photos drawn by ``tests/verification/cards.py`` with the
name and number typed, and three liveness frames, each made through the
services like an owner's wizard — is drained by real Celery worker
processes on the ``checks`` queue (``celery worker -Q checks -c 1``): first
by one, then by two. The clock runs from the moment the tasks are sent until
no submission is left in ``submitted`` or ``checking``; workers are started,
answer a ping and have each checked one extra submission (loading their
models, as a long-running worker has) before. Between runs the same submissions are put back to
``submitted`` (their check results, readings and flattened crops deleted),
so both runs do the same work. Rounds alternate A B A B …; the median of
each is reported.

The workers run with ``PORTAL_CHECKS_THREADS`` (default 1: OpenCV and
onnxruntime use one thread each), so two processes use two cores.

    .venv/bin/python bench/bench_checks_scaling.py [--submissions 40] [--rounds 1]

Last line: ``checks-scaling: one_worker_s=… two_workers_s=… ratio=…``
(ratio = one worker's time over two workers').

Uses its own database ``portal_bench_checks``, a temporary private-files
folder, and the broker in ``CELERY_BROKER_URL`` (its ``checks`` queue is
purged first: give it a Redis database of your own).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("BENCH_DB_NAME", "portal_bench_checks")
NUMBERS = ["11010519491231002X", "110101199003074477", "31010119880808451X"]


def prepare(private_dir: str) -> dict[str, str]:
    for sql in (f"DROP DATABASE IF EXISTS {DB_NAME}", f"CREATE DATABASE {DB_NAME}"):
        subprocess.run(["psql", f"{PG}/postgres", "-q", "-c", sql], check=True)
    env = {
        "DJANGO_SETTINGS_MODULE": "portal.settings.base",
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "PORTAL_PRIVATE_MEDIA_ROOT": private_dir,
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return env


def make_submissions(n: int) -> list[int]:
    """``n`` submitted requests with 12-MP card photos, made through the services."""
    from accounts.models import Account
    from tests.verification.pictures import card_jpeg, frame_jpeg, upload
    from verification import services

    ids = []
    for i in range(n):
        account = Account.objects.create_user(f"owner{i}", platform_account_id=f"p-{i}",
                                              language="en")
        number, name, seed = NUMBERS[i % len(NUMBERS)], "张三", 1000 + i * 10
        request = services.verification_start(acting_user=account)
        for scope in ("photos", "liveness"):  # the owner's two consents, as the wizard asks
            services.verification_consent(request=request, acting_user=account, scope=scope)
        services.verification_set_details(request=request, acting_user=account,
                                          subject="individual", legal_name=name,
                                          document_type="cn_ric", number=number)
        for side, offset in (("front", 0), ("back", 1)):
            photo = card_jpeg(seed + offset, (4000, 3000), side=side, name=name, number=number)
            services.verification_attach_image(request=request, acting_user=account,
                                               kind=side, upload=upload(photo))
        services.verification_liveness_start(request=request, acting_user=account)
        for f in range(3):
            services.verification_liveness_add_frame(request=request, acting_user=account,
                                                     upload=upload(frame_jpeg(seed * 7 + f)))
        services.verification_submit(request=request, acting_user=account)
        ids.append(request.pk)
        print(f"  submission {i + 1}/{n} made", end="\r", flush=True)
    print()
    return ids


def reset(ids: list[int]) -> None:
    """Put the submissions back in the queue, as if never checked (bench database only)."""
    from verification.models import (
        CheckResult,
        DocumentReading,
        VerificationImage,
        VerificationRequest,
    )

    CheckResult.objects.filter(request_id__in=ids).delete()
    DocumentReading.objects.filter(image__request_id__in=ids).delete()
    VerificationImage.objects.filter(request_id__in=ids,
                                     kind__in=["front_card", "back_card"]).delete()
    VerificationRequest.objects.filter(pk__in=ids).update(
        state="submitted", checking_started_at=None, checks_attempts=0, checked_at=None,
        sla_due_at=None, decision_reason="", decision_message="")


def start_workers(count: int, env: dict[str, str], logs: Path) -> list[subprocess.Popen]:
    """Start ``count`` worker processes and return once each answers a ping."""
    from portal.celery import app

    workers, names = [], [f"bench{n}@{socket.gethostname()}" for n in range(count)]
    for n, name in enumerate(names):
        command = [sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", "checks",
                   "-c", "1", "-n", name, "--without-gossip", "--without-mingle",
                   "--without-heartbeat", "-l", os.environ.get("BENCH_LOG_LEVEL", "WARNING")]
        log = (logs / f"worker{n}.log").open("w")
        workers.append(subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env},
                                        stdout=log, stderr=subprocess.STDOUT))
    deadline = time.monotonic() + 180
    try:
        while True:
            answered = {name for reply in app.control.ping(destination=names, timeout=1.0)
                        for name in reply}
            if answered >= set(names):
                return workers
            if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
                raise RuntimeError("workers did not start; see " + str(logs))
    except BaseException:
        stop_workers(workers)
        raise


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.wait(timeout=60)


def check_all(ids: list[int]) -> float:
    """Send the checks of ``ids`` and wait until none is left to check; the seconds taken."""
    from verification.models import VerificationRequest
    from verification.tasks import verification_run_checks

    start = time.perf_counter()
    for pk in ids:
        verification_run_checks.delay(pk)
    pending = VerificationRequest.objects.filter(pk__in=ids, state__in=["submitted", "checking"])
    while pending.exists():
        time.sleep(0.1)
    return time.perf_counter() - start


def drain(ids: list[int], warm_up: list[int], workers: int, env: dict[str, str]) -> float:
    """Seconds for ``workers`` warm processes to check every submission in ``ids``.

    Each worker first checks one of ``warm_up`` (loading the OCR and face
    models once per process, as a long-running worker has), untimed.
    """
    from portal.celery import app
    from verification.models import VerificationRequest

    reset(ids + warm_up)
    with app.connection_for_write() as connection:
        app.amqp.queues["checks"].bind(connection).purge()
    logs = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    running = start_workers(workers, env, logs)
    try:
        check_all(warm_up[:workers])
        cpu_before, load_before = worker_cpu(running), os.getloadavg()[0]
        pool_before = pool_children(running)
        seconds = check_all(ids)
        cpu = worker_cpu(running) - cpu_before
        pool_after = pool_children(running)
        replaced = set(pool_before) != set(pool_after)
        rss = ", ".join(f"{mib} MiB" for mib in pool_after.values())
        load = (load_before + os.getloadavg()[0]) / 2
    finally:
        stop_workers(running)
        if not os.environ.get("BENCH_KEEP_LOGS"):
            shutil.rmtree(logs, ignore_errors=True)
    states = Counter(VerificationRequest.objects.filter(pk__in=ids)
                     .values_list("state", flat=True))
    print(f"  {workers} worker(s): {seconds:.1f} s for {len(ids)} submissions; worker CPU "
          f"{cpu:.1f} s ({cpu / seconds:.2f} cores busy, {cpu / len(ids):.2f} s per submission);"
          f" machine load about {load:.1f}; pool processes {rss}"
          f"{', replaced during the run' if replaced else ', never replaced'}; "
          f"states {dict(states)}", flush=True)
    return seconds


def pool_children(workers: list[subprocess.Popen]) -> dict[int, int]:
    """Each worker's pool process now: pid → resident memory in MiB."""
    found = {}
    for worker in workers:
        for pid in Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split():
            status = Path(f"/proc/{pid}/status").read_text().splitlines()
            rss = next((int(line.split()[1]) for line in status if line.startswith("VmRSS")), 0)
            found[int(pid)] = rss // 1024
    return found


def worker_cpu(workers: list[subprocess.Popen]) -> float:
    """CPU seconds (user + system) used so far by the workers and their pool processes,
    replaced pool processes included (counted in their parent once reaped)."""
    tick = os.sysconf("SC_CLK_TCK")
    pids = {w.pid for w in workers}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) in pids:
                    pids.add(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return total / tick


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    private_dir = tempfile.mkdtemp(prefix="bench-checks-private-")
    try:
        env = prepare(private_dir)
        made = make_submissions(args.submissions + 2)
        ids, warm_up = made[:args.submissions], made[args.submissions:]
        one, two = [], []
        for _ in range(args.rounds):
            one.append(drain(ids, warm_up, 1, env))
            two.append(drain(ids, warm_up, 2, env))
    finally:
        shutil.rmtree(private_dir, ignore_errors=True)
        from django.db import connections

        connections.close_all()
        subprocess.run(["psql", f"{PG}/postgres", "-q", "-c",
                        f"DROP DATABASE IF EXISTS {DB_NAME}"], check=False)
    one_s, two_s = statistics.median(one), statistics.median(two)
    print(f"checks-scaling: one_worker_s={one_s:.1f} two_workers_s={two_s:.1f} "
          f"ratio={one_s / two_s:.2f}")


if __name__ == "__main__":
    main()
