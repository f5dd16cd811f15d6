"""Nightly database upkeep: fresh query-planner statistics.

SQLite plans queries without statistics until ``ANALYZE`` has run, and then picks, for
example, a full scan of the ratings table over the index that answers the reports'
fingerprint in a few milliseconds.  PostgreSQL's autovacuum analyses tables by itself, but
a bulk import can outrun it, and an extra ``ANALYZE`` at night costs seconds.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from huey import crontab

from webapp.extensions import db
from webapp.jobs import get_app, huey

log = logging.getLogger(__name__)


def refresh_planner_statistics() -> None:
    """Run ``ANALYZE`` on the app database (both SQLite and PostgreSQL understand it)."""
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()


@huey.periodic_task(crontab(minute="41", hour="3"), name="refresh_planner_statistics")
def nightly_statistics() -> None:
    with get_app().app_context():
        refresh_planner_statistics()
        log.info("query planner statistics refreshed")
