"""``/healthz`` (the process answers) and ``/readyz`` (it can do its work).

Readiness checks the database (``SELECT 1``), the queue storage, the age of the worker
heartbeat and the free space in ``DATA_DIR``.  The answers name checks, never data: load
balancers and monitors read them without logging in.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app, jsonify
from huey import crontab
from huey.constants import EmptyData

from webapp.access import public
from webapp.extensions import db
from webapp.jobs import huey
from webapp.ops import bp
from webapp.orm import utcnow

HEARTBEAT_KEY = "simclient:worker-heartbeat"


@huey.periodic_task(crontab(minute="*"), name="heartbeat")
def heartbeat() -> str:
    """Huey task: record that a worker is alive (read by ``/readyz``)."""
    return write_heartbeat()


def write_heartbeat(now: datetime | None = None) -> str:
    """Store the current time under the heartbeat key of the queue storage."""
    stamp = (now or utcnow()).isoformat()
    huey.storage.put_data(HEARTBEAT_KEY, stamp.encode())
    return stamp


def read_heartbeat() -> datetime | None:
    """The last heartbeat any worker wrote, or None."""
    raw = huey.storage.peek_data(HEARTBEAT_KEY)
    if raw is EmptyData or raw is None:
        return None
    return datetime.fromisoformat(bytes(raw).decode())


def check_database() -> dict[str, Any]:
    db.session.execute(sa.text("SELECT 1"))
    return {"ok": True}


def check_queue() -> dict[str, Any]:
    return {"ok": True, "pending": int(huey.storage.queue_size())}


def check_worker() -> dict[str, Any]:
    if huey.immediate:  # tasks run inline (tests): there is no worker to wait for
        return {"ok": True, "mode": "immediate"}
    beat = read_heartbeat()
    if beat is None:
        return {"ok": False, "reason": "no worker heartbeat yet"}
    age = (utcnow() - beat).total_seconds()
    limit = current_app.config["HEARTBEAT_MAX_AGE_SECONDS"]
    return {"ok": age <= limit, "age_seconds": round(age, 1), "max_age_seconds": limit}


def check_disk() -> dict[str, Any]:
    free_mb = shutil.disk_usage(current_app.config["DATA_DIR"]).free // (1024 * 1024)
    minimum = current_app.config["MIN_FREE_DISK_MB"]
    return {"ok": free_mb >= minimum, "free_mb": free_mb, "min_free_mb": minimum}


CHECKS: dict[str, Callable[[], dict[str, Any]]] = {
    "database": check_database,
    "queue": check_queue,
    "worker": check_worker,
    "disk": check_disk,
}


def run_checks() -> dict[str, dict[str, Any]]:
    """Run every check; an exception fails that check with the exception's type only."""
    results: dict[str, dict[str, Any]] = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as error:  # a failing dependency is the answer, not a crash
            if name == "database":
                db.session.rollback()
            current_app.logger.warning("readiness check %s failed: %r", name, error)
            results[name] = {"ok": False, "error": type(error).__name__}
    return results


@bp.route("/healthz")
@public
def healthz() -> Any:
    return jsonify(status="ok")


@bp.route("/readyz")
@public
def readyz() -> Any:
    results = run_checks()
    failing = sorted(name for name, result in results.items() if not result["ok"])
    status = "ok" if not failing else "unavailable"
    body = jsonify(status=status, failing=failing, checks=results)
    return body, 200 if not failing else 503
