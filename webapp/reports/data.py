"""Reading ratings out of the database as plain rows for ``rating``'s functions.

Only raw, submitted ratings of live tasks (primary and second coders, never calibration)
feed reliability; only final scores feed group comparisons.  Each task contributes its
latest submitted version.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any, NamedTuple

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import db
from webapp.models import (
    Cohort,
    FinalScore,
    InstrumentVersion,
    Rating,
    RatingScore,
    RatingStatus,
    RatingTask,
    Recording,
    TaskRole,
    TaskStatus,
    User,
)


# Named tuples, not frozen dataclasses: reports read tens of thousands of rows, and a
# tuple is built in a fraction of the time.
class RatingRow(NamedTuple):
    recording_code: str
    rater: str
    dimension: str
    score: int


class ScoreCount(NamedTuple):
    cohort: str | None
    dimension: str
    score: float
    recordings: int


def list_instruments() -> list[InstrumentVersion]:
    """The newest version of every instrument, default first."""
    rows = db.session.scalars(
        sa.select(InstrumentVersion).order_by(
            InstrumentVersion.is_default.desc(), InstrumentVersion.slug, InstrumentVersion.version
        )
    ).all()
    newest: dict[str, InstrumentVersion] = {}
    for row in rows:
        newest[row.slug] = row
    return list(newest.values())


def latest_submitted_rating_ids() -> sa.Select[Any]:
    return sa.select(Rating.id).where(is_latest_submitted())


def is_latest_submitted() -> sa.ColumnElement[bool]:
    """True for a task's latest submitted rating, as a condition on ``Rating`` in the
    enclosing query: checked row by row through the ``task_id`` index, where
    ``Rating.id IN (latest_submitted_rating_ids())`` makes the database list every latest
    rating first."""
    newer = so.aliased(Rating)
    return sa.and_(
        Rating.status == RatingStatus.SUBMITTED,
        ~sa.exists().where(
            newer.task_id == Rating.task_id,
            newer.version > Rating.version,
            newer.status == RatingStatus.SUBMITTED,
        ),
    )


def rating_fingerprint() -> tuple[Any, ...]:
    """Aggregates that change whenever a report's raw ratings could: a rating submitted,
    changed (a new version) or deleted, a task added, recused or deleted, a rater renamed.
    Drafts do not count, and submitted ratings are never edited in place.

    Checked on every request that shows a kept report, so each aggregate is its own query
    that an index answers (``ix_ratings_status_submitted_at``, ``ix_rating_tasks_queue``):
    together they are cheaper than one query that has to visit every row.
    """
    submitted = Rating.status == RatingStatus.SUBMITTED
    recused = RatingTask.status == TaskStatus.RECUSED
    aggregates = [
        sa.select(sa.func.count()).select_from(Rating).where(submitted),
        sa.select(sa.func.max(Rating.id)).where(submitted),
        sa.select(sa.func.max(Rating.submitted_at)).where(submitted),
        sa.select(sa.func.count()).select_from(RatingTask),
        sa.select(sa.func.max(RatingTask.id)),
        sa.select(sa.func.count()).select_from(RatingTask).where(recused),
    ]
    raters = sa.select(User.id, User.name).where(
        User.id.in_(sa.select(RatingTask.rater_id).distinct())
    )
    return (
        tuple(db.session.scalar(query) for query in aggregates),
        tuple(sorted(tuple(row) for row in db.session.execute(raters))),
    )


def get_rating_rows(slug: str) -> list[RatingRow]:
    """Long-format raw ratings of one instrument, in submission order."""
    query = (
        sa.select(Recording.public_code, User.name, RatingScore.dimension, RatingScore.score)
        .join(RatingTask, RatingTask.recording_id == Recording.id)
        .join(User, User.id == RatingTask.rater_id)
        .join(InstrumentVersion, InstrumentVersion.id == RatingTask.instrument_version_id)
        .join(Rating, Rating.task_id == RatingTask.id)
        .join(RatingScore, RatingScore.rating_id == Rating.id)
        .where(
            InstrumentVersion.slug == slug,
            RatingTask.role.in_([TaskRole.PRIMARY, TaskRole.SECOND]),
            is_latest_submitted(),
            RatingScore.score.is_not(None),
        )
        .order_by(Rating.submitted_at, Rating.id, RatingScore.dimension)
    )
    return [
        RatingRow(code or "?", rater, dim, int(score or 0))
        for code, rater, dim, score in db.session.execute(query)
    ]


def select_final_scores(*columns: Any, slug: str | None = None) -> sa.Select[Any]:
    """``columns`` of every final score (of one instrument when ``slug`` is given), joined
    to its recording, instrument version, trainee and the trainee's cohort (if any).

    Reports, dashboards and exports all start from this one join.
    """
    query = (
        sa.select(*columns)
        .select_from(Recording)
        .join(FinalScore, FinalScore.recording_id == Recording.id)
        .join(InstrumentVersion, InstrumentVersion.id == FinalScore.instrument_version_id)
        .join(User, User.id == Recording.trainee_id)
        .outerjoin(Cohort, Cohort.id == User.cohort_id)
    )
    return query if slug is None else query.where(InstrumentVersion.slug == slug)


def recorded_between(query: sa.Select[Any], start: date | None, end: date | None) -> sa.Select[Any]:
    """Keep recordings made from ``start`` to ``end`` inclusive (whole UTC days)."""
    if start is not None:
        query = query.where(Recording.created_at >= datetime.combine(start, time.min, UTC))
    if end is not None:
        query = query.where(Recording.created_at <= datetime.combine(end, time.max, UTC))
    return query


def count_final_scores(
    slug: str,
    *,
    start: date | None = None,
    end: date | None = None,
    cohorts: Sequence[str] | None = None,
) -> list[ScoreCount]:
    """How many recordings got each final score of one instrument, per trainee cohort and
    dimension (only trainees in ``cohorts`` when given).

    Counted by the database: comparing two large cohorts then reads a few dozen rows
    instead of one per final score.
    """
    query = select_final_scores(
        Cohort.name, FinalScore.dimension, FinalScore.score, sa.func.count(), slug=slug
    )
    if cohorts is not None:
        # By cohort id, so the database starts from the chosen cohorts' trainees instead of
        # reading every final score and dropping the other cohorts' at the end.
        chosen = sa.select(Cohort.id).where(Cohort.name.in_(cohorts))
        query = query.where(User.cohort_id.in_(chosen))
    query = recorded_between(query, start, end).group_by(
        Cohort.name, FinalScore.dimension, FinalScore.score
    )
    return [ScoreCount._make(row) for row in db.session.execute(query)]


def list_cohort_names() -> list[str]:
    return list(db.session.scalars(sa.select(Cohort.name).order_by(Cohort.name)))
