"""``flask rating …``: blind allocation from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from webapp.extensions import db
from webapp.review.allocation import allocate_recordings

rating_cli = AppGroup("rating", help="Rating: blind allocation and reliability.")


@rating_cli.command("allocate")
@click.option("--seed", type=int, default=None, help="Seed, to reproduce an allocation.")
def allocate_command(seed: int | None) -> None:
    """Allocate every READY recording still waiting for raters (and refill recusals)."""
    report = allocate_recordings(seed=seed)
    db.session.commit()
    click.echo(
        f"Allocated {report.allocated} recording(s); "
        f"{report.refilled} handed-back task(s) reassigned; {report.pending} still pending."
    )
    if report.message:
        click.echo(f"Pending because: {report.message}")
