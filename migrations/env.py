"""Alembic environment for Flask-Migrate, with the SQLite foreign-key guard.

Why the guard: SQLite cannot ALTER most things, so batch migrations copy a table,
DROP the old one and rename the copy.  With ``PRAGMA foreign_keys=ON`` (which the app
sets on every connection) that DROP fires ``ON DELETE CASCADE`` and silently deletes
child rows.  So on SQLite we switch foreign keys off - and commit, because the PRAGMA
opens a transaction that Alembic would otherwise join, leaving ``alembic_version``
uncommitted - run the migrations, then refuse to finish if ``PRAGMA
foreign_key_check`` reports any dangling reference.
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy import text

config = context.config
if config.config_file_name and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db


def get_engine():
    return target_db.engine


config.set_main_option(
    "sqlalchemy.url", get_engine().url.render_as_string(hide_password=False).replace("%", "%%")
)


def run_migrations_offline():
    """Emit SQL to standard output instead of running it."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_db.metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def skip_empty_autogenerate(context_, revision, directives):
    """Do not write a revision file when autogenerate found nothing to do."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def run_migrations_online():
    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", skip_empty_autogenerate)
    with get_engine().connect() as connection:
        is_sqlite = connection.dialect.name == "sqlite"
        if is_sqlite:
            connection.execute(text("PRAGMA foreign_keys=OFF"))
            connection.commit()
        context.configure(connection=connection, target_metadata=target_db.metadata, **conf_args)
        with context.begin_transaction():
            context.run_migrations()
        if is_sqlite:
            check_foreign_keys(connection)


def check_foreign_keys(connection):
    """Fail loudly if the migration left a row pointing at nothing."""
    problems = connection.execute(text("PRAGMA foreign_key_check")).fetchall()
    connection.execute(text("PRAGMA foreign_keys=ON"))
    connection.commit()
    if problems:
        raise RuntimeError(f"migration left dangling foreign keys: {problems[:10]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
