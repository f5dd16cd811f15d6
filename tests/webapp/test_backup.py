"""``flask backup create|verify|restore``: a seeded instance survives the round trip.

On SQLite by default; on PostgreSQL (pg_dump/pg_restore) when ``TEST_DATABASE_URL`` is set,
as in ``make test-postgres``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.webapp.review_support import (
    GOOD,
    VIGNETTES,
    code_of,
    make_ready_recording,
    post_rating,
    rating_form,
)
from webapp.extensions import db
from webapp.library.services import import_vignettes
from webapp.models import Rating, Role
from webapp.ops.backup import MANIFEST
from webapp.review.allocation import allocate_recordings


@pytest.fixture
def app(app_factory):
    return app_factory(DOUBLE_CODED_FRACTION=0.0)


@pytest.fixture
def seeded(app, login_as, make_user):
    """Users, a READY recording with its audio, a submitted rating, a model file."""
    rater, _ = login_as(Role.RATER)
    trainee_id = make_user(Role.TRAINEE)
    with app.app_context():
        import_vignettes(VIGNETTES)
        recording_id = make_ready_recording(trainee_id)
        allocate_recordings()
        db.session.commit()
        code = code_of(recording_id)
    assert post_rating(rater, code, "submit", rating_form(GOOD)).status_code in (302, 303)
    models = Path(app.config["DATA_DIR"]) / "models" / "whisper-test"
    models.mkdir(parents=True)
    (models / "model.bin").write_bytes(b"weights" * 1000)
    return app


def state(app):
    """Row counts of every table and the SHA-256 of every stored file."""
    data_dir = Path(app.config["DATA_DIR"])
    with app.app_context():
        counts = {
            table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }
        db.session.remove()
    files = {
        str(path.relative_to(data_dir)): hashlib.sha256(path.read_bytes()).hexdigest()
        for store in ("recordings", "models")
        for path in sorted((data_dir / store).rglob("*"))
        if path.is_file()
    }
    return counts, files


def run(app, *args):
    result = app.test_cli_runner().invoke(args=["backup", *args])
    return result.exit_code, result.output


def damage(app, make_user):
    """Changes after the backup that the restore must undo."""
    make_user(Role.TRAINEE, email="after-backup@example.test")
    data_dir = Path(app.config["DATA_DIR"])
    for path in (data_dir / "recordings").rglob("*.ogg"):
        path.unlink()
    (data_dir / "models" / "stray.bin").write_bytes(b"new")


def test_backup_round_trip_restores_rows_and_files(seeded, make_user, tmp_path):
    before = state(seeded)
    assert before[0]["ratings"] == 1 and before[0]["recordings"] == 1 and before[1]
    code, output = run(seeded, "create", str(tmp_path / "backup"))
    assert code == 0, output
    damage(seeded, make_user)
    assert state(seeded) != before
    code, output = run(seeded, "restore", "--yes", str(tmp_path / "backup"))
    assert code == 0, output
    assert state(seeded) == before
    with seeded.app_context():
        assert db.session.scalars(sa.select(Rating)).one().status == "submitted"


def test_manifest_lists_every_file_with_size_and_checksum(seeded, tmp_path):
    folder = tmp_path / "backup"
    assert run(seeded, "create", str(folder))[0] == 0
    manifest = json.loads((folder / MANIFEST).read_text())
    assert {"created_at", "app_version", "alembic_revision", "database"} <= manifest.keys()
    paths = {entry["path"] for entry in manifest["files"]}
    database_file = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}
    assert database_file[manifest["database"]] in paths
    assert "files/models/whisper-test/model.bin" in paths
    assert any(p.startswith("files/recordings/") for p in paths)
    for entry in manifest["files"]:
        data = (folder / entry["path"]).read_bytes()
        assert entry["size"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()


def test_restore_refuses_a_tampered_backup_and_changes_nothing(seeded, make_user, tmp_path):
    folder = tmp_path / "backup"
    assert run(seeded, "create", str(folder))[0] == 0
    (folder / "files" / "models" / "whisper-test" / "model.bin").write_bytes(b"tampered")
    make_user(Role.TRAINEE, email="after-backup@example.test")
    before = state(seeded)
    code, output = run(seeded, "restore", "--yes", str(folder))
    assert code == 1
    assert "checksum mismatch: files/models/whisper-test/model.bin" in output
    assert "nothing restored" in output
    assert state(seeded) == before
    assert run(seeded, "verify", str(folder))[0] == 1


def test_restore_refuses_a_folder_without_manifest(app, tmp_path):
    (tmp_path / "empty").mkdir()
    code, output = run(app, "restore", "--yes", str(tmp_path / "empty"))
    assert code == 1 and "not a backup folder" in output


def test_create_refuses_a_non_empty_folder(app, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    code, output = run(app, "create", str(tmp_path / "full"))
    assert code == 1 and "not empty" in output


def test_restore_asks_before_replacing_data(seeded, tmp_path):
    assert run(seeded, "create", str(tmp_path / "backup"))[0] == 0
    result = seeded.test_cli_runner().invoke(
        args=["backup", "restore", str(tmp_path / "backup")], input="n\n"
    )
    assert result.exit_code == 1 and "Aborted" in result.output
