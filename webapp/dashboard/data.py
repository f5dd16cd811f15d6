"""Reading final scores, open work and assignments as plain rows, in a few grouped queries.

Every page is built from a fixed number of queries whatever the number of trainees: rows
are fetched once, with the trainee, cohort and vignette joined in, and grouped in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import (
    Assignment,
    Cohort,
    FinalScore,
    Rating,
    RatingScore,
    RatingTask,
    Recording,
    Role,
    TaskRole,
    TaskStatus,
    User,
    UserRole,
    VignetteVersion,
)
from webapp.reports.data import is_latest_submitted, recorded_between, select_final_scores

AnySelect = sa.Select[*tuple[Any, ...]]


class ScoreRow(NamedTuple):
    """One final score with what the dashboards need to place it.

    A named tuple rather than a frozen dataclass: a cohort's page reads tens of thousands,
    and building a tuple costs a fraction of a frozen dataclass's ``__init__``.
    """

    recording_id: int
    trainee_id: int
    cohort_id: int | None
    vignette_id: int
    title: str
    recorded_at: datetime
    dimension: str
    score: float


@dataclass(frozen=True)
class Filters:
    """The overview's query-string filters; None means "all"."""

    cohort_id: int | None = None
    vignette_id: int | None = None
    start: date | None = None
    end: date | None = None


def get_score_rows(
    slug: str,
    filters: Filters = Filters(),
    *,
    trainee_id: int | None = None,
    trainee_ids: list[int] | None = None,
) -> list[ScoreRow]:
    """Final scores of one instrument (of one trainee, or of some), oldest recording first."""
    query: AnySelect = select_final_scores(
        Recording.id,
        Recording.trainee_id,
        User.cohort_id,
        VignetteVersion.vignette_id,
        VignetteVersion.title,
        Recording.created_at,
        FinalScore.dimension,
        FinalScore.score,
        slug=slug,
    ).order_by(Recording.created_at, Recording.id, FinalScore.dimension)
    query = _filtered(query, filters)
    if trainee_id is not None:
        query = query.where(Recording.trainee_id == trainee_id)
    if trainee_ids is not None:
        query = query.where(Recording.trainee_id.in_(trainee_ids))
    return [ScoreRow._make(row) for row in db.session.execute(query)]


def list_dimensions(slug: str, filters: Filters = Filters()) -> list[str]:
    """The dimensions with final scores among the recordings the filters keep."""
    query: AnySelect = select_final_scores(FinalScore.dimension, slug=slug).distinct()
    return sorted(db.session.scalars(_filtered(query, filters)))


def _filtered(query: AnySelect, filters: Filters) -> AnySelect:
    query = query.join(VignetteVersion, VignetteVersion.id == Recording.vignette_version_id)
    if filters.cohort_id is not None:
        query = query.where(User.cohort_id == filters.cohort_id)
    if filters.vignette_id is not None:
        query = query.where(VignetteVersion.vignette_id == filters.vignette_id)
    return recorded_between(query, filters.start, filters.end)


def list_trainees(cohort_id: int | None = None) -> list[tuple[int, str, int | None]]:
    """(id, name, cohort id) of active trainees, by name."""
    query = (
        sa.select(User.id, User.name, User.cohort_id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.TRAINEE, User.active.is_(True))
        .order_by(User.name, User.id)
    )
    if cohort_id is not None:
        query = query.where(User.cohort_id == cohort_id)
    return [(row[0], row[1], row[2]) for row in db.session.execute(query)]


def list_cohorts() -> list[tuple[int, str]]:
    return [
        (row[0], row[1])
        for row in db.session.execute(sa.select(Cohort.id, Cohort.name).order_by(Cohort.name))
    ]


def count_awaiting_rating() -> int:
    """Recordings with at least one open live rating task."""
    query = sa.select(sa.func.count(sa.distinct(RatingTask.recording_id))).where(
        RatingTask.status == TaskStatus.OPEN,
        RatingTask.role.in_([TaskRole.PRIMARY, TaskRole.SECOND]),
    )
    return int(db.session.scalar(query) or 0)


def list_rater_backlogs() -> list[tuple[str, int]]:
    """(rater name, open tasks) for every rater with open tasks, longest backlog first."""
    count = sa.func.count(RatingTask.id)
    query = (
        sa.select(User.name, count)
        .join(User, User.id == RatingTask.rater_id)
        .where(RatingTask.status == TaskStatus.OPEN)
        .group_by(User.id, User.name)
        .order_by(count.desc(), User.name)
    )
    return [(row[0], int(row[1])) for row in db.session.execute(query)]


def select_adjudication_candidates() -> sa.Select[Any]:
    """Ids of recordings whose second coder submitted a dimension that has no final score.

    A superset of the recordings :func:`webapp.review.finals.needs_adjudication` reports
    (the rest wait for their primary coder), so that only these are examined.
    """
    missing = ~sa.exists().where(
        FinalScore.recording_id == RatingTask.recording_id,
        FinalScore.dimension == RatingScore.dimension,
    )
    return (
        sa.select(RatingTask.recording_id)
        .join(Rating, Rating.task_id == RatingTask.id)
        .join(RatingScore, RatingScore.rating_id == Rating.id)
        .where(
            RatingTask.role == TaskRole.SECOND,
            RatingTask.status == TaskStatus.SUBMITTED,
            is_latest_submitted(),
            RatingScore.score.is_not(None),
            missing,
        )
    )


def list_time_point_assignments(trainee_ids: list[int], cohort_id: int | None) -> list[Assignment]:
    """Assignments with a time-point label for these trainees or their cohort, oldest first."""
    whom: sa.ColumnElement[bool] = Assignment.trainee_id.in_(trainee_ids)
    if cohort_id is not None:
        whom = sa.or_(whom, Assignment.cohort_id == cohort_id)
    query = (
        sa.select(Assignment)
        .where(whom, Assignment.time_point != "")
        .order_by(Assignment.created_at, Assignment.id)
    )
    return list(db.session.scalars(query))
