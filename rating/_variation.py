"""Criterion (b) of the retention checks: do scores vary enough between trainees?

Private module: import :func:`check_variation` from :mod:`rating.scale_checks`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from rating._validate import check_scale, parse_scale, to_vector

MIN_SD = 0.5
"""Scores whose SD is below this many scale points vary too little to separate trainees."""
MAX_MODAL_SHARE = 0.8
"""More than this share of scores at one value marks a near-constant item."""
FLOOR_CEILING_SHARE = 0.15
"""Share at the lowest (highest) scale point from which a floor (ceiling) effect is flagged."""


@dataclass(frozen=True, slots=True)
class VariationCheck:
    """Spread of one dimension's scores; shares are proportions between 0 and 1."""

    n: int
    mean: float
    sd: float
    minimum: float
    maximum: float
    modal_score: float
    modal_share: float
    floor_share: float
    ceiling_share: float
    has_floor_effect: bool
    has_ceiling_effect: bool
    has_useful_variation: bool


def check_variation(
    scores: ArrayLike,
    *,
    scale: Sequence[float] | None = None,
    min_sd: float = MIN_SD,
    max_modal_share: float = MAX_MODAL_SHARE,
    floor_ceiling_share: float = FLOOR_CEILING_SHARE,
) -> VariationCheck:
    r"""Check criterion (b): do scores vary enough between trainees to be useful?

    Parameters
    ----------
    scores : array_like, shape (n,)
        One score per trainee or recording, at least two, no NaN.
    scale : (low, high), optional
        The rating scale; needed for floor and ceiling shares (NaN without it).  Scores
        outside it raise ``ValueError``.
    min_sd : float, default 0.5
        Smallest SD (scale points) counted as useful variation.
    max_modal_share : float, default 0.8
        Largest share of scores at the most common value counted as useful variation.
    floor_ceiling_share : float, default 0.15
        Share at the bottom (top) of the scale from which a floor (ceiling) effect is flagged:
        the 15 % criterion of Terwee et al. (2007).

    Returns
    -------
    VariationCheck
        n, mean, SD (n - 1), range, modal score and share, floor and ceiling shares and flags,
        and ``has_useful_variation`` = (SD >= ``min_sd``) and (modal share <=
        ``max_modal_share``).

    Raises
    ------
    ValueError
        If scores are not 1-D with at least two values, contain NaN or lie outside
        ``scale``, or a threshold is out of range.

    Notes
    -----
    :math:`s = \sqrt{\sum (x_i - \bar x)^2/(n-1)}`; modal share :math:`\max_v \#\{x_i = v\}/n`;
    floor share :math:`\#\{x_i = low\}/n`.  The source report named an item dropped for lack
    of variation ("raised concerns") but gave no threshold; the defaults are this project's.

    References
    ----------
    .. [1] Terwee, C. B., et al. (2007). Quality criteria were proposed for measurement
       properties of health status questionnaires. *Journal of Clinical Epidemiology*,
       60(1), 34-42. https://doi.org/10.1016/j.jclinepi.2006.03.012
    .. [2] Anscombe, F. J. (1973). Graphs in statistical analysis. *The American
       Statistician*, 27(1), 17-21. https://doi.org/10.1080/00031305.1973.10478966

    Examples
    --------
    Anscombe's (1973) x values have mean 9.0 and variance 11.0 (SD 3.317), all distinct.

    >>> check = check_variation([10, 8, 13, 9, 11, 14, 6, 4, 12, 7, 5])
    >>> check.mean, round(check.sd ** 2, 1), round(check.modal_share, 3)
    (9.0, 11.0, 0.091)
    """
    values = to_vector(scores, name="scores")
    limits = _variation_limits(min_sd, max_modal_share, floor_ceiling_share)
    levels, counts = np.unique(values, return_counts=True)
    mode = int(np.argmax(counts))
    floor, ceiling = float("nan"), float("nan")
    if scale is not None:
        check_scale(values, scale, name="scores")
        low, high = parse_scale(scale)
        floor, ceiling = float(np.mean(values == low)), float(np.mean(values == high))
    sd = float(values.std(ddof=1))
    modal_share = float(counts[mode] / values.size)
    return VariationCheck(
        n=values.size,
        mean=float(values.mean()),
        sd=sd,
        minimum=float(values.min()),
        maximum=float(values.max()),
        modal_score=float(levels[mode]),
        modal_share=modal_share,
        floor_share=floor,
        ceiling_share=ceiling,
        has_floor_effect=bool(floor >= limits[2]),
        has_ceiling_effect=bool(ceiling >= limits[2]),
        has_useful_variation=sd >= limits[0] and modal_share <= limits[1],
    )


def _variation_limits(
    min_sd: float, max_modal_share: float, floor_ceiling_share: float
) -> tuple[float, float, float]:
    if not float(min_sd) >= 0:
        raise ValueError(f"min_sd must be a non-negative number; got {min_sd!r}")
    for name, share in (
        ("max_modal_share", max_modal_share),
        ("floor_ceiling_share", floor_ceiling_share),
    ):
        if not 0 < float(share) <= 1:
            raise ValueError(f"{name} must be in (0, 1]; got {share!r}")
    return float(min_sd), float(max_modal_share), float(floor_ceiling_share)
