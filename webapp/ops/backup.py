"""Backups: the database plus the file store, with a manifest of SHA-256 checksums.

A backup is a folder::

    manifest.json          created_at, app version, alembic revision, database kind,
                           every file's path, size and SHA-256
    database.sqlite3       SQLite: Connection.backup() (consistent with a live writer)
    database.dump          PostgreSQL: pg_dump -Fc
    files/recordings/...   copy of DATA_DIR/recordings
    files/models/...       copy of DATA_DIR/models

The database is copied first, then the files, so every file a row names is in the
backup (a file written in between is harmless extra).  Restore checks every checksum
before it touches anything.  ``pg_dump``/``pg_restore`` run with fixed argument lists,
never through a shell, and the database password goes in ``PGPASSWORD``, not argv.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess  # nosec B404
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

from webapp.extensions import db
from webapp.orm import utcnow

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_DUMP_FILE = "database.dump"
FILE_STORES = ("recordings", "models")


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why."""


@dataclass(frozen=True)
class DatabaseTarget:
    dialect: str
    sqlite_path: Path | None
    libpq_url: str | None
    password: str | None


def get_database_target() -> DatabaseTarget:
    """Where the app's database is, in the form the copy tools need."""
    url = sa.make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise BackupError("an in-memory SQLite database cannot be backed up")
        return DatabaseTarget("sqlite", Path(url.database), None, None)
    if url.get_backend_name() == "postgresql":
        # libpq understands postgresql://; the password goes in the environment, not argv.
        plain = url.set(drivername="postgresql", password=None)
        return DatabaseTarget(
            "postgresql", None, plain.render_as_string(hide_password=False), url.password
        )
    raise BackupError(f"backups support SQLite and PostgreSQL, not {url.get_backend_name()}")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def list_files(root: Path) -> list[dict[str, Any]]:
    """Every file under ``root`` (but the manifest) with its size and SHA-256."""
    entries = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name != MANIFEST):
        relative = path.relative_to(root).as_posix()
        entries.append({"path": relative, "size": path.stat().st_size, "sha256": sha256_of(path)})
    return entries


def find_pg_tool(name: str) -> str:
    """``pg_dump``/``pg_restore`` from PG_BIN, the PATH, or the newest Debian cluster."""
    configured = current_app.config.get("PG_BIN")
    candidates = [Path(configured) / name] if configured else []
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    candidates += sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise BackupError(f"{name} not found: install the PostgreSQL client or set PG_BIN")


def libpq_url(target: DatabaseTarget) -> str:
    if target.libpq_url is None:
        raise BackupError("not a PostgreSQL database")
    return target.libpq_url


def run_pg_tool(arguments: list[str], target: DatabaseTarget) -> None:
    environment = dict(os.environ)
    if target.password:
        environment["PGPASSWORD"] = target.password
    # Fixed tool path and argument list from our own config, never a shell.
    result = subprocess.run(  # noqa: S603  # nosec B603
        arguments, env=environment, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{Path(arguments[0]).name} failed: {result.stderr.strip()[:2000]}")


def get_alembic_revision() -> str | None:
    try:
        return db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    except sa.exc.DBAPIError:  # a schema made without migrations (tests)
        db.session.rollback()
        return None


def get_app_version() -> str:
    try:
        return version("simclient")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


# -- create --------------------------------------------------------------------------


def dump_database(target: DatabaseTarget, folder: Path) -> None:
    """Copy the database into ``folder`` consistently, even with writers running."""
    if target.sqlite_path is not None:
        source = sqlite3.connect(target.sqlite_path)
        destination = sqlite3.connect(folder / SQLITE_FILE)
        try:
            with destination:
                source.backup(destination)  # pages=-1: one step, no restart on writes
        finally:
            destination.close()
            source.close()
        return
    dump = [find_pg_tool("pg_dump"), "-Fc", "--no-owner", "--no-privileges"]
    run_pg_tool([*dump, "-f", str(folder / PG_DUMP_FILE), "--dbname", libpq_url(target)], target)


def copy_file_stores(data_dir: Path, folder: Path) -> None:
    for store in FILE_STORES:
        source = data_dir / store
        if source.is_dir():
            shutil.copytree(source, folder / "files" / store, symlinks=False)


def create_backup(folder: Path) -> dict[str, Any]:
    """Write a backup of the database and file store into a new or empty ``folder``."""
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty; give a new folder")
    folder.mkdir(parents=True, exist_ok=True)
    target = get_database_target()
    dump_database(target, folder)
    copy_file_stores(Path(current_app.config["DATA_DIR"]), folder)
    manifest = {
        "format": 1,
        "created_at": utcnow().isoformat(),
        "app_version": get_app_version(),
        "alembic_revision": get_alembic_revision(),
        "database": target.dialect,
        "files": list_files(folder),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


# -- restore -------------------------------------------------------------------------


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{folder} has no {MANIFEST}: not a backup folder")
    manifest: dict[str, Any] = json.loads(path.read_text())
    return manifest


def verify_backup(folder: Path) -> dict[str, Any]:
    """Check every file against the manifest; raise listing each mismatch."""
    manifest = read_manifest(folder)
    problems = []
    for entry in manifest["files"]:
        path = folder / entry["path"]
        if ".." in Path(entry["path"]).parts or not path.is_file():
            problems.append(f"missing: {entry['path']}")
        elif path.stat().st_size != entry["size"] or sha256_of(path) != entry["sha256"]:
            problems.append(f"checksum mismatch: {entry['path']}")
    listed = {entry["path"] for entry in manifest["files"]}
    extra = [e["path"] for e in list_files(folder) if e["path"] not in listed]
    problems += [f"not in manifest: {path}" for path in extra]
    if problems:
        details = "\n  ".join(problems)
        raise BackupError(f"the backup does not match its manifest; nothing restored:\n  {details}")
    return manifest


def load_database(target: DatabaseTarget, folder: Path, manifest: dict[str, Any]) -> None:
    """Replace the live database's contents with the backup's."""
    if manifest["database"] != target.dialect:
        raise BackupError(
            f"the backup holds a {manifest['database']} database; this app uses {target.dialect}"
        )
    db.session.remove()
    db.engine.dispose()
    if target.sqlite_path is not None:
        source = sqlite3.connect(folder / SQLITE_FILE)
        destination = sqlite3.connect(target.sqlite_path)
        try:
            source.backup(destination)
        finally:
            destination.close()
            source.close()
        return
    restore = [find_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner"]
    restore += ["--no-privileges", "--single-transaction", "--exit-on-error"]
    dump = str(folder / PG_DUMP_FILE)
    run_pg_tool([*restore, "--dbname", libpq_url(target), dump], target)


def restore_file_stores(folder: Path, data_dir: Path) -> None:
    for store in FILE_STORES:
        live = data_dir / store
        if live.exists():
            shutil.rmtree(live)
        saved = folder / "files" / store
        if saved.is_dir():
            shutil.copytree(saved, live)


def restore_backup(folder: Path) -> dict[str, Any]:
    """Verify ``folder`` against its manifest, then restore the database and the files."""
    manifest = verify_backup(folder)
    load_database(get_database_target(), folder, manifest)
    restore_file_stores(folder, Path(current_app.config["DATA_DIR"]))
    return manifest
