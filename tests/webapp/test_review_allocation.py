"""Allocation as a service: on READY, from the CLI, across batches; recusal."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from io import BytesIO

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token
from tests.webapp.review_support import (
    FIXTURES,
    SLUG,
    VIGNETTES,
    code_of,
    make_ready_recording,
    tasks_of,
)
from webapp.extensions import db
from webapp.library.services import import_vignettes
from webapp.models import AuditEvent, RatingTask, Recording, Role, TaskStatus
from webapp.review.allocation import allocate_recordings
from webapp.review.services import QUEUE_PAGE_SIZE


@pytest.fixture
def app(app_factory):
    application = app_factory(WHISPER_MODEL="tiny.en", WHISPER_THREADS=1)
    with application.app_context():
        import_vignettes(VIGNETTES)
        db.session.commit()
    return application


def open_loads(rater_ids):
    rows = db.session.scalars(sa.select(RatingTask).where(RatingTask.status == "open"))
    loads = Counter(task.rater_id for task in rows)
    return [loads.get(rater_id, 0) for rater_id in rater_ids]


def test_a_recording_waits_without_raters_then_the_cli_allocates_it(
    app, login_as, make_user, runner
):
    trainee, _ = login_as(Role.TRAINEE)
    response = trainee.post(
        f"/practice/vignettes/{SLUG}/upload",
        data={
            "actor_id": "",
            "actor_name": "Alex",
            "csrf_token": csrf_token(trainee, "/"),
            "file": (BytesIO((FIXTURES / "jfk.ogg").read_bytes()), "a.ogg"),
        },
        headers={"Accept": "application/json"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 202
    recording_id = response.get_json()["recording"]
    with app.app_context():
        recording = db.session.get(Recording, recording_id)
        assert recording.status == "ready" and recording.public_code is None
        assert tasks_of(recording_id) == []
    rater_id = make_user(Role.RATER)
    result = runner.invoke(args=["rating", "allocate"])
    assert result.exit_code == 0, result.output
    assert "Allocated 1 recording(s)" in result.output
    assert "Double coding deferred" in result.output  # one rater cannot double-code
    with app.app_context():
        assert code_of(recording_id).startswith("R-")
        assert [(t.rater_id, t.role) for t in tasks_of(recording_id)] == [(rater_id, "primary")]


def test_double_coded_share_holds_within_one_across_batches(app, make_user):
    raters = [make_user(Role.RATER) for _ in range(4)]
    trainees = [make_user(Role.TRAINEE) for _ in range(3)]
    total = 0
    with app.app_context():
        for batch in (3, 4, 1, 5, 2):
            ids = [make_ready_recording(trainees[i % 3]) for i in range(batch)]
            report = allocate_recordings(ids)
            db.session.commit()
            total += batch
            assert report.allocated == batch
            seconds = db.session.scalar(
                sa.select(sa.func.count()).where(RatingTask.role == "second")
            )
            assert abs(seconds - 0.5 * total) <= 1, (batch, seconds, total)
        assert max(open_loads(raters)) - min(open_loads(raters)) <= 1


def test_nobody_rates_a_recording_they_are_in(app, make_user):
    people = [make_user(Role.RATER, Role.TRAINEE) for _ in range(3)]
    actors = [make_user(Role.RATER, Role.ACTOR) for _ in range(2)]
    with app.app_context():
        ids = [make_ready_recording(people[i % 3], actors[i % 2]) for i in range(12)]
        allocate_recordings(ids, seed=7)
        db.session.commit()
        for task in db.session.scalars(sa.select(RatingTask)):
            recording = task.recording
            assert task.rater_id not in (recording.trainee_id, recording.actor_id)
        for recording_id in ids:
            coders = [t.rater_id for t in tasks_of(recording_id)]
            assert len(coders) == len(set(coders))


def test_load_is_balanced_within_one(app, make_user):
    raters = [make_user(Role.RATER) for _ in range(5)]
    trainee = make_user(Role.TRAINEE)
    with app.app_context():
        for batch in (7, 3, 6):
            allocate_recordings([make_ready_recording(trainee) for _ in range(batch)])
            db.session.commit()
            loads = open_loads(raters)
            assert max(loads) - min(loads) <= 1, loads


def test_a_recording_nobody_may_rate_waits_and_does_not_block_the_others(app, make_user):
    only_rater = make_user(Role.RATER, Role.TRAINEE)
    other = make_user(Role.TRAINEE)
    with app.app_context():
        own = make_ready_recording(only_rater)
        fine = make_ready_recording(other)
        report = allocate_recordings()
        db.session.commit()
        assert (report.allocated, report.pending) == (1, 1)
        assert tasks_of(own) == [] and len(tasks_of(fine)) == 1


# -- recusal ----------------------------------------------------------------------------


def recuse(browser, code, reason=""):
    token = csrf_token(browser, f"/review/{code}")
    return browser.post(f"/review/{code}/recuse", data={"reason": reason, "csrf_token": token})


def test_recusal_hands_the_recording_to_a_third_rater_not_the_other_coder(app, login_as, make_user):
    app.config["DOUBLE_CODED_FRACTION"] = 1.0
    browsers = dict(reversed(login_as(Role.RATER)) for _ in range(2))
    with app.app_context():
        recording_id = make_ready_recording(make_user(Role.TRAINEE))
        allocate_recordings()
        db.session.commit()
        code = code_of(recording_id)
        primary, second = tasks_of(recording_id)
    third = make_user(Role.RATER)
    reason = "I supervised this trainee on placement."
    response = recuse(browsers[primary.rater_id], code, reason)
    assert response.status_code == 303
    assert browsers[primary.rater_id].get(f"/review/{code}").status_code == 404
    with app.app_context():
        tasks = tasks_of(recording_id)
        by_rater = {t.rater_id: (t.role, t.status) for t in tasks}
        assert by_rater[primary.rater_id] == (primary.role, "recused")
        assert by_rater[third] == (primary.role, "open")
        assert by_rater[second.rater_id] == (second.role, "open")
        recused = next(t for t in tasks if t.status == "recused")
        assert recused.recusal_reason == reason
        event = db.session.scalar(sa.select(AuditEvent).filter_by(action="rating.recused"))
        assert event.detail == {"role": primary.role, "has_reason": True}  # no text in the log


def test_a_recusal_without_a_replacement_waits_for_the_next_allocation(
    app, login_as, make_user, runner
):
    rater, rater_id = login_as(Role.RATER)
    with app.app_context():
        recording_id = make_ready_recording(make_user(Role.TRAINEE))
        allocate_recordings()
        db.session.commit()
        code = code_of(recording_id)
    assert recuse(rater, code).status_code == 303
    with app.app_context():
        assert [t.status for t in tasks_of(recording_id)] == ["recused"]
    newcomer = make_user(Role.RATER)
    result = runner.invoke(args=["rating", "allocate"])
    assert "1 handed-back task(s) reassigned" in result.output, result.output
    with app.app_context():
        assert [(t.rater_id, t.status) for t in tasks_of(recording_id)] == [
            (rater_id, "recused"),
            (newcomer, "open"),
        ]


def test_only_the_allocated_rater_can_recuse(app, login_as, make_user):
    app.config["DOUBLE_CODED_FRACTION"] = 0.0
    browsers = dict(reversed(login_as(Role.RATER)) for _ in range(2))
    with app.app_context():
        recording_id = make_ready_recording(make_user(Role.TRAINEE))
        allocate_recordings()
        db.session.commit()
        code = code_of(recording_id)
        (task,) = tasks_of(recording_id)
    outsider = next(b for rid, b in browsers.items() if rid != task.rater_id)
    response = outsider.post(
        f"/review/{code}/recuse", data={"csrf_token": csrf_token(outsider, "/")}
    )
    assert response.status_code == 404
    with app.app_context():
        assert [t.status for t in tasks_of(recording_id)] == ["open"]


def test_the_queue_follows_the_stable_random_sort_key(app, login_as, make_user):
    app.config["DOUBLE_CODED_FRACTION"] = 0.0
    rater, rater_id = login_as(Role.RATER)
    trainee = make_user(Role.TRAINEE)
    with app.app_context():
        allocate_recordings([make_ready_recording(trainee) for _ in range(6)])
        db.session.commit()
        tasks = db.session.scalars(sa.select(RatingTask).filter_by(rater_id=rater_id))
        expected = [t.recording.public_code for t in sorted(tasks, key=lambda t: t.sort_key)]

    def shown():
        html = rater.get("/review/").get_data(as_text=True)
        return list(dict.fromkeys(re.findall(r"R-[2-9A-Z]{4}-[2-9A-Z]{4}", html)))

    assert shown() == expected == shown()


def test_the_queue_comes_a_page_at_a_time_with_the_latest_submissions_first(
    app, login_as, make_user
):
    app.config["DOUBLE_CODED_FRACTION"] = 0.0
    rater, rater_id = login_as(Role.RATER)
    trainee = make_user(Role.TRAINEE)
    with app.app_context():
        allocate_recordings([make_ready_recording(trainee) for _ in range(QUEUE_PAGE_SIZE + 6)])
        db.session.commit()
        tasks = sorted(
            db.session.scalars(sa.select(RatingTask).filter_by(rater_id=rater_id)),
            key=lambda t: (t.sort_key, t.id),
        )
        # Three submitted, on three different days, oldest first in the queue order.
        for day, task in enumerate(tasks[:3], start=1):
            task.status = TaskStatus.SUBMITTED
            task.closed_at = datetime(2026, 3, day, tzinfo=UTC)
        db.session.commit()
        open_codes = [t.recording.public_code for t in tasks[3:]]
        done_codes = [t.recording.public_code for t in reversed(tasks[:3])]

    def codes(html, heading):
        part = html.split('id="submitted"')[0 if heading == "open" else 1]
        return list(dict.fromkeys(re.findall(r"R-[2-9A-Z]{4}-[2-9A-Z]{4}", part)))

    first = rater.get("/review/").get_data(as_text=True)
    assert codes(first, "open") == open_codes[:QUEUE_PAGE_SIZE]
    assert codes(first, "done") == done_codes  # most recently submitted first
    assert f"1–{QUEUE_PAGE_SIZE} of {len(open_codes)}" in first
    assert 'href="/review/?open=2&amp;done=1"' in first
    second = rater.get("/review/?open=2").get_data(as_text=True)
    assert codes(second, "open") == open_codes[QUEUE_PAGE_SIZE:]
    assert codes(second, "done") == done_codes
    # A page past the end shows the last page, and nonsense shows the first.
    assert codes(rater.get("/review/?open=99").get_data(as_text=True), "open") == codes(
        second, "open"
    )
    assert codes(rater.get("/review/?open=x").get_data(as_text=True), "open") == codes(
        first, "open"
    )
