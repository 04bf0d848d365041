"""CPU time per request of the signed-in status page and of the bare view, in-process.

The wrk benchmark (bench_status_page.py) measures what a client sees, but on
a shared machine its numbers move with everyone else's load. This measures
what one request costs the web process: the WSGI handler (the full middleware
stack) called directly, ``time.process_time`` over N calls, page and bare in
alternating rounds, medians. Database and Redis time spent waiting is not
counted; their own CPU is not either.

    .venv/bin/python bench/measure_status_page.py [--calls 300] [--rounds 5]

Same database and Redis databases as bench_status_page.py (re-created).
"""

from __future__ import annotations

import argparse
import os
import sys

from bench_status_page import BENCH, SETUP
from harness import PY

CHILD = """
import io, statistics, sys, time
import django
django.setup()
from django.core.handlers.wsgi import WSGIHandler

handler = WSGIHandler()
session, calls, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])


def environ(path):
    return {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1", "HTTP_COOKIE": cookie,
        "HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.8",
        "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr, "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0), "wsgi.multithread": False, "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def call(path):
    status = []
    body = b"".join(handler(environ(path), lambda s, h, *a: status.append((s, h))))
    assert status[0][0].startswith("200"), (path, status)
    return body, status[0][1]


# A browser's reload: the session and the CSRF cookie the first view set.
cookie = f"sessionid={session}"
body, headers = call("/")
assert b'data-testid="status-banner"' in body
csrf = [v.strip().split(";")[0] for k, v in headers
        if k == "Set-Cookie" and v.strip().startswith("csrftoken=")]
assert csrf, headers
cookie = "; ".join([cookie, *csrf])
call("/bench/bare")
got = {"/": [], "/bench/bare": []}
for _ in range(rounds):
    for path in got:
        start = time.process_time()
        for _ in range(calls):
            call(path)
        got[path].append((time.process_time() - start) / calls * 1e6)
page, bare = statistics.median(got["/"]), statistics.median(got["/bench/bare"])
print(f"status page {page:7.0f} us CPU per request")
print(f"bare view   {bare:7.0f} us CPU per request")
print(f"status-page-cpu: page_us={page:.0f} bare_us={bare:.0f} ratio={bare / page:.2f}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    session = BENCH.prepare_database(SETUP)
    os.execve(PY, [PY, "-c", CHILD, session, str(args.calls), str(args.rounds)], BENCH.env())


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
