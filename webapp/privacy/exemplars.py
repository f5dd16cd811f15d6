"""The exemplar library: strong excerpts shown to educators and to other cohorts.

An excerpt can be tagged only while the trainee and the named actor both allow exemplar
use; withdrawing deletes its exemplars (``consent.remove_exemplars``), and the listing
checks consent again, so a missed deletion still never shows.  Trainees see exemplars
from cohorts other than their own (both cohorts known), never their own recordings.

Each exemplar carries the audio of its excerpt when the recording has a playback copy
(``excerpts``), served only to the people who may see the exemplar.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from webapp.audit import record_event
from webapp.errors import Conflict, InvalidInput, NotFound
from webapp.extensions import db
from webapp.models import AuditAction, Exemplar, Recording, Role, User
from webapp.privacy.consent import is_exemplar_allowed
from webapp.privacy.excerpts import cut_exemplar_audio, exemplar_audio_file

MAX_TITLE = 200


@dataclass(frozen=True)
class ExemplarDetails:
    recording_id: int
    start: float
    end: float
    title: str
    dimension: str | None = None
    note: str = ""


@dataclass(frozen=True)
class ExemplarView:
    exemplar: Exemplar
    code: str
    text: str
    has_audio: bool = False


def tag_exemplar(details: ExemplarDetails, user: User) -> Exemplar:
    """Tag an excerpt as an exemplar: 404 unknown recording, 422 bad times, 409 no consent."""
    recording = db.session.get(Recording, details.recording_id)
    if recording is None:
        raise NotFound("There is no such recording.")
    _check_details(details, recording)
    if not is_exemplar_allowed(recording):
        raise Conflict(
            "The trainee and the named actor must both allow exemplar use of this recording."
        )
    audio_key = cut_exemplar_audio(recording, details.start, details.end)
    exemplar = Exemplar(
        recording_id=recording.id,
        audio_key=audio_key,
        start=details.start,
        end=details.end,
        title=details.title.strip(),
        dimension=(details.dimension or "").strip() or None,
        note=details.note.strip(),
        tagged_by_id=user.id,
    )
    db.session.add(exemplar)
    db.session.flush()
    record_event(
        AuditAction.EXEMPLAR_TAGGED,
        obj=recording,
        detail={"exemplar": exemplar.id, "audio": audio_key is not None},
    )
    return exemplar


def _check_details(details: ExemplarDetails, recording: Recording) -> None:
    if not details.title.strip() or len(details.title.strip()) > MAX_TITLE:
        raise InvalidInput(f"Give the exemplar a title of 1 to {MAX_TITLE} characters.")
    if not 0 <= details.start < details.end:
        raise InvalidInput("The excerpt must start at 0 s or later and end after it starts.")
    if recording.duration_seconds is not None and details.end > recording.duration_seconds + 1:
        raise InvalidInput("The excerpt ends after the recording does.")
    if recording.purged_at is not None or recording.latest_transcript is None:
        raise Conflict("This recording has no transcript to take an excerpt from.")


def list_exemplars_for(user: User) -> list[ExemplarView]:
    """Exemplars ``user`` may see, newest first, with their transcript text."""
    query = sa.select(Exemplar).order_by(Exemplar.created_at.desc(), Exemplar.id.desc())
    views = []
    for exemplar in db.session.scalars(query):
        recording = db.session.get(Recording, exemplar.recording_id)
        if recording is None or not is_exemplar_allowed(recording):
            continue
        if can_see_exemplar(user, recording):
            views.append(
                ExemplarView(
                    exemplar,
                    _code(recording),
                    excerpt_text(recording, exemplar),
                    has_audio=exemplar_audio_file(recording, exemplar) is not None,
                )
            )
    return views


def get_exemplar_audio(user: User, exemplar_id: int) -> Path:
    """The excerpt file of an exemplar ``user`` may see; 404 otherwise (or without audio)."""
    exemplar = db.session.get(Exemplar, exemplar_id)
    recording = db.session.get(Recording, exemplar.recording_id) if exemplar else None
    if (
        exemplar is None
        or recording is None
        or not is_exemplar_allowed(recording)
        or not can_see_exemplar(user, recording)
    ):
        raise NotFound("There is no such exemplar.")
    path = exemplar_audio_file(recording, exemplar)
    if path is None:
        raise NotFound("This exemplar has no audio.")
    return path


def can_see_exemplar(user: User, recording: Recording) -> bool:
    if user.has_role(Role.EDUCATOR, Role.ADMIN):
        return True
    if not user.has_role(Role.TRAINEE) or recording.trainee_id == user.id:
        return False
    theirs = recording.trainee.cohort_id if recording.trainee else None
    return None not in (user.cohort_id, theirs) and user.cohort_id != theirs


def excerpt_text(recording: Recording, exemplar: Exemplar) -> str:
    """The latest transcript's speech overlapping the excerpt, with speaker labels."""
    transcript = recording.latest_transcript
    if transcript is None:
        return ""
    return "\n".join(
        f"{(segment.speaker or 'worker').title()}: {segment.text.strip()}"
        for segment in transcript.segments
        if segment.end > exemplar.start and segment.start < exemplar.end and segment.text.strip()
    )


def _code(recording: Recording) -> str:
    return recording.public_code or f"#{recording.id}"
