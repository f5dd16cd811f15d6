"""Intraclass correlation coefficients (Shrout & Fleiss 1979) with McGraw & Wong (1996) CIs.

Private module: import :func:`icc` from :mod:`rating.agreement`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from rating._validate import FloatArray, check_choice, check_probability, check_scale, to_matrix

NanPolicy = Literal["raise", "omit"]

ICC_FORMS: dict[str, str] = {
    "ICC1": "one-way random effects, absolute agreement, single rater: ICC(1,1)",
    "ICC2": "two-way random effects, absolute agreement, single rater: ICC(2,1)",
    "ICC3": "two-way mixed effects, consistency, single rater: ICC(3,1)",
    "ICC1k": "one-way random effects, absolute agreement, mean of k raters: ICC(1,k)",
    "ICC2k": "two-way random effects, absolute agreement, mean of k raters: ICC(2,k)",
    "ICC3k": "two-way mixed effects, consistency, mean of k raters: ICC(3,k)",
}

# Relative size under which a sum of squares is rounding noise, not variance.
_NOISE = 1e-12


@dataclass(frozen=True, slots=True)
class ICCResult:
    """One intraclass correlation with its F test and confidence interval.

    Attributes
    ----------
    form : str
        Key of the form, e.g. ``"ICC2"``; ``description`` spells it out.
    description : str
        Model, type and unit of the coefficient in McGraw & Wong's terms.
    value : float
        The coefficient; can be negative when raters disagree more than chance.
    f, df1, df2, p : float
        F test of the null hypothesis that the population ICC is zero.
    ci_low, ci_high : float
        Confidence interval (95 % unless another ``confidence`` was asked for).
    """

    form: str
    description: str
    value: float
    f: float
    df1: float
    df2: float
    p: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True, slots=True)
class _MeanSquares:
    n: int
    k: int
    rows: float
    cols: float
    error: float
    within: float


def icc(
    ratings: ArrayLike,
    *,
    confidence: float = 0.95,
    nan_policy: NanPolicy = "raise",
    scale: Sequence[float] | None = None,
) -> dict[str, ICCResult]:
    r"""Six intraclass correlation coefficients of Shrout & Fleiss (1979).

    Parameters
    ----------
    ratings : array_like, shape (n_units, n_raters)
        One row per rated unit (recording), one column per rater.  Every unit must be rated by
        every rater: ICC is defined for a complete design.
    confidence : float, default 0.95
        Coverage of the confidence intervals.
    nan_policy : {"raise", "omit"}, default "raise"
        ``"raise"`` rejects missing values (NaN).  ``"omit"`` deletes every unit with a missing
        rating (listwise deletion, as ``pingouin.intraclass_corr(nan_policy="omit")``); at least
        two complete units must remain.
    scale : (low, high), optional
        The rating scale, e.g. ``(1, 5)``; a value outside it raises ``ValueError``.

    Returns
    -------
    dict of str to ICCResult
        Keys ``"ICC1"``, ``"ICC2"``, ``"ICC3"``, ``"ICC1k"``, ``"ICC2k"``, ``"ICC3k"``: the
        Shrout & Fleiss forms (1,1), (2,1), (3,1), (1,k), (2,k) and (3,k).

    Raises
    ------
    ValueError
        If ``ratings`` is not 2-D with at least two units and two raters, has NaN with
        ``nan_policy="raise"``, has a rating outside ``scale``, is constant, or all units have
        the same mean (no variance between units, so the ICCs are undefined).

    Notes
    -----
    With :math:`n` units, :math:`k` raters and the two-way ANOVA mean squares for units
    (:math:`MS_R`), raters (:math:`MS_C`), residual error (:math:`MS_E`) and within units
    (:math:`MS_W`, raters plus error):

    .. math::

        ICC(1,1) = \frac{MS_R - MS_W}{MS_R + (k-1) MS_W},\quad
        ICC(1,k) = \frac{MS_R - MS_W}{MS_R}

        ICC(2,1) = \frac{MS_R - MS_E}{MS_R + (k-1) MS_E + k (MS_C - MS_E)/n},\quad
        ICC(2,k) = \frac{MS_R - MS_E}{MS_R + (MS_C - MS_E)/n}

        ICC(3,1) = \frac{MS_R - MS_E}{MS_R + (k-1) MS_E},\quad
        ICC(3,k) = \frac{MS_R - MS_E}{MS_R}

    The F tests are :math:`MS_R/MS_W` on :math:`(n-1, n(k-1))` df for the one-way forms and
    :math:`MS_R/MS_E` on :math:`(n-1, (n-1)(k-1))` df for the two-way forms.  Confidence
    intervals follow McGraw & Wong (1996), including Satterthwaite's approximate df for the
    two-way random (absolute agreement) forms, as pingouin and R's ``psych::ICC`` do.  When the
    error mean square is exactly zero (perfect agreement) F is infinite, p is 0 and the
    interval collapses to the value.  ICC(2,k) is NaN when its denominator is not positive,
    which happens only when raters disagree far more than units differ.

    For recordings rated by rotating pairs of raters, ICC1 is the appropriate form; ICC2
    assumes the same raters rated every unit.

    References
    ----------
    .. [1] Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing
       rater reliability. *Psychological Bulletin*, 86(2), 420-428.
       https://doi.org/10.1037/0033-2909.86.2.420
    .. [2] McGraw, K. O., & Wong, S. P. (1996). Forming inferences about some intraclass
       correlation coefficients. *Psychological Methods*, 1(1), 30-46.
       https://doi.org/10.1037/1082-989X.1.1.30

    Examples
    --------
    Shrout & Fleiss (1979), Table 2: six targets rated by four judges.  Their Table 4 gives
    ICC(1,1) = .17, ICC(2,1) = .29, ICC(3,1) = .71, ICC(1,4) = .44, ICC(2,4) = .62 and
    ICC(3,4) = .91.

    >>> table2 = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...           [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> result = icc(table2)
    >>> [round(result[form].value, 2) for form in ("ICC1", "ICC2", "ICC3")]
    [0.17, 0.29, 0.71]
    >>> [round(result[form].value, 2) for form in ("ICC1k", "ICC2k", "ICC3k")]
    [0.44, 0.62, 0.91]
    """
    level = check_probability(confidence, name="confidence")
    check_choice(nan_policy, ("raise", "omit"), name="nan_policy")
    x = to_matrix(
        ratings, name="ratings", layout="(n_units, n_raters)", allow_nan=nan_policy == "omit"
    )
    check_scale(x, scale, name="ratings")
    if nan_policy == "omit":
        x = x[~np.isnan(x).any(axis=1)]
        if x.shape[0] < 2:
            raise ValueError(
                f"ratings has {x.shape[0]} complete unit(s) after dropping units with "
                "missing ratings; ICC needs at least 2"
            )
    ms = _mean_squares(x)
    alpha = 1.0 - level
    results = {**_one_way(ms, alpha), **_two_way(ms, alpha)}
    return {form: results[form] for form in ICC_FORMS}


def _mean_squares(x: FloatArray) -> _MeanSquares:
    n, k = x.shape
    grand = x.mean()
    row_means = x.mean(axis=1)
    col_means = x.mean(axis=0)
    ss_total = float(((x - grand) ** 2).sum())
    if ss_total == 0.0:
        raise ValueError("ratings are constant; ICC is undefined without any variance")
    ss_rows = k * float(((row_means - grand) ** 2).sum())
    ss_cols = n * float(((col_means - grand) ** 2).sum())
    residual = x - row_means[:, None] - col_means[None, :] + grand
    ss_error = float((residual**2).sum())
    ss_rows, ss_cols, ss_error = (
        0.0 if ss <= _NOISE * ss_total else ss for ss in (ss_rows, ss_cols, ss_error)
    )
    if ss_rows == 0.0:
        raise ValueError(
            "all units have the same mean rating; ICC is undefined without variance between units"
        )
    return _MeanSquares(
        n=n,
        k=k,
        rows=ss_rows / (n - 1),
        cols=ss_cols / (k - 1),
        error=ss_error / ((n - 1) * (k - 1)),
        within=(ss_cols + ss_error) / (n * (k - 1)),
    )


def _f_test(numerator: float, denominator: float, df1: float, df2: float) -> tuple[float, float]:
    if denominator == 0.0:
        return float("inf"), 0.0
    f_value = numerator / denominator
    return f_value, float(stats.f.sf(f_value, df1, df2))


def _ratio_bounds(f_value: float, df1: float, df2: float, alpha: float) -> tuple[float, float]:
    """Lower and upper confidence bounds of the F ratio itself (McGraw & Wong, Table 7)."""
    if np.isinf(f_value):
        return f_value, f_value
    f_low = f_value / float(stats.f.ppf(1.0 - alpha / 2.0, df1, df2))
    f_high = f_value * float(stats.f.ppf(1.0 - alpha / 2.0, df2, df1))
    return f_low, f_high


def _single(f_bound: float, k: int) -> float:
    return 1.0 if np.isinf(f_bound) else (f_bound - 1.0) / (f_bound + k - 1.0)


def _average(f_bound: float) -> float:
    return 1.0 if np.isinf(f_bound) else 1.0 - 1.0 / f_bound


def _one_way(ms: _MeanSquares, alpha: float) -> dict[str, ICCResult]:
    n, k = ms.n, ms.k
    df1, df2 = float(n - 1), float(n * (k - 1))
    single = (ms.rows - ms.within) / (ms.rows + (k - 1) * ms.within)
    average = (ms.rows - ms.within) / ms.rows
    f_value, p = _f_test(ms.rows, ms.within, df1, df2)
    f_low, f_high = _ratio_bounds(f_value, df1, df2, alpha)
    return {
        "ICC1": _result(
            "ICC1", single, f_value, df1, df2, p, _single(f_low, k), _single(f_high, k)
        ),
        "ICC1k": _result("ICC1k", average, f_value, df1, df2, p, _average(f_low), _average(f_high)),
    }


def _two_way(ms: _MeanSquares, alpha: float) -> dict[str, ICCResult]:
    n, k = ms.n, ms.k
    df1, df2 = float(n - 1), float((n - 1) * (k - 1))
    f_value, p = _f_test(ms.rows, ms.error, df1, df2)
    consistency = (ms.rows - ms.error) / (ms.rows + (k - 1) * ms.error)
    consistency_k = (ms.rows - ms.error) / ms.rows
    agreement = (ms.rows - ms.error) / (ms.rows + (k - 1) * ms.error + k * (ms.cols - ms.error) / n)
    denominator_k = ms.rows + (ms.cols - ms.error) / n
    # Unlike the other five, this denominator can reach zero or below (raters disagree far
    # more than units differ); the coefficient is then undefined.
    agreement_k = (
        (ms.rows - ms.error) / denominator_k
        if denominator_k > _NOISE * (ms.rows + ms.cols + ms.error)
        else float("nan")
    )
    f_low, f_high = _ratio_bounds(f_value, df1, df2, alpha)
    low, high = _agreement_bounds(ms, agreement, alpha)
    return {
        "ICC2": _result("ICC2", agreement, f_value, df1, df2, p, low, high),
        "ICC3": _result(
            "ICC3", consistency, f_value, df1, df2, p, _single(f_low, k), _single(f_high, k)
        ),
        "ICC2k": _result(
            "ICC2k", agreement_k, f_value, df1, df2, p, _step_up(low, k), _step_up(high, k)
        ),
        "ICC3k": _result(
            "ICC3k", consistency_k, f_value, df1, df2, p, _average(f_low), _average(f_high)
        ),
    }


def _agreement_bounds(ms: _MeanSquares, value: float, alpha: float) -> tuple[float, float]:
    """McGraw & Wong (1996) case 2A interval, with Satterthwaite's df written so that a zero
    error mean square (raters differ only by constant offsets) needs no division by zero."""
    n, k = ms.n, ms.k
    if ms.error == 0.0 and ms.cols == 0.0:
        return 1.0, 1.0
    base = n * (1.0 + (k - 1) * value) - k * value
    numerator = (k - 1) * (n - 1) * (k * value * ms.cols + base * ms.error) ** 2
    denominator = (n - 1) * (k * value * ms.cols) ** 2 + (base * ms.error) ** 2
    v = numerator / denominator
    if not np.isfinite(v) or v <= 0.0:
        return float("nan"), float("nan")
    f_star = float(stats.f.ppf(1.0 - alpha / 2.0, n - 1, v))
    f_star2 = float(stats.f.ppf(1.0 - alpha / 2.0, v, n - 1))
    spread = k * ms.cols + (k * n - k - n) * ms.error
    low = n * (ms.rows - f_star * ms.error) / (f_star * spread + n * ms.rows)
    high = n * (f_star2 * ms.rows - ms.error) / (spread + n * f_star2 * ms.rows)
    return low, high


def _step_up(single: float, k: int) -> float:
    """Spearman-Brown: reliability of the mean of ``k`` raters from that of one.

    It rises from -inf to 1 as ``single`` goes from -1/(k-1) to 1, so a bound at or below
    -1/(k-1) maps to -inf rather than wrapping round to a meaningless positive value.
    """
    denominator = 1.0 + (k - 1) * single
    return float("-inf") if denominator <= 0.0 else single * k / denominator


def _result(
    form: str,
    value: float,
    f_value: float,
    df1: float,
    df2: float,
    p: float,
    low: float,
    high: float,
) -> ICCResult:
    if np.isnan(value):
        low = high = float("nan")
    return ICCResult(
        form=form,
        description=ICC_FORMS[form],
        value=float(value),
        f=float(f_value),
        df1=df1,
        df2=df2,
        p=float(p),
        ci_low=float(low),
        ci_high=float(high),
    )
