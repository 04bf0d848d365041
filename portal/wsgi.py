"""WSGI entry point for gunicorn."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.base")
application = get_wsgi_application()

# What start-up made (Django, the apps, their modules) lives as long as the
# process. Frozen, it is left out of the collector's full passes, which
# otherwise walk all of it every few thousand requests and show up as the
# slowest responses under load.
gc.freeze()
