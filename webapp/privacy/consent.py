"""Consent for secondary uses of a recording, per person (trainee, named actor).

Rules:

* the trainee of a recording and its actor (when the actor has an account) manage their
  own consent row; anyone else gets 404, as if the recording did not exist;
* an actor known only by a free-text name cannot log in, so the recording's trainee or an
  educator records that actor's answer for them (``record_actor_consent``): the row keeps
  the actor's name as given, who recorded it (``recorded_by_id``) and when;
* withdrawing is final for that recording: ``withdrawn_at`` is set, every opt-in goes
  off, and the recording leaves the exemplar library at once (its exemplars and their
  audio excerpts are deleted), is marked in exports and is no longer used to train the
  classifier;
* a use is allowed only when every person on the recording opted in and nobody
  withdrew.  Exemplars and research need the named actor too (so a free-text actor's
  recorded consent); classifier training needs only the actors with accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa

from webapp.audit import record_event
from webapp.errors import Conflict, NotFound
from webapp.extensions import db
from webapp.models import AuditAction, Consent, Exemplar, Recording, Role, User
from webapp.orm import utcnow
from webapp.privacy.excerpts import drop_exemplar_audio


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
    consent = get_consent(recording.id, role) or _new_consent(recording, role, user.id)
    return _set_choice(consent, recording, choice, recorder=user)


def withdraw_consent(recording: Recording, user: User, role: ConsentRole) -> Consent:
    """Withdraw ``user``'s consent: every opt-in off, exemplars of the recording gone."""
    consent = get_consent(recording.id, role) or _new_consent(recording, role, user.id)
    return _withdraw(consent, recording, recorder=user)


def get_recording_for_actor_consent(user: User, recording_id: int) -> Recording:
    """A recording whose account-less actor's consent ``user`` may record.

    The recording's trainee, or any educator or admin; 404 for anyone else, 409 when the
    actor has an account (they answer for themselves) or no actor is named.
    """
    recording = db.session.get(Recording, recording_id)
    is_staff = user.has_role(Role.EDUCATOR, Role.ADMIN)
    if recording is None or not (is_staff or recording.trainee_id == user.id):
        raise NotFound("There is no such recording, or you are not on it.")
    if recording.actor_id is not None:
        raise Conflict("This recording's actor has an account and records their own consent.")
    if not (recording.actor_name or "").strip():
        raise Conflict("This recording names no actor.")
    return recording


def record_actor_consent(recording: Recording, recorder: User, choice: ConsentChoice) -> Consent:
    """Record the opt-ins an actor without an account gave (refused once withdrawn)."""
    return _set_choice(_actor_row(recording), recording, choice, recorder=recorder)


def withdraw_actor_consent(recording: Recording, recorder: User) -> Consent:
    """Record that an actor without an account withdrew: as ``withdraw_consent``."""
    return _withdraw(_actor_row(recording), recording, recorder=recorder)


def _actor_row(recording: Recording) -> Consent:
    consent = get_consent(recording.id, ConsentRole.ACTOR)
    if consent is None:
        consent = _new_consent(recording, ConsentRole.ACTOR, None)
        consent.person_name = recording.actor_name
    return consent


def _set_choice(
    consent: Consent, recording: Recording, choice: ConsentChoice, *, recorder: User
) -> Consent:
    if consent.withdrawn_at is not None:
        raise Conflict("Consent for this recording was withdrawn; it cannot be given again.")
    consent.exemplar_use = choice.exemplar_use
    consent.research_use = choice.research_use
    consent.classifier_training = choice.classifier_training
    consent.recorded_at = utcnow()
    consent.recorded_by_id = recorder.id
    if not choice.exemplar_use:
        remove_exemplars(recording, reason="exemplar consent removed")
    record_event(AuditAction.CONSENT_RECORDED, obj=recording, detail=_detail(consent))
    return consent


def _withdraw(consent: Consent, recording: Recording, *, recorder: User) -> Consent:
    consent.exemplar_use = consent.research_use = consent.classifier_training = False
    consent.withdrawn_at = consent.withdrawn_at or utcnow()
    consent.recorded_by_id = recorder.id
    remove_exemplars(recording, reason="consent withdrawn")
    record_event(AuditAction.CONSENT_WITHDRAWN, obj=recording, detail=_detail(consent))
    return consent


def remove_exemplars(recording: Recording, *, reason: str) -> int:
    """Delete the recording's exemplars and, once that commits, their audio excerpts
    (audited when there were any)."""
    exemplars = list(
        db.session.scalars(sa.select(Exemplar).where(Exemplar.recording_id == recording.id))
    )
    ids = [exemplar.id for exemplar in exemplars]
    for exemplar in exemplars:
        drop_exemplar_audio(recording, exemplar)
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


def research_consented_recording_ids() -> set[int]:
    """Recordings everyone on which allowed research use (the named actor too), in two
    queries: the same rule as ``is_use_allowed`` for every recording at once."""
    rows: dict[int, dict[str, Consent]] = {}
    for consent in db.session.scalars(sa.select(Consent)):
        rows.setdefault(consent.recording_id, {})[consent.person_role] = consent
    people = sa.select(Recording.id, Recording.actor_id, Recording.actor_name)
    allowed = set()
    for rid, actor_id, actor_name in db.session.execute(people):
        needed = [ConsentRole.TRAINEE]
        if actor_id is not None or actor_name:
            needed.append(ConsentRole.ACTOR)
        found = rows.get(rid, {})
        if all(_allows(found.get(role), ConsentUse.RESEARCH) for role in needed):
            allowed.add(rid)
    return allowed


def withdrawn_recording_ids() -> set[int]:
    """Recordings on which anyone has withdrawn consent (marked in exports)."""
    query = sa.select(Consent.recording_id).where(Consent.withdrawn_at.is_not(None))
    return set(db.session.scalars(query))


def _consents(recording_id: int) -> list[Consent]:
    return list(db.session.scalars(sa.select(Consent).where(Consent.recording_id == recording_id)))


def _allows(consent: Consent | None, use: ConsentUse) -> bool:
    return consent is not None and consent.withdrawn_at is None and bool(getattr(consent, use))


def _new_consent(recording: Recording, role: ConsentRole, person_id: int | None) -> Consent:
    consent = Consent(recording_id=recording.id, person_id=person_id, person_role=str(role))
    db.session.add(consent)
    return consent


def _detail(consent: Consent) -> dict[str, object]:
    return {
        "role": consent.person_role,
        "exemplar_use": consent.exemplar_use,
        "research_use": consent.research_use,
        "classifier_training": consent.classifier_training,
        "withdrawn": consent.withdrawn_at is not None,
        "for_actor_without_account": consent.person_id is None and consent.person_role == "actor",
    }
