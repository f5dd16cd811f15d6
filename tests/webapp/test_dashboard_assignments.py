"""Assignments: creating them, refusing bad input, parallel forms, the trainee's list."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.webapp.test_dashboard import (
    START,
    add_instrument,
    add_session,
    add_vignette,
    registered_app,
)
from webapp.dashboard.assignments import my_assignments, suggest_parallel_form
from webapp.extensions import db
from webapp.models import Assignment, AuditEvent, Role, User, Vignette
from webapp.orm import utcnow


@pytest.fixture
def app(app_factory):
    yield from registered_app(app_factory)


@pytest.fixture
def world(app, make_user, make_cohort):
    cohort = make_cohort("Spring")
    ids = {
        "cohort": cohort,
        "ada": make_user(Role.TRAINEE, name="Ada", cohort_id=cohort),
        "ben": make_user(Role.TRAINEE, name="Ben", cohort_id=cohort),
        "rater": make_user(Role.RATER),
    }
    with app.app_context():
        instrument = add_instrument()
        late = add_vignette("late", "Late and hungry", group="home-visit")
        tired = add_vignette("tired", "Tired and unkempt", group="home-visit")
        alone = add_vignette("alone", "Father asks for help")
        retired = add_vignette("old", "Retired scenario")
        retired.retired_at = utcnow()
        add_session(ids["ada"], late, instrument, START, {"clarity": 3})
        db.session.commit()
        ids.update(late=late.id, tired=tired.id, alone=alone.id, retired=retired.id)
    return ids


@pytest.fixture
def educator(world, login_as):
    browser, _ = login_as(Role.EDUCATOR)
    return browser


def vignette(slug):
    return db.session.scalar(sa.select(Vignette).filter_by(slug=slug))


def test_parallel_form_is_suggested_when_the_vignette_was_used(app, world):
    with app.app_context():
        assert suggest_parallel_form([world["ada"]], vignette("late")).slug == "tired"
        assert suggest_parallel_form([world["ada"], world["ben"]], vignette("late")).slug == "tired"


def test_no_suggestion_when_new_ungrouped_or_all_forms_used(app, world):
    with app.app_context():
        assert suggest_parallel_form([world["ben"]], vignette("late")) is None
        assert suggest_parallel_form([world["ada"]], vignette("tired")) is None
        assert suggest_parallel_form([world["ada"]], vignette("alone")) is None
        add_session(world["ada"], vignette("tired"), add_instrument_once(), START, {})
        db.session.commit()
        assert suggest_parallel_form([world["ada"]], vignette("late")) is None


def add_instrument_once():
    from webapp.models import InstrumentVersion

    return db.session.scalar(sa.select(InstrumentVersion)) or add_instrument()


def post(educator, form_post, **data):
    fields = {"vignette": "", "trainee": "", "cohort": "", "due_on": "", "time_point": "", **data}
    return form_post(educator, "/dashboard/assignments", fields, "/dashboard/assignments")


def count_assignments():
    return db.session.scalar(sa.select(sa.func.count(Assignment.id)))


def test_educator_assigns_a_vignette_to_a_trainee_and_it_is_audited(
    app, educator, world, form_post
):
    due = (utcnow().date() + timedelta(days=7)).isoformat()
    response = post(
        educator,
        form_post,
        vignette=world["alone"],
        trainee=world["ben"],
        due_on=due,
        time_point="Before the block",
    )
    assert response.status_code == 302
    with app.app_context():
        assignment = db.session.scalar(sa.select(Assignment))
        assert (assignment.trainee_id, assignment.time_point) == (world["ben"], "Before the block")
        event = db.session.scalar(sa.select(AuditEvent).filter_by(action="assignment.created"))
        assert event.object_id == str(assignment.id) and event.detail["vignette"] == "alone"
    assert "Father asks for help" in educator.get("/dashboard/assignments").get_data(as_text=True)


def test_used_vignette_warns_and_offers_the_parallel_form(app, educator, world, form_post):
    response = post(educator, form_post, vignette=world["late"], cohort=world["cohort"])
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "use parallel forms" in html.lower()
    assert "Tired and unkempt" in html
    with app.app_context():
        assert count_assignments() == 0
    switched = post(
        educator,
        form_post,
        vignette=world["late"],
        cohort=world["cohort"],
        switch_to=world["tired"],
    )
    assert switched.status_code == 302
    kept = post(
        educator, form_post, vignette=world["late"], trainee=world["ada"], keep_vignette="y"
    )
    assert kept.status_code == 302
    with app.app_context():
        rows = db.session.scalars(sa.select(Assignment).order_by(Assignment.id)).all()
        assert [(r.vignette_id, r.cohort_id) for r in rows] == [
            (world["tired"], world["cohort"]),
            (world["late"], None),
        ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"vignette": "9999", "trainee": "ada"}, "no such vignette"),
        ({"vignette": "retired", "trainee": "ada"}, "retired"),
        ({"vignette": "alone", "trainee": "9999"}, "no such trainee"),
        ({"vignette": "alone", "trainee": "rater"}, "no such trainee"),
        ({"vignette": "alone", "cohort": "9999"}, "no such cohort"),
        ({"vignette": "alone", "trainee": "ada", "cohort": "cohort"}, "not both"),
        ({"vignette": "alone"}, "not neither"),
        ({"vignette": "alone", "trainee": "ada", "due_on": "2000-01-01"}, "in the past"),
    ],
)
def test_bad_assignment_is_refused_with_a_message(app, educator, world, form_post, fields, message):
    data = {key: str(world.get(value, value)) for key, value in fields.items()}
    response = post(educator, form_post, **data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert count_assignments() == 0


def test_trainee_sees_own_and_cohort_assignments(app, world):
    with app.app_context():
        due = utcnow().date() + timedelta(days=3)
        db.session.add_all(
            [
                Assignment(vignette_id=world["alone"], trainee_id=world["ben"], due_on=due),
                Assignment(vignette_id=world["late"], cohort_id=world["cohort"], time_point="T1"),
                Assignment(vignette_id=world["tired"], trainee_id=world["ada"]),
            ]
        )
        db.session.commit()
        ben = my_assignments(db.session.get(User, world["ben"]))
        assert [a["slug"] for a in ben] == ["alone", "late"]
        assert ben[0] == {
            "title": "Father asks for help",
            "slug": "alone",
            "time_point": "",
            "due_on": due,
            "note": "",
            "is_done": False,
            "is_overdue": False,
        }
        from flask import render_template

        with app.test_request_context():
            html = render_template("dashboard/_my_assignments.html", my_assignments=ben)
        assert "Your assignments" in html and "/practice/vignettes/alone" in html
