"""Adjudication: an educator settles the dimensions two independent coders disagree on.

Which dimensions need it (a gap of ``ADJUDICATION_THRESHOLD`` or more) is decided by
:func:`webapp.review.finals.needs_adjudication`.  The consensus goes into ``FinalScore``
with method ``adjudicated``; the raw ratings are never touched.  Callers commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from rating.instruments import Instrument, validate_score
from webapp.audit import record_event
from webapp.errors import Conflict, InvalidInput, NotFound
from webapp.extensions import db
from webapp.models import (
    AuditAction,
    FinalMethod,
    FinalScore,
    InstrumentVersion,
    Rating,
    RatingMode,
    RatingStatus,
    RatingTask,
    Recording,
    Segment,
    TaskRole,
    TaskStatus,
    Transcript,
    User,
    VignetteVersion,
)
from webapp.orm import utcnow
from webapp.paging import Page, page_of
from webapp.reports.memo import memoized
from webapp.review.coding import CodingState, coding_fingerprint, load_coding_states
from webapp.review.finals import needs_adjudication
from webapp.review.instruments import instrument_of

MAX_NOTE_CHARS = 4000
RATER_LABELS = ("Rater A", "Rater B")
MODE_LABELS: dict[str, str] = {
    RatingMode.LISTENED: "Rated by listening",
    RatingMode.READ: "Rated from the transcript",
    RatingMode.BOTH: "Rated by listening and reading",
}


@dataclass(frozen=True)
class CodedPair:
    """The two independent, submitted ratings of a double-coded recording."""

    recording: Recording
    version: InstrumentVersion
    first: Rating
    second: Rating

    @property
    def instrument(self) -> Instrument:
        return instrument_of(self.version)


def submitted_rating(task: RatingTask) -> Rating | None:
    """The latest submitted version of a task's rating (a newer draft does not count)."""
    submitted = [r for r in task.ratings if r.status == RatingStatus.SUBMITTED]
    return submitted[-1] if submitted else None


def get_coded_pair(recording: Recording) -> CodedPair | None:
    """The primary and second coders' submitted ratings, or None if not double-coded."""
    found: dict[str, tuple[RatingTask, Rating]] = {}
    query = sa.select(RatingTask).where(
        RatingTask.recording_id == recording.id,
        RatingTask.role.in_([TaskRole.PRIMARY, TaskRole.SECOND]),
        RatingTask.status != TaskStatus.RECUSED,
    )
    for task in db.session.scalars(query.order_by(RatingTask.id)):
        rating = submitted_rating(task)
        if rating is not None:
            found.setdefault(task.role, (task, rating))
    if TaskRole.PRIMARY not in found or TaskRole.SECOND not in found:
        return None
    (primary, first), (second, other) = found[TaskRole.PRIMARY], found[TaskRole.SECOND]
    if primary.instrument_version_id != second.instrument_version_id:
        return None  # scores on different instruments cannot be compared
    return CodedPair(recording, primary.instrument_version, first, other)


def get_pair_or_409(recording_id: int) -> CodedPair:
    recording = db.session.get(Recording, recording_id)
    if recording is None:
        raise NotFound("There is no such recording.")
    pair = get_coded_pair(recording)
    if pair is None:
        raise Conflict(
            "This recording is not double-coded: it needs two submitted independent ratings "
            "on the same instrument before it can be adjudicated."
        )
    return pair


def adjudicated_scores(pair: CodedPair) -> dict[str, FinalScore]:
    """The adjudicated final scores already recorded for the pair's recording."""
    query = sa.select(FinalScore).where(
        FinalScore.recording_id == pair.recording.id,
        FinalScore.instrument_version_id == pair.version.id,
        FinalScore.method == FinalMethod.ADJUDICATED,
    )
    return {row.dimension: row for row in db.session.scalars(query)}


@dataclass(frozen=True)
class QueueEntry:
    recording_id: int
    code: str
    title: str
    pending: tuple[str, ...]
    settled: tuple[str, ...]


ADJUDICATION_PAGE_SIZE = 50  # recordings per page of the adjudication queue


def adjudication_queue_page(page: int = 1) -> tuple[Page[QueueEntry], int]:
    """One page of :func:`list_adjudication_queue`, and how many recordings in all wait."""
    everything = list_adjudication_queue()
    waiting = sum(1 for entry in everything if entry.pending)
    return page_of(everything, page, ADJUDICATION_PAGE_SIZE), waiting


def list_adjudication_queue() -> tuple[QueueEntry, ...]:
    """Double-coded recordings with at least one dimension over the threshold; pending first.

    With thousands of double-coded recordings this is a few hundred milliseconds of work
    that changes only when ratings or final scores do, so it is kept under
    :func:`webapp.review.coding.coding_fingerprint` (treat the result as read-only).
    """
    return memoized("adjudication_queue", coding_fingerprint(), _list_adjudication_queue)


def _list_adjudication_queue() -> tuple[QueueEntry, ...]:
    # Read for all recordings at once (webapp.review.coding): the same decisions as
    # get_coded_pair and needs_adjudication, in a fixed number of queries.
    second = sa.select(RatingTask.recording_id).where(RatingTask.role == TaskRole.SECOND)
    states = load_coding_states(second)
    query = (
        sa.select(Recording.id, Recording.public_code, VignetteVersion.title)
        .join(VignetteVersion, VignetteVersion.id == Recording.vignette_version_id)
        .where(Recording.id.in_(second))
        .order_by(Recording.id)
    )
    entries = [
        entry
        for recording_id, code, title in db.session.execute(query)
        if (entry := _queue_entry(recording_id, code, title, states.get(recording_id)))
    ]
    return tuple(sorted(entries, key=lambda e: (not e.pending, e.recording_id)))


def _queue_entry(
    recording_id: int, code: str | None, title: str, state: CodingState | None
) -> QueueEntry | None:
    version_id = state.pair_version() if state is not None else None
    if state is None or version_id is None:
        return None
    pending = tuple(state.pending())
    settled = tuple(sorted(state.adjudicated.get(version_id, set())))
    if not pending and not settled:
        return None
    return QueueEntry(
        recording_id=recording_id,
        code=code or f"#{recording_id}",
        title=title,
        pending=pending,
        settled=settled,
    )


def adjudicable(pair: CodedPair) -> set[str]:
    """Dimensions waiting for adjudication, plus those adjudicated (they may be revised)."""
    return set(needs_adjudication(pair.recording)) | set(adjudicated_scores(pair))


def parse_consensus(pair: CodedPair, form: Mapping[str, Any], needed: set[str]) -> dict[str, int]:
    """Read ``score-<dimension>`` fields; blank ones are skipped, bad ones refused."""
    instrument = pair.instrument
    prefix = "score-"
    given = {
        key[len(prefix) :]: str(value).strip()
        for key, value in form.items()
        if key.startswith(prefix) and str(value).strip()
    }
    unknown = sorted(set(given) - set(instrument.dimension_keys))
    if unknown:
        raise InvalidInput(f"{', '.join(unknown)}: not a dimension of {instrument.title}.")
    not_needed = [key for key in instrument.dimension_keys if key in given and key not in needed]
    if not_needed:
        labels = ", ".join(instrument.dimension(key).label for key in not_needed)
        raise Conflict(f"{labels}: the two raters agree closely enough; nothing to adjudicate.")
    if not given:
        raise InvalidInput("Give a consensus score for at least one dimension.")
    return {key: _score(instrument, key, text) for key, text in given.items()}


def _score(instrument: Instrument, key: str, text: str) -> int:
    label = instrument.dimension(key).label
    bounds = f"{instrument.scale_min} to {instrument.scale_max}"
    try:
        return validate_score(instrument, key, int(text))
    except (TypeError, ValueError):
        raise InvalidInput(
            f"{label}: the consensus score must be a whole number from {bounds}."
        ) from None


def record_adjudication(recording_id: int, form: Mapping[str, Any], by: User) -> list[FinalScore]:
    """Store the consensus scores as adjudicated final scores (raw ratings untouched)."""
    pair = get_pair_or_409(recording_id)
    scores = parse_consensus(pair, form, adjudicable(pair))
    note = " ".join(str(form.get("note", "")).split())
    if not note:
        raise InvalidInput("Write a short note on how the consensus was reached.")
    if len(note) > MAX_NOTE_CHARS:
        raise InvalidInput(f"The note is longer than {MAX_NOTE_CHARS} characters.")
    existing = adjudicated_scores(pair)
    changes = {
        key: {"score": score, "previous": existing[key].score if key in existing else None}
        for key, score in scores.items()
    }
    rows = [_store_final(pair, key, score, note, by) for key, score in scores.items()]
    record_event(
        AuditAction.ADJUDICATION_RECORDED,
        obj=pair.recording,
        actor=by,
        detail={"instrument_version": pair.version.id, "dimensions": changes},
    )
    return rows


def _store_final(pair: CodedPair, key: str, score: int, note: str, by: User) -> FinalScore:
    # The row may exist as an adjudicated score being revised, or (rarely) as a stale mean.
    row = db.session.scalar(
        sa.select(FinalScore).filter_by(
            recording_id=pair.recording.id,
            instrument_version_id=pair.version.id,
            dimension=key,
        )
    )
    if row is None:
        row = FinalScore(
            recording_id=pair.recording.id, instrument_version_id=pair.version.id, dimension=key
        )
        db.session.add(row)
    row.score = float(score)
    row.method = FinalMethod.ADJUDICATED
    row.decided_by_id = by.id
    row.note = note
    row.created_at = utcnow()
    db.session.flush()
    return row


# -- the page ------------------------------------------------------------------------


def evidence_segments(recording: Recording) -> dict[tuple[int, int], Segment]:
    """Every segment of every transcript version, by (version, position)."""
    query = sa.select(Segment, Transcript.version).join(Transcript)
    query = query.where(Transcript.recording_id == recording.id)
    return {(version, seg.position): seg for seg, version in db.session.execute(query)}


def rater_view(
    rating: Rating, key: str, segments: Mapping[tuple[int, int], Segment]
) -> dict[str, Any]:
    """One rater's score, note and evidence for a dimension, without who the rater is."""
    score = next((s for s in rating.scores if s.dimension == key), None)
    marks = sorted(
        (m for m in rating.evidence if m.dimension == key),
        key=lambda m: (m.transcript_version, m.segment_position),
    )
    return {
        "score": score.score if score else None,
        "note": score.note if score else "",
        "evidence": [_evidence(m.transcript_version, m.segment_position, segments) for m in marks],
    }


def _evidence(
    version: int, position: int, segments: Mapping[tuple[int, int], Segment]
) -> dict[str, Any]:
    segment = segments.get((version, position))
    if segment is None:
        return {"version": version, "position": position, "missing": True}
    return {
        "version": version,
        "position": position,
        "start": segment.start,
        "speaker": segment.speaker,
        "text": segment.text,
        "missing": False,
    }


def adjudication_view(pair: CodedPair) -> dict[str, Any]:
    """Everything the adjudication page shows, as plain data."""
    instrument = pair.instrument
    needed = adjudicable(pair)
    done = adjudicated_scores(pair)
    segments = evidence_segments(pair.recording)
    dimensions = []
    for dimension in instrument.dimensions:
        first = rater_view(pair.first, dimension.key, segments)
        second = rater_view(pair.second, dimension.key, segments)
        final = done.get(dimension.key)
        dimensions.append(
            {
                "key": dimension.key,
                "label": dimension.label,
                "description": dimension.description,
                "anchors": dict(dimension.anchors),
                "raters": [first, second],
                "gap": _gap(first["score"], second["score"]),
                "needs": dimension.key in needed,
                "final": {"score": final.score, "note": final.note} if final else None,
            }
        )
    return {
        "recording_id": pair.recording.id,
        "code": pair.recording.public_code or f"#{pair.recording.id}",
        "title": pair.recording.vignette_version.title,
        "instrument": f"{instrument.title} (version {pair.version.version})",
        "points": list(instrument.points),
        "labels": RATER_LABELS,
        "modes": [MODE_LABELS.get(r.mode or "", "") for r in (pair.first, pair.second)],
        "dimensions": dimensions,
        "has_needs": any(d["needs"] for d in dimensions),
    }


def _gap(a: int | None, b: int | None) -> int | None:
    return abs(a - b) if a is not None and b is not None else None
