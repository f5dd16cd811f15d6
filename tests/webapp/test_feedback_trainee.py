"""The trainee's side of feedback: progress over time, planning notes and reflections
(private unless shared), the "who can see my recording" page, the links fragment, and
someone else's recording answering 404."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import render_template_string
from flask_login import login_user

from tests.conftest import csrf_token
from tests.webapp.feedback_support import (
    CANARY,
    build_app,
    build_world,
    release,
)
from tests.webapp.review_support import count
from webapp.extensions import db
from webapp.models import AuditEvent, Consent, Exemplar, Recording, Role, SessionNote, User


@pytest.fixture
def app(app_factory):
    return build_app(app_factory)


@pytest.fixture
def world(app, login_as, make_user):
    return build_world(app, login_as, make_user)


def save_note(browser, recording_id, kind, text, *, shared=False):
    url = f"/feedback/recordings/{recording_id}/notes/{kind}"
    data = {
        "text": text,
        "csrf_token": csrf_token(browser, f"/feedback/recordings/{recording_id}/access"),
    }
    if shared:
        data["is_shared"] = "1"
    return browser.post(url, data=data)


def test_progress_counts_only_released_recordings(world):
    html = world.trainee.get("/feedback/progress").get_data(as_text=True)
    assert "No released feedback yet" in html and "3.5" not in html
    release(world.educator, world.recording_id)
    html = world.trainee.get("/feedback/progress").get_data(as_text=True)
    assert "<table" in html and "Clarity about concerns" in html and "3.5" in html
    assert "being agreed" in html  # strengths has no final score yet


def test_progress_chart_is_an_svg_with_title_and_axis_labels(world):
    release(world.educator, world.recording_id)
    response = world.trainee.get("/feedback/progress.svg")
    assert response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert "<svg" in svg and "My released final scores over time" in svg
    assert "Practice session (date)" in svg and "Final score (1–5)" in svg


def test_a_private_plan_is_kept_from_educators(app, world):
    response = save_note(world.trainee, world.recording_id, "plan", "Try open questions first")
    assert response.status_code == 302
    page = world.trainee.get(f"/feedback/recordings/{world.recording_id}/notes/plan")
    assert "Try open questions first" in page.get_data(as_text=True)
    html = world.educator.get(f"/feedback/notes/{world.recording_id}").get_data(as_text=True)
    assert "Try open questions first" not in html and "has not shared" in html


def test_a_shared_reflection_reaches_educators(app, world):
    save_note(world.trainee, world.recording_id, "plan", "Private hypothesis")
    save_note(world.trainee, world.recording_id, "reflection", "I rushed the ending", shared=True)
    html = world.educator.get(f"/feedback/notes/{world.recording_id}").get_data(as_text=True)
    assert "I rushed the ending" in html and "Private hypothesis" not in html
    with app.app_context():
        query = sa.select(AuditEvent).filter_by(action="session_note.saved")
        events = list(db.session.scalars(query))
        assert [e.detail for e in events] == [
            {"kind": "plan", "is_shared": False},
            {"kind": "reflection", "is_shared": True},
        ]


def test_saving_again_replaces_the_note(app, world):
    save_note(world.trainee, world.recording_id, "plan", "first", shared=True)
    save_note(world.trainee, world.recording_id, "plan", "second")
    with app.app_context():
        notes = list(db.session.scalars(sa.select(SessionNote)))
        assert [(n.text, n.is_shared) for n in notes] == [("second", False)]


@pytest.mark.parametrize(
    ("kind", "text", "status"),
    [("diary", "hello", 404), ("plan", "x" * 5001, 422)],
)
def test_bad_note_input_stores_nothing(app, world, kind, text, status):
    response = save_note(world.trainee, world.recording_id, kind, text)
    assert response.status_code == status
    if status == 422:
        assert "keep it to 5000" in response.get_data(as_text=True)
    with app.app_context():
        assert count(SessionNote) == 0


def test_someone_elses_recording_is_not_found(app, world, login_as):
    other, _ = login_as(Role.TRAINEE)
    rid = world.recording_id
    for url in (
        f"/feedback/recordings/{rid}",
        f"/feedback/recordings/{rid}.json",
        f"/feedback/recordings/{rid}/notes/plan",
        f"/feedback/recordings/{rid}/access",
    ):
        assert other.get(url).status_code == 404, url
    assert save_note(other, rid, "plan", "not mine").status_code == 404
    with app.app_context():
        assert count(SessionNote) == 0


def test_released_feedback_stays_with_its_own_trainee(world, login_as):
    release(world.educator, world.recording_id)
    other, _ = login_as(Role.TRAINEE)
    assert CANARY not in other.get("/feedback/progress").get_data(as_text=True)
    assert other.get(f"/feedback/recordings/{world.recording_id}").status_code == 404


def test_access_page_lists_who_can_see_the_recording(app, world):
    html = world.trainee.get(f"/feedback/recordings/{world.recording_id}/access").get_data(
        as_text=True
    )
    assert "2 raters, who do not see your name or group" in html
    assert "Edna Educator" in html and "Ada Administrator" in html
    assert "Someone" in html  # the actor named when the session started
    assert "not released yet" in html and "No deletion date" in html
    assert "Rhona" not in html and "Ravi" not in html


def test_access_page_shows_release_exemplars_consents_and_retention(app, world):
    release(world.educator, world.recording_id)
    with app.app_context():
        recording = db.session.get(Recording, world.recording_id)
        recording.retain_until = datetime(2031, 7, 1, tzinfo=UTC)
        db.session.add(
            Exemplar(recording_id=recording.id, start=2, end=6, title="Naming the concern")
        )
        db.session.add(Consent(recording_id=recording.id, person_role="trainee", exemplar_use=True))
        db.session.commit()
    html = world.trainee.get(f"/feedback/recordings/{world.recording_id}/access").get_data(
        as_text=True
    )
    assert "was released to you" in html and "Naming the concern (0:02–0:06)" in html
    assert "examples for others yes; research no" in html and "01 Jul 2031" in html


def test_links_fragment_points_to_feedback_notes_and_access(app, world):
    with app.test_request_context():
        login_user(db.session.get(User, world.trainee_id))
        html = render_template_string(
            '{% include "feedback/_recording_links.html" %}'
            "{{ feedback_released_ids([rec.id])|list }}",
            rec={"id": world.recording_id},
        )
    rid = world.recording_id
    assert f"/feedback/recordings/{rid}/notes/plan" in html
    assert f"/feedback/recordings/{rid}/notes/reflection" in html
    assert f"/feedback/recordings/{rid}/access" in html
    assert "not released yet" in html and html.rstrip().endswith("[]")
