"""A production deployment for one test: a fresh database migrated by ``flask db
upgrade``, a shared ``DATA_DIR``, and an app in the test process that seeds data, imports
recordings through the service layer and inspects the results."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from tests.conftest import FAST_HASHING, PASSWORD
from tests.integration.services import flask, fresh_database, production_env
from webapp import create_app
from webapp.admin.services import UserDetails, create_user
from webapp.extensions import db
from webapp.library.services import import_vignettes
from webapp.models import Job, Recording, Role, Transcript
from webapp.practice import storage
from webapp.practice.cli import import_recording

ROOT = Path(__file__).resolve().parents[2]
AUDIO = ROOT / "tests" / "fixtures" / "audio"
VIGNETTE = "school-referral-late-and-hungry"
TRAINEE = "trainee@example.test"
ADMIN = "admin@example.test"


def control_app(data_dir: Path, database_url: str, queue_url: str, **extra: Any) -> Flask:
    """The test's own app: same database, queue and files as the servers."""
    return create_app(
        {
            "SECRET_KEY": "integration-control",
            "DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url,
            "QUEUE_URL": queue_url,
            "QUEUE_IMMEDIATE": False,
            "EMBEDDED_WORKER": False,
            "WHISPER_MODEL": "tiny.en",
            "WHISPER_THREADS": 1,
            "LOG_JSON": False,
            **FAST_HASHING,
            **extra,
        }
    )


def seed(app: Flask) -> None:
    """A trainee, an administrator and the vignettes."""
    with app.app_context():
        import_vignettes(ROOT / "vignettes")
        for email, role in ((TRAINEE, Role.TRAINEE), (ADMIN, Role.ADMIN)):
            details = UserDetails(email=email, name=role.value, roles=frozenset({role}))
            create_user(details, PASSWORD)
        db.session.commit()


@dataclass
class Deployment:
    data_dir: Path
    database_url: str
    queue_url: str
    env: dict[str, str]
    app: Flask

    def import_audio(self, path: Path) -> int:
        """A recording as if the trainee had uploaded ``path``; its job is queued."""
        with self.app.app_context():
            return import_recording(path, TRAINEE, VIGNETTE, None)

    def jobs(self) -> list[Job]:
        with self.app.app_context():
            db.session.expire_all()
            jobs = list(db.session.scalars(sa.select(Job).order_by(Job.id)))
            db.session.expunge_all()
            return jobs

    def close(self) -> None:
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


def deploy(tmp_path: Path, name: str, queue_url: str) -> Deployment:
    """Fresh database ``name``, schema by ``flask db upgrade`` (as README says), seeded."""
    data_dir = tmp_path / "data"
    database_url = fresh_database(name)
    env = production_env(data_dir, database_url, queue_url)
    flask(env, "db", "upgrade")
    app = control_app(data_dir, database_url, queue_url)
    seed(app)
    return Deployment(data_dir, database_url, queue_url, env, app)


def transcript_of(app: Flask, recording_id: int) -> dict[str, Any]:
    """Everything the recogniser produced for a recording, in a comparable form."""
    with app.app_context():
        transcripts = db.session.scalars(
            sa.select(Transcript).where(Transcript.recording_id == recording_id)
        ).all()
        assert len(transcripts) == 1, f"recording {recording_id}: {len(transcripts)} transcripts"
        transcript = transcripts[0]
        return {
            "model": transcript.model,
            "language": transcript.language,
            "segments": [
                (s.position, s.start, s.end, s.text, s.speaker, s.words)
                for s in transcript.segments
            ],
        }


def recording_files(app: Flask) -> dict[str, set[str]]:
    """Every recording's storage key and the file names in its folder, from the rows."""
    with app.app_context():
        found = {}
        for recording in db.session.scalars(sa.select(Recording)):
            folder = storage.recording_dir(recording)
            found[recording.storage_key] = {p.name for p in folder.iterdir()}
        return found


def files_on_disk(data_dir: Path) -> dict[str, set[str]]:
    """Every folder under DATA_DIR/recordings and its files, from the disk."""
    root = data_dir / "recordings"
    return {
        folder.name: {p.name for p in folder.iterdir()}
        for folder in root.iterdir()
        if folder.is_dir() and not folder.name.startswith(".")
    }
