"""Companion forms: short questionnaires after a session.  Callers commit.

* ``trainee``: the recording's trainee on the realism of the vignette and of the actor;
* ``actor``: the actor named on the recording (with an account), answering in role as the
  parent: felt listened to, understood why the worker came, felt judged.

Each item is a whole number from 1 to 5 (5 = "very much"; for ``felt_judged`` a high score
is the *worse* outcome), plus an optional comment.  Filling a form in is optional.  Each
person answers each form once: the first answers are kept as given (an immediate
impression, not one revised after feedback), so a second submission is refused with 409.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from webapp.audit import record_event
from webapp.errors import Conflict, InvalidInput, NotFound
from webapp.extensions import db
from webapp.models import AuditAction, CompanionResponse, Recording, RecordingStatus, User

SCALE = range(1, 6)
MAX_COMMENT_CHARS = 2000


class CompanionKind(StrEnum):
    TRAINEE = "trainee"
    ACTOR = "actor"


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    low: str
    high: str


QUESTIONS: dict[CompanionKind, tuple[Question, ...]] = {
    CompanionKind.TRAINEE: (
        Question(
            "vignette_realism",
            "How realistic was the scenario?",
            "Not at all realistic",
            "Entirely realistic",
        ),
        Question(
            "actor_realism",
            "How realistic was the actor's portrayal of the parent?",
            "Not at all realistic",
            "Entirely realistic",
        ),
    ),
    CompanionKind.ACTOR: (
        Question(
            "felt_listened_to",
            "As the parent, how far did you feel listened to?",
            "Not at all",
            "Completely",
        ),
        Question(
            "understood_purpose",
            "As the parent, how well did you understand why the worker had come?",
            "Not at all",
            "Completely",
        ),
        Question(
            "felt_judged", "As the parent, how far did you feel judged?", "Not at all", "Very much"
        ),
    ),
}

TITLES = {
    CompanionKind.TRAINEE: "How real did it feel?",
    CompanionKind.ACTOR: "In role: how was it for the parent?",
}


def parse_kind(kind: str) -> CompanionKind:
    try:
        return CompanionKind(kind)
    except ValueError:
        raise NotFound("There is no such form.") from None


def is_respondent(user: User, recording: Recording, kind: CompanionKind) -> bool:
    if not recording.vignette_version.companion_forms:
        return False  # this vignette does not use the after-session forms
    if kind == CompanionKind.TRAINEE:
        return recording.trainee_id == user.id
    return recording.actor_id is not None and recording.actor_id == user.id


def get_companion_recording(user: User, recording_id: int, kind: str) -> Recording:
    """The recording if ``user`` answers form ``kind`` for it; 404 otherwise."""
    form_kind = parse_kind(kind)
    recording = db.session.get(Recording, recording_id)
    if recording is None or not is_respondent(user, recording, form_kind):
        raise NotFound("There is no such recording, or this form is not yours to fill in.")
    return recording


def is_finished(recording: Recording) -> bool:
    """The session is over once no more audio is coming (processing, ready or failed)."""
    return recording.status != RecordingStatus.RECORDING


def get_response(recording: Recording, user: User, kind: str) -> CompanionResponse | None:
    return db.session.scalar(
        sa.select(CompanionResponse).filter_by(
            recording_id=recording.id, respondent_id=user.id, kind=kind
        )
    )


def parse_answers(kind: CompanionKind, form: Mapping[str, Any]) -> dict[str, Any]:
    """Every item a whole number 1-5, the comment at most 2000 characters."""
    answers: dict[str, Any] = {}
    for question in QUESTIONS[kind]:
        text = str(form.get(question.key, "")).strip()
        value = int(text) if text.isdigit() else None
        if value not in SCALE:
            raise InvalidInput(f"“{question.text}”: choose a whole number from 1 to 5.")
        answers[question.key] = value
    comment = str(form.get("comment", "")).strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise InvalidInput(f"The comment is longer than {MAX_COMMENT_CHARS} characters.")
    answers["comment"] = comment
    return answers


def submit_companion(
    user: User, recording_id: int, kind: str, form: Mapping[str, Any]
) -> CompanionResponse:
    """Store the user's answers; refused before the session ends and after a first answer."""
    recording = get_companion_recording(user, recording_id, kind)
    form_kind = CompanionKind(kind)
    if not is_finished(recording):
        raise Conflict("The form opens once the recording is finished.")
    if get_response(recording, user, form_kind) is not None:
        raise Conflict("You have already answered this form; the first answers are kept.")
    answers = parse_answers(form_kind, form)
    response = CompanionResponse(
        recording_id=recording.id, respondent_id=user.id, kind=str(form_kind), answers=answers
    )
    db.session.add(response)
    db.session.flush()
    record_event(
        AuditAction.COMPANION_SUBMITTED, obj=recording, actor=user, detail={"kind": str(form_kind)}
    )
    return response


def form_view(user: User, recording: Recording, kind: str) -> dict[str, Any]:
    """What the form (on its page or beside the recording) needs, as plain data."""
    form_kind = CompanionKind(kind)
    response = get_response(recording, user, form_kind)
    return {
        "recording_id": recording.id,
        "kind": str(form_kind),
        "title": TITLES[form_kind],
        "vignette": recording.vignette_version.title,
        "date": recording.created_at,
        "questions": QUESTIONS[form_kind],
        "open": is_finished(recording),
        "answers": dict(response.answers) if response else None,
    }


def prompt_for(user: User, recording_id: int) -> dict[str, Any] | None:
    """The trainee's form beside their own finished recording, or None."""
    recording = db.session.get(Recording, recording_id)
    if recording is None or not is_finished(recording):
        return None
    if not is_respondent(user, recording, CompanionKind.TRAINEE):
        return None
    return form_view(user, recording, CompanionKind.TRAINEE)


def list_waiting(user: User) -> list[dict[str, Any]]:
    """The user's finished sessions, as trainee or named actor, with each form's state."""
    query = sa.select(Recording).where(
        Recording.status != RecordingStatus.RECORDING,
        sa.or_(Recording.trainee_id == user.id, Recording.actor_id == user.id),
    )
    items = []
    for recording in db.session.scalars(query.order_by(Recording.created_at.desc())):
        for kind in CompanionKind:
            if is_respondent(user, recording, kind):
                items.append(form_view(user, recording, kind))
    return items


def list_responses(recording_id: int | None = None) -> list[dict[str, Any]]:
    """Every response for educators, newest first, with the session it belongs to."""
    query = sa.select(CompanionResponse, Recording).join(
        Recording, Recording.id == CompanionResponse.recording_id
    )
    if recording_id is not None:
        query = query.where(CompanionResponse.recording_id == recording_id)
    query = query.order_by(CompanionResponse.created_at.desc(), CompanionResponse.id.desc())
    return [
        {
            "recording_id": recording.id,
            "vignette": recording.vignette_version.title,
            "trainee": recording.trainee.name if recording.trainee else "—",
            "kind": response.kind,
            "answers": response.answers,
            "created_at": response.created_at,
        }
        for response, recording in db.session.execute(query)
    ]


def summarise_responses(responses: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Per form and item: how many answered and the mean."""
    summary: dict[str, list[dict[str, Any]]] = {}
    for kind, questions in QUESTIONS.items():
        answered = [r["answers"] for r in responses if r["kind"] == kind]
        summary[str(kind)] = [_item_summary(q, answered) for q in questions]
    return summary


def _item_summary(question: Question, answered: list[dict[str, Any]]) -> dict[str, Any]:
    values = [a[question.key] for a in answered if isinstance(a.get(question.key), int)]
    mean = sum(values) / len(values) if values else None
    return {"key": question.key, "text": question.text, "n": len(values), "mean": mean}
