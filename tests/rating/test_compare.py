"""Group comparisons against published outputs, the source report's tables and pingouin."""

from __future__ import annotations

import doctest
import warnings

import numpy as np
import pandas as pd
import pingouin
import pytest
from statsmodels.stats.multicomp import pairwise_tukeyhsd

from rating import _anova, compare
from rating.compare import (
    many_groups,
    significance_mark,
    t_tests_from_summary,
    two_groups,
)

# Student (1908) sleep data, R's `sleep`: extra hours of sleep under two drugs.
SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]

# McDonald et al. (1991) mussel shell data, from McDonald's Handbook of Biological Statistics.
MUSSELS = {
    "Tillamook": [0.0571, 0.0813, 0.0831, 0.0976, 0.0817, 0.0859, 0.0735, 0.0659, 0.0923, 0.0836],
    "Newport": [0.0873, 0.0662, 0.0672, 0.0819, 0.0749, 0.0649, 0.0835, 0.0725],
    "Petersburg": [0.0974, 0.1352, 0.0817, 0.1016, 0.0968, 0.1064, 0.105],
    "Magadan": [0.1033, 0.0915, 0.0781, 0.0685, 0.0677, 0.0697, 0.0764, 0.0689],
    "Tvarminne": [0.0703, 0.1026, 0.0956, 0.0973, 0.1039, 0.1045],
}

# Forrester et al. (2013): every two-group t test of Tables 7.9, 7.10, 7.11 and 7.6, as
# (item, mean_a, sd_a, mean_b, sd_b, printed |t|), with the ns of each table's header.
TABLE_7_9 = [  # LA1 n = 36, LA2 n = 25; "happy to see me" is tested on its own below
    ("listen", 3.74, 0.64, 3.88, 0.61, 0.84), ("disagree", 3.11, 0.51, 3.21, 0.42, 0.83),
    ("aggressive", 2.11, 0.57, 2.54, 0.59, 2.85), ("no-show", 2.91, 0.51, 2.96, 0.62, 0.31),
    ("apply advice", 3.36, 0.49, 3.29, 0.55, 0.51), ("verbal threat", 1.97, 0.65, 2.38, 0.65, 2.38),
    ("negative", 2.58, 0.60, 2.50, 0.66, 0.51), ("truth", 3.35, 0.59, 3.13, 0.61, 1.45),
    ("calls", 2.65, 0.72, 2.71, 0.55, 0.35), ("homes", 1.92, 0.60, 1.78, 0.67, 0.82),
    ("issues", 3.95, 0.47, 3.88, 0.80, 0.39), ("physical threat", 1.38, 0.49, 1.75, 0.61, 2.63),
    ("avoid", 2.41, 0.76, 2.38, 0.82, 0.15),
]  # fmt: skip
TABLE_7_10 = [  # LA1 n = 24, LA2+LA3 n = 41
    ("understands", 3.83, 1.05, 3.07, 1.33, 2.55), ("respectful", 4.13, 1.04, 3.37, 1.30, 2.44),
    ("professional", 3.88, 1.19, 3.10, 1.24, 2.47), ("on time", 4.17, 0.84, 3.05, 1.28, 4.24),
    ("better", 3.50, 1.18, 2.85, 1.37, 1.93), ("reasons", 3.92, 0.88, 3.15, 1.33, 2.80),
    ("pleased", 3.79, 1.14, 3.15, 1.80, 1.58), ("talk", 3.88, 1.19, 3.02, 1.39, 2.51),
    ("change", 3.33, 1.01, 2.85, 1.31, 1.55), ("recommend", 3.54, 1.29, 2.66, 1.51, 2.40),
    ("average", 3.67, 0.80, 3.10, 1.17, 2.13),
]  # fmt: skip
TABLE_7_11 = [  # LA1 n = 36, LA2 n = 24
    ("confident", 4.14, 0.42, 4.08, 0.72, 0.34), ("support", 4.22, 0.83, 4.04, 0.55, 1.01),
    ("autonomous", 3.44, 0.94, 3.35, 1.03, 0.37), ("reflection", 3.39, 0.77, 3.13, 1.03, 1.14),
    ("time", 3.54, 0.61, 3.33, 0.76, 1.17), ("others", 3.92, 0.73, 3.38, 0.88, 2.60),
    ("resources", 3.69, 0.75, 3.04, 1.08, 2.57), ("good", 4.03, 0.17, 4.00, 0.66, 0.20),
    ("average", 3.80, 0.31, 3.54, 0.49, 2.26),
]  # fmt: skip
TABLE_7_6 = [  # LA1 n = 26, LA2+3 n = 38
    ("housing", 2.38, 1.26, 1.95, 1.21, 1.41), ("money", 2.00, 1.23, 1.74, 1.06, 0.91),
    ("disability", 1.35, 0.85, 1.13, 0.58, 1.13), ("behaviour", 1.77, 1.07, 1.71, 1.11, 0.21),
    ("caring", 1.62, 0.98, 1.53, 0.86, 0.38), ("depression", 1.96, 1.18, 1.79, 1.12, 0.59),
    ("other MH", 1.46, 0.91, 1.34, 0.94, 0.51), ("drugs", 1.15, 0.46, 1.29, 0.69, 0.87),
    ("alcohol", 1.12, 0.33, 1.29, 0.69, 1.35), ("average", 1.65, 0.54, 1.53, 0.48, 0.89),
]  # fmt: skip
PUBLISHED_T_TESTS = (
    [(*row, 36, 25) for row in TABLE_7_9]
    + [(*row, 24, 41) for row in TABLE_7_10]
    + [(*row, 36, 24) for row in TABLE_7_11]
    + [(*row, 26, 38) for row in TABLE_7_6]
)


def sample_with_moments(mean: float, sd: float, n: int, seed: int = 0) -> np.ndarray:
    """A sample whose mean and SD (n - 1) are exactly the given ones."""
    z = np.random.default_rng(seed).normal(size=n)
    return mean + sd * (z - z.mean()) / z.std(ddof=1)


# ----------------------------------------------------------------------------- two groups


def test_two_groups_reproduces_r_t_test_on_sleep_data() -> None:
    # R: t.test(extra ~ group, data = sleep) -> t = -1.8608, df = 17.776, p-value = 0.07939;
    # with var.equal = TRUE -> df = 18, p-value = 0.07919.
    result = two_groups(SLEEP_1, SLEEP_2)
    assert round(result.t_welch, 4) == -1.8608
    assert round(result.df_welch, 3) == 17.776
    assert round(result.p_welch, 5) == 0.07939
    assert round(result.t_pooled, 4) == -1.8608
    assert result.df_pooled == 18
    assert round(result.p_pooled, 5) == 0.07919


def test_two_groups_reproduces_r_wilcox_test_on_sleep_data() -> None:
    # R: wilcox.test(extra ~ group, data = sleep) -> W = 25.5, p-value = 0.06933 (normal
    # approximation with continuity correction, because of ties).
    assert round(two_groups(SLEEP_1, SLEEP_2).mann_whitney_p, 5) == 0.06933


def test_two_groups_descriptives_and_effect_sizes_match_pingouin() -> None:
    result = two_groups(SLEEP_1, SLEEP_2)
    assert (result.n_a, result.n_b) == (10, 10)
    assert result.mean_a == pytest.approx(0.75)
    assert result.sd_b == pytest.approx(np.std(SLEEP_2, ddof=1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cohen = pingouin.compute_effsize(SLEEP_1, SLEEP_2, eftype="cohen")
        hedges = pingouin.compute_effsize(SLEEP_1, SLEEP_2, eftype="hedges")
    assert result.cohen_d == pytest.approx(cohen, abs=1e-12)
    # pingouin uses Hedges' approximation of J; we use the exact gamma-function form.
    assert result.hedges_g == pytest.approx(hedges, abs=1e-4)
    half = 1.959964 * np.sqrt(20 / 100 + result.hedges_g**2 / 40)
    assert result.hedges_g_ci_low == pytest.approx(result.hedges_g - half, abs=1e-6)
    assert result.hedges_g_ci_high == pytest.approx(result.hedges_g + half, abs=1e-6)


def test_two_groups_levene_is_mean_centred_like_spss() -> None:
    a, b = [1, 2, 3, 4, 5, 6, 30], [3, 3, 4, 4, 5, 5, 4]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = pd.DataFrame({"y": a + b, "g": ["a"] * 7 + ["b"] * 7})
        expected = pingouin.homoscedasticity(frame, dv="y", group="g", center="mean")
    assert two_groups(a, b).levene_p == pytest.approx(expected["pval"].iloc[0])


def test_recommendation_defaults_to_welch_and_can_follow_levene() -> None:
    similar = two_groups(SLEEP_1, SLEEP_2, rule="levene")
    assert (similar.variances_differ, similar.recommended) == (False, "pooled")
    assert two_groups(SLEEP_1, SLEEP_2).recommended == "welch"
    spread = sample_with_moments(3.0, 2.0, 40, seed=1)
    tight = sample_with_moments(3.5, 0.2, 40, seed=2)
    unequal = two_groups(spread, tight, rule="levene")
    assert (unequal.variances_differ, unequal.recommended) == (True, "welch")


def test_two_groups_on_raw_scores_agrees_with_summary_version() -> None:
    # Forrester et al. (2013), Table 7.11 "Average score per worker": 3.80 (0.31), n = 36
    # against 3.54 (0.49), n = 24.
    a = sample_with_moments(3.80, 0.31, 36, seed=3)
    b = sample_with_moments(3.54, 0.49, 24, seed=4)
    raw, summary = two_groups(a, b), t_tests_from_summary(3.80, 0.31, 36, 3.54, 0.49, 24)
    assert raw.t_pooled == pytest.approx(summary.t_pooled)
    assert raw.t_welch == pytest.approx(summary.t_welch)
    assert raw.df_welch == pytest.approx(summary.df_welch)
    assert raw.p_welch == pytest.approx(summary.p_welch)


@pytest.mark.parametrize(
    ("item", "mean_a", "sd_a", "mean_b", "sd_b", "printed", "n_a", "n_b"),
    PUBLISHED_T_TESTS,
    ids=[f"{row[0]}-{row[6]}v{row[7]}" for row in PUBLISHED_T_TESTS],
)
def test_summary_t_reproduces_forrester_tables_within_rounding(
    item: str, mean_a: float, sd_a: float, mean_b: float, sd_b: float, printed: float,
    n_a: int, n_b: int,
) -> None:  # fmt: skip
    # Extract section 3.5: 43 of the report's 44 t values are within 0.05 of the pooled or
    # the Welch t from the printed means, SDs and header ns (the report prints |t|).
    assert len(PUBLISHED_T_TESTS) == 43
    result = t_tests_from_summary(mean_a, sd_a, n_a, mean_b, sd_b, n_b)
    gap = min(abs(abs(result.t_pooled) - printed), abs(abs(result.t_welch) - printed))
    assert gap <= 0.05, item


def test_summary_t_shows_the_one_forrester_item_that_does_not_reproduce() -> None:
    # Table 7.9 "Parents are happy to see me": printed 1.31; pooled 1.19, Welch 1.21.
    result = t_tests_from_summary(3.56, 0.77, 36, 3.33, 0.70, 25)
    assert (round(result.t_pooled, 2), round(result.t_welch, 2)) == (1.19, 1.21)


def test_summary_t_picks_out_welch_and_pooled_rows_of_table_7_10() -> None:
    # Extract 3.5: "turns up on time" pooled 3.83 / Welch 4.25 (printed 4.24); "agree on the
    # reasons" Welch 2.80 (printed 2.80).
    on_time = t_tests_from_summary(4.17, 0.84, 24, 3.05, 1.28, 41)
    assert (round(on_time.t_pooled, 2), round(on_time.t_welch, 2)) == (3.83, 4.25)
    assert round(t_tests_from_summary(3.92, 0.88, 24, 3.15, 1.33, 41).t_welch, 2) == 2.80


# ----------------------------------------------------------------------------- many groups


def test_many_groups_reproduces_mcdonald_anova() -> None:
    # McDonald, Handbook of Biological Statistics: F(4, 34) = 7.12, P = 2.8 x 10^-4.
    result = many_groups(MUSSELS)
    assert (round(result.f, 2), result.df_between, result.df_within) == (7.12, 4, 34)
    assert result.p == pytest.approx(2.8e-4, abs=5e-6)
    assert [g.name for g in result.groups] == list(MUSSELS)
    assert result.groups[0].n == 10


def test_many_groups_welch_anova_matches_pingouin() -> None:
    frame = pd.DataFrame(
        {
            "g": [g for g, v in MUSSELS.items() for _ in v],
            "y": [y for v in MUSSELS.values() for y in v],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = pingouin.welch_anova(frame, dv="y", between="g").iloc[0]
    result = many_groups(MUSSELS)
    assert result.welch_f == pytest.approx(expected["F"])
    assert result.welch_df2 == pytest.approx(expected["ddof2"])
    assert result.welch_p == pytest.approx(expected["p_unc"])
    assert (round(result.welch_f, 2), round(result.welch_p, 4)) == (5.66, 0.0051)


def test_many_groups_tukey_matches_statsmodels() -> None:
    values = np.concatenate([np.asarray(v) for v in MUSSELS.values()])
    labels = np.repeat(list(MUSSELS), [len(v) for v in MUSSELS.values()])
    reference = pairwise_tukeyhsd(values, labels)
    table = {
        (row[0], row[1]): row for row in reference.summary().data[1:]
    }  # group1, group2, meandiff (group2 - group1), p-adj, lower, upper, reject
    result = many_groups(MUSSELS)
    assert len(result.tukey) == 10
    for pair in result.tukey:
        key = (pair.group_a, pair.group_b)
        row = table.get(key) or table[key[::-1]]
        sign = -1.0 if key in table else 1.0  # statsmodels reports group2 - group1
        assert pair.difference == pytest.approx(sign * row[2], abs=1e-4)
        assert pair.p_adj == pytest.approx(row[3], abs=1e-3)
        bounds = sorted((sign * row[4], sign * row[5]))
        assert (pair.ci_low, pair.ci_high) == pytest.approx(bounds, abs=1e-4)


def test_many_groups_flags_zero_variance_for_welch() -> None:
    result = many_groups({"a": [3, 3, 3], "b": [1, 2, 3], "c": [2, 4, 5]})
    assert np.isnan(result.welch_f)
    assert "zero variance" in result.warnings[0]
    assert np.isfinite(result.f)


def test_docstring_examples_run() -> None:
    for module in (compare, _anova):
        outcome = doctest.testmod(module, raise_on_error=False)
        assert (outcome.failed, outcome.attempted > 0) == (0, True), module.__name__


# ------------------------------------------------------------------------ significance


@pytest.mark.parametrize(
    ("p", "mark"),
    [
        (0.0, "***"), (0.000999, "***"), (0.001, "**"), (0.0099, "**"), (0.01, "*"),
        (0.049, "*"), (0.05, "+"), (0.0999, "+"), (0.10, ""), (1.0, ""),
    ],
)  # fmt: skip
def test_significance_mark_uses_the_report_legend(p: float, mark: str) -> None:
    # Forrester et al. (2013) legend: "* p<.05 ** p<.01 *** p<.001 + p<.10".
    assert significance_mark(p) == mark


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: two_groups([1], [1, 2]), "a needs at least 2 values"),
        (lambda: two_groups([1, 2], [[1, 2]]), "b must be 1-D"),
        (lambda: two_groups([1, np.nan, 3], [1, 2]), "a contains NaN"),
        (lambda: two_groups([2, 2], [3, 3]), "both groups have zero variance"),
        (lambda: two_groups([1, 2], [3, 4], rule="spss"), "rule must be one of"),
        (lambda: two_groups([1, 2], ["x", 4]), "must contain numbers"),
        (lambda: t_tests_from_summary(1, 1, 1, 2, 1, 5), "n_a must be an integer"),
        (lambda: t_tests_from_summary(1, -1, 5, 2, 1, 5), "sd_a must be"),
        (lambda: t_tests_from_summary(1, 0, 5, 2, 0, 5), "zero variance"),
        (lambda: many_groups({"a": [1, 2, 3]}), "at least two groups"),
        (lambda: many_groups({"a": [1, 2], "b": [1]}), "group 'b' needs at least 2"),
        (lambda: many_groups({"a": [1, 1], "b": [2, 2]}), "every group has zero variance"),
        (lambda: two_groups([1, 2], [3, 6], scale=(1, 5)), "b has 1 value.s. outside the scale"),
        (lambda: many_groups({"x": [0, 2], "y": [3, 4]}, scale=(1, 5)), "group 'x' has 1"),
        (lambda: significance_mark(1.5), "between 0 and 1"),
        (lambda: significance_mark(float("nan")), "between 0 and 1"),
    ],
)
def test_bad_input_raises_precise_value_error(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]
