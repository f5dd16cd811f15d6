"""Practice sessions: starting, receiving chunks and uploads, finishing.  Callers commit.

Nothing half-written survives: chunks are written to a temporary name and renamed into
place; an upload is validated before its recording row exists; a failed finish leaves
the chunks in place so the browser can finish again.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from webapp import audio
from webapp.audit import record_event
from webapp.errors import Conflict, DomainError, InvalidInput, NotFound
from webapp.extensions import db
from webapp.jobs import enqueue_job
from webapp.models import (
    AuditAction,
    Job,
    Recording,
    RecordingChunk,
    RecordingSource,
    RecordingStatus,
    Role,
    User,
    Vignette,
)
from webapp.orm import utcnow
from webapp.practice import storage

log = logging.getLogger(__name__)
PREPARE_JOB = "prepare-recording"
IMPORT_PRIORITY = -10


class MissingChunks(Conflict):
    """The browser says it sent chunks the server does not have."""

    def __init__(self, missing: list[int]) -> None:
        super().__init__(f"{len(missing)} piece(s) of the recording have not arrived yet.")
        self.missing = missing


@dataclass(frozen=True)
class ActorChoice:
    actor_id: int | None = None
    actor_name: str | None = None


def _default_retain_until() -> Any:
    # Imported here: webapp.privacy imports this package's storage module.
    from webapp.privacy.retention import default_retain_until

    return default_retain_until()


def max_seconds() -> float:
    return float(current_app.config["MAX_RECORDING_MINUTES"]) * 60


def get_actor_choice(actor_id: str | None, actor_name: str | None) -> ActorChoice:
    """An actor account, or a free-text name when the actor has no account."""
    name = (actor_name or "").strip()[:120] or None
    if actor_id:
        actor = db.session.get(User, int(actor_id)) if actor_id.isdigit() else None
        if actor is None or not actor.active or Role.ACTOR not in actor.roles:
            raise InvalidInput("Choose an actor from the list, or type the actor's name.")
        return ActorChoice(actor_id=actor.id)
    if name is None:
        raise InvalidInput("Say who played the parent: choose an actor or type their name.")
    return ActorChoice(actor_name=name)


def list_actors() -> list[User]:
    query = sa.select(User).where(User.active, User.role_rows.any(role=str(Role.ACTOR)))
    return list(db.session.scalars(query.order_by(User.name)))


def get_active_vignette(slug: str) -> Vignette:
    vignette = db.session.scalar(sa.select(Vignette).where(Vignette.slug == slug))
    if vignette is None or vignette.is_retired:
        raise NotFound("That scenario does not exist or has been retired.")
    return vignette


def start_session(trainee: User, vignette: Vignette, actor: ActorChoice) -> Recording:
    """Create a browser recording against the vignette's current version."""
    recording = Recording(
        trainee_id=trainee.id,
        vignette_version_id=vignette.current.id,
        actor_id=actor.actor_id,
        actor_name=actor.actor_name,
        source=RecordingSource.BROWSER,
        storage_key=storage.new_storage_key(),
        retain_until=_default_retain_until(),
        original_format="webm",
    )
    db.session.add(recording)
    db.session.flush()
    storage.chunk_dir(recording).mkdir(parents=True, exist_ok=True)
    return recording


def get_recording_for(user: User, recording_id: int) -> Recording:
    """The recording if ``user`` may see it (its trainee, educators, admins), else 404."""
    recording = db.session.get(Recording, recording_id)
    if recording is None or not can_view(user, recording):
        raise NotFound("There is no such recording, or it is not yours.")
    return recording


def can_view(user: User, recording: Recording) -> bool:
    return recording.trainee_id == user.id or user.has_role(Role.EDUCATOR, Role.ADMIN)


def get_own_recording(user: User, recording_id: int) -> Recording:
    recording = db.session.get(Recording, recording_id)
    if recording is None or recording.trainee_id != user.id:
        raise NotFound("There is no such recording, or it is not yours.")
    return recording


def receive_chunk(recording: Recording, seq: int, data: bytes) -> bool:
    """Store chunk ``seq``; True if new, False if the same bytes were already stored."""
    if seq < 0 or seq > 100_000:
        raise InvalidInput("That chunk number is out of range.")
    if not data:
        raise InvalidInput("That chunk is empty.")
    digest = hashlib.sha256(data).hexdigest()
    existing = db.session.scalar(
        sa.select(RecordingChunk).filter_by(recording_id=recording.id, seq=seq)
    )
    if existing is not None:
        if existing.sha256 == digest:
            return False
        raise Conflict(f"Chunk {seq} was already received with different content.")
    if recording.status != RecordingStatus.RECORDING:
        raise Conflict("This recording is finished and takes no more audio.")
    audio.write_file_atomically(storage.chunk_path(recording, seq), data)
    db.session.add(
        RecordingChunk(recording_id=recording.id, seq=seq, size_bytes=len(data), sha256=digest)
    )
    recording.last_chunk_at = utcnow()
    return True


def finish_recording(recording: Recording, expected_chunks: int | None) -> bool:
    """Assemble the chunks and queue processing; False if it was already finished."""
    if recording.status != RecordingStatus.RECORDING:
        return False
    received = sorted(chunk.seq for chunk in recording.chunks)
    count = expected_chunks if expected_chunks is not None else len(received)
    missing = sorted(set(range(count)) - set(received))
    if missing:
        raise MissingChunks(missing)
    if count == 0:
        raise InvalidInput("No audio arrived for this recording. Please record again.")
    paths = [storage.chunk_path(recording, seq) for seq in range(count)]
    info = audio.concatenate_chunks(
        paths, storage.original_path(recording), max_seconds=max_seconds()
    )
    _mark_received(recording, info)
    for path in storage.chunk_dir(recording).glob("*.part"):
        path.unlink(missing_ok=True)
    return True


def _mark_received(recording: Recording, info: audio.AudioInfo) -> None:
    recording.duration_seconds = info.duration_seconds
    recording.size_bytes = storage.original_path(recording).stat().st_size
    recording.status = RecordingStatus.PROCESSING
    recording.finished_at = utcnow()
    # Bulk imports (demo data, the CLI) wait behind recordings trainees are waiting for.
    priority = IMPORT_PRIORITY if recording.source == RecordingSource.IMPORT else 0
    enqueue_job(PREPARE_JOB, recording.id, priority=priority)
    record_event(AuditAction.RECORDING_FINISHED, obj=recording, detail={"source": recording.source})


def accept_upload(
    trainee: User,
    vignette: Vignette,
    actor: ActorChoice,
    stream: IO[bytes],
    filename: str | None,
    *,
    source: RecordingSource = RecordingSource.UPLOAD,
) -> Recording:
    """Stream an upload to disk, validate it, then create its recording (all or nothing)."""
    max_bytes = int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024
    incoming = audio.save_stream(stream, storage.upload_tmp_dir(), max_bytes=max_bytes)
    try:
        fmt = audio.sniff_format(incoming)
        info = audio.probe(incoming, max_seconds=max_seconds())
        recording = Recording(
            trainee_id=trainee.id,
            vignette_version_id=vignette.current.id,
            actor_id=actor.actor_id,
            actor_name=actor.actor_name,
            source=source,
            storage_key=storage.new_storage_key(),
            retain_until=_default_retain_until(),
            original_format=fmt,
            original_name=(filename or "")[:255] or None,
        )
        db.session.add(recording)
        db.session.flush()
        storage.recording_dir(recording).mkdir(parents=True, exist_ok=True)
        os.replace(incoming, storage.original_path(recording))
    except BaseException:
        incoming.unlink(missing_ok=True)
        raise
    _mark_received(recording, info)
    record_event(AuditAction.RECORDING_UPLOADED, obj=recording, detail={"format": fmt})
    return recording


def discard_new_recording_files(recording: Recording) -> None:
    """Remove the files of a recording whose transaction is being rolled back."""
    storage.remove_recording_files(recording)


def get_prepare_job(recording: Recording) -> Job | None:
    return db.session.scalar(
        sa.select(Job)
        .where(Job.kind == PREPARE_JOB, Job.subject_id == recording.id)
        .order_by(Job.id.desc())
        .limit(1)
    )


def recording_status(recording: Recording) -> dict[str, object]:
    """What the progress bar polls for."""
    job = get_prepare_job(recording)
    progress = 1.0 if recording.status == RecordingStatus.READY else (job.progress if job else 0.0)
    error = recording.error or (job.error if job and job.status == "failed" else None)
    return {
        "status": recording.status,
        "progress": round(progress, 3),
        "error": error,
        "duration": recording.duration_seconds,
        "job": job.status if job else None,
    }


def list_sessions(user: User) -> list[Recording]:
    query = (
        sa.select(Recording)
        .where(Recording.trainee_id == user.id)
        .options(so.selectinload(Recording.vignette_version), so.selectinload(Recording.actor))
    )
    return list(db.session.scalars(query.order_by(Recording.created_at.desc())))


def abandon_stale_recordings(older_than_minutes: int) -> list[int]:
    """Finish browser recordings whose tab went away, from the chunks that arrived."""
    from datetime import timedelta

    cutoff = utcnow() - timedelta(minutes=older_than_minutes)
    stale = db.session.scalars(
        sa.select(Recording).where(
            Recording.status == RecordingStatus.RECORDING,
            sa.func.coalesce(Recording.last_chunk_at, Recording.created_at) < cutoff,
        )
    ).all()
    return [recording.id for recording in stale if finish_from_contiguous_chunks(recording)]


def finish_from_contiguous_chunks(recording: Recording) -> bool:
    """Finish from the chunks that arrived in order; False if the disk is full (the chunks
    stay, and the next periodic run tries again)."""
    received = sorted(chunk.seq for chunk in recording.chunks)
    contiguous = next((i for i, seq in enumerate(received) if seq != i), len(received))
    try:
        finish_recording(recording, contiguous)
    except audio.StorageFull as error:
        log.error(
            "recording %d not finished, DATA_DIR is out of space: %s", recording.id, error.detail
        )
        return False
    except (DomainError, audio.AudioError) as error:
        recording.status = RecordingStatus.FAILED
        recording.error = getattr(error, "message", str(error))
    return True


def delete_recording(recording: Recording, user: User) -> Path:
    """Delete a recording and everything hanging off it; returns its folder to remove
    once the transaction has committed.  Trainees may delete their own recordings until
    rating has started; administrators may delete any."""
    is_admin = user.has_role(Role.ADMIN)
    if not is_admin and recording.trainee_id != user.id:
        raise NotFound("There is no such recording, or it is not yours.")
    if not is_admin and has_rating_tasks(recording):
        raise Conflict("Rating has started on this recording; ask an administrator to delete it.")
    folder = storage.recording_dir(recording)
    record_event(
        AuditAction.RECORDING_DELETED,
        obj=recording,
        detail={"by_admin": is_admin, "status": recording.status},
    )
    db.session.delete(recording)
    return folder


def has_rating_tasks(recording: Recording) -> bool:
    from webapp.models import RatingTask

    query = sa.select(RatingTask.id).where(RatingTask.recording_id == recording.id).limit(1)
    return db.session.scalar(query) is not None


def retry_preparation(recording: Recording) -> Job:
    """Give a recording whose preparation job failed a fresh set of attempts."""
    from webapp.jobs import retry_job

    job = get_prepare_job(recording)
    if job is None or job.status != "failed":
        raise Conflict("Only a failed transcription can be retried.")
    retry_job(job)
    return job
