"""Command-line interface: ``flask --app webapp <group> <command>``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from webapp.admin.services import (
    UserDetails,
    create_cohort,
    create_user,
    get_cohort_by_name,
    parse_roles,
)
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.models import Cohort, User

cohorts_cli = AppGroup("cohorts", help="Manage cohorts (the groups trainees are compared in).")
users_cli = AppGroup("users", help="Manage user accounts.")
vignettes_cli = AppGroup("vignettes", help="Manage the vignette library.")
demo_cli = AppGroup("demo", help="Demonstration data.")


def fail(message: str) -> None:
    """Print a clear error and exit non-zero, with nothing written."""
    db.session.rollback()
    click.secho(f"Error: {message}", fg="red", err=True)
    sys.exit(1)


@cohorts_cli.command("create")
@click.argument("name")
@click.option("--description", default="", help="What the cohort is.")
def create_cohort_command(name: str, description: str) -> None:
    """Create a cohort."""
    try:
        cohort = create_cohort(name, description)
    except DomainError as error:
        fail(error.message)
    db.session.commit()
    click.echo(f"Created cohort {cohort.name!r} (id {cohort.id}).")


@cohorts_cli.command("list")
def list_cohorts_command() -> None:
    """List cohorts with their member counts."""
    rows = db.session.execute(
        sa.select(Cohort.name, sa.func.count(User.id))
        .outerjoin(User, User.cohort_id == Cohort.id)
        .group_by(Cohort.id)
        .order_by(Cohort.name)
    ).all()
    if not rows:
        click.echo("No cohorts yet.")
    for name, members in rows:
        click.echo(f"{name}\t{members} member(s)")


@users_cli.command("create")
@click.option("--email", required=True, help="Login email (unique).")
@click.option("--name", required=True, help="The person's name.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    help="trainee, actor, rater, educator or admin; repeat for several.",
)
@click.option("--cohort", default=None, help="Cohort name (for trainees).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(
    email: str, name: str, roles: tuple[str, ...], cohort: str | None, password_stdin: bool
) -> None:
    """Create a user; the password is read from standard input."""
    if not password_stdin:
        fail("Pass --password-stdin and give the password on standard input.")
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        cohort_id = get_cohort_by_name(cohort).id if cohort else None
        details = UserDetails(email=email, name=name, roles=parse_roles(roles), cohort_id=cohort_id)
        user = create_user(details, password)
    except DomainError as error:
        fail(error.message)
    db.session.commit()
    click.echo(f"Created {user.email} with role(s) {', '.join(sorted(user.roles))}.")


@users_cli.command("list")
def list_users_command() -> None:
    """List users with their roles, cohort and status."""
    users = db.session.scalars(sa.select(User).order_by(User.email)).all()
    if not users:
        click.echo("No users yet.")
    for user in users:
        cohort = user.cohort.name if user.cohort else "-"
        status = "active" if user.active else "deactivated"
        click.echo(f"{user.email}\t{user.name}\t{','.join(sorted(user.roles))}\t{cohort}\t{status}")


@vignettes_cli.command("import")
@click.argument("path", required=False, type=click.Path(path_type=Path))
def import_vignettes_command(path: Path | None) -> None:
    """Validate and import vignette files (default: the vignettes/ folder), all or nothing."""
    from webapp.library.services import import_vignettes

    target = path or Path(current_app.config["VIGNETTE_DIR"])
    try:
        report = import_vignettes(target)
    except DomainError as error:
        fail(error.message)
    db.session.commit()
    click.echo(
        f"Imported {len(report.created)} new, {len(report.versioned)} new version(s), "
        f"{len(report.unchanged)} unchanged."
    )


@demo_cli.command("load")
def load_demo_command() -> None:
    """Load demo cohorts, users (one per role) and the vignettes."""
    from webapp.demo import DemoRefused, load_demo

    try:
        logins = load_demo()
    except (DemoRefused, DomainError) as error:
        fail(str(error))
    db.session.commit()
    click.echo(f"Demo data loaded. Logins (password: {current_app.config['DEMO_PASSWORD']}):")
    for email, roles in logins:
        click.echo(f"  {email:<32} {roles}")


@click.command("worker")
@with_appcontext
@click.option("--threads", type=int, default=None, help="Worker threads (default WORKER_THREADS).")
def worker_command(threads: int | None) -> None:
    """Run a background worker in the foreground until interrupted."""
    from webapp.jobs import run_worker

    run_worker(threads or current_app.config["WORKER_THREADS"])


def register_commands(app: Flask) -> None:
    from webapp.estimates.cli import classifier_cli
    from webapp.ops.cli import backup_cli
    from webapp.practice.cli import recordings_cli, transcribe_command
    from webapp.privacy.cli import privacy_cli
    from webapp.reports.cli import report_command
    from webapp.review.cli import rating_cli

    commands = (cohorts_cli, users_cli, vignettes_cli, demo_cli, worker_command)
    rating_cli.add_command(report_command)
    for command in (*commands, recordings_cli, transcribe_command, rating_cli):
        app.cli.add_command(command)
    app.cli.add_command(classifier_cli)
    app.cli.add_command(privacy_cli)
    app.cli.add_command(backup_cli)
