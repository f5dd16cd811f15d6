"""Calibrating raters against the gold standards: assignment, drift checks, the report.

Calibration tasks are ordinary rating tasks with role ``calibration``.  Raters never see a
task's role, so a gold recording slipped into a live queue looks like any other.  The
statistics are :mod:`rating.calibration`'s; thresholds come from ``CALIBRATION_MAX_BIAS``,
``CALIBRATION_MAX_MAD`` and ``CALIBRATION_MIN_N``.  Callers commit.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

from rating.calibration import CalibrationRow, RaterCalibration, summarise_calibration
from webapp.audit import record_event
from webapp.errors import Conflict, InvalidInput, NotFound
from webapp.extensions import db
from webapp.models import (
    AuditAction,
    GoldStandard,
    InstrumentVersion,
    RatingTask,
    Recording,
    Role,
    TaskRole,
    TaskStatus,
    User,
)
from webapp.moderation.adjudication import submitted_rating
from webapp.review.allocation import add_task, new_public_code, people_in
from webapp.review.instruments import get_rating_instrument


@dataclass(frozen=True)
class Observation:
    """One submitted calibration rating next to its reference scores."""

    rater_id: int
    code: str
    submitted_at: datetime
    pairs: tuple[tuple[str, int | None, int], ...]  # (dimension, rater's score, reference)

    @property
    def differences(self) -> dict[str, int]:
        return {key: score - ref for key, score, ref in self.pairs if score is not None}

    @property
    def mean_difference(self) -> float | None:
        values = list(self.differences.values())
        return sum(values) / len(values) if values else None


def thresholds() -> dict[str, Any]:
    config = current_app.config
    return {
        "max_bias": float(config["CALIBRATION_MAX_BIAS"]),
        "max_mad": float(config["CALIBRATION_MAX_MAD"]),
        "min_n": int(config["CALIBRATION_MIN_N"]),
    }


def list_raters() -> list[User]:
    query = sa.select(User).where(User.active, User.role_rows.any(role=str(Role.RATER)))
    return list(db.session.scalars(query.order_by(User.name)))


def find_rater(user_id: int) -> User:
    """A rater (active or not) whose report may be read; 404 for anyone else."""
    user = db.session.get(User, user_id)
    if user is None or Role.RATER not in user.roles:
        raise NotFound("There is no rater with that number.")
    return user


def get_rater(user_id: int) -> User:
    """An active rater; 404 for no such user, 422 for someone who is not a rater."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("There is no such user.")
    if not user.active or Role.RATER not in user.roles:
        raise InvalidInput(
            "Calibration can only be assigned to an active rater; this person is not one. "
            "Nothing was assigned."
        )
    return user


def has_task_on(rater: User, recording_id: int) -> bool:
    query = sa.select(RatingTask.id).where(
        RatingTask.rater_id == rater.id, RatingTask.recording_id == recording_id
    )
    return db.session.scalar(query.limit(1)) is not None


def eligible_golds(rater: User, *, live_only: bool = False) -> list[GoldStandard]:
    """Gold standards the rater may get: not in the recording, no task on it yet, on a
    current instrument version; one per recording (the newest gold standard).

    For the live queue only gold standards on the instrument live tasks use qualify, so
    nothing about the task differs from its neighbours.
    """
    query = (
        sa.select(GoldStandard)
        .join(InstrumentVersion, InstrumentVersion.id == GoldStandard.instrument_version_id)
        .where(InstrumentVersion.retired_at.is_(None))
        .order_by(GoldStandard.created_at.desc(), GoldStandard.id)
    )
    if live_only:
        live_version = get_rating_instrument()
        query = query.where(
            GoldStandard.in_live_queue, GoldStandard.instrument_version_id == live_version.id
        )
    chosen: dict[int, GoldStandard] = {}
    for gold in db.session.scalars(query):
        recording = gold.recording_id
        if recording in chosen or has_task_on(rater, recording):
            continue
        if str(rater.id) in people_in(_recording(gold)):
            continue
        chosen[recording] = gold
    return sorted(chosen.values(), key=lambda g: g.id)


def _recording(gold: GoldStandard) -> Recording:
    return db.session.get_one(Recording, gold.recording_id)


def create_calibration_task(rater: User, gold: GoldStandard) -> RatingTask:
    recording = _recording(gold)
    if recording.public_code is None:
        recording.public_code = new_public_code()
    task = add_task(recording, rater.id, TaskRole.CALIBRATION, gold_version(gold))
    db.session.flush()
    return task


def gold_version(gold: GoldStandard) -> InstrumentVersion:
    return db.session.get_one(InstrumentVersion, gold.instrument_version_id)


def assign_calibration_set(rater_id: int, by: User) -> list[RatingTask]:
    """Give the rater a calibration task for every gold recording they may rate."""
    rater = get_rater(rater_id)
    tasks = [create_calibration_task(rater, gold) for gold in eligible_golds(rater)]
    if tasks:
        record_event(
            AuditAction.CALIBRATION_ASSIGNED,
            obj=rater,
            actor=by,
            detail={"tasks": [t.id for t in tasks], "recordings": [t.recording_id for t in tasks]},
        )
    return tasks


def slip_in_gold(rater_id: int, by: User) -> RatingTask:
    """Hide one live-queue gold recording in the rater's queue, to check for drift."""
    rater = get_rater(rater_id)
    golds = eligible_golds(rater, live_only=True)
    if not golds:
        raise Conflict(
            "No gold-standard recording marked for the live queue is left for this rater "
            "(they are in it, or already have it). Mark more gold standards for the live queue."
        )
    # Drawn at random, so the order gold recordings reach raters' queues says nothing.
    task = create_calibration_task(rater, secrets.choice(golds))
    record_event(
        AuditAction.CALIBRATION_SLIPPED_IN,
        obj=rater,
        actor=by,
        detail={"task": task.id, "recording": task.recording_id},
    )
    return task


# -- observations and the report ------------------------------------------------------


def list_observations(rater_id: int | None = None) -> list[Observation]:
    """Every submitted calibration rating with a matching gold standard, oldest first."""
    query = sa.select(RatingTask, GoldStandard).join(
        GoldStandard,
        sa.and_(
            GoldStandard.recording_id == RatingTask.recording_id,
            GoldStandard.instrument_version_id == RatingTask.instrument_version_id,
        ),
    )
    query = query.where(RatingTask.role == TaskRole.CALIBRATION)
    if rater_id is not None:
        query = query.where(RatingTask.rater_id == rater_id)
    found = [_observation(task, gold) for task, gold in db.session.execute(query)]
    return sorted((o for o in found if o is not None), key=lambda o: o.submitted_at)


def _observation(task: RatingTask, gold: GoldStandard) -> Observation | None:
    rating = submitted_rating(task)
    if rating is None or rating.submitted_at is None:
        return None
    scores = {s.dimension: s.score for s in rating.scores}
    pairs = tuple((key, scores.get(key), int(reference)) for key, reference in gold.scores.items())
    return Observation(task.rater_id, task.recording.public_code or "", rating.submitted_at, pairs)


def build_report(observations: list[Observation]) -> dict[int, RaterCalibration[Any]]:
    rows = [
        CalibrationRow(o.rater_id, key, score, reference)
        for o in observations
        for key, score, reference in o.pairs
    ]
    return summarise_calibration(rows, **thresholds())


def count_open_calibration(rater: User) -> int:
    query = sa.select(sa.func.count(RatingTask.id)).where(
        RatingTask.rater_id == rater.id,
        RatingTask.role == TaskRole.CALIBRATION,
        RatingTask.status == TaskStatus.OPEN,
    )
    return int(db.session.scalar(query) or 0)


def rater_summaries() -> list[dict[str, Any]]:
    """One line per active rater for the calibration overview."""
    observations = list_observations()
    report = build_report(observations)
    return [
        {
            "id": rater.id,
            "name": rater.name,
            "rated": sum(1 for o in observations if o.rater_id == rater.id),
            "open": count_open_calibration(rater),
            "result": report.get(rater.id),
        }
        for rater in list_raters()
    ]


def _number(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 4)


def result_detail(result: RaterCalibration[Any] | None) -> dict[str, Any]:
    """The calibration result as JSON-ready data (for the audit log)."""
    if result is None:
        return {"calibrated": False, "dimensions": {}}
    return {
        "calibrated": result.is_calibrated,
        "failing": list(result.failing),
        "dimensions": {
            key: {
                "n": c.n,
                "bias": _number(c.bias),
                "mad": _number(c.mean_absolute_difference),
                "exact": _number(c.exact_agreement),
                "within_one": _number(c.within_one_agreement),
            }
            for key, c in result.dimensions.items()
        },
        "thresholds": thresholds(),
    }


def record_calibration_result(rater_id: int, by: User) -> dict[str, Any]:
    """Put the rater's current calibration result on the audit log, and return it."""
    rater = find_rater(rater_id)
    observations = list_observations(rater.id)
    if not observations:
        raise Conflict("This rater has not submitted any calibration rating yet.")
    detail = result_detail(build_report(observations).get(rater.id))
    detail["ratings"] = len(observations)
    record_event(AuditAction.CALIBRATION_RECORDED, obj=rater, actor=by, detail=detail)
    return detail
