"""Who can see a recording, read from the data, for the trainee's plain-language page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import (
    Consent,
    Exemplar,
    FeedbackRelease,
    RatingTask,
    Recording,
    Role,
    TaskStatus,
    User,
    UserRole,
)


@dataclass(frozen=True)
class Visibility:
    rater_count: int
    educators: list[str]
    admins: list[str]
    actor: str | None
    released_at: datetime | None
    exemplars: list[Exemplar] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    retain_until: datetime | None = None


def get_visibility(recording: Recording) -> Visibility:
    """Everything the "who can see my recording" page lists."""
    release = db.session.scalar(
        sa.select(FeedbackRelease).where(FeedbackRelease.recording_id == recording.id)
    )
    return Visibility(
        rater_count=count_raters(recording),
        educators=names_with_role(Role.EDUCATOR),
        admins=names_with_role(Role.ADMIN),
        actor=recording.actor.name if recording.actor else recording.actor_name,
        released_at=release.released_at if release else None,
        exemplars=list_exemplars(recording),
        consents=list_consents(recording),
        retain_until=recording.retain_until,
    )


def count_raters(recording: Recording) -> int:
    """Raters who hold (or held) a task on the recording; a rater who handed it back
    without rating is not counted."""
    query = sa.select(sa.func.count(sa.distinct(RatingTask.rater_id))).where(
        RatingTask.recording_id == recording.id, RatingTask.status != TaskStatus.RECUSED
    )
    return int(db.session.scalar(query) or 0)


def names_with_role(role: Role) -> list[str]:
    query = (
        sa.select(User.name)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == role, User.active.is_(True))
        .order_by(User.name)
    )
    return list(db.session.scalars(query))


def list_exemplars(recording: Recording) -> list[Exemplar]:
    query = sa.select(Exemplar).where(Exemplar.recording_id == recording.id)
    return list(db.session.scalars(query.order_by(Exemplar.start)))


def list_consents(recording: Recording) -> list[Consent]:
    query = sa.select(Consent).where(Consent.recording_id == recording.id)
    return list(db.session.scalars(query.order_by(Consent.person_role)))
