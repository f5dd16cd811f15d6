"""Subject rights: an administrator exports or erases one person's data."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
import sqlalchemy as sa

from tests.webapp.privacy_support import (
    CANARIES,
    SPEECH,
    Study,
    register_blueprints,
    seed_study,
)
from webapp.audit import record_event
from webapp.extensions import db
from webapp.models import (
    AuditAction,
    AuditEvent,
    Consent,
    FinalScore,
    Rating,
    Recording,
    Role,
    User,
)
from webapp.practice import storage


@pytest.fixture
def study(app, make_user, make_cohort) -> Study:
    return seed_study(app, make_user, make_cohort)


@pytest.fixture(autouse=True)
def _blueprints(app):
    register_blueprints(app)


def delete(form_post, browser, user_id: int, confirm: str):
    url = f"/privacy/users/{user_id}/delete"
    return form_post(browser, url, {"confirm": confirm}, url)


def test_user_export_zips_their_data_and_audio(app, study, login_as):
    with app.app_context():
        record_event(AuditAction.PASSWORD_CHANGED, actor=db.session.get(User, study.trainee))
        db.session.commit()
    browser, admin_id = login_as(Role.ADMIN)
    response = browser.get(f"/privacy/users/{study.trainee}/export")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        data = json.loads(archive.read("data.json"))
        assert f"audio/{study.recording}/playback.ogg" in archive.namelist()
    assert data["user"]["email"] == CANARIES[1] and "password_hash" not in data["user"]
    assert data["recordings"][0]["transcripts"][0]["segments"][1]["text"] == SPEECH
    assert "user.password_changed" in [e["action"] for e in data["audit_events"]]
    with app.app_context():
        event = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "user.data_exported")
        ).one()
        assert event.actor_id == admin_id and event.object_id == str(study.trainee)


def test_rater_export_lists_the_ratings_they_gave(study, login_as):
    browser, _ = login_as(Role.ADMIN)
    response = browser.get(f"/privacy/users/{study.rater1}/export")
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        data = json.loads(archive.read("data.json"))
    scores = data["ratings_given"][0]["ratings"][0]["scores"]
    assert {s["dimension"]: s["score"] for s in scores} == {"empathy": 4, "clarity": 3}


@pytest.mark.parametrize("path", ["/privacy/users/999/export", "/privacy/users/999/delete"])
def test_unknown_user_is_404(study, login_as, path):
    browser, _ = login_as(Role.ADMIN)
    assert browser.get(path).status_code == 404


def test_educator_cannot_export_or_erase_a_person(study, login_as):
    browser, _ = login_as(Role.EDUCATOR)
    assert browser.get(f"/privacy/users/{study.trainee}/export").status_code == 403
    assert browser.get(f"/privacy/users/{study.trainee}/delete").status_code == 403


def test_erasure_needs_the_typed_email(app, study, login_as, form_post):
    browser, _ = login_as(Role.ADMIN)
    assert delete(form_post, browser, study.trainee, "wrong").status_code == 422
    with app.app_context():
        assert db.session.get(User, study.trainee) is not None
        assert db.session.get(Recording, study.recording) is not None


def test_erasing_a_trainee_deletes_recordings_files_and_the_account(
    app, study, login_as, form_post
):
    with app.app_context():
        folder = storage.recording_dir(db.session.get(Recording, study.recording))
        record_event(AuditAction.PASSWORD_CHANGED, actor=db.session.get(User, study.trainee))
        db.session.commit()
    browser, admin_id = login_as(Role.ADMIN)
    assert delete(form_post, browser, study.trainee, CANARIES[1]).status_code == 302
    assert not folder.exists()
    with app.app_context():
        assert db.session.get(User, study.trainee) is None
        assert db.session.get(Recording, study.recording) is None
        login = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "user.password_changed")
        ).one()
        assert login.actor_id is None  # the event stays, the person does not
        erased = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "user.erased")
        ).one()
        assert erased.actor_id == admin_id and erased.object_id == str(study.trainee)


def test_erasing_a_rater_keeps_ratings_and_anonymises_the_account(app, study, login_as, form_post):
    browser, _ = login_as(Role.ADMIN)
    assert delete(form_post, browser, study.rater1, "canary-r1@example.test").status_code == 302
    with app.app_context():
        rater = db.session.get(User, study.rater1)
        assert rater.name == f"Erased user {rater.id}" and "canary" not in rater.email
        assert not rater.active and rater.roles == frozenset()
        assert db.session.scalar(sa.select(sa.func.count(Rating.id))) == 2
        assert db.session.scalar(sa.select(sa.func.count(FinalScore.id))) == 2


def test_erasing_an_actor_withdraws_their_consent_and_unlinks_them(app, study, login_as, form_post):
    browser, _ = login_as(Role.ADMIN)
    assert delete(form_post, browser, study.actor, "canary-actor@example.test").status_code == 302
    with app.app_context():
        recording = db.session.get(Recording, study.recording)
        assert recording.actor_id is None and recording.actor_name is None
        consent = db.session.scalars(sa.select(Consent)).one()
        assert consent.withdrawn_at is not None and consent.person_id is None


def test_admin_cannot_erase_themselves(app, login_as, form_post):
    browser, admin_id = login_as(Role.ADMIN, email="me@example.test")
    assert delete(form_post, browser, admin_id, "me@example.test").status_code == 409
