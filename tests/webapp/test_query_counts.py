"""List pages issue the same number of queries whatever the number of rows they show.

Each page is requested with few rows and again with many; the number of SQL statements
must be the same.  The rated pages get double-coded recordings with submitted, changed
and draft ratings, disagreements waiting for adjudication and adjudicated ones, so every
per-row path (each task's ratings, each recording's coding state) is exercised.
"""

from __future__ import annotations

import contextlib

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token
from tests.webapp.review_support import (
    VIGNETTES,
    make_ready_recording,
    post_rating,
    rating_form,
)
from tests.webapp.test_moderation_adjudication import allocate, submit
from webapp.dashboard.services import OVERVIEW_PAGE_SIZE
from webapp.extensions import db
from webapp.library.services import import_vignettes
from webapp.models import FinalScore, Recording, Role, TaskRole
from webapp.moderation.adjudication import get_coded_pair
from webapp.reports.memo import MEMO
from webapp.review.allocation import allocate_recordings
from webapp.review.coding import load_coding_states
from webapp.review.finals import needs_adjudication


@contextlib.contextmanager
def counting(app):
    counter = {"n": 0}

    def count(*args, **kwargs):
        counter["n"] += 1

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield counter
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def queries_for(app, browser, url):
    browser.get(url)  # warm caches (instrument files, templates)
    with counting(app) as counter:
        assert browser.get(url).status_code == 200
    return counter["n"]


@pytest.fixture
def app(app_factory):
    application = app_factory(DOUBLE_CODED_FRACTION=0.5)
    with application.app_context():
        import_vignettes(VIGNETTES)
        db.session.commit()
    return application


def add_recordings(app, make_user, trainee_id, how_many):
    actors = [make_user(Role.ACTOR) for _ in range(how_many)]
    with app.app_context():
        for actor_id in actors:
            make_ready_recording(trainee_id, actor_id=actor_id)
        allocate_recordings()
        db.session.commit()


PAGES = {
    Role.TRAINEE: ["/practice/"],
    Role.RATER: ["/review/"],
    Role.ADMIN: ["/admin/users", "/admin/cohorts", "/admin/audit"],
    Role.EDUCATOR: ["/library/", "/moderation/adjudication", "/reports/reliability"],
}


@pytest.mark.parametrize("role", list(PAGES))
def test_list_pages_do_not_query_per_row(app, login_as, make_user, role):
    browser, user_id = login_as(role)
    trainee_id = user_id if role == Role.TRAINEE else make_user(Role.TRAINEE)
    if role == Role.RATER:
        make_user(Role.RATER)  # a second rater so allocation can double-code
    add_recordings(app, make_user, trainee_id, 2)
    few = {url: queries_for(app, browser, url) for url in PAGES[role]}
    add_recordings(app, make_user, trainee_id, 8)
    many = {url: queries_for(app, browser, url) for url in PAGES[role]}
    assert many == few


# -- pages over rated, double-coded and adjudicated recordings ---------------------------

FIRST = {"clarity": "4", "empathy": "2", "warmth": "4", "strengths": "3"}
CLOSE = {"clarity": "4", "empathy": "3", "warmth": "4", "strengths": "3"}
APART = {"clarity": "4", "empathy": "4", "warmth": "4", "strengths": "3"}  # empathy 2 apart


@pytest.fixture
def coded(app, login_as, make_user, make_cohort):
    """Two raters who double-code, an educator, and two cohorts with one trainee each."""
    cohorts = [make_cohort("Alpha intake"), make_cohort("Beta intake")]
    first, first_id = login_as(Role.RATER)
    second, second_id = login_as(Role.RATER)
    educator, _ = login_as(Role.EDUCATOR)
    trainees = [make_user(Role.TRAINEE, cohort_id=c) for c in cohorts]
    return {
        "raters": [(first, first_id), (second, second_id)],
        "educator": educator,
        "cohorts": cohorts,
        "trainees": trainees,
        "codes": [],
    }


def add_coded_recordings(app, coded, how_many):
    """Recordings rated by both raters: some close (a mean final score), some two points
    apart (waiting for adjudication, or adjudicated), some changed, one left as a draft."""
    (first, first_id), (second, second_id) = coded["raters"]
    for number in range(how_many):
        with app.app_context():
            recording_id = make_ready_recording(coded["trainees"][number % 2])
            db.session.commit()
        code = allocate(
            app, recording_id, [(first_id, TaskRole.PRIMARY), (second_id, TaskRole.SECOND)]
        )
        coded["codes"].append(code)
        if number == how_many - 1:
            assert post_rating(first, code, "draft", rating_form(FIRST)).status_code == 303
            continue
        submit(first, code, FIRST)
        scores = APART if number % 2 else CLOSE
        submit(second, code, scores)
        if number % 3 == 0:
            change = rating_form({**scores, "clarity": "5"}, reason="Listened again.")
            assert post_rating(second, code, "change", change).status_code == 303
        if number % 4 == 1:
            url = f"/moderation/adjudication/{recording_id}"
            token = csrf_token(coded["educator"], url)
            form = {"score-empathy": "3", "note": "Agreed on 3.", "csrf_token": token}
            assert coded["educator"].post(url, data=form).status_code in (302, 303)


def coded_pages(coded):
    alpha = coded["cohorts"][0]
    return {
        "rater": ["/review/", f"/review/{coded['codes'][0]}"],
        "educator": [
            "/dashboard/",
            f"/dashboard/?cohort={alpha}",
            f"/dashboard/trainees/{coded['trainees'][0]}",
            f"/dashboard/cohorts/{alpha}",
            "/reports/reliability",
            "/reports/compare?cohort=Alpha+intake&cohort=Beta+intake",
            "/reports/compare?cohort=Alpha+intake&against_rest=1",
            "/moderation/",
            "/moderation/adjudication",
        ],
    }


def count_coded_pages(app, coded):
    browsers = {"rater": coded["raters"][0][0], "educator": coded["educator"]}
    return {
        url: queries_for(app, browsers[who], url)
        for who, urls in coded_pages(coded).items()
        for url in urls
    }


def test_rating_dashboard_report_and_moderation_pages_do_not_query_per_row(app, coded):
    add_coded_recordings(app, coded, 4)
    few = count_coded_pages(app, coded)
    add_coded_recordings(app, coded, 12)
    many = count_coded_pages(app, coded)
    assert many == few
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FinalScore)) > 0
        waiting = [r for r in db.session.scalars(sa.select(Recording)) if needs_adjudication(r)]
    assert len(waiting) >= 2  # the pages really had disagreements to examine


def test_reliability_report_computed_afresh_in_a_fixed_number_of_queries(app, coded):
    """The report is kept between requests; computing it must not query per row either."""

    def cold_count():
        browser = coded["educator"]
        browser.get("/reports/reliability")
        with app.app_context():
            app.extensions[MEMO].clear()
        with counting(app) as counter:
            assert browser.get("/reports/reliability").status_code == 200
        return counter["n"]

    add_coded_recordings(app, coded, 3)
    few = cold_count()
    add_coded_recordings(app, coded, 9)
    assert cold_count() == few


def test_overview_pages_through_trainees_and_reads_only_the_page(app, coded, make_user):
    alpha = coded["cohorts"][0]
    for _ in range(OVERVIEW_PAGE_SIZE + 5):
        make_user(Role.TRAINEE, cohort_id=alpha)
    add_coded_recordings(app, coded, 3)
    browser = coded["educator"]
    first = browser.get(f"/dashboard/?cohort={alpha}").get_data(as_text=True)
    second = browser.get(f"/dashboard/?cohort={alpha}&page=2").get_data(as_text=True)
    total = OVERVIEW_PAGE_SIZE + 6
    assert first.count('href="/dashboard/trainees/') == OVERVIEW_PAGE_SIZE
    assert second.count('href="/dashboard/trainees/') == total - OVERVIEW_PAGE_SIZE
    assert f"Trainees 1–{OVERVIEW_PAGE_SIZE} of {total}" in first
    assert "page=2" in first and "Next" in first and "Previous" in second


def test_bulk_coding_state_agrees_with_the_one_recording_reads(app, coded):
    """The bulk read behind the list pages decides exactly as the per-recording functions."""
    add_coded_recordings(app, coded, 9)
    with app.app_context():
        recordings = list(db.session.scalars(sa.select(Recording)))
        states = load_coding_states(sa.select(Recording.id))
        for recording in recordings:
            state = states.get(recording.id)
            pair = get_coded_pair(recording)
            assert (state.pending() if state else []) == needs_adjudication(recording)
            assert (state.pair_version() if state else None) == (pair.version.id if pair else None)
        assert any(needs_adjudication(r) for r in recordings)
        assert any(get_coded_pair(r) is None for r in recordings)  # the draft-only one
