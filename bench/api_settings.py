"""Settings of the API benchmark only: the product's settings plus a URLconf
that adds a bare Django JSON view next to the real API. Never used by the product."""

from portal.settings.base import *  # noqa: F403

ROOT_URLCONF = "bench.api_urls"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "root": {"handlers": [], "level": "ERROR"}}
# The per-client limit stays on (its counting is part of what is measured),
# set far above what one machine can send so no request is refused.
PORTAL_API_RATE_PER_CLIENT = "1000000000/minute"
