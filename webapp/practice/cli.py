"""Commands: ``transcribe`` (the production pipeline, synchronously) and
``recordings import`` (a recording as if the trainee had uploaded it)."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from webapp import audio
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.jobs import execute_job, huey
from webapp.models import Job, JobStatus, Recording, RecordingSource, RecordingStatus, Role, User
from webapp.practice.services import (
    ActorChoice,
    accept_upload,
    get_active_vignette,
    get_prepare_job,
    max_seconds,
)

recordings_cli = AppGroup("recordings", help="Manage recordings.")


def fail(message: str) -> None:
    db.session.rollback()
    click.secho(f"Error: {message}", fg="red", err=True)
    sys.exit(1)


@click.command("transcribe")
@with_appcontext
@click.argument("audio_path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of text.")
def transcribe_command(audio_path: Path, as_json: bool) -> None:
    """Validate, decode and transcribe an audio file exactly as the server does."""
    from webapp.transcription import transcribe

    if not audio_path.is_file():
        fail(f"{audio_path} is not a file.")
    config = current_app.config
    with tempfile.TemporaryDirectory() as work:
        try:
            audio.sniff_format(audio_path)
            processed = audio.process_recording(audio_path, work, max_seconds=max_seconds())
        except audio.AudioError as error:
            fail(error.message)
        result = transcribe(
            processed.recognition_path,
            model_name=config["WHISPER_MODEL"],
            data_dir=config["DATA_DIR"],
            threads=config["WHISPER_THREADS"],
            stereo_source=audio_path,
        )
    if not as_json:
        click.echo(result.text)
        return
    segments = [
        {"start": s.start, "end": s.end, "text": s.text, "speaker": s.speaker}
        for s in result.segments
    ]
    payload = {
        "duration": round(processed.info.duration_seconds, 3),
        "language": result.language,
        "model": result.model,
        "text": result.text,
        "segments": segments,
    }
    click.echo(json.dumps(payload, ensure_ascii=False))


@recordings_cli.command("import")
@click.argument("audio_path", type=click.Path(path_type=Path))
@click.option("--trainee", "trainee_email", required=True, help="The trainee's email.")
@click.option("--vignette", "slug", required=True, help="The vignette's identifier (slug).")
@click.option("--actor", default=None, help="An actor account's email, or a free-text name.")
@click.option("--wait", is_flag=True, help="Wait until the transcript is ready.")
def import_recording_command(
    audio_path: Path, trainee_email: str, slug: str, actor: str | None, wait: bool
) -> None:
    """Create a recording as if the trainee had uploaded it, and queue transcription."""
    if not audio_path.is_file():
        fail(f"{audio_path} is not a file.")
    try:
        recording_id = import_recording(audio_path, trainee_email, slug, actor)
    except (DomainError, audio.AudioError) as error:
        fail(error.message)
    click.echo(f"Recording {recording_id} created; transcription queued.")
    if wait:
        status = wait_for_recording(recording_id)
        click.echo(f"Recording {recording_id}: {status}.")
        if status != RecordingStatus.READY:
            sys.exit(1)


def import_recording(audio_path: Path, trainee_email: str, slug: str, actor: str | None) -> int:
    trainee = db.session.scalar(sa.select(User).where(User.email == trainee_email.strip().lower()))
    if trainee is None or Role.TRAINEE not in trainee.roles:
        raise DomainError(f"There is no trainee with the email {trainee_email!r}.")
    vignette = get_active_vignette(slug)
    with audio_path.open("rb") as stream:
        recording = accept_upload(
            trainee,
            vignette,
            resolve_actor(actor),
            stream,
            audio_path.name,
            source=RecordingSource.IMPORT,
        )
    db.session.commit()
    return recording.id


def resolve_actor(actor: str | None) -> ActorChoice:
    if not actor:
        return ActorChoice()
    account = db.session.scalar(sa.select(User).where(User.email == actor.strip().lower()))
    if account is not None and Role.ACTOR in account.roles:
        return ActorChoice(actor_id=account.id)
    return ActorChoice(actor_name=actor.strip())


def wait_for_recording(recording_id: int, poll_seconds: float = 0.5) -> str:
    """Wait for the transcript, running the job here when no worker picks it up."""
    started = time.monotonic()
    with click.progressbar(length=100, label="Transcribing") as bar:
        shown = 0
        while True:
            db.session.expire_all()
            recording = db.session.get(Recording, recording_id)
            job = get_prepare_job(recording) if recording else None
            if recording is None or recording.status in (
                RecordingStatus.READY,
                RecordingStatus.FAILED,
            ):
                bar.update(100 - shown)
                return recording.status if recording else "missing"
            if job is not None and job.status == JobStatus.FAILED:
                return f"failed: {job.error}"
            if job is not None and should_run_here(job, started):
                execute_job(job.id)
                continue
            progress = int((job.progress if job else 0) * 100)
            bar.update(max(progress - shown, 0))
            shown = max(shown, progress)
            time.sleep(poll_seconds)


def should_run_here(job: Job | None, started: float) -> bool:
    """On a fresh embedded install nobody consumes the queue: do the work ourselves."""
    if job is None or job.status != JobStatus.QUEUED or huey.immediate:
        return False
    return time.monotonic() - started > 3.0
