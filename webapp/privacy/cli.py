"""``flask --app webapp privacy …``: retention purge and backfill."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from webapp.extensions import db
from webapp.privacy.retention import backfill_retain_until, purge_expired_recordings

privacy_cli = AppGroup("privacy", help="Retention and other privacy housekeeping.")


@privacy_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="List what would be purged; change nothing.")
def purge_command(dry_run: bool) -> None:
    """Delete audio and transcript text of recordings past their retention date."""
    ids = purge_expired_recordings(dry_run=dry_run)
    verb = "Would purge" if dry_run else "Purged"
    click.echo(f"{verb} {len(ids)} recording(s){': ' if ids else '.'}{', '.join(map(str, ids))}")


@privacy_cli.command("backfill-retention")
def backfill_command() -> None:
    """Set retain_until on recordings that have none (creation date + RETENTION_DAYS)."""
    count = backfill_retain_until()
    db.session.commit()
    click.echo(f"Set a retention date on {count} recording(s).")
