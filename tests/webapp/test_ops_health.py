"""``/healthz`` and ``/readyz``: public, JSON, naming failing checks, no personal data."""

from __future__ import annotations

from datetime import timedelta

import pytest

from webapp.jobs import huey
from webapp.ops import health
from webapp.orm import utcnow


@pytest.fixture
def queued_app(app_factory, tmp_path):
    """An app with a real (SQLite) Huey storage, as in production: a worker is expected."""
    return app_factory(QUEUE_IMMEDIATE=False, QUEUE_URL=f"sqlite:///{tmp_path / 'queue.db'}")


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_ready_when_every_check_passes(queued_app):
    with queued_app.app_context():
        health.heartbeat.call_local()
    response = queued_app.test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["failing"] == []
    assert set(body["checks"]) == {"database", "queue", "worker", "disk"}
    assert body["checks"]["worker"]["age_seconds"] < 60


def test_readyz_names_a_missing_worker(queued_app):
    response = queued_app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["failing"] == ["worker"]


def test_readyz_names_a_stale_heartbeat(queued_app):
    with queued_app.app_context():
        health.write_heartbeat(utcnow() - timedelta(minutes=10))
    body = queued_app.test_client().get("/readyz").get_json()
    assert body["failing"] == ["worker"]
    assert body["checks"]["worker"]["age_seconds"] >= 600


def test_readyz_names_low_disk_space(app_factory):
    app = app_factory(MIN_FREE_DISK_MB=10**12)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["failing"] == ["disk"]


def test_readyz_names_an_unreachable_database(app, monkeypatch):
    def broken() -> None:
        raise ConnectionError("db.internal:5432 refused, user secret@example.org")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["failing"] == ["database"]
    assert body["checks"]["database"] == {"ok": False, "error": "ConnectionError"}
    assert "example.org" not in response.get_data(as_text=True)


def test_readyz_names_an_unreachable_queue(app, monkeypatch):
    def broken() -> int:
        raise OSError("queue down")

    monkeypatch.setattr(huey.storage, "queue_size", broken)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["failing"] == ["queue"]


def test_heartbeat_is_a_periodic_task():
    assert health.heartbeat.name in {task.name for task in huey._registry.periodic_tasks}
