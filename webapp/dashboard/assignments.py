"""Assigning vignettes to trainees or cohorts, with parallel forms across time points.

Parallel forms are vignettes sharing a ``parallel_group``: comparable scenarios, so a
trainee meets a comparable but new scenario at each time point instead of repeating one
they already know.  Domain writes only flush; the view commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from webapp.audit import record_event
from webapp.errors import InvalidInput
from webapp.extensions import db
from webapp.models import (
    Assignment,
    AuditAction,
    Cohort,
    Recording,
    Role,
    User,
    Vignette,
    VignetteVersion,
)
from webapp.orm import utcnow


@dataclass(frozen=True)
class AssignmentRequest:
    """What the form asked for, still unchecked (ids as typed)."""

    vignette_id: int | None
    trainee_id: int | None
    cohort_id: int | None
    due_on: date | None = None
    time_point: str = ""
    note: str = ""


def used_vignette_ids(trainee_ids: Iterable[int]) -> set[int]:
    """Vignettes any of these trainees already has a recording of."""
    ids = list(trainee_ids)
    if not ids:
        return set()
    query = (
        sa.select(VignetteVersion.vignette_id)
        .join(Recording, Recording.vignette_version_id == VignetteVersion.id)
        .where(Recording.trainee_id.in_(ids))
        .distinct()
    )
    return set(db.session.scalars(query))


def list_siblings(vignette: Vignette) -> list[Vignette]:
    """Live vignettes whose current version shares ``vignette``'s parallel group."""
    group = vignette.current.parallel_group
    if not group:
        return []
    candidates = db.session.scalars(
        sa.select(Vignette)
        .join(VignetteVersion, VignetteVersion.vignette_id == Vignette.id)
        .where(VignetteVersion.parallel_group == group, Vignette.retired_at.is_(None))
        .distinct()
        .order_by(Vignette.slug)
    )
    return [v for v in candidates if v.id != vignette.id and v.current.parallel_group == group]


def suggest_parallel_form(trainee_ids: Iterable[int], vignette: Vignette) -> Vignette | None:
    """The parallel form to use instead of ``vignette``, or None when no switch is needed.

    None when ``vignette`` has no parallel group or none of the trainees has recorded it
    yet; otherwise the first sibling in the group that none of them has recorded (None
    when every form is used up).
    """
    used = used_vignette_ids(trainee_ids)
    if vignette.id not in used:
        return None
    return next((v for v in list_siblings(vignette) if v.id not in used), None)


def resolve_trainee_ids(request: AssignmentRequest) -> list[int]:
    """The trainees an assignment reaches (one trainee, or a cohort's active members)."""
    if request.trainee_id is not None:
        return [request.trainee_id]
    query = sa.select(User.id).where(User.cohort_id == request.cohort_id, User.active.is_(True))
    return list(db.session.scalars(query))


def validate_request(request: AssignmentRequest, today: date) -> Vignette:
    """Refuse bad input with a message fit to show; return the vignette."""
    if (request.trainee_id is None) == (request.cohort_id is None):
        raise InvalidInput("Choose either one trainee or one cohort, not both and not neither.")
    vignette = db.session.get(Vignette, request.vignette_id) if request.vignette_id else None
    if vignette is None:
        raise InvalidInput("There is no such vignette.")
    if vignette.is_retired:
        raise InvalidInput("This vignette is retired: choose a current one.")
    if request.trainee_id is not None:
        trainee = db.session.get(User, request.trainee_id)
        if trainee is None or not trainee.active or not trainee.has_role(Role.TRAINEE):
            raise InvalidInput("There is no such trainee.")
    if request.cohort_id is not None and db.session.get(Cohort, request.cohort_id) is None:
        raise InvalidInput("There is no such cohort.")
    if request.due_on is not None and request.due_on < today:
        raise InvalidInput("The due date is in the past.")
    if len(request.time_point) > 80:
        raise InvalidInput("The time-point label is longer than 80 characters.")
    return vignette


def create_assignment(request: AssignmentRequest, creator: User) -> Assignment:
    """Store an assignment and its audit event (flushes, does not commit)."""
    vignette = validate_request(request, utcnow().date())
    assignment = Assignment(
        vignette_id=vignette.id,
        trainee_id=request.trainee_id,
        cohort_id=request.cohort_id,
        due_on=request.due_on,
        time_point=request.time_point.strip(),
        note=request.note.strip(),
        created_by_id=creator.id,
    )
    db.session.add(assignment)
    db.session.flush()
    record_event(
        AuditAction.ASSIGNMENT_CREATED,
        obj=assignment,
        actor=creator,
        detail={
            "vignette": vignette.slug,
            "trainee_id": request.trainee_id,
            "cohort_id": request.cohort_id,
            "time_point": assignment.time_point,
            "due_on": request.due_on.isoformat() if request.due_on else None,
        },
    )
    return assignment


def list_assignments() -> list[dict[str, Any]]:
    """Every assignment, newest first, as plain rows for the list page."""
    query = (
        sa.select(Assignment, Vignette, User.name, Cohort.name)
        .join(Vignette, Vignette.id == Assignment.vignette_id)
        .outerjoin(User, User.id == Assignment.trainee_id)
        .outerjoin(Cohort, Cohort.id == Assignment.cohort_id)
        .order_by(Assignment.created_at.desc(), Assignment.id.desc())
    )
    return [
        {
            "id": a.id,
            "title": v.current.title,
            "who": trainee or f"Cohort: {cohort}",
            "time_point": a.time_point,
            "due_on": a.due_on,
            "note": a.note,
        }
        for a, v, trainee, cohort in db.session.execute(query)
    ]


def my_assignments(user: User) -> list[dict[str, Any]]:
    """A trainee's own and cohort assignments as plain dicts, soonest due first.

    ``is_done`` is true once the trainee has a recording of the vignette made after the
    assignment was set; ``is_overdue`` when it is not done and the due date has passed.
    """
    whom: sa.ColumnElement[bool] = Assignment.trainee_id == user.id
    if user.cohort_id is not None:
        whom = sa.or_(whom, Assignment.cohort_id == user.cohort_id)
    rows = db.session.execute(
        sa.select(Assignment, Vignette).join(Vignette).where(whom, Vignette.retired_at.is_(None))
    ).all()
    done = _recorded_since(user.id)
    today = utcnow().date()
    items = [_my_row(a, v, done, today) for a, v in rows]
    return sorted(items, key=lambda i: (i["is_done"], i["due_on"] or date.max, i["title"]))


def _recorded_since(trainee_id: int) -> dict[int, Any]:
    """Vignette id -> the trainee's latest recording time of it."""
    query = (
        sa.select(VignetteVersion.vignette_id, sa.func.max(Recording.created_at))
        .join(Recording, Recording.vignette_version_id == VignetteVersion.id)
        .where(Recording.trainee_id == trainee_id)
        .group_by(VignetteVersion.vignette_id)
    )
    return {row[0]: row[1] for row in db.session.execute(query)}


def _my_row(a: Assignment, v: Vignette, done: dict[int, Any], today: date) -> dict[str, Any]:
    last = done.get(v.id)
    is_done = last is not None and _naive(last) >= _naive(a.created_at)
    return {
        "title": v.current.title,
        "slug": v.slug,
        "time_point": a.time_point,
        "due_on": a.due_on,
        "note": a.note,
        "is_done": is_done,
        "is_overdue": not is_done and a.due_on is not None and a.due_on < today,
    }


def _naive(moment: Any) -> Any:
    # SQLite hands back naive datetimes; compare both sides without the zone.
    return moment.replace(tzinfo=None)
