"""``flask --app webapp classifier …``: train on the app's data, evaluate on a CSV, predict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

from rating.classifier import cross_validate
from rating.instruments import DEFAULT_INSTRUMENT
from webapp.cli import fail
from webapp.errors import DomainError
from webapp.estimates.advice import recording_estimates
from webapp.estimates.data import get_recording_by_code
from webapp.estimates.external import read_labelled_csv
from webapp.estimates.services import (
    SCALE,
    TrainingRun,
    load_training_set,
    safe_training,
    save_run,
)
from webapp.extensions import db

classifier_cli = AppGroup("classifier", help="The advisory transcript classifier.")

PREDICTORS = (("model", "model"), ("mean_baseline", "mean"), ("permutation", "permuted"))
COLUMNS = (
    ("spearman", "ρ"),
    ("qwk", "κw"),
    ("mae", "MAE"),
    ("exact", "exact"),
    ("within_one", "±1"),
)


def evaluation_lines(summary: dict[str, Any]) -> list[str]:
    """The model and both baselines per dimension, as a fixed-width table."""
    cv = summary["cross_validation"]
    lines = [
        f"Cross-validation: {cv['n_splits']} folds x {cv['n_repeats']} repeat(s), grouped by "
        f"{cv['grouped_by']}; {cv['n_transcripts']} transcripts, {cv['n_groups']} groups.",
        f"{'dimension':<16}{'predictor':<10}" + "".join(f"{label:>8}" for _, label in COLUMNS),
    ]
    for dimension, scores in summary["dimensions"].items():
        for key, label in PREDICTORS:
            values = scores[key]
            cells = "".join(_cell(values.get(metric)) for metric, _ in COLUMNS)
            lines.append(f"{dimension:<16}{label:<10}{cells}")
    return lines


def _cell(value: float | None) -> str:
    return f"{'—' if value is None else f'{value:.2f}':>8}"


@classifier_cli.command("train")
@click.option("--instrument", "slug", default=DEFAULT_INSTRUMENT, help="Instrument slug.")
@click.option("--folds", type=click.IntRange(2, 20), default=5, help="Cross-validation folds.")
@click.option("--repeats", type=click.IntRange(1, 10), default=3, help="Repeats of the folds.")
def train_command(slug: str, folds: int, repeats: int) -> None:
    """Train on rated transcripts; save the model and its card."""
    try:
        data = load_training_set(slug, n_splits=folds)
    except DomainError as error:
        fail(error.message)
    left_out = ", ".join(f"{n} {why}" for why, n in data.skipped.items()) or "none"
    click.echo(
        f"Training on {len(data.records)} recordings from {data.n_trainees} trainees "
        f"({', '.join(data.dimensions)}); left out: {left_out}."
    )
    run = TrainingRun(data, n_splits=folds, n_repeats=repeats)
    with click.progressbar(
        run.steps(), label="Training", item_show_func=lambda step: step[0] if step else None
    ) as steps:
        for _, action in steps:
            try:
                safe_training(action)
            except DomainError as error:
                fail(error.message)
    artifact, card = save_run(run)
    db.session.commit()
    for line in evaluation_lines(run.evaluation().summary()):
        click.echo(line)
    click.echo(f"Saved {artifact} and its model card {card}.")


@classifier_cli.command("evaluate")
@click.option("--csv", "csv_path", required=True, type=click.Path(path_type=Path), help="File.")
@click.option("--text-col", required=True, help="Column holding the transcript text.")
@click.option("--label-col", "label_cols", required=True, multiple=True, help="Rating column(s).")
@click.option("--group-col", default=None, help="Column with a person id, for grouped folds.")
@click.option("--folds", type=click.IntRange(2, 20), default=5, help="Cross-validation folds.")
@click.option("--repeats", type=click.IntRange(1, 10), default=3, help="Repeats of the folds.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def evaluate_command(
    csv_path: Path,
    text_col: str,
    label_cols: tuple[str, ...],
    group_col: str | None,
    folds: int,
    repeats: int,
    as_json: bool,
) -> None:
    """Cross-validate the classifier on a labelled transcript CSV."""
    if not csv_path.is_file():
        fail(f"{csv_path} is not a file.")
    try:
        data = read_labelled_csv(
            csv_path, text_col=text_col, label_cols=label_cols, group_col=group_col
        )
        result = cross_validate(
            data.texts,
            data.ratings,
            groups=data.groups,
            n_splits=folds,
            n_repeats=repeats,
            scale=SCALE,
        )
    except DomainError as error:
        fail(error.message)
    except ValueError as error:
        fail(f"{csv_path.name}: {error}")
    summary = result.summary()
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    if not data.is_grouped:
        click.echo(
            "Note: no --group-col, so each row is its own group; if one person has "
            "several rows the scores are optimistic."
        )
    for line in evaluation_lines(summary):
        click.echo(line)


@classifier_cli.command("predict")
@click.argument("code")
@click.option("--instrument", "slug", default=DEFAULT_INSTRUMENT, help="Instrument slug.")
def predict_command(code: str, slug: str) -> None:
    """Print advisory estimates for one recording, by its code."""
    recording = get_recording_by_code(code)
    if recording is None:
        fail(f"No recording has the code {code!r}.")
        return
    estimates = recording_estimates(recording, slug)
    if not estimates["available"]:
        fail(estimates["reason"])
    click.echo(f"Advisory estimates for {code} (model of {estimates['trained']}):")
    for d in estimates["dimensions"]:
        accuracy = f"cross-validated κw {_cell(d['qwk']).strip()}, ρ {_cell(d['spearman']).strip()}"
        shown = f"{d['estimate']:.1f}" if d["is_shown"] else "hidden"
        click.echo(f"  {d['dimension']:<16}{shown:>7}   ({accuracy})")
    click.echo(f"Dimensions below κw {estimates['threshold']:.2f} are hidden (ESTIMATE_MIN_QWK).")
