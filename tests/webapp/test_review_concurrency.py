"""Two raters submitting at the same moment, and one rater submitting twice at once:
no rating lost, none duplicated.  Real threads against a real SQLite file (WAL)."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token
from tests.webapp.review_support import GOOD, VIGNETTES, code_of, make_ready_recording, rating_form
from webapp.extensions import db
from webapp.library.services import import_vignettes
from webapp.models import FinalScore, Rating, RatingStatus, RatingTask, Role
from webapp.review.allocation import allocate_recordings


@pytest.fixture
def app(app_factory):
    application = app_factory(DOUBLE_CODED_FRACTION=1.0)
    with application.app_context():
        import_vignettes(VIGNETTES)
        db.session.commit()
    return application


def submit_together(requests):
    """Fire every (browser, code, token) submission at the same instant; return statuses."""
    barrier = threading.Barrier(len(requests))
    statuses: list[int] = [0] * len(requests)

    def send(index, browser, code, token):
        barrier.wait()
        data = {**rating_form(GOOD), "action": "submit", "csrf_token": token}
        statuses[index] = browser.post(f"/review/{code}", data=data).status_code

    threads = [threading.Thread(target=send, args=(i, *r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def test_simultaneous_submissions_lose_and_duplicate_nothing(app, login_as, make_user):
    first, _ = login_as(Role.RATER)
    second, _ = login_as(Role.RATER)
    trainee_id = make_user(Role.TRAINEE)
    with app.app_context():
        recording_id = make_ready_recording(trainee_id)
        assert allocate_recordings().allocated == 1
        db.session.commit()
        code = code_of(recording_id)
    # Each rater twice at once (a double click), both raters at the same moment.
    tokens = [csrf_token(browser, f"/review/{code}") for browser in (first, second)]
    requests = [
        (first, code, tokens[0]),
        (first, code, tokens[0]),
        (second, code, tokens[1]),
        (second, code, tokens[1]),
    ]
    statuses = submit_together(requests)
    assert all(status in (200, 302, 303) for status in statuses), statuses
    with app.app_context():
        tasks = db.session.scalars(sa.select(RatingTask).filter_by(recording_id=recording_id)).all()
        assert len(tasks) == 2
        for task in tasks:
            ratings = db.session.scalars(sa.select(Rating).filter_by(task_id=task.id)).all()
            assert [(r.version, r.status) for r in ratings] == [(1, RatingStatus.SUBMITTED)]
            assert {s.dimension: s.score for s in ratings[0].scores} == {
                k: int(v) for k, v in GOOD.items()
            }
        finals = db.session.scalars(
            sa.select(FinalScore).filter_by(recording_id=recording_id)
        ).all()
        assert sorted((f.dimension, f.score, f.method) for f in finals) == sorted(
            (k, float(v), "mean") for k, v in GOOD.items()
        )
