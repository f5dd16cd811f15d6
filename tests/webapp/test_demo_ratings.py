"""Demo ratings: every state of the rating workflow has something real to show."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.extensions import db
from webapp.jobs import huey
from webapp.models import FinalScore, RatingTask, Recording, TaskStatus


def test_demo_ratings_cover_single_double_and_adjudication(app_factory, tmp_path):
    app = app_factory(QUEUE_IMMEDIATE=False, QUEUE_URL=f"sqlite:///{tmp_path / 'q.db'}")
    try:
        assert app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
        with app.app_context():
            from webapp.review.finals import needs_adjudication

            demo = db.session.scalars(
                sa.select(Recording).where(Recording.original_name.like("%.ogg"))
            ).all()
            assert len(demo) == 6 and sum(bool(r.public_code) for r in demo) == 5
            waiting = {r.original_name: needs_adjudication(r) for r in demo}
            assert waiting["school-referral-late-and-hungry-strong.ogg"] == ["warmth"]
            methods = set(db.session.scalars(sa.select(FinalScore.method)))
            assert {"single", "mean"} <= methods
            # One interview is left to the allocator, which runs when its transcript is ready.
            waiting = next(r for r in demo if "tired-and-unkempt-mixed" in r.original_name)
            tasks = sa.select(RatingTask).where(RatingTask.recording_id == waiting.id)
            assert db.session.scalars(tasks).all() == []
            assert (
                db.session.scalar(
                    sa.select(sa.func.count())
                    .select_from(RatingTask)
                    .where(RatingTask.status == TaskStatus.OPEN)
                )
                == 0
            )
    finally:
        huey.immediate = True
