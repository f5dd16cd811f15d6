"""Exemplar audio: excerpts cut from the playback copy, served to allowed viewers only,
and deleted with the exemplar (consent withdrawn or narrowed, retention)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.webapp.privacy_support import (
    Study,
    consent_url,
    give_real_audio,
    register_blueprints,
    seed_study,
)
from webapp import audio
from webapp.extensions import db
from webapp.models import AuditEvent, Exemplar, Recording, Role
from webapp.orm import utcnow
from webapp.practice import storage
from webapp.privacy.excerpts import excerpt_path
from webapp.privacy.retention import purge_expired_recordings

ALL_USES = {"exemplar_use": "on", "research_use": "on", "classifier_training": "on"}


@pytest.fixture(autouse=True)
def _blueprints(app):
    register_blueprints(app)


@pytest.fixture
def study(app, make_user, make_cohort) -> Study:
    study = seed_study(app, make_user, make_cohort)
    give_real_audio(app, study.recording)
    return study


def consent_all(form_post, browser_for, study) -> None:
    for person in (study.trainee, study.actor):
        browser = browser_for(person)
        response = form_post(browser, consent_url(study), {"action": "save", **ALL_USES}, "/")
        assert response.status_code == 302


def tag(form_post, browser, study, start=1.0, end=3.5):
    data = {"recording_id": study.recording, "start": start, "end": end, "title": "Open question"}
    return form_post(browser, "/privacy/exemplars/new", data, "/privacy/exemplars/new")


def only_exemplar(app) -> tuple[int, Path | None]:
    with app.app_context():
        exemplar = db.session.scalars(sa.select(Exemplar)).one()
        recording = db.session.get(Recording, exemplar.recording_id)
        path = excerpt_path(recording, exemplar.audio_key) if exemplar.audio_key else None
        return exemplar.id, path


def excerpt_files(app, study) -> list[Path]:
    with app.app_context():
        folder = storage.recording_dir(db.session.get(Recording, study.recording))
    return sorted((folder / "exemplars").glob("*")) if (folder / "exemplars").exists() else []


@pytest.fixture
def tagged(app, study, browser_for, form_post, login_as):
    consent_all(form_post, browser_for, study)
    educator, _ = login_as(Role.EDUCATOR)
    assert tag(form_post, educator, study).status_code == 302
    exemplar_id, path = only_exemplar(app)
    return educator, exemplar_id, path


def test_tagging_cuts_the_excerpt_from_the_playback_copy(app, study, tagged):
    _, _, path = tagged
    assert path is not None and path.is_file()
    assert path.parent.parent.name == db_storage_key(app, study)  # inside the recording's folder
    assert len(path.stem) == 32 and int(path.stem, 16) >= 0  # a server-made hex name
    assert audio.probe(path, max_seconds=20).duration_seconds == pytest.approx(2.5, abs=0.05)
    assert excerpt_files(app, study) == [path]


def db_storage_key(app, study) -> str:
    with app.app_context():
        return db.session.get(Recording, study.recording).storage_key


def test_allowed_viewers_hear_the_excerpt_beside_the_text(app, study, tagged, browser_for):
    educator, exemplar_id, path = tagged
    url = f"/privacy/exemplars/{exemplar_id}/audio"
    page = educator.get("/privacy/exemplars").get_data(as_text=True)
    assert f'<audio controls preload="none" src="{url}"' in page
    for browser in (educator, browser_for(study.other_cohort)):
        response = browser.get(url)
        assert response.status_code == 200
        assert response.mimetype == "audio/ogg" and response.data == path.read_bytes()
        assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
        assert "Content-Disposition" not in response.headers
    assert url in browser_for(study.other_cohort).get("/privacy/exemplars").get_data(True)


def test_others_cannot_fetch_the_excerpt(app, study, tagged, browser_for, login_as):
    _, exemplar_id, _ = tagged
    url = f"/privacy/exemplars/{exemplar_id}/audio"
    for person in (study.same_cohort, study.trainee):  # same cohort, and the trainee's own
        assert browser_for(person).get(url).status_code == 404
    for role in (Role.RATER, Role.ACTOR):
        assert login_as(role)[0].get(url).status_code == 403
    assert tagged[0].get("/privacy/exemplars/9999/audio").status_code == 404


def test_withdrawal_deletes_the_excerpt_file(app, study, tagged, browser_for, form_post):
    educator, exemplar_id, path = tagged
    actor = browser_for(study.actor)
    response = form_post(actor, consent_url(study), {"action": "withdraw"}, consent_url(study))
    assert response.status_code == 302
    assert not path.exists() and excerpt_files(app, study) == []
    assert educator.get(f"/privacy/exemplars/{exemplar_id}/audio").status_code == 404
    assert "<audio" not in educator.get("/privacy/exemplars").get_data(as_text=True)


def test_narrowing_consent_deletes_the_excerpt_file(app, study, tagged, browser_for, form_post):
    _, _, path = tagged
    trainee = browser_for(study.trainee)
    data = {"action": "save", "research_use": "on"}  # exemplar use switched off
    assert form_post(trainee, consent_url(study), data, consent_url(study)).status_code == 302
    assert not path.exists()


def test_retention_purge_deletes_exemplars_and_their_audio(app, study, tagged):
    _, exemplar_id, path = tagged
    with app.app_context():
        db.session.get(Recording, study.recording).retain_until = utcnow() - timedelta(days=1)
        db.session.commit()
        assert purge_expired_recordings() == [study.recording]
        assert db.session.get(Exemplar, exemplar_id) is None
        purged = db.session.scalars(
            sa.select(AuditEvent.detail).where(AuditEvent.action == "recording.purged")
        ).one()
    assert purged["exemplars_deleted"] == 1
    assert not path.exists() and not path.parent.exists()


def test_recording_without_a_playback_copy_gives_a_text_only_exemplar(
    app, study, browser_for, form_post, login_as
):
    with app.app_context():
        storage.playback_path(db.session.get(Recording, study.recording)).unlink()
    consent_all(form_post, browser_for, study)
    educator, _ = login_as(Role.EDUCATOR)
    assert tag(form_post, educator, study).status_code == 302
    exemplar_id, path = only_exemplar(app)
    assert path is None
    page = educator.get("/privacy/exemplars").get_data(as_text=True)
    assert "Open question" in page and "<audio" not in page
    assert educator.get(f"/privacy/exemplars/{exemplar_id}/audio").status_code == 404


def test_excerpt_outside_the_audio_is_refused_and_leaves_nothing(
    app, study, browser_for, form_post, login_as
):
    with app.app_context():
        db.session.get(Recording, study.recording).duration_seconds = None  # unknown length
        db.session.commit()
    consent_all(form_post, browser_for, study)
    educator, _ = login_as(Role.EDUCATOR)
    response = tag(form_post, educator, study, start=20, end=30)
    assert response.status_code == 422
    assert "nothing between these times" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Exemplar.id))) == 0
    assert excerpt_files(app, study) == []


def test_files_follow_the_transaction(app, tmp_path):
    from webapp.privacy.files import remove_after_commit, remove_on_rollback

    kept, released, written = (tmp_path / n for n in ("kept", "released", "written"))
    for path in (kept, released, written):
        path.write_bytes(b"x")
    with app.app_context():
        db.session.execute(sa.text("SELECT 1"))
        remove_after_commit(kept)
        remove_on_rollback(written)
        db.session.rollback()  # the row deletion never happened: its file stays
        assert kept.exists() and not written.exists()
        db.session.execute(sa.text("SELECT 1"))
        remove_after_commit(released)
        db.session.commit()
    assert not released.exists() and kept.exists()
