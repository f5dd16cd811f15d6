"""Background jobs: Huey for delivery, the ``jobs`` table for the truth.

Huey delivers a task at most once and a killed worker loses what it was running, so:

* a job is a row first (``enqueue_job``) and is handed to Huey only after the
  transaction that created it commits;
* a worker *claims* the row with one conditional UPDATE, so two deliveries of the same
  job cannot both run it;
* handlers report progress, which also refreshes a heartbeat;
* failures are recorded on the row and retried with exponential backoff, up to
  ``max_attempts``;
* ``reconcile_jobs`` (periodic) re-sends queued jobs nobody picked up and running jobs
  whose heartbeat went stale (their worker died).

Storage comes from ``QUEUE_URL``: a SQLite file (embedded default), ``redis://`` or
``postgresql://`` when workers run on other machines.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask
from huey import Huey, crontab
from huey.consumer import Consumer
from huey.storage import MemoryStorage, PostgresStorage, PriorityRedisStorage, SqliteStorage

from webapp.extensions import db
from webapp.models import Job, JobStatus
from webapp.orm import utcnow

log = logging.getLogger(__name__)


class Queue(StrEnum):
    NAME = "simclient"


STALE_AFTER = timedelta(minutes=5)  # a running job silent this long lost its worker
UNPICKED_AFTER = timedelta(minutes=2)  # a queued job nobody took this long was lost
BACKOFF_BASE_SECONDS = 30

# Storage is swapped in by ``init_queue`` once the configuration is known.
huey = Huey(Queue.NAME, storage_class=MemoryStorage, utc=True)
_state: dict[str, Any] = {"app": None}

Handler = Callable[[Job, Callable[[float], None]], None]
HANDLERS: dict[str, Handler] = {}


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that does the work for jobs of ``kind``."""

    def register(function: Handler) -> Handler:
        HANDLERS[kind] = function
        return function

    return register


def storage_from_url(url: str) -> Any:
    """Build the Huey storage named by ``QUEUE_URL``."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteStorage(Queue.NAME, filename=str(path))
    if url.startswith(("redis://", "rediss://", "unix://")):
        return PriorityRedisStorage(Queue.NAME, url=url)  # Redis >= 5
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresStorage(Queue.NAME, dsn=url.replace("postgres://", "postgresql://", 1))
    raise ValueError(f"QUEUE_URL {url!r}: use sqlite:///path, redis://… or postgresql://…")


def init_queue(app: Flask) -> None:
    """Point the queue at the configured storage and remember the app for workers."""
    _state["app"] = app
    if app.config["QUEUE_IMMEDIATE"]:
        huey.immediate = True
        return
    huey.immediate = False
    huey.storage = storage_from_url(app.config["QUEUE_URL"])


def get_app() -> Flask:
    app = _state["app"]
    if app is None:
        from webapp import create_app

        app = create_app()
    return app


# -- creating jobs -------------------------------------------------------------------


def enqueue_job(
    kind: str, subject_id: int | None = None, *, max_attempts: int = 3, priority: int = 0
) -> Job:
    """Create a queued job; it reaches Huey when the current transaction commits.

    Higher ``priority`` runs first (e.g. demo imports run below trainees' recordings).
    """
    if kind not in HANDLERS:
        raise ValueError(f"no handler registered for job kind {kind!r}")
    job = Job(kind=kind, subject_id=subject_id, max_attempts=max_attempts)
    db.session.add(job)
    db.session.flush()
    db.session.info.setdefault("jobs_to_send", []).append((job.id, priority))
    return job


@sa.event.listens_for(so.Session, "after_commit")
def _send_committed_jobs(session: so.Session) -> None:
    for job_id, priority in session.info.pop("jobs_to_send", []):
        run_job(job_id, priority=priority or None)


@sa.event.listens_for(so.Session, "after_rollback")
def _forget_rolled_back_jobs(session: so.Session) -> None:
    session.info.pop("jobs_to_send", None)


# -- running jobs --------------------------------------------------------------------


@huey.task(name="run_job")
def run_job(job_id: int) -> str:
    """Huey task: run one job inside its own app context (and so its own session)."""
    with get_app().app_context():
        return execute_job(job_id)


def execute_job(job_id: int) -> str:
    """Claim, run and record one job; returns its final status."""
    if not claim_job(job_id):
        # A duplicate delivery (the reconciler, a retry) of a job done or alive elsewhere.
        log.info("job %s not claimed: done, failed or running elsewhere", job_id)
        return "skipped"
    job = db.session.get(Job, job_id)
    if job is None:  # pragma: no cover - deleted between claim and load
        return "skipped"
    # Which process ran which attempt: the scale-out tests read this line.
    log.info(
        "job %s (%s) claimed by pid %s: attempt %s", job.id, job.kind, os.getpid(), job.attempts
    )
    try:
        HANDLERS[job.kind](job, _progress_reporter(job_id))
    except Exception as error:
        return record_failure_or_leave_to_reconciler(job_id, error)
    job.status = JobStatus.DONE
    job.progress = 1.0
    job.finished_at = utcnow()
    job.error = None
    db.session.commit()
    return JobStatus.DONE


def claim_job(job_id: int) -> bool:
    """Atomically mark a job running; False if it is done, failed or alive elsewhere."""
    now = utcnow()
    stale = now - STALE_AFTER
    result = db.session.execute(
        sa.update(Job)
        .where(Job.id == job_id)
        .where(
            sa.or_(
                Job.status == JobStatus.QUEUED,
                sa.and_(Job.status == JobStatus.RUNNING, Job.heartbeat_at < stale),
            )
        )
        .values(
            status=JobStatus.RUNNING,
            attempts=Job.attempts + 1,
            started_at=now,
            heartbeat_at=now,
            run_after=None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return bool(getattr(result, "rowcount", 0) == 1)


def _progress_reporter(job_id: int) -> Callable[[float], None]:
    """Progress updates go through their own connection so they commit at once."""

    def report(share: float) -> None:
        share = min(max(float(share), 0.0), 1.0)
        with db.engine.begin() as connection:
            connection.execute(
                sa.update(Job).where(Job.id == job_id).values(progress=share, heartbeat_at=utcnow())
            )

    return report


def record_failure_or_leave_to_reconciler(job_id: int, error: Exception) -> str:
    """Record the failure; if the database itself is gone (it restarted under the job),
    the row stays ``running`` and ``reconcile_jobs`` re-sends it once its heartbeat is stale."""
    try:
        db.session.rollback()
        return record_failure(job_id, error)
    except sa.exc.DBAPIError as database_error:
        db.session().invalidate()  # drop the dead connection without talking to it
        log.warning(
            "job %s failed (%s: %s) and the failure could not be recorded (%s); "
            "the reconciler will re-send it",
            job_id,
            type(error).__name__,
            error,
            type(database_error).__name__,
        )
        return "lost"


def record_failure(job_id: int, error: Exception) -> str:
    """Store the error; schedule a retry with backoff or mark the job failed."""
    job = db.session.get(Job, job_id)
    if job is None:  # pragma: no cover
        return "skipped"
    job.error = f"{type(error).__name__}: {error}"[:2000]
    log.warning("job %s (%s) attempt %s failed: %s", job.id, job.kind, job.attempts, job.error)
    if job.attempts >= job.max_attempts:
        job.status = JobStatus.FAILED
        job.finished_at = utcnow()
        db.session.commit()
        return JobStatus.FAILED
    delay = BACKOFF_BASE_SECONDS * 2 ** (job.attempts - 1)
    job.status = JobStatus.QUEUED
    job.run_after = utcnow() + timedelta(seconds=delay)
    db.session.commit()
    if not huey.immediate:  # in immediate mode a retry would run synchronously, forever
        run_job.schedule((job_id,), delay=delay)
    return JobStatus.QUEUED


def retry_job(job: Job) -> None:
    """Give a failed job a fresh set of attempts (educators' retry button)."""
    job.status = JobStatus.QUEUED
    job.attempts = 0
    job.error = None
    job.finished_at = None
    db.session.info.setdefault("jobs_to_send", []).append((job.id, 0))


# -- recovering lost jobs ------------------------------------------------------------


def find_lost_jobs() -> list[int]:
    """Jobs whose delivery or worker was lost: queued and unpicked, or running and silent."""
    now = utcnow()
    query = sa.select(Job.id).where(
        sa.or_(
            sa.and_(
                Job.status == JobStatus.QUEUED,
                Job.created_at < now - UNPICKED_AFTER,
                sa.or_(Job.run_after.is_(None), Job.run_after < now - UNPICKED_AFTER),
            ),
            sa.and_(Job.status == JobStatus.RUNNING, Job.heartbeat_at < now - STALE_AFTER),
        )
    )
    return list(db.session.scalars(query))


def reconcile() -> list[int]:
    """Re-send every lost job; claiming keeps a duplicate delivery harmless."""
    lost = find_lost_jobs()
    for job_id in lost:
        run_job(job_id)
    return lost


@huey.periodic_task(crontab(minute="*"), name="reconcile_jobs")
def reconcile_jobs() -> list[int]:
    with get_app().app_context():
        return reconcile()


# -- consumers -----------------------------------------------------------------------


class EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """A consumer that runs in a background thread of the web process.

    Huey's consumer installs signal handlers, which only the main thread may do and
    which would take Ctrl-C away from the web server; this one leaves them alone.
    """

    def _set_signal_handlers(self) -> None:
        return None


def start_embedded_worker(app: Flask) -> EmbeddedConsumer:
    """Run worker threads inside this process (the ``make run`` default)."""
    consumer = EmbeddedConsumer(
        huey, workers=app.config["WORKER_THREADS"], worker_type="thread", periodic=True
    )
    thread = threading.Thread(target=consumer.run, name="huey-embedded", daemon=True)
    thread.start()
    return consumer


def run_worker(threads: int) -> None:
    """Run a foreground worker (``flask worker``) until interrupted."""
    consumer = Consumer(huey, workers=threads, worker_type="thread", periodic=True)
    consumer.run()
