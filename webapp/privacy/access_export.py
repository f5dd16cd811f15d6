"""A subject access export: everything the app holds about one person, as a zip.

``data.json`` holds the account, the recordings they are on (with every transcript
version), the ratings they gave, their consents, session notes, companion answers and the
audit events by or about them; ``audio/<recording id>/`` holds the files of those
recordings.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    CompanionResponse,
    Consent,
    RatingTask,
    Recording,
    SessionNote,
    Transcript,
    User,
)
from webapp.practice import storage

SECRETS = frozenset({"password_hash", "session_token"})  # credentials, not personal data


def build_user_archive(user: User) -> bytes:
    """The zip described above."""
    recordings = _recordings(user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "data.json", json.dumps(collect_user_data(user, recordings), indent=2, default=_json)
        )
        for recording in recordings:
            folder = storage.recording_dir(recording)
            for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
                if path.is_file():
                    archive.write(path, f"audio/{recording.id}/{path.relative_to(folder)}")
    return buffer.getvalue()


def collect_user_data(user: User, recordings: list[Recording]) -> dict[str, Any]:
    ids = [recording.id for recording in recordings]
    return {
        "user": _row(user, exclude=SECRETS) | {"roles": sorted(user.roles)},
        "recordings": [_recording(recording) for recording in recordings],
        "ratings_given": _ratings_given(user),
        "consents": _rows(
            Consent, sa.or_(Consent.person_id == user.id, Consent.recording_id.in_(ids))
        ),
        "session_notes": _rows(
            SessionNote, sa.or_(SessionNote.author_id == user.id, SessionNote.recording_id.in_(ids))
        ),
        "companion_responses": _rows(CompanionResponse, CompanionResponse.respondent_id == user.id),
        "audit_events": _rows(
            AuditEvent,
            sa.or_(
                AuditEvent.actor_id == user.id,
                sa.and_(AuditEvent.object_type == "User", AuditEvent.object_id == str(user.id)),
            ),
        ),
    }


def _recordings(user: User) -> list[Recording]:
    query = (
        sa.select(Recording)
        .where(sa.or_(Recording.trainee_id == user.id, Recording.actor_id == user.id))
        .order_by(Recording.id)
    )
    return list(db.session.scalars(query))


def _recording(recording: Recording) -> dict[str, Any]:
    transcripts = db.session.scalars(
        sa.select(Transcript)
        .where(Transcript.recording_id == recording.id)
        .order_by(Transcript.version)
    )
    return _row(recording) | {
        "transcripts": [_row(t) | {"segments": [_row(s) for s in t.segments]} for t in transcripts]
    }


def _ratings_given(user: User) -> list[dict[str, Any]]:
    tasks = db.session.scalars(sa.select(RatingTask).where(RatingTask.rater_id == user.id))
    return [
        _row(task)
        | {
            "ratings": [
                _row(rating) | {"scores": [_row(score) for score in rating.scores]}
                for rating in task.ratings
            ]
        }
        for task in tasks
    ]


def _rows(model: Any, where: Any) -> list[dict[str, Any]]:
    return [_row(row) for row in db.session.scalars(sa.select(model).where(where))]


def _row(obj: Any, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    return {
        attr.key: getattr(obj, attr.key)
        for attr in sa.inspect(type(obj)).column_attrs
        if attr.key not in exclude
    }


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
