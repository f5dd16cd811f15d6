"""Blind allocation of READY recordings to raters, and recusal.  Callers commit.

The pure algorithm lives in :mod:`rating.allocation`; this module turns rows into its
opaque records (ids as strings, the cohort id as a group label that never leaves the
algorithm) and its tasks back into rows.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from rating import allocation as algo
from webapp.audit import record_event
from webapp.extensions import db
from webapp.models import (
    AuditAction,
    InstrumentVersion,
    RatingTask,
    Recording,
    RecordingStatus,
    Role,
    TaskRole,
    TaskStatus,
    User,
)
from webapp.orm import utcnow
from webapp.review.instruments import get_rating_instrument

CODED_ROLES = (TaskRole.PRIMARY, TaskRole.SECOND)
MAX_CODE_ATTEMPTS = 50


@dataclass(frozen=True)
class AllocationReport:
    """What one allocation run did."""

    allocated: int = 0  # recordings that got their raters
    refilled: int = 0  # recused tasks given to a new rater
    pending: int = 0  # recordings still waiting (no eligible rater)
    message: str = ""


def allocate_recordings(
    recording_ids: Sequence[int] | None = None, *, seed: int | None = None
) -> AllocationReport:
    """Give every pending READY recording (or just ``recording_ids``) a code and raters.

    A recording nobody may rate (no raters, or every rater is in it) stays pending, and so
    does the whole batch if the rules cannot be met; the report's message says why.  When
    too few raters are eligible for the double-coded share, the batch is single-coded and
    later batches make the share up (the running counts are passed on).
    """
    refilled = refill_recused_slots(list_raters(), recording_ids)
    raters = list_raters()
    rater_ids = frozenset(str(user.id) for user, _ in raters)
    pending = list_unallocated(recording_ids)
    batch = [r for r in pending if rater_ids - excluded_raters(r)]
    stuck = len(pending) - len(batch)
    note = f"{stuck} recording(s) have no eligible rater." if stuck else ""
    if not batch:
        return AllocationReport(refilled=refilled, pending=stuck, message=note)
    records = [as_algo_recording(r) for r in batch]
    fraction, deferred = feasible_fraction(records, rater_ids)
    double, total = count_coded()
    try:
        result = algo.allocate_raters(
            records,
            [algo.Rater(str(user.id), load) for user, load in raters],
            double_fraction=fraction,
            seed=seed,
            already_double=double,
            already_total=total,
        )
    except ValueError as error:
        return AllocationReport(refilled=refilled, pending=len(pending), message=str(error))
    store_allocation(batch, result)
    return AllocationReport(len(batch), refilled, stuck, " ".join(filter(None, (note, deferred))))


def feasible_fraction(
    records: Sequence[algo.Recording], rater_ids: frozenset[str]
) -> tuple[float, str]:
    """The configured double-coded share, or 0 (with a note) when too few recordings have
    two eligible raters to meet it in this batch."""
    fraction = float(current_app.config["DOUBLE_CODED_FRACTION"])
    double, total = count_coded()
    wanted = algo.count_double_coded(
        len(records), fraction=fraction, already_double=double, already_total=total
    )
    possible = sum(1 for record in records if len(rater_ids - record.people) >= 2)
    if possible >= wanted:
        return fraction, ""
    return 0.0, (
        f"Double coding deferred: {wanted} recording(s) should get a second rater but only "
        f"{possible} have two eligible raters."
    )


def list_unallocated(recording_ids: Sequence[int] | None = None) -> list[Recording]:
    """READY recordings without any primary or second task yet."""
    coded = sa.select(RatingTask.recording_id).where(RatingTask.role.in_(CODED_ROLES))
    query = sa.select(Recording).where(
        Recording.status == RecordingStatus.READY, Recording.id.not_in(coded)
    )
    if recording_ids is not None:
        query = query.where(Recording.id.in_(recording_ids))
    return list(db.session.scalars(query.order_by(Recording.id)))


def list_raters() -> list[tuple[User, int]]:
    """Active raters with their open task counts."""
    open_tasks = (
        sa.select(sa.func.count(RatingTask.id))
        .where(RatingTask.rater_id == User.id, RatingTask.status == TaskStatus.OPEN)
        .scalar_subquery()
    )
    query = sa.select(User, open_tasks).where(User.active, User.role_rows.any(role=str(Role.RATER)))
    return [(user, int(load)) for user, load in db.session.execute(query.order_by(User.id))]


def count_coded() -> tuple[int, int]:
    """(double-coded, total) recordings allocated so far, for the running fraction."""
    total = sa.select(sa.func.count(sa.distinct(RatingTask.recording_id))).where(
        RatingTask.role.in_(CODED_ROLES)
    )
    double = sa.select(sa.func.count(sa.distinct(RatingTask.recording_id))).where(
        RatingTask.role == TaskRole.SECOND
    )
    return int(db.session.scalar(double) or 0), int(db.session.scalar(total) or 0)


def people_in(recording: Recording) -> frozenset[str]:
    people = {str(recording.trainee_id)}
    if recording.actor_id is not None:
        people.add(str(recording.actor_id))
    return frozenset(people)


def excluded_raters(recording: Recording) -> frozenset[str]:
    """Who may not code it: the people in it, and raters already holding a task on it
    (e.g. a calibration task on a gold-standard recording)."""
    holders = {str(task.rater_id) for task in recording_tasks(recording.id)}
    return people_in(recording) | holders


def as_algo_recording(recording: Recording) -> algo.Recording:
    cohort = recording.trainee.cohort_id if recording.trainee else None
    return algo.Recording(str(recording.id), excluded_raters(recording), str(cohort or ""))


def store_allocation(recordings: Sequence[Recording], result: algo.Allocation) -> None:
    instrument = get_rating_instrument()
    by_id = {str(r.id): r for r in recordings}
    for recording in recordings:
        # A gold-standard recording may already be known to a rater by its code.
        recording.public_code = recording.public_code or new_public_code()
    for task in result.tasks:
        add_task(by_id[task.recording_id], int(task.rater_id), TaskRole(task.role), instrument)
    db.session.flush()
    for recording in recordings:
        detail = {"seed": result.seed, "double_coded": str(recording.id) in result.double_coded}
        record_event(AuditAction.RATING_ALLOCATED, obj=recording, detail=detail)


def add_task(
    recording: Recording, rater_id: int, role: TaskRole, instrument: InstrumentVersion
) -> RatingTask:
    task = RatingTask(
        recording_id=recording.id,
        rater_id=rater_id,
        instrument_version_id=instrument.id,
        role=role,
        status=TaskStatus.OPEN,
        sort_key=secrets.randbelow(2**31),
    )
    db.session.add(task)
    return task


def new_public_code() -> str:
    """A code no recording has yet."""
    for _ in range(MAX_CODE_ATTEMPTS):
        code = algo.generate_public_code()
        taken = sa.select(Recording.id).where(Recording.public_code == code)
        if db.session.scalar(taken) is None:
            return code
    raise RuntimeError("could not find an unused public code")  # pragma: no cover


# -- recusal ---------------------------------------------------------------------------


def recuse_task(task: RatingTask, reason: str | None) -> RatingTask | None:
    """Close ``task`` as recused and hand the recording to another rater (or leave it
    pending when nobody is eligible).  Returns the replacement task, if any."""
    task.status = TaskStatus.RECUSED
    task.closed_at = utcnow()
    task.recusal_reason = (reason or "").strip()[:2000] or None
    db.session.flush()
    # The reason may name the person recognised: it stays on the task, not in the log.
    record_event(
        AuditAction.RATING_RECUSED,
        obj=task,
        detail={"role": task.role, "has_reason": task.recusal_reason is not None},
    )
    if task.role not in CODED_ROLES:
        return None  # a calibration task is simply withdrawn, never handed to someone else
    return refill_slot(task.recording, TaskRole(task.role), list_raters(), task)


def refill_slot(
    recording: Recording,
    role: TaskRole,
    raters: Sequence[tuple[User, int]],
    recused: RatingTask,
) -> RatingTask | None:
    """Give a recused slot to the least-loaded eligible rater; None if there is none."""
    tasks = [t for t in recording_tasks(recording.id) if t.role in CODED_ROLES]
    declined = {str(t.rater_id) for t in tasks if t.status == TaskStatus.RECUSED}
    other = [t for t in tasks if t.role != role and t.status != TaskStatus.RECUSED]
    try:
        rater_id = algo.reallocate(
            algo.Recording(str(recording.id), excluded_raters(recording) - {str(recused.rater_id)}),
            [algo.Rater(str(u.id), load) for u, load in raters],
            declined_by=str(recused.rater_id),
            other_coder=str(other[0].rater_id) if other else None,
            excluded=declined,
        )
    except ValueError:
        return None
    version = recused.instrument_version
    instrument = version if version.retired_at is None else get_rating_instrument()
    task = add_task(recording, int(rater_id), role, instrument)
    db.session.flush()
    record_event(
        AuditAction.RATING_ALLOCATED,
        obj=recording,
        detail={"role": role, "replaces_task": recused.id},
    )
    return task


def recording_tasks(recording_id: int) -> list[RatingTask]:
    query = sa.select(RatingTask).where(RatingTask.recording_id == recording_id)
    return list(db.session.scalars(query.order_by(RatingTask.id)))


def refill_recused_slots(
    raters: Sequence[tuple[User, int]], recording_ids: Sequence[int] | None = None
) -> int:
    """Retry the recused slots that found no replacement when they were handed back."""
    filled = 0
    for recording, role, recused in list_unfilled_slots(recording_ids):
        if refill_slot(recording, role, raters, recused) is not None:
            filled += 1
    return filled


def list_unfilled_slots(
    recording_ids: Sequence[int] | None = None,
) -> list[tuple[Recording, TaskRole, RatingTask]]:
    query = sa.select(RatingTask).where(
        RatingTask.status == TaskStatus.RECUSED, RatingTask.role.in_(CODED_ROLES)
    )
    if recording_ids is not None:
        query = query.where(RatingTask.recording_id.in_(recording_ids))
    slots: dict[tuple[int, str], RatingTask] = {}
    for task in db.session.scalars(query.order_by(RatingTask.id)):
        live = [
            t
            for t in recording_tasks(task.recording_id)
            if t.role == task.role and t.status != TaskStatus.RECUSED
        ]
        if not live:
            slots[(task.recording_id, task.role)] = task
    return [(t.recording, TaskRole(t.role), t) for t in slots.values()]
