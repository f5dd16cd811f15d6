"""Shared set-up for the privacy and export tests (no tests here).

``seed_study`` makes one rated recording with real names that must never leak into a
de-identified export: canaries.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from webapp.extensions import db
from webapp.library.services import import_vignettes
from webapp.models import (
    FinalScore,
    InstrumentVersion,
    Rating,
    RatingScore,
    RatingStatus,
    RatingTask,
    Recording,
    RecordingStatus,
    Role,
    Segment,
    TaskRole,
    TaskStatus,
    Transcript,
    VignetteVersion,
)
from webapp.orm import utcnow
from webapp.practice import storage

VIGNETTES = Path(__file__).resolve().parents[2] / "vignettes"
REAL_AUDIO = Path(__file__).resolve().parents[1] / "fixtures" / "audio" / "dialogue.webm"
CANARIES = ("Zebedee Canarysson", "canary-trainee@example.test", "Rhoda Canaryrater")
SPEECH = "My neighbour Zebedee told me everything"


@dataclass
class Study:
    trainee: int
    actor: int
    rater1: int
    rater2: int
    recording: int
    other_cohort: int
    same_cohort: int


def register_blueprints(app):
    """Register the privacy and exports blueprints unless create_app already did."""
    from webapp.exports import bp as exports_bp
    from webapp.privacy import bp as privacy_bp

    if "privacy" not in app.blueprints:
        app.register_blueprint(privacy_bp, url_prefix="/privacy")
    if "exports" not in app.blueprints:
        app.register_blueprint(exports_bp, url_prefix="/exports")


def seed_study(app, make_user, make_cohort) -> Study:
    spring, autumn = make_cohort("Spring"), make_cohort("Autumn")
    trainee = make_user(Role.TRAINEE, name=CANARIES[0], email=CANARIES[1], cohort_id=spring)
    actor = make_user(Role.ACTOR, name="Agatha Canaryactor", email="canary-actor@example.test")
    rater1 = make_user(Role.RATER, name=CANARIES[2], email="canary-r1@example.test")
    rater2 = make_user(Role.RATER, name="Ronald Canaryrater", email="canary-r2@example.test")
    other = make_user(Role.TRAINEE, email="other@example.test", cohort_id=autumn)
    same = make_user(Role.TRAINEE, email="same@example.test", cohort_id=spring)
    with app.app_context():
        import_vignettes(VIGNETTES)
        recording_id = add_rated_recording(trainee, actor, (rater1, rater2), code="R-1111-2222")
        db.session.commit()
    return Study(trainee, actor, rater1, rater2, recording_id, other, same)


def add_rated_recording(
    trainee: int, actor: int | None, raters: tuple[int, int], *, code: str, days_old: int = 1
) -> int:
    """A ready recording with audio files, a transcript, two ratings and final scores."""
    made = utcnow() - timedelta(days=days_old)
    recording = Recording(
        trainee_id=trainee,
        vignette_version_id=db.session.scalar(db.select(VignetteVersion.id).limit(1)),
        actor_id=actor,
        status=RecordingStatus.READY,
        storage_key=storage.new_storage_key(),
        public_code=code,
        duration_seconds=60.0,
        created_at=made,
        retain_until=made + timedelta(days=730),
    )
    segments = [
        Segment(position=0, start=0.0, end=5.0, text="How are things at home?", speaker="worker"),
        Segment(position=1, start=5.0, end=9.0, text=SPEECH, speaker="client"),
    ]
    recording.transcripts = [Transcript(version=1, model="test", segments=segments)]
    db.session.add(recording)
    db.session.flush()
    folder = storage.recording_dir(recording)
    folder.mkdir(parents=True)
    (folder / storage.PLAYBACK_NAME).write_bytes(b"OggS fake audio")
    _add_ratings(recording, raters)
    return recording.id


def give_real_audio(app, recording_id: int) -> Path:
    """Replace the recording's stand-in playback bytes with decodable speech (11.6 s), for
    tests that cut audio excerpts; the recording then lasts as long as its audio."""
    with app.app_context():
        recording = db.session.get(Recording, recording_id)
        path = storage.playback_path(recording)
        shutil.copyfile(REAL_AUDIO, path)
        recording.duration_seconds = 11.6
        db.session.commit()
        return path


def _add_ratings(recording: Recording, raters: tuple[int, int]) -> None:
    instrument = db.session.scalar(db.select(InstrumentVersion).filter_by(slug="test-scale"))
    if instrument is None:
        instrument = InstrumentVersion(
            slug="test-scale", version=1, title="Test", definition={}, fingerprint="t"
        )
        db.session.add(instrument)
        db.session.flush()
    scores = {
        TaskRole.PRIMARY: {"empathy": 4, "clarity": 3},
        TaskRole.SECOND: {"empathy": 5, "clarity": 3},
    }
    for rater, role in zip(raters, (TaskRole.PRIMARY, TaskRole.SECOND), strict=True):
        task = RatingTask(
            recording_id=recording.id,
            rater_id=rater,
            instrument_version_id=instrument.id,
            role=str(role),
            status=TaskStatus.SUBMITTED,
        )
        rating = Rating(status=RatingStatus.SUBMITTED, submitted_at=utcnow(), mode="read")
        rating.scores = [RatingScore(dimension=d, score=s) for d, s in scores[role].items()]
        task.ratings = [rating]
        db.session.add(task)
    for dimension, score in (("empathy", 4.5), ("clarity", 3.0)):
        db.session.add(
            FinalScore(
                recording_id=recording.id,
                instrument_version_id=instrument.id,
                dimension=dimension,
                score=score,
                method="mean",
            )
        )
    db.session.flush()


def consent_url(study: Study) -> str:
    return f"/privacy/recordings/{study.recording}/consent"
