"""Background work for recordings: playback copy, recognition PCM, transcription."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from flask import current_app
from huey import crontab

from webapp import audio
from webapp.audit import record_event
from webapp.extensions import db
from webapp.jobs import get_app, huey, job_handler
from webapp.models import AuditAction, Job, Recording, RecordingStatus
from webapp.practice import storage
from webapp.practice.services import PREPARE_JOB, abandon_stale_recordings, max_seconds
from webapp.practice.transcripts import store_recognised

log = logging.getLogger(__name__)
PROCESSING_SHARE = 0.05  # of the progress bar: decoding and encoding before recognition


@job_handler(PREPARE_JOB)
def prepare_recording(job: Job, progress: Callable[[float], None]) -> None:
    """Make the playback copy and PCM (once), then the transcript (once).  Idempotent."""
    recording = db.session.get(Recording, job.subject_id)
    if recording is None or recording.status in (RecordingStatus.READY, RecordingStatus.FAILED):
        return
    try:
        ensure_derived_audio(recording)
    except audio.StorageFull:
        raise  # not the recording's fault: the job retries with backoff once space is freed
    except audio.AudioError as error:
        mark_failed(recording, error.message)
        return
    progress(PROCESSING_SHARE)
    if recording.latest_transcript is None:
        result = run_recogniser(
            recording, lambda share: progress(PROCESSING_SHARE + (1 - PROCESSING_SHARE) * share)
        )
        if parent_speaks_first(recording):
            swap_speakers(result.segments)
        store_recognised(recording, result)
    recording.status = RecordingStatus.READY
    db.session.commit()
    allocate_ready_recording(recording.id)


def allocate_ready_recording(recording_id: int) -> None:
    """Give a newly READY recording its raters; without raters it waits for
    ``flask rating allocate``."""
    from webapp.review.allocation import allocate_recordings

    report = allocate_recordings([recording_id])
    db.session.commit()
    if report.pending:
        log.info("recording %d waits for raters: %s", recording_id, report.message)


def ensure_derived_audio(recording: Recording) -> None:
    playback, speech = storage.playback_path(recording), storage.speech_path(recording)
    if playback.exists() and speech.exists():
        return
    processed = audio.process_recording(
        storage.original_path(recording),
        storage.recording_dir(recording),
        max_seconds=max_seconds(),
    )
    os.replace(processed.playback_path, playback)
    os.replace(processed.recognition_path, speech)
    recording.duration_seconds = processed.info.duration_seconds


def run_recogniser(recording: Recording, progress: Callable[[float], None]) -> Any:
    from webapp.transcription import transcribe

    config = current_app.config
    return transcribe(
        storage.speech_path(recording),
        model_name=config["WHISPER_MODEL"],
        data_dir=config["DATA_DIR"],
        threads=config["WHISPER_THREADS"],
        progress=progress,
        stereo_source=storage.original_path(recording),
    )


def parent_speaks_first(recording: Recording) -> bool:
    """The speaker cue takes whoever speaks first for the worker.  When the vignette gives
    the actor an opening line, the parent opens the door and speaks first instead."""
    brief = recording.vignette_version.actor_brief or {}
    return bool(brief.get("opening_line"))


def swap_speakers(segments: list[Any]) -> None:
    for segment in segments:
        segment.speaker = SWAPPED.get(segment.speaker, segment.speaker)


SWAPPED = {"worker": "client", "client": "worker"}


def mark_failed(recording: Recording, message: str) -> None:
    recording.status = RecordingStatus.FAILED
    recording.error = message
    record_event(AuditAction.RECORDING_FAILED, obj=recording, detail={"reason": message})
    db.session.commit()


@huey.periodic_task(crontab(minute="*/10"), name="finish_abandoned_recordings")
def finish_abandoned_recordings() -> list[int]:
    """Finalise browser recordings whose tab closed without finishing."""
    with get_app().app_context():
        finished = abandon_stale_recordings(current_app.config["ABANDONED_RECORDING_MINUTES"])
        db.session.commit()
        if finished:
            log.info("finished %d abandoned recording(s)", len(finished))
        return finished
