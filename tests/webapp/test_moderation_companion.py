"""Companion forms: the trainee on realism, the actor in role, one answer each, the
educators' overview, and who may fill in which form."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import render_template_string
from flask_login import login_user

from tests.conftest import csrf_token
from tests.webapp.review_support import VIGNETTES, make_ready_recording
from webapp.extensions import db
from webapp.library.services import import_vignettes
from webapp.models import AuditEvent, CompanionResponse, Recording, RecordingStatus, Role, User

TRAINEE_ANSWERS = {"vignette_realism": "4", "actor_realism": "5", "comment": "Felt real."}
ACTOR_ANSWERS = {"felt_listened_to": "2", "understood_purpose": "4", "felt_judged": "5"}


@pytest.fixture
def app(app_factory):
    application = app_factory()
    with application.app_context():
        import_vignettes(VIGNETTES)
        db.session.commit()
    return application


@pytest.fixture
def world(app, login_as):
    trainee, trainee_id = login_as(Role.TRAINEE)
    actor, actor_id = login_as(Role.ACTOR)
    with app.app_context():
        recording_id = make_ready_recording(trainee_id, actor_id)
        db.session.commit()
    return {
        "trainee": trainee,
        "trainee_id": trainee_id,
        "actor": actor,
        "actor_id": actor_id,
        "recording_id": recording_id,
        "trainee_url": f"/moderation/companion/{recording_id}/trainee",
        "actor_url": f"/moderation/companion/{recording_id}/actor",
    }


def send(browser, url, data):
    return browser.post(url, data={**data, "csrf_token": csrf_token(browser, "/")})


def responses(app):
    with app.app_context():
        rows = db.session.scalars(sa.select(CompanionResponse).order_by(CompanionResponse.id))
        return [(r.recording_id, r.respondent_id, r.kind, r.answers) for r in rows]


def test_trainee_answers_once_and_returns_to_the_recording(app, world):
    response = send(world["trainee"], world["trainee_url"], TRAINEE_ANSWERS)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/practice/recordings/{world['recording_id']}"
    expected = {"vignette_realism": 4, "actor_realism": 5, "comment": "Felt real."}
    assert responses(app) == [(world["recording_id"], world["trainee_id"], "trainee", expected)]
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).filter_by(action="companion.submitted"))
        assert event.detail == {"kind": "trainee"}
    again = send(world["trainee"], world["trainee_url"], {**TRAINEE_ANSWERS, "actor_realism": "1"})
    assert again.status_code == 409
    assert "already answered" in again.get_data(as_text=True)
    assert responses(app)[0][3] == expected
    page = world["trainee"].get(world["trainee_url"]).get_data(as_text=True)
    assert "You answered this form" in page and "Felt real." in page


def test_actor_answers_in_role_for_a_recording_they_are_named_on(app, world):
    listing = world["actor"].get("/moderation/companion").get_data(as_text=True)
    assert world["actor_url"] in listing
    assert world["trainee_url"] not in listing
    form = world["actor"].get(world["actor_url"]).get_data(as_text=True)
    assert 'name="felt_judged"' in form and "Answer as the parent" in form
    assert send(world["actor"], world["actor_url"], ACTOR_ANSWERS).status_code == 302
    (stored,) = responses(app)
    assert stored[1:] == (
        world["actor_id"],
        "actor",
        {"felt_listened_to": 2, "understood_purpose": 4, "felt_judged": 5, "comment": ""},
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"vignette_realism": "6"}, "from 1 to 5"),
        ({"vignette_realism": "0"}, "from 1 to 5"),
        ({"actor_realism": "-1"}, "from 1 to 5"),
        ({"actor_realism": "3.5"}, "from 1 to 5"),
        ({"actor_realism": "very"}, "from 1 to 5"),
        ({"actor_realism": ""}, "from 1 to 5"),
        ({"comment": "x" * 2001}, "longer than 2000"),
    ],
    ids=["six", "zero", "negative", "half", "text", "missing", "long-comment"],
)
def test_values_outside_the_scale_are_refused_and_nothing_stored(app, world, change, message):
    response = send(world["trainee"], world["trainee_url"], {**TRAINEE_ANSWERS, **change})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert responses(app) == []
    with app.app_context():
        assert (
            db.session.scalar(sa.select(AuditEvent).filter_by(action="companion.submitted")) is None
        )


def test_someone_elses_recording_is_404(app, world, login_as):
    other_trainee, _ = login_as(Role.TRAINEE)
    other_actor, _ = login_as(Role.ACTOR)
    both, _ = login_as(Role.TRAINEE, Role.ACTOR)
    cases = [
        (other_trainee, world["trainee_url"], TRAINEE_ANSWERS),
        (other_actor, world["actor_url"], ACTOR_ANSWERS),
        (both, world["actor_url"], ACTOR_ANSWERS),
        (world["trainee"], world["actor_url"], ACTOR_ANSWERS),  # the trainee is not the actor
        (world["actor"], world["trainee_url"], TRAINEE_ANSWERS),
        (world["trainee"], "/moderation/companion/99999/trainee", TRAINEE_ANSWERS),
        (world["trainee"], f"/moderation/companion/{world['recording_id']}/rater", {}),
    ]
    for browser, url, data in cases:
        assert browser.get(url).status_code == 404, url
        assert send(browser, url, data).status_code == 404, url
    assert responses(app) == []


def test_an_actor_without_an_account_gets_no_form(app, login_as, make_user):
    trainee_id = make_user(Role.TRAINEE)
    actor, _ = login_as(Role.ACTOR)
    with app.app_context():
        recording_id = make_ready_recording(trainee_id)  # actor named by free text only
        db.session.commit()
    assert actor.get(f"/moderation/companion/{recording_id}/actor").status_code == 404


def test_the_form_opens_only_after_the_recording_is_finished(app, world):
    with app.app_context():
        db.session.get(Recording, world["recording_id"]).status = RecordingStatus.RECORDING
        db.session.commit()
    page = world["trainee"].get(world["trainee_url"])
    assert page.status_code == 200 and "opens once the recording is finished" in page.get_data(
        as_text=True
    )
    assert send(world["trainee"], world["trainee_url"], TRAINEE_ANSWERS).status_code == 409
    assert responses(app) == []


def test_the_include_beside_the_recording_shows_the_form_then_the_answers(app, world, make_user):
    educator_id = make_user(Role.EDUCATOR)
    template = '{% include "moderation/_companion.html" %}'
    rec = {"id": world["recording_id"]}
    with app.test_request_context("/"):
        login_user(db.session.get(User, world["trainee_id"]))
        html = render_template_string(template, rec=rec)
        assert f'action="{world["trainee_url"]}"' in html
        assert 'name="vignette_realism"' in html
        login_user(db.session.get(User, world["actor_id"]))
        assert render_template_string(template, rec=rec).strip() == ""
        login_user(db.session.get(User, educator_id))
        html = render_template_string(template, rec=rec)
        assert f"/moderation/companion/responses?recording={world['recording_id']}" in html
    send(world["trainee"], world["trainee_url"], TRAINEE_ANSWERS)
    with app.test_request_context("/"):
        login_user(db.session.get(User, world["trainee_id"]))
        html = render_template_string(template, rec=rec)
        assert "Thank you for answering" in html and "<form" not in html


def test_educators_see_every_response_with_a_summary(app, world, login_as):
    send(world["trainee"], world["trainee_url"], TRAINEE_ANSWERS)
    send(world["actor"], world["actor_url"], ACTOR_ANSWERS)
    educator, _ = login_as(Role.EDUCATOR)
    page = educator.get("/moderation/companion/responses").get_data(as_text=True)
    assert "Felt real." in page
    assert "felt judged 5" in page
    assert "4.00" in page and "5.00" in page  # the means with one response each
    filtered = educator.get(f"/moderation/companion/responses?recording={world['recording_id']}")
    assert "Felt real." in filtered.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.TRAINEE, Role.ACTOR, Role.RATER])
def test_only_educators_and_admins_see_the_overview(world, login_as, role):
    browser, _ = login_as(role)
    assert browser.get("/moderation/companion/responses").status_code == 403


@pytest.mark.parametrize("role", [Role.RATER, Role.EDUCATOR])
def test_raters_and_educators_fill_in_no_forms(world, login_as, role):
    browser, _ = login_as(role)
    assert browser.get(world["trainee_url"]).status_code == 403
