"""Shared fixtures, in the style of Flask's tutorial: app, client, runner, auth.

The database is a fresh SQLite file per test, or - when ``TEST_DATABASE_URL`` points at
PostgreSQL (as ``.ci/run`` does) - a freshly created schema on that server.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from webapp import create_app
from webapp.admin.services import UserDetails, create_user
from webapp.extensions import db
from webapp.models import Cohort, Role, User

PASSWORD = "correct horse battery"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")

# Cheap argon2 parameters: tests hash hundreds of passwords.
FAST_HASHING = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1}


def make_test_config(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'app.db'}",
        "QUEUE_IMMEDIATE": True,
        "RATELIMIT_ENABLED": False,
        "EMBEDDED_WORKER": False,
        **FAST_HASHING,
    }
    config.update(overrides)
    return config


def reset_schema(app: Flask) -> None:
    with app.app_context():
        db.drop_all()
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()


@pytest.fixture
def app_factory(tmp_path: Path) -> Callable[..., Flask]:
    """Build an app with extra settings; the schema is created from the models."""

    def build(**overrides: Any) -> Flask:
        app = create_app(make_test_config(tmp_path, **overrides))
        reset_schema(app)
        return app

    return build


@pytest.fixture
def app(app_factory: Callable[..., Flask]) -> Iterator[Flask]:
    application = app_factory()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def make_cohort(app: Flask) -> Callable[[str], int]:
    def build(name: str) -> int:
        with app.app_context():
            cohort = Cohort(name=name)
            db.session.add(cohort)
            db.session.commit()
            return cohort.id

    return build


@pytest.fixture
def make_user(app: Flask) -> Callable[..., int]:
    """Create a user and return its id: ``make_user(Role.RATER, email=...)``."""
    counter = iter(range(1, 10_000))

    def build(
        *roles: Role,
        email: str | None = None,
        name: str | None = None,
        cohort_id: int | None = None,
        password: str = PASSWORD,
    ) -> int:
        number = next(counter)
        with app.app_context():
            details = UserDetails(
                email=email or f"user{number}@example.test",
                name=name or f"Test User {number}",
                roles=frozenset(roles or (Role.TRAINEE,)),
                cohort_id=cohort_id,
            )
            user = create_user(details, password)
            db.session.commit()
            return user.id

    return build


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """Fetch a page and read the CSRF token from its form."""
    html = client.get(path).get_data(as_text=True)
    marker = 'name="csrf_token" type="hidden" value="'
    start = html.find(marker)
    if start == -1:
        marker = 'name="csrf_token" value="'
        start = html.find(marker)
    assert start != -1, f"no CSRF token on {path}"
    start += len(marker)
    return html[start : html.index('"', start)]


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, email: str, password: str = PASSWORD) -> Any:
        token = csrf_token(self.client)
        return self.client.post(
            "/login", data={"email": email, "password": password, "csrf_token": token}
        )

    def logout(self) -> Any:
        token = csrf_token(self.client, "/logout")
        return self.client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def login_as(app: Flask, make_user: Callable[..., int]) -> Callable[..., tuple[FlaskClient, int]]:
    """A fresh client logged in as a new user with ``roles``."""

    def build(*roles: Role, **kwargs: Any) -> tuple[FlaskClient, int]:
        user_id = make_user(*roles, **kwargs)
        with app.app_context():
            email = db.session.get(User, user_id).email  # type: ignore[union-attr]
        browser = app.test_client()
        response = AuthActions(browser).login(email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return browser, user_id

    return build


@pytest.fixture
def form_post(app: Flask) -> Callable[..., Any]:
    """POST a form with a valid CSRF token taken from ``token_page``."""

    def post(browser: FlaskClient, url: str, data: dict[str, Any], token_page: str) -> Any:
        return browser.post(url, data={**data, "csrf_token": csrf_token(browser, token_page)})

    return post


@pytest.fixture
def browser_for(app: Flask) -> Callable[[int], FlaskClient]:
    """A logged-in test client for a user who already exists (by id)."""

    def build(user_id: int) -> FlaskClient:
        with app.app_context():
            email = db.session.get(User, user_id).email
        browser = app.test_client()
        assert AuthActions(browser).login(email).status_code == 302
        return browser

    return build
