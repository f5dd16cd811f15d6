"""What a rater may see, as plain identity-free dicts.

Rater templates and JSON are built only from these functions.  They copy named fields one
by one: the recording's public code, the vignette's title and summary, the instrument, the
transcript text with speaker roles, and the rater's own rating.  Never a name, email,
cohort, date, file name, internal id, or another rater's scores.
"""

from __future__ import annotations

from typing import Any

from flask import url_for

from webapp.models import Rating, RatingStatus, RatingTask, Segment, TaskStatus
from webapp.paging import Page
from webapp.practice.storage import playback_path
from webapp.review.instruments import instrument_of
from webapp.review.services import RatingInput

SPEAKER_LABELS = {"worker": "Worker", "client": "Parent"}


def rater_item(task: RatingTask) -> dict[str, Any]:
    """One line of a rater's queue."""
    code = task.recording.public_code
    version = task.recording.vignette_version
    return {
        "code": code,
        "title": version.title,
        "summary": version.summary,
        "instrument": instrument_label(task),
        "status": task_status(task),
        "is_submitted": task.status == TaskStatus.SUBMITTED,
        "url": url_for("review.rate", code=code),
    }


def queue_view(queue: Page[RatingTask]) -> dict[str, Any]:
    """One page of a rater's queue, with what its pager needs."""
    return {
        "rows": [rater_item(task) for task in queue.items],
        "total": queue.total,
        "page": queue.page,
        "pages": queue.pages,
        "first": queue.first,
        "last": queue.last,
    }


def instrument_label(task: RatingTask) -> str:
    version = task.instrument_version
    return f"{version.title} (version {version.version})"


def task_status(task: RatingTask) -> str:
    rating = task.current_rating
    if task.status == TaskStatus.SUBMITTED and rating is not None:
        return "Submitted" if rating.version == 1 else "Submitted (changed)"
    return "Draft saved" if rating is not None else "Not started"


def rater_page(task: RatingTask) -> dict[str, Any]:
    """Everything the rating page and its script need."""
    code = task.recording.public_code
    rating = task.current_rating
    return {
        **rater_item(task),
        "instrument": instrument_view(task),
        "transcript": transcript_view(task),
        "rating": rating_view(rating),
        "is_locked": rating is not None and rating.status == RatingStatus.SUBMITTED,
        "is_retired": task.instrument_version.retired_at is not None,
        "can_recuse": task.status == TaskStatus.OPEN,
        "has_audio": playback_path(task.recording).exists(),
        "urls": {
            "page": url_for("review.rate", code=code),
            "audio": url_for("review.audio", code=code),
            "data": url_for("review.data", code=code),
            "recuse": url_for("review.recuse", code=code),
            "queue": url_for("review.index"),
        },
    }


def instrument_view(task: RatingTask) -> dict[str, Any]:
    instrument = instrument_of(task.instrument_version)
    return {
        "label": instrument_label(task),
        "description": instrument.description,
        "points": list(instrument.points),
        "dimensions": [
            {
                "key": d.key,
                "label": d.label,
                "description": d.description,
                "anchors": [{"score": s, "text": text} for s, text in d.anchors.items()],
            }
            for d in instrument.dimensions
        ],
    }


def transcript_view(task: RatingTask) -> dict[str, Any]:
    transcript = task.recording.latest_transcript
    if transcript is None:
        return {"version": 0, "segments": []}
    return {
        "version": transcript.version,
        "segments": [segment_view(s) for s in transcript.segments],
    }


def segment_view(segment: Segment) -> dict[str, Any]:
    return {
        "position": segment.position,
        "line": segment.position + 1,
        "start": round(segment.start, 1),
        "end": round(segment.end, 1),
        "clock": _clock(segment.start),
        "speaker": SPEAKER_LABELS.get(segment.speaker or "", "Unknown speaker"),
        "text": segment.text,
    }


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def rating_view(rating: Rating | None) -> dict[str, Any]:
    """The rater's own current rating (never anyone else's)."""
    if rating is None:
        return {
            "version": 0,
            "status": None,
            "mode": None,
            "scores": {},
            "notes": {},
            "evidence": {},
        }
    evidence: dict[str, list[int]] = {}
    for mark in sorted(rating.evidence, key=lambda m: m.segment_position):
        evidence.setdefault(mark.dimension, []).append(mark.segment_position)
    return {
        "version": rating.version,
        "status": rating.status,
        "mode": rating.mode,
        "scores": {s.dimension: s.score for s in rating.scores if s.score is not None},
        "notes": {s.dimension: s.note for s in rating.scores if s.note},
        "evidence": evidence,
        "change_reason": rating.change_reason,
    }


def entered_view(form: RatingInput) -> dict[str, Any]:
    """A rejected form's values, shown back so the rater loses nothing."""
    return {
        "version": 0,
        "status": None,
        "mode": form.mode,
        "scores": {k: v for k, v in form.scores.items() if v is not None},
        "notes": dict(form.notes),
        "evidence": {k: sorted(v) for k, v in form.evidence.items()},
    }
