"""Percentile bootstrap over units for any agreement statistic.

Private module: import from :mod:`rating.agreement`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

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
    valid = values[~np.isnan(values)]
    if valid.size == 0:
        raise ValueError("the statistic was undefined on every bootstrap resample")
    low, high = np.quantile(valid, [(1.0 - level) / 2.0, (1.0 + level) / 2.0])
    return BootstrapResult(
        estimate=estimate,
        ci_low=float(low),
        ci_high=float(high),
        n_resamples=int(n_resamples),
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
