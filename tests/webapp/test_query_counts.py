"""List pages issue the same number of queries whatever the number of rows they show."""

from __future__ import annotations

import contextlib

import pytest
import sqlalchemy as sa

from tests.webapp.review_support import VIGNETTES, make_ready_recording
from webapp.extensions import db
from webapp.library.services import import_vignettes
from webapp.models import Role
from webapp.review.allocation import allocate_recordings


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
