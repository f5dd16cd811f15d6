"""Per-app memory of expensive derived data, keyed by a fingerprint of what it derives from.

Some pages summarise every rating in the database (the reliability report with its
bootstrap, the count of recordings awaiting adjudication).  Their inputs change far less
often than they are read, so the result is kept under a key that includes a cheap
fingerprint of the inputs (:mod:`webapp.reports.data`): when the data changes, the key
changes and the next reader computes afresh.  A lock per kind makes concurrent readers of
a stale entry wait for one computation instead of each starting their own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import current_app

T = TypeVar("T")
MEMO = "simclient.memo"
MAX_ENTRIES = 32
_LOCKS = {"guard": threading.Lock()}


def _lock_for(kind: str) -> threading.Lock:
    with _LOCKS["guard"]:
        return _LOCKS.setdefault(kind, threading.Lock())


def memoized(kind: str, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or what it returned before for the same ``kind`` and ``key``.

    The value is shared between requests: callers must treat it as read-only.
    """
    cache: dict[Hashable, object] = current_app.extensions.setdefault(MEMO, {})
    full_key = (kind, key)
    with _lock_for(kind):
        if full_key not in cache:
            if len(cache) >= MAX_ENTRIES:
                cache.clear()
            cache[full_key] = compute()
        return cache[full_key]  # type: ignore[return-value]
