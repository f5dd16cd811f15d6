"""Calibration: gold standards, assigning the calibration set, the report, drift checks."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token
from tests.webapp.review_support import VIGNETTES, make_ready_recording, post_rating, rating_form
from webapp.extensions import db
from webapp.library.services import import_vignettes
from webapp.models import (
    AuditEvent,
    GoldStandard,
    RatingTask,
    Recording,
    RecordingStatus,
    Role,
    TaskRole,
)
from webapp.moderation.calibration import Observation, build_report
from webapp.orm import utcnow
from webapp.review.allocation import add_task, new_public_code
from webapp.review.instruments import get_rating_instrument

DIMS = ("clarity", "empathy", "warmth", "strengths")
# Reference scores of three gold recordings, and rater one's scores for them.
REFERENCES = [(3, 3, 3, 3), (4, 2, 5, 1), (2, 4, 3, 5)]
RATER_ONE = [(4, 3, 3, 1), (4, 3, 5, 2), (3, 4, 1, 5)]


def scores(values):
    return {f"score-{key}": str(value) for key, value in zip(DIMS, values, strict=True)}


@pytest.fixture
def app(app_factory):
    application = app_factory()
    with application.app_context():
        import_vignettes(VIGNETTES)
        db.session.commit()
    return application


def post(browser, url, data, token_page):
    return browser.post(url, data={**data, "csrf_token": csrf_token(browser, token_page)})


def set_gold(educator, recording_id, values, **extra):
    url = f"/moderation/calibration/gold/{recording_id}"
    return post(educator, url, {**scores(values), **extra}, "/moderation/calibration")


def count(app, model, **filters):
    with app.app_context():
        query = sa.select(sa.func.count()).select_from(model).filter_by(**filters)
        return db.session.scalar(query)


@pytest.fixture
def world(app, login_as, make_user):
    educator, educator_id = login_as(Role.EDUCATOR)
    trainee_id = make_user(Role.TRAINEE)
    with app.app_context():
        golds = [make_ready_recording(trainee_id) for _ in REFERENCES]
        db.session.commit()
    for recording_id, values in zip(golds, REFERENCES, strict=True):
        assert set_gold(educator, recording_id, values).status_code == 302
    return {"app": app, "educator": educator, "educator_id": educator_id, "golds": golds}


def report_page(world, rater_id):
    response = world["educator"].get(f"/moderation/calibration/raters/{rater_id}")
    return response.get_data(as_text=True)


def educator_post(world, url):
    return post(world["educator"], url, {}, "/moderation/calibration")


def assign(world, rater_id):
    url = f"/moderation/calibration/raters/{rater_id}/assign"
    return educator_post(world, url)


def queue_codes(rater):
    page = rater.get("/review/").get_data(as_text=True)
    return re.findall(r'href="/review/(R-[A-Z0-9-]+)"', page)


def codes_by_recording(app, recording_ids):
    with app.app_context():
        return [db.session.get(Recording, r).public_code for r in recording_ids]


def rate_all(rater, codes, values):
    for code, row in zip(codes, values, strict=True):
        form = rating_form({key: str(value) for key, value in zip(DIMS, row, strict=True)})
        response = post_rating(rater, code, "submit", form)
        assert response.status_code in (302, 303), response.get_data(as_text=True)


def table_row(page, label):
    """The text of each cell in the report row headed ``label``."""
    match = re.search(rf'<th scope="row">{label}</th>(.*?)</tr>', page, re.S)
    assert match, label
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", match.group(1), re.S)
    ]


def test_gold_standard_is_stored_with_every_dimension_and_audited(app, world):
    with app.app_context():
        gold = db.session.scalar(sa.select(GoldStandard).filter_by(recording_id=world["golds"][1]))
        assert gold.scores == dict(zip(DIMS, REFERENCES[1], strict=True))
        assert gold.set_by_id == world["educator_id"]
        assert not gold.in_live_queue
    assert count(app, AuditEvent, action="gold_standard.set") == 3
    page = world["educator"].get("/moderation/calibration").get_data(as_text=True)
    assert "clarity 4" in page


@pytest.mark.parametrize(
    ("values", "message"),
    [((3, 3, 3, None), "Missing: Recognition of strengths"), ((3, 3, 3, 6), "whole number")],
    ids=["missing-dimension", "outside-scale"],
)
def test_bad_gold_scores_are_refused_and_nothing_stored(app, world, make_user, values, message):
    with app.app_context():
        recording_id = make_ready_recording(make_user(Role.TRAINEE))
        db.session.commit()
    data = {k: v for k, v in scores([v or 0 for v in values]).items()}
    if values[-1] is None:
        del data["score-strengths"]
    url = f"/moderation/calibration/gold/{recording_id}"
    response = post(world["educator"], url, data, "/moderation/calibration")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(app, GoldStandard, recording_id=recording_id) == 0
    assert count(app, AuditEvent, action="gold_standard.set") == 3


def test_a_recording_that_is_not_ready_cannot_be_gold(app, world, make_user):
    with app.app_context():
        recording_id = make_ready_recording(make_user(Role.TRAINEE))
        db.session.get(Recording, recording_id).status = RecordingStatus.PROCESSING
        db.session.commit()
    assert set_gold(world["educator"], recording_id, REFERENCES[0]).status_code == 409
    assert count(app, GoldStandard, recording_id=recording_id) == 0


def test_calibration_report_matches_hand_computed_values(app, world, login_as):
    rater, rater_id = login_as(Role.RATER, name="Cal Rater")
    assert assign(world, rater_id).status_code == 302
    assert count(app, RatingTask, rater_id=rater_id, role=TaskRole.CALIBRATION) == 3
    codes = codes_by_recording(app, world["golds"])
    assert sorted(queue_codes(rater)) == sorted(codes)
    rate_all(rater, codes, RATER_ONE)

    page = (
        world["educator"].get(f"/moderation/calibration/raters/{rater_id}").get_data(as_text=True)
    )
    # differences: clarity +1 0 +1, empathy 0 +1 0, warmth 0 0 -2, strengths -2 +1 0
    # columns: n, bias, MAD, exact, within one, meets
    assert table_row(page, "clarity") == ["3", "0.67", "0.67", "33%", "100%", "no"]
    assert table_row(page, "empathy") == ["3", "0.33", "0.33", "67%", "100%", "yes"]
    assert table_row(page, "warmth") == ["3", "-0.67", "0.67", "67%", "67%", "no"]
    assert table_row(page, "strengths") == ["3", "-0.33", "1.00", "33%", "67%", "no"]
    assert "not calibrated" in page
    # over time: one row per gold recording, oldest first, with the differences
    assert page.index("clarity +1") < page.index("warmth -2")

    response = post(
        world["educator"],
        f"/moderation/calibration/raters/{rater_id}/result",
        {},
        "/moderation/calibration",
    )
    assert response.status_code == 302
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).filter_by(action="calibration.recorded"))
        assert event.object_id == str(rater_id)
        assert event.detail["calibrated"] is False
        assert event.detail["failing"] == ["clarity", "warmth", "strengths"]
        assert event.detail["dimensions"]["strengths"] == {
            "n": 3,
            "bias": -0.3333,
            "mad": 1.0,
            "exact": 0.3333,
            "within_one": 0.6667,
        }


def test_thresholds_come_from_the_configuration(app_factory):
    one_point_high = [Observation(1, "R-1", utcnow(), (("clarity", 4, 3),))]
    with app_factory().app_context():
        assert not build_report(one_point_high)[1].is_calibrated
    with app_factory(CALIBRATION_MAX_BIAS=1.0, CALIBRATION_MAX_MAD=1.0).app_context():
        assert build_report(one_point_high)[1].is_calibrated


def test_a_rater_is_never_given_a_recording_they_are_in(app, world, make_user, login_as):
    _, rater_id = login_as(Role.RATER, Role.TRAINEE)
    with app.app_context():
        own = make_ready_recording(rater_id)
        db.session.commit()
    assert set_gold(world["educator"], own, REFERENCES[0]).status_code == 302
    assign(world, rater_id)
    with app.app_context():
        given = db.session.scalars(
            sa.select(RatingTask.recording_id).filter_by(rater_id=rater_id)
        ).all()
    assert sorted(given) == sorted(world["golds"])
    assert assign(world, rater_id).status_code == 302  # again: nothing new, nothing doubled
    assert count(app, RatingTask, rater_id=rater_id) == 3


@pytest.mark.parametrize("role", [Role.TRAINEE, Role.EDUCATOR, Role.ACTOR])
def test_calibration_cannot_be_assigned_to_a_non_rater(app, world, make_user, role):
    user_id = make_user(role)
    response = assign(world, user_id)
    assert response.status_code == 422
    assert "only be assigned to an active rater" in response.get_data(as_text=True)
    assert count(app, RatingTask) == 0
    assert count(app, AuditEvent, action="calibration.assigned") == 0


def test_unknown_rater_is_404(world, make_user):
    assert assign(world, 99999).status_code == 404
    trainee_id = make_user(Role.TRAINEE)
    assert world["educator"].get(f"/moderation/calibration/raters/{trainee_id}").status_code == 404


def test_the_rater_cannot_tell_a_calibration_task_from_a_live_one(app, world, login_as, make_user):
    rater, rater_id = login_as(Role.RATER)
    with app.app_context():
        recording = db.session.get(Recording, make_ready_recording(make_user(Role.TRAINEE)))
        recording.public_code = new_public_code()
        add_task(recording, rater_id, TaskRole.PRIMARY, get_rating_instrument())
        live_code = recording.public_code
        db.session.commit()
    assign(world, rater_id)
    queue = rater.get("/review/").get_data(as_text=True)
    assert "calibration" not in queue.lower() and "gold" not in queue.lower()
    codes = queue_codes(rater)
    assert len(codes) == 4

    def seen(code):
        # Same vignette and transcript: with the code masked, the pages must be identical.
        page = rater.get(f"/review/{code}").get_data(as_text=True)
        data = rater.get(f"/review/{code}/data").get_data(as_text=True)
        return page.replace(code, "CODE"), data.replace(code, "CODE")

    live = seen(live_code)
    for code in codes:
        assert seen(code) == live


def test_drift_gold_is_slipped_into_the_live_queue_and_tracked_over_time(
    app, world, login_as, make_user
):
    rater, rater_id = login_as(Role.RATER)
    url = f"/moderation/calibration/raters/{rater_id}/slip-in"
    assert educator_post(world, url).status_code == 409  # none live
    with app.app_context():
        live = make_ready_recording(make_user(Role.TRAINEE))
        db.session.commit()
    assert set_gold(world["educator"], live, (3, 3, 3, 3), in_live_queue="1").status_code == 302
    assert educator_post(world, url).status_code == 302
    with app.app_context():
        (task,) = db.session.scalars(sa.select(RatingTask).filter_by(rater_id=rater_id)).all()
        assert (task.recording_id, task.role) == (live, TaskRole.CALIBRATION)
    assert count(app, AuditEvent, action="calibration.slipped_in") == 1
    assert educator_post(world, url).status_code == 409  # used up

    (code,) = queue_codes(rater)
    rate_all(rater, [code], [(3, 4, 3, 3)])
    page = (
        world["educator"].get(f"/moderation/calibration/raters/{rater_id}").get_data(as_text=True)
    )
    assert "empathy +1" in page and code in page
    assert table_row(page, "empathy") == ["1", "1.00", "1.00", "0%", "100%", "no"]


@pytest.mark.parametrize("role", [Role.RATER, Role.TRAINEE, Role.ACTOR])
def test_raters_trainees_and_actors_cannot_open_calibration_pages(world, login_as, role):
    browser, user_id = login_as(role)
    for url in (
        "/moderation/calibration",
        f"/moderation/calibration/gold/{world['golds'][0]}",
        f"/moderation/calibration/raters/{user_id}",
    ):
        assert browser.get(url).status_code == 403, url
    token = csrf_token(browser, "/")
    response = browser.post(
        f"/moderation/calibration/raters/{user_id}/assign", data={"csrf_token": token}
    )
    assert response.status_code == 403
