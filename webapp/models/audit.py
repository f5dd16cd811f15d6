"""The append-only audit log: who did what to which object, and when.

Rows are written in the same transaction as the change they record, so a change and
its audit event are committed (or rolled back) together.  Database triggers created by
the migrations refuse UPDATE and DELETE, except nulling ``actor_id`` when a user is
erased (the event stays, the person does not).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import Model
from webapp.orm import utcnow


class AuditAction(StrEnum):
    """Everything the audit log records."""

    LOGIN_SUCCEEDED = "login.succeeded"
    LOGIN_FAILED = "login.failed"
    LOGOUT = "logout"
    ACCESS_DENIED = "access.denied"
    PASSWORD_CHANGED = "user.password_changed"  # noqa: S105 - an event name
    USER_CREATED = "user.created"
    USER_UPDATED = "user.updated"
    USER_DEACTIVATED = "user.deactivated"
    USER_REACTIVATED = "user.reactivated"
    COHORT_CREATED = "cohort.created"
    COHORT_UPDATED = "cohort.updated"
    VIGNETTE_IMPORTED = "vignette.imported"
    VIGNETTE_VERSIONED = "vignette.versioned"
    VIGNETTE_RETIRED = "vignette.retired"
    VIGNETTE_RESTORED = "vignette.restored"
    RECORDING_STARTED = "recording.started"
    RECORDING_UPLOADED = "recording.uploaded"
    RECORDING_FINISHED = "recording.finished"
    RECORDING_FAILED = "recording.failed"
    RECORDING_DELETED = "recording.deleted"
    TRANSCRIPT_CREATED = "transcript.created"
    TRANSCRIPT_EDITED = "transcript.edited"
    ADJUDICATION_RECORDED = "adjudication.recorded"
    GOLD_STANDARD_SET = "gold_standard.set"
    CALIBRATION_ASSIGNED = "calibration.assigned"
    CALIBRATION_SLIPPED_IN = "calibration.slipped_in"  # a gold recording hidden in a live queue
    CALIBRATION_RECORDED = "calibration.recorded"  # an educator recorded a rater's result
    COMPANION_SUBMITTED = "companion.submitted"
    INSTRUMENT_VERSIONED = "instrument.versioned"
    INSTRUMENT_RETIRED = "instrument.retired"
    RATING_ALLOCATED = "rating.allocated"
    RATING_RECUSED = "rating.recused"
    RATING_DRAFT_SAVED = "rating.draft_saved"
    RATING_SUBMITTED = "rating.submitted"
    RATING_CHANGED = "rating.changed"
    REVIEW_VIEWED = "review.viewed"
    REVIEW_AUDIO_PLAYED = "review.audio_played"
    CLASSIFIER_TRAINED = "classifier.trained"  # a rating model was trained and saved
    ESTIMATES_VIEWED = "estimates.viewed"  # model estimates for a recording were shown
    ESTIMATES_TRAINEE_ACCESS = "estimates.trainee_access"  # a cohort's switch turned on/off
    ASSIGNMENT_CREATED = "assignment.created"  # a vignette set for a trainee or cohort
    CONSENT_RECORDED = "consent.recorded"
    CONSENT_WITHDRAWN = "consent.withdrawn"
    EXEMPLAR_TAGGED = "exemplar.tagged"
    EXEMPLAR_REMOVED = "exemplar.removed"  # consent withdrawn: its exemplars went too
    EXPORT_DOWNLOADED = "export.downloaded"  # a de-identified research export
    EXPORT_IDENTIFIED = "export.identified"  # an export with names and emails (admins)
    RECORDING_PURGED = "recording.purged"  # retention: audio and transcript text deleted
    USER_DATA_EXPORTED = "user.data_exported"  # a subject access export
    USER_ERASED = "user.erased"
    FEEDBACK_RELEASED = "feedback.released"  # final scores and comments shown to the trainee
    SESSION_NOTE_SAVED = "session_note.saved"  # a trainee's plan or reflection (text not logged)


class AuditEvent(Model):
    """One recorded action."""

    __tablename__ = "audit_events"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    actor_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: so.Mapped[str] = so.mapped_column(sa.String(64), index=True)
    object_type: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    object_id: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    ip: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    detail: so.Mapped[dict[str, Any]] = so.mapped_column(default=dict)

    actor = so.relationship("User", lazy="joined")


# Append-only, enforced by the database itself.  The migrations create the same
# triggers (as frozen SQL); these DDL hooks give tables made by ``create_all`` (tests)
# the same protection.  Nulling actor_id stays allowed for erasing a person.
SQLITE_APPEND_ONLY = (
    """CREATE TRIGGER audit_events_no_update
    BEFORE UPDATE OF id, created_at, action, object_type, object_id, ip, detail ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
    """CREATE TRIGGER audit_events_actor_only_nulled
    BEFORE UPDATE OF actor_id ON audit_events WHEN NEW.actor_id IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
    """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
)
POSTGRES_APPEND_ONLY = (
    """CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
         AND (NEW.id, NEW.created_at, NEW.action, NEW.object_type, NEW.object_id, NEW.ip,
              NEW.detail::text)
         IS NOT DISTINCT FROM (OLD.id, OLD.created_at, OLD.action, OLD.object_type,
              OLD.object_id, OLD.ip, OLD.detail::text) THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION 'audit_events is append-only';
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()""",
)

for _statement in SQLITE_APPEND_ONLY:
    sa.event.listen(
        AuditEvent.__table__, "after_create", sa.DDL(_statement).execute_if(dialect="sqlite")
    )
for _statement in POSTGRES_APPEND_ONLY:
    sa.event.listen(
        AuditEvent.__table__, "after_create", sa.DDL(_statement).execute_if(dialect="postgresql")
    )
