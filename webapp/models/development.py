"""Skill development: assignments, feedback release, session notes, exemplars, consent."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import Model
from webapp.orm import utcnow


class Assignment(Model):
    """A vignette set for a trainee or a whole cohort, with an optional due date.

    ``time_point`` names the measurement occasion (e.g. "before the training block"), so
    parallel forms can be handed out one per time point.
    """

    __tablename__ = "assignments"
    __table_args__ = (
        sa.CheckConstraint("(trainee_id IS NULL) <> (cohort_id IS NULL)", name="trainee_or_cohort"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    vignette_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("vignettes.id", ondelete="CASCADE"), index=True
    )
    trainee_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    cohort_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True
    )
    time_point: so.Mapped[str] = so.mapped_column(sa.String(80), default="")
    due_on: so.Mapped[date | None]
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class FeedbackRelease(Model):
    """Scores, anchors and comments of one recording released to its trainee."""

    __tablename__ = "feedback_releases"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    recording_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("recordings.id", ondelete="CASCADE"), unique=True
    )
    released_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    message: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    released_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class SessionNote(Model):
    """A trainee's planning note before a session or reflection after it (private unless
    shared with educators)."""

    __tablename__ = "session_notes"
    __table_args__ = (sa.UniqueConstraint("recording_id", "kind"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    recording_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("recordings.id", ondelete="CASCADE"), index=True
    )
    author_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))  # "plan" or "reflection"
    text: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    is_shared: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class Exemplar(Model):
    """A strong excerpt of a recording shown to other cohorts (needs everyone's consent)."""

    __tablename__ = "exemplars"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    recording_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("recordings.id", ondelete="CASCADE"), index=True
    )
    start: so.Mapped[float]
    end: so.Mapped[float]
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    dimension: so.Mapped[str | None] = so.mapped_column(sa.String(80))
    # The excerpt's audio file name (server-made hex); None for text-only exemplars
    # (recordings without a playback copy, such as the synthetic archive).
    audio_key: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    tagged_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class Consent(Model):
    """One person's consent for secondary uses of one recording.

    Taking part in training is the organisation's lawful basis; these opt-ins cover what
    goes beyond it.  Withdrawing sets ``withdrawn_at`` and switches every opt-in off.
    """

    __tablename__ = "consents"
    __table_args__ = (sa.UniqueConstraint("recording_id", "person_role"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    recording_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("recordings.id", ondelete="CASCADE"), index=True
    )
    person_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    person_role: so.Mapped[str] = so.mapped_column(sa.String(16))  # "trainee" or "actor"
    # An actor without an account is named as on the recording, and someone else (the
    # trainee or an educator) records their consent: who did is kept.
    person_name: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    recorded_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    exemplar_use: so.Mapped[bool] = so.mapped_column(default=False)
    research_use: so.Mapped[bool] = so.mapped_column(default=False)
    classifier_training: so.Mapped[bool] = so.mapped_column(default=False)
    recorded_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    withdrawn_at: so.Mapped[datetime | None]
