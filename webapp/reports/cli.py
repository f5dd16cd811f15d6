"""``flask --app webapp rating report``: the reliability report on the command line."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from webapp.reports.services import build_reliability

COLUMNS = (
    "pearson_r",
    "icc",
    "alpha_ordinal",
    "weighted_kappa",
    "gwet_ac2",
    "exact_agreement",
    "within_one_agreement",
)


@click.command("report")
@click.option("--instrument", "slug", default="simulated-client", help="Instrument slug.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@with_appcontext
def report_command(slug: str, as_json: bool) -> None:
    """Print the inter-rater reliability report for an instrument."""
    report = build_reliability(slug)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(f"Reliability for {slug}: {report['n_ratings']} submitted score(s)")
    if not report["dimensions"]:
        click.echo("No submitted ratings yet.")
        return
    headings = ("r", "ICC", "α ord", "κw", "AC2", "exact", "±1")
    click.echo(f"{'dimension':<24}{'n2':>5}" + "".join(f"{h:>8}" for h in headings) + "  ok")
    for row in report["dimensions"]:
        cells = [row[key] for key in COLUMNS]
        text = "".join(f"{'—' if v is None else f'{v:.2f}':>8}" for v in cells)
        verdict = "yes" if row["passes"] else "no"
        click.echo(f"{row['dimension']:<24}{row['n_double_coded']:>5}{text}  {verdict}")
        for warning in row["warnings"]:
            click.echo(f"    note: {warning}")
