"""Encryption at rest, keyed identity hashes and masking of document numbers.

Document numbers are encrypted with ``cryptography``'s MultiFernet: the first
key of ``settings.PORTAL_FIELD_ENCRYPTION_KEYS`` encrypts, every key decrypts,
so rotation is "put a new key first, run ``manage.py verification_rotate_keys``,
then drop the old key". Lookups never decrypt: an HMAC-SHA256 over the
normalised number (and document type) with ``settings.PORTAL_IDENTITY_HASH_KEY``
is stored beside the ciphertext and indexed.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    """Return the MultiFernet built from the configured keys (newest first)."""
    return _fernet(tuple(settings.PORTAL_FIELD_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    """Encrypt ``value`` with the newest key; return a text token."""
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """Decrypt a token made by ``encrypt`` with any configured key."""
    return fernet().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    """Re-encrypt ``token`` under the newest key."""
    return fernet().rotate(token.encode()).decode()


def identity_hash(document_type: str, number: str) -> str:
    """Return the keyed hash that indexes an identity (type + normalised number)."""
    key = settings.PORTAL_IDENTITY_HASH_KEY.encode()
    message = f"{document_type}:{number}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def mask(number: str) -> str:
    """Show only the first four and last four characters: 1101**********123X."""
    if len(number) <= 8:
        return number[:1] + "*" * max(len(number) - 2, 0) + number[-1:]
    return number[:4] + "*" * (len(number) - 8) + number[-4:]
