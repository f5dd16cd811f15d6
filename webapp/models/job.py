"""Background job state, kept in the app database.

Huey delivers a task at most once and forgets it if a worker dies, so the truth about
a job (queued, running, done, failed; progress; attempts; last error) lives here and a
periodic reconciler re-enqueues jobs that went quiet.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import Model
from webapp.orm import utcnow


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(Model):
    """One unit of background work on one subject (e.g. transcribe recording 12)."""

    __tablename__ = "jobs"
    __table_args__ = (sa.Index("ix_jobs_status_heartbeat", "status", "heartbeat_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(40))
    subject_id: so.Mapped[int | None]
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default=JobStatus.QUEUED)
    progress: so.Mapped[float] = so.mapped_column(default=0.0)
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    max_attempts: so.Mapped[int] = so.mapped_column(default=3)
    error: so.Mapped[str | None] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    started_at: so.Mapped[datetime | None]
    finished_at: so.Mapped[datetime | None]
    heartbeat_at: so.Mapped[datetime | None]
    run_after: so.Mapped[datetime | None]
