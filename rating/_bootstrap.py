"""Percentile bootstrap over units for any agreement statistic.

Private module: import from :mod:`rating.agreement`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rating._coincidence import _weight_matrix
from rating._validate import FloatArray, check_probability, to_float_array


@dataclass(frozen=True, slots=True)
class BootstrapResult:
    """Point estimate and percentile bootstrap interval.

    ``n_failed`` counts resamples on which the statistic was undefined (it raised
    ``ValueError``, e.g. a resample with no variance); they are left out of the interval.
    """

    estimate: float
    ci_low: float
    ci_high: float
    n_resamples: int
    n_failed: int


def bootstrap_ci(
    statistic: Callable[[FloatArray], float],
    data: ArrayLike,
    *,
    unit_axis: int = -1,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int | np.random.Generator | None = None,
) -> BootstrapResult:
    r"""Percentile bootstrap interval for an agreement statistic, resampling units.

    Parameters
    ----------
    statistic : callable
        Takes an array shaped like ``data`` and returns a float, e.g.
        ``lambda d: krippendorff_alpha(d, level="ordinal")``.
    data : array_like
        The reliability data.
    unit_axis : int, default -1
        The axis that indexes units (recordings).  The default, the last axis, fits the
        ``(n_raters, n_units)`` layout of :func:`krippendorff_alpha` and :func:`gwet_ac`;
        pass ``0`` for ``(n_units, n_raters)`` data such as :func:`icc` takes.
    n_resamples : int, default 2000
        Number of bootstrap resamples.
    confidence : float, default 0.95
        Coverage of the interval.
    seed : int or numpy.random.Generator, optional
        Seed for reproducible intervals.

    Returns
    -------
    BootstrapResult
        ``estimate`` (the statistic on ``data``), ``ci_low``, ``ci_high``, ``n_resamples`` and
        ``n_failed`` (resamples where the statistic raised ``ValueError``; left out).

    Raises
    ------
    ValueError
        If ``unit_axis`` is not an axis of ``data``, ``n_resamples`` < 1, the statistic fails
        on ``data`` itself, or it fails on every resample.

    Notes
    -----
    Each resample draws :math:`N` units with replacement, keeping every rating of a drawn
    unit together.  The interval is the :math:`\alpha/2` and :math:`1-\alpha/2` quantiles of
    the resampled statistics (Efron & Tibshirani 1993, ch. 13); Hayes & Krippendorff (2007)
    recommend resampling units for alpha.

    References
    ----------
    .. [1] Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*.
       Chapman & Hall. https://doi.org/10.1201/9780429246593
    .. [2] Hayes, A. F., & Krippendorff, K. (2007). Answering the call for a standard
       reliability measure for coding data. *Communication Methods and Measures*, 1(1),
       77-89. https://doi.org/10.1080/19312450709336664

    Examples
    --------
    The estimate is the statistic itself, here Krippendorff's (2011) interval alpha .849.

    >>> nan = float("nan")
    >>> data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...         [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...         [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...         [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]
    >>> from rating.agreement import krippendorff_alpha
    >>> result = bootstrap_ci(krippendorff_alpha, data, unit_axis=1, n_resamples=200, seed=1)
    >>> round(result.estimate, 3), result.ci_low < result.estimate <= result.ci_high
    (0.849, True)
    """
    level = check_probability(confidence, name="confidence")
    array = to_float_array(data, name="data")
    if not -array.ndim <= unit_axis < array.ndim:
        raise ValueError(f"unit_axis {unit_axis} is not an axis of data of shape {array.shape}")
    if int(n_resamples) != n_resamples or n_resamples < 1:
        raise ValueError(f"n_resamples must be a positive integer; got {n_resamples!r}")
    estimate = float(statistic(array))
    rng = np.random.default_rng(seed)
    n_units = array.shape[unit_axis]
    draws = rng.integers(0, n_units, size=(int(n_resamples), n_units))
    values = np.array([_resample_value(statistic, array, rows, unit_axis) for rows in draws])
    return _percentile_result(estimate, values, level)


def _percentile_result(estimate: float, values: FloatArray, level: float) -> BootstrapResult:
    """Interval from resampled values, NaN marking a resample where the statistic failed."""
    valid = values[~np.isnan(values)]
    if valid.size == 0:
        raise ValueError("the statistic was undefined on every bootstrap resample")
    low, high = np.quantile(valid, [(1.0 - level) / 2.0, (1.0 + level) / 2.0])
    return BootstrapResult(
        estimate=estimate,
        ci_low=float(low),
        ci_high=float(high),
        n_resamples=int(values.size),
        n_failed=int(values.size - valid.size),
    )


def _resample_value(
    statistic: Callable[[FloatArray], float],
    array: FloatArray,
    rows: NDArray[np.int64],
    axis: int,
) -> float:
    try:
        return float(statistic(np.take(array, rows, axis=axis)))
    except ValueError:
        return float("nan")


# ----------------------------------------------------------------------------------------
# Fast path for statistics that are functions of sums over units.
#
# Resampling units with replacement gives each unit a count (how often it was drawn), so a
# sum over the units of a resample is ``counts @ per_unit_values``.  Units with the same
# ratings contribute the same values; grouping them into "patterns" (a 1-5 scale with two
# coders has at most 25) shrinks ``counts`` to resamples x patterns.  The report's five
# statistics are each a function of such sums, evaluated below for all resamples at once.

_BLOCK_CELLS = 131_072
"""Drawn unit indices counted per block: 1 MB of int64 keys, which stays in cache."""

_MAX_FAST_LEVELS = 16
"""Above this many distinct scores the per-pattern tables get large; use the generic path."""


class _UnitDraws:
    """The unit draws :func:`bootstrap_ci` makes, drawn once per number of units and kept.

    ``bootstrap_ci(..., seed=s)`` draws ``default_rng(s).integers(0, n_units, size=(n_resamples,
    n_units))``; every statistic of the report uses the same seed, so all statistics over the
    same number of units share one set of draws.  A ``seed`` of None is replaced by one fresh
    random seed, so the statistics of one report still share their draws.
    """

    def __init__(self, n_resamples: int, seed: int | None) -> None:
        self.n_resamples = int(n_resamples)
        self.seed = int(np.random.default_rng().integers(2**62)) if seed is None else int(seed)
        self._kept: dict[int, NDArray[np.unsignedinteger[Any]]] = {}

    def indices(self, n_units: int) -> NDArray[np.unsignedinteger[Any]]:
        """(n_resamples, n_units) drawn unit indices, as ``bootstrap_ci`` draws them."""
        if n_units not in self._kept:
            rng = np.random.default_rng(self.seed)
            drawn = rng.integers(0, n_units, size=(self.n_resamples, n_units))
            # Kept in the smallest unsigned type: a quarter of the int64 memory for < 65,536.
            self._kept[n_units] = drawn.astype(np.min_scalar_type(max(n_units - 1, 0)))
        return self._kept[n_units]


@dataclass(frozen=True, slots=True)
class _UnitFamily:
    """Per-unit features grouped by pattern: unit ``u`` contributes ``features[keys[u]]``."""

    keys: NDArray[np.int64]
    features: FloatArray


def _resampled_sums(
    draws: NDArray[np.integer[Any]], families: Sequence[_UnitFamily]
) -> list[FloatArray]:
    """For each family, the sums of its features over the units drawn in each resample.

    Parameters
    ----------
    draws : ndarray of int, shape (n_resamples, n_units)
        Drawn unit indices, one row per resample.
    families : sequence of _UnitFamily
        Features of the same units (for example first-versus-second-coder tables and
        all-ratings tables), counted together in one pass over ``draws``.

    Returns
    -------
    list of ndarray
        One (n_resamples, n_features) array per family.

    Notes
    -----
    A resample's sum over its drawn units is additive: it equals
    :math:`\\sum_u c_u g_u`, where :math:`c_u` counts how often unit :math:`u` was drawn and
    :math:`g_u` is the unit's feature row.  Units with equal features form one pattern, so
    the counts are tallied per pattern, block by block, and multiplied by the pattern
    features; memory stays bounded by ``_BLOCK_CELLS`` whatever the number of resamples.
    """
    keys = np.stack([family.keys for family in families], axis=1)
    patterns, inverse = np.unique(keys, axis=0, return_inverse=True)
    pattern_of_unit = inverse.reshape(-1).astype(np.int64)
    features = np.hstack([family.features[patterns[:, i]] for i, family in enumerate(families)])
    n_resamples, n_units = draws.shape
    sums = np.empty((n_resamples, features.shape[1]))
    step = max(1, _BLOCK_CELLS // max(n_units, patterns.shape[0]))
    for start in range(0, n_resamples, step):
        block = draws[start : start + step]
        counts = _pattern_counts(block, pattern_of_unit, patterns.shape[0])
        sums[start : start + block.shape[0]] = counts @ features
    edges = np.cumsum([family.features.shape[1] for family in families])[:-1]
    return list(np.split(sums, edges, axis=1))


def _pattern_counts(
    block: NDArray[np.integer[Any]], pattern_of_unit: NDArray[np.int64], n_patterns: int
) -> FloatArray:
    """How often each pattern was drawn in each resample of ``block``: (rows, n_patterns)."""
    rows = block.shape[0]
    keys = pattern_of_unit[block]
    # Offsetting each row's keys lets one bincount tally every resample of the block.
    keys += (np.arange(rows, dtype=np.int64) * n_patterns)[:, None]
    counts = np.bincount(keys.ravel(), minlength=rows * n_patterns)
    return counts.reshape(rows, n_patterns).astype(np.float64)


def _pair_family(pair: FloatArray, levels: FloatArray) -> _UnitFamily:
    """First-versus-second-coder units as cells of the ``levels x levels`` contingency table.

    Summed over a resample, the features are the resample's contingency table (flattened),
    from which Pearson r and weighted kappa follow.
    """
    q = levels.size
    cell = np.searchsorted(levels, pair[0]) * q + np.searchsorted(levels, pair[1])
    return _UnitFamily(keys=cell.astype(np.int64), features=np.eye(q * q))


def _slot_family(slots: FloatArray, levels: FloatArray) -> _UnitFamily:
    """All ratings of each unit, as the additive terms of Krippendorff's alpha and Gwet's AC.

    Feature layout (``q`` levels): the unit's coincidences (q x q), its AC agreement terms
    :math:`r_k r_l / (m(m-1))` (q x q), :math:`1/(m-1)`, whether it has two or more
    ratings, whether it has any, and its category shares :math:`r_k / m` (q).
    """
    q = levels.size
    present = ~np.isnan(slots)
    unit = np.broadcast_to(np.arange(slots.shape[1]), slots.shape)[present]
    cell = unit * q + np.searchsorted(levels, slots[present])
    per_unit = np.bincount(cell, minlength=slots.shape[1] * q).reshape(-1, q)
    patterns, inverse = np.unique(per_unit, axis=0, return_inverse=True)
    return _UnitFamily(
        keys=inverse.reshape(-1).astype(np.int64),
        features=_slot_features(patterns.astype(np.float64)),
    )


def _slot_features(counts: FloatArray) -> FloatArray:
    m = counts.sum(axis=1)
    multi = m >= 2
    rated = m >= 1
    # Units with fewer than two ratings are not pairable: their pairing terms are zero.
    spread = np.where(multi, m - 1.0, np.inf)
    outer = counts[:, :, None] * counts[:, None, :]
    own = counts[:, :, None] * np.eye(counts.shape[1])
    coincidence = (outer - own) / spread[:, None, None]
    agreement = outer / (np.where(multi, m, 1.0) * spread)[:, None, None]
    share = counts / np.where(rated, m, 1.0)[:, None]
    columns = (1.0 / spread, multi.astype(np.float64), rated.astype(np.float64))
    k = counts.shape[0]
    return np.hstack(
        [coincidence.reshape(k, -1), agreement.reshape(k, -1), np.stack(columns, axis=1), share]
    )


@dataclass(frozen=True, slots=True)
class _SlotSums:
    """:func:`_slot_family` features summed per resample, split into named parts."""

    coincidence: FloatArray  # (R, q, q): Krippendorff's o_ck
    agreement: FloatArray  # (R, q, q): sum of r_k r_l / (m(m-1)) over pairable units
    inverse: FloatArray  # (R,): sum of 1/(m-1) over pairable units
    n_multi: FloatArray  # (R,): units with two or more ratings
    n_rated: FloatArray  # (R,): units with any rating
    share: FloatArray  # (R, q): sum of r_k / m over rated units

    @classmethod
    def split(cls, sums: FloatArray, q: int) -> _SlotSums:
        """Name the columns of :func:`_resampled_sums` output for a :func:`_slot_family`."""
        r, qq = sums.shape[0], q * q
        return cls(
            coincidence=sums[:, :qq].reshape(r, q, q),
            agreement=sums[:, qq : 2 * qq].reshape(r, q, q),
            inverse=sums[:, 2 * qq],
            n_multi=sums[:, 2 * qq + 1],
            n_rated=sums[:, 2 * qq + 2],
            share=sums[:, 2 * qq + 3 :],
        )


def _pearson_resamples(table: FloatArray, levels: FloatArray) -> FloatArray:
    """Pearson r of each resample's (R, q, q) contingency table; NaN where a coder is constant.

    Like :func:`rating.agreement.pearson_r`, which raises when either coder's scores are
    all equal; the check counts used levels, so it is exact.
    """
    a, b = table.sum(axis=2), table.sum(axis=1)
    n = a.sum(axis=1)
    defined = (np.count_nonzero(a, axis=1) >= 2) & (np.count_nonzero(b, axis=1) >= 2)
    # Deviations from each resample's own means (two-pass) keep the sums accurate.
    dx = levels[None, :] - ((a @ levels) / n)[:, None]
    dy = levels[None, :] - ((b @ levels) / n)[:, None]
    sxx, syy = (a * dx**2).sum(axis=1), (b * dy**2).sum(axis=1)
    sxy = np.einsum("rij,ri,rj->r", table, dx, dy)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.clip(sxy / np.sqrt(sxx * syy), -1.0, 1.0)
    return np.where(defined, r, np.nan)


def _kappa_resamples(
    table: FloatArray,
    levels: FloatArray,
    weights: Literal["linear", "quadratic"],
    categories: Sequence[float] | None,
) -> FloatArray:
    """Weighted Cohen's kappa of each (R, q, q) table, as :func:`rating.agreement.cohen_kappa`.

    Weights are distances between category *ranks*: among ``categories`` when given, else
    among the values the resample uses (which is why they are recomputed per resample).
    NaN where both coders used a single category.
    """
    a, b = table.sum(axis=2), table.sum(axis=1)
    used = (a + b) > 0
    if categories is None:
        ranks = np.cumsum(used, axis=1) - 1.0
    else:
        full = np.unique(np.asarray(list(categories), dtype=np.float64))
        ranks = np.broadcast_to(np.searchsorted(full, levels).astype(np.float64), used.shape)
    distance = np.abs(ranks[:, :, None] - ranks[:, None, :])
    w = distance if weights == "linear" else distance**2
    expected = a[:, :, None] * b[:, None, :] / a.sum(axis=1)[:, None, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = 1.0 - (w * table).sum(axis=(1, 2)) / (w * expected).sum(axis=(1, 2))
    return np.where(np.count_nonzero(used, axis=1) >= 2, kappa, np.nan)


def _alpha_resamples(sums: _SlotSums, levels: FloatArray, *, ordinal: bool) -> FloatArray:
    """Krippendorff's alpha (interval or ordinal) from each resample's coincidence matrix.

    :math:`\\alpha = 1 - (n-1) \\sum o_{ck}\\delta^2_{ck} / \\sum n_c n_k \\delta^2_{ck}`.
    For the ordinal metric, :math:`\\delta_{ck}` is the distance between mid-ranks in the
    resample's own margins :math:`n_c`.  NaN where fewer than two values are pairable or
    all pairable values are equal, where :func:`rating.agreement.krippendorff_alpha` raises.
    """
    o = sums.coincidence
    margins = o.sum(axis=2)
    n = margins.sum(axis=1)
    defined = np.count_nonzero(margins, axis=1) >= 2
    position = np.cumsum(margins, axis=1) - margins / 2.0 if ordinal else levels[None, :]
    position = np.broadcast_to(position, margins.shape)
    delta = (position[:, :, None] - position[:, None, :]) ** 2
    observed = (o * delta).sum(axis=(1, 2))
    expected = np.einsum("rc,rck,rk->r", margins, delta, margins)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 1.0 - (n - 1.0) * observed / expected
    return np.where(defined, alpha, np.nan)


def _gwet_resamples(
    sums: _SlotSums,
    levels: FloatArray,
    weights: Literal["linear", "quadratic"],
    categories: Sequence[float] | None,
) -> FloatArray:
    """Gwet's AC2 of each resample, as :func:`rating.agreement.gwet_ac` with these weights.

    The categories are ``categories`` when given, else the values the resample uses, so
    the weights, their total :math:`T_w` and :math:`q` are recomputed per resample.  NaN
    where no unit has two ratings.
    """
    used = sums.share > 0
    if categories is None:
        low = np.where(used, levels, np.inf).min(axis=1)
        high = np.where(used, levels, -np.inf).max(axis=1)
        span = np.where(high > low, high - low, 1.0)
        distance = np.abs(levels[:, None] - levels[None, :])[None] / span[:, None, None]
        w = 1.0 - (distance if weights == "linear" else distance**2)
        w = w * (used[:, :, None] & used[:, None, :])
        q = np.count_nonzero(used, axis=1).astype(np.float64)
        total_w = w.sum(axis=(1, 2))
    else:
        full = np.unique(np.asarray(list(categories), dtype=np.float64))
        full_w = _weight_matrix(full, weights)
        at = np.searchsorted(full, levels).clip(0, full.size - 1)
        w = np.broadcast_to(full_w[np.ix_(at, at)], sums.agreement.shape)
        q = np.full(used.shape[0], float(full.size))
        total_w = np.full(used.shape[0], float(full_w.sum()))
    with np.errstate(divide="ignore", invalid="ignore"):
        p_a = ((w * sums.agreement).sum(axis=(1, 2)) - sums.inverse) / sums.n_multi
        prevalence = sums.share / sums.n_rated[:, None]
        chance = total_w / (q * (q - 1.0)) * (prevalence * (1.0 - prevalence)).sum(axis=1)
        p_e = np.where(q > 1, chance, 0.0)
        ac = (p_a - p_e) / (1.0 - p_e)
    return np.where(sums.n_multi > 0, ac, np.nan)


ResampledStatistics = dict[str, FloatArray]


def _fast_resamples(
    slots: FloatArray,
    pair: FloatArray,
    weights: Literal["linear", "quadratic"],
    categories: Sequence[float] | None,
    draws: _UnitDraws,
) -> ResampledStatistics | None:
    """The report's five statistics on every resample, NaN where undefined; None if unsuited.

    ``slots`` is (coder slot, unit) with NaN for missing ratings (alpha and AC2), ``pair`` the
    first and second coder on the double-coded units (Pearson r and kappa).  Returns None,
    leaving the work to :func:`bootstrap_ci`, when the scores take more than
    ``_MAX_FAST_LEVELS`` values or are so close together that alpha's zero-variance
    tolerance could tell them apart differently.
    """
    levels = np.unique(np.concatenate([slots[~np.isnan(slots)], pair.ravel()]))
    if levels.size > _MAX_FAST_LEVELS or not _clearly_spread(levels, slots.size):
        return None
    pairs = _pair_family(pair, levels)
    ratings = _slot_family(slots, levels)
    if pair.shape[1] == slots.shape[1]:
        # Every unit is double-coded, so both families index the same units and draws.
        table, totals = _resampled_sums(draws.indices(pair.shape[1]), [pairs, ratings])
    else:
        (table,) = _resampled_sums(draws.indices(pair.shape[1]), [pairs])
        (totals,) = _resampled_sums(draws.indices(slots.shape[1]), [ratings])
    q = levels.size
    cells = table.reshape(-1, q, q)
    sums = _SlotSums.split(totals, q)
    return {
        "pearson_r": _pearson_resamples(cells, levels),
        "alpha_ordinal": _alpha_resamples(sums, levels, ordinal=True),
        "alpha_interval": _alpha_resamples(sums, levels, ordinal=False),
        "weighted_kappa": _kappa_resamples(cells, levels, weights, categories),
        "gwet_ac2": _gwet_resamples(sums, levels, weights, categories),
    }


def _clearly_spread(levels: FloatArray, n_values: int) -> bool:
    """Whether distinct levels always give alpha a total variance above its zero tolerance.

    :func:`rating.agreement.krippendorff_alpha` calls data undefined when the sum of
    squares falls below ``1e-12 * max(|value|**2, 1) * n``; two distinct values at the
    smallest gap give at least ``gap**2 / 2``.  When that margin holds (any rating scale),
    "undefined" means exactly "one level used", which the fast path tests by counting.
    """
    if levels.size < 2:
        return True
    gap = float(np.diff(levels).min())
    tolerance = 1e-12 * max(float(np.abs(levels).max()) ** 2, 1.0) * n_values
    return gap * gap / 2.0 > 1e3 * tolerance
