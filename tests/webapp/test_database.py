"""Database behaviour: SQLite settings, UTC timestamps, the append-only audit log."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from webapp.audit import record_event
from webapp.extensions import db
from webapp.jobs import huey
from webapp.models import AuditAction, AuditEvent, Cohort, Role, User
from webapp.ops.maintenance import refresh_planner_statistics


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite-only settings")
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_timestamps_come_back_utc_aware(app):
    with app.app_context():
        cohort = Cohort(name="Site A")
        db.session.add(cohort)
        db.session.commit()
        db.session.expire_all()
        created = db.session.get(Cohort, cohort.id).created_at
        assert created.tzinfo is not None
        assert created.utcoffset().total_seconds() == 0
        assert abs((datetime.now(UTC) - created).total_seconds()) < 60


def test_naive_datetimes_are_refused(app):
    with app.app_context():
        db.session.add(Cohort(name="x", created_at=datetime(2026, 1, 1)))
        with pytest.raises(sa.exc.StatementError, match="naive datetime"):
            db.session.commit()
        db.session.rollback()


def test_deleting_a_cohort_keeps_its_members(app, make_user, make_cohort):
    cohort_id = make_cohort("Site A")
    user_id = make_user(Role.TRAINEE, cohort_id=cohort_id)
    with app.app_context():
        db.session.delete(db.session.get(Cohort, cohort_id))
        db.session.commit()
        assert db.session.get(User, user_id).cohort_id is None


@pytest.fixture
def event_id(app, make_user):
    user_id = make_user(Role.ADMIN)
    with app.app_context():
        event = record_event(
            AuditAction.USER_CREATED, actor=db.session.get(User, user_id), detail={"x": 1}
        )
        db.session.commit()
        return event.id


def test_audit_events_cannot_be_edited(app, event_id):
    with app.app_context():
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            db.session.execute(
                sa.update(AuditEvent).where(AuditEvent.id == event_id).values(action="x")
            )
            db.session.flush()
        db.session.rollback()


def test_audit_events_cannot_be_deleted(app, event_id):
    with app.app_context():
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id == event_id))
            db.session.flush()
        db.session.rollback()


def test_audit_actor_may_only_be_erased(app, event_id):
    with app.app_context():
        db.session.execute(
            sa.update(AuditEvent).where(AuditEvent.id == event_id).values(actor_id=None)
        )
        db.session.commit()
        assert db.session.get(AuditEvent, event_id).actor_id is None
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            db.session.execute(
                sa.update(AuditEvent).where(AuditEvent.id == event_id).values(actor_id=1)
            )
            db.session.flush()
        db.session.rollback()


def test_audit_event_shares_the_transaction_of_its_change(app):
    with app.app_context():
        cohort = Cohort(name="Rolled back")
        db.session.add(cohort)
        db.session.flush()
        record_event(AuditAction.COHORT_CREATED, obj=cohort)
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0


def test_nightly_upkeep_gives_the_query_planner_statistics(app, make_user):
    """SQLite plans without statistics until ANALYZE; PostgreSQL's are refreshed too."""
    for _ in range(3):
        make_user(Role.TRAINEE)
    with app.app_context():
        refresh_planner_statistics()
        if db.engine.dialect.name == "sqlite":
            stats = db.session.execute(sa.text("SELECT tbl FROM sqlite_stat1")).scalars().all()
        else:
            query = "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"
            stats = db.session.execute(sa.text(query)).scalars().all()
        assert "users" in stats
    assert "refresh_planner_statistics" in {task.name for task in huey._registry.periodic_tasks}
