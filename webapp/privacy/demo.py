"""Consent rows and retention dates for the demonstration and synthetic recordings.

The demo people are fictional and their recordings synthetic, so they are given every
opt-in; without consent rows the synthetic archive could not train the classifier and
the exemplar library would be empty.  Only accounts on the demo domain are touched.
"""

from __future__ import annotations

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Consent, Recording, User
from webapp.privacy.consent import ConsentRole
from webapp.privacy.retention import default_retain_until

DEMO_DOMAIN = "@example.org"


def _demo_recordings() -> sa.Select[Recording]:
    trainee = sa.orm.aliased(User)
    return (
        sa.select(Recording)
        .join(trainee, trainee.id == Recording.trainee_id)
        .where(trainee.email.endswith(DEMO_DOMAIN))
    )


def set_demo_retention() -> int:
    """Give demo recordings without ``retain_until`` one from the policy (caller commits).

    The loaders set it as they create records; this catches any record made before they
    did, so a demo database never needs ``flask privacy backfill-retention``.
    """
    count = 0
    for recording in db.session.scalars(_demo_recordings()):
        if recording.retain_until is None:
            recording.retain_until = default_retain_until(recording.created_at)
            count += 1
    db.session.flush()
    return count


def grant_demo_consents() -> int:
    """Give demo recordings full consent from trainee and actor (caller commits)."""
    added = 0
    for recording in db.session.scalars(_demo_recordings()):
        added += _grant(recording, ConsentRole.TRAINEE, recording.trainee_id)
        if recording.actor_id is not None or recording.actor_name:
            added += _grant(recording, ConsentRole.ACTOR, recording.actor_id)
    db.session.flush()
    return added


def _grant(recording: Recording, role: ConsentRole, person_id: int | None) -> int:
    exists = sa.select(Consent.id).where(
        Consent.recording_id == recording.id, Consent.person_role == role
    )
    if db.session.scalar(exists) is not None:
        return 0
    db.session.add(
        Consent(
            recording_id=recording.id,
            person_id=person_id,
            person_role=str(role),
            exemplar_use=True,
            research_use=True,
            classifier_training=True,
        )
    )
    return 1
