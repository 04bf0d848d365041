"""API keys and webhook signatures: the only cryptography of the API.

API keys look like ``psk_<prefix>_<secret>``. The prefix is stored in clear
for lookup; the whole key only as a SHA-256 digest (the key carries 256 bits
of randomness, so a slow password hash would add cost and no safety).

Webhook bodies are signed as Stripe does it: ``X-Portal-Signature:
t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

KEY_SCHEME = "psk"
PREFIX_LENGTH = 12
SIGNATURE_HEADER = "X-Portal-Signature"
EVENT_ID_HEADER = "X-Portal-Event-Id"
DEFAULT_TOLERANCE_SECONDS = 300


def key_generate() -> tuple[str, str, str]:
    """Return a new ``(full key, prefix, digest)``; only the last two are stored."""
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    full = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    return full, prefix, key_digest(full)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_prefix(key: str) -> str | None:
    """Return the lookup prefix of a well-formed key, else None."""
    scheme, sep, rest = key.partition("_")
    prefix, sep2, secret = rest.partition("_")
    if scheme != KEY_SCHEME or not sep or not sep2 or len(prefix) != PREFIX_LENGTH or not secret:
        return None
    return prefix


def key_matches(key: str, digest: str) -> bool:
    return hmac.compare_digest(key_digest(key), digest)


def secret_generate() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def signature_header(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """Return the value of the signature header for ``body`` sent at ``timestamp``."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def signature_verify(
    secret: str,
    body: bytes,
    header: str,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: int | None = None,
) -> bool:
    """Return whether ``header`` is a valid, fresh signature of ``body``.

    The reference implementation of what docs/api.md tells receivers to do.
    """
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        t = int(parts["t"])
    except (KeyError, ValueError):
        return False
    now = int(time.time()) if now is None else now
    if abs(now - t) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))
