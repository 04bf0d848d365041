"""Perceptual hashes as signed 64-bit integers, and their distance in the database.

A 64-bit perceptual hash (imagehash's pHash, 16 hex digits) is stored as a
PostgreSQL ``bigint`` (signed), so the database can compute the Hamming
distance of two hashes: ``bit_count((a # b)::bit(64))`` on PostgreSQL, and a
function registered on each SQLite connection (``portal_hamming``) in the
embedded run. No index serves a distance query: the reuse check scans the ID
photos of other accounts, which is fine at this portal's scale (see
docs/verification.md).
"""

from __future__ import annotations

from django.db.models import Func, IntegerField


def to_signed(hex_hash: str) -> int | None:
    """Return the 64-bit hash as a signed integer (what a bigint column holds)."""
    if not hex_hash:
        return None
    value = int(hex_hash, 16)
    return value - (1 << 64) if value >= 1 << 63 else value


def hamming(a: int | None, b: int | None) -> int | None:
    """Number of differing bits of two signed 64-bit hashes (SQLite function too)."""
    if a is None or b is None:
        return None
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()


class HammingDistance(Func):
    """Hamming distance between two bigint hashes, computed by the database."""

    function = "portal_hamming"
    arity = 2
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection,
                           template="bit_count(CAST((%(expressions)s) AS bit(64)))",
                           arg_joiner=" # ", **extra)


def register_sqlite(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: give SQLite the distance function."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("portal_hamming", 2, hamming, deterministic=True)
