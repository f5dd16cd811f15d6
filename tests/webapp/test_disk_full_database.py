"""The disk under the SQLite database fills: writes answer 507, reads go on, nothing stays
half-written, and the same request succeeds once space is freed.

The disk is a real 4 MB tmpfs, so the test needs root (it is skipped otherwise) and SQLite
(PostgreSQL's disk-full error is classified by its SQLSTATE; see the unit test below).
"""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.conftest import TEST_DATABASE_URL, AuthActions
from tests.webapp.test_disk_full import RealDisk, mount_tmpfs
from webapp.errors import database_storage_full
from webapp.extensions import db
from webapp.models import AuditEvent, Role

STORAGE_WORDS = "run out of storage space"

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[RealDisk]:
    if TEST_DATABASE_URL:
        pytest.skip("the database file is SQLite's")
    root = tmp_path / "disk"
    root.mkdir()
    if not mount_tmpfs(root):
        pytest.skip("mounting a small tmpfs needs root")
    yield RealDisk(root)
    subprocess.run(["umount", "--lazy", str(root)], check=True)


@pytest.fixture
def app(app_factory, disk: RealDisk) -> Iterator[Flask]:
    application = app_factory(DATABASE_URL=f"sqlite:///{disk.root / 'app.db'}")
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def audit_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) or 0


def test_a_write_on_a_full_database_disk_is_507_and_works_once_space_is_freed(
    app, disk, make_user, login_as
):
    browser, _ = login_as(Role.TRAINEE)
    email = "second@example.test"
    make_user(Role.TRAINEE, email=email)
    before = audit_count(app)
    disk.fill(room=0)
    response = AuthActions(app.test_client()).login(email)  # a login writes its audit event
    body = response.get_data(as_text=True)
    assert response.status_code == 507, body
    assert STORAGE_WORDS in body and "Traceback" not in body
    assert browser.get("/").status_code == 200  # reading still works
    disk.free()
    assert audit_count(app) == before  # nothing half-written
    assert AuthActions(app.test_client()).login(email).status_code == 302


def test_disk_full_is_told_apart_from_an_outage():
    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode = sqlite3.SQLITE_FULL
    locked = sqlite3.OperationalError("database is locked")
    locked.sqlite_errorcode = sqlite3.SQLITE_BUSY

    class PostgresDiskFull(Exception):
        sqlstate = "53100"

    def wrapped(error: Exception) -> sa.exc.DBAPIError:
        return sa.exc.OperationalError("INSERT ...", {}, error)

    assert database_storage_full(wrapped(full))
    assert database_storage_full(wrapped(PostgresDiskFull()))
    assert not database_storage_full(wrapped(locked))
    assert not database_storage_full(wrapped(ConnectionError("server closed the connection")))
