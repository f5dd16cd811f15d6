"""Consent: who may give it, and withdrawal taking effect everywhere."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from tests.webapp.privacy_support import (
    SPEECH,
    Study,
    consent_url,
    give_real_audio,
    register_blueprints,
    seed_study,
)
from webapp.estimates.data import is_training_allowed
from webapp.extensions import db
from webapp.models import Consent, Exemplar, Recording, Role

ALL_USES = {"exemplar_use": "on", "research_use": "on", "classifier_training": "on"}


@pytest.fixture
def study(app, make_user, make_cohort) -> Study:
    study = seed_study(app, make_user, make_cohort)
    give_real_audio(app, study.recording)
    return study


@pytest.fixture(autouse=True)
def _blueprints(app):
    register_blueprints(app)


def give(form_post, browser, study, data=ALL_USES):
    return form_post(browser, consent_url(study), {"action": "save", **data}, consent_url(study))


def consents(app, study) -> dict[str, Consent]:
    with app.app_context():
        rows = db.session.scalars(sa.select(Consent).filter_by(recording_id=study.recording))
        found = {row.person_role: row for row in rows}
        db.session.expunge_all()  # loaded values stay readable after the context ends
        return found


def training_allowed(app, study) -> bool:
    with app.app_context():
        return is_training_allowed(db.session.get(Recording, study.recording))


def tag(form_post, browser, study, **extra):
    data = {"recording_id": study.recording, "start": 0, "end": 9, "title": "Open question"}
    return form_post(browser, "/privacy/exemplars/new", data | extra, "/privacy/exemplars/new")


def test_trainee_and_actor_record_their_own_consent(app, study, browser_for, form_post):
    for person in (study.trainee, study.actor):
        browser = browser_for(person)
        assert "Consent for this recording" in browser.get(consent_url(study)).get_data(True)
        assert give(form_post, browser, study).status_code == 302
    rows = consents(app, study)
    assert rows["trainee"].person_id == study.trainee and rows["actor"].person_id == study.actor
    assert all(r.exemplar_use and r.classifier_training for r in rows.values())


def test_training_needs_both_trainee_and_actor(app, study, browser_for, form_post):
    assert not training_allowed(app, study)  # no consent rows: not allowed
    give(form_post, browser_for(study.trainee), study)
    assert not training_allowed(app, study)  # the actor has an account and has not agreed
    give(form_post, browser_for(study.actor), study)
    assert training_allowed(app, study)


def test_consent_for_someone_elses_recording_is_404(app, study, browser_for, form_post):
    browser = browser_for(study.other_cohort)
    assert browser.get(consent_url(study)).status_code == 404
    response = form_post(browser, consent_url(study), {"action": "withdraw"}, "/")
    assert response.status_code == 404
    assert consents(app, study) == {}


def test_exemplar_without_both_consents_is_409(app, study, browser_for, form_post, login_as):
    give(form_post, browser_for(study.trainee), study)  # the actor has not agreed
    educator, _ = login_as(Role.EDUCATOR)
    response = tag(form_post, educator, study)
    assert response.status_code == 409
    assert "must both allow exemplar use" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Exemplar.id))) == 0


@pytest.mark.parametrize(
    ("field", "value"), [("end", "0"), ("start", "x"), ("title", ""), ("end", "999")]
)
def test_exemplar_with_bad_times_or_title_is_422(
    study, browser_for, form_post, login_as, field, value
):
    give(form_post, browser_for(study.trainee), study)
    give(form_post, browser_for(study.actor), study)
    educator, _ = login_as(Role.EDUCATOR)
    assert tag(form_post, educator, study, **{field: value}).status_code == 422


def test_exemplars_show_to_other_cohorts_only(app, study, browser_for, form_post, login_as):
    give(form_post, browser_for(study.trainee), study)
    give(form_post, browser_for(study.actor), study)
    educator, _ = login_as(Role.EDUCATOR)
    assert tag(form_post, educator, study).status_code == 302
    assert SPEECH in educator.get("/privacy/exemplars").get_data(as_text=True)
    assert SPEECH in browser_for(study.other_cohort).get("/privacy/exemplars").get_data(True)
    assert SPEECH not in browser_for(study.same_cohort).get("/privacy/exemplars").get_data(True)
    assert SPEECH not in browser_for(study.trainee).get("/privacy/exemplars").get_data(True)


def test_withdrawal_takes_effect_everywhere(app, study, browser_for, form_post, login_as):
    actor = browser_for(study.actor)
    give(form_post, browser_for(study.trainee), study)
    give(form_post, actor, study)
    educator, _ = login_as(Role.EDUCATOR)
    tag(form_post, educator, study)
    assert training_allowed(app, study)

    response = form_post(actor, consent_url(study), {"action": "withdraw"}, consent_url(study))
    assert response.status_code == 302

    row = consents(app, study)["actor"]
    assert row.withdrawn_at is not None
    assert not (row.exemplar_use or row.research_use or row.classifier_training)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Exemplar.id))) == 0
    assert not training_allowed(app, study)
    assert SPEECH not in educator.get("/privacy/exemplars").get_data(as_text=True)
    body = educator.get("/exports/final-scores.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows and {(r["consent_withdrawn"], r["research_consent"]) for r in rows} == {("1", "0")}
    assert tag(form_post, educator, study).status_code == 409
    assert give(form_post, actor, study).status_code == 409  # withdrawal is final


def test_actor_known_only_by_name_blocks_exemplars_not_training(app, study, browser_for, form_post):
    with app.app_context():
        recording = db.session.get(Recording, study.recording)
        recording.actor_id, recording.actor_name = None, "Someone without an account"
        db.session.commit()
    give(form_post, browser_for(study.trainee), study)
    assert training_allowed(app, study)
    with app.app_context():
        from webapp.privacy.consent import is_exemplar_allowed

        assert not is_exemplar_allowed(db.session.get(Recording, study.recording))


def test_demo_archive_still_trains_with_demo_consents(app, make_user, make_cohort):
    from pathlib import Path

    from webapp.estimates.data import get_training_set
    from webapp.estimates.demo import load_demo_training_archive
    from webapp.library.services import import_vignettes
    from webapp.privacy.demo import grant_demo_consents

    make_cohort("Spring")
    make_user(Role.RATER, email="rater1@example.org")
    make_user(Role.RATER, email="rater2@example.org")
    with app.app_context():
        import_vignettes(Path(__file__).resolve().parents[2] / "vignettes")
        load_demo_training_archive()
        grant_demo_consents()  # also called by the archive loader itself
        assert grant_demo_consents() == 0  # idempotent
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count(Consent.id))) == 160  # trainee, actor
        assert len(get_training_set("simulated-client").records) == 80
