"""Writes of the API app: service clients (``clients``) and webhooks (``webhooks``).

Holds and status are never written here: the API views call
``accounts.services`` for those.
"""

from .clients import (
    api_client_cache_forget,
    service_client_create,
    service_client_revoke,
    service_client_update,
)
from .webhooks import (
    webhook_backoff,
    webhook_deliver,
    webhook_deliveries_create,
    webhook_deliveries_sweep,
    webhook_endpoint_rotate_secret,
    webhook_headers,
    webhook_resend,
)

__all__ = [
    "api_client_cache_forget",
    "service_client_create",
    "service_client_revoke",
    "service_client_update",
    "webhook_backoff",
    "webhook_deliver",
    "webhook_deliveries_create",
    "webhook_deliveries_sweep",
    "webhook_endpoint_rotate_secret",
    "webhook_headers",
    "webhook_resend",
]
