"""Configuration: defaults, environment, the generated secret key, production rules."""

from __future__ import annotations

import stat

import pytest

from webapp import create_app
from webapp.config import (
    ConfigError,
    build_config,
    load_or_create_secret_key,
    normalise_database_url,
)


def test_embedded_default_generates_a_private_secret_key_once(tmp_path):
    first = load_or_create_secret_key(tmp_path)
    assert len(first) == 64
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert load_or_create_secret_key(tmp_path) == first


def test_defaults_put_everything_under_data_dir(tmp_path):
    config = build_config(str(tmp_path / "instance"), {"DATA_DIR": str(tmp_path / "data")}, None)
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'data' / 'app.db'}"
    assert config["QUEUE_URL"] == f"sqlite:///{tmp_path / 'data' / 'queue.db'}"
    assert config["EMBEDDED_WORKER"] is True
    assert (config["HOST"], config["PORT"]) == ("127.0.0.1", 8000)
    assert (tmp_path / "instance" / "secret_key").exists()


def test_environment_overrides_defaults(tmp_path):
    environ = {
        "PORT": "9001",
        "HOST": "0.0.0.0",
        "DATABASE_URL": "postgres://u@h/db",
        "QUEUE_URL": "redis://localhost:6379/0",
        "SECRET_KEY": "k",
        "EMBEDDED_WORKER": "0",
    }
    config = build_config(str(tmp_path), environ, None)
    assert config["PORT"] == 9001 and config["HOST"] == "0.0.0.0"
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert config["QUEUE_URL"] == "redis://localhost:6379/0"
    assert config["EMBEDDED_WORKER"] is False


def test_production_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        create_app({"DATA_DIR": str(tmp_path)})


def test_production_marks_cookies_secure_and_runs_no_embedded_worker(tmp_path):
    config = build_config(str(tmp_path), {"APP_ENV": "production", "SECRET_KEY": "k"}, None)
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["EMBEDDED_WORKER"] is False


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"APP_ENV": "staging"}, "APP_ENV must be"),
        ({"PORT": "eighty"}, "PORT='eighty' is not valid"),
    ],
)
def test_bad_settings_are_named(tmp_path, environ, message):
    with pytest.raises(ConfigError, match=message):
        build_config(str(tmp_path), {"SECRET_KEY": "k", **environ}, None)


def test_database_url_normalisation():
    assert normalise_database_url("postgresql://a/b") == "postgresql+psycopg://a/b"
    assert normalise_database_url("postgresql+psycopg://a/b") == "postgresql+psycopg://a/b"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_security_headers_on_every_response(client):
    headers = client.get("/login").headers
    assert "media-src 'self' blob:" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Permissions-Policy"].startswith("microphone=(self)")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_error_pages_are_friendly(client, login_as):
    assert "There is nothing at this address" in client.get("/no-such-page").get_data(as_text=True)
    browser, _ = login_as(__import__("webapp.models", fromlist=["Role"]).Role.TRAINEE)
    response = browser.get("/admin/users")
    assert response.status_code == 403
    assert "does not have access" in response.get_data(as_text=True)


def test_crash_rolls_back_and_shows_500_without_traceback(app, login_as):
    from webapp.access import public

    @public
    def explode():
        raise RuntimeError("boom")

    app.add_url_rule("/explode", "explode", explode)
    response = app.test_client().get("/explode")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Something went wrong" in body and "Traceback" not in body and "boom" not in body


def test_json_clients_get_json_errors(client):
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["error"] == "Not found"
