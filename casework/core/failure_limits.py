"""Rate limits that count only failed attempts, however many arrive at the same moment: the sign-in limits
(``casework.accounts.sign_in_limits``) and the public progress check's per-reference limit
(``casework.community_triggers.views.public``).

Every attempt takes its place in the limit *before* it is checked, in one atomic step of the storage
(Flask-Limiter's hit, without ``deduct_when``: the moving window's ``acquire_entry``), and
``counting_failures_only`` gives it back once the view has answered unless the view called ``failed()``.
So however many attempts arrive at once, no more of them are checked than the limit allows; testing the
limit first and counting the failure after the answer (``deduct_when``) would let a whole burst through
on the last place. Attempts still being checked hold their places, so an attempt made at the same moment
as many others may be refused while they are; one that did not fail gives its place back as soon as it
has answered.

A refused attempt took no place; a limit's own refusal, or another limit's, gives back the places the
attempt took in the others (it checked nothing).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any, cast

from flask import current_app, g
from flask_limiter import RequestLimit
from limits.storage import MemoryStorage, RedisStorage, Storage

from casework.extensions import limiter

if TYPE_CHECKING:
    import redis

#: Where ``failed()`` marks the request.
_FAILED = "limited_attempt_failed"


def failed() -> None:
    """Count this request in the limits its view is under (``counting_failures_only``): it failed."""
    setattr(g, _FAILED, True)


def has_failed() -> bool:
    return bool(g.get(_FAILED))


def counting_failures_only(*scopes: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give back, once the view has answered, the places the request took in the shared limits named by
    ``scopes``, unless the view called ``failed()``. Put it above the limits' decorators, so that it
    sees them refuse too."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def attempt(*args: Any, **kwargs: Any) -> Any:
            try:
                return view(*args, **kwargs)
            finally:
                if not has_failed():
                    give_back(scopes)

        return attempt

    return decorate


def taken(scopes: Collection[str]) -> list[RequestLimit]:
    """The places this request took in the shared limits named by ``scopes`` (a limit it was over took
    none). A shared limit's scope is the last of its request arguments."""
    return [item for item in limiter.current_limits if not item.breached and item.request_args[-1] in scopes]


def give_back(scopes: Collection[str]) -> None:
    """Give back the places this request took in the limits named by ``scopes``: it is not to count."""
    places = taken(scopes)
    if not places:
        return
    try:
        storage = limiter.limiter.storage
        for item in places:
            _remove_newest_entry(storage, item.key)
    except Exception:  # the storage went away mid-request: the attempt counts, which errs on the safe side
        current_app.logger.warning("Could not give back an attempt's place in %s", sorted(scopes), exc_info=True)


def _remove_newest_entry(storage: Storage, key: str) -> None:
    """Remove the newest entry of a moving window, atomically. It is this request's own or one taken
    after it by an attempt still running: either way the window holds one entry fewer, and the entry
    left is the older, so the window frees no later than it would have without this request."""
    if isinstance(storage, RedisStorage):
        # The window is a list, newest first (``acquire_moving_window.lua`` pushes on the left).
        connection = cast("redis.Redis", storage.get_connection())
        connection.lpop(storage.prefixed_key(key))
    elif isinstance(storage, MemoryStorage):
        # The window is a list of entries, newest first, changed under the key's lock.
        with storage.locks[key]:
            if events := storage.events.get(key):
                del events[0]
    else:  # casework.config allows only these two
        raise TypeError(f"Cannot give back an attempt's place in {type(storage).__name__}")
