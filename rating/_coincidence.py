"""Multi-rater agreement with missing data: Krippendorff's alpha and Gwet's AC1/AC2.

Private module: import :func:`krippendorff_alpha` and :func:`gwet_ac` from
:mod:`rating.agreement`.  Both take reliability data laid out as Krippendorff does, one row per
rater and one column per unit, with NaN where a rater did not rate a unit.  Both depend only on
which values each unit received, not on which rater gave them, so the rows may just as well be
"first coder", "second coder", ... slots.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from rating._validate import (
    FloatArray,
    check_choice,
    check_scale,
    scale_points,
    to_float_array,
    to_matrix,
)

Level = Literal["nominal", "ordinal", "interval", "ratio"]
Weights = Literal["linear", "quadratic"] | None

_LAYOUT = "(n_raters, n_units)"
_BLOCK = 1024


def krippendorff_alpha(
    reliability_data: ArrayLike,
    *,
    level: Level = "interval",
    scale: Sequence[float] | None = None,
) -> float:
    r"""Krippendorff's alpha reliability coefficient for any number of raters and missing data.

    Parameters
    ----------
    reliability_data : array_like, shape (n_raters, n_units)
        One row per rater (or coder slot), one column per unit; NaN (or ``None``) marks a
        missing rating.  Units with fewer than two ratings are not pairable and are ignored.
    level : {"nominal", "ordinal", "interval", "ratio"}, default "interval"
        Level of measurement, which selects the difference function.
    scale : (low, high), optional
        The rating scale, e.g. ``(1, 5)``; a value outside it raises ``ValueError``.

    Returns
    -------
    float
        Alpha: 1 is perfect agreement, 0 is agreement at chance level, negative values are
        systematic disagreement.

    Raises
    ------
    ValueError
        If the data are not 2-D with at least two raters and two units, contain text,
        infinities or values outside ``scale``, no unit has two or more ratings, all pairable
        values are identical (alpha is then undefined), or ``level="ratio"`` is used with
        negative values.

    Notes
    -----
    With :math:`o_{ck}` the coincidence matrix of pairable values, :math:`n_c` its margins,
    :math:`n` the number of pairable values and :math:`\delta^2_{ck}` the difference function,

    .. math::

        \alpha = 1 - (n - 1)\,
        \frac{\sum_c \sum_k o_{ck}\,\delta^2_{ck}}{\sum_c \sum_k n_c\, n_k\,\delta^2_{ck}}

    where :math:`\delta^2_{ck}` is :math:`[c \ne k]` (nominal), :math:`(c-k)^2` (interval),
    :math:`((c-k)/(c+k))^2` (ratio) and
    :math:`(\sum_{g=c}^{k} n_g - (n_c + n_k)/2)^2` (ordinal).

    The coincidence matrix is never built: the interval numerator is
    :math:`\sum_u 2 m_u SS_u/(m_u-1)` over units with :math:`m_u` ratings and within-unit sum
    of squares :math:`SS_u`, and the denominator :math:`2 n SS` over all pairable values.  The
    ordinal function equals the squared difference of the values' mid-ranks in the margins
    :math:`n_c`, so ordinal alpha is interval alpha on those mid-ranks.  This keeps the cost
    linear in the number of ratings for any number of distinct values.

    References
    ----------
    .. [1] Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg
       School for Communication, University of Pennsylvania.
       https://repository.upenn.edu/asc_papers/43
    .. [2] Hayes, A. F., & Krippendorff, K. (2007). Answering the call for a standard
       reliability measure for coding data. *Communication Methods and Measures*, 1(1),
       77-89. https://doi.org/10.1080/19312450709336664

    Examples
    --------
    Krippendorff (2011), section C: four observers, twelve units, missing values.  He reports
    alpha = .743 (nominal), .815 (ordinal), .849 (interval) and .797 (ratio).

    >>> nan = float("nan")
    >>> data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...         [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...         [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...         [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]
    >>> round(krippendorff_alpha(data, level="nominal"), 3)
    0.743
    >>> round(krippendorff_alpha(data, level="interval"), 3)
    0.849
    """
    check_choice(level, ("nominal", "ordinal", "interval", "ratio"), name="level")
    x = to_matrix(reliability_data, name="reliability_data", layout=_LAYOUT, allow_nan=True)
    check_scale(x, scale, name="reliability_data")
    x = _pairable_units(x)
    values = x[~np.isnan(x)]
    if level == "nominal":
        return _nominal(x, values)
    if level == "ordinal":
        return _interval(_mid_ranks(x, values))
    if level == "ratio":
        return _ratio(x, values)
    return _interval(x)


def gwet_ac(
    reliability_data: ArrayLike,
    *,
    weights: Weights = None,
    categories: Sequence[float] | None = None,
    scale: Sequence[float] | None = None,
) -> float:
    r"""Gwet's agreement coefficient: AC1 (unweighted) or AC2 (weighted), with missing data.

    Parameters
    ----------
    reliability_data : array_like, shape (n_raters, n_units)
        Same layout as :func:`krippendorff_alpha`; NaN marks a missing rating.
    weights : {None, "linear", "quadratic"}, default None
        ``None`` gives AC1.  ``"linear"`` and ``"quadratic"`` give AC2 with weights
        :math:`1 - |c_k - c_l|/(c_{max} - c_{min})` or its square analogue, computed from the
        category values.
    categories : sequence of float, optional
        All possible ratings, e.g. ``range(1, 6)`` for a 1-5 scale.  The number of categories
        :math:`q` enters the chance agreement, so pass the full scale when some points were
        never used.  Defaults to the whole-number points of ``scale`` if given, else to the
        values observed.
    scale : (low, high), optional
        The rating scale, e.g. ``(1, 5)``; a rating outside it raises ``ValueError``.

    Returns
    -------
    float
        The agreement coefficient, at most 1.

    Raises
    ------
    ValueError
        If the data are not 2-D with at least two raters and two units, no unit has two or
        more ratings, a rating is outside ``scale`` or not one of ``categories``, or
        ``weights`` is unknown.

    Notes
    -----
    Following Gwet (2014), with :math:`r_{ik}` the number of raters who put unit :math:`i` in
    category :math:`k`, :math:`r_i = \sum_k r_{ik}`, weighted counts
    :math:`r^\star_{ik} = \sum_l w_{kl} r_{il}` and :math:`T_w = \sum_{k,l} w_{kl}`:

    .. math::

        p_a = \frac{1}{n'} \sum_{i: r_i \ge 2} \sum_k
              \frac{r_{ik}(r^\star_{ik} - 1)}{r_i (r_i - 1)},\qquad
        \pi_k = \frac{1}{n} \sum_{i: r_i \ge 1} \frac{r_{ik}}{r_i}

        p_e = \frac{T_w}{q(q-1)} \sum_k \pi_k (1 - \pi_k),\qquad
        AC = \frac{p_a - p_e}{1 - p_e}

    where :math:`n'` counts units rated at least twice and :math:`n` units rated at least once:
    units with a single rating still inform the category prevalences.  With a single category
    (:math:`q = 1`) :math:`p_e = 0`.  Unlike kappa and alpha, AC is defined when every rating
    is the same (it is then 1).

    References
    ----------
    .. [1] Gwet, K. L. (2008). Computing inter-rater reliability and its variance in the
       presence of high agreement. *British Journal of Mathematical and Statistical
       Psychology*, 61(1), 29-48. https://doi.org/10.1348/000711006X126600
    .. [2] Gwet, K. L. (2014). *Handbook of Inter-Rater Reliability* (4th ed.). Advanced
       Analytics. ISBN 978-0970806284.

    Examples
    --------
    Gwet (2014, p. 120): four raters, twelve units, five categories, missing ratings
    (the same data as Krippendorff 2011).  R's irrCAC gives AC1 = 0.775 (p_a = .818,
    p_e = .190) and quadratic AC2 = 0.914.

    >>> nan = float("nan")
    >>> data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...         [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, nan],
    ...         [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 3],
    ...         [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]
    >>> round(gwet_ac(data), 3)
    0.775
    >>> round(gwet_ac(data, weights="quadratic"), 3)
    0.914
    """
    check_choice(weights, (None, "linear", "quadratic"), name="weights")
    x = to_matrix(reliability_data, name="reliability_data", layout=_LAYOUT, allow_nan=True)
    check_scale(x, scale, name="reliability_data")
    x = x[:, ~np.isnan(x).all(axis=0)]
    levels = _categories(x, scale_points(scale) if categories is None else categories)
    counts = _category_counts(x, levels)
    per_unit = counts.sum(axis=1)
    multi = per_unit >= 2
    if not multi.any():
        raise ValueError("reliability_data has no unit rated by two or more raters")
    w = _weight_matrix(levels, weights)
    weighted = counts @ w.T
    agreement = (counts * (weighted - 1.0)).sum(axis=1)
    p_a = float(np.mean(agreement[multi] / (per_unit[multi] * (per_unit[multi] - 1.0))))
    prevalence = (counts / per_unit[:, None]).mean(axis=0)
    q = levels.size
    p_e = 0.0 if q == 1 else float(w.sum() / (q * (q - 1)) * (prevalence * (1 - prevalence)).sum())
    return (p_a - p_e) / (1.0 - p_e)


def _pairable_units(x: FloatArray) -> FloatArray:
    """Keep the units (columns) that at least two raters rated."""
    pairable = np.count_nonzero(~np.isnan(x), axis=0) >= 2
    if not pairable.any():
        raise ValueError("reliability_data has no unit rated by two or more raters")
    return x[:, pairable]


def _undefined() -> ValueError:
    return ValueError(
        "all pairable values are identical, so expected disagreement is zero and alpha is undefined"
    )


def _interval(x: FloatArray) -> float:
    present = ~np.isnan(x)
    m = present.sum(axis=0)
    means = np.where(present, x, 0.0).sum(axis=0) / m
    within = np.where(present, (x - means) ** 2, 0.0).sum(axis=0)
    values = x[present]
    n = values.size
    total = float(((values - values.mean()) ** 2).sum())
    if total <= 1e-12 * max(float(np.abs(values).max()) ** 2, 1.0) * n:
        raise _undefined()
    observed = float((m * within / (m - 1)).sum())
    return 1.0 - (n - 1) * observed / (n * total)


def _mid_ranks(x: FloatArray, values: FloatArray) -> FloatArray:
    """Replace each value by its mid-rank among all pairable values (ordinal metric)."""
    levels, counts = np.unique(values, return_counts=True)
    positions = np.cumsum(counts) - counts / 2.0
    ranked = np.full_like(x, np.nan)
    present = ~np.isnan(x)
    ranked[present] = positions[np.searchsorted(levels, x[present])]
    return ranked


def _nominal(x: FloatArray, values: FloatArray) -> float:
    present = ~np.isnan(x)
    unit = np.broadcast_to(np.arange(x.shape[1]), x.shape)[present]
    levels, codes, totals = np.unique(values, return_inverse=True, return_counts=True)
    if levels.size < 2:
        raise _undefined()
    # x[present] walks the array row by row, like `values` and `unit`.
    keys = unit.astype(np.int64) * levels.size + codes
    pair_keys, pair_counts = np.unique(keys, return_counts=True)
    same = np.bincount(pair_keys // levels.size, weights=pair_counts**2.0, minlength=x.shape[1])
    m = present.sum(axis=0).astype(np.float64)
    n = float(values.size)
    observed = float(((m**2 - same) / (m - 1.0)).sum())
    expected = n**2 - float((totals.astype(np.float64) ** 2).sum())
    return 1.0 - (n - 1.0) * observed / expected


def _ratio_delta(a: FloatArray, b: FloatArray) -> FloatArray:
    total = a + b
    safe = np.where(total == 0.0, 1.0, total)
    result: FloatArray = np.where(total == 0.0, 0.0, ((a - b) / safe) ** 2)
    return result


def _ratio(x: FloatArray, values: FloatArray) -> float:
    if (values < 0).any():
        raise ValueError("level='ratio' needs non-negative values")
    present = ~np.isnan(x)
    m = present.sum(axis=0).astype(np.float64)
    observed = 0.0
    for i in range(x.shape[0]):
        for j in range(i + 1, x.shape[0]):
            both = present[i] & present[j]
            delta = _ratio_delta(x[i, both], x[j, both])
            observed += 2.0 * float((delta / (m[both] - 1.0)).sum())
    levels, counts = np.unique(values, return_counts=True)
    weights = counts.astype(np.float64)
    expected = 0.0
    for start in range(0, levels.size, _BLOCK):
        block = slice(start, start + _BLOCK)
        delta = _ratio_delta(levels[block, None], levels[None, :])
        expected += float((weights[block, None] * weights[None, :] * delta).sum())
    if expected == 0.0:
        raise _undefined()
    return 1.0 - (values.size - 1.0) * observed / expected


def _categories(x: FloatArray, categories: Sequence[float] | None) -> FloatArray:
    observed = np.unique(x[~np.isnan(x)])
    if categories is None:
        return observed
    levels = np.unique(to_float_array(list(categories), name="categories"))
    if levels.size == 0 or np.isnan(levels).any():
        raise ValueError("categories must be a non-empty sequence of numbers")
    unknown = np.setdiff1d(observed, levels)
    if unknown.size:
        raise ValueError(
            f"reliability_data has ratings that are not among categories, e.g. {unknown[0]:g}"
        )
    return levels


def _category_counts(x: FloatArray, levels: FloatArray) -> FloatArray:
    """Number of raters who put each unit in each category: shape (n_units, q)."""
    present = ~np.isnan(x)
    unit = np.broadcast_to(np.arange(x.shape[1]), x.shape)[present]
    codes = np.searchsorted(levels, x[present])
    flat = np.bincount(unit * levels.size + codes, minlength=x.shape[1] * levels.size)
    return flat.reshape(x.shape[1], levels.size).astype(np.float64)


def _weight_matrix(levels: FloatArray, weights: Weights) -> FloatArray:
    if weights is None or levels.size == 1:
        return np.eye(levels.size)
    distance: FloatArray = np.abs(levels[:, None] - levels[None, :]) / (levels[-1] - levels[0])
    return 1.0 - (distance if weights == "linear" else distance**2)
