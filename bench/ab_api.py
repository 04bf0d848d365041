"""Compare bench_api.py between two checkouts, served at the same time.

On a shared machine a run of bench_api.py for one checkout and then another
compares two different moments of the machine's load. This serves both
checkouts at once (each its own gunicorn, database and bench_api.py setup)
and alternates the wrk rounds between them (may-before, may-after,
bare-before, bare-after, the order of the two flipped every round), so both
see the same noise. Prints each checkout's "may"/bare ratio and the per-round
ratio of the two "may" throughputs.

    .venv/bin/python bench/ab_api.py --before /tmp/main-copy --after . [--rounds 7]

Each checkout needs its own .venv (a symlink is fine). Uses the databases
``portal_ab_before`` and ``portal_ab_after`` (dropped and re-created) and
Redis database 6 unless BENCH_CACHE_URL says otherwise. Not run by
``make bench`` (it needs two checkouts).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import tempfile
from pathlib import Path

SIDES = ("before", "after")


def _bench_module(tree: Path, side: str):
    """Load that checkout's bench_api.py, pointed at its own tree and database."""
    spec = importlib.util.spec_from_file_location(f"bench_api_{side}", tree / "bench/bench_api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.ROOT, module.PY = tree, str(tree / ".venv/bin/python")
    module.DB_NAME = f"portal_ab_{side}"
    return module


def _serve(module, workers: int) -> tuple[object, str, str, str]:
    """Prepare the database and start gunicorn; return (process, may URL, bare URL, key)."""
    key = module.prepare_database()
    port = module.free_port()
    probe = module.start_gunicorn(port, 1, "{}")
    try:
        body = module.wait_until_up(f"http://127.0.0.1:{port}/api/v1/accounts/bench-1/may/publish",
                                    key).decode()
    finally:
        probe.terminate()
        probe.wait()
    port = module.free_port()
    base = f"http://127.0.0.1:{port}"
    server = module.start_gunicorn(port, workers, body)
    module.wait_until_up(f"{base}/bench/bare", key)
    print(f"{module.DB_NAME}: body {len(body)} B", flush=True)
    return server, f"{base}/api/v1/accounts/bench-1/may/publish", f"{base}/bench/bare", key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    args = parser.parse_args()
    modules = {"before": _bench_module(args.before.resolve(), "before"),
               "after": _bench_module(args.after.resolve(), "after")}
    served, scripts = {}, {}
    try:
        for side in SIDES:
            served[side] = _serve(modules[side], args.workers)
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
                lua.write(modules[side].LUA % served[side][3])
            scripts[side] = lua.name
        wrk = modules["after"].wrk
        for side in SIDES:  # warm-up, not counted
            wrk(served[side][1], scripts[side], 2, 8)
            wrk(served[side][2], scripts[side], 2, 8)
        rps = {(side, kind): [] for side in SIDES for kind in ("may", "bare")}
        for n in range(args.rounds):
            order = SIDES if n % 2 == 0 else tuple(reversed(SIDES))
            for kind, index in (("may", 1), ("bare", 2)):
                for side in order:
                    rate, _p99 = wrk(served[side][index], scripts[side], args.seconds, 8)
                    rps[side, kind].append(rate)
            cells = [f"{side}/{kind} {rps[side, kind][-1]:.0f}"
                     for side in SIDES for kind in ("may", "bare")]
            print(f"round {n + 1}: " + "  ".join(cells), flush=True)
    finally:
        for side in served:
            served[side][0].terminate()
            served[side][0].wait()
        for name in scripts.values():
            os.unlink(name)
    for side in SIDES:
        may, bare = statistics.median(rps[side, "may"]), statistics.median(rps[side, "bare"])
        pairs = zip(rps[side, "may"], rps[side, "bare"], strict=True)
        per_round = statistics.median(a / b for a, b in pairs)
        print(f"{side:>6}: may {may:.0f} req/s, bare {bare:.0f} req/s, ratio {may / bare:.1%} "
              f"(median of per-round ratios {per_round:.1%})")
    pairs = zip(rps["after", "may"], rps["before", "may"], strict=True)
    after_over_before = [a / b for a, b in pairs]
    print(f"'may' after / before, per round: median {statistics.median(after_over_before):.1%}")


if __name__ == "__main__":
    main()
