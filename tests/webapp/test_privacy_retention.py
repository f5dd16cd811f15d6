"""Retention: the purge deletes audio and transcript text, keeps scores, and audits."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.webapp.privacy_support import Study, add_rated_recording, seed_study
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    FinalScore,
    Rating,
    RatingScore,
    Recording,
    Segment,
    Transcript,
)
from webapp.orm import utcnow
from webapp.practice import storage
from webapp.privacy.retention import (
    backfill_retain_until,
    default_retain_until,
    purge_expired_recordings,
)
from webapp.privacy.tasks import purge_expired_recordings as purge_task


@pytest.fixture
def study(app, make_user, make_cohort) -> Study:
    return seed_study(app, make_user, make_cohort)


def expire(app, recording_id: int) -> None:
    with app.app_context():
        db.session.get(Recording, recording_id).retain_until = utcnow() - timedelta(days=1)
        db.session.commit()


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def second_recording(app, study) -> int:
    with app.app_context():
        recording_id = add_rated_recording(
            study.trainee, None, (study.rater1, study.rater2), code="R-3333-4444"
        )
        db.session.commit()
        return recording_id


def test_purge_deletes_files_and_transcripts_and_keeps_scores(app, study):
    kept = second_recording(app, study)
    expire(app, study.recording)
    with app.app_context():
        before = (count(Rating), count(RatingScore), count(FinalScore))
        folder = storage.recording_dir(db.session.get(Recording, study.recording))
        kept_folder = storage.recording_dir(db.session.get(Recording, kept))
        assert purge_expired_recordings() == [study.recording]

        assert not folder.exists() and kept_folder.exists()
        assert (count(Rating), count(RatingScore), count(FinalScore)) == before
        transcripts = db.session.scalars(sa.select(Transcript.recording_id)).all()
        assert transcripts == [kept]
        assert count(Segment) == 2  # only the kept recording's
        purged = db.session.get(Recording, study.recording)
        assert purged.purged_at is not None and db.session.get(Recording, kept).purged_at is None
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "recording.purged")
        ).all()
        assert [(e.object_type, e.object_id) for e in events] == [("Recording", str(purged.id))]
        assert events[0].detail["transcripts_deleted"] == 1


def test_purge_is_idempotent(app, study):
    expire(app, study.recording)
    with app.app_context():
        assert purge_expired_recordings() == [study.recording]
        assert purge_expired_recordings() == []
        actions = db.session.scalars(sa.select(AuditEvent.action)).all()
        assert actions.count("recording.purged") == 1


def test_dry_run_changes_nothing(app, study, runner):
    expire(app, study.recording)
    result = runner.invoke(args=["privacy", "purge", "--dry-run"])
    assert (
        result.exit_code == 0 and f"Would purge 1 recording(s): {study.recording}" in result.output
    )
    with app.app_context():
        recording = db.session.get(Recording, study.recording)
        assert recording.purged_at is None and count(Transcript) == 1
        assert storage.recording_dir(recording).exists()


def test_cli_purge_purges(app, study, runner):
    expire(app, study.recording)
    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0 and "Purged 1 recording(s)" in result.output
    with app.app_context():
        assert db.session.get(Recording, study.recording).purged_at is not None


def test_periodic_task_purges(app, study, monkeypatch):
    import webapp.jobs

    monkeypatch.setitem(webapp.jobs._state, "app", app)
    expire(app, study.recording)
    assert purge_task.call_local() == [study.recording]


def test_retention_date_comes_from_config(app_factory):
    app = app_factory(RETENTION_DAYS=10)
    with app.app_context():
        start = utcnow()
        assert default_retain_until(start) == start + timedelta(days=10)


def test_backfill_sets_missing_retention_dates(app, study, runner):
    with app.app_context():
        recording = db.session.get(Recording, study.recording)
        recording.retain_until = None
        db.session.commit()
    result = runner.invoke(args=["privacy", "backfill-retention"])
    assert "on 1 recording(s)" in result.output
    with app.app_context():
        recording = db.session.get(Recording, study.recording)
        assert recording.retain_until == default_retain_until(recording.created_at)
        assert backfill_retain_until() == 0
