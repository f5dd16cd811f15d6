"""Demo ratings on five of the six demo interviews: single- and double-coded, pairs close
enough to average and one that needs adjudication.  The sixth is left to the normal flow:
it is allocated to a rater when its transcript is ready, so a rater's queue has real work.

The scores follow each script's ``expected_scores`` (what a careful rater would give);
the second rater's differences are deliberate.  Tasks are created directly (not by the
allocator) so the demo shows every state at once; recordings that become READY later
keep these tasks and are not allocated again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from webapp.extensions import db
from webapp.models import (
    Rating,
    RatingMode,
    RatingScore,
    RatingStatus,
    RatingTask,
    Recording,
    TaskRole,
    TaskStatus,
    User,
)
from webapp.orm import utcnow

SCRIPTS = Path(__file__).resolve().parent / "demo_data" / "interviews"

# interview -> (primary rater, second rater or None, second rater's changes, primary open?)
PLAN: dict[str, tuple[str, str | None, dict[str, int], bool]] = {
    "school-referral-late-and-hungry-mixed": ("rater1", "rater2", {"empathy": +1}, False),
    "school-referral-tired-and-unkempt-strong": ("rater2", None, {}, False),
    "school-referral-late-and-hungry-strong": ("rater1", "rater2", {"warmth": -2}, False),
    "school-referral-late-and-hungry-weak": ("rater2", "rater1", {"clarity": +1}, False),
    "cp-plan-alcohol-and-domestic-abuse-weak": ("rater2", None, {}, False),
}


def load_demo_ratings() -> int:
    """Create the demo rating tasks and ratings; returns how many recordings got some."""
    from webapp.review.allocation import add_task, new_public_code
    from webapp.review.finals import update_final_scores
    from webapp.review.instruments import ensure_instruments, get_rating_instrument

    ensure_instruments()
    instrument = get_rating_instrument()
    raters = {u.email.split("@")[0]: u for u in db.session.scalars(sa.select(User))}
    done = 0
    for name, (primary, second, changes, primary_open) in PLAN.items():
        recording = _demo_recording(name)
        if recording is None or _has_tasks(recording) or primary not in raters:
            continue
        expected = yaml.safe_load((SCRIPTS / f"{name}.yaml").read_text())["expected_scores"]
        recording.public_code = recording.public_code or new_public_code()
        first = add_task(recording, raters[primary].id, TaskRole.PRIMARY, instrument)
        if not primary_open:
            _submit(first, expected)
        if second and second in raters:
            moved = {k: min(5, max(1, v + changes.get(k, 0))) for k, v in expected.items()}
            _submit(add_task(recording, raters[second].id, TaskRole.SECOND, instrument), moved)
        db.session.flush()
        update_final_scores(recording)
        done += 1
    return done


def _demo_recording(name: str) -> Recording | None:
    return db.session.scalar(sa.select(Recording).where(Recording.original_name == f"{name}.ogg"))


def _has_tasks(recording: Recording) -> bool:
    query = sa.select(RatingTask.id).where(RatingTask.recording_id == recording.id)
    return db.session.scalar(query.limit(1)) is not None


def _submit(task: RatingTask, scores: dict[str, Any]) -> None:
    rating = Rating(status=RatingStatus.SUBMITTED, mode=RatingMode.BOTH, submitted_at=utcnow())
    rating.scores = [
        RatingScore(dimension=key, score=int(value), note="Demo rating.")
        for key, value in scores.items()
    ]
    task.ratings.append(rating)
    task.status = TaskStatus.SUBMITTED
    task.closed_at = utcnow()
