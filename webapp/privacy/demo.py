"""Consent rows for the demonstration and synthetic recordings.

The demo people are fictional and their recordings synthetic, so they are given every
opt-in; without consent rows the synthetic archive could not train the classifier and
the exemplar library would be empty.  Only accounts on the demo domain are touched.
"""

from __future__ import annotations

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Consent, Recording, User
from webapp.privacy.consent import ConsentRole

DEMO_DOMAIN = "@example.org"


def grant_demo_consents() -> int:
    """Give demo recordings full consent from trainee and actor (caller commits)."""
    trainee = sa.orm.aliased(User)
    query = (
        sa.select(Recording)
        .join(trainee, trainee.id == Recording.trainee_id)
        .where(trainee.email.endswith(DEMO_DOMAIN))
    )
    added = 0
    for recording in db.session.scalars(query):
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
