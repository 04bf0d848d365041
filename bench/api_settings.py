"""Settings of the API benchmark only: the product's settings plus a URLconf
that adds a bare Django JSON view next to the real API. Never used by the product."""

from portal.settings.base import *  # noqa: F403

ROOT_URLCONF = "bench.api_urls"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "root": {"handlers": [], "level": "ERROR"}}
