"""The rating form: drafts, submission and its lock, changes with reasons, bad input,
evidence marks, audit, and final scores."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.webapp.review_support import (
    GOOD,
    VIGNETTES,
    code_of,
    count,
    make_ready_recording,
    post_rating,
    rating_form,
)
from webapp.extensions import db
from webapp.library.services import import_vignettes
from webapp.models import (
    AuditEvent,
    EvidenceMark,
    FinalScore,
    InstrumentVersion,
    Rating,
    RatingScore,
    Role,
)
from webapp.orm import utcnow
from webapp.review.allocation import allocate_recordings


@pytest.fixture
def app(app_factory):
    application = app_factory(DOUBLE_CODED_FRACTION=0.0)
    with application.app_context():
        import_vignettes(VIGNETTES)
        db.session.commit()
    return application


@pytest.fixture
def world(app, login_as, make_user):
    """One READY single-coded recording allocated to the logged-in rater."""
    rater, rater_id = login_as(Role.RATER)
    trainee_id = make_user(Role.TRAINEE)
    with app.app_context():
        recording_id = make_ready_recording(trainee_id)
        report = allocate_recordings()
        db.session.commit()
        assert report.allocated == 1
        code = code_of(recording_id)
    return {"rater": rater, "rater_id": rater_id, "recording_id": recording_id, "code": code}


def stored(app, model):
    with app.app_context():
        return count(model)


def test_queue_shows_the_code_scenario_instrument_and_status(world):
    html = world["rater"].get("/review/").get_data(as_text=True)
    assert world["code"] in html
    assert "a Year 3 boy arriving late and hungry" in html
    assert "Simulated-client interview skills (version 1)" in html
    assert "Not started" in html


def test_rating_page_shows_anchors_transcript_audio_and_fieldsets(world):
    html = world["rater"].get(f"/review/{world['code']}").get_data(as_text=True)
    assert "<legend>Clarity about concerns</legend>" in html
    assert "Early on, the worker names the specific concern" in html  # anchor 5 text
    assert "The school told us your son has come in hungry" in html
    assert f'src="/review/{world["code"]}/audio"' in html
    assert 'name="evidence-clarity" value="2"' in html
    assert "<strong>Parent</strong>" in html


def test_a_draft_may_be_partial_and_is_saved(app, world):
    response = post_rating(world["rater"], world["code"], "draft", rating_form({"clarity": "3"}))
    assert response.status_code == 303
    page = world["rater"].get(f"/review/{world['code']}/data.json").get_json()
    assert page["rating"]["scores"] == {"clarity": 3}
    assert page["status"] == "Draft saved" and page["is_locked"] is False


def test_submission_locks_the_rating_and_writes_a_single_final_score(app, world):
    data = rating_form(GOOD, **{"note-warmth": "Kind tone throughout.", "evidence-clarity": "2"})
    response = post_rating(world["rater"], world["code"], "submit", data)
    assert response.status_code == 303
    page = world["rater"].get(f"/review/{world['code']}/data.json").get_json()
    assert page["is_locked"] and page["rating"]["notes"] == {"warmth": "Kind tone throughout."}
    assert page["rating"]["evidence"] == {"clarity": [2]}
    again = post_rating(world["rater"], world["code"], "draft", rating_form({"clarity": "1"}))
    assert again.status_code == 409
    assert "locked" in again.get_data(as_text=True)
    with app.app_context():
        finals = db.session.scalars(sa.select(FinalScore)).all()
        assert {(f.dimension, f.score, f.method) for f in finals} == {
            ("clarity", 4.0, "single"),
            ("empathy", 3.0, "single"),
            ("warmth", 5.0, "single"),
            ("strengths", 2.0, "single"),
        }
        mark = db.session.scalar(sa.select(EvidenceMark))
        assert (mark.dimension, mark.segment_position, mark.transcript_version) == ("clarity", 2, 1)


def test_submitting_twice_is_harmless(app, world):
    first = post_rating(world["rater"], world["code"], "submit", rating_form(GOOD))
    second = post_rating(world["rater"], world["code"], "submit", rating_form(GOOD))
    assert (first.status_code, second.status_code) == (303, 303)
    assert stored(app, Rating) == 1 and stored(app, RatingScore) == 4
    different = post_rating(
        world["rater"], world["code"], "submit", rating_form(GOOD | {"warmth": "1"})
    )
    assert different.status_code == 409
    assert "already submitted" in different.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(RatingScore.score).filter_by(dimension="warmth")) == 5


def test_a_change_needs_a_reason_and_makes_a_new_version(app, world):
    post_rating(world["rater"], world["code"], "submit", rating_form(GOOD))
    changed = rating_form(GOOD | {"empathy": "4"})
    refused = post_rating(world["rater"], world["code"], "change", changed)
    assert refused.status_code == 422
    assert "Give a reason" in refused.get_data(as_text=True)
    assert stored(app, Rating) == 1
    reason = "Listened again to the middle section."
    ok = post_rating(world["rater"], world["code"], "change", {**changed, "reason": reason})
    assert ok.status_code == 303
    repeat = post_rating(world["rater"], world["code"], "change", {**changed, "reason": reason})
    assert repeat.status_code == 303
    with app.app_context():
        ratings = db.session.scalars(sa.select(Rating).order_by(Rating.version)).all()
        assert [(r.version, r.status, r.change_reason) for r in ratings] == [
            (1, "submitted", None),
            (2, "submitted", reason),
        ]
        assert {s.dimension: s.score for s in ratings[0].scores}["empathy"] == 3  # raw kept
        final = db.session.scalar(sa.select(FinalScore).filter_by(dimension="empathy"))
        assert final.score == 4.0
        event = db.session.scalar(sa.select(AuditEvent).filter_by(action="rating.changed"))
        assert event.detail["reason"] == reason and event.detail["scores_changed"] == ["empathy"]


BAD_SUBMISSIONS = [
    ("above the scale", GOOD | {"warmth": "6"}, "Warmth: 6 is not on the scale"),
    ("below the scale", GOOD | {"clarity": "0"}, "Clarity about concerns: 0 is not on the scale"),
    ("not a number", GOOD | {"empathy": "lots"}, "Empathy: 'lots' is not a score"),
    ("half point", GOOD | {"empathy": "2.5"}, "Empathy: '2.5' is not a score"),
    ("missing dimension", {"clarity": "3", "empathy": "3"}, "Missing: Warmth, Recognition"),
]


@pytest.mark.parametrize(
    ("case", "scores", "message"), BAD_SUBMISSIONS, ids=[b[0] for b in BAD_SUBMISSIONS]
)
def test_bad_submissions_are_refused_and_store_nothing(app, world, case, scores, message):
    response = post_rating(world["rater"], world["code"], "submit", rating_form(scores))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True).replace("&#39;", "'")
    assert stored(app, Rating) == 0 and stored(app, RatingScore) == 0


def test_a_missing_mode_is_refused_on_submit(app, world):
    data = {f"score-{k}": v for k, v in GOOD.items()}
    response = post_rating(world["rater"], world["code"], "submit", data)
    assert response.status_code == 422
    assert "Say how you rated" in response.get_data(as_text=True)


def test_evidence_for_a_line_that_does_not_exist_is_refused(app, world):
    data = rating_form(GOOD, **{"evidence-warmth": "99"})
    response = post_rating(world["rater"], world["code"], "draft", data)
    assert response.status_code == 422
    assert "line 100 does not exist" in response.get_data(as_text=True)
    assert stored(app, EvidenceMark) == 0


def test_json_clients_get_json_errors(world):
    from tests.conftest import csrf_token

    token = csrf_token(world["rater"], f"/review/{world['code']}")
    response = world["rater"].post(
        f"/review/{world['code']}",
        data={"action": "submit", "score-clarity": "9", "csrf_token": token},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422
    assert "not on the scale" in response.get_json()["message"]


def test_a_retired_instrument_version_takes_no_ratings(app, world):
    with app.app_context():
        version = db.session.scalar(sa.select(InstrumentVersion).filter_by(is_default=True))
        version.retired_at = utcnow()
        db.session.commit()
    response = post_rating(world["rater"], world["code"], "submit", rating_form(GOOD))
    assert response.status_code == 409
    assert "has been retired" in response.get_data(as_text=True)
    assert stored(app, Rating) == 0


def test_views_plays_and_submissions_are_audited(app, world):
    rater, code = world["rater"], world["code"]
    rater.get(f"/review/{code}")
    assert rater.get(f"/review/{code}/audio").status_code == 200
    rater.get(f"/review/{code}/audio", headers={"Range": "bytes=100-"})  # the same play
    post_rating(rater, code, "submit", rating_form(GOOD))
    with app.app_context():
        actions = list(db.session.scalars(sa.select(AuditEvent.action)))
    assert actions.count("review.audio_played") == 1
    assert "review.viewed" in actions and "rating.submitted" in actions
    assert actions.count("rating.allocated") == 1
