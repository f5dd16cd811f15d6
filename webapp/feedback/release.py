"""Releasing a recording's final scores to its trainee.  Callers commit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from webapp.audit import record_event
from webapp.errors import Conflict, InvalidInput, NotFound
from webapp.extensions import db
from webapp.models import AuditAction, FeedbackRelease, FinalScore, Recording, User

MAX_MESSAGE_CHARS = 2000


@dataclass(frozen=True)
class ReleaseRow:
    """One recording on the release page (educators and admins know who the trainee is)."""

    recording_id: int
    code: str
    trainee: str
    title: str
    created_at: datetime
    dimensions_scored: int
    released_at: datetime | None


def get_release(recording_id: int) -> FeedbackRelease | None:
    """The release of a recording, or None while its feedback is held back."""
    query = sa.select(FeedbackRelease).where(FeedbackRelease.recording_id == recording_id)
    return db.session.scalar(query)


def released_ids(recording_ids: Iterable[int]) -> set[int]:
    """Which of ``recording_ids`` have released feedback."""
    ids = list(recording_ids)
    if not ids:
        return set()
    query = sa.select(FeedbackRelease.recording_id).where(FeedbackRelease.recording_id.in_(ids))
    return set(db.session.scalars(query))


def list_release_rows() -> list[ReleaseRow]:
    """Every recording with at least one final score, newest first."""
    counts = (
        sa.select(FinalScore.recording_id, sa.func.count(FinalScore.id).label("n"))
        .group_by(FinalScore.recording_id)
        .subquery()
    )
    query = (
        sa.select(Recording, counts.c.n, FeedbackRelease.released_at)
        .join(counts, counts.c.recording_id == Recording.id)
        .outerjoin(FeedbackRelease, FeedbackRelease.recording_id == Recording.id)
        .order_by(Recording.created_at.desc(), Recording.id.desc())
    )
    return [
        _row(recording, n, released_at) for recording, n, released_at in db.session.execute(query)
    ]


def _row(recording: Recording, n: int, released_at: datetime | None) -> ReleaseRow:
    return ReleaseRow(
        recording_id=recording.id,
        code=recording.public_code or f"#{recording.id}",
        trainee=recording.trainee.name,
        title=recording.vignette_version.title,
        created_at=recording.created_at,
        dimensions_scored=n,
        released_at=released_at,
    )


def release_feedback(recording_ids: Iterable[int], message: str, by: User) -> list[FeedbackRelease]:
    """Release every recording in ``recording_ids``; all or none (409 if any lacks scores)."""
    ids = sorted(set(recording_ids))
    if not ids:
        raise InvalidInput("Choose at least one recording to release.")
    message = message.strip()
    if len(message) > MAX_MESSAGE_CHARS:
        raise InvalidInput(f"The message is too long: at most {MAX_MESSAGE_CHARS} characters.")
    recordings = [_releasable(recording_id) for recording_id in ids]
    already = released_ids(ids)
    return [_release(r, message, by) for r in recordings if r.id not in already]


def _releasable(recording_id: int) -> Recording:
    recording = db.session.get(Recording, recording_id)
    if recording is None:
        raise NotFound(f"There is no recording {recording_id}.")
    query = sa.select(FinalScore.id).where(FinalScore.recording_id == recording_id)
    if db.session.scalar(query.limit(1)) is None:
        code = recording.public_code or f"#{recording_id}"
        raise Conflict(f"Recording {code} has no final scores yet, so there is nothing to release.")
    return recording


def _release(recording: Recording, message: str, by: User) -> FeedbackRelease:
    release = FeedbackRelease(recording_id=recording.id, released_by_id=by.id, message=message)
    db.session.add(release)
    db.session.flush()
    record_event(
        AuditAction.FEEDBACK_RELEASED,
        obj=recording,
        actor=by,
        detail={"has_message": bool(message)},
    )
    return release
