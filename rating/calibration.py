r"""Rater calibration against reference (gold-standard) scores.

A new rater first rates recordings an educator has already scored; each of the rater's
scores is paired with the reference score for the same recording and dimension.  For one
rater and one dimension, with differences :math:`d_i = x_i - r_i` over the :math:`n`
complete pairs (rater score :math:`x_i`, reference :math:`r_i`):

- **bias** (mean signed difference, Bland & Altman 1986): :math:`\bar d = \frac1n \sum d_i`;
  positive means the rater scores more generously than the reference;
- **mean absolute difference**: :math:`\mathrm{MAD} = \frac1n \sum |d_i|`;
- **exact agreement**: the share of pairs with :math:`d_i = 0`;
- **within-one agreement**: the share with :math:`|d_i| \le 1` (adjacent agreement).

A rater is *calibrated* (:func:`is_calibrated`) when, on every dimension with at least
``min_n`` pairs, :math:`|\bar d| \le` ``max_bias`` and MAD :math:`\le` ``max_mad``, and at
least one dimension has that many pairs.  The defaults (0.5 and 0.75 scale points) are this
project's choice, not published cut-offs: a rater within half a point on average, and off
by less than one point on a typical recording, scores an anchored 1-5 scale as the
reference does.  Bias and MAD answer different questions, so both are required: a rater who
is 2 points too high on one recording and 2 too low on the next has no bias but a large MAD.

Pairs where either score is missing (``None`` or NaN) are dropped, so ``n`` counts the
complete pairs.  Functions are pure: callers pass plain numbers and labels.

References
----------
Bland, J. M., & Altman, D. G. (1986). Statistical methods for assessing agreement between two
methods of clinical measurement. *The Lancet*, 327(8476), 307-310.
https://doi.org/10.1016/S0140-6736(86)90837-8
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Generic, TypeVar

import numpy as np
from numpy.typing import ArrayLike

from rating._validate import FloatArray, to_float_array

__all__ = [
    "MAX_BIAS",
    "MAX_MAD",
    "MIN_N",
    "CalibrationRow",
    "RaterCalibration",
    "ReferenceComparison",
    "compare_with_reference",
    "is_calibrated",
    "summarise_calibration",
]

MAX_BIAS = 0.5
MAX_MAD = 0.75
MIN_N = 1

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class ReferenceComparison:
    """One rater's scores on one dimension compared with the reference scores.

    Attributes
    ----------
    n : int
        Number of complete (score, reference) pairs.
    bias : float
        Mean signed difference, rater minus reference; NaN when ``n == 0``.
    mean_absolute_difference : float
        Mean of the absolute differences; NaN when ``n == 0``.
    exact_agreement : float
        Share of pairs with identical scores (0 to 1); NaN when ``n == 0``.
    within_one_agreement : float
        Share of pairs differing by at most one point; NaN when ``n == 0``.
    """

    n: int
    bias: float
    mean_absolute_difference: float
    exact_agreement: float
    within_one_agreement: float

    def meets(self, *, max_bias: float = MAX_BIAS, max_mad: float = MAX_MAD) -> bool:
        """True when ``|bias| <= max_bias`` and MAD ``<= max_mad`` (False when ``n == 0``)."""
        if self.n == 0:
            return False
        return abs(self.bias) <= max_bias and self.mean_absolute_difference <= max_mad


@dataclass(frozen=True)
class RaterCalibration(Generic[K]):
    """Every dimension's comparison for one rater, and whether the rater is calibrated.

    Attributes
    ----------
    dimensions : Mapping
        Dimension key to :class:`ReferenceComparison`, in the order the keys first appear.
    is_calibrated : bool
        The verdict of :func:`is_calibrated` with the options used.
    failing : tuple
        Dimensions with enough pairs that miss a threshold, in order.
    """

    dimensions: Mapping[K, ReferenceComparison] = field(hash=False)
    is_calibrated: bool
    failing: tuple[K, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "dimensions", MappingProxyType(dict(self.dimensions)))


@dataclass(frozen=True)
class CalibrationRow(Generic[K]):
    """One long-format observation: a rater's score and the reference for one dimension."""

    rater: K
    dimension: K
    score: float | None
    reference: float | None


def _check_threshold(value: float, name: str) -> float:
    number = float(value)
    if math.isnan(number) or number < 0:
        raise ValueError(f"{name} must be a non-negative number; got {value!r}")
    return number


def _complete_differences(scores: ArrayLike, reference: ArrayLike) -> FloatArray:
    x = to_float_array(scores, name="scores")
    r = to_float_array(reference, name="reference")
    if x.ndim != 1 or r.ndim != 1:
        raise ValueError(f"scores and reference must be 1-D; got shapes {x.shape} and {r.shape}")
    if x.shape != r.shape:
        raise ValueError(
            f"scores and reference must have the same length; got {x.size} and {r.size}"
        )
    complete = ~(np.isnan(x) | np.isnan(r))
    return x[complete] - r[complete]


def compare_with_reference(scores: ArrayLike, reference: ArrayLike) -> ReferenceComparison:
    r"""Compare a rater's scores with reference scores for the same units.

    Parameters
    ----------
    scores : array_like, shape (n,)
        The rater's scores, one per unit; ``None`` or NaN for missing.
    reference : array_like, shape (n,)
        The reference scores for the same units, in the same order.

    Returns
    -------
    ReferenceComparison
        ``n``, bias :math:`\bar d`, MAD, exact and within-one agreement over the complete
        pairs (formulas in the module docstring).  With no complete pair, ``n`` is 0 and
        every statistic is NaN.

    Raises
    ------
    ValueError
        If an input is not 1-D numeric, contains infinity, or the lengths differ.

    Examples
    --------
    The first readings of 17 people's peak flow with the Wright and the mini Wright meter
    (Bland & Altman 1986, Table 1); the paper reports a mean difference of -2.1 l/min.

    >>> wright = [494, 395, 516, 434, 476, 557, 413, 442, 650, 433, 417, 656, 267, 478,
    ...           178, 423, 427]
    >>> mini = [512, 430, 520, 428, 500, 600, 364, 380, 658, 445, 432, 626, 260, 477,
    ...         259, 350, 451]
    >>> round(compare_with_reference(wright, mini).bias, 1)
    -2.1
    >>> result = compare_with_reference([3, 4, 2, None], [3, 2, 3, 4])
    >>> result.n, round(result.bias, 3), result.mean_absolute_difference
    (3, 0.333, 1.0)
    >>> round(result.exact_agreement, 3), round(result.within_one_agreement, 3)
    (0.333, 0.667)
    """
    differences = _complete_differences(scores, reference)
    n = int(differences.size)
    if n == 0:
        nan = float("nan")
        return ReferenceComparison(0, nan, nan, nan, nan)
    absolute = np.abs(differences)
    return ReferenceComparison(
        n=n,
        bias=float(differences.mean()),
        mean_absolute_difference=float(absolute.mean()),
        exact_agreement=float(np.mean(absolute == 0)),
        within_one_agreement=float(np.mean(absolute <= 1)),
    )


def _failing(
    comparisons: Mapping[K, ReferenceComparison], max_bias: float, max_mad: float, min_n: int
) -> tuple[tuple[K, ...], int]:
    counted = [key for key, result in comparisons.items() if result.n >= min_n]
    failing = tuple(
        key for key in counted if not comparisons[key].meets(max_bias=max_bias, max_mad=max_mad)
    )
    return failing, len(counted)


def _check_options(max_bias: float, max_mad: float, min_n: int) -> tuple[float, float, int]:
    if isinstance(min_n, bool) or not isinstance(min_n, int) or min_n < 1:
        raise ValueError(f"min_n must be an integer >= 1; got {min_n!r}")
    return _check_threshold(max_bias, "max_bias"), _check_threshold(max_mad, "max_mad"), min_n


def is_calibrated(
    comparisons: Mapping[K, ReferenceComparison],
    *,
    max_bias: float = MAX_BIAS,
    max_mad: float = MAX_MAD,
    min_n: int = MIN_N,
) -> bool:
    r"""Decide whether a rater is calibrated from their per-dimension comparisons.

    Parameters
    ----------
    comparisons : Mapping
        Dimension key to :class:`ReferenceComparison` for one rater.
    max_bias : float, default 0.5
        Largest allowed :math:`|\bar d|` on a dimension.
    max_mad : float, default 0.75
        Largest allowed mean absolute difference on a dimension.
    min_n : int, default 1
        Dimensions with fewer complete pairs are not judged.

    Returns
    -------
    bool
        True when at least one dimension has ``n >= min_n`` and every such dimension meets
        both thresholds.

    Raises
    ------
    ValueError
        If a threshold is negative or NaN, or ``min_n`` is not an integer >= 1.

    Examples
    --------
    >>> close = compare_with_reference([3, 4], [3, 4])
    >>> off = compare_with_reference([5, 5], [3, 4])
    >>> is_calibrated({"empathy": close, "clarity": close})
    True
    >>> is_calibrated({"empathy": close, "clarity": off})
    False
    >>> is_calibrated({})
    False
    """
    max_bias, max_mad, min_n = _check_options(max_bias, max_mad, min_n)
    failing, counted = _failing(comparisons, max_bias, max_mad, min_n)
    return counted > 0 and not failing


def summarise_calibration(
    rows: Sequence[CalibrationRow[K]],
    *,
    max_bias: float = MAX_BIAS,
    max_mad: float = MAX_MAD,
    min_n: int = MIN_N,
) -> dict[K, RaterCalibration[K]]:
    """Compare every rater with the reference on every dimension, from long-format rows.

    Parameters
    ----------
    rows : sequence of CalibrationRow
        One row per rater, unit and dimension: the rater's score and the reference score.
    max_bias, max_mad, min_n
        As in :func:`is_calibrated`.

    Returns
    -------
    dict
        Rater to :class:`RaterCalibration`, raters and dimensions in first-seen order.

    Raises
    ------
    ValueError
        If an option is invalid or a score is not numeric (see :func:`is_calibrated` and
        :func:`compare_with_reference`).

    Examples
    --------
    >>> rows = [CalibrationRow("ana", "empathy", 4, 3), CalibrationRow("ana", "empathy", 3, 3),
    ...         CalibrationRow("ben", "empathy", 5, 3)]
    >>> report = summarise_calibration(rows)
    >>> report["ana"].dimensions["empathy"].bias, report["ana"].is_calibrated
    (0.5, True)
    >>> report["ben"].failing
    ('empathy',)
    """
    max_bias, max_mad, min_n = _check_options(max_bias, max_mad, min_n)
    grouped: dict[K, dict[K, tuple[list[float], list[float]]]] = {}
    for row in rows:
        pairs = grouped.setdefault(row.rater, {}).setdefault(row.dimension, ([], []))
        pairs[0].append(_number(row.score))
        pairs[1].append(_number(row.reference))
    report: dict[K, RaterCalibration[K]] = {}
    for rater, dimensions in grouped.items():
        comparisons = {key: compare_with_reference(x, r) for key, (x, r) in dimensions.items()}
        failing, counted = _failing(comparisons, max_bias, max_mad, min_n)
        report[rater] = RaterCalibration(comparisons, counted > 0 and not failing, failing)
    return report


def _number(value: float | None) -> float:
    return float("nan") if value is None else float(value)
