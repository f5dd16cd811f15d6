"""Who may open, play and rate what: only the allocated rater, only by public code."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token
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
from webapp.models import Role
from webapp.review.allocation import allocate_recordings


@pytest.fixture
def app(app_factory):
    application = app_factory(DOUBLE_CODED_FRACTION=1.0)
    with application.app_context():
        import_vignettes(VIGNETTES)
        db.session.commit()
    return application


@pytest.fixture
def setting(app, login_as, make_user):
    """Two coders of one recording, an unallocated rater, and the ids behind the code."""
    browsers = dict(reversed(login_as(Role.RATER)) for _ in range(2))
    with app.app_context():
        recording_id = make_ready_recording(make_user(Role.TRAINEE))
        allocate_recordings()
        db.session.commit()
        tasks = tasks_of(recording_id)
        code = code_of(recording_id)
    outsider, _ = login_as(Role.RATER)
    first, second = (browsers[t.rater_id] for t in tasks)
    return {
        "code": code,
        "recording_id": recording_id,
        "task_ids": [t.id for t in tasks],
        "first": first,
        "second": second,
        "outsider": outsider,
    }


def rater_urls(code):
    return [f"/review/{code}", f"/review/{code}/audio", f"/review/{code}/data.json"]


def test_an_unallocated_rater_cannot_open_play_or_rate(setting):
    outsider, code = setting["outsider"], setting["code"]
    for url in rater_urls(code):
        assert outsider.get(url).status_code == 404, url
    token = csrf_token(outsider, "/")
    data = {**rating_form(GOOD), "action": "submit", "csrf_token": token}
    assert outsider.post(f"/review/{code}", data=data).status_code == 404
    assert code not in outsider.get("/review/").get_data(as_text=True)


@pytest.mark.parametrize(
    "guess",
    ["R-2345-6789", "R-AAAA-AAAA", "1", "0", "r-2345-6789", "..%2Fpractice", "R-2345-67890"],
)
def test_guessed_codes_and_ids_are_404(setting, guess):
    for url in rater_urls(guess):
        assert setting["first"].get(url).status_code == 404, url


def test_internal_ids_do_not_open_anything(setting):
    browser = setting["first"]
    for number in [setting["recording_id"], *setting["task_ids"]]:
        assert browser.get(f"/review/{number}").status_code == 404
        assert browser.get(f"/review/{number}/audio").status_code == 404
    assert browser.get(f"/practice/recordings/{setting['recording_id']}").status_code == 403


def test_a_rater_never_sees_the_other_coders_scores(setting):
    code = setting["code"]
    note = "Unique-other-coder-note-5821"
    data = rating_form(GOOD | {"warmth": "1"}, **{"note-warmth": note})
    assert post_rating(setting["first"], code, "submit", data).status_code == 303
    for url in [*rater_urls(code), "/review/"]:
        body = setting["second"].get(url).get_data()
        assert note.encode() not in body, url
    page = setting["second"].get(f"/review/{code}/data.json").get_json()
    assert page["rating"]["scores"] == {} and page["status"] == "Not started"


@pytest.mark.parametrize("role", [Role.TRAINEE, Role.ACTOR, Role.EDUCATOR, Role.ADMIN])
def test_other_roles_are_refused_the_rater_pages(setting, login_as, role):
    browser, _ = login_as(role)
    for url in ["/review/", *rater_urls(setting["code"])]:
        assert browser.get(url).status_code == 403, (role, url)


@pytest.mark.parametrize("role", [Role.TRAINEE, Role.ACTOR, Role.RATER, Role.EDUCATOR])
def test_only_admins_manage_instruments(app, login_as, role):
    browser, _ = login_as(role)
    assert browser.get("/review/instruments").status_code == 403
