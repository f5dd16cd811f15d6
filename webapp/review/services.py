"""A rater's tasks and ratings: draft, submit (locked), change with a reason.  Callers commit.

Raw ratings are never edited after submission: a change is a new :class:`Rating` version with
its reason, so reliability statistics can always use the first independent scores.

Repeats are harmless: submitting exactly the submitted rating again (a double click, a
resent form) returns it and stores nothing; submitting *different* scores to a submitted
rating is a 409 that says to use a change with a reason.  Repeating the same change with the
same reason is harmless too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa
import sqlalchemy.orm as so

from rating.allocation import PUBLIC_CODE_PATTERN
from rating.instruments import Instrument, validate_score
from webapp.audit import record_event
from webapp.errors import Conflict, InvalidInput, NotFound
from webapp.extensions import db
from webapp.models import (
    AuditAction,
    EvidenceMark,
    Rating,
    RatingMode,
    RatingScore,
    RatingStatus,
    RatingTask,
    Recording,
    TaskStatus,
    User,
)
from webapp.orm import utcnow
from webapp.paging import Page, page_number
from webapp.review.finals import update_final_scores
from webapp.review.instruments import instrument_of

MAX_NOTE_CHARS = 5000
MAX_REASON_CHARS = 2000
QUEUE_PAGE_SIZE = 25  # tasks per page of a rater's queue, open and submitted alike
MODES = {str(mode) for mode in RatingMode}


@dataclass(frozen=True)
class RatingInput:
    """What a rater sent: scores may be None in a draft."""

    scores: Mapping[str, int | None] = field(default_factory=dict)
    notes: Mapping[str, str] = field(default_factory=dict)
    evidence: Mapping[str, frozenset[int]] = field(default_factory=dict)
    mode: str | None = None


# -- finding tasks ---------------------------------------------------------------------


def get_rater_task(rater: User, code: str) -> RatingTask:
    """The rater's live task for the recording with ``code``; 404 for anything else."""
    if not PUBLIC_CODE_PATTERN.fullmatch(code):
        raise NotFound("There is no recording with that code in your queue.")
    query = (
        sa.select(RatingTask)
        .join(Recording, Recording.id == RatingTask.recording_id)
        .where(
            Recording.public_code == code,
            RatingTask.rater_id == rater.id,
            RatingTask.status != TaskStatus.RECUSED,
        )
    )
    task = db.session.scalar(query.order_by(RatingTask.id).limit(1))
    if task is None:
        raise NotFound("There is no recording with that code in your queue.")
    return task


def list_queue(rater: User, status: TaskStatus, page: int = 1) -> Page[RatingTask]:
    """One page of the rater's open tasks (in their stable shuffled order) or submitted
    tasks (most recently submitted first).

    A busy rater has submitted hundreds of ratings; rendering all of them made the queue
    the slowest rater page under load, so both lists come a page at a time.
    """
    mine = (RatingTask.rater_id == rater.id, RatingTask.status == status)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(RatingTask).where(*mine))
    page = page_number(page, total or 0, QUEUE_PAGE_SIZE)
    order = (
        (RatingTask.sort_key, RatingTask.id)
        if status == TaskStatus.OPEN
        else (RatingTask.closed_at.desc(), RatingTask.id.desc())
    )
    query = (
        sa.select(RatingTask)
        .where(*mine)
        .order_by(*order)
        .limit(QUEUE_PAGE_SIZE)
        .offset((page - 1) * QUEUE_PAGE_SIZE)
    )
    # Everything a queue line shows, loaded in a fixed number of queries.
    query = query.options(
        # Only the columns a queue line shows: each rating's scores and evidence
        # (selectin-loaded by default) would be rows unused.
        so.selectinload(RatingTask.recording)
        .load_only(Recording.public_code, Recording.vignette_version_id)
        .selectinload(Recording.vignette_version),
        so.selectinload(RatingTask.instrument_version),
        so.selectinload(RatingTask.ratings)
        .load_only(Rating.task_id, Rating.version, Rating.status)
        .options(so.lazyload(Rating.scores), so.lazyload(Rating.evidence)),
    )
    return Page(list(db.session.scalars(query)), total or 0, page, QUEUE_PAGE_SIZE)


def record_view(task: RatingTask, *, as_json: bool = False) -> None:
    record_event(AuditAction.REVIEW_VIEWED, obj=task, detail={"json": True} if as_json else None)


def record_play(task: RatingTask) -> None:
    record_event(AuditAction.REVIEW_AUDIO_PLAYED, obj=task)


# -- validation ------------------------------------------------------------------------


def check_writable(task: RatingTask) -> None:
    if task.status == TaskStatus.RECUSED:
        raise NotFound("There is no recording with that code in your queue.")
    version = task.instrument_version
    if version.retired_at is not None:
        raise Conflict(
            f"The instrument version this task uses ({version.slug} version {version.version}) "
            "has been retired, so no ratings can be saved with it. Nothing was stored; "
            "please ask an administrator to reallocate the recording."
        )


def check_input(task: RatingTask, data: RatingInput, *, complete: bool) -> None:
    """Raise InvalidInput naming the first problem; nothing is written before this passes."""
    instrument = instrument_of(task.instrument_version)
    _check_dimensions(instrument, data)
    for key, score in data.scores.items():
        if score is not None:
            _check_score(instrument, key, score)
    for key, note in data.notes.items():
        if len(note) > MAX_NOTE_CHARS:
            label = instrument.dimension(key).label
            raise InvalidInput(f"{label}: the note is longer than {MAX_NOTE_CHARS} characters.")
    _check_evidence(task, instrument, data)
    if data.mode is not None and data.mode not in MODES:
        raise InvalidInput("How you rated must be one of: listened, read, both.")
    if complete:
        _check_complete(instrument, data)


def _check_dimensions(instrument: Instrument, data: RatingInput) -> None:
    known = set(instrument.dimension_keys)
    unknown = sorted((set(data.scores) | set(data.notes) | set(data.evidence)) - known)
    if unknown:
        raise InvalidInput(
            f"Unknown dimension(s) {', '.join(unknown)}; "
            f"this instrument has {', '.join(instrument.dimension_keys)}."
        )


def _check_score(instrument: Instrument, key: str, score: int) -> None:
    label = instrument.dimension(key).label
    try:
        validate_score(instrument, key, score)
    except (TypeError, ValueError):
        raise InvalidInput(
            f"{label}: {score} is not on the scale; choose a whole number from "
            f"{instrument.scale_min} to {instrument.scale_max}."
        ) from None


def _check_evidence(task: RatingTask, instrument: Instrument, data: RatingInput) -> None:
    transcript = task.recording.latest_transcript
    positions = {s.position for s in transcript.segments} if transcript else set()
    for key, marks in data.evidence.items():
        stray = sorted(set(marks) - positions)
        if stray:
            label = instrument.dimension(key).label
            raise InvalidInput(
                f"{label}: evidence must point at lines of the transcript; "
                f"line {stray[0] + 1} does not exist."
            )


def _check_complete(instrument: Instrument, data: RatingInput) -> None:
    missing = [d.label for d in instrument.dimensions if data.scores.get(d.key) is None]
    if missing:
        raise InvalidInput(
            "Score every dimension before submitting (a draft may be partial). "
            f"Missing: {', '.join(missing)}."
        )
    if data.mode is None:
        raise InvalidInput("Say how you rated before submitting: listened, read, or both.")


# -- writing ---------------------------------------------------------------------------


def save_draft(task: RatingTask, data: RatingInput) -> Rating:
    """Save a partial rating; refused once the rating is submitted."""
    check_writable(task)
    check_input(task, data, complete=False)
    current = task.current_rating
    if current is not None and current.status == RatingStatus.SUBMITTED:
        raise Conflict(
            "This rating is submitted and locked, so it cannot be saved as a draft. "
            "To change it, give a reason and use “Save change”."
        )
    rating = current or _new_rating(task, 1)
    write_content(rating, data)
    db.session.flush()
    record_event(AuditAction.RATING_DRAFT_SAVED, obj=task, detail={"version": rating.version})
    return rating


def submit_rating(task: RatingTask, data: RatingInput) -> tuple[Rating, bool]:
    """Submit and lock the rating; (rating, False) when this exact rating was already in."""
    check_writable(task)
    check_input(task, data, complete=True)
    current = task.current_rating
    if current is not None and current.status == RatingStatus.SUBMITTED:
        if has_content(current, data):
            return current, False
        raise Conflict(
            "You have already submitted this rating, and it is locked. To change it, "
            "give a reason and use “Save change”. Nothing was stored."
        )
    rating = current or _new_rating(task, 1)
    write_content(rating, data)
    _mark_submitted(task, rating)
    db.session.flush()
    record_event(
        AuditAction.RATING_SUBMITTED,
        obj=task,
        detail={"version": rating.version, "mode": rating.mode},
    )
    update_final_scores(task.recording)
    return rating, True


def change_rating(task: RatingTask, data: RatingInput, reason: str | None) -> tuple[Rating, bool]:
    """Make a new submitted version with a reason; (rating, False) for a repeated change."""
    check_writable(task)
    current = task.current_rating
    if current is None or current.status != RatingStatus.SUBMITTED:
        raise Conflict("Only a submitted rating can be changed. Submit it first.")
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidInput("Give a reason for changing a submitted rating. Nothing was stored.")
    if len(reason) > MAX_REASON_CHARS:
        raise InvalidInput(f"The reason is longer than {MAX_REASON_CHARS} characters.")
    check_input(task, data, complete=True)
    if has_content(current, data):
        if current.change_reason == reason:
            return current, False
        raise InvalidInput("The change is identical to your submitted rating; nothing was stored.")
    rating = _new_rating(task, current.version + 1, reason=reason)
    write_content(rating, data)
    _mark_submitted(task, rating)
    db.session.flush()
    changed = sorted(k for k, v in data.scores.items() if _score_map(current).get(k) != v)
    record_event(
        AuditAction.RATING_CHANGED,
        obj=task,
        detail={"version": rating.version, "reason": reason, "scores_changed": changed},
    )
    update_final_scores(task.recording)
    return rating, True


def _new_rating(task: RatingTask, version: int, *, reason: str | None = None) -> Rating:
    rating = Rating(version=version, status=RatingStatus.DRAFT, change_reason=reason)
    task.ratings.append(rating)
    return rating


def _mark_submitted(task: RatingTask, rating: Rating) -> None:
    now = utcnow()
    rating.status = RatingStatus.SUBMITTED
    rating.submitted_at = now
    task.status = TaskStatus.SUBMITTED
    task.closed_at = task.closed_at or now


def write_content(rating: Rating, data: RatingInput) -> None:
    """Make the rating's scores, notes, evidence and mode equal to ``data``, in place."""
    rating.mode = data.mode
    keys = set(data.scores) | set(data.notes)
    existing = {s.dimension: s for s in rating.scores}
    for key in keys:
        row = existing.get(key) or RatingScore(dimension=key)
        row.score = data.scores.get(key)
        row.note = data.notes.get(key, "").strip()
        if key not in existing:
            rating.scores.append(row)
    for key, row in existing.items():
        if key not in keys:
            rating.scores.remove(row)
    _write_evidence(rating, data)


def _write_evidence(rating: Rating, data: RatingInput) -> None:
    transcript = rating.task.recording.latest_transcript
    wanted = {(key, pos) for key, marks in data.evidence.items() for pos in marks}
    have = {(m.dimension, m.segment_position): m for m in rating.evidence}
    for pair, mark in have.items():
        if pair not in wanted:
            rating.evidence.remove(mark)
    for key, pos in sorted(wanted - set(have)):
        rating.evidence.append(
            EvidenceMark(
                dimension=key,
                segment_position=pos,
                transcript_version=transcript.version if transcript else 0,
            )
        )


def _score_map(rating: Rating) -> dict[str, int | None]:
    return {s.dimension: s.score for s in rating.scores}


def has_content(rating: Rating, data: RatingInput) -> bool:
    """True when ``rating`` already says exactly what ``data`` says."""
    notes = {s.dimension: s.note for s in rating.scores if s.note}
    sent_notes = {k: v.strip() for k, v in data.notes.items() if v.strip()}
    scores = {k: v for k, v in _score_map(rating).items() if v is not None}
    sent_scores = {k: v for k, v in data.scores.items() if v is not None}
    evidence = {(m.dimension, m.segment_position) for m in rating.evidence}
    sent_evidence = {(k, p) for k, marks in data.evidence.items() for p in marks}
    return (scores, notes, evidence, rating.mode) == (
        sent_scores,
        sent_notes,
        sent_evidence,
        data.mode,
    )
