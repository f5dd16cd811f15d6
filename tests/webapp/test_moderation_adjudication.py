"""Adjudication: two raters disagree, an educator records a consensus; raw ratings stay."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token
from tests.webapp.review_support import (
    VIGNETTES,
    make_ready_recording,
    post_rating,
    rating_form,
    tasks_of,
)
from webapp.extensions import db
from webapp.library.services import import_vignettes
from webapp.models import (
    AuditEvent,
    FinalMethod,
    FinalScore,
    Rating,
    RatingScore,
    Recording,
    Role,
    TaskRole,
)
from webapp.moderation import adjudication as adjudication_module
from webapp.review.allocation import add_task, new_public_code
from webapp.review.finals import needs_adjudication
from webapp.review.instruments import get_rating_instrument

# Threshold 2: empathy (gap 3) and warmth (gap 2) need adjudication; clarity and strengths
# are averaged.
FIRST = {"clarity": "4", "empathy": "1", "warmth": "5", "strengths": "2"}
SECOND = {"clarity": "4", "empathy": "4", "warmth": "3", "strengths": "3"}


@pytest.fixture
def app(app_factory):
    application = app_factory()
    with application.app_context():
        import_vignettes(VIGNETTES)
        db.session.commit()
    return application


def allocate(app, recording_id, raters):
    """Give the recording a code and one task per (rater id, role)."""
    with app.app_context():
        recording = db.session.get(Recording, recording_id)
        recording.public_code = new_public_code()
        instrument = get_rating_instrument()
        for rater_id, role in raters:
            add_task(recording, rater_id, role, instrument)
        db.session.commit()
        return recording.public_code


@pytest.fixture
def world(app, login_as, make_user):
    """A double-coded recording both raters have submitted, and an educator's browser."""
    first, first_id = login_as(Role.RATER, name="Rhona Firstrater")
    second, second_id = login_as(Role.RATER, name="Sami Secondrater")
    educator, educator_id = login_as(Role.EDUCATOR)
    trainee_id = make_user(Role.TRAINEE, name="Tara Trainee")
    with app.app_context():
        recording_id = make_ready_recording(trainee_id)
        db.session.commit()
    code = allocate(app, recording_id, [(first_id, TaskRole.PRIMARY), (second_id, TaskRole.SECOND)])
    submit(
        first,
        code,
        FIRST,
        **{"note-empathy": "Cut the parent off twice.", "evidence-empathy": ["1"]},
    )
    submit(
        second,
        code,
        SECOND,
        **{"note-empathy": "Reflected the worry well.", "evidence-empathy": ["2"]},
    )
    return {
        "educator": educator,
        "educator_id": educator_id,
        "recording_id": recording_id,
        "code": code,
        "url": f"/moderation/adjudication/{recording_id}",
        "first": first,
        "second": second,
    }


def submit(browser, code, scores, **extra):
    """A rater submits through the rating page (a redirect means it was accepted)."""
    response = post_rating(browser, code, "submit", rating_form(scores, **extra))
    assert response.status_code in (302, 303), response.get_data(as_text=True)


def adjudicate(world, data):
    token = csrf_token(world["educator"], world["url"])
    return world["educator"].post(world["url"], data={**data, "csrf_token": token})


def raw_ratings(app):
    with app.app_context():
        ratings = db.session.scalars(sa.select(Rating).order_by(Rating.id)).all()
        scores = db.session.scalars(sa.select(RatingScore).order_by(RatingScore.rating_id)).all()
        return (
            [(r.id, r.version, r.status, r.submitted_at) for r in ratings],
            [(s.rating_id, s.dimension, s.score, s.note) for s in scores],
        )


def finals(app, recording_id):
    with app.app_context():
        rows = db.session.scalars(sa.select(FinalScore).filter_by(recording_id=recording_id))
        return {r.dimension: (r.score, r.method, r.decided_by_id, r.note) for r in rows}


def audit_actions(app, action):
    with app.app_context():
        return db.session.scalars(sa.select(AuditEvent).filter_by(action=action)).all()


def test_queue_lists_the_recording_with_its_waiting_dimensions(world):
    page = world["educator"].get("/moderation/adjudication").get_data(as_text=True)
    assert world["code"] in page
    assert "empathy" in page and "warmth" in page


def test_moderation_overview_counts_what_waits(world):
    page = world["educator"].get("/moderation/").get_data(as_text=True)
    assert "1 double-coded recording(s) waiting" in page


def test_page_shows_both_raters_notes_evidence_and_anchors_without_names(world):
    response = world["educator"].get(world["url"])
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Rater A" in page and "Rater B" in page
    assert "Cut the parent off twice." in page and "Reflected the worry well." in page
    assert "everything is fine" in page  # the segment rater A marked as evidence
    assert "The school told us your son has come in hungry" in page  # rater B's segment
    assert "Anchors" in page
    assert 'name="score-empathy"' in page and 'name="score-warmth"' in page
    assert 'name="score-clarity"' not in page  # the raters agree closely enough
    for name in ("Rhona", "Sami", "Tara"):
        assert name not in page


def test_consensus_becomes_adjudicated_final_score_and_raw_ratings_stay(app, world):
    before = raw_ratings(app)
    data = {"score-empathy": "3", "score-warmth": "4", "note": "Listened together; agreed 3."}
    response = adjudicate(world, data)
    assert response.status_code == 302
    assert raw_ratings(app) == before
    stored = finals(app, world["recording_id"])
    note = "Listened together; agreed 3."
    assert stored["empathy"] == (3.0, FinalMethod.ADJUDICATED, world["educator_id"], note)
    assert stored["warmth"] == (4.0, FinalMethod.ADJUDICATED, world["educator_id"], note)
    assert stored["clarity"][:2] == (4.0, FinalMethod.MEAN)
    assert stored["strengths"][:2] == (2.5, FinalMethod.MEAN)
    (event,) = audit_actions(app, "adjudication.recorded")
    assert event.actor_id == world["educator_id"]
    assert event.detail["dimensions"]["empathy"] == {"score": 3, "previous": None}
    with app.app_context():
        assert needs_adjudication(db.session.get(Recording, world["recording_id"])) == []


def test_a_later_submission_keeps_the_adjudicated_score(app, world):
    adjudicate(world, {"score-empathy": "3", "note": "Agreed."})
    # Another coder change recomputes the finals; the educator's decision stays.
    token = csrf_token(world["first"], f"/review/{world['code']}")
    data = rating_form(FIRST, action="change", reason="Misread", csrf_token=token)
    data["score-clarity"] = "3"
    assert world["first"].post(f"/review/{world['code']}", data=data).status_code in (302, 303)
    assert finals(app, world["recording_id"])["empathy"][:2] == (3.0, FinalMethod.ADJUDICATED)


def test_partial_adjudication_leaves_the_rest_waiting_and_can_be_revised(app, world):
    assert adjudicate(world, {"score-empathy": "2", "note": "First look."}).status_code == 302
    page = world["educator"].get("/moderation/adjudication").get_data(as_text=True)
    assert "warmth" in page
    assert adjudicate(world, {"score-empathy": "3", "note": "Second look."}).status_code == 302
    assert finals(app, world["recording_id"])["empathy"][0] == 3.0
    last = audit_actions(app, "adjudication.recorded")[-1]
    assert last.detail["dimensions"]["empathy"] == {"score": 3, "previous": 2.0}


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"score-empathy": "6", "note": "n"}, 422, "whole number from 1 to 5"),
        ({"score-empathy": "0", "note": "n"}, 422, "whole number from 1 to 5"),
        ({"score-empathy": "2.5", "note": "n"}, 422, "whole number from 1 to 5"),
        ({"score-clarity": "4", "note": "n"}, 409, "agree closely enough"),
        ({"score-nonsense": "3", "note": "n"}, 422, "not a dimension"),
        ({"score-empathy": "3", "note": "  "}, 422, "note"),
        ({"note": "Nothing chosen"}, 422, "at least one dimension"),
    ],
    ids=["above-scale", "below-scale", "half-point", "not-needed", "unknown", "no-note", "none"],
)
def test_bad_consensus_is_refused_and_nothing_is_stored(app, world, data, status, message):
    before = finals(app, world["recording_id"])
    response = adjudicate(world, data)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert finals(app, world["recording_id"]) == before
    assert audit_actions(app, "adjudication.recorded") == []


def test_a_recording_that_is_not_double_coded_cannot_be_adjudicated(app, login_as, make_user):
    rater, rater_id = login_as(Role.RATER)
    educator, _ = login_as(Role.EDUCATOR)
    with app.app_context():
        recording_id = make_ready_recording(make_user(Role.TRAINEE))
        db.session.commit()
    code = allocate(app, recording_id, [(rater_id, TaskRole.PRIMARY)])
    submit(rater, code, FIRST)
    url = f"/moderation/adjudication/{recording_id}"
    response = educator.get(url)
    assert response.status_code == 409
    assert "not double-coded" in response.get_data(as_text=True)
    token = csrf_token(educator, "/moderation/adjudication")
    posted = educator.post(url, data={"score-empathy": "3", "note": "x", "csrf_token": token})
    assert posted.status_code == 409
    assert code not in educator.get("/moderation/adjudication").get_data(as_text=True)


def test_an_unknown_recording_is_404(world):
    assert world["educator"].get("/moderation/adjudication/99999").status_code == 404


@pytest.mark.parametrize("role", [Role.RATER, Role.TRAINEE, Role.ACTOR])
def test_raters_trainees_and_actors_cannot_adjudicate(world, login_as, role):
    browser, _ = login_as(role)
    assert browser.get("/moderation/").status_code == 403
    assert browser.get("/moderation/adjudication").status_code == 403
    assert browser.get(world["url"]).status_code == 403


def awaiting_on_overview(educator):
    html = educator.get("/dashboard/").get_data(as_text=True)
    return re.search(r"awaiting adjudication: <strong>(\d+)</strong>", html).group(1)


def test_overview_count_awaiting_adjudication_follows_ratings_and_decisions(app, world):
    """The overview keeps the count between requests; every change must still show."""
    educator = world["educator"]
    assert awaiting_on_overview(educator) == "1"
    # A partial decision leaves warmth waiting; the count stays.
    assert adjudicate(world, {"score-empathy": "3", "note": "Agreed."}).status_code == 302
    assert awaiting_on_overview(educator) == "1"
    # The first coder changes warmth to agree with the second: nothing left to decide.
    token = csrf_token(world["first"], f"/review/{world['code']}")
    data = rating_form(
        {**FIRST, "warmth": "3"}, action="change", reason="Misheard", csrf_token=token
    )
    assert world["first"].post(f"/review/{world['code']}", data=data).status_code in (302, 303)
    assert awaiting_on_overview(educator) == "0"
    # And back: a new disagreement on warmth waits again.
    token = csrf_token(world["first"], f"/review/{world['code']}")
    data = rating_form(FIRST, action="change", reason="Listened again", csrf_token=token)
    assert world["first"].post(f"/review/{world['code']}", data=data).status_code in (302, 303)
    assert awaiting_on_overview(educator) == "1"
    assert adjudicate(world, {"score-warmth": "4", "note": "Agreed."}).status_code == 302
    assert awaiting_on_overview(educator) == "0"


def test_the_queue_comes_a_page_at_a_time_with_waiting_recordings_first(
    app, world, make_user, monkeypatch
):
    monkeypatch.setattr(adjudication_module, "ADJUDICATION_PAGE_SIZE", 1)
    # A second disagreement between the same raters, then the first one is fully settled.
    with app.app_context():
        later_id = make_ready_recording(make_user(Role.TRAINEE, name="Una Trainee"))
        db.session.commit()
        rater_ids = [task.rater_id for task in tasks_of(world["recording_id"])]
    later_code = allocate(
        app, later_id, [(rater_ids[0], TaskRole.PRIMARY), (rater_ids[1], TaskRole.SECOND)]
    )
    submit(world["first"], later_code, FIRST)
    submit(world["second"], later_code, SECOND)
    assert adjudicate(world, {"score-empathy": "3", "score-warmth": "4", "note": "Agreed."})

    first = world["educator"].get("/moderation/adjudication").get_data(as_text=True)
    assert "<strong>1</strong> recording waiting for a decision, 1 already adjudicated" in first
    assert later_code in first and world["code"] not in first  # waiting first
    assert "1–1 of 2 (page 1 of 2)" in first
    second = world["educator"].get("/moderation/adjudication?page=2").get_data(as_text=True)
    assert world["code"] in second and later_code not in second
    assert world["educator"].get("/moderation/adjudication?page=9").status_code == 200
