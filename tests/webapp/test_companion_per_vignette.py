"""Companion forms are optional per vignette: a version that switches them off offers none."""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import csrf_token
from tests.webapp.review_support import SLUG, VIGNETTES, make_ready_recording
from webapp.extensions import db
from webapp.library.schema import with_defaults
from webapp.library.services import content_hash, import_vignettes
from webapp.models import CompanionResponse, Role, Vignette

ANSWERS = {"vignette_realism": "4", "actor_realism": "5", "comment": ""}


@pytest.fixture
def app(app_factory, tmp_path):
    application = app_factory()
    folder = tmp_path / "vignettes"
    folder.mkdir()
    document = yaml.safe_load((VIGNETTES / f"{SLUG}.yaml").read_text())
    document["companion_forms"] = False
    (folder / f"{SLUG}.yaml").write_text(yaml.safe_dump(document))
    with application.app_context():
        import_vignettes(folder)
        db.session.commit()
    return application


def test_forms_switched_off_are_neither_offered_nor_accepted(app, login_as):
    trainee, trainee_id = login_as(Role.TRAINEE)
    with app.app_context():
        assert (
            db.session.scalar(db.select(Vignette).filter_by(slug=SLUG)).current.companion_forms
            is False
        )
        recording_id = make_ready_recording(trainee_id)
        db.session.commit()
    url = f"/moderation/companion/{recording_id}/trainee"
    assert trainee.get(url).status_code == 404
    response = trainee.post(url, data={**ANSWERS, "csrf_token": csrf_token(trainee, "/")})
    assert response.status_code == 404
    page = trainee.get(f"/practice/recordings/{recording_id}").get_data(as_text=True)
    assert 'id="companion-title"' not in page and "/moderation/companion/" not in page
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(CompanionResponse)) == 0


def test_the_default_leaves_existing_version_hashes_unchanged():
    document = yaml.safe_load((VIGNETTES / f"{SLUG}.yaml").read_text())
    without = with_defaults(document)
    switched_on = with_defaults({**document, "companion_forms": True})
    switched_off = with_defaults({**document, "companion_forms": False})
    assert content_hash(without) == content_hash(switched_on) != content_hash(switched_off)
