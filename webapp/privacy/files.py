"""Files whose fate follows a database transaction.

An excerpt file belongs to an exemplar row.  Deleting the file before the row's deletion
commits could lose audio that a rollback then still points at; writing a file for a row
that is rolled back would leave speech nobody knows about.  So removals wait for the
commit, and files written for a transaction that rolls back are removed.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import db

TO_REMOVE = "privacy_files_to_remove"
WRITTEN = "privacy_files_written"


def remove_after_commit(path: Path) -> None:
    db.session.info.setdefault(TO_REMOVE, []).append(path)


def remove_on_rollback(path: Path) -> None:
    db.session.info.setdefault(WRITTEN, []).append(path)


def _unlink(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


@sa.event.listens_for(so.Session, "after_commit")
def _remove_released_files(session: so.Session) -> None:
    session.info.pop(WRITTEN, None)  # committed: the new files are wanted
    _unlink(session.info.pop(TO_REMOVE, []))


@sa.event.listens_for(so.Session, "after_rollback")
def _remove_orphaned_files(session: so.Session) -> None:
    session.info.pop(TO_REMOVE, None)  # rolled back: the rows still point at them
    _unlink(session.info.pop(WRITTEN, []))
