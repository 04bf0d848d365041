"""A status cache that an older write can never overwrite.

Every snapshot carries the account's ``status_version``. Writers (the
services, on commit) and readers (on a miss) both store through a
compare-and-set that keeps the highest version, so a reader that loaded the
row just before a write commits cannot put the old status back.

With a Redis cache (``CACHE_URL=redis://…``) the compare-and-set is a Lua
script run by Redis; with any other cache it is not attempted and reads go
to the database (one indexed row), because a per-process cache would be
stale across the web and worker processes.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import lru_cache

from django.conf import settings

KEY_PREFIX = "portal:status:"
TTL_SECONDS = 3600

_STORE_IF_NEWER = """
local current = redis.call('GET', KEYS[1])
if current then
  local ok, decoded = pcall(cjson.decode, current)
  if ok and tonumber(decoded['version']) >= tonumber(ARGV[2]) then
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

    @classmethod
    def of(cls, account) -> StatusSnapshot:
        return cls(
            platform_account_id=account.platform_account_id,
            status=account.status,
            blocked_features=list(account.blocked_features),
            version=account.status_version,
        )


@lru_cache(maxsize=1)
def _redis():
    """Return a Redis client on the cache's server, or None without Redis."""
    location = settings.CACHES["default"].get("LOCATION")
    backend = settings.CACHES["default"]["BACKEND"]
    if "redis" not in backend.lower() or not location:
        return None
    import redis

    url = location[0] if isinstance(location, list | tuple) else location
    client = redis.Redis.from_url(url)
    return client, client.register_script(_STORE_IF_NEWER)


def status_cache_store(snapshot: StatusSnapshot) -> None:
    """Store ``snapshot`` unless the cache already holds a newer version."""
    if not snapshot.platform_account_id or (found := _redis()) is None:
        return
    _client, store = found
    store(
        keys=[KEY_PREFIX + snapshot.platform_account_id],
        args=[json.dumps(asdict(snapshot)), snapshot.version, TTL_SECONDS],
    )


def status_cache_get(platform_account_id: str) -> StatusSnapshot | None:
    """Return the cached snapshot, or None on a miss or without Redis."""
    if (found := _redis()) is None:
        return None
    client, _store = found
    raw = client.get(KEY_PREFIX + platform_account_id)
    return StatusSnapshot(**json.loads(raw)) if raw else None


def status_cache_enabled() -> bool:
    return _redis() is not None
