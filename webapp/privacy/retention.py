"""Retention: recordings keep their audio and transcript text for ``RETENTION_DAYS``.

Past ``retain_until`` the purge deletes the recording's folder (every audio file) and its
transcripts (the transcript rows and their segments: blanking text would still leave
timings and word lists, which are speech too), and its exemplars with their audio excerpts
(an excerpt is the recording's speech).  The recording row, its ratings, final
scores and rater evidence marks stay, so the statistics do not change.  Each purge is
audited (``recording.purged``) and sets ``purged_at``; running it twice does nothing more.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from webapp.audit import record_event
from webapp.extensions import db
from webapp.models import AuditAction, Recording, Transcript
from webapp.orm import utcnow
from webapp.practice import storage
from webapp.privacy.consent import remove_exemplars


def default_retain_until(created_at: datetime | None = None) -> datetime:
    """When a recording made at ``created_at`` (default: now) is due for purging."""
    days = int(current_app.config["RETENTION_DAYS"])
    return (created_at or utcnow()) + timedelta(days=days)


def backfill_retain_until() -> int:
    """Give every recording without ``retain_until`` one from its creation date."""
    query = sa.select(Recording).where(Recording.retain_until.is_(None))
    count = 0
    for recording in db.session.scalars(query):
        recording.retain_until = default_retain_until(recording.created_at)
        count += 1
    return count


def list_expired_recordings(now: datetime | None = None) -> list[Recording]:
    """Recordings past their retention date that have not been purged yet."""
    query = (
        sa.select(Recording)
        .where(
            Recording.retain_until.is_not(None),
            Recording.retain_until <= (now or utcnow()),
            Recording.purged_at.is_(None),
        )
        .order_by(Recording.id)
    )
    return list(db.session.scalars(query))


def purge_recording(recording: Recording) -> Path:
    """Delete the transcripts and mark the recording purged; returns its folder, to be
    removed once the transaction has committed (so a rollback never loses audio)."""
    transcripts = list(
        db.session.scalars(sa.select(Transcript).where(Transcript.recording_id == recording.id))
    )
    for transcript in transcripts:
        db.session.delete(transcript)
    exemplars = remove_exemplars(recording, reason="retention period over")
    recording.purged_at = utcnow()
    record_event(
        AuditAction.RECORDING_PURGED,
        obj=recording,
        actor=None,
        detail={
            "retain_until": recording.retain_until.isoformat() if recording.retain_until else None,
            "transcripts_deleted": len(transcripts),
            "exemplars_deleted": exemplars,
        },
    )
    return storage.recording_dir(recording)


def purge_expired_recordings(*, dry_run: bool = False) -> list[int]:
    """Purge every expired recording and commit; returns their ids."""
    expired = list_expired_recordings()
    ids = [recording.id for recording in expired]
    if dry_run or not expired:
        return ids
    folders = [purge_recording(recording) for recording in expired]
    db.session.commit()
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    return ids
