"""Consent for secondary uses of a recording, per person (trainee, named actor).

Rules:

* the trainee of a recording and its actor (when the actor has an account) manage their
  own consent row; anyone else gets 404, as if the recording did not exist;
* withdrawing is final for that recording: ``withdrawn_at`` is set, every opt-in goes
  off, and the recording leaves the exemplar library at once (its exemplars are
  deleted), is marked in exports and is no longer used to train the classifier;
* a use is allowed only when every person on the recording opted in and nobody
  withdrew.  An actor known only by name cannot consent in the app, so a recording with
  such an actor is never an exemplar (training needs only the actors with accounts).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa

from webapp.audit import record_event
from webapp.errors import Conflict, NotFound
from webapp.extensions import db
from webapp.models import AuditAction, Consent, Exemplar, Recording, User
from webapp.orm import utcnow


class ConsentRole(StrEnum):
    TRAINEE = "trainee"
    ACTOR = "actor"


class ConsentUse(StrEnum):
    EXEMPLAR = "exemplar_use"
    RESEARCH = "research_use"
    CLASSIFIER = "classifier_training"


@dataclass(frozen=True)
class ConsentChoice:
    exemplar_use: bool = False
    research_use: bool = False
    classifier_training: bool = False


def get_recording_for_consent(user: User, recording_id: int) -> tuple[Recording, ConsentRole]:
    """The recording and the part ``user`` plays in it; 404 when they play none."""
    recording = db.session.get(Recording, recording_id)
    if recording is not None and recording.trainee_id == user.id:
        return recording, ConsentRole.TRAINEE
    if recording is not None and recording.actor_id == user.id:
        return recording, ConsentRole.ACTOR
    raise NotFound("There is no such recording, or you are not on it.")


def get_consent(recording_id: int, role: ConsentRole) -> Consent | None:
    query = sa.select(Consent).where(
        Consent.recording_id == recording_id, Consent.person_role == role
    )
    return db.session.scalar(query)


def save_consent(
    recording: Recording, user: User, role: ConsentRole, choice: ConsentChoice
) -> Consent:
    """Record ``user``'s opt-ins for ``recording`` (refused once withdrawn)."""
    consent = get_consent(recording.id, role) or _new_consent(recording, user, role)
    if consent.withdrawn_at is not None:
        raise Conflict("Consent for this recording was withdrawn; it cannot be given again.")
    consent.exemplar_use = choice.exemplar_use
    consent.research_use = choice.research_use
    consent.classifier_training = choice.classifier_training
    consent.recorded_at = utcnow()
    if not choice.exemplar_use:
        remove_exemplars(recording, reason="exemplar consent removed")
    record_event(AuditAction.CONSENT_RECORDED, obj=recording, detail=_detail(consent))
    return consent


def withdraw_consent(recording: Recording, user: User, role: ConsentRole) -> Consent:
    """Withdraw ``user``'s consent: every opt-in off, exemplars of the recording gone."""
    consent = get_consent(recording.id, role) or _new_consent(recording, user, role)
    consent.exemplar_use = consent.research_use = consent.classifier_training = False
    consent.withdrawn_at = consent.withdrawn_at or utcnow()
    remove_exemplars(recording, reason="consent withdrawn")
    record_event(AuditAction.CONSENT_WITHDRAWN, obj=recording, detail=_detail(consent))
    return consent


def remove_exemplars(recording: Recording, *, reason: str) -> int:
    """Delete the recording's exemplars (audited when there were any)."""
    ids = list(
        db.session.scalars(sa.select(Exemplar.id).where(Exemplar.recording_id == recording.id))
    )
    if ids:
        db.session.execute(sa.delete(Exemplar).where(Exemplar.id.in_(ids)))
        record_event(
            AuditAction.EXEMPLAR_REMOVED, obj=recording, detail={"exemplars": ids, "reason": reason}
        )
    return len(ids)


def is_use_allowed(recording: Recording, use: ConsentUse, *, require_named_actor: bool) -> bool:
    """Whether everyone on ``recording`` opted in to ``use`` and nobody withdrew."""
    needed = [ConsentRole.TRAINEE]
    if recording.actor_id is not None or (require_named_actor and recording.actor_name):
        needed.append(ConsentRole.ACTOR)
    rows = {row.person_role: row for row in _consents(recording.id)}
    return all(_allows(rows.get(role), use) for role in needed)


def is_exemplar_allowed(recording: Recording) -> bool:
    return is_use_allowed(recording, ConsentUse.EXEMPLAR, require_named_actor=True)


def is_classifier_allowed(recording: Recording) -> bool:
    return is_use_allowed(recording, ConsentUse.CLASSIFIER, require_named_actor=False)


def withdrawn_recording_ids() -> set[int]:
    """Recordings on which anyone has withdrawn consent (marked in exports)."""
    query = sa.select(Consent.recording_id).where(Consent.withdrawn_at.is_not(None))
    return set(db.session.scalars(query))


def _consents(recording_id: int) -> list[Consent]:
    return list(db.session.scalars(sa.select(Consent).where(Consent.recording_id == recording_id)))


def _allows(consent: Consent | None, use: ConsentUse) -> bool:
    return consent is not None and consent.withdrawn_at is None and bool(getattr(consent, use))


def _new_consent(recording: Recording, user: User, role: ConsentRole) -> Consent:
    consent = Consent(recording_id=recording.id, person_id=user.id, person_role=str(role))
    db.session.add(consent)
    return consent


def _detail(consent: Consent) -> dict[str, object]:
    return {
        "role": consent.person_role,
        "exemplar_use": consent.exemplar_use,
        "research_use": consent.research_use,
        "classifier_training": consent.classifier_training,
        "withdrawn": consent.withdrawn_at is not None,
    }
