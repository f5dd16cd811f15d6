"""Data-subject rights (administrators): export everything about a person; erase them.

Erasure rule:

* the person's consents are withdrawn first (their exemplars go, training stops);
* recordings in which they are the trainee are deleted with their files (ratings and
  final scores of those recordings go with them);
* on recordings where they were the actor, the link and the actor's name are removed;
* their audit events keep the event but lose the person (``actor_id`` set to NULL, the
  one change the append-only log allows);
* if they gave ratings, the ratings stay (reliability statistics need them) and the
  account is anonymised in place: name and email replaced, roles, cohort and password
  removed, deactivated.  Otherwise the account row is deleted.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import sqlalchemy as sa

from webapp.audit import record_event
from webapp.errors import Conflict, InvalidInput, NotFound
from webapp.extensions import db
from webapp.models import (
    AuditAction,
    AuditEvent,
    Consent,
    RatingTask,
    Recording,
    User,
    new_session_token,
)
from webapp.practice import storage
from webapp.privacy.consent import ConsentRole, withdraw_consent

ERASED_PASSWORD = "!erased-no-login"  # noqa: S105 - not a hash: verification fails


def get_user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("There is no such user.")
    return user


def check_confirmation(user: User, typed: str) -> None:
    if typed.strip().casefold() != user.email.casefold():
        raise InvalidInput("Type the person's email address to confirm the erasure.")


def erase_user(user: User, admin: User) -> list[Path]:
    """Erase ``user`` per the rule above; returns folders to remove after the commit."""
    if user.id == admin.id:
        raise Conflict("You cannot erase your own account.")
    _withdraw_all_consents(user)
    folders = _delete_trainee_recordings(user)
    _unlink_actor(user)
    db.session.execute(
        sa.update(AuditEvent).where(AuditEvent.actor_id == user.id).values(actor_id=None)
    )
    kept = _has_rated(user)
    record_event(
        AuditAction.USER_ERASED,
        obj=user,
        actor=admin,
        detail={"recordings_deleted": len(folders), "anonymised_in_place": kept},
    )
    if kept:
        _anonymise(user)
    else:
        db.session.delete(user)
    return folders


def remove_folders(folders: list[Path]) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def _withdraw_all_consents(user: User) -> None:
    for recording in db.session.scalars(
        sa.select(Recording).where(
            sa.or_(Recording.trainee_id == user.id, Recording.actor_id == user.id)
        )
    ):
        role = ConsentRole.TRAINEE if recording.trainee_id == user.id else ConsentRole.ACTOR
        withdraw_consent(recording, user, role)
    db.session.execute(
        sa.update(Consent).where(Consent.person_id == user.id).values(person_id=None)
    )


def _delete_trainee_recordings(user: User) -> list[Path]:
    recordings = db.session.scalars(sa.select(Recording).where(Recording.trainee_id == user.id))
    folders = []
    for recording in recordings:
        folders.append(storage.recording_dir(recording))
        record_event(AuditAction.RECORDING_DELETED, obj=recording, detail={"erasure": True})
        db.session.delete(recording)
    db.session.flush()
    return folders


def _unlink_actor(user: User) -> None:
    db.session.execute(
        sa.update(Recording)
        .where(Recording.actor_id == user.id)
        .values(actor_id=None, actor_name=None)
    )


def _has_rated(user: User) -> bool:
    query = sa.select(RatingTask.id).where(RatingTask.rater_id == user.id).limit(1)
    return db.session.scalar(query) is not None


def _anonymise(user: User) -> None:
    user.name = f"Erased user {user.id}"
    user.email = f"erased-{user.id}@erased.invalid"
    user.password_hash = ERASED_PASSWORD
    user.active = False
    user.cohort_id = None
    user.session_token = new_session_token()
    user.last_login_at = None
    user.role_rows.clear()
