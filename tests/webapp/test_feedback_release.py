"""Releasing feedback: nothing reaches the trainee before release; afterwards the trainee
sees scores, anchors, anonymous raters' comments and the moments they point to."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from flask import url_for
from markupsafe import escape

from tests.webapp.feedback_support import (
    CANARY,
    RATER_NAMES,
    build_app,
    build_world,
    release,
)
from tests.webapp.review_support import count, make_ready_recording
from webapp.access import ANY_USER, get_access
from webapp.extensions import db
from webapp.models import AuditEvent, FeedbackRelease, InstrumentVersion, Role
from webapp.review.instruments import instrument_of

ARGUMENTS = {"slug": "school-referral-late-and-hungry", "kind": "plan", "filename": "app.css"}


@pytest.fixture
def app(app_factory):
    return build_app(app_factory)


@pytest.fixture
def world(app, login_as, make_user):
    return build_world(app, login_as, make_user)


def trainee_get_urls(app, recording_id):
    """Every GET route a trainee may use, filled in for the trainee's recording."""
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            access = get_access(rule.endpoint)
            if "GET" not in rule.methods or rule.endpoint == "auth.logout":
                continue
            if not (
                access == ANY_USER or (isinstance(access, frozenset) and Role.TRAINEE in access)
            ):
                continue
            args = {**ARGUMENTS, "recording_id": recording_id}
            if rule.arguments <= args.keys():
                urls.append(url_for(rule.endpoint, **{k: args[k] for k in rule.arguments}))
    return urls


def anchors(app, dimension):
    """The dimension's anchor texts as they appear in HTML."""
    with app.app_context():
        version = db.session.scalar(sa.select(InstrumentVersion).filter_by(is_default=True))
        texts = instrument_of(version).dimension(dimension).anchors
        return {level: str(escape(text)) for level, text in texts.items()}


def test_before_release_no_trainee_page_or_json_shows_scores_notes_or_evidence(app, world):
    urls = trainee_get_urls(app, world.recording_id)
    assert f"/feedback/recordings/{world.recording_id}.json" in urls
    assert any(url.startswith("/practice/recordings/") for url in urls)
    clarity_4 = anchors(app, "clarity")[4]
    for url in urls:
        body = world.trainee.get(url).data.decode("utf-8", errors="replace")
        assert CANARY not in body, url
        assert "Rater A" not in body and clarity_4 not in body, url
        assert "aim for" not in body, url
    page = world.trainee.get(f"/feedback/recordings/{world.recording_id}").get_data(as_text=True)
    assert "not ready yet" in page
    payload = world.trainee.get(f"/feedback/recordings/{world.recording_id}.json").get_json()
    assert payload == {"released": False, "recording_id": world.recording_id}


def test_educator_sees_the_recording_as_not_released(world):
    html = world.educator.get("/feedback/").get_data(as_text=True)
    assert world.code in html and "not released" in html
    assert "Tamsin Trainee" in html and "Rater A" not in html


def test_release_shows_anchors_comments_and_moments(app, world):
    response = release(world.educator, message="Well done for trying the open questions.")
    assert response.status_code == 422  # nothing chosen
    response = release(world.educator, only=world.recording_id, message="Good first go.")
    assert response.status_code == 302
    html = world.trainee.get(f"/feedback/recordings/{world.recording_id}").get_data(as_text=True)
    clarity, empathy = anchors(app, "clarity"), anchors(app, "empathy")
    assert "Score: 4 out of 5" in html and "Score: 3.5 out of 5" in html
    assert clarity[4] in html and clarity[5] in html and "To improve, aim for level 5" in html
    assert empathy[3] in html and empathy[4] in html
    assert "top of the scale" in html  # warmth 5
    assert "still being agreed" in html  # strengths waits for adjudication
    assert "Rater A" in html and "Rater B" in html and f"{CANARY} first on clarity" in html
    assert all(name not in html for name in RATER_NAMES)
    assert "The school told us your son has come in hungry" in html
    assert f"/practice/recordings/{world.recording_id}#t=4" in html
    assert "Good first go." in html


def test_released_json_carries_scores_comments_and_moments(world):
    release(world.educator, world.recording_id)
    payload = world.trainee.get(f"/feedback/recordings/{world.recording_id}.json").get_json()
    dims = {d["key"]: d for d in payload["dimensions"]}
    assert dims["clarity"]["score"] == 4.0 and dims["strengths"]["score"] is None
    moment = dims["clarity"]["comments"][0]["moments"][0]
    assert moment["url"].endswith(f"#t={4}") and moment["start"] == 4.0
    assert all(name not in json.dumps(payload) for name in RATER_NAMES)


def test_release_is_audited_and_listed(app, world):
    release(world.educator, world.recording_id, message="Thanks")
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).filter_by(action="feedback.released"))
        assert event is not None and event.object_id == str(world.recording_id)
        assert count(FeedbackRelease) == 1
    assert "released" in world.educator.get("/feedback/").get_data(as_text=True)


def test_releasing_twice_keeps_one_release(app, world):
    release(world.educator, world.recording_id)
    assert release(world.educator, world.recording_id).status_code == 302
    with app.app_context():
        assert count(FeedbackRelease) == 1


def test_release_without_final_scores_is_refused_and_stores_nothing(app, world):
    with app.app_context():
        bare = make_ready_recording(world.trainee_id)
        db.session.commit()
    response = release(world.educator, world.recording_id, bare)
    assert response.status_code == 409
    assert "no final scores yet" in response.get_data(as_text=True)
    with app.app_context():
        assert count(FeedbackRelease) == 0
        assert (
            db.session.scalar(sa.select(AuditEvent).filter_by(action="feedback.released")) is None
        )


@pytest.mark.parametrize(
    ("data", "status"),
    [({"recording": "abc"}, 422), ({"recording": "999999"}, 404), ({"message": "x" * 2001}, 422)],
)
def test_bad_release_input_gets_a_clear_status(app, world, data, status):
    from tests.conftest import csrf_token

    data = {
        "recording": str(world.recording_id),
        **data,
        "csrf_token": csrf_token(world.educator, "/feedback/"),
    }
    response = world.educator.post("/feedback/release", data=data)
    assert response.status_code == status
    with app.app_context():
        assert count(FeedbackRelease) == 0


def test_trainee_cannot_release(world):
    assert release(world.trainee, world.recording_id).status_code in (400, 403)
