"""Export tables, de-identified by default.

De-identified means: recordings by their public code, raters as ``R01``…, trainees as
``T0001``… (numbered by account order, so the same across exports of one database), no
names or emails.  The cohort is kept in the final-score table: the comparison group is the
point of the analysis, and a cohort label names a group, not a person.  The identified
variant (administrators only, audited) adds the trainee's name and email.

Consent: every row says whether everyone on its recording (trainee and named actor)
opted in to research use (``research_consent``) and whether anyone withdrew
(``consent_withdrawn``).  By default rows without research consent are kept but marked:
the scores were made under the organisation's lawful basis for training, and reliability
statistics for the training itself need them.  ``research_only`` leaves them out, for an
export that goes to research.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import (
    Cohort,
    FinalScore,
    InstrumentVersion,
    Rating,
    RatingScore,
    RatingTask,
    Recording,
    TaskRole,
    User,
)
from webapp.privacy.consent import research_consented_recording_ids, withdrawn_recording_ids
from webapp.reports.data import latest_submitted_rating_ids, select_final_scores

IDENTITY_HEADERS = ("trainee_name", "trainee_email")


class Dataset(StrEnum):
    RATINGS = "ratings"
    FINALS = "final-scores"
    RELIABILITY = "reliability"


@dataclass(frozen=True)
class Table:
    """Rows to write; ``recording_ids`` (one per row) stay internal, never exported."""

    name: str
    headers: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    recording_ids: list[int]


def make_table(name: str, headers: tuple[str, ...], body: list[tuple[Any, ...]]) -> Table:
    """A table from rows whose first item is the recording id."""
    return Table(name, headers[1:], [row[1:] for row in body], [row[0] for row in body])


class Pseudonyms:
    """Stable codes for people: ``R01`` for raters, ``T0001`` for trainees."""

    def __init__(self, prefix: str, width: int, ids: list[int]) -> None:
        self.codes = {uid: f"{prefix}{n:0{width}d}" for n, uid in enumerate(sorted(ids), 1)}

    def __getitem__(self, user_id: int) -> str:
        return self.codes[user_id]


def build_table(
    dataset: Dataset, *, identified: bool = False, research_only: bool = False
) -> Table:
    """The export table ``dataset`` with its consent columns; ``identified`` adds trainee
    names and emails, ``research_only`` keeps only recordings with research consent."""
    builders = {
        Dataset.RATINGS: ratings_table,
        Dataset.FINALS: finals_table,
        Dataset.RELIABILITY: reliability_table,
    }
    table = add_research_consent(builders[dataset](), research_only=research_only)
    return add_identity(table) if identified else table


def add_research_consent(table: Table, *, research_only: bool) -> Table:
    """Append ``research_consent`` to every row; drop rows without it if ``research_only``."""
    consented = research_consented_recording_ids()
    kept = [
        ((*row, rid in consented), rid)
        for row, rid in zip(table.rows, table.recording_ids, strict=True)
        if rid in consented or not research_only
    ]
    return Table(
        table.name,
        (*table.headers, "research_consent"),
        [row for row, _ in kept],
        [rid for _, rid in kept],
    )


def ratings_table() -> Table:
    """Long format: one row per recording x rater x dimension (primary and second coders)."""
    rows = _rating_rows()
    raters = Pseudonyms("R", 2, _all_ids(RatingTask.rater_id))
    withdrawn = withdrawn_recording_ids()
    headers = (
        "recording_id",
        "recording_code",
        "rater",
        "dimension",
        "score",
        "role",
        "submitted_on",
        "instrument",
        "instrument_version",
        "consent_withdrawn",
    )
    body = [
        (
            rid,
            code,
            raters[rater],
            dim,
            score,
            role,
            submitted.date().isoformat() if submitted else "",
            slug,
            version,
            rid in withdrawn,
        )
        for rid, code, rater, dim, score, role, submitted, slug, version in rows
    ]
    return make_table("ratings", headers, body)


def finals_table() -> Table:
    """One row per recording x dimension with its final score and the trainee's cohort."""
    query = select_final_scores(
        Recording.id,
        Recording.public_code,
        Recording.trainee_id,
        Cohort.name,
        FinalScore.dimension,
        FinalScore.score,
        FinalScore.method,
        InstrumentVersion.slug,
        InstrumentVersion.version,
        Recording.created_at,
    ).order_by(
        Recording.id, InstrumentVersion.slug, InstrumentVersion.version, FinalScore.dimension
    )
    trainees = Pseudonyms("T", 4, _all_ids(Recording.trainee_id))
    withdrawn = withdrawn_recording_ids()
    headers = (
        "recording_id",
        "recording_code",
        "trainee",
        "cohort",
        "dimension",
        "score",
        "method",
        "instrument",
        "instrument_version",
        "recorded_on",
        "consent_withdrawn",
    )
    body = [
        (
            rid,
            code or f"#{rid}",
            trainees[tid],
            cohort or "",
            dim,
            score,
            method,
            slug,
            version,
            made.date().isoformat(),
            rid in withdrawn,
        )
        for rid, code, tid, cohort, dim, score, method, slug, version, made in db.session.execute(
            query
        )
    ]
    return make_table("final_scores", headers, body)


def reliability_table() -> Table:
    """Double-coded recordings, wide: the primary coder's and the second coder's score."""
    pairs: dict[tuple[int, str, str, int, str], dict[str, int | None]] = defaultdict(dict)
    for rid, code, _rater, dim, score, role, _when, slug, version in _rating_rows():
        pairs[(rid, code, slug, version, dim)][role] = score
    withdrawn = withdrawn_recording_ids()
    headers = (
        "recording_id",
        "recording_code",
        "instrument",
        "instrument_version",
        "dimension",
        "coder1",
        "coder2",
        "consent_withdrawn",
    )
    body = [
        (
            rid,
            code,
            slug,
            version,
            dim,
            scores[TaskRole.PRIMARY],
            scores[TaskRole.SECOND],
            rid in withdrawn,
        )
        for (rid, code, slug, version, dim), scores in sorted(pairs.items())
        if TaskRole.PRIMARY in scores and TaskRole.SECOND in scores
    ]
    return make_table("reliability", headers, body)


def add_identity(table: Table) -> Table:
    """Append the trainee's name and email to every row (keyed on its recording id)."""
    people = dict(
        (rid, (name, email))
        for rid, name, email in db.session.execute(
            sa.select(Recording.id, User.name, User.email).join(
                User, User.id == Recording.trainee_id
            )
        )
    )
    rows = [
        (*row, *people.get(rid, ("", "")))
        for row, rid in zip(table.rows, table.recording_ids, strict=True)
    ]
    return Table(table.name, (*table.headers, *IDENTITY_HEADERS), rows, table.recording_ids)


def _rating_rows() -> list[tuple[Any, ...]]:
    query = (
        sa.select(
            Recording.id,
            Recording.public_code,
            RatingTask.rater_id,
            RatingScore.dimension,
            RatingScore.score,
            RatingTask.role,
            Rating.submitted_at,
            InstrumentVersion.slug,
            InstrumentVersion.version,
        )
        .join(RatingTask, RatingTask.recording_id == Recording.id)
        .join(InstrumentVersion, InstrumentVersion.id == RatingTask.instrument_version_id)
        .join(Rating, Rating.task_id == RatingTask.id)
        .join(RatingScore, RatingScore.rating_id == Rating.id)
        .where(
            RatingTask.role.in_([TaskRole.PRIMARY, TaskRole.SECOND]),
            Rating.id.in_(latest_submitted_rating_ids()),
            RatingScore.score.is_not(None),
        )
        .order_by(Recording.id, RatingTask.role, RatingScore.dimension)
    )
    return [(rid, code or f"#{rid}", *rest) for rid, code, *rest in db.session.execute(query)]


def _all_ids(column: Any) -> list[int]:
    return list(db.session.scalars(sa.select(column).distinct()))
