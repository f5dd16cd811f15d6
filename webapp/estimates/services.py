"""Training the transcript classifier on the app's data, and the model files it writes.

One model per instrument: ``<MODELS_DIR>/<slug>.skops`` with its model card
``<slug>.card.json`` (written by :meth:`rating.classifier.RatingModel.save`).  The card gets
one extra section, ``app``, with what the library cannot know: the instrument, which
recordings trained the model (so the model page can set human agreement on exactly those
recordings beside it), what was left out, and the learning curve.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from flask import current_app

from rating._model_card import check_versions, read_card
from rating.classifier import (
    CrossValidation,
    DimensionScores,
    LearningCurve,
    RatingModel,
    ScoreSet,
    cross_validate,
    learning_curve,
    train,
)
from webapp.audit import record_event
from webapp.errors import Conflict, InvalidInput, NotFound
from webapp.estimates.data import TrainingSet, get_training_set
from webapp.models import AuditAction, User

SCALE = (1, 5)
CURVE_METRIC = "qwk"
SPEAKER_RULE = "segments without a known speaker count as the worker's"


class TooFewData(InvalidInput):
    """Not enough transcripts or trainees for grouped cross-validation."""


def models_dir() -> Path:
    """Where model artifacts live (config ``MODELS_DIR``; see webapp/config.py)."""
    return Path(current_app.config["MODELS_DIR"])


def artifact_path(slug: str) -> Path:
    return models_dir() / f"{slug}.skops"


def card_path(slug: str) -> Path:
    return models_dir() / f"{slug}.card.json"


def load_training_set(slug: str, *, n_splits: int) -> TrainingSet:
    """The app's training data for ``slug``, or TooFewData saying what is missing."""
    data = get_training_set(slug)
    n, groups = len(data.records), data.n_trainees
    if n < n_splits or groups < n_splits:
        raise TooFewData(
            f"Too little data to train on {slug!r}: {n} recording(s) with a transcript and "
            f"final scores, from {groups} trainee(s); {n_splits}-fold cross-validation by "
            f"trainee needs at least {n_splits} of each."
        )
    return data


@dataclass
class TrainingRun:
    """Cross-validation, learning curve and final fit, run step by step (for a progress bar)."""

    data: TrainingSet
    n_splits: int = 5
    n_repeats: int = 3
    random_state: int = 0
    repeats: list[CrossValidation] = field(default_factory=list)
    curve: LearningCurve | None = None
    model: RatingModel | None = None

    @property
    def texts(self) -> list[str]:
        return [r.text for r in self.data.records]

    @property
    def ratings(self) -> dict[str, list[float]]:
        return {d: [r.scores[d] for r in self.data.records] for d in self.data.dimensions}

    @property
    def groups(self) -> list[str]:
        return [str(r.trainee_id) for r in self.data.records]

    def steps(self) -> list[tuple[str, Callable[[], None]]]:
        """(label, action) in order; every action must run before :meth:`evaluation`."""
        repeats = [
            (f"cross-validation {r + 1}/{self.n_repeats}", partial(self._cross_validate, r))
            for r in range(self.n_repeats)
        ]
        return [*repeats, ("learning curve", self._learning_curve), ("final model", self._fit)]

    def _cross_validate(self, repeat: int) -> None:
        # One repeat per call, each with its own shuffle of trainees, so that a progress bar
        # can move between them; merged by evaluation().
        self.repeats.append(
            cross_validate(
                self.texts,
                self.ratings,
                groups=self.groups,
                n_splits=self.n_splits,
                n_repeats=1,
                scale=SCALE,
                random_state=self.random_state + 1000 * repeat,
            )
        )

    def _learning_curve(self) -> None:
        self.curve = learning_curve(
            self.texts,
            self.ratings,
            groups=self.groups,
            n_splits=self.n_splits,
            metric=CURVE_METRIC,
            scale=SCALE,
            random_state=self.random_state,
        )

    def _fit(self) -> None:
        self.model = train(self.texts, self.ratings, groups=self.groups, scale=SCALE)

    def run(self) -> None:
        """Run every step (without a progress bar)."""
        for _, action in self.steps():
            action()

    def evaluation(self) -> CrossValidation:
        """The repeats merged into one result, as ``cross_validate(n_repeats=…)`` returns."""
        if len(self.repeats) != self.n_repeats:
            raise RuntimeError("run every cross-validation step first")
        first = self.repeats[0]
        scores = {name: _merge([r.scores[name] for r in self.repeats]) for name in first.scores}
        return CrossValidation(
            scores, self.n_splits, self.n_repeats, first.n_transcripts, first.n_groups
        )


def _merge(parts: list[DimensionScores]) -> DimensionScores:
    def folds(kind: str) -> ScoreSet:
        return ScoreSet(tuple(f for p in parts for f in getattr(p, kind).folds))

    return DimensionScores(folds("model"), folds("mean_baseline"), folds("permutation"))


def safe_training(action: Callable[[], None]) -> None:
    """Run one step, turning the library's precise ValueErrors into a domain error."""
    try:
        action()
    except ValueError as error:
        raise InvalidInput(f"Training failed: {error}") from error


def save_run(run: TrainingRun, *, by: User | None = None) -> tuple[Path, Path]:
    """Write the artifact and its card (with the ``app`` section) and audit it."""
    if run.model is None or run.curve is None:
        raise RuntimeError("run every training step first")
    models_dir().mkdir(parents=True, exist_ok=True)
    artifact, card_file = run.model.save(artifact_path(run.data.slug), evaluation=run.evaluation())
    card = json.loads(card_file.read_text(encoding="utf-8"))
    card["app"] = app_section(run, run.curve)
    card_file.write_text(json.dumps(card, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    record_event(
        AuditAction.CLASSIFIER_TRAINED,
        actor=by,
        detail={
            "instrument": run.data.slug,
            "n_transcripts": len(run.data.records),
            "n_trainees": run.data.n_trainees,
            "artifact": artifact.name,
            "artifact_sha256": card["artifact_sha256"],
        },
    )
    return artifact, card_file


def app_section(run: TrainingRun, curve: LearningCurve) -> dict[str, Any]:
    return {
        "instrument": run.data.slug,
        "recording_ids": [r.recording_id for r in run.data.records],
        "n_trainees": run.data.n_trainees,
        "skipped": run.data.skipped,
        "speaker_rule": SPEAKER_RULE,
        "learning_curve": {
            "metric": curve.metric,
            "train_sizes": list(curve.train_sizes),
            "dimensions": {
                name: [_json_number(v) for v in values] for name, values in curve.mean().items()
            },
        },
    }


def _json_number(value: Any) -> float | None:
    number = float(value)
    return None if math.isnan(number) else round(number, 4)


def read_model_card(slug: str) -> dict[str, Any] | None:
    """The card of the model trained for ``slug``; None when there is none, Conflict when
    it is unreadable."""
    path = card_path(slug)
    if not path.is_file():
        return None
    try:
        return read_card(path)
    except ValueError as error:
        raise Conflict(str(error)) from error


def version_problem(card: dict[str, Any]) -> str | None:
    """Why this installation cannot load the card's model, or None."""
    try:
        check_versions(card.get("versions"))
    except ValueError as error:
        return str(error)
    return None


_CACHE: dict[tuple[str, int, int], RatingModel] = {}
_CACHE_LOCK = threading.Lock()


def load_model(slug: str) -> RatingModel:
    """The trained model for ``slug`` (cached per process until the file changes)."""
    path = artifact_path(slug)
    if not path.is_file():
        raise NotFound(f"No model has been trained for {slug!r} yet.")
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    with _CACHE_LOCK:
        if key not in _CACHE:
            try:
                model = RatingModel.load(path)
            except ValueError as error:
                raise Conflict(f"The model for {slug!r} cannot be used: {error}") from error
            for stale in [k for k in _CACHE if k[0] == key[0]]:
                del _CACHE[stale]
            _CACHE[key] = model
        return _CACHE[key]
