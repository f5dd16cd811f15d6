"""Reading training data out of the database as plain records for ``rating.classifier``.

A recording is a training example when it has a latest transcript with some text and a
final score on every dimension of the instrument seen in its final scores (a dimension still
waiting for adjudication keeps the recording out).  Its trainee is its group, so that
cross-validation never has one trainee on both sides.

Segments whose speaker is unknown (``None``: the recogniser could not tell) are rendered as
the worker's.  That is the rule :mod:`rating.features` applies to unlabelled lines, for the
same reason: the worker is the person being assessed, and most unlabelled speech in a
practice interview is theirs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from rating.features import Turn, format_transcript
from webapp.extensions import db
from webapp.models import FinalScore, InstrumentVersion, Recording, Segment, Speaker, Transcript


@dataclass(frozen=True)
class TrainingRecord:
    recording_id: int
    public_code: str | None
    trainee_id: int
    text: str
    scores: dict[str, float]


@dataclass
class TrainingSet:
    """Training records plus what was left out and why (for the CLI and the card)."""

    slug: str
    dimensions: tuple[str, ...]
    records: list[TrainingRecord]
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def n_trainees(self) -> int:
        return len({r.trainee_id for r in self.records})


def is_training_allowed(recording: Recording) -> bool:
    """Whether consent allows this recording to train the classifier.

    True only when the trainee opted in to classifier training and has not withdrawn, and
    so did the actor when the actor has an account (rules in webapp/privacy/consent.py).
    Every path into training data goes through this function.
    """
    from webapp.privacy.consent import is_classifier_allowed

    return is_classifier_allowed(recording)


def render_transcript(segments: list[Segment]) -> str:
    """A transcript in the ``rating.features`` text format (unknown speakers as the worker)."""
    turns = [
        Turn(
            "client" if segment.speaker == Speaker.CLIENT else "worker",
            segment.text,
            float(segment.start),
            float(segment.end),
        )
        for segment in segments
        if segment.text.strip()
    ]
    return format_transcript(turns)


def get_final_scores(slug: str) -> dict[int, dict[str, float]]:
    """recording id -> dimension -> final score (the newest instrument version wins)."""
    query = (
        sa.select(FinalScore.recording_id, FinalScore.dimension, FinalScore.score)
        .join(InstrumentVersion, InstrumentVersion.id == FinalScore.instrument_version_id)
        .where(InstrumentVersion.slug == slug)
        .order_by(InstrumentVersion.version, FinalScore.id)
    )
    scores: dict[int, dict[str, float]] = defaultdict(dict)
    for recording_id, dimension, score in db.session.execute(query):
        scores[recording_id][dimension] = float(score)
    return scores


def get_training_set(slug: str) -> TrainingSet:
    """Every recording usable for training on instrument ``slug``, in id order."""
    scores = get_final_scores(slug)
    dimensions = _dimension_order(scores)
    result = TrainingSet(slug, dimensions, [])
    skipped: dict[str, int] = defaultdict(int)
    for recording in _recordings(sorted(scores)):
        record = _training_record(recording, scores[recording.id], dimensions)
        if isinstance(record, str):
            skipped[record] += 1
        else:
            result.records.append(record)
    result.skipped = dict(skipped)
    return result


def _dimension_order(scores: dict[int, dict[str, float]]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for by_dimension in scores.values():
        seen.update(dict.fromkeys(by_dimension))
    return tuple(seen)


def _recordings(ids: list[int]) -> list[Recording]:
    if not ids:
        return []
    query = sa.select(Recording).where(Recording.id.in_(ids)).order_by(Recording.id)
    return list(db.session.scalars(query))


def _training_record(
    recording: Recording, scores: dict[str, float], dimensions: tuple[str, ...]
) -> TrainingRecord | str:
    """The record, or the reason the recording is left out."""
    if not is_training_allowed(recording):
        return "consent does not allow training"
    if any(d not in scores for d in dimensions):
        return "final scores incomplete"
    text = latest_transcript_text(recording)
    if text is None:
        return "no transcript"
    scored = {d: scores[d] for d in dimensions}
    return TrainingRecord(recording.id, recording.public_code, recording.trainee_id, text, scored)


def get_recording_by_code(code: str) -> Recording | None:
    return db.session.scalar(sa.select(Recording).where(Recording.public_code == code.strip()))


def get_recording(recording_id: int) -> Recording | None:
    return db.session.get(Recording, recording_id)


def latest_transcript_text(recording: Recording) -> str | None:
    """The recording's latest transcript in the classifier's format, or None if empty."""
    transcript: Transcript | None = recording.latest_transcript
    if transcript is None:
        return None
    text = render_transcript(transcript.segments)
    return text or None


def get_public_codes(recording_ids: list[int]) -> set[str]:
    """Public codes of the given recordings (those without one are left out)."""
    if not recording_ids:
        return set()
    query = sa.select(Recording.public_code).where(
        Recording.id.in_(recording_ids), Recording.public_code.is_not(None)
    )
    return {code for code in db.session.scalars(query) if code}
