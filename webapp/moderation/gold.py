"""Gold standards: reference scores an educator sets for a READY recording.  Callers commit.

All gold-standard recordings together are the *calibration set*.  A gold standard marked
``in_live_queue`` may also be slipped, unannounced, into a calibrated rater's live queue to
watch for drift.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from rating.instruments import Instrument, validate_score
from webapp.audit import record_event
from webapp.errors import Conflict, InvalidInput, NotFound
from webapp.extensions import db
from webapp.models import (
    AuditAction,
    GoldStandard,
    InstrumentVersion,
    Recording,
    RecordingStatus,
    User,
)
from webapp.review.instruments import get_rating_instrument, instrument_of

CANDIDATE_LIMIT = 100
TRUE_VALUES = {"1", "on", "true", "yes", "y"}


def list_gold_standards() -> list[dict[str, Any]]:
    """The calibration set: every gold standard with its recording, newest first."""
    query = (
        sa.select(GoldStandard, Recording, InstrumentVersion)
        .join(Recording, Recording.id == GoldStandard.recording_id)
        .join(InstrumentVersion, InstrumentVersion.id == GoldStandard.instrument_version_id)
        .order_by(GoldStandard.created_at.desc(), GoldStandard.id)
    )
    return [
        {
            "recording_id": recording.id,
            "code": recording.public_code or f"#{recording.id}",
            "title": recording.vignette_version.title,
            "instrument": f"{version.slug} v{version.version}",
            "version_id": version.id,
            "scores": dict(gold_row.scores),
            "in_live_queue": gold_row.in_live_queue,
            "created_at": gold_row.created_at,
        }
        for gold_row, recording, version in db.session.execute(query)
    ]


def list_candidates(limit: int = CANDIDATE_LIMIT) -> list[Recording]:
    """READY recordings that are not gold standards yet, newest first."""
    gold = sa.select(GoldStandard.recording_id)
    query = sa.select(Recording).where(
        Recording.status == RecordingStatus.READY, Recording.id.not_in(gold)
    )
    return list(db.session.scalars(query.order_by(Recording.created_at.desc()).limit(limit)))


def get_ready_recording(recording_id: int) -> Recording:
    recording = db.session.get(Recording, recording_id)
    if recording is None:
        raise NotFound("There is no such recording.")
    if recording.status != RecordingStatus.READY:
        raise Conflict(
            "Only a recording whose transcript is ready can be a gold standard "
            f"(this one is {recording.status})."
        )
    return recording


def get_instrument_version(version_id: object) -> InstrumentVersion:
    """The chosen instrument version, or the one new rating tasks use."""
    if version_id in (None, ""):
        return get_rating_instrument()
    text = str(version_id)
    version = db.session.get(InstrumentVersion, int(text)) if text.isdigit() else None
    if version is None:
        raise InvalidInput("Choose one of the listed instrument versions.")
    return version


def list_instrument_versions() -> list[InstrumentVersion]:
    get_rating_instrument()  # stores the built-in instruments on first use
    query = sa.select(InstrumentVersion).where(InstrumentVersion.retired_at.is_(None))
    return list(
        db.session.scalars(query.order_by(InstrumentVersion.slug, InstrumentVersion.version))
    )


def get_gold(recording: Recording, version: InstrumentVersion) -> GoldStandard | None:
    return db.session.scalar(
        sa.select(GoldStandard).filter_by(
            recording_id=recording.id, instrument_version_id=version.id
        )
    )


def parse_reference_scores(instrument: Instrument, form: Mapping[str, Any]) -> dict[str, int]:
    """One whole-number score per dimension from ``score-<key>`` fields; all are required."""
    raw = {d.key: str(form.get(f"score-{d.key}", "")).strip() for d in instrument.dimensions}
    missing = [instrument.dimension(key).label for key, text in raw.items() if not text]
    if missing:
        raise InvalidInput(
            "A gold standard needs a reference score for every dimension. "
            f"Missing: {', '.join(missing)}. Nothing was stored."
        )
    return {key: _reference(instrument, key, text) for key, text in raw.items()}


def _reference(instrument: Instrument, key: str, text: str) -> int:
    try:
        return validate_score(instrument, key, int(text))
    except (TypeError, ValueError):
        label = instrument.dimension(key).label
        bounds = f"{instrument.scale_min} to {instrument.scale_max}"
        raise InvalidInput(
            f"{label}: the reference must be a whole number from {bounds}."
        ) from None


def set_gold_standard(recording_id: int, form: Mapping[str, Any], by: User) -> GoldStandard:
    """Create or update the gold standard of a READY recording for one instrument version."""
    recording = get_ready_recording(recording_id)
    version = get_instrument_version(form.get("instrument_version"))
    if version.retired_at is not None:
        raise InvalidInput("That instrument version is retired; choose a current one.")
    scores = parse_reference_scores(instrument_of(version), form)
    live = str(form.get("in_live_queue", "")).lower() in TRUE_VALUES
    gold = get_gold(recording, version)
    previous = dict(gold.scores) if gold is not None else None
    if gold is None:
        gold = GoldStandard(recording_id=recording.id, instrument_version_id=version.id)
        db.session.add(gold)
    gold.scores = scores
    gold.in_live_queue = live
    gold.set_by_id = by.id
    db.session.flush()
    record_event(
        AuditAction.GOLD_STANDARD_SET,
        obj=recording,
        actor=by,
        detail={
            "instrument_version": version.id,
            "scores": scores,
            "previous": previous,
            "in_live_queue": live,
        },
    )
    return gold


def gold_form_view(recording: Recording, version: InstrumentVersion) -> dict[str, Any]:
    """The gold-standard form's data: dimensions with anchors and any saved scores."""
    instrument = instrument_of(version)
    gold = get_gold(recording, version)
    return {
        "recording_id": recording.id,
        "code": recording.public_code or f"#{recording.id}",
        "title": recording.vignette_version.title,
        "version_id": version.id,
        "instrument": f"{instrument.title} (version {version.version})",
        "points": list(instrument.points),
        "dimensions": [
            {
                "key": d.key,
                "label": d.label,
                "description": d.description,
                "anchors": dict(d.anchors),
            }
            for d in instrument.dimensions
        ],
        "saved": dict(gold.scores) if gold else {},
        "in_live_queue": gold.in_live_queue if gold else False,
        "exists": gold is not None,
    }
