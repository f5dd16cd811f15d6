"""Metrics, grouped splits and result types for :mod:`rating.classifier` (private)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from rating._classifier_inputs import FloatArray, Scale, check_scale


@dataclass(frozen=True)
class Metrics:
    """Agreement between ratings and estimates on one test set.

    ``spearman`` and ``pearson`` are NaN when either side is constant (a mean-rating baseline
    has no ranking).  ``qwk``, ``exact`` and ``within_one`` use estimates rounded half up and
    clipped to the scale; ``mae`` uses the continuous clipped estimates.  Ratings that are not
    whole numbers (e.g. the mean of two raters) are rounded half up for ``qwk`` only, so give
    adjudicated whole-number ratings when ``exact`` matters.
    """

    spearman: float
    pearson: float
    qwk: float
    mae: float
    exact: float
    within_one: float

    @classmethod
    def mean_of(cls, items: Sequence[Metrics]) -> Metrics:
        """Average each metric over folds (NaN if any fold is NaN)."""
        return cls(**{k: float(np.mean([asdict(m)[k] for m in items])) for k in METRICS})


METRICS = ("spearman", "pearson", "qwk", "mae", "exact", "within_one")


def _round_half_up(values: FloatArray) -> FloatArray:
    return np.floor(values + 0.5)


def quadratic_weighted_kappa(y_true: FloatArray, y_pred: FloatArray, scale: Scale) -> float:
    r"""Cohen's quadratic weighted kappa between two integer ratings on ``scale``.

    .. math:: \kappa_w = 1 - \frac{\sum_{ij} w_{ij} O_{ij}}{\sum_{ij} w_{ij} E_{ij}},
       \quad w_{ij} = \frac{(i - j)^2}{(k - 1)^2}

    with :math:`O` the observed and :math:`E` the chance-expected (outer product of marginals)
    contingency tables over the :math:`k` scale points [1]_.  NaN when :math:`E` has no
    off-diagonal mass (both raters constant and equal).

    References
    ----------
    .. [1] Cohen, J. (1968). Weighted kappa. *Psychological Bulletin*, 70(4), 213-220.
       https://doi.org/10.1037/h0026256

    Examples
    --------
    The same value as scikit-learn's ``cohen_kappa_score(weights="quadratic")``:

    >>> from sklearn.metrics import cohen_kappa_score
    >>> a, b = [1, 2, 3, 4, 5], [1, 2, 3, 4, 4]
    >>> round(quadratic_weighted_kappa(np.array(a, float), np.array(b, float), (1, 5)), 6)
    0.941176
    >>> round(float(cohen_kappa_score(a, b, weights="quadratic")), 6)
    0.941176
    """
    low, k = int(scale[0]), int(scale[1] - scale[0]) + 1
    observed = np.zeros((k, k))
    np.add.at(observed, ((y_true - low).astype(int), (y_pred - low).astype(int)), 1.0)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / observed.sum()
    grid = np.arange(k)
    weights = (grid[:, None] - grid[None, :]) ** 2 / (k - 1) ** 2
    denominator = float((weights * expected).sum())
    return (
        float("nan") if denominator == 0 else 1.0 - float((weights * observed).sum()) / denominator
    )


def _correlation(kind: str, a: FloatArray, b: FloatArray) -> float:
    if np.ptp(a) == 0 or np.ptp(b) == 0:  # undefined; scipy would warn
        return float("nan")
    result = stats.spearmanr(a, b) if kind == "spearman" else stats.pearsonr(a, b)
    return float(result.statistic)


def evaluate_predictions(
    y_true: ArrayLike, y_pred: ArrayLike, *, scale: Sequence[float] = (1, 5)
) -> Metrics:
    """Score continuous estimates against integer ratings.

    Examples
    --------
    >>> m = evaluate_predictions([1, 2, 3, 4, 5], [1.2, 2.4, 2.6, 4.4, 4.6])
    >>> m.exact, m.within_one, round(m.mae, 2)
    (1.0, 1.0, 0.36)
    """
    bounds = check_scale(scale)
    truth = np.asarray(y_true, dtype=float)
    estimate = np.clip(np.asarray(y_pred, dtype=float), *bounds)
    if truth.shape != estimate.shape or truth.ndim != 1 or truth.size == 0:
        raise ValueError(
            f"y_true and y_pred need equal non-zero length, got {truth.shape} and {estimate.shape}"
        )
    rounded = np.clip(_round_half_up(estimate), *bounds)
    return Metrics(
        spearman=_correlation("spearman", truth, estimate),
        pearson=_correlation("pearson", truth, estimate),
        qwk=quadratic_weighted_kappa(_round_half_up(truth), rounded, bounds),
        mae=float(np.mean(np.abs(truth - estimate))),
        exact=float(np.mean(rounded == truth)),
        within_one=float(np.mean(np.abs(rounded - truth) <= 1)),
    )


def grouped_splits(
    groups: ArrayLike, *, n_splits: int = 5, n_repeats: int = 1, random_state: int = 0
) -> Iterator[tuple[NDArray[np.intp], NDArray[np.intp]]]:
    """Yield (train, test) index arrays; a group is never on both sides of a split.

    Each repeat shuffles the groups, then deals them, largest first (stable, so equal-sized
    groups keep the shuffled order), to the fold with the fewest transcripts so far; folds come
    out balanced and differ between repeats.  Works with any scikit-learn version (GroupKFold's
    own ``shuffle`` needs 1.6).
    """
    labels = np.asarray(groups, dtype=object)
    unique, inverse, sizes = np.unique(labels.astype(str), return_inverse=True, return_counts=True)
    rng = np.random.default_rng(random_state)
    for _ in range(n_repeats):
        order = rng.permutation(unique.size)
        order = order[np.argsort(-sizes[order], kind="stable")]
        fold_of_group = np.empty(unique.size, dtype=int)
        load = np.zeros(n_splits)
        for group in order:
            fold_of_group[group] = int(np.argmin(load))
            load[fold_of_group[group]] += sizes[group]
        folds = fold_of_group[inverse]
        for fold in range(n_splits):
            yield np.flatnonzero(folds != fold), np.flatnonzero(folds == fold)


@dataclass(frozen=True)
class ScoreSet:
    """Per-fold metrics of one predictor on one dimension, folds in split order."""

    folds: tuple[Metrics, ...]

    @property
    def mean(self) -> Metrics:
        """Metrics averaged over folds (and repeats)."""
        return Metrics.mean_of(self.folds)


@dataclass(frozen=True)
class DimensionScores:
    """The model and its two baselines on one dimension.

    ``mean_baseline`` predicts the training-fold mean rating; ``permutation`` is the full
    pipeline trained on training-fold ratings shuffled across transcripts.  A model that does not
    clearly beat both has learned nothing useful (or, for the permutation one, leaks).
    """

    model: ScoreSet
    mean_baseline: ScoreSet
    permutation: ScoreSet


@dataclass(frozen=True)
class CrossValidation:
    """Result of :func:`cross_validate`."""

    scores: dict[str, DimensionScores]
    n_splits: int
    n_repeats: int
    n_transcripts: int
    n_groups: int

    def summary(self) -> dict[str, Any]:
        """JSON-ready mean metrics per dimension and predictor (NaN becomes None)."""

        def means(scores: ScoreSet) -> dict[str, float | None]:
            return {
                k: (None if np.isnan(v) else round(v, 4)) for k, v in asdict(scores.mean).items()
            }

        return {
            "cross_validation": {
                "n_splits": self.n_splits,
                "n_repeats": self.n_repeats,
                "grouped_by": "trainee",
                "n_transcripts": self.n_transcripts,
                "n_groups": self.n_groups,
            },
            "dimensions": {
                name: {
                    "model": means(s.model),
                    "mean_baseline": means(s.mean_baseline),
                    "permutation": means(s.permutation),
                }
                for name, s in self.scores.items()
            },
        }


@dataclass(frozen=True)
class LearningCurve:
    """Result of :func:`learning_curve`.

    Attributes
    ----------
    train_sizes : tuple of int
        Mean number of training transcripts at each size.
    scores : dict of str to numpy.ndarray
        Per dimension, the metric with shape (n_sizes, n_splits).
    metric : str
    """

    train_sizes: tuple[int, ...]
    scores: dict[str, FloatArray]
    metric: str

    def mean(self) -> dict[str, FloatArray]:
        """Metric averaged over splits, per dimension and size."""
        return {name: values.mean(axis=1) for name, values in self.scores.items()}
