"""Inter-rater agreement statistics for double-coded ratings.

Pure functions over array-likes; options are keyword-only; bad input raises ``ValueError``.

Layouts (the two conventions in the literature, kept as their authors use them):

- ``icc`` takes ``(n_units, n_raters)``: one row per recording, one column per rater.
- ``krippendorff_alpha`` and ``gwet_ac`` take ``(n_raters, n_units)`` with NaN for missing.
- pairwise statistics (``pearson_r``, ``cohen_kappa``, ``percent_agreement``) take two equal-length
  vectors, first and second coder, without missing values.

Implementations live in private modules and are re-exported here: ICC in ``rating._icc``, alpha
and AC in ``rating._coincidence``, correlations in ``rating._correlation``, the bootstrap in
``rating._bootstrap``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa as _statsmodels_fleiss_kappa

from rating._bootstrap import BootstrapResult, bootstrap_ci
from rating._coincidence import gwet_ac, krippendorff_alpha
from rating._correlation import (
    CorrelationComparison,
    CorrelationResult,
    compare_correlations,
    pearson_r,
)
from rating._icc import ICC_FORMS, ICCResult, icc
from rating._validate import (
    check_choice,
    check_scale,
    scale_points,
    to_float_array,
    to_matrix,
    to_pair,
)

__all__ = [
    "ICC_FORMS",
    "BootstrapResult",
    "CorrelationComparison",
    "CorrelationResult",
    "ICCResult",
    "bootstrap_ci",
    "cohen_kappa",
    "compare_correlations",
    "fleiss_kappa",
    "gwet_ac",
    "icc",
    "krippendorff_alpha",
    "pearson_r",
    "percent_agreement",
]

KappaWeights = Literal["linear", "quadratic"] | None


def cohen_kappa(
    a: ArrayLike,
    b: ArrayLike,
    *,
    weights: KappaWeights = None,
    categories: Sequence[float] | None = None,
    scale: Sequence[float] | None = None,
) -> float:
    r"""Cohen's kappa for two coders, unweighted or weighted (Cohen 1960, 1968).

    Parameters
    ----------
    a, b : array_like, shape (n,)
        Ratings of the same units by the first and the second coder, no missing values.
    weights : {None, "linear", "quadratic"}, default None
        Disagreement weights :math:`|i-j|` or :math:`(i-j)^2` on category *ranks*.  For an
        equally spaced scale such as 1-5 these equal the value distances.
    categories : sequence of float, optional
        All possible ratings (e.g. ``range(1, 6)``).  Unused scale points change weighted
        kappa, so pass the full scale.  Defaults to the whole-number points of ``scale`` if
        given, else to the values observed in ``a`` or ``b`` (as R's ``irr::kappa2`` does).
    scale : (low, high), optional
        The rating scale, e.g. ``(1, 5)``; a value outside it raises ``ValueError``.

    Returns
    -------
    float
        Kappa: 1 for perfect agreement, 0 for chance agreement.

    Raises
    ------
    ValueError
        If the vectors differ in length or have NaN, a rating is outside ``scale`` or not in
        ``categories``, or
        both coders used one and the same category (kappa is then undefined).

    Notes
    -----
    With observed cell proportions :math:`p_{ij}`, margins :math:`p_{i\cdot}, p_{\cdot j}`
    and disagreement weights :math:`w_{ij}` (:math:`1 - [i = j]` when unweighted),

    .. math::

        \kappa_w = 1 - \frac{\sum_{ij} w_{ij} p_{ij}}{\sum_{ij} w_{ij} p_{i\cdot} p_{\cdot j}}

    Computed with :func:`sklearn.metrics.cohen_kappa_score`.  With rotating rater pairs,
    "coder 1" and "coder 2" are slots rather than people, and kappa is an approximation.

    References
    ----------
    .. [1] Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational and
       Psychological Measurement*, 20(1), 37-46. https://doi.org/10.1177/001316446002000104
    .. [2] Cohen, J. (1968). Weighted kappa: nominal scale agreement with provision for
       scaled disagreement or partial credit. *Psychological Bulletin*, 70(4), 213-220.
       https://doi.org/10.1037/h0026256

    Examples
    --------
    Cohen (1960) works through 200 units on three categories with observed agreement
    p_o = .70 and chance agreement p_c = .41, giving kappa = .49.

    >>> import numpy as np
    >>> cells = {(1, 1): 88, (1, 2): 14, (1, 3): 18, (2, 1): 10, (2, 2): 40,
    ...          (2, 3): 10, (3, 1): 2, (3, 2): 6, (3, 3): 12}
    >>> a = np.repeat([i for i, _ in cells], list(cells.values()))
    >>> b = np.repeat([j for _, j in cells], list(cells.values()))
    >>> round(cohen_kappa(a, b), 2)
    0.49
    """
    check_choice(weights, (None, "linear", "quadratic"), name="weights")
    x, y = to_pair(a, b)
    observed = np.union1d(x, y)
    check_scale(observed, scale, name="a and b")
    categories = scale_points(scale) if categories is None else categories
    if categories is None:
        levels = observed
    else:
        levels = np.unique(to_float_array(list(categories), name="categories"))
        unknown = np.setdiff1d(observed, levels)
        if unknown.size:
            raise ValueError(f"a or b has ratings not among categories, e.g. {unknown[0]:g}")
    if observed.size < 2:
        raise ValueError("both coders used one and the same category; kappa is undefined")
    return float(cohen_kappa_score(x, y, labels=levels, weights=weights))


def fleiss_kappa(table: ArrayLike) -> float:
    r"""Fleiss' kappa for many raters assigning units to nominal categories (Fleiss 1971).

    Parameters
    ----------
    table : array_like, shape (n_units, n_categories)
        ``table[i, j]`` is the number of raters who put unit ``i`` in category ``j``.  Every
        unit must have the same number of ratings (at least two).

    Returns
    -------
    float
        Kappa.

    Raises
    ------
    ValueError
        If the table is not 2-D with at least two units and two categories, has negative or
        non-integer counts, unequal or fewer than two ratings per unit, or every rating falls
        in one category (kappa is then undefined).

    Notes
    -----
    With :math:`N` units, :math:`m` ratings per unit and :math:`n_{ij}` the counts,

    .. math::

        P_i = \frac{\sum_j n_{ij}^2 - m}{m(m-1)},\quad
        p_j = \frac{\sum_i n_{ij}}{N m},\quad
        \kappa = \frac{\bar P - \sum_j p_j^2}{1 - \sum_j p_j^2}

    Computed with :func:`statsmodels.stats.inter_rater.fleiss_kappa`.

    References
    ----------
    .. [1] Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters.
       *Psychological Bulletin*, 76(5), 378-382. https://doi.org/10.1037/h0031619

    Examples
    --------
    The worked example in Wikipedia's "Fleiss' kappa" article (ten units, fourteen raters,
    five categories) gives kappa = 0.210.

    >>> table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0],
    ...          [2, 2, 8, 1, 1], [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2],
    ...          [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    >>> round(fleiss_kappa(table), 3)
    0.21
    """
    counts = to_matrix(table, name="table", layout="(n_units, n_categories) of counts")
    if (counts < 0).any() or (counts != np.round(counts)).any():
        raise ValueError("table must hold non-negative whole-number counts")
    per_unit = counts.sum(axis=1)
    if (per_unit != per_unit[0]).any():
        raise ValueError(
            "every unit (row) of table must have the same number of ratings; "
            f"got row totals from {per_unit.min():g} to {per_unit.max():g}"
        )
    if per_unit[0] < 2:
        raise ValueError(f"each unit needs at least 2 ratings; got {per_unit[0]:g}")
    if np.count_nonzero(counts.sum(axis=0)) < 2:
        raise ValueError("all ratings fall in one category; kappa is undefined")
    return float(_statsmodels_fleiss_kappa(counts, method="fleiss"))


def percent_agreement(
    a: ArrayLike, b: ArrayLike, *, tolerance: float = 0, scale: Sequence[float] | None = None
) -> float:
    r"""Share of units on which two coders' ratings differ by at most ``tolerance``.

    Parameters
    ----------
    a, b : array_like, shape (n,)
        Ratings of the same units by the first and the second coder, no missing values.
    tolerance : float, default 0
        ``0`` gives exact agreement; ``1`` gives agreement within one scale point.
    scale : (low, high), optional
        The rating scale, e.g. ``(1, 5)``; a value outside it raises ``ValueError``.

    Returns
    -------
    float
        Proportion between 0 and 1: :math:`\frac{1}{n}\sum_i [\,|a_i - b_i| \le t\,]`.

    Raises
    ------
    ValueError
        If the vectors differ in length or have NaN or values outside ``scale``, or
        ``tolerance`` is negative.

    References
    ----------
    .. [1] Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational and
       Psychological Measurement*, 20(1), 37-46. https://doi.org/10.1177/001316446002000104

    Examples
    --------
    Cohen's (1960) example has observed agreement p_o = .70 (see :func:`cohen_kappa`).

    >>> import numpy as np
    >>> a = np.repeat([1, 1, 1, 2, 2, 2, 3, 3, 3], [88, 14, 18, 10, 40, 10, 2, 6, 12])
    >>> b = np.repeat([1, 2, 3, 1, 2, 3, 1, 2, 3], [88, 14, 18, 10, 40, 10, 2, 6, 12])
    >>> round(percent_agreement(a, b), 2)
    0.7
    """
    if not float(tolerance) >= 0:
        raise ValueError(f"tolerance must be a non-negative number; got {tolerance!r}")
    x, y = to_pair(a, b, min_length=1)
    check_scale(np.concatenate([x, y]), scale, name="a and b")
    # A small slack keeps 0.1 + 0.2 within 0.3 of each other.
    return float(np.mean(np.abs(x - y) <= float(tolerance) + 1e-9))
