"""A status cache that an older write can never overwrite.

Every snapshot carries the account's ``status_version``. Writers (the
services, on commit) and readers (on a miss) both store through a
compare-and-set that keeps the highest version, so a reader that loaded the
row just before a write commits cannot put the old status back.

The version is per account row, while the key is the platform's account id,
so the compare-and-set only compares versions of the same row: an entry left
by another row with that platform id (an id reassigned, or an account
deleted and created again) is replaced, never allowed to win on its version.

The cache never turns a committed write into an error. The services record
a ``status_cache.refresh`` outbox call with every status change: it is run
right after the commit and, if Redis failed, again by the outbox relay until
it took effect (the failed entry is dropped meanwhile, best effort, so readers
go to the database). If Redis fails during a read, the caller reads the
database. Entries expire after ``PORTAL_STATUS_CACHE_TTL_SECONDS``.

With a Redis cache (``CACHE_URL=redis://…``) the compare-and-set is a Lua
script run by Redis; with any other cache it is not attempted and reads go
to the database (one indexed row), because a per-process cache would be
stale across the web and worker processes.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import asdict, dataclass, field
from functools import lru_cache

from django.conf import settings

from . import outbox

logger = logging.getLogger(__name__)

# v2: snapshots carry the blocking holds. A new prefix rather than a decode
# rule, so an entry of the old shape is never read (it expires by its TTL).
KEY_PREFIX = "portal:status:v2:"
SNAPSHOT_FIELDS = (
    "pk", "platform_account_id", "status", "blocked_features", "status_version", "blocking_holds",
)


class CacheUnavailable(Exception):
    """A cache write did not take effect."""

# KEYS[1] key; ARGV: snapshot json, version, ttl, account id.
_STORE_IF_NEWER = """
local current = redis.call('GET', KEYS[1])
if current then
  local ok, decoded = pcall(cjson.decode, current)
  if ok and tonumber(decoded['account_id']) == tonumber(ARGV[4])
     and tonumber(decoded['version']) >= tonumber(ARGV[2]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
return 1
"""


@dataclass(frozen=True)
class StatusSnapshot:
    platform_account_id: str | None
    status: str
    blocked_features: list[str]
    version: int
    account_id: int | None = None
    # ``Account.blocking_holds``: each active hold's id, reason, level,
    # features and deadline, most severe first.
    holds: list[dict] = field(default_factory=list)

    @classmethod
    def of(cls, account) -> StatusSnapshot:
        return cls(
            platform_account_id=account.platform_account_id,
            status=account.status,
            blocked_features=list(account.blocked_features),
            version=account.status_version,
            account_id=account.pk,
            holds=list(account.blocking_holds),
        )

    def holds_blocking(self, feature: str) -> list[dict]:
        """Return the holds that block ``feature``, most severe first."""
        return [hold for hold in self.holds if feature in hold["features"]]


def _ttl() -> int:
    return int(getattr(settings, "PORTAL_STATUS_CACHE_TTL_SECONDS", 600))


@lru_cache(maxsize=1)
def _redis():
    """Return a Redis client on the cache's server, or None without Redis."""
    location = settings.CACHES["default"].get("LOCATION")
    backend = settings.CACHES["default"]["BACKEND"]
    if "redis" not in backend.lower() or not location:
        return None
    import redis

    url = location[0] if isinstance(location, list | tuple) else location
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return client, client.register_script(_STORE_IF_NEWER)


def status_cache_store(snapshot: StatusSnapshot) -> bool:
    """Store ``snapshot`` unless the cache already holds a newer version of its row.

    Returns False when Redis failed (the entry is then dropped, best effort,
    so readers go to the database); never raises.
    """
    if not snapshot.platform_account_id or (found := _redis()) is None:
        return True
    import redis

    client, store = found
    key = status_cache_key(snapshot.platform_account_id)
    try:
        store(
            keys=[key],
            args=[json.dumps(asdict(snapshot)), snapshot.version, _ttl(), str(snapshot.account_id)],
        )
        return True
    except redis.RedisError:
        logger.exception("Status cache store failed for %s; dropping the entry", key)
        try:
            client.delete(key)
        except redis.RedisError:
            logger.exception("Status cache delete failed for %s", key)
        return False


@outbox.registered_call("status_cache.refresh")
def status_cache_refresh(account_id: int) -> None:
    """Outbox call: store the account's committed status in the cache.

    Reads the row as committed (never a snapshot taken before the commit) and
    raises when Redis failed, so the outbox tries again until it took effect.
    """
    from .models import Account

    account = Account.objects.filter(pk=account_id).only(*SNAPSHOT_FIELDS).first()
    if account is not None and not status_cache_store(StatusSnapshot.of(account)):
        raise CacheUnavailable(f"status cache store failed for account {account_id}")


def status_cache_key(platform_account_id: str) -> str:
    return KEY_PREFIX + platform_account_id


def status_snapshot_decode(raw: bytes | None) -> StatusSnapshot | None:
    """Decode a raw cache value; an entry that does not decode (written by
    another version of this code, say) is a miss, never an error."""
    if not raw:
        return None
    try:
        return StatusSnapshot(**json.loads(raw))
    except (ValueError, TypeError):
        logger.warning("Unreadable status cache entry; reading the database")
        return None


def status_cache_get(platform_account_id: str) -> StatusSnapshot | None:
    """Return the cached snapshot, or None on a miss, without Redis, or on a Redis error."""
    if (found := _redis()) is None:
        return None
    import redis

    client, _store = found
    try:
        raw = client.get(status_cache_key(platform_account_id))
    except redis.RedisError:
        logger.warning("Status cache read failed; reading the database", exc_info=True)
        return None
    return status_snapshot_decode(raw)


def status_cache_enabled() -> bool:
    return _redis() is not None


def redis_client():
    """Return the process's long-lived Redis client on the cache server, or None.

    Django's cache backend reconnects on every request (it closes its
    connections when a request finishes); hot paths use this one instead.
    """
    found = _redis()
    return found[0] if found is not None else None


_own = threading.local()


def redis_mget(keys: list[str]) -> list[bytes | None]:
    """MGET on a connection owned by the calling thread: the API's hot round trip.

    redis-py's pool spends more CPU on each command than the command costs:
    a lock, usage counters and a poll() to check the connection is idle
    (about 120 µs per MGET against 40 µs on an owned connection, measured on
    this project's 2-core machine, see docs/benchmarks.md). A connection that
    only one thread of one process ever uses needs none of it. Any error
    drops the connection, so a half-read reply is never taken for the next
    one; a lost connection is retried once on a new one, and other errors are
    raised as ``redis.RedisError`` for the caller to fall back.
    Raises ``LookupError`` without a Redis cache.
    """
    import redis

    connection = _owned_connection()
    try:
        return _mget_on(connection, keys)
    except redis.ConnectionError:
        # Redis closed an idle connection or restarted: a read is safe to
        # repeat once, on a new connection (send_command reconnects).
        return _mget_on(connection, keys)


def _mget_on(connection, keys: list[str]) -> list[bytes | None]:
    try:
        connection.send_command("MGET", *keys)
        return connection.read_response()
    except BaseException:
        connection.disconnect()
        raise


def redis_mget_counting(keys: list[str], counter: str, ttl: int) -> tuple[list, int]:
    """``redis_mget`` plus INCR of ``counter`` (expiring after ``ttl`` seconds), in
    the same round trip: three commands pipelined on the thread's own connection.

    Returns the MGET values and the counter's new value; errors as ``redis_mget``.
    A lost connection is retried once: the INCR may then count one request twice.
    """
    import redis

    commands = [("MGET", *keys), ("INCR", counter), ("EXPIRE", counter, ttl)]
    connection = _owned_connection()
    try:
        replies = _pipeline_on(connection, commands)
    except redis.ConnectionError:
        replies = _pipeline_on(connection, commands)
    return replies[0], replies[1]


def _pipeline_on(connection, commands: list[tuple]) -> list:
    try:
        connection.send_packed_command(_pack(connection, commands))
        return [connection.read_response() for _command in commands]
    except BaseException:
        connection.disconnect()
        raise


def _pack(connection, commands: list[tuple]) -> list[bytes]:
    """Encode ``commands`` (str and int arguments only) in one buffer.

    hiredis' packer directly: redis-py's wrapper re-checks every argument and
    costs more than the encoding itself on this path.
    """
    try:
        import hiredis
    except ImportError:
        return connection.pack_commands(commands)
    return [b"".join([hiredis.pack_command(command) for command in commands])]


def _owned_connection():
    if (client := redis_client()) is None:
        raise LookupError("no Redis cache configured")
    # A new client (settings changed) or a new process (a connection inherited
    # across fork belongs to the parent) needs a connection of its own.
    if getattr(_own, "client", None) is not client or _own.pid != os.getpid():
        if getattr(_own, "connection", None) is not None and _own.pid == os.getpid():
            _own.connection.disconnect()
        pool = client.connection_pool
        _own.connection = pool.connection_class(**pool.connection_kwargs)
        _own.client, _own.pid = client, os.getpid()
    return _own.connection
