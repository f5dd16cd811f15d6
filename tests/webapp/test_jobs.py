"""Background jobs: state in the app DB, claim-once, retries, reconciler, real Huey."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from webapp import jobs
from webapp.extensions import db
from webapp.models import Job, JobStatus
from webapp.orm import utcnow

CALLS: list[int] = []
FAILURES: dict[int, int] = {}


@jobs.job_handler("test-echo")
def echo(job: Job, progress) -> None:
    progress(0.5)
    CALLS.append(job.subject_id)


@jobs.job_handler("test-flaky")
def flaky(job: Job, progress) -> None:
    FAILURES[job.subject_id] = FAILURES.get(job.subject_id, 0) + 1
    raise OSError("disk hiccup")


@pytest.fixture(autouse=True)
def clear_calls():
    CALLS.clear()
    FAILURES.clear()


def get_job(app, job_id):
    with app.app_context():
        return db.session.get(Job, job_id)


def test_job_runs_only_after_its_transaction_commits(app):
    with app.app_context():
        job = jobs.enqueue_job("test-echo", 7)
        assert CALLS == []  # not yet committed: not sent
        db.session.commit()
        job_id = job.id
    assert CALLS == [7]
    done = get_job(app, job_id)
    assert (done.status, done.progress, done.attempts) == (JobStatus.DONE, 1.0, 1)
    assert done.finished_at is not None


def test_rolled_back_job_is_never_sent(app):
    with app.app_context():
        jobs.enqueue_job("test-echo", 8)
        db.session.rollback()
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0
    assert CALLS == []


def test_unknown_kind_is_refused(app):
    with app.app_context(), pytest.raises(ValueError, match="no handler registered"):
        jobs.enqueue_job("no-such-kind")


def test_failure_is_recorded_and_retried_with_backoff_then_failed(app):
    with app.app_context():
        job = jobs.enqueue_job("test-flaky", 1, max_attempts=2)
        db.session.commit()
        job_id = job.id
        first = db.session.get(Job, job_id)
        assert first.status == JobStatus.QUEUED and first.attempts == 1
        assert "OSError: disk hiccup" in first.error
        assert first.run_after > utcnow() + timedelta(seconds=20)
        assert jobs.execute_job(job_id) == JobStatus.FAILED
        db.session.expire_all()
        last = db.session.get(Job, job_id)
        assert (last.status, last.attempts) == (JobStatus.FAILED, 2)
        jobs.retry_job(last)
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(Job, job_id).attempts == 1  # retried at once, failed again


def test_a_job_is_claimed_once(app):
    with app.app_context():
        job = jobs.enqueue_job("test-echo", 9)
        db.session.commit()
        assert jobs.execute_job(job.id) == "skipped"  # already done
    assert CALLS == [9]


def test_reconciler_reruns_a_job_whose_worker_died_exactly_once(app):
    with app.app_context():
        job = Job(
            kind="test-echo",
            subject_id=10,
            status=JobStatus.RUNNING,
            attempts=1,
            heartbeat_at=utcnow() - timedelta(minutes=30),
            started_at=utcnow(),
        )
        fresh = Job(
            kind="test-echo",
            subject_id=11,
            status=JobStatus.RUNNING,
            attempts=1,
            heartbeat_at=utcnow(),
            started_at=utcnow(),
        )
        db.session.add_all([job, fresh])
        db.session.commit()
        assert jobs.reconcile() == [job.id]
        assert jobs.reconcile() == []
    assert CALLS == [10]
    rerun = get_job(app, job.id)
    assert (rerun.status, rerun.attempts) == (JobStatus.DONE, 2)


def test_reconciler_resends_a_lost_queued_job(app):
    with app.app_context():
        job = Job(kind="test-echo", subject_id=12, created_at=utcnow() - timedelta(minutes=10))
        db.session.add(job)
        db.session.commit()
        assert jobs.reconcile() == [job.id]
    assert CALLS == [12]


def test_embedded_worker_runs_jobs_from_the_sqlite_queue(app_factory, tmp_path):
    app = app_factory(QUEUE_IMMEDIATE=False, QUEUE_URL=f"sqlite:///{tmp_path / 'queue.db'}")
    consumer = jobs.start_embedded_worker(app)
    try:
        with app.app_context():
            job = jobs.enqueue_job("test-echo", 13)
            db.session.commit()
            job_id = job.id
        deadline = time.monotonic() + 20
        while get_job(app, job_id).status != JobStatus.DONE and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        consumer.stop(graceful=True)
        jobs.huey.immediate = True
    assert get_job(app, job_id).status == JobStatus.DONE
    assert CALLS == [13]


def test_queue_url_must_be_known():
    with pytest.raises(ValueError, match="QUEUE_URL"):
        jobs.storage_from_url("amqp://broker")


def test_higher_priority_jobs_run_first_from_the_sqlite_queue(app_factory, tmp_path):
    app = app_factory(QUEUE_IMMEDIATE=False, QUEUE_URL=f"sqlite:///{tmp_path / 'queue.db'}")
    try:
        with app.app_context():
            jobs.enqueue_job("test-echo", 21, priority=-10)
            jobs.enqueue_job("test-echo", 22)
            db.session.commit()
        consumer = jobs.start_embedded_worker(app)
        deadline = time.monotonic() + 20
        while len(CALLS) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        consumer.stop(graceful=True)
    finally:
        jobs.huey.immediate = True
    assert CALLS == [22, 21]
