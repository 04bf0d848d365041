"""gunicorn settings of the portal's web process (Procfile and production).

    gunicorn portal.wsgi --config portal/gunicorn.conf.py

Everything has an environment variable: PORTAL_ADDR (bind address),
WEB_CONCURRENCY (worker processes), WEB_THREADS, WEB_TIMEOUT, LOG_LEVEL,
LOG_FORMAT (json or text); gunicorn's own GUNICORN_CMD_ARGS and
FORWARDED_ALLOW_IPS work as usual. Django's settings module comes from
DJANGO_SETTINGS_MODULE (portal.settings.production in production).
"""

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

bind = os.environ.get("PORTAL_ADDR", "127.0.0.1:8000")
# gunicorn's advice: (2 x cores) + 1 workers. Each thread keeps its own
# persistent database connection: PostgreSQL sees workers x threads per host.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "2"))
# A request taking longer than this is killed (and its worker replaced).
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5  # behind a load balancer that reuses connections
# Replace each worker after about a thousand requests (bounded memory growth).
max_requests = 1000
max_requests_jitter = 100
if Path("/dev/shm").is_dir():
    worker_tmp_dir = "/dev/shm"  # the heartbeat file off a possibly slow disk
# gunicorn's control socket (gunicornc) defaults to one path per user, which
# two servers on one machine would share: only where a path is given.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True

# Logs: one line per request with the request id the portal returns.
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s'
_format = os.environ.get("LOG_FORMAT", "json")
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": True,  # ISO 8601 in UTC, whatever the process's time zone
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": _format if _format in ("json", "text") else "json",
            "stream": "ext://sys.stdout",
        },
    },
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": loglevel.upper(), "propagate": False},
        "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# Prometheus: the workers share their counters through files in one folder
# (prometheus_client's multiprocess mode), so a scrape that lands on any
# worker sees the whole server. It must be set before a worker imports
# prometheus_client, so here, in the master, before the workers start.
_OWN_METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
if _OWN_METRICS_DIR:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="portal-prometheus-")


def on_starting(server):
    """Drop counters a previous master left in a folder given to us."""
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.glob("*.db"):
        leftover.unlink()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _OWN_METRICS_DIR:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
