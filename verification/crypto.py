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

from . import documents


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


def mask(number: str, *, document_type: str) -> str:
    """Return ``number`` with most characters starred, by document type.

    A resident ID keeps its region and last four (1101**********123X): 8 of 18.
    Every other number keeps ``len // 6`` (at least one) at each end, so a
    9-character passport shows 2 of 9 (E*******8) and never more than a third.
    """
    if document_type == documents.MAINLAND_ID and len(number) == 18:
        keep = 4
    elif len(number) >= 6:
        keep = max(1, len(number) // 6)
    else:
        keep = 0
    if keep == 0:
        return "*" * len(number)
    return number[:keep] + "*" * (len(number) - 2 * keep) + number[-keep:]
