"""The coding state of many recordings at once, in a fixed number of queries.

:func:`webapp.review.finals.needs_adjudication` and
:func:`webapp.moderation.adjudication.get_coded_pair` look at one recording and issue a
few queries each (and lazy loads for every task's ratings), which is right for one
recording's page but makes a list page issue queries in proportion to its rows.  Here the
same facts are read for a whole set of recordings in four queries and the decisions are
made by the same function (:func:`webapp.review.finals.agree`), so the answers are equal.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import FinalMethod, FinalScore, Rating, RatingScore, RatingTask, TaskStatus
from webapp.reports.data import is_latest_submitted, rating_fingerprint
from webapp.review.finals import CODED_ROLES, Scores, agree

RecordingIds = sa.Select[Any]
IdList = sa.BindParameter[Any]


@dataclass(frozen=True)
class CodedTask:
    """A live primary or second task and its latest submitted scores (None: not yet)."""

    id: int
    recording_id: int
    role: str
    instrument_version_id: int
    scores: Scores | None


@dataclass(frozen=True)
class CodingState:
    """One recording's live coded tasks (by task id), coder count and adjudicated dimensions."""

    tasks: list[CodedTask]
    coders: int
    adjudicated: dict[int, set[str]]  # instrument version id -> adjudicated dimensions

    def pending(self) -> list[str]:
        """What ``needs_adjudication`` returns for this recording."""
        by_version: dict[int, list[CodedTask]] = defaultdict(list)
        for task in self.tasks:
            by_version[task.instrument_version_id].append(task)
        waiting = []
        for version_id, tasks in by_version.items():
            settled = self.adjudicated.get(version_id, set())
            for key, outcome in agree([t.scores for t in tasks], self.coders).items():
                if outcome is None and key not in settled:
                    waiting.append(key)
        return sorted(waiting)

    def pair_version(self) -> int | None:
        """The instrument version of the coded pair ``get_coded_pair`` would find, if any."""
        found: dict[str, CodedTask] = {}
        for task in self.tasks:
            if task.scores is not None:
                found.setdefault(task.role, task)
        if len(found) < len(CODED_ROLES):
            return None
        versions = {task.instrument_version_id for task in found.values()}
        return versions.pop() if len(versions) == 1 else None


def load_coding_states(select_ids: RecordingIds) -> dict[int, CodingState]:
    """The coding state of every recording whose id ``select_ids`` selects.

    The ids are read once and then given to the four queries as a literal list: as a
    subquery, an expensive selection would run four times.
    """
    recording_ids = _id_list(sorted(set(db.session.scalars(select_ids))))
    scores = _latest_submitted_scores(recording_ids)
    tasks: dict[int, list[CodedTask]] = defaultdict(list)
    query = (
        sa.select(
            RatingTask.id,
            RatingTask.recording_id,
            RatingTask.role,
            RatingTask.instrument_version_id,
        )
        .where(
            RatingTask.recording_id.in_(recording_ids),
            RatingTask.role.in_(CODED_ROLES),
            RatingTask.status != TaskStatus.RECUSED,
        )
        .order_by(RatingTask.id)
    )
    for task_id, recording_id, role, version_id in db.session.execute(query):
        tasks[recording_id].append(
            CodedTask(task_id, recording_id, role, version_id, scores.get(task_id))
        )
    coders = _coder_counts(recording_ids)
    adjudicated = _adjudicated(recording_ids)
    return {
        recording_id: CodingState(tasks.get(recording_id, []), count, adjudicated[recording_id])
        for recording_id, count in coders.items()
    }


def coding_fingerprint() -> tuple[Any, ...]:
    """Aggregates that change whenever any recording's coding state could: the ratings and
    tasks (:func:`webapp.reports.data.rating_fingerprint`) and the final scores.  A final
    score is inserted, deleted, or turned into an adjudicated one; its value may change in
    place, but the coding state only asks whether it exists and whether it was adjudicated.
    """
    finals = [
        sa.select(sa.func.count()).select_from(FinalScore),
        sa.select(sa.func.max(FinalScore.id)),
        sa.select(sa.func.count())
        .select_from(FinalScore)
        .where(FinalScore.method == FinalMethod.ADJUDICATED),
    ]
    return (rating_fingerprint(), tuple(db.session.scalar(query) for query in finals))


def _id_list(ids: list[int]) -> sa.BindParameter[Any]:
    # Rendered into the SQL as numbers, so no database's limit on bound parameters applies.
    return sa.bindparam("recording_ids", ids, expanding=True, literal_execute=True)


def _latest_submitted_scores(recording_ids: IdList) -> dict[int, Scores]:
    """task id -> scores of its latest submitted rating ({} when that rating has none)."""
    query = (
        sa.select(Rating.task_id, RatingScore.dimension, RatingScore.score)
        .join(RatingTask, RatingTask.id == Rating.task_id)
        .outerjoin(RatingScore, RatingScore.rating_id == Rating.id)
        .where(
            RatingTask.recording_id.in_(recording_ids),
            RatingTask.role.in_(CODED_ROLES),
            is_latest_submitted(),
        )
    )
    found: dict[int, Scores] = {}
    for task_id, dimension, score in db.session.execute(query):
        scores = found.setdefault(task_id, {})
        if dimension is not None and score is not None:
            scores[dimension] = score
    return found


def _coder_counts(recording_ids: IdList) -> dict[int, int]:
    """Like ``count_coders``: distinct coded roles allocated, recused slots included."""
    query = (
        sa.select(RatingTask.recording_id, sa.func.count(sa.distinct(RatingTask.role)))
        .where(RatingTask.recording_id.in_(recording_ids), RatingTask.role.in_(CODED_ROLES))
        .group_by(RatingTask.recording_id)
    )
    return {recording_id: int(count) for recording_id, count in db.session.execute(query)}


def _adjudicated(recording_ids: IdList) -> dict[int, dict[int, set[str]]]:
    query = sa.select(
        FinalScore.recording_id, FinalScore.instrument_version_id, FinalScore.dimension
    ).where(
        FinalScore.recording_id.in_(recording_ids),
        FinalScore.method == FinalMethod.ADJUDICATED,
    )
    found: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for recording_id, version_id, dimension in db.session.execute(query):
        found[recording_id][version_id].add(dimension)
    return found
