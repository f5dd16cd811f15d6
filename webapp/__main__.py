"""``python -m webapp``: migrate, load demo data on first run, serve with a worker.

This is what ``make run`` calls.  In production use gunicorn and separate
``flask --app webapp worker`` processes instead (see the README).
"""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from webapp import create_app
from webapp.config import PRODUCTION, ConfigError


def prepare_database(app: Flask) -> bool:
    """Apply migrations; load demo data when the database has no users yet."""
    from webapp.demo import load_demo
    from webapp.extensions import db
    from webapp.models import User

    with app.app_context():
        upgrade()
        first_run = db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
        if first_run and app.config["APP_ENV"] != PRODUCTION:
            load_demo()
            db.session.commit()
        return first_run


def print_banner(app: Flask) -> None:
    from webapp.demo import demo_logins

    url = f"http://{app.config['HOST']}:{app.config['PORT']}"
    click.secho(f"\nSimclient is running at {url}", fg="green", bold=True)
    if app.config["APP_ENV"] != PRODUCTION:
        click.echo(f"Demo logins (password: {app.config['DEMO_PASSWORD']}):")
        for email, roles in demo_logins():
            click.echo(f"  {email:<26} {roles}")
    click.echo("Press Ctrl+C to stop.\n")


def main() -> None:
    """Serve the app with waitress on HOST:PORT."""
    from waitress import serve

    from webapp.jobs import start_embedded_worker

    try:
        app = create_app()
    except ConfigError as error:
        click.secho(f"Cannot start: {error}", fg="red", err=True)
        sys.exit(2)
    prepare_database(app)
    consumer = start_embedded_worker(app) if app.config["EMBEDDED_WORKER"] else None
    print_banner(app)
    try:
        serve(app, host=app.config["HOST"], port=app.config["PORT"], threads=8, ident="simclient")
    finally:
        if consumer is not None:
            consumer.stop(graceful=True)


if __name__ == "__main__":
    main()
