"""What a trainee sees once feedback is released: per dimension the final score, what
that level and the next one mean, the raters' comments (as Rater A/B) and the moments in
the transcript they point to.  Built only from released recordings."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import url_for

from rating.instruments import Dimension, Instrument
from webapp.extensions import db
from webapp.models import (
    FinalScore,
    InstrumentVersion,
    Rating,
    RatingStatus,
    RatingTask,
    Recording,
    Segment,
    TaskRole,
    TaskStatus,
    Transcript,
)
from webapp.review.finals import CODED_ROLES
from webapp.review.instruments import instrument_of

RATER_LETTERS = "ABCDEFGH"


@dataclass(frozen=True)
class Moment:
    """A transcript segment a rater pointed to, with a link to that time."""

    start: float
    text: str
    url: str

    @property
    def clock(self) -> str:
        minutes, seconds = divmod(int(self.start), 60)
        return f"{minutes}:{seconds:02d}"


@dataclass(frozen=True)
class Comment:
    rater: str  # "Rater A", never a name
    note: str
    moments: list[Moment] = field(default_factory=list)


@dataclass(frozen=True)
class DimensionFeedback:
    key: str
    label: str
    description: str
    score: float | None  # None: awaiting adjudication
    level: int | None
    level_text: str | None
    next_level: int | None
    next_text: str | None
    comments: list[Comment]

    @property
    def score_text(self) -> str:
        if self.score is None:
            return ""
        return f"{self.score:g}"


@dataclass(frozen=True)
class Feedback:
    recording_id: int
    title: str
    created_at: datetime
    scale_max: int
    dimensions: list[DimensionFeedback]


def build_feedback(recording: Recording) -> Feedback:
    """The released feedback for ``recording`` (the caller checks it is released)."""
    version = get_instrument_version(recording)
    instrument = instrument_of(version)
    finals = _finals(recording, version)
    comments = _comments(recording, version)
    dimensions = [
        _dimension(instrument, d, finals.get(d.key), comments.get(d.key, []))
        for d in instrument.dimensions
    ]
    return Feedback(
        recording_id=recording.id,
        title=recording.vignette_version.title,
        created_at=recording.created_at,
        scale_max=instrument.scale_max,
        dimensions=dimensions,
    )


def get_instrument_version(recording: Recording) -> InstrumentVersion:
    """The instrument the recording's final scores (or its rating tasks) use."""
    query = (
        sa.select(InstrumentVersion)
        .join(FinalScore, FinalScore.instrument_version_id == InstrumentVersion.id)
        .where(FinalScore.recording_id == recording.id)
        .order_by(InstrumentVersion.id.desc())
    )
    version = db.session.scalar(query.limit(1))
    if version is None:
        task_query = (
            sa.select(InstrumentVersion)
            .join(RatingTask)
            .where(RatingTask.recording_id == recording.id)
        )
        version = db.session.scalar(task_query.order_by(RatingTask.id).limit(1))
    if version is None:
        raise LookupError(f"recording {recording.id} has no instrument")
    return version


def _finals(recording: Recording, version: InstrumentVersion) -> dict[str, float]:
    query = sa.select(FinalScore).where(
        FinalScore.recording_id == recording.id, FinalScore.instrument_version_id == version.id
    )
    return {f.dimension: f.score for f in db.session.scalars(query)}


def _dimension(
    instrument: Instrument, dimension: Dimension, score: float | None, comments: list[Comment]
) -> DimensionFeedback:
    level = None if score is None else max(instrument.scale_min, math.floor(score))
    next_level = None if level is None or level >= instrument.scale_max else level + 1
    return DimensionFeedback(
        key=dimension.key,
        label=dimension.label,
        description=dimension.description,
        score=score,
        level=level,
        level_text=dimension.anchors.get(level) if level is not None else None,
        next_level=next_level,
        next_text=dimension.anchors.get(next_level) if next_level is not None else None,
        comments=comments,
    )


def _comments(recording: Recording, version: InstrumentVersion) -> dict[str, list[Comment]]:
    """Each coder's latest submitted notes and evidence, per dimension, as Rater A/B."""
    segments = _segments(recording)
    found: dict[str, list[Comment]] = {}
    for index, rating in enumerate(_submitted_ratings(recording, version)):
        rater = f"Rater {RATER_LETTERS[index % len(RATER_LETTERS)]}"
        notes = {s.dimension: s.note.strip() for s in rating.scores}
        for key in sorted(set(notes) | {m.dimension for m in rating.evidence}):
            moments = _moments(recording, rating, key, segments)
            if notes.get(key) or moments:
                found.setdefault(key, []).append(Comment(rater, notes.get(key, ""), moments))
    return found


def _submitted_ratings(recording: Recording, version: InstrumentVersion) -> list[Rating]:
    query = sa.select(RatingTask).where(
        RatingTask.recording_id == recording.id,
        RatingTask.instrument_version_id == version.id,
        RatingTask.role.in_(CODED_ROLES),
        RatingTask.status == TaskStatus.SUBMITTED,
    )
    ratings = []
    for task in db.session.scalars(
        query.order_by(RatingTask.role != TaskRole.PRIMARY, RatingTask.id)
    ):
        submitted = [r for r in task.ratings if r.status == RatingStatus.SUBMITTED]
        if submitted:
            ratings.append(submitted[-1])
    return ratings


def _segments(recording: Recording) -> dict[tuple[int, int], Segment]:
    query = (
        sa.select(Segment, Transcript.version)
        .join(Transcript)
        .where(Transcript.recording_id == recording.id)
    )
    return {(version, s.position): s for s, version in db.session.execute(query)}


def _moments(
    recording: Recording, rating: Rating, key: str, segments: dict[tuple[int, int], Segment]
) -> list[Moment]:
    marks = sorted(
        (m for m in rating.evidence if m.dimension == key), key=lambda m: m.segment_position
    )
    page = url_for("practice.show", recording_id=recording.id)
    moments = []
    for mark in marks:
        segment = segments.get((mark.transcript_version, mark.segment_position))
        if segment is not None:  # a purged transcript leaves no text to show
            moments.append(Moment(segment.start, segment.text, f"{page}#t={int(segment.start)}"))
    return moments


def feedback_json(feedback: Feedback) -> dict[str, object]:
    """The released feedback as plain data for the JSON view."""
    return {
        "released": True,
        "recording_id": feedback.recording_id,
        "title": feedback.title,
        "dimensions": [
            {
                "key": d.key,
                "label": d.label,
                "score": d.score,
                "level_meaning": d.level_text,
                "to_improve_aim_for": d.next_text,
                "comments": [
                    {
                        "rater": c.rater,
                        "note": c.note,
                        "moments": [
                            {"start": m.start, "text": m.text, "url": m.url} for m in c.moments
                        ],
                    }
                    for c in d.comments
                ],
            }
            for d in feedback.dimensions
        ],
    }
