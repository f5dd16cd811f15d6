"""Demo data gets retention dates from the policy as it is loaded (no backfill needed)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from tests.webapp.privacy_support import VIGNETTES, add_rated_recording, seed_study
from webapp.extensions import db
from webapp.jobs import huey
from webapp.models import Recording, Role
from webapp.orm import utcnow
from webapp.privacy.demo import set_demo_retention
from webapp.privacy.retention import backfill_retain_until, list_expired_recordings

DAYS = 30  # shorter than the archive's 200-day history: part of it is due at once


def test_demo_load_dates_every_record_from_the_policy(app_factory, tmp_path):
    app = app_factory(
        QUEUE_IMMEDIATE=False, QUEUE_URL=f"sqlite:///{tmp_path / 'q.db'}", RETENTION_DAYS=DAYS
    )
    try:
        assert app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
        with app.app_context():
            recordings = db.session.scalars(sa.select(Recording)).all()
            archive = [r for r in recordings if r.original_name.startswith("synthetic-archive-")]
            assert len(archive) == 80 and len(recordings) == 86
            for recording in recordings:
                assert recording.retain_until == recording.created_at + timedelta(days=DAYS)
            assert backfill_retain_until() == 0 and set_demo_retention() == 0
            # The purge would act on the old archive records straight away, no backfill first.
            due = {r.id for r in recordings if r.created_at + timedelta(days=DAYS) <= utcnow()}
            assert due and {r.id for r in list_expired_recordings()} == due
    finally:
        huey.immediate = True


def test_set_demo_retention_dates_demo_records_only(app, make_user, make_cohort):
    study = seed_study(app, make_user, make_cohort)
    demo_trainee = make_user(Role.TRAINEE, email="trainee9@example.org")
    with app.app_context():
        demo = add_rated_recording(demo_trainee, None, (study.rater1, study.rater2), code="R-7")
        for recording in db.session.scalars(sa.select(Recording)):
            recording.retain_until = None
        db.session.commit()
        assert set_demo_retention() == 1
        db.session.commit()
        dated = db.session.get(Recording, demo)
        days = app.config["RETENTION_DAYS"]
        assert dated.retain_until == dated.created_at + timedelta(days=days)
        assert db.session.get(Recording, study.recording).retain_until is None  # not demo


def test_the_archive_loader_itself_dates_its_records(app, make_user):
    from webapp.estimates.demo import load_demo_training_archive
    from webapp.library.services import import_vignettes

    make_user(Role.RATER, email="rater1@example.org")
    make_user(Role.RATER, email="rater2@example.org")
    with app.app_context():
        import_vignettes(VIGNETTES)
        assert load_demo_training_archive() == 80
        db.session.flush()
        dates = db.session.execute(sa.select(Recording.created_at, Recording.retain_until)).all()
    days = timedelta(days=app.config["RETENTION_DAYS"])
    assert len(dates) == 80 and all(until == made + days for made, until in dates)
