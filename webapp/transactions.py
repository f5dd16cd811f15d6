"""Committing writes that may race with another request.

Two requests can write the same rows at the same moment: a rater double-clicking
"Submit", two raters finishing the same recording.  The database settles it (a unique
constraint, SQLite's single writer, PostgreSQL's serialisation) by failing one of them;
that request then starts again from fresh data, where the idempotent service sees the
other request's result instead of writing twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa

from webapp.extensions import db

T = TypeVar("T")

CONFLICT_HINTS = ("database is locked", "busy", "could not serialize", "deadlock", "unique")


def is_write_conflict(error: sa.exc.DBAPIError) -> bool:
    """A clash with a concurrent transaction, as opposed to bad data or a broken DB."""
    message = str(error.orig).lower()
    return isinstance(error, sa.exc.IntegrityError | sa.exc.OperationalError) and any(
        hint in message for hint in CONFLICT_HINTS
    )


def commit_with_retry(work: Callable[[], T], *, attempts: int = 4) -> T:
    """Run ``work`` and commit; on a write conflict roll back and run it again."""
    for attempt in range(1, attempts + 1):
        try:
            result = work()
            db.session.commit()
            return result
        except sa.exc.DBAPIError as error:
            db.session.rollback()
            if attempt == attempts or not is_write_conflict(error):
                raise
            time.sleep(0.05 * attempt)  # let the other transaction finish
    raise AssertionError("unreachable")  # pragma: no cover
