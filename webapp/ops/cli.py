"""``flask --app webapp backup create|restore|verify PATH``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from webapp.ops.backup import BackupError, create_backup, restore_backup, verify_backup

backup_cli = AppGroup("backup", help="Back up and restore the database and the file store.")


def _fail(error: BackupError) -> None:
    click.secho(f"Error: {error}", fg="red", err=True)
    sys.exit(1)


@backup_cli.command("create")
@click.argument("path", type=click.Path(path_type=Path))
def create_backup_command(path: Path) -> None:
    """Write the database, recordings and models with a checksum manifest into PATH."""
    try:
        manifest = create_backup(path)
    except BackupError as error:
        _fail(error)
    size = sum(entry["size"] for entry in manifest["files"])
    click.echo(f"Backup written to {path}: {len(manifest['files'])} file(s), {size} bytes.")


@backup_cli.command("verify")
@click.argument("path", type=click.Path(path_type=Path, exists=True, file_okay=False))
def verify_backup_command(path: Path) -> None:
    """Check every file in the backup at PATH against its manifest."""
    try:
        manifest = verify_backup(path)
    except BackupError as error:
        _fail(error)
    click.echo(f"Backup {path} is intact ({len(manifest['files'])} file(s)).")


@backup_cli.command("restore")
@click.argument("path", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the current data.")
def restore_backup_command(path: Path, yes: bool) -> None:
    """Verify the backup at PATH, then replace the database and file store with it."""
    if not yes:
        click.confirm("This replaces the current database and files. Continue?", abort=True)
    try:
        manifest = restore_backup(path)
    except BackupError as error:
        _fail(error)
    click.echo(f"Restored the backup of {manifest['created_at']} from {path}.")
