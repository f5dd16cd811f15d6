"""The migration chain: one head, builds the schema from empty, no drift, keeps data.

Runs on SQLite, and on PostgreSQL when ``TEST_DATABASE_URL`` is set (``.ci/run``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from tests.conftest import TEST_DATABASE_URL, make_test_config
from webapp import create_app
from webapp.extensions import db

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def empty_database(app):
    """Drop everything so the chain really starts from nothing."""
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
            if connection.dialect.name == "postgresql":
                connection.execute(sa.text("DROP FUNCTION IF EXISTS audit_events_append_only()"))


@pytest.fixture
def bare_app(tmp_path):
    app = create_app(make_test_config(tmp_path))
    empty_database(app)
    yield app
    empty_database(app)
    with app.app_context():
        db.engine.dispose()


def schema_drift(app) -> list:
    with app.app_context(), db.engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), db.metadata)


def test_chain_has_a_single_head(app):
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config(str(MIGRATIONS))
        assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_upgrade_from_empty_builds_the_models_schema(bare_app):
    with bare_app.app_context():
        upgrade(directory=str(MIGRATIONS))
        tables = set(sa.inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) <= tables
    assert schema_drift(bare_app) == []


def test_flask_db_check_reports_no_drift(bare_app):
    runner = bare_app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_downgrade_to_empty_and_back(bare_app):
    with bare_app.app_context():
        upgrade(directory=str(MIGRATIONS))
        downgrade(directory=str(MIGRATIONS), revision="base")
        assert "users" not in sa.inspect(db.engine).get_table_names()
        upgrade(directory=str(MIGRATIONS))
    assert schema_drift(bare_app) == []


def test_audit_log_is_append_only_after_migrating(bare_app):
    with bare_app.app_context():
        upgrade(directory=str(MIGRATIONS))
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO audit_events (created_at, action, detail) "
                    "VALUES (CURRENT_TIMESTAMP, 'test', '{}')"
                )
            )
        with (
            pytest.raises(sa.exc.DatabaseError, match="append-only"),
            db.engine.begin() as connection,
        ):
            connection.execute(sa.text("DELETE FROM audit_events"))


BATCH_REVISION = '''"""Test-only: widen users.name, which rebuilds the table on SQLite."""
import sqlalchemy as sa
from alembic import op

revision = "9999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", recreate="always") as batch_op:
        batch_op.alter_column("name", type_=sa.String(300), existing_type=sa.String(120))


def downgrade():
    with op.batch_alter_table("users", recreate="always") as batch_op:
        batch_op.alter_column("name", type_=sa.String(120), existing_type=sa.String(300))
'''


@pytest.mark.skipif(TEST_DATABASE_URL is not None, reason="the cascade trap is SQLite's")
def test_batch_migration_of_a_parent_table_keeps_child_rows(bare_app, tmp_path):
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, directory)
    with bare_app.app_context():
        head = ScriptDirectory.from_config(
            bare_app.extensions["migrate"].migrate.get_config(str(directory))
        ).get_current_head()
        (directory / "versions" / "9999_batch.py").write_text(BATCH_REVISION.format(head=head))
        upgrade(directory=str(directory), revision=head)
        seed_parent_and_children()
        upgrade(directory=str(directory))
        with db.engine.connect() as connection:
            counts = [
                connection.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
                for t in ("users", "user_roles", "audit_events")
            ]
            version = connection.execute(
                sa.text("SELECT version_num FROM alembic_version")
            ).scalar()
            foreign_keys = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
    assert counts == [1, 2, 1], "the table rebuild cascaded into child rows"
    assert version == "9999"
    assert foreign_keys == 1


def seed_parent_and_children():
    with db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO users"
                " (id, email, name, password_hash, active, session_token, created_at) "
                "VALUES (1, 'a@example.test', 'A', 'x', 1, 't', CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(sa.text("INSERT INTO user_roles VALUES (1, 'trainee'), (1, 'rater')"))
        connection.execute(
            sa.text(
                "INSERT INTO audit_events (created_at, actor_id, action, detail) "
                "VALUES (CURRENT_TIMESTAMP, 1, 'test', '{}')"
            )
        )
