"""Final scores: one per recording and dimension, kept apart from the raw ratings.

* single-coded, primary submitted: the score itself (``SINGLE``);
* double-coded, both submitted, the two scores differ by less than
  ``ADJUDICATION_THRESHOLD``: their mean (``MEAN``);
* otherwise no final score for that dimension; a double-coded dimension whose scores
  differ by the threshold or more waits for adjudication (:func:`needs_adjudication`).

An ``ADJUDICATED`` final score is an educator's decision and is never overwritten here.
Callers commit.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from flask import current_app

from webapp.extensions import db
from webapp.models import (
    FinalMethod,
    FinalScore,
    Rating,
    RatingStatus,
    RatingTask,
    Recording,
    TaskRole,
    TaskStatus,
)

CODED_ROLES = (TaskRole.PRIMARY, TaskRole.SECOND)
Scores = dict[str, int]


def coded_tasks(recording: Recording) -> dict[int, list[RatingTask]]:
    """The live primary/second tasks of a recording, by instrument version."""
    query = sa.select(RatingTask).where(
        RatingTask.recording_id == recording.id,
        RatingTask.role.in_(CODED_ROLES),
        RatingTask.status != TaskStatus.RECUSED,
    )
    grouped: dict[int, list[RatingTask]] = defaultdict(list)
    for task in db.session.scalars(query.order_by(RatingTask.id)):
        grouped[task.instrument_version_id].append(task)
    return grouped


def submitted_scores(task: RatingTask) -> Scores | None:
    """The task's latest submitted scores, or None before it is submitted."""
    submitted = [r for r in task.ratings if r.status == RatingStatus.SUBMITTED]
    return _scores(submitted[-1]) if submitted else None


def _scores(rating: Rating) -> Scores:
    return {s.dimension: s.score for s in rating.scores if s.score is not None}


def threshold() -> float:
    return float(current_app.config["ADJUDICATION_THRESHOLD"])


def agreed_scores(
    tasks: list[RatingTask], coders: int
) -> dict[str, tuple[float, FinalMethod] | None]:
    """Per dimension: the final score and method, or None when the two coders disagree.

    Empty until all ``coders`` of the recording have submitted.
    """
    return agree([submitted_scores(task) for task in tasks], coders)


def agree(
    submitted: list[Scores | None], coders: int
) -> dict[str, tuple[float, FinalMethod] | None]:
    """:func:`agreed_scores` over each task's submitted scores (None: not submitted yet)."""
    ready = [scores for scores in submitted if scores is not None]
    if len(ready) < coders or not ready:
        return {}
    if len(ready) == 1:
        return {key: (float(value), FinalMethod.SINGLE) for key, value in ready[0].items()}
    first, second = ready[0], ready[1]
    return {key: _mean_if_close(first[key], second[key]) for key in first.keys() & second.keys()}


def _mean_if_close(a: int, b: int) -> tuple[float, FinalMethod] | None:
    return ((a + b) / 2, FinalMethod.MEAN) if abs(a - b) < threshold() else None


def count_coders(recording: Recording) -> int:
    """1 or 2: how many coders the recording was allocated (a recused slot still counts)."""
    query = sa.select(sa.func.count(sa.distinct(RatingTask.role))).where(
        RatingTask.recording_id == recording.id, RatingTask.role.in_(CODED_ROLES)
    )
    return int(db.session.scalar(query) or 0)


def update_final_scores(recording: Recording) -> list[FinalScore]:
    """Write the SINGLE/MEAN final scores the submitted ratings allow; never touch
    ADJUDICATED ones; drop a stale SINGLE/MEAN score whose coders now disagree."""
    lock_recording(recording)
    written: list[FinalScore] = []
    coders = count_coders(recording)
    for version_id, tasks in coded_tasks(recording).items():
        existing = _existing(recording, version_id)
        for key, outcome in agreed_scores(tasks, coders).items():
            final = existing.get(key)
            if final is not None and final.method == FinalMethod.ADJUDICATED:
                continue
            if outcome is None:
                if final is not None:
                    db.session.delete(final)
                continue
            written.append(_upsert(recording, version_id, key, outcome, final))
    db.session.flush()
    return written


def lock_recording(recording: Recording) -> None:
    """Serialise final-score updates of one recording.

    Two coders submitting at the same moment would each see only their own rating under
    PostgreSQL's read committed isolation and both leave the final score unwritten.  The row
    lock makes the second wait for the first to commit; expiring the session then makes it
    read the first one's rating.  (SQLite has a single writer and ignores FOR UPDATE.)
    """
    db.session.flush()
    db.session.execute(
        sa.select(Recording.id).where(Recording.id == recording.id).with_for_update()
    )
    db.session.expire_all()


def _existing(recording: Recording, version_id: int) -> dict[str, FinalScore]:
    query = sa.select(FinalScore).where(
        FinalScore.recording_id == recording.id, FinalScore.instrument_version_id == version_id
    )
    return {final.dimension: final for final in db.session.scalars(query)}


def _upsert(
    recording: Recording,
    version_id: int,
    key: str,
    outcome: tuple[float, FinalMethod],
    final: FinalScore | None,
) -> FinalScore:
    if final is None:
        final = FinalScore(
            recording_id=recording.id, instrument_version_id=version_id, dimension=key
        )
        db.session.add(final)
    final.score, final.method = outcome
    return final


def needs_adjudication(recording: Recording) -> list[str]:
    """Dimension keys whose two submitted scores differ by the threshold or more and that
    have no adjudicated final score yet."""
    waiting: list[str] = []
    coders = count_coders(recording)
    for version_id, tasks in coded_tasks(recording).items():
        adjudicated = {
            key
            for key, final in _existing(recording, version_id).items()
            if final.method == FinalMethod.ADJUDICATED
        }
        for key, outcome in agreed_scores(tasks, coders).items():
            if outcome is None and key not in adjudicated:
                waiting.append(key)
    return sorted(waiting)
