"""Instruments in use, blind rating tasks, ratings and their scores, final scores.

Raw ratings are never changed once submitted: a change makes a new version with a
reason.  Final scores (one per recording and dimension: a single rating, the mean of
two, or an educator's adjudicated consensus) live in their own table, so reliability
statistics always see the raw, independent ratings.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import Model
from webapp.orm import utcnow


class TaskRole(StrEnum):
    PRIMARY = "primary"
    SECOND = "second"  # independent double coding
    CALIBRATION = "calibration"  # a gold-standard recording rated to calibrate a rater


class TaskStatus(StrEnum):
    OPEN = "open"
    SUBMITTED = "submitted"
    RECUSED = "recused"  # the rater recognised someone and handed it back


class RatingStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class RatingMode(StrEnum):
    LISTENED = "listened"
    READ = "read"
    BOTH = "both"


class FinalMethod(StrEnum):
    SINGLE = "single"
    MEAN = "mean"
    ADJUDICATED = "adjudicated"


class InstrumentVersion(Model):
    """A frozen copy of an instrument definition as used for rating."""

    __tablename__ = "instrument_versions"
    __table_args__ = (sa.UniqueConstraint("slug", "version"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    slug: so.Mapped[str] = so.mapped_column(sa.String(80), index=True)
    version: so.Mapped[int]
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    definition: so.Mapped[dict[str, Any]]
    fingerprint: so.Mapped[str] = so.mapped_column(sa.String(80))
    is_default: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    retired_at: so.Mapped[datetime | None]


class RatingTask(Model):
    """One recording allocated to one rater, in one role."""

    __tablename__ = "rating_tasks"
    __table_args__ = (
        sa.UniqueConstraint("recording_id", "rater_id", "role"),
        # A rater's queue (one page of one status in queue order) and the count of recused
        # tasks in the reports' fingerprint, both read from the index alone.
        sa.Index("ix_rating_tasks_queue", "status", "rater_id", "sort_key", "id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    recording_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("recordings.id", ondelete="CASCADE"), index=True
    )
    rater_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    instrument_version_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("instrument_versions.id", ondelete="RESTRICT")
    )
    role: so.Mapped[str] = so.mapped_column(sa.String(16))
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default=TaskStatus.OPEN)
    # A random per-task number, so the queue order is shuffled but stable across reloads.
    sort_key: so.Mapped[int] = so.mapped_column(default=0)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    closed_at: so.Mapped[datetime | None]
    recusal_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)

    recording = so.relationship("Recording")
    rater = so.relationship("User")
    instrument_version: so.Mapped[InstrumentVersion] = so.relationship()
    ratings: so.Mapped[list[Rating]] = so.relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="Rating.version"
    )

    @property
    def current_rating(self) -> Rating | None:
        return self.ratings[-1] if self.ratings else None


class Rating(Model):
    """A version of one rater's scores for one task (draft, then submitted and locked)."""

    __tablename__ = "ratings"
    __table_args__ = (
        sa.UniqueConstraint("task_id", "version"),
        # The kept reports' fingerprint (count and latest of submitted ratings), from the
        # index alone instead of a scan of every rating.
        sa.Index("ix_ratings_status_submitted_at", "status", "submitted_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    task_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("rating_tasks.id", ondelete="CASCADE"), index=True
    )
    version: so.Mapped[int] = so.mapped_column(default=1)
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default=RatingStatus.DRAFT)
    mode: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    change_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    submitted_at: so.Mapped[datetime | None]

    task: so.Mapped[RatingTask] = so.relationship(back_populates="ratings")
    scores: so.Mapped[list[RatingScore]] = so.relationship(
        back_populates="rating", cascade="all, delete-orphan", lazy="selectin"
    )
    evidence: so.Mapped[list[EvidenceMark]] = so.relationship(
        back_populates="rating", cascade="all, delete-orphan", lazy="selectin"
    )


class RatingScore(Model):
    """One dimension's score and note within a rating."""

    __tablename__ = "rating_scores"

    rating_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("ratings.id", ondelete="CASCADE"), primary_key=True
    )
    dimension: so.Mapped[str] = so.mapped_column(sa.String(80), primary_key=True)
    score: so.Mapped[int | None]
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    rating: so.Mapped[Rating] = so.relationship(back_populates="scores")


class EvidenceMark(Model):
    """A transcript segment a rater tied to a dimension's score."""

    __tablename__ = "evidence_marks"
    __table_args__ = (sa.UniqueConstraint("rating_id", "dimension", "segment_position"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    rating_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("ratings.id", ondelete="CASCADE"), index=True
    )
    dimension: so.Mapped[str] = so.mapped_column(sa.String(80))
    transcript_version: so.Mapped[int]
    segment_position: so.Mapped[int]

    rating: so.Mapped[Rating] = so.relationship(back_populates="evidence")


class FinalScore(Model):
    """The score a recording keeps for a dimension, and how it was reached."""

    __tablename__ = "final_scores"
    __table_args__ = (sa.UniqueConstraint("recording_id", "instrument_version_id", "dimension"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    recording_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("recordings.id", ondelete="CASCADE"), index=True
    )
    instrument_version_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("instrument_versions.id", ondelete="RESTRICT")
    )
    dimension: so.Mapped[str] = so.mapped_column(sa.String(80))
    score: so.Mapped[float]
    method: so.Mapped[str] = so.mapped_column(sa.String(16))
    decided_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class GoldStandard(Model):
    """Reference scores an educator set for a recording used to calibrate raters."""

    __tablename__ = "gold_standards"
    __table_args__ = (sa.UniqueConstraint("recording_id", "instrument_version_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    recording_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("recordings.id", ondelete="CASCADE"), index=True
    )
    instrument_version_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("instrument_versions.id", ondelete="RESTRICT")
    )
    scores: so.Mapped[dict[str, Any]]
    set_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    in_live_queue: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class CompanionResponse(Model):
    """A short form after a session: the trainee on realism, the actor in role."""

    __tablename__ = "companion_responses"
    __table_args__ = (sa.UniqueConstraint("recording_id", "respondent_id", "kind"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    recording_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("recordings.id", ondelete="CASCADE"), index=True
    )
    respondent_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    kind: so.Mapped[str] = so.mapped_column(sa.String(32))
    answers: so.Mapped[dict[str, Any]]
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
