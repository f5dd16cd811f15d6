"""Per-dimension reliability report from long-format ratings.

Private module: import :func:`reliability_report` from :mod:`rating.scale_checks`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import numpy as np
from numpy.typing import NDArray

from rating._bootstrap import (
    BootstrapResult,
    _fast_resamples,
    _percentile_result,
    _UnitDraws,
    bootstrap_ci,
)
from rating._coincidence import gwet_ac, krippendorff_alpha
from rating._correlation import CorrelationResult, pearson_r
from rating._icc import ICC_FORMS, ICCResult, icc
from rating._long import DimensionRatings, IntArray, parse_long_rows
from rating._validate import FloatArray, check_choice, scale_points
from rating.agreement import cohen_kappa, percent_agreement

RELIABILITY_THRESHOLD = 0.7
"""The source method keeps a dimension when first-versus-second-coder r exceeds 0.7."""

MIN_DOUBLE_CODED = 30
"""Below this many double-coded recordings a dimension's coefficients carry a warning."""

Weights = Literal["linear", "quadratic"]
T = TypeVar("T")

_FAST_BOOTSTRAP = True
"""Bootstrap from resampled sums (True) or call each statistic per resample (False).

Both give the same intervals; the switch exists so tests and ``benchmarks/agreement.py``
can compare the two paths on the same data."""

_CONFIDENCE = 0.95


@dataclass(frozen=True, slots=True)
class DimensionReliability:
    """Agreement between coders on one dimension; NaN (or None) where undefined.

    ``passes`` applies the method's criterion, Pearson r > threshold.  ``below_threshold``
    lists every coefficient at or below the threshold.  ``warnings`` explains small samples
    and coefficients that could not be computed.  ``bootstrap`` is empty unless asked for.
    """

    dimension: str
    n_recordings: int
    n_double_coded: int
    pearson: CorrelationResult | None
    icc: ICCResult | None
    alpha_ordinal: float
    alpha_interval: float
    weighted_kappa: float
    gwet_ac2: float
    exact_agreement: float
    within_one_agreement: float
    passes: bool
    below_threshold: tuple[str, ...]
    warnings: tuple[str, ...]
    bootstrap: Mapping[str, BootstrapResult] = field(default_factory=dict)

    @property
    def pearson_r(self) -> float:
        """Pearson r between first and second coder (NaN if undefined)."""
        return float("nan") if self.pearson is None else self.pearson.r


@dataclass(frozen=True, slots=True)
class RaterPairMatrix:
    """Agreement of every pair of raters on one dimension, over recordings both rated.

    ``n[i, j]`` counts shared recordings, ``r[i, j]`` is their Pearson r (NaN with fewer than
    three shared recordings or no variance) and ``exact[i, j]`` the share of identical scores
    (NaN when they share none).  Matrices are symmetric, indexed like ``raters``.
    """

    dimension: str
    raters: tuple[str, ...]
    n: NDArray[np.int64]
    r: FloatArray
    exact: FloatArray


@dataclass(frozen=True, slots=True)
class ReliabilityReport:
    """Per-dimension reliability and rater-pair matrices, with the settings used."""

    dimensions: Mapping[str, DimensionReliability]
    rater_pairs: Mapping[str, RaterPairMatrix]
    icc_form: str
    kappa_weights: str
    threshold: float
    min_n: int


def reliability_report(
    long_rows: Iterable[Mapping[str, object] | Sequence[object]],
    *,
    scale: Sequence[float] | None = None,
    threshold: float = RELIABILITY_THRESHOLD,
    min_n: int = MIN_DOUBLE_CODED,
    icc_form: str = "ICC1",
    kappa_weights: Weights = "quadratic",
    bootstrap: bool = False,
    n_resamples: int = 1000,
    seed: int | None = None,
) -> ReliabilityReport:
    r"""Reliability of each rating dimension on the double-coded recordings.

    Parameters
    ----------
    long_rows : iterable of mapping or 4-tuple
        One record per rating with ``recording_code``, ``rater``, ``dimension`` and ``score``
        (mappings with those keys, :class:`RatingRow` or plain tuples in that order).  The
        first two ratings of a recording on a dimension, *in input order*, are its first and
        second coder, so pass rows in submission order.  Pass raw ratings, not adjudicated
        final scores.
    scale : (low, high), optional
        The rating scale, e.g. ``(1, 5)``.  Scores outside it raise ``ValueError``; whole
        number points of it are the categories of kappa and AC2, so unused points count.
    threshold : float, default 0.7
        The method's criterion: a dimension ``passes`` when Pearson r > threshold.  Every
        coefficient at or below it is listed in ``below_threshold``.
    min_n : int, default 30
        Fewer double-coded recordings than this add a warning.  Thirty follows Koo & Li's
        (2016) advice for reliability studies; with n = 19 (the source study's reliability
        set) the 95 % interval of r = .80 runs from about .54 to .92.
    icc_form : str, default "ICC1"
        Which :func:`rating.agreement.icc` form to report.  ICC1 suits rotating raters, where
        "first" and "second" coder are different people on different recordings.
    kappa_weights : {"quadratic", "linear"}, default "quadratic"
        Weights of Cohen's kappa and Gwet's AC2.
    bootstrap : bool, default False
        Add percentile bootstrap CIs (resampling recordings) for Pearson r, both alphas,
        weighted kappa and AC2.  Off by default.  The intervals equal
        :func:`rating.agreement.bootstrap_ci` with the same ``seed`` (same draws, same failed
        resamples) but are computed from resampled sums, see Notes.
    n_resamples : int, default 1000
        Bootstrap resamples.
    seed : int, optional
        Seed of the bootstrap.

    Returns
    -------
    ReliabilityReport
        ``dimensions`` maps each dimension (in order of first appearance) to a
        :class:`DimensionReliability`: n recordings and n double-coded, Pearson r with its
        Fisher-z CI, the chosen ICC with its CI, Krippendorff's alpha (ordinal and interval,
        over all ratings of all recordings), weighted kappa and AC2 (first vs second coder for
        kappa; all ratings for AC2), exact and within-one agreement, ``passes``,
        ``below_threshold`` and ``warnings``.  ``rater_pairs`` maps each dimension to a
        :class:`RaterPairMatrix`.  A coefficient that is undefined on the data (e.g. no
        variance) is NaN with the reason in ``warnings``, so one degenerate dimension never
        hides the others.

    Raises
    ------
    ValueError
        For a malformed record, a missing or non-numeric score, a score outside ``scale``,
        a rater scoring the same recording twice on a dimension, an unknown ``icc_form`` or
        ``kappa_weights``, ``min_n`` < 2, or ``n_resamples`` < 1 with ``bootstrap``.

    Notes
    -----
    Without bootstrap the report is vectorised and takes well under a second for 10,000
    recordings x 2 raters x 4 dimensions (see ``benchmarks/agreement.py``).  The statistics
    and their formulas are documented in :mod:`rating.agreement`.

    The bootstrap does not recompute each statistic per resample.  Each one is a function of
    sums over recordings (Pearson r of the first-by-second-coder table, kappa of the same
    table, alpha of the coincidence matrix, AC2 of per-recording agreement terms and
    category shares), and a resample's sum is the original per-recording terms weighted by
    how often each recording was drawn.  So the draws are counted once and every resample's
    statistic follows from a few small matrix products.  Scores with more than 16 distinct
    values fall back to calling each statistic per resample.

    References
    ----------
    .. [1] Koo, T. K., & Li, M. Y. (2016). A guideline of selecting and reporting intraclass
       correlation coefficients for reliability research. *Journal of Chiropractic
       Medicine*, 15(2), 155-163. https://doi.org/10.1016/j.jcm.2016.02.012
    .. [2] Forrester, D., et al. (2013). *Reclaiming Social Work? An Evaluation of Systemic
       Units as an Approach to Delivering Children's Services*. Tilda Goldberg Centre,
       University of Bedfordshire (criterion r > 0.7).

    Examples
    --------
    Shrout & Fleiss's (1979) first two judges as first and second coder of six recordings.
    Their scores correlate (r = .745, which passes r > 0.7) but judge 2 scores about five
    points lower, so absolute agreement is poor (ICC(1,1) = -.50).

    >>> judge_1, judge_2 = [9, 6, 8, 7, 10, 6], [2, 1, 4, 1, 5, 2]
    >>> rows = [(f"rec{i}", "judge 1", "warmth", s) for i, s in enumerate(judge_1)]
    >>> rows += [(f"rec{i}", "judge 2", "warmth", s) for i, s in enumerate(judge_2)]
    >>> report = reliability_report(rows)
    >>> warmth = report.dimensions["warmth"]
    >>> warmth.n_double_coded, round(warmth.pearson_r, 3), warmth.passes
    (6, 0.745, True)
    >>> round(warmth.icc.value, 2), warmth.below_threshold[0]
    (-0.5, 'icc')
    """
    check_choice(icc_form, tuple(ICC_FORMS), name="icc_form")
    check_choice(kappa_weights, ("linear", "quadratic"), name="kappa_weights")
    if int(min_n) != min_n or min_n < 2:
        raise ValueError(f"min_n must be an integer of at least 2; got {min_n!r}")
    if bootstrap and (int(n_resamples) != n_resamples or n_resamples < 1):
        raise ValueError(f"n_resamples must be a positive integer; got {n_resamples!r}")
    ratings = parse_long_rows(long_rows, scale=scale)
    categories = scale_points(scale)
    settings = _Settings(icc_form, kappa_weights, categories, float(threshold), int(min_n))
    # One set of draws per number of recordings, shared by every dimension and statistic.
    draws = _UnitDraws(int(n_resamples), seed) if bootstrap else None
    dimensions = {
        name: _dimension(data, settings, draws) for name, data in ratings.dimensions.items()
    }
    pairs = {name: _rater_pairs(data, ratings.raters) for name, data in ratings.dimensions.items()}
    return ReliabilityReport(
        dimensions=dimensions,
        rater_pairs=pairs,
        icc_form=icc_form,
        kappa_weights=kappa_weights,
        threshold=float(threshold),
        min_n=int(min_n),
    )


@dataclass(frozen=True, slots=True)
class _Settings:
    icc_form: str
    weights: Weights
    categories: tuple[float, ...] | None
    threshold: float
    min_n: int


def _attempt(name: str, compute: Callable[[], float], notes: list[str]) -> float:
    try:
        return compute()
    except ValueError as error:
        notes.append(f"{name} undefined: {error}")
        return float("nan")


def _dimension(
    data: DimensionRatings, settings: _Settings, draws: _UnitDraws | None
) -> DimensionReliability:
    notes: list[str] = []
    first, second = data.first_two()
    n_double = int(first.size)
    if n_double < settings.min_n:
        notes.append(
            f"only {n_double} double-coded recording(s), fewer than {settings.min_n}: "
            "coefficients are too imprecise to trust"
        )
    pair = np.vstack([first, second])
    pearson = _optional(lambda: pearson_r(first, second), "pearson_r", notes)
    icc_result = _optional(lambda: icc(pair.T)[settings.icc_form], "icc", notes)
    statistics = _statistics(data.scores, pair, settings)
    values = {name: _attempt(name, compute, notes) for name, compute in statistics.items()}
    values["exact_agreement"] = _attempt(
        "exact_agreement", lambda: percent_agreement(first, second), notes
    )
    values["within_one_agreement"] = _attempt(
        "within_one_agreement", lambda: percent_agreement(first, second, tolerance=1), notes
    )
    # Before the warnings are frozen into the result: a bootstrap that fails adds a note.
    bootstrap = _bootstraps(data.scores, pair, settings, draws, notes)
    coefficients = {
        "pearson_r": np.nan if pearson is None else pearson.r,
        "icc": np.nan if icc_result is None else icc_result.value,
        **{name: values[name] for name in statistics},
    }
    return DimensionReliability(
        dimension=data.dimension,
        n_recordings=int(data.scores.shape[1]),
        n_double_coded=n_double,
        pearson=pearson,
        icc=icc_result,
        alpha_ordinal=values["alpha_ordinal"],
        alpha_interval=values["alpha_interval"],
        weighted_kappa=values["weighted_kappa"],
        gwet_ac2=values["gwet_ac2"],
        exact_agreement=values["exact_agreement"],
        within_one_agreement=values["within_one_agreement"],
        passes=bool(coefficients["pearson_r"] > settings.threshold),
        below_threshold=tuple(
            name for name, value in coefficients.items() if value <= settings.threshold
        ),
        warnings=tuple(notes),
        bootstrap=bootstrap,
    )


def _optional(compute: Callable[[], T], name: str, notes: list[str]) -> T | None:
    try:
        return compute()
    except ValueError as error:
        notes.append(f"{name} undefined: {error}")
        return None


def _statistics(
    slots: FloatArray, pair: FloatArray, settings: _Settings
) -> dict[str, Callable[[], float]]:
    return {
        "alpha_ordinal": lambda: krippendorff_alpha(slots, level="ordinal"),
        "alpha_interval": lambda: krippendorff_alpha(slots, level="interval"),
        "weighted_kappa": lambda: cohen_kappa(
            pair[0], pair[1], weights=settings.weights, categories=settings.categories
        ),
        "gwet_ac2": lambda: gwet_ac(
            slots, weights=settings.weights, categories=settings.categories
        ),
    }


def _bootstraps(
    slots: FloatArray,
    pair: FloatArray,
    settings: _Settings,
    draws: _UnitDraws | None,
    notes: list[str],
) -> dict[str, BootstrapResult]:
    if draws is None or pair.shape[1] < 2:
        return {}
    statistics = _resampled_statistics(settings)
    resampled = (
        _fast_resamples(slots, pair, settings.weights, settings.categories, draws)
        if _FAST_BOOTSTRAP
        else None
    )
    results: dict[str, BootstrapResult] = {}
    for name, (statistic, on_pair) in statistics.items():
        data = pair if on_pair else slots
        try:
            if resampled is None:
                results[name] = bootstrap_ci(
                    statistic, data, unit_axis=1, n_resamples=draws.n_resamples, seed=draws.seed
                )
            else:
                # The estimate comes from the statistic itself, as in bootstrap_ci, so it
                # fails (and is reported) with the statistic's own message.
                estimate = float(statistic(data))
                results[name] = _percentile_result(estimate, resampled[name], _CONFIDENCE)
        except ValueError as error:
            notes.append(f"bootstrap of {name} undefined: {error}")
    return results


def _resampled_statistics(
    settings: _Settings,
) -> dict[str, tuple[Callable[[FloatArray], float], bool]]:
    """Each bootstrapped statistic, and whether it takes the first-and-second-coder pair."""
    return {
        "pearson_r": (lambda d: pearson_r(d[0], d[1]).r, True),
        "alpha_ordinal": (lambda d: krippendorff_alpha(d, level="ordinal"), False),
        "alpha_interval": (lambda d: krippendorff_alpha(d, level="interval"), False),
        "weighted_kappa": (
            lambda d: cohen_kappa(
                d[0], d[1], weights=settings.weights, categories=settings.categories
            ),
            True,
        ),
        "gwet_ac2": (
            lambda d: gwet_ac(d, weights=settings.weights, categories=settings.categories),
            False,
        ),
    }


def _rater_pairs(data: DimensionRatings, raters: tuple[str, ...]) -> RaterPairMatrix:
    size = len(raters)
    lows, highs, x, y = _slot_pairs(data.scores, data.raters)
    key = lows * size + highs
    cells = size * size

    def total(weights: FloatArray | None = None) -> FloatArray:
        return np.bincount(key, weights=weights, minlength=cells).astype(np.float64)

    n = total()
    sx, sy, sxx, syy, sxy = total(x), total(y), total(x * x), total(y * y), total(x * y)
    same = total((x == y).astype(np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = sxy - sx * sy / n
        var_x, var_y = sxx - sx * sx / n, syy - sy * sy / n
        r = cov / np.sqrt(var_x * var_y)
        exact = same / n
    tiny = 1e-9 * np.maximum(sxx, 1.0)
    r = np.where((n >= 3) & (var_x > tiny) & (var_y > tiny), np.clip(r, -1.0, 1.0), np.nan)
    exact = np.where(n > 0, exact, np.nan)
    return RaterPairMatrix(
        dimension=data.dimension,
        raters=raters,
        n=_symmetric(n, size).astype(np.int64),
        r=_symmetric(r, size),
        exact=_symmetric(exact, size),
    )


def _slot_pairs(
    scores: FloatArray, raters: IntArray
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """Every pair of ratings of the same recording, ordered so the lower rater index is first."""
    parts: list[tuple[IntArray, IntArray, FloatArray, FloatArray]] = []
    for i in range(scores.shape[0]):
        for j in range(i + 1, scores.shape[0]):
            both = (raters[i] >= 0) & (raters[j] >= 0)
            ra, rb, va, vb = raters[i, both], raters[j, both], scores[i, both], scores[j, both]
            swap = ra > rb
            parts.append(
                (
                    np.where(swap, rb, ra),
                    np.where(swap, ra, rb),
                    np.where(swap, vb, va),
                    np.where(swap, va, vb),
                )
            )
    if not parts:
        empty_int = np.empty(0, dtype=np.int64)
        return empty_int, empty_int, np.empty(0), np.empty(0)
    low, high, x, y = (np.concatenate(column) for column in zip(*parts, strict=True))
    return low, high, x, y


def _symmetric(upper: FloatArray, size: int) -> FloatArray:
    """Mirror an upper-triangular (i < j) flattened matrix onto the lower triangle."""
    matrix = upper.reshape(size, size)
    lower = np.tril_indices(size, k=-1)
    matrix[lower] = matrix.T[lower]
    return matrix
