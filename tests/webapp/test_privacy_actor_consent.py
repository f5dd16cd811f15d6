"""Consent of an actor without an account, recorded for them by the trainee or an educator."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.webapp.privacy_support import (
    Study,
    consent_url,
    give_real_audio,
    register_blueprints,
    seed_study,
)
from webapp.extensions import db
from webapp.models import AuditEvent, Consent, Exemplar, Recording, Role, User
from webapp.privacy.consent import is_exemplar_allowed, research_consented_recording_ids

ACTOR = "Mavis Freetext"
ALL_USES = {"exemplar_use": "on", "research_use": "on", "classifier_training": "on"}


@pytest.fixture(autouse=True)
def _blueprints(app):
    register_blueprints(app)


@pytest.fixture
def study(app, make_user, make_cohort) -> Study:
    study = seed_study(app, make_user, make_cohort)
    give_real_audio(app, study.recording)
    with app.app_context():
        recording = db.session.get(Recording, study.recording)
        recording.actor_id, recording.actor_name = None, ACTOR
        db.session.commit()
    return study


def actor_url(study) -> str:
    return f"/privacy/recordings/{study.recording}/actor-consent"


def actor_row(app, study) -> Consent | None:
    with app.app_context():
        row = db.session.scalar(
            sa.select(Consent).filter_by(recording_id=study.recording, person_role="actor")
        )
        db.session.expunge_all()  # loaded values stay readable after the context ends
        return row


def allowed(app, study) -> tuple[bool, bool]:
    with app.app_context():
        recording = db.session.get(Recording, study.recording)
        return is_exemplar_allowed(recording), recording.id in research_consented_recording_ids()


def test_trainee_records_the_actors_consent_on_their_consent_page(
    app, study, browser_for, form_post
):
    trainee = browser_for(study.trainee)
    page = trainee.get(consent_url(study)).get_data(as_text=True)
    assert f"consent: {ACTOR}</h2>" in page
    assert f'action="{actor_url(study)}"' in page
    form_post(trainee, consent_url(study), {"action": "save", **ALL_USES}, consent_url(study))
    assert allowed(app, study) == (False, False)  # the actor has not been asked yet

    response = form_post(
        trainee, actor_url(study), {"action": "save", **ALL_USES}, actor_url(study)
    )
    assert response.status_code == 302
    row = actor_row(app, study)
    assert (row.person_id, row.person_name, row.recorded_by_id) == (None, ACTOR, study.trainee)
    assert row.recorded_at is not None
    assert row.exemplar_use and row.research_use and row.classifier_training
    assert allowed(app, study) == (True, True)
    assert "by you" in trainee.get(consent_url(study)).get_data(as_text=True)
    with app.app_context():
        event = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "consent.recorded")
            .order_by(AuditEvent.id.desc())
        ).first()
        db.session.expunge_all()  # loaded values stay readable after the context ends
    assert event.actor_id == study.trainee
    assert event.detail["role"] == "actor" and event.detail["for_actor_without_account"] is True
    assert ACTOR not in str(event.detail)  # the audit log names no one


def test_educator_records_the_actors_withdrawal_and_it_takes_effect(
    app, study, browser_for, form_post, login_as
):
    trainee = browser_for(study.trainee)
    form_post(trainee, consent_url(study), {"action": "save", **ALL_USES}, consent_url(study))
    form_post(trainee, actor_url(study), {"action": "save", **ALL_USES}, actor_url(study))
    educator, educator_id = login_as(Role.EDUCATOR)
    data = {"recording_id": study.recording, "start": 1, "end": 3, "title": "Naming the worry"}
    assert form_post(educator, "/privacy/exemplars/new", data, "/").status_code == 302

    page = educator.get(actor_url(study))
    assert page.status_code == 200 and ACTOR in page.get_data(as_text=True)
    with app.app_context():
        trainee_name = db.session.get(User, study.trainee).name
    assert f"by {trainee_name}." in page.get_data(as_text=True)
    response = form_post(educator, actor_url(study), {"action": "withdraw"}, actor_url(study))
    assert response.status_code == 302
    row = actor_row(app, study)
    assert row.withdrawn_at is not None and row.recorded_by_id == educator_id
    assert not (row.exemplar_use or row.research_use or row.classifier_training)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Exemplar.id))) == 0
    assert allowed(app, study) == (False, False)
    again = form_post(trainee, actor_url(study), {"action": "save", **ALL_USES}, consent_url(study))
    assert again.status_code == 409  # withdrawal is final
    assert "withdrew consent" in trainee.get(consent_url(study)).get_data(as_text=True)


def test_only_the_trainee_and_staff_record_it(app, study, browser_for, form_post, login_as):
    other = browser_for(study.other_cohort)
    assert other.get(actor_url(study)).status_code == 404
    assert form_post(other, actor_url(study), ALL_USES, "/").status_code == 404
    for role in (Role.RATER, Role.ACTOR):
        browser, _ = login_as(role)
        assert browser.get(actor_url(study)).status_code == 403
    assert actor_row(app, study) is None


def test_recording_it_needs_a_csrf_token(app, study, browser_for):
    trainee = browser_for(study.trainee)
    assert trainee.post(actor_url(study), data={"action": "save", **ALL_USES}).status_code == 400
    assert actor_row(app, study) is None


def test_an_actor_with_an_account_answers_for_themselves(
    app, study, browser_for, form_post, login_as
):
    with app.app_context():
        recording = db.session.get(Recording, study.recording)
        recording.actor_id, recording.actor_name = study.actor, None
        db.session.commit()
    educator, _ = login_as(Role.EDUCATOR)
    response = educator.get(actor_url(study))
    assert response.status_code == 409
    assert "records their own consent" in response.get_data(as_text=True)
    trainee_page = browser_for(study.trainee).get(consent_url(study)).get_data(as_text=True)
    assert "actor-consent" not in trainee_page
