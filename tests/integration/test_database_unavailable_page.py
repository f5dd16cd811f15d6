"""The 503 page for a database that does not answer, in the default (SQLite) run.

The PostgreSQL crash itself is in test_database_restart.py (integration); this guards the
same behaviour in every ``pytest`` run: the database file becomes unopenable, pages say so
with a 503, and work again as soon as it is back.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import TEST_DATABASE_URL
from webapp.access import public
from webapp.errors import database_unavailable
from webapp.extensions import db
from webapp.models import Role, User

UNAVAILABLE_TEXT = "The database is not answering just now"


@pytest.mark.skipif(TEST_DATABASE_URL is not None, reason="makes the SQLite file unopenable")
def test_pages_answer_503_while_the_database_cannot_be_opened(app, login_as, tmp_path):
    browser, _ = login_as(Role.ADMIN)
    database = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    with app.app_context():
        db.engine.dispose()  # close (and checkpoint) every connection first
    moved = database.rename(tmp_path / "away.db")
    database.mkdir()  # a folder where the file was: SQLite cannot open it
    try:
        response = browser.get("/admin/users", headers={"Accept": "text/html"})
        api = browser.get("/admin/users", headers={"Accept": "application/json"})
    finally:
        database.rmdir()
        moved.rename(database)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    html = response.get_data(as_text=True)
    assert UNAVAILABLE_TEXT in html and "Traceback" not in html
    assert (api.status_code, api.get_json()["error"]) == (503, "Temporarily unavailable")
    assert browser.get("/admin/users").status_code == 200  # back without a restart


def test_only_connection_failures_count_as_unavailable():
    cause = Exception("server closed the connection unexpectedly")
    assert database_unavailable(sa.exc.OperationalError("SELECT 1", {}, cause))
    assert database_unavailable(sa.exc.InterfaceError("SELECT 1", {}, cause))
    assert not database_unavailable(sa.exc.IntegrityError("INSERT", {}, cause))
    assert not database_unavailable(sa.exc.ProgrammingError("SELEC", {}, cause))
    invalidated = sa.exc.DBAPIError("SELECT 1", {}, cause, connection_invalidated=True)
    assert database_unavailable(invalidated)


def test_a_constraint_violation_is_still_a_500(app, make_user, auth):
    admin_id = make_user(Role.ADMIN, email="admin@example.test")

    @app.route("/_test/duplicate-email")
    def duplicate_email() -> str:
        admin = db.session.get(User, admin_id)
        assert admin is not None
        db.session.add(User(email=admin.email, name="Copy", password_hash="x"))
        db.session.flush()
        return "unreachable"

    public(duplicate_email)
    assert auth.login("admin@example.test").status_code == 302
    response = auth.client.get("/_test/duplicate-email")
    assert response.status_code == 500
    assert "Nothing was saved" in response.get_data(as_text=True)
