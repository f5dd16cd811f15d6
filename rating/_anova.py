"""One-way ANOVA (classic and Welch) with Tukey HSD pairs.

Private module: import :func:`many_groups` from :mod:`rating.compare`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats
from statsmodels.stats.oneway import anova_oneway

from rating._validate import FloatArray, check_probability, check_scale, to_vector

VARIANCE_ALPHA = 0.05
"""Levene p below which variances are called unequal (the source report's footnote "a")."""


@dataclass(frozen=True, slots=True)
class GroupSummary:
    """Size, mean and SD of one group."""

    name: str
    n: int
    mean: float
    sd: float


@dataclass(frozen=True, slots=True)
class TukeyPair:
    """One Tukey HSD comparison: ``difference`` is mean of ``group_a`` minus ``group_b``."""

    group_a: str
    group_b: str
    difference: float
    ci_low: float
    ci_high: float
    p_adj: float


@dataclass(frozen=True, slots=True)
class ManyGroupsResult:
    """Classic and Welch one-way ANOVA, Levene's test and Tukey HSD pairs."""

    groups: tuple[GroupSummary, ...]
    f: float
    df_between: float
    df_within: float
    p: float
    welch_f: float
    welch_df1: float
    welch_df2: float
    welch_p: float
    levene_p: float
    variances_differ: bool
    tukey: tuple[TukeyPair, ...]
    warnings: tuple[str, ...]


def many_groups(
    groups: Mapping[str, ArrayLike],
    *,
    confidence: float = 0.95,
    scale: Sequence[float] | None = None,
) -> ManyGroupsResult:
    r"""One-way ANOVA (classic and Welch), Levene's test and Tukey HSD for two or more groups.

    Parameters
    ----------
    groups : mapping of str to array_like
        Group name to scores, at least two groups of at least two values each, no NaN.
    confidence : float, default 0.95
        Family-wise coverage of the Tukey intervals.
    scale : (low, high), optional
        The rating scale, e.g. ``(1, 5)``; a value outside it raises ``ValueError``.

    Returns
    -------
    ManyGroupsResult
        Per-group n, mean and SD; classic F, df and p; Welch F, df and p; Levene's p
        (mean-centred) and ``variances_differ``; Tukey HSD pairs in input order; ``warnings``,
        e.g. when Welch's ANOVA is undefined because a group has zero variance.

    Raises
    ------
    ValueError
        If fewer than two groups are given, a group has fewer than two values, NaN or values
        outside ``scale``, or every
        group has zero variance.

    Notes
    -----
    Classic ANOVA: :math:`F = MS_{between}/MS_{within}` on :math:`(g-1, N-g)` df.  Welch
    (1951): with weights :math:`w_j = n_j/s_j^2`, :math:`\bar x_w = \sum w_j \bar x_j / \sum
    w_j` and :math:`\Lambda = \sum_j (1 - w_j/\sum w)^2/(n_j - 1)`,

    .. math::

        F_W = \frac{\sum_j w_j (\bar x_j - \bar x_w)^2/(g-1)}
                   {1 + 2(g-2)\Lambda/(g^2-1)}
        \quad\text{on}\quad \left(g-1,\ \frac{g^2-1}{3\Lambda}\right)\ \text{df.}

    Computed with :func:`scipy.stats.f_oneway`, :func:`statsmodels.stats.oneway.anova_oneway`
    and :func:`scipy.stats.tukey_hsd`.

    References
    ----------
    .. [1] Welch, B. L. (1951). On the comparison of several mean values: an alternative
       approach. *Biometrika*, 38(3-4), 330-336. https://doi.org/10.1093/biomet/38.3-4.330
    .. [2] Tukey, J. W. (1949). Comparing individual means in the analysis of variance.
       *Biometrics*, 5(2), 99-114. https://doi.org/10.2307/3001913
    .. [3] McDonald, J. H., Seed, R., & Koehn, R. K. (1991). Allozymes and morphometric
       characters of three species of *Mytilus* in the Northern and Southern Hemispheres.
       *Marine Biology*, 111, 323-333. https://doi.org/10.1007/BF01319403

    Examples
    --------
    Mussel shell measurements from five locations (McDonald et al. 1991), analysed in
    McDonald's *Handbook of Biological Statistics*: F(4, 34) = 7.12, P = 2.8e-4.

    >>> shells = {
    ...     "Tillamook": [0.0571, 0.0813, 0.0831, 0.0976, 0.0817, 0.0859, 0.0735, 0.0659,
    ...                   0.0923, 0.0836],
    ...     "Newport": [0.0873, 0.0662, 0.0672, 0.0819, 0.0749, 0.0649, 0.0835, 0.0725],
    ...     "Petersburg": [0.0974, 0.1352, 0.0817, 0.1016, 0.0968, 0.1064, 0.105],
    ...     "Magadan": [0.1033, 0.0915, 0.0781, 0.0685, 0.0677, 0.0697, 0.0764, 0.0689],
    ...     "Tvarminne": [0.0703, 0.1026, 0.0956, 0.0973, 0.1039, 0.1045],
    ... }
    >>> result = many_groups(shells)
    >>> round(result.f, 2), result.df_between, result.df_within, round(result.p, 5)
    (7.12, 4.0, 34.0, 0.00028)
    """
    level = check_probability(confidence, name="confidence")
    if len(groups) < 2:
        raise ValueError(f"groups needs at least two groups; got {len(groups)}")
    names = [str(name) for name in groups]
    samples = [to_vector(values, name=f"group {name!r}") for name, values in groups.items()]
    for name, sample in zip(names, samples, strict=True):
        check_scale(sample, scale, name=f"group {name!r}")
    if all(np.ptp(sample) == 0 for sample in samples):
        raise ValueError("every group has zero variance; the ANOVA is undefined")
    classic = stats.f_oneway(*samples)
    n_total = sum(sample.size for sample in samples)
    welch, notes = _welch_anova(samples)
    levene_p = float(stats.levene(*samples, center="mean").pvalue)
    return ManyGroupsResult(
        groups=tuple(
            GroupSummary(name, s.size, float(s.mean()), float(s.std(ddof=1)))
            for name, s in zip(names, samples, strict=True)
        ),
        f=float(classic.statistic),
        df_between=float(len(samples) - 1),
        df_within=float(n_total - len(samples)),
        p=float(classic.pvalue),
        welch_f=welch[0],
        welch_df1=welch[1],
        welch_df2=welch[2],
        welch_p=welch[3],
        levene_p=levene_p,
        variances_differ=levene_p < VARIANCE_ALPHA,
        tukey=_tukey_pairs(names, samples, level),
        warnings=notes,
    )


def _welch_anova(
    samples: list[FloatArray],
) -> tuple[tuple[float, float, float, float], tuple[str, ...]]:
    nan = float("nan")
    if any(np.ptp(sample) == 0 for sample in samples):
        message = "Welch's ANOVA is undefined because a group has zero variance"
        return (nan, nan, nan, nan), (message,)
    result = anova_oneway(samples, use_var="unequal", welch_correction=True)
    df1, df2 = (float(df) for df in result.df)
    return (float(result.statistic), df1, df2, float(result.pvalue)), ()


def _tukey_pairs(
    names: list[str], samples: list[FloatArray], level: float
) -> tuple[TukeyPair, ...]:
    result = stats.tukey_hsd(*samples)
    interval = result.confidence_interval(confidence_level=level)
    return tuple(
        TukeyPair(
            group_a=names[i],
            group_b=names[j],
            difference=float(result.statistic[i, j]),
            ci_low=float(interval.low[i, j]),
            ci_high=float(interval.high[i, j]),
            p_adj=float(result.pvalue[i, j]),
        )
        for i in range(len(names))
        for j in range(i + 1, len(names))
    )
