"""Production mode, scaled out: two separate ``flask --app webapp worker`` processes on
a real PostgreSQL database and a real queue (Redis, and Huey on PostgreSQL) transcribe
many recordings at once.  Every job runs exactly once in effect, both workers work at
the same time, no file is left behind, and every transcript equals the one the embedded
mode (SQLite, jobs run inline) makes from the same audio with the same model.
"""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa

from tests.conftest import FAST_HASHING
from tests.integration.deployment import (
    AUDIO,
    Deployment,
    control_app,
    deploy,
    files_on_disk,
    recording_files,
    seed,
    transcript_of,
)
from tests.integration.services import (
    TEST_DATABASE_URL,
    TEST_REDIS_URL,
    claimed_jobs,
    integration,
    log_records,
    wait_for,
    worker,
)
from webapp.extensions import db
from webapp.jobs import huey, run_job
from webapp.models import JobStatus, Recording, RecordingStatus

pytestmark = integration

# Different containers, lengths, mono and stereo; each imported twice in the Redis run.
SOURCES = ["jfk.ogg", "dialogue.webm", "stereo_dialogue.ogg", "short.wav", "short.mp3"]


@pytest.fixture(scope="module")
def embedded_transcripts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Each source's transcript in embedded mode: SQLite, jobs run inline on commit."""
    folder = tmp_path_factory.mktemp("embedded")
    app = control_app(
        folder / "data",
        f"sqlite:///{folder / 'app.db'}",
        f"sqlite:///{folder / 'queue.db'}",
        QUEUE_IMMEDIATE=True,
        **FAST_HASHING,
    )
    with app.app_context():
        db.create_all()
    seed(app)
    embedded = Deployment(folder / "data", "", "", {}, app)
    results = {}
    for name in SOURCES:
        recording_id = embedded.import_audio(AUDIO / name)
        with app.app_context():
            recording = db.session.get(Recording, recording_id)
            assert recording is not None and recording.status == RecordingStatus.READY
        results[name] = transcript_of(app, recording_id)
    embedded.close()
    return results


def worker_started(log: Path) -> bool:
    return log.exists() and any(
        "consumer started" in str(r.get("message", "")).lower() for r in log_records(log)
    )


def transcribe_with_two_workers(
    deployment: Deployment, sources: list[str], tmp_path: Path, *, stagger: bool
) -> tuple[dict[int, str], list[Path]]:
    """Start two workers, import ``sources``, send every job a second time (as the
    reconciler or a retry would), and wait until all jobs are done and the queue is empty.

    ``stagger``: start the second worker only once the first one runs (Huey on PostgreSQL
    creates its tables on first start; README asks for this order).
    """
    logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    with worker(deployment.env, logs[0]):
        if stagger:
            wait_for(lambda: worker_started(logs[0]), 60, "the first worker")
        with worker(deployment.env, logs[1]):
            wait_for(lambda: all(worker_started(log) for log in logs), 60, "both workers")
            recordings = {deployment.import_audio(AUDIO / name): name for name in sources}
            job_ids = [job.id for job in deployment.jobs()]
            for job_id in job_ids:
                run_job(job_id)  # a duplicate delivery of every job
            wait_for(
                lambda: all(job.status == JobStatus.DONE for job in deployment.jobs()),
                240,
                "every job to finish",
            )
            # Duplicates still waiting in the queue must be consumed (and refused) too.
            wait_for(lambda: huey.storage.queue_size() == 0, 30, "the queue to drain")
            wait_for(
                lambda: sum(skipped_count(log) for log in logs) >= len(job_ids),
                30,
                "the duplicate deliveries to be refused",
            )
    return recordings, logs


def skipped_count(log: Path) -> int:
    return sum("not claimed" in str(r.get("message", "")) for r in log_records(log))


def assert_exactly_once_and_concurrent(
    deployment: Deployment, recordings: dict[int, str], logs: list[Path]
) -> None:
    jobs = deployment.jobs()
    assert len(jobs) == len(recordings)
    assert {job.subject_id for job in jobs} == set(recordings)
    assert all(job.status == JobStatus.DONE and job.attempts == 1 for job in jobs), [
        (job.id, job.status, job.attempts, job.error) for job in jobs
    ]
    # Each worker's log names the jobs it claimed: every job exactly once, in all.
    claims = [claimed_jobs(log) for log in logs]
    claimed = Counter(job_id for job_id, _, _ in itertools.chain(*claims))
    assert claimed == Counter({job.id: 1 for job in jobs}), claimed
    assert all(claims), f"a worker took no job: {[len(c) for c in claims]}"
    pids = [{pid for _, pid, _ in c} for c in claims]
    assert len(pids[0] | pids[1]) == 2, pids
    # ...and they ran at the same time: two jobs of different workers overlap.
    worker_of = {job_id: index for index, c in enumerate(claims) for job_id, _, _ in c}
    spans = [(job.started_at, job.finished_at, worker_of[job.id]) for job in jobs]
    assert any(
        a[2] != b[2] and a[0] < b[1] and b[0] < a[1] for a, b in itertools.combinations(spans, 2)
    ), "the two workers never ran jobs at the same time"
    # Every duplicate delivery was refused by the claim, none ran the job again.
    assert sum(skipped_count(log) for log in logs) == len(jobs)
    with deployment.app.app_context():
        statuses = db.session.scalars(sa.select(Recording.status)).all()
    assert set(statuses) == {RecordingStatus.READY}


def assert_no_stray_files(deployment: Deployment) -> None:
    expected = recording_files(deployment.app)
    assert files_on_disk(deployment.data_dir) == expected
    for key, names in expected.items():
        originals = {name for name in names if name.startswith("original.")}
        assert len(originals) == 1 and names - originals == {"playback.ogg", "speech.wav"}, (
            key,
            names,
        )
    leftovers = list((deployment.data_dir / "recordings" / ".incoming").iterdir())
    assert leftovers == [], leftovers


def test_two_workers_on_redis_transcribe_each_recording_exactly_once(
    embedded_transcripts: dict[str, Any], tmp_path: Path
) -> None:
    assert TEST_REDIS_URL is not None
    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    deployment = deploy(tmp_path, "simclient_it_redis", TEST_REDIS_URL)
    try:
        recordings, logs = transcribe_with_two_workers(
            deployment, SOURCES * 2, tmp_path, stagger=False
        )
        assert_exactly_once_and_concurrent(deployment, recordings, logs)
        assert_no_stray_files(deployment)
        for recording_id, name in recordings.items():
            produced = transcript_of(deployment.app, recording_id)
            assert produced == embedded_transcripts[name], name
    finally:
        deployment.close()


def test_two_workers_on_a_postgresql_queue(
    embedded_transcripts: dict[str, Any], tmp_path: Path
) -> None:
    assert TEST_DATABASE_URL is not None
    # Huey's own tables live in a database of their own, as a separate queue server would.
    queue_url = (
        sa.make_url(TEST_DATABASE_URL)
        .set(drivername="postgresql", database="simclient_it_queue")
        .render_as_string(hide_password=False)
    )
    from tests.integration.services import fresh_database

    fresh_database("simclient_it_queue")
    deployment = deploy(tmp_path, "simclient_it_pgqueue", queue_url)
    try:
        sources = ["jfk.ogg", "short.wav", "stereo_dialogue.ogg", "short.mp3"]
        recordings, logs = transcribe_with_two_workers(deployment, sources, tmp_path, stagger=True)
        assert_exactly_once_and_concurrent(deployment, recordings, logs)
        assert_no_stray_files(deployment)
        for recording_id, name in recordings.items():
            assert transcript_of(deployment.app, recording_id) == embedded_transcripts[name], name
    finally:
        deployment.close()
