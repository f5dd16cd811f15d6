"""A trainee's planning note before a session and reflection after it.

Private to the trainee unless shared; educators and admins see shared notes only.
Callers commit.
"""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa

from webapp.audit import record_event
from webapp.errors import InvalidInput, NotFound
from webapp.extensions import db
from webapp.models import AuditAction, Recording, SessionNote, User
from webapp.orm import utcnow

MAX_NOTE_CHARS = 5000


class NoteKind(StrEnum):
    PLAN = "plan"
    REFLECTION = "reflection"


NOTE_TITLES = {
    NoteKind.PLAN: "Planning note",
    NoteKind.REFLECTION: "Reflection",
}
NOTE_PROMPTS = {
    NoteKind.PLAN: "What do you want to achieve in this session? What are your hypotheses "
    "about the family, and what would you like to try?",
    NoteKind.REFLECTION: "How did it go? What went well, what surprised you, and what would "
    "you try next time?",
}


def parse_kind(kind: str) -> NoteKind:
    """The note kind named in the address, or 404."""
    try:
        return NoteKind(kind)
    except ValueError:
        raise NotFound("There is no such kind of note.") from None


def get_note(recording: Recording, kind: NoteKind) -> SessionNote | None:
    query = sa.select(SessionNote).where(
        SessionNote.recording_id == recording.id, SessionNote.kind == kind
    )
    return db.session.scalar(query)


def save_note(
    recording: Recording, kind: NoteKind, text: str, *, is_shared: bool, by: User
) -> SessionNote:
    """Create or replace the trainee's note of ``kind``; the text is never audited."""
    text = text.strip()
    if len(text) > MAX_NOTE_CHARS:
        raise InvalidInput(
            f"The note is {len(text)} characters long; please keep it to {MAX_NOTE_CHARS}."
        )
    note = get_note(recording, kind)
    if note is None:
        note = SessionNote(recording_id=recording.id, kind=kind, author_id=by.id)
        db.session.add(note)
    note.text = text
    note.is_shared = is_shared
    note.updated_at = utcnow()
    db.session.flush()
    record_event(
        AuditAction.SESSION_NOTE_SAVED,
        obj=recording,
        actor=by,
        detail={"kind": str(kind), "is_shared": is_shared},
    )
    return note


def list_shared_notes(recording: Recording) -> list[SessionNote]:
    """The notes the trainee chose to share, plan first."""
    query = sa.select(SessionNote).where(
        SessionNote.recording_id == recording.id, SessionNote.is_shared.is_(True)
    )
    return sorted(db.session.scalars(query), key=lambda n: list(NoteKind).index(NoteKind(n.kind)))
