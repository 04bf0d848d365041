"""Benchmark URLconf: the product's URLs plus ``/bench/bare`` (a plain Django JSON view)."""

import json
import os

from django.http import JsonResponse
from django.urls import path

from portal.urls import urlpatterns as product_urlpatterns

# The exact "may" body, passed in by bench_api.py, so both answers are the same size.
BARE_PAYLOAD = json.loads(os.environ.get("BENCH_BARE_BODY", '{"allowed":true}'))


def bare(request):
    """Do nothing but answer the same JSON as the "may" endpoint."""
    return JsonResponse(BARE_PAYLOAD, json_dumps_params={"separators": (",", ":")})


urlpatterns = [path("bench/bare", bare), *product_urlpatterns]
