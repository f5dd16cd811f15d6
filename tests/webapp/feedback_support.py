"""A realistic rated world for the feedback tests: one trainee's READY recording,
double-coded by two named raters with notes (carrying canary text) and evidence, the
final scores the app derives from them, and an educator and an admin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tests.conftest import csrf_token
from tests.webapp.review_support import (
    VIGNETTES,
    code_of,
    make_ready_recording,
    post_rating,
    rating_form,
    tasks_of,
)
from webapp.extensions import db
from webapp.library.services import import_vignettes
from webapp.models import FinalScore, Role
from webapp.review.allocation import allocate_recordings

CANARY = "CANARY-7Q"  # in every rater note: must never reach a trainee before release
# Strengths 2 vs 5 are too far apart: that dimension waits for adjudication.
FIRST = {"clarity": "4", "empathy": "3", "warmth": "5", "strengths": "2"}
SECOND = {"clarity": "4", "empathy": "4", "warmth": "5", "strengths": "5"}
RATER_NAMES = ("Rhona Raterwell", "Ravi Scoresby")


@dataclass
class World:
    trainee: Any
    trainee_id: int
    educator: Any
    recording_id: int
    code: str


def build_app(app_factory: Any) -> Any:
    """An app that double-codes every recording, with the vignettes imported."""
    application = app_factory(DOUBLE_CODED_FRACTION=1.0)
    with application.app_context():
        import_vignettes(VIGNETTES)
        db.session.commit()
    return application


def rate(browser: Any, code: str, scores: dict[str, str], who: str) -> None:
    notes = {f"note-{key}": f"{CANARY} {who} on {key}" for key in scores}
    data = rating_form(scores, **notes, **{"evidence-clarity": "2", "evidence-empathy": "1"})
    response = post_rating(browser, code, "submit", data)
    assert response.status_code in (302, 303), response.get_data(as_text=True)


def build_world(app: Any, login_as: Any, make_user: Any) -> World:
    """A double-coded, submitted recording with final scores on three of four dimensions."""
    raters = dict(reversed(login_as(Role.RATER, name=name)) for name in RATER_NAMES)
    trainee, trainee_id = login_as(Role.TRAINEE, name="Tamsin Trainee")
    educator, _ = login_as(Role.EDUCATOR, name="Edna Educator")
    make_user(Role.ADMIN, name="Ada Administrator")
    with app.app_context():
        recording_id = make_ready_recording(trainee_id)
        allocate_recordings()
        db.session.commit()
        browsers = [raters[task.rater_id] for task in tasks_of(recording_id)]
        code = code_of(recording_id)
    for browser, scores, who in zip(browsers, (FIRST, SECOND), ("first", "second"), strict=True):
        rate(browser, code, scores, who)
    with app.app_context():
        finals = db.session.scalars(sa.select(FinalScore).filter_by(recording_id=recording_id))
        assert {f.dimension for f in finals} == {"clarity", "empathy", "warmth"}
    return World(trainee, trainee_id, educator, recording_id, code)


def release(browser: Any, *recording_ids: int, message: str = "", only: int | None = None) -> Any:
    data: dict[str, Any] = {"recording": [str(r) for r in recording_ids], "message": message}
    if only is not None:
        data["only"] = str(only)
    data["csrf_token"] = csrf_token(browser, "/feedback/")
    return browser.post("/feedback/release", data=data)
