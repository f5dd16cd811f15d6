"""A worker killed with SIGKILL mid-transcription: after the reconciler runs, the job
completes exactly once, with one transcript and no stray files.

Runs real ``flask --app webapp worker`` processes on a SQLite queue, as a scaled-out
install would, and the real tiny.en model.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.audio_support import long_speech
from tests.conftest import PASSWORD, TEST_DATABASE_URL
from webapp.extensions import db
from webapp.jobs import reconcile
from webapp.library.services import import_vignettes
from webapp.models import Job, JobStatus, Recording, Role, Transcript
from webapp.orm import utcnow
from webapp.practice import storage
from webapp.practice.cli import import_recording

pytestmark = pytest.mark.slow
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
VIGNETTES = Path(__file__).resolve().parents[2] / "vignettes"




def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "webapp", "worker"],
        env=env,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
    )


def job_state(app, job_id):
    with app.app_context():
        db.session.expire_all()
        job = db.session.get(Job, job_id)
        return job.status, job.progress, job.attempts


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.skipif(TEST_DATABASE_URL is not None, reason="SQLite queue scenario")
def test_killed_worker_job_completes_exactly_once_after_reconcile(app_factory, make_user, tmp_path):
    queue = tmp_path / "queue.db"
    app = app_factory(
        QUEUE_IMMEDIATE=False, QUEUE_URL=f"sqlite:///{queue}", WHISPER_MODEL="tiny.en"
    )
    make_user(Role.TRAINEE, email="t@example.test", password=PASSWORD)
    with app.app_context():
        import_vignettes(VIGNETTES)
        db.session.commit()
        recording_id = import_recording(
            long_speech(tmp_path / "long.wav", repeats=24),  # ~4 min: more than one batch
            "t@example.test",
            "school-referral-late-and-hungry",
            None,
        )
        job_id = db.session.scalar(sa.select(Job.id).where(Job.subject_id == recording_id))
    env = {
        **os.environ,
        "DATA_DIR": app.config["DATA_DIR"],
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "QUEUE_URL": f"sqlite:///{queue}",
        "SECRET_KEY": "test",
        "WHISPER_MODEL": "tiny.en",
        "WHISPER_THREADS": "1",
    }
    log = tmp_path / "worker.log"
    first = start_worker(env, log)
    try:
        # Transcription has started once processing (first 5 %) is done.
        wait_for(lambda: job_state(app, job_id)[1] >= 0.05, 120, "transcription to start")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    status, progress, attempts = job_state(app, job_id)
    assert (status, attempts) == (JobStatus.RUNNING, 1) and progress < 1.0

    with app.app_context():
        # Five minutes of silence from its worker: make the heartbeat that old.
        db.session.execute(
            sa.update(Job)
            .where(Job.id == job_id)
            .values(heartbeat_at=utcnow() - timedelta(minutes=6))
        )
        db.session.commit()
        from webapp.jobs import huey

        huey.immediate = False
        assert reconcile() == [job_id]
    second = start_worker(env, log)
    try:
        wait_for(lambda: job_state(app, job_id)[0] == JobStatus.DONE, 180, "the job to finish")
    finally:
        second.terminate()
        second.wait(timeout=30)
        from webapp.jobs import huey

        huey.immediate = True

    with app.app_context():
        recording = db.session.get(Recording, recording_id)
        transcripts = db.session.scalars(
            sa.select(Transcript).filter_by(recording_id=recording_id)
        ).all()
        files = sorted(p.name for p in storage.recording_dir(recording).iterdir())
    assert recording.status == "ready"
    assert len(transcripts) == 1 and "country" in transcripts[0].text.lower()
    assert job_state(app, job_id)[2] == 2
    assert files == ["original.wav", "playback.ogg", "speech.wav"], files
