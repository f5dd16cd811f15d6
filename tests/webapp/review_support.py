"""Helpers for the review tests: READY recordings without waiting for the recogniser.

The blinding test uses the real upload and transcription pipeline; the other review tests
make a recording READY by writing its transcript rows and copying real playback audio in.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.conftest import csrf_token
from webapp.extensions import db
from webapp.models import (
    Rating,
    RatingTask,
    Recording,
    RecordingSource,
    RecordingStatus,
    Segment,
    Transcript,
    User,
    Vignette,
)
from webapp.practice import storage

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
VIGNETTES = Path(__file__).resolve().parents[2] / "vignettes"
SLUG = "school-referral-late-and-hungry"
LINES = (
    ("worker", "Hello, I'm from children's services. Thank you for seeing me."),
    ("client", "I don't know why you're here, everything is fine."),
    ("worker", "The school told us your son has come in hungry several times."),
)
GOOD = {"clarity": "4", "empathy": "3", "warmth": "5", "strengths": "2"}


def make_ready_recording(trainee_id: int, actor_id: int | None = None) -> int:
    """A READY recording with a three-line transcript and a real playback file."""
    trainee = db.session.get(User, trainee_id)
    assert trainee is not None
    vignette = db.session.scalar(sa.select(Vignette).filter_by(slug=SLUG))
    assert vignette is not None
    recording = Recording(
        trainee_id=trainee.id,
        actor_id=actor_id,
        actor_name=None if actor_id else "Someone",
        vignette_version_id=vignette.current.id,
        status=RecordingStatus.READY,
        source=RecordingSource.UPLOAD,
        storage_key=storage.new_storage_key(),
        original_format="ogg",
        original_name="secret-name.ogg",
    )
    transcript = Transcript(recording=recording, version=1, model="test")
    for position, (speaker, text) in enumerate(LINES):
        start = position * 2.0
        transcript.segments.append(
            Segment(position=position, start=start, end=start + 2, text=text, speaker=speaker)
        )
    db.session.add_all([recording, transcript])
    db.session.flush()
    storage.recording_dir(recording).mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / "short.ogg", storage.playback_path(recording))
    return recording.id


def tasks_of(recording_id: int) -> list[RatingTask]:
    query = sa.select(RatingTask).where(RatingTask.recording_id == recording_id)
    return list(db.session.scalars(query.order_by(RatingTask.id)))


def code_of(recording_id: int) -> str:
    recording = db.session.get(Recording, recording_id)
    assert recording is not None and recording.public_code
    return recording.public_code


def count(model: Any) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def rating_form(scores: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {f"score-{k}": v for k, v in (scores or {}).items()}
    data.setdefault("mode", "both")
    data.update(extra)
    return data


def post_rating(browser: Any, code: str, action: str, data: dict[str, Any]) -> Any:
    token = csrf_token(browser, f"/review/{code}")
    return browser.post(f"/review/{code}", data={**data, "action": action, "csrf_token": token})


def ratings_count() -> int:
    return count(Rating)
