"""Group comparisons of rating scores: two groups, many groups, significance marks.

The source evaluation compared two groups with independent-samples t tests and three groups
with one-way ANOVA and Tukey HSD, flagged unequal variances in a footnote, and marked p-values
with ``+ * ** ***``.  These functions report the same statistics plus the robust alternatives
(Welch's t and ANOVA, Mann-Whitney) and effect sizes, so a reader can see which test was used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import special, stats

from rating._anova import (
    VARIANCE_ALPHA,
    GroupSummary,
    ManyGroupsResult,
    TukeyPair,
    many_groups,
)
from rating._validate import FloatArray, check_choice, check_probability, check_scale, to_vector

__all__ = [
    "GroupSummary",
    "ManyGroupsResult",
    "SummaryTTests",
    "TukeyPair",
    "TwoGroupsResult",
    "many_groups",
    "significance_mark",
    "t_tests_from_summary",
    "two_groups",
]

Rule = Literal["welch", "levene"]


@dataclass(frozen=True, slots=True)
class TwoGroupsResult:
    """Everything :func:`two_groups` computes; ``recommended`` names the t test to report."""

    n_a: int
    mean_a: float
    sd_a: float
    n_b: int
    mean_b: float
    sd_b: float
    t_pooled: float
    df_pooled: float
    p_pooled: float
    t_welch: float
    df_welch: float
    p_welch: float
    levene_p: float
    variances_differ: bool
    cohen_d: float
    hedges_g: float
    hedges_g_ci_low: float
    hedges_g_ci_high: float
    mann_whitney_p: float
    recommended: str


@dataclass(frozen=True, slots=True)
class SummaryTTests:
    """Pooled and Welch t tests computed from published means, SDs and sizes."""

    t_pooled: float
    df_pooled: float
    p_pooled: float
    t_welch: float
    df_welch: float
    p_welch: float


def two_groups(
    a: ArrayLike,
    b: ArrayLike,
    *,
    rule: Rule = "welch",
    confidence: float = 0.95,
    scale: Sequence[float] | None = None,
) -> TwoGroupsResult:
    r"""Compare two independent groups: t tests, Levene, effect sizes and Mann-Whitney.

    Parameters
    ----------
    a, b : array_like, shape (n,)
        Scores of each group (e.g. one score per trainee), at least two each, no NaN.
    rule : {"welch", "levene"}, default "welch"
        How ``recommended`` is chosen.  ``"welch"`` always recommends Welch's t, which keeps
        its error rate when variances or sizes differ and loses little when they do not
        (Delacre, Lakens & Leys 2017).  ``"levene"`` mimics SPSS practice, which the source
        report appears to follow: Welch when Levene's p < .05, pooled otherwise.
    confidence : float, default 0.95
        Coverage of the Hedges' g interval.
    scale : (low, high), optional
        The rating scale, e.g. ``(1, 5)``; a value outside it raises ``ValueError``.

    Returns
    -------
    TwoGroupsResult
        Descriptives; pooled and Welch t, df and two-sided p; Levene's p (mean-centred, as
        SPSS reports it) and ``variances_differ`` (p < .05); Cohen's d, Hedges' g and its
        interval; the two-sided Mann-Whitney p; ``recommended`` ("welch" or "pooled").

    Raises
    ------
    ValueError
        If a group has fewer than two values, NaN or values outside ``scale``, both groups
        have zero variance, or
        ``rule`` is unknown.

    Notes
    -----
    With :math:`s_p^2 = ((n_a-1)s_a^2 + (n_b-1)s_b^2)/(n_a+n_b-2)`:

    .. math::

        t_{pooled} = \frac{\bar a - \bar b}{s_p\sqrt{1/n_a + 1/n_b}},\qquad
        t_{Welch} = \frac{\bar a - \bar b}{\sqrt{s_a^2/n_a + s_b^2/n_b}}

        d = \frac{\bar a - \bar b}{s_p},\quad g = J d,\quad
        J = \frac{\Gamma(\nu/2)}{\sqrt{\nu/2}\,\Gamma((\nu-1)/2)},\ \nu = n_a + n_b - 2

        g \pm z_{1-\alpha/2}\sqrt{\frac{n_a+n_b}{n_a n_b} + \frac{g^2}{2(n_a+n_b)}}

    Welch's df come from the Welch-Satterthwaite equation.  The t tests, Levene's test and
    Mann-Whitney U come from :mod:`scipy.stats`.

    References
    ----------
    .. [1] Welch, B. L. (1947). The generalization of "Student's" problem when several
       different population variances are involved. *Biometrika*, 34(1-2), 28-35.
       https://doi.org/10.1093/biomet/34.1-2.28
    .. [2] Delacre, M., Lakens, D., & Leys, C. (2017). Why psychologists should by default use
       Welch's t-test instead of Student's t-test. *International Review of Social
       Psychology*, 30(1), 92-101. https://doi.org/10.5334/irsp.82
    .. [3] Hedges, L. V., & Olkin, I. (1985). *Statistical Methods for Meta-Analysis*.
       Academic Press. https://doi.org/10.1016/C2009-0-03396-0
    .. [4] Levene, H. (1960). Robust tests for equality of variances. In I. Olkin (Ed.),
       *Contributions to Probability and Statistics* (pp. 278-292). Stanford University Press.

    Examples
    --------
    Student's (1908) sleep data, as R's ``t.test(extra ~ group, data = sleep)`` reports it:
    Welch t = -1.8608, df = 17.776, p = 0.07939.

    >>> drug1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
    >>> drug2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]
    >>> result = two_groups(drug1, drug2)
    >>> round(result.t_welch, 4), round(result.df_welch, 3), round(result.p_welch, 5)
    (-1.8608, 17.776, 0.07939)
    >>> result.recommended
    'welch'
    """
    check_choice(rule, ("welch", "levene"), name="rule")
    level = check_probability(confidence, name="confidence")
    x = to_vector(a, name="a")
    y = to_vector(b, name="b")
    check_scale(x, scale, name="a")
    check_scale(y, scale, name="b")
    if np.ptp(x) == 0 and np.ptp(y) == 0:
        raise ValueError("both groups have zero variance; the t tests are undefined")
    pooled = stats.ttest_ind(x, y, equal_var=True)
    welch = stats.ttest_ind(x, y, equal_var=False)
    levene_p = float(stats.levene(x, y, center="mean").pvalue)
    d, g, g_low, g_high = _effect_sizes(x, y, level)
    differ = levene_p < VARIANCE_ALPHA
    return TwoGroupsResult(
        n_a=x.size,
        mean_a=float(x.mean()),
        sd_a=float(x.std(ddof=1)),
        n_b=y.size,
        mean_b=float(y.mean()),
        sd_b=float(y.std(ddof=1)),
        t_pooled=float(pooled.statistic),
        df_pooled=float(pooled.df),
        p_pooled=float(pooled.pvalue),
        t_welch=float(welch.statistic),
        df_welch=float(welch.df),
        p_welch=float(welch.pvalue),
        levene_p=levene_p,
        variances_differ=differ,
        cohen_d=d,
        hedges_g=g,
        hedges_g_ci_low=g_low,
        hedges_g_ci_high=g_high,
        mann_whitney_p=float(stats.mannwhitneyu(x, y, alternative="two-sided").pvalue),
        recommended="welch" if rule == "welch" or differ else "pooled",
    )


def _effect_sizes(x: FloatArray, y: FloatArray, level: float) -> tuple[float, float, float, float]:
    n_a, n_b = x.size, y.size
    df = n_a + n_b - 2.0
    pooled_var = ((n_a - 1) * x.var(ddof=1) + (n_b - 1) * y.var(ddof=1)) / df
    d = float((x.mean() - y.mean()) / np.sqrt(pooled_var))
    correction = float(
        np.exp(special.gammaln(df / 2.0) - special.gammaln((df - 1.0) / 2.0)) / np.sqrt(df / 2.0)
    )
    g = d * correction
    se = np.sqrt((n_a + n_b) / (n_a * n_b) + g**2 / (2.0 * (n_a + n_b)))
    half = float(stats.norm.ppf(0.5 + level / 2.0) * se)
    return d, g, g - half, g + half


def t_tests_from_summary(
    mean_a: float, sd_a: float, n_a: int, mean_b: float, sd_b: float, n_b: int
) -> SummaryTTests:
    r"""Pooled and Welch t tests from published means, SDs and group sizes.

    Useful for checking a published table, as done for the source report; for raw scores use
    :func:`two_groups`.

    Parameters
    ----------
    mean_a, sd_a, n_a, mean_b, sd_b, n_b : float
        Mean, standard deviation (n - 1 denominator) and size of each group; sizes at least 2.

    Returns
    -------
    SummaryTTests
        ``t``, ``df`` and two-sided ``p`` for the pooled and the Welch test.

    Raises
    ------
    ValueError
        If a size is below 2, an SD is negative, or both SDs are zero.

    Notes
    -----
    Same formulas as :func:`two_groups`, via :func:`scipy.stats.ttest_ind_from_stats`.

    References
    ----------
    .. [1] Forrester, D., et al. (2013). *Reclaiming Social Work? An Evaluation of Systemic
       Units as an Approach to Delivering Children's Services*. Tilda Goldberg Centre,
       University of Bedfordshire. Table 7.10.

    Examples
    --------
    Forrester et al. (2013), Table 7.10: "Our worker turns up on time", 4.17 (0.84), n = 24
    against 3.05 (1.28), n = 41, printed as t = 4.24 (Welch); "talks to us respectfully",
    4.13 (1.04) against 3.37 (1.30), printed as t = 2.44 (pooled).

    >>> round(t_tests_from_summary(4.17, 0.84, 24, 3.05, 1.28, 41).t_welch, 2)
    4.25
    >>> round(t_tests_from_summary(4.13, 1.04, 24, 3.37, 1.30, 41).t_pooled, 2)
    2.44
    """
    for name, n in (("n_a", n_a), ("n_b", n_b)):
        if int(n) != n or n < 2:
            raise ValueError(f"{name} must be an integer of at least 2; got {n!r}")
    for name, sd in (("sd_a", sd_a), ("sd_b", sd_b)):
        if not float(sd) >= 0:
            raise ValueError(f"{name} must be a non-negative number; got {sd!r}")
    if sd_a == 0 and sd_b == 0:
        raise ValueError("both groups have zero variance; the t tests are undefined")
    tests = {
        equal: stats.ttest_ind_from_stats(mean_a, sd_a, n_a, mean_b, sd_b, n_b, equal_var=equal)
        for equal in (True, False)
    }
    welch_df = _welch_df(float(sd_a) ** 2 / n_a, float(sd_b) ** 2 / n_b, n_a, n_b)
    return SummaryTTests(
        t_pooled=float(tests[True].statistic),
        df_pooled=float(n_a + n_b - 2),
        p_pooled=float(tests[True].pvalue),
        t_welch=float(tests[False].statistic),
        df_welch=welch_df,
        p_welch=float(tests[False].pvalue),
    )


def _welch_df(var_mean_a: float, var_mean_b: float, n_a: int, n_b: int) -> float:
    total = var_mean_a + var_mean_b
    return total**2 / (var_mean_a**2 / (n_a - 1) + var_mean_b**2 / (n_b - 1))


def significance_mark(p: float) -> str:
    """Return the report's significance mark for a p-value.

    ``"***"`` for p < .001, ``"**"`` for p < .01, ``"*"`` for p < .05, ``"+"`` for p < .10 and
    ``""`` otherwise: the legend of the source report's tables ("* p<.05 ** p<.01
    *** p<.001 + p<.10").  Show the exact p-value beside the mark.

    Parameters
    ----------
    p : float
        A p-value between 0 and 1.

    Returns
    -------
    str
        The mark.

    Raises
    ------
    ValueError
        If ``p`` is NaN or outside [0, 1].

    References
    ----------
    .. [1] Forrester, D., et al. (2013). *Reclaiming Social Work? An Evaluation of Systemic
       Units as an Approach to Delivering Children's Services*. Tilda Goldberg Centre,
       University of Bedfordshire. Tables 6.6-7.12 (legend).

    Examples
    --------
    >>> [significance_mark(p) for p in (0.0004, 0.004, 0.04, 0.07, 0.3)]
    ['***', '**', '*', '+', '']
    """
    value = float(p)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"p must be a probability between 0 and 1; got {p!r}")
    for threshold, mark in ((0.001, "***"), (0.01, "**"), (0.05, "*"), (0.10, "+")):
        if value < threshold:
            return mark
    return ""
