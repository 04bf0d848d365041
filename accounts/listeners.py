"""Who hears about which events: other apps react to the state model through here.

An app registers a function for the event kinds it cares about, in its
``AppConfig.ready()``::

    @listeners.listen(StatusEvent.Kind.HOLD_LIFTED)
    def appeals_close_for_lifted_hold(event): ...

``accounts.services.event_record`` then records, in the event's own
transaction, one outbox task per interested listener, so the state model
never imports the apps that react to it, and one listener failing never
keeps another from running. Listeners must be idempotent: a task can run
twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

ListenerFn = Callable[..., object]
_BY_NAME: dict[str, ListenerFn] = {}
_KINDS: dict[str, frozenset[str]] = {}


def listen(*kinds: str) -> Callable[[ListenerFn], ListenerFn]:
    """Register the decorated function for events of ``kinds``."""

    def register(function: ListenerFn) -> ListenerFn:
        name = f"{function.__module__}.{function.__qualname__}"
        _BY_NAME[name] = function
        _KINDS[name] = frozenset(str(kind) for kind in kinds)
        return function

    return register


def listeners_for(kind: str) -> list[str]:
    """Return the names of the listeners of events of ``kind``."""
    return [name for name, kinds in _KINDS.items() if kind in kinds]


def listener(name: str) -> ListenerFn:
    """Return the registered listener called ``name`` (LookupError if none)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise LookupError(f"No event listener is registered as {name!r}.") from None


def registered() -> Iterable[str]:
    return tuple(_BY_NAME)
