"""Final scores of double-coded recordings: mean when close, adjudication when far apart,
and an adjudicated score is never overwritten."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.webapp.review_support import (
    GOOD,
    VIGNETTES,
    code_of,
    make_ready_recording,
    post_rating,
    rating_form,
    tasks_of,
)
from webapp.extensions import db
from webapp.library.services import import_vignettes
from webapp.models import FinalMethod, FinalScore, Recording, Role
from webapp.review.allocation import allocate_recordings
from webapp.review.finals import needs_adjudication, update_final_scores


@pytest.fixture
def app(app_factory):
    application = app_factory(DOUBLE_CODED_FRACTION=1.0)
    with application.app_context():
        import_vignettes(VIGNETTES)
        db.session.commit()
    return application


@pytest.fixture
def coders(app, login_as, make_user):
    """A double-coded recording: (recording id, code, [primary browser, second browser])."""
    browsers = dict(reversed(login_as(Role.RATER)) for _ in range(2))
    with app.app_context():
        recording_id = make_ready_recording(make_user(Role.TRAINEE))
        allocate_recordings()
        db.session.commit()
        order = [browsers[task.rater_id] for task in tasks_of(recording_id)]
        return recording_id, code_of(recording_id), order


def finals(app, recording_id):
    with app.app_context():
        rows = db.session.scalars(sa.select(FinalScore).filter_by(recording_id=recording_id))
        return {f.dimension: (f.score, f.method) for f in rows}


def waiting(app, recording_id):
    with app.app_context():
        return needs_adjudication(db.session.get(Recording, recording_id))


def test_nothing_is_final_until_both_coders_submit(app, coders):
    recording_id, code, (first, _) = coders
    post_rating(first, code, "submit", rating_form(GOOD))
    assert finals(app, recording_id) == {}
    assert waiting(app, recording_id) == []


def test_close_scores_are_averaged_and_far_ones_wait(app, coders):
    recording_id, code, (first, second) = coders
    post_rating(first, code, "submit", rating_form(GOOD))  # 4, 3, 5, 2
    far = {"clarity": "5", "empathy": "3", "warmth": "3", "strengths": "4"}
    post_rating(second, code, "submit", rating_form(far))
    assert finals(app, recording_id) == {
        "clarity": (4.5, "mean"),
        "empathy": (3.0, "mean"),
    }
    assert waiting(app, recording_id) == ["strengths", "warmth"]


def test_a_change_that_creates_disagreement_removes_the_mean(app, coders):
    recording_id, code, (first, second) = coders
    post_rating(first, code, "submit", rating_form(GOOD))
    post_rating(second, code, "submit", rating_form(GOOD))
    assert finals(app, recording_id)["warmth"] == (5.0, "mean")
    changed = rating_form(GOOD | {"warmth": "2"}, reason="Misheard the opening.")
    assert post_rating(second, code, "change", changed).status_code == 303
    assert "warmth" not in finals(app, recording_id)
    assert waiting(app, recording_id) == ["warmth"]


def test_an_adjudicated_final_score_is_never_overwritten(app, coders):
    recording_id, code, (first, second) = coders
    post_rating(first, code, "submit", rating_form(GOOD))
    post_rating(second, code, "submit", rating_form(GOOD | {"warmth": "1"}))
    with app.app_context():
        recording = db.session.get(Recording, recording_id)
        version_id = tasks_of(recording_id)[0].instrument_version_id
        db.session.add(
            FinalScore(
                recording_id=recording_id,
                instrument_version_id=version_id,
                dimension="warmth",
                score=3.0,
                method=FinalMethod.ADJUDICATED,
            )
        )
        db.session.flush()
        update_final_scores(recording)
        db.session.commit()
    assert finals(app, recording_id)["warmth"] == (3.0, "adjudicated")
    assert waiting(app, recording_id) == []
    changed = rating_form(GOOD | {"warmth": "5"}, reason="Second listen.")
    post_rating(second, code, "change", changed)
    assert finals(app, recording_id)["warmth"] == (3.0, "adjudicated")
