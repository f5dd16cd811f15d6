"""Agreement statistics against published worked examples, GPL libraries and properties.

pingouin and krippendorff are imported here only, as independent cross-checks; the library
itself never imports them.
"""

from __future__ import annotations

import doctest
import warnings

import hypothesis.extra.numpy as hnp
import krippendorff
import numpy as np
import pandas as pd
import pingouin
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from rating import _bootstrap, _coincidence, _correlation, _icc, agreement
from rating.agreement import (
    bootstrap_ci,
    cohen_kappa,
    compare_correlations,
    fleiss_kappa,
    gwet_ac,
    icc,
    krippendorff_alpha,
    pearson_r,
    percent_agreement,
)

NAN = np.nan

# Shrout & Fleiss (1979), Table 2: six targets (rows) rated by four judges (columns).
SHROUT_FLEISS = np.array(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]],
    dtype=float,
)

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C: four observers
# (rows) by twelve units (columns), with missing values.
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
        [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
    ]
)

# Gwet (2014), Handbook of Inter-Rater Reliability, 4th ed., p. 120 (irrCAC's cac.raw4raters):
# twelve units by four raters; note rater 3, not rater 2, scored unit 12.
GWET_4RATERS = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, NAN],
        [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 3],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
    ]
)

# Gwet (2014), a fifteen-unit subset of the table on p. 125 (irrCAC's cac.raw5obser): five
# observers by fifteen units, scale 0-3.
GWET_5OBSERVERS = np.array(
    [
        [1, 1, 2, NAN, 0, 0, 1, 1, 2, 2, NAN, 0, 1, 3, 1],
        [1, 1, 3, 0, 0, 0, 0, NAN, 2, 1, 1, 0, 2, 3, 1],
        [2, 0, 3, 0, 0, 0, 2, 2, 2, 1, 0, 0, 2, 2, 1],
        [NAN, 1, 3, NAN, NAN, NAN, NAN, 0, NAN, 1, 0, 0, 2, 2, NAN],
        [2, NAN, NAN, 0, 0, 0, 1, NAN, 2, NAN, NAN, NAN, NAN, 3, 1],
    ]
)

# Fleiss (1971): 30 patients, 6 psychiatrists, 5 diagnoses, as raw ratings (R irr's
# `diagnoses`, also in statsmodels' test suite).
FLEISS_1971 = np.array(
    [
        [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5],
        [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4],
        [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4],
        [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5], [3, 3, 3, 3, 3, 5],
        [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
        [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4],
        [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
    ]
)  # fmt: skip

# R irr's `anxiety` data (20 subjects, 3 raters), used by irr::kappa2 examples.
ANXIETY = np.array(
    [
        3, 3, 3, 4, 5, 5, 2, 3, 5, 2, 2, 6, 1, 5, 2, 2, 1, 2, 4, 3,
        3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4,
        2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2,
    ],
    dtype=float,
).reshape(3, 20)  # fmt: skip

ANSCOMBE_X = [10, 8, 13, 9, 11, 14, 6, 4, 12, 7, 5]
ANSCOMBE_Y1 = [8.04, 6.95, 7.58, 8.81, 8.33, 9.96, 7.24, 4.26, 10.84, 4.82, 5.68]


def table_to_pairs(table: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Expand a square contingency table of counts into paired ratings 1..k."""
    counts = np.asarray(table)
    rows, cols = np.indices(counts.shape)
    return np.repeat(rows.ravel() + 1, counts.ravel()), np.repeat(cols.ravel() + 1, counts.ravel())


def counts_table(raw: np.ndarray, categories: range) -> np.ndarray:
    return np.array([[np.sum(row == c) for c in categories] for row in raw])


# ---------------------------------------------------------------- published worked examples


def test_icc_reproduces_shrout_fleiss_table_4() -> None:
    # Shrout & Fleiss (1979), Table 4: .17, .29, .71, .44, .62, .91.
    result = icc(SHROUT_FLEISS)
    expected = {"ICC1": 0.17, "ICC2": 0.29, "ICC3": 0.71, "ICC1k": 0.44, "ICC2k": 0.62}
    expected["ICC3k"] = 0.91
    assert list(result) == ["ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"]
    for form, value in expected.items():
        assert round(result[form].value, 2) == value, form


def test_icc_f_tests_match_shrout_fleiss_mean_squares() -> None:
    # Shrout & Fleiss (1979), Table 3: BMS = 11.24, WMS = 6.26, EMS = 1.02 on 5, 18, 15 df.
    result = icc(SHROUT_FLEISS)
    assert result["ICC1"].f == pytest.approx(11.24 / 6.26, abs=0.01)
    assert (result["ICC1"].df1, result["ICC1"].df2) == (5, 18)
    assert result["ICC3"].f == pytest.approx(11.24 / 1.02, abs=0.05)
    assert (result["ICC2"].df1, result["ICC2"].df2) == (5, 15)


def test_icc_intervals_match_pingouin_on_shrout_fleiss() -> None:
    # pingouin.intraclass_corr (McGraw & Wong intervals) on the same data: CI95 [-0.13, 0.72],
    # [0.02, 0.76], [0.34, 0.95], [-0.88, 0.91], [0.07, 0.93], [0.68, 0.99]; p = .165 and
    # .000135.
    result = icc(SHROUT_FLEISS)
    expected = {
        "ICC1": (-0.13, 0.72), "ICC2": (0.02, 0.76), "ICC3": (0.34, 0.95),
        "ICC1k": (-0.88, 0.91), "ICC2k": (0.07, 0.93), "ICC3k": (0.68, 0.99),
    }  # fmt: skip
    for form, (low, high) in expected.items():
        assert (round(result[form].ci_low, 2), round(result[form].ci_high, 2)) == (low, high)
    assert result["ICC1"].p == pytest.approx(0.164769, abs=1e-6)
    assert result["ICC3"].p == pytest.approx(0.000135, abs=1e-6)


@pytest.mark.parametrize(
    ("level", "expected"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_alpha_reproduces_krippendorff_2011(level: str, expected: float) -> None:
    # Krippendorff (2011), section C, reports .743, .815, .849 and .797.
    assert round(krippendorff_alpha(KRIPPENDORFF_2011, level=level), 3) == expected  # type: ignore[arg-type]


def test_alpha_on_gwet_five_observers_matches_irrcac() -> None:
    # irrCAC test suite: krippen.alpha.raw(cac.raw5obser) = 0.481 (Gwet 2014 data).
    assert round(krippendorff_alpha(GWET_5OBSERVERS, level="nominal"), 3) == 0.481


@pytest.mark.parametrize(
    ("weights", "expected"), [(None, 0.775), ("linear", 0.859), ("quadratic", 0.914)]
)
def test_gwet_ac_reproduces_handbook_four_raters(weights: str | None, expected: float) -> None:
    # Gwet (2014) p. 120 data; irrCAC's tests give AC1 .775 (pa .818, pe .190), linear AC2
    # .859 and quadratic AC2 .914.
    assert round(gwet_ac(GWET_4RATERS, weights=weights), 3) == expected  # type: ignore[arg-type]


def test_gwet_ac1_reproduces_handbook_five_observers() -> None:
    # Gwet (2014) p. 125 data; irrCAC's tests give AC1 = 0.497 (pa .616, pe .236).
    assert round(gwet_ac(GWET_5OBSERVERS), 3) == 0.497


def test_gwet_ac1_with_letter_categories_matches_irrcac_g1g2() -> None:
    # irrCAC raw_g1g2 (a-e coded 1-5): AC1 = 0.685; Krippendorff nominal alpha = 0.632.
    letters = {"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0, "e": 5.0, None: NAN}
    raters = [
        ["a", "b", "c", "c", "b", "a", "d", "a", "b", None, None, None, "b", "b"],
        ["a", "b", "c", "c", "b", "b", "d", "a", "b", "e", None, None, "b", "a"],
        [None, "c", "c", "c", "b", "c", "d", "b", "b", "e", "a", "c", "c", "c"],
        ["a", "b", "c", "c", "b", "d", "d", "a", "b", "e", "a", None, "b", "b"],
    ]
    data = np.array([[letters[v] for v in row] for row in raters])
    assert round(gwet_ac(data), 3) == 0.685
    assert round(krippendorff_alpha(data, level="nominal"), 3) == 0.632


def test_fleiss_kappa_reproduces_fleiss_1971() -> None:
    # Fleiss (1971): kappa = .430; R irr::kappam.fleiss(diagnoses) = 0.4302445.
    table = counts_table(FLEISS_1971, range(1, 6))
    assert fleiss_kappa(table) == pytest.approx(0.4302445, abs=1e-7)


def test_fleiss_kappa_reproduces_wikipedia_example() -> None:
    # Wikipedia "Fleiss' kappa" worked example: 10 subjects, 14 raters, kappa = 0.210.
    table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0],
             [2, 2, 8, 1, 1], [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2],
             [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]  # fmt: skip
    assert round(fleiss_kappa(table), 3) == 0.210


def test_cohen_kappa_reproduces_cohen_1960() -> None:
    # Cohen (1960): p_o = .70, p_c = .41, kappa = .49 on 200 units, three categories.
    a, b = table_to_pairs([[88, 14, 18], [10, 40, 10], [2, 6, 12]])
    assert cohen_kappa(a, b) == pytest.approx((0.70 - 0.41) / (1 - 0.41), abs=1e-9)
    assert percent_agreement(a, b) == pytest.approx(0.70)


@pytest.mark.parametrize(("weights", "expected"), [(None, 0.4842), ("linear", 0.4701)])
def test_cohen_kappa_reproduces_sas_example(weights: str | None, expected: float) -> None:
    # SAS PROC FREQ example (statsmodels' test suite, table10): simple kappa 0.4842,
    # weighted kappa with Cicchetti-Allison (linear) weights 0.4701.
    a, b = table_to_pairs([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
    assert round(cohen_kappa(a, b, weights=weights), 4) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("weights", "expected"),
    [(None, -0.006289308), ("linear", 0.1459075), ("quadratic", 0.2520325)],
)
def test_cohen_kappa_reproduces_irr_kappa2_on_anxiety(weights: str | None, expected: float) -> None:
    # R: irr::kappa2(anxiety[, 2:3], weight) with "unweighted", "equal", "squared".
    kappa = cohen_kappa(ANXIETY[1], ANXIETY[2], weights=weights)  # type: ignore[arg-type]
    assert kappa == pytest.approx(expected, abs=1e-7)


def test_pearson_r_reproduces_anscombe_and_r_cor_test() -> None:
    # Anscombe (1973): r = 0.816.  R: cor.test(anscombe$x1, anscombe$y1) gives p = 0.00217,
    # 95 percent CI 0.4243912 0.9506933.
    result = pearson_r(ANSCOMBE_X, ANSCOMBE_Y1)
    assert round(result.r, 3) == 0.816
    assert result.p == pytest.approx(0.00217, abs=5e-6)
    assert result.ci_low == pytest.approx(0.4243912, abs=1e-7)
    assert result.ci_high == pytest.approx(0.9506933, abs=1e-7)
    assert result.n == 11


@pytest.mark.parametrize(
    ("r1", "r2", "reported_z"),
    [
        (0.346, 0.267, 0.32),  # Not enough money
        (0.471, 0.334, 0.60),  # Child's behaviour
        (0.635, 0.060, 2.52),  # Parent finding caring for a child difficult
        (0.390, 0.574, -0.88),  # Parent with depression
        (0.668, 0.289, 1.86),  # Parent with other mental health problems
        (0.666, 0.420, 1.30),  # Parent drug use
        (0.610, 0.380, 1.13),  # Parent alcohol use
    ],
)
def test_compare_correlations_reproduces_forrester_table_7_12(
    r1: float, r2: float, reported_z: float
) -> None:
    # Forrester et al. (2013), Table 7.12: LA1 n = 26 against LA2+3 n = 35.
    assert round(compare_correlations(r1, 26, r2, 35).z, 2) == reported_z


@pytest.mark.parametrize(
    ("r1", "r2", "reported_z", "fisher_z"),
    [(0.398, 0.352, 0.02, 0.20), (0.576, 0.064, 2.64, 2.17)],
)
def test_compare_correlations_exposes_forrester_table_7_12_typos(
    r1: float, r2: float, reported_z: float, fisher_z: float
) -> None:
    # The housing and disability rows do not follow from their own r and n (extract 3.5).
    z = compare_correlations(r1, 26, r2, 35).z
    assert round(z, 2) == fisher_z != reported_z


def test_compare_correlations_p_is_two_sided() -> None:
    result = compare_correlations(0.635, 26, 0.060, 35)
    assert result.p == pytest.approx(2 * (1 - 0.99413), abs=1e-3)  # z = 2.52
    assert compare_correlations(0.060, 35, 0.635, 26).z == pytest.approx(-result.z)


def test_percent_agreement_within_tolerance() -> None:
    a, b = [1, 2, 3, 4, 5], [1, 3, 5, 4, 2]
    assert percent_agreement(a, b) == pytest.approx(0.4)
    assert percent_agreement(a, b, tolerance=1) == pytest.approx(0.6)
    assert percent_agreement(a, b, tolerance=3) == pytest.approx(1.0)


# ------------------------------------------------------------------ cross-checks (GPL libs)


def pingouin_icc(x: np.ndarray) -> pd.DataFrame:
    n, k = x.shape
    frame = pd.DataFrame(
        {"unit": np.repeat(np.arange(n), k), "rater": np.tile(np.arange(k), n), "y": x.ravel()}
    )
    with warnings.catch_warnings():
        # pingouin trips pandas deprecation warnings; they are not ours to fix.
        warnings.simplefilter("ignore")
        return pingouin.intraclass_corr(frame, targets="unit", raters="rater", ratings="y")


@pytest.mark.parametrize(("n", "k", "seed"), [(5, 2, 0), (30, 3, 1), (200, 5, 2)])
def test_icc_matches_pingouin_on_random_data(n: int, k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 1)) + rng.normal(scale=0.7, size=(n, k)) + rng.normal(size=k)
    ours = icc(x)
    theirs = pingouin_icc(x).set_index("Type")
    names = {"ICC1": "ICC(1,1)", "ICC2": "ICC(A,1)", "ICC3": "ICC(C,1)"}
    names |= {"ICC1k": "ICC(1,k)", "ICC2k": "ICC(A,k)", "ICC3k": "ICC(C,k)"}
    for form, label in names.items():
        row = theirs.loc[label]
        assert ours[form].value == pytest.approx(row["ICC"], abs=1e-10)
        assert ours[form].f == pytest.approx(row["F"], rel=1e-10)
        assert ours[form].p == pytest.approx(row["pval"], abs=1e-12)
        # pingouin rounds its interval to two decimals.
        assert ours[form].ci_low == pytest.approx(row["CI95"][0], abs=0.005 + 1e-9)
        assert ours[form].ci_high == pytest.approx(row["CI95"][1], abs=0.005 + 1e-9)


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_alpha_matches_krippendorff_package_on_random_data(level: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    data = rng.integers(1, 6, size=(4, 60)).astype(float)
    data[:, :30] = np.clip(data[:1, :30] + rng.integers(-1, 2, size=(4, 30)), 1, 5)
    data[rng.random(data.shape) < 0.3] = NAN
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    assert krippendorff_alpha(data, level=level) == pytest.approx(expected, abs=1e-12)  # type: ignore[arg-type]


def test_alpha_on_continuous_data_matches_krippendorff_package() -> None:
    rng = np.random.default_rng(3)
    data = rng.normal(size=(3, 80)) + rng.normal(size=80)
    data[rng.random(data.shape) < 0.2] = NAN
    for level in ("interval", "ordinal"):
        expected = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
        assert krippendorff_alpha(data, level=level) == pytest.approx(expected, abs=1e-12)


def test_cohen_kappa_with_full_scale_matches_sklearn_labels() -> None:
    a, b = [1, 2, 2, 4, 5], [1, 2, 4, 4, 5]
    expected = cohen_kappa_score(a, b, labels=[1, 2, 3, 4, 5], weights="quadratic")
    assert cohen_kappa(a, b, weights="quadratic", categories=range(1, 6)) == expected
    # A whole-number scale supplies the same categories, so the unused point 3 keeps 2 and 4
    # two steps apart.
    assert cohen_kappa(a, b, weights="quadratic", scale=(1, 5)) == expected
    assert cohen_kappa(a, b, weights="quadratic") != expected


def test_gwet_ac_takes_its_categories_from_a_whole_number_scale() -> None:
    data = GWET_5OBSERVERS + 1  # 1-4 observed; a 1-5 scale adds an unused category
    with_scale = gwet_ac(data, weights="linear", scale=(1, 5))
    assert with_scale == gwet_ac(data, weights="linear", categories=range(1, 6))
    assert with_scale != gwet_ac(data, weights="linear")


# ------------------------------------------------------------------------- properties

scores = st.integers(min_value=1, max_value=5).map(float)


@st.composite
def rating_matrix(draw: st.DrawFn, *, agree: bool = False) -> np.ndarray:
    n = draw(st.integers(min_value=3, max_value=15))
    k = draw(st.integers(min_value=2, max_value=4))
    units = draw(hnp.arrays(np.float64, n, elements=scores))
    if agree:
        return np.repeat(units[:, None], k, axis=1)
    return draw(hnp.arrays(np.float64, (n, k), elements=scores))


@settings(max_examples=40, deadline=None)
@given(rating_matrix(agree=True))
def test_perfect_agreement_gives_one(x: np.ndarray) -> None:
    if np.ptp(x) == 0:
        return  # constant data: undefined for everything but AC
    assert all(result.value == pytest.approx(1.0) for result in icc(x).values())
    for level in ("nominal", "ordinal", "interval", "ratio"):
        assert krippendorff_alpha(x.T, level=level) == pytest.approx(1.0)  # type: ignore[arg-type]
    assert gwet_ac(x.T) == pytest.approx(1.0)
    assert gwet_ac(x.T, weights="quadratic") == pytest.approx(1.0)
    assert cohen_kappa(x[:, 0], x[:, 1], weights="linear") == pytest.approx(1.0)
    assert percent_agreement(x[:, 0], x[:, 1]) == 1.0


@settings(max_examples=40, deadline=None)
@given(rating_matrix(), st.randoms(use_true_random=False))
def test_statistics_ignore_rater_and_unit_order(x: np.ndarray, random: object) -> None:
    rng = np.random.default_rng(random.randint(0, 2**32))  # type: ignore[attr-defined]
    shuffled = x[rng.permutation(x.shape[0])][:, rng.permutation(x.shape[1])]
    for function in (icc_values, alpha_values, ac_values):
        assert_same(function, x, shuffled)


def icc_values(x: np.ndarray) -> list[float]:
    return [result.value for result in icc(x).values()]


def alpha_values(x: np.ndarray) -> list[float]:
    levels = ("nominal", "ordinal", "interval", "ratio")
    return [krippendorff_alpha(x.T, level=level) for level in levels]  # type: ignore[arg-type]


def ac_values(x: np.ndarray) -> list[float]:
    return [gwet_ac(x.T), gwet_ac(x.T, weights="linear", categories=range(1, 6))]


def assert_same(function: object, x: np.ndarray, shuffled: np.ndarray) -> None:
    try:
        expected = function(x)  # type: ignore[operator]
    except ValueError:
        with pytest.raises(ValueError):
            function(shuffled)  # type: ignore[operator]
        return
    assert function(shuffled) == pytest.approx(expected, abs=1e-9, nan_ok=True)  # type: ignore[operator]


@settings(max_examples=40, deadline=None)
@given(rating_matrix())
def test_cohen_kappa_is_symmetric_in_the_two_coders(x: np.ndarray) -> None:
    a, b = x[:, 0], x[:, 1]
    if np.union1d(a, b).size < 2:
        return
    for weights in (None, "linear", "quadratic"):
        assert cohen_kappa(a, b, weights=weights) == pytest.approx(  # type: ignore[arg-type]
            cohen_kappa(b, a, weights=weights)  # type: ignore[arg-type]
        )


@settings(max_examples=40, deadline=None)
@given(rating_matrix(), st.data())
def test_alpha_ignores_units_rated_once_and_empty_raters(
    x: np.ndarray, data: st.DataObject
) -> None:
    reliability = x.T.copy()
    single = data.draw(hnp.arrays(np.float64, reliability.shape[0], elements=scores))
    padded = np.column_stack([reliability, np.full(reliability.shape[0], NAN)])
    padded[0, -1] = single[0]  # a unit with one rating is not pairable
    padded = np.vstack([padded, np.full(padded.shape[1], NAN)])  # a rater who rated nothing
    assert_same(lambda d: krippendorff_alpha(d.T, level="ordinal"), reliability.T, padded.T)


@settings(max_examples=40, deadline=None)
@given(rating_matrix(), st.data())
def test_icc_omit_policy_equals_listwise_deletion(x: np.ndarray, data: st.DataObject) -> None:
    holes = data.draw(hnp.arrays(np.bool_, x.shape))
    holes[: min(3, x.shape[0])] = False  # keep some complete units
    with_nan = np.where(holes, NAN, x)
    complete = x[~holes.any(axis=1)]
    assert_same(
        lambda d: icc_values(d) if d is complete else icc_values_omit(d), complete, with_nan
    )


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        st.tuples(st.integers(2, 5), st.integers(2, 12)),
        elements=st.one_of(scores, st.just(NAN)),
    ),
    st.sampled_from(["nominal", "ordinal", "interval", "ratio"]),
)
def test_alpha_with_missing_data_agrees_with_krippendorff_package(
    data: np.ndarray, level: str
) -> None:
    try:
        ours = krippendorff_alpha(data, level=level)  # type: ignore[arg-type]
    except ValueError:
        return  # no pairable unit or no variation: the package fails or returns NaN here
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        theirs = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    assert ours == pytest.approx(theirs, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(rating_matrix())
def test_gwet_ac1_for_two_complete_raters_matches_gwet_2008_formula(x: np.ndarray) -> None:
    # Gwet (2008), two raters: p_a = sum_k p_kk, pi_k = (p_k. + p_.k)/2,
    # p_e = sum_k pi_k (1 - pi_k) / (q - 1).
    a, b = x[:, 0], x[:, 1]
    levels = np.union1d(a, b)
    if levels.size < 2:
        return
    p_a = np.mean(a == b)
    pi = np.array([(np.mean(a == c) + np.mean(b == c)) / 2 for c in levels])
    p_e = np.sum(pi * (1 - pi)) / (levels.size - 1)
    assert gwet_ac(np.vstack([a, b])) == pytest.approx((p_a - p_e) / (1 - p_e))


def icc_values_omit(x: np.ndarray) -> list[float]:
    return [result.value for result in icc(x, nan_policy="omit").values()]


# --------------------------------------------------------------- edge cases and bootstrap


def test_icc_perfect_consistency_has_degenerate_interval() -> None:
    x = np.array([[1, 2], [2, 3], [4, 5], [5, 6.0]])  # rater 2 = rater 1 + 1
    result = icc(x)
    assert result["ICC3"].value == 1.0
    assert (result["ICC3"].f, result["ICC3"].p) == (np.inf, 0.0)
    assert (result["ICC3"].ci_low, result["ICC3"].ci_high) == (1.0, 1.0)
    assert 0 < result["ICC2"].ci_low < result["ICC2"].value < result["ICC2"].ci_high <= 1


def test_icc2k_is_nan_when_its_denominator_vanishes() -> None:
    # MS_R + (MS_C - MS_E)/n = 2/3 + (2/3 - 8/3)/3 = 0 for these ratings.
    result = icc([[1, 3], [4, 2], [4, 2]])
    assert np.isnan(result["ICC2k"].value)
    assert np.isfinite(result["ICC2"].value)


def test_gwet_ac_is_defined_when_every_rating_is_the_same() -> None:
    assert gwet_ac([[3, 3, 3], [3, 3, 3]], categories=range(1, 6)) == 1.0


def test_gwet_ac_uses_units_rated_once_for_prevalence_only() -> None:
    with_single = np.column_stack([GWET_4RATERS, [5, NAN, NAN, NAN]])
    assert gwet_ac(with_single) != gwet_ac(GWET_4RATERS)
    assert gwet_ac(np.column_stack([GWET_4RATERS, [NAN] * 4])) == gwet_ac(GWET_4RATERS)


def test_pearson_interval_edge_cases() -> None:
    exact = pearson_r([1, 2, 3, 4], [2, 4, 6, 8])
    assert (exact.r, exact.ci_low, exact.ci_high) == (1.0, 1.0, 1.0)
    three = pearson_r([1, 2, 3], [1, 3, 2])
    assert (three.ci_low, three.ci_high) == (-1.0, 1.0)


def test_bootstrap_resamples_units_and_is_reproducible() -> None:
    first = bootstrap_ci(krippendorff_alpha, KRIPPENDORFF_2011, seed=7)  # units: last axis
    second = bootstrap_ci(krippendorff_alpha, KRIPPENDORFF_2011, unit_axis=1, seed=7)
    assert first == second
    assert first.estimate == pytest.approx(0.849, abs=5e-4)
    assert first.ci_low < first.estimate < first.ci_high <= 1.0
    assert first.n_resamples == 2000


def test_bootstrap_on_icc_rows_keeps_raters_together() -> None:
    seen: list[tuple[int, ...]] = []

    def statistic(d: np.ndarray) -> float:
        seen.append(d.shape)
        return icc(d)["ICC1"].value

    result = bootstrap_ci(statistic, SHROUT_FLEISS, unit_axis=0, n_resamples=50, seed=1)
    assert set(seen) == {(6, 4)}  # every resample: six whole units, all four judges
    assert result.estimate == icc(SHROUT_FLEISS)["ICC1"].value
    assert result.n_resamples == 50
    assert result.ci_low <= result.ci_high


def test_bootstrap_counts_resamples_where_statistic_is_undefined() -> None:
    data = np.array([[1, 1, 1, 2], [1, 1, 1, 2.0]])
    result = bootstrap_ci(
        lambda d: krippendorff_alpha(d, level="nominal"), data, unit_axis=1, n_resamples=200, seed=0
    )
    assert result.n_failed > 0
    assert result.estimate == 1.0


def test_docstring_examples_run() -> None:
    for module in (agreement, _icc, _coincidence, _correlation, _bootstrap):
        outcome = doctest.testmod(module, raise_on_error=False)
        assert outcome.failed == 0, module.__name__
        assert outcome.attempted > 0, module.__name__


# -------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: icc([1, 2, 3]), "must be 2-D"),
        (lambda: icc([[1, 2]]), "at least 2 rows"),
        (lambda: icc([[1], [2]]), "at least 2 rows and 2 columns"),
        (lambda: icc([[1, NAN], [2, 3], [3, 4]]), "contains NaN"),
        (lambda: icc([[1, NAN], [2, 3]], nan_policy="omit"), "1 complete unit"),
        (lambda: icc([[2, 2], [2, 2]]), "constant"),
        (lambda: icc([[1, 2], [2, 1]]), "same mean"),
        (lambda: icc([["a", "b"], ["c", "d"]]), "must contain numbers"),
        (lambda: icc([[1, np.inf], [2, 3]]), "infinite"),
        (lambda: icc(SHROUT_FLEISS, nan_policy="drop"), "nan_policy must be one of"),
        (lambda: icc(SHROUT_FLEISS, confidence=1.5), "confidence must be strictly"),
        (lambda: krippendorff_alpha([[1, 2, 3]]), "at least 2 rows"),
        (lambda: krippendorff_alpha([[1, NAN], [NAN, 2]]), "no unit rated by two"),
        (lambda: krippendorff_alpha([[1, 1], [1, 1]]), "alpha is undefined"),
        (lambda: krippendorff_alpha([[1, 1], [1, 1]], level="nominal"), "alpha is undefined"),
        (lambda: krippendorff_alpha([[-1, 1], [1, 1]], level="ratio"), "non-negative"),
        (lambda: krippendorff_alpha([[1, 2], [1, 2]], level="metric"), "level must be one of"),
        (lambda: gwet_ac([[1, 6], [1, 2]], categories=range(1, 6)), "not among categories"),
        (lambda: gwet_ac([[1, NAN], [NAN, 2]]), "no unit rated by two"),
        (lambda: gwet_ac([[1, 2], [1, 2]], weights="cubic"), "weights must be one of"),
        (lambda: cohen_kappa([1, 2, 3], [1, 2]), "same length"),
        (lambda: cohen_kappa([1, 2, NAN], [1, 2, 3]), "contains NaN"),
        (lambda: cohen_kappa([2, 2, 2], [2, 2, 2]), "kappa is undefined"),
        (lambda: cohen_kappa([1, 2], [1, 7], categories=range(1, 6)), "not among categories"),
        (lambda: fleiss_kappa([[1, 1], [2, 0.5]]), "whole-number"),
        (lambda: fleiss_kappa([[1, 1], [2, 1]]), "same number of ratings"),
        (lambda: fleiss_kappa([[1, 0], [1, 0]]), "at least 2 ratings"),
        (lambda: fleiss_kappa([[2, 0], [2, 0]]), "one category"),
        (lambda: pearson_r([1, 2], [1, 2]), "x needs at least 3 values"),
        (lambda: pearson_r([1, 2, 3], [1, 2, 3, 4]), "x and y must have the same length"),
        (lambda: pearson_r([1, 1, 1], [1, 2, 3]), "x is constant"),
        (lambda: compare_correlations(1.0, 20, 0.5, 20), "r1 must be strictly"),
        (lambda: compare_correlations(0.5, 3, 0.5, 20), "n1 must be an integer"),
        (lambda: percent_agreement([1], [1], tolerance=-1), "tolerance must be"),
        (lambda: bootstrap_ci(np.mean, [[1, 2]], unit_axis=2), "unit_axis 2"),
        (
            lambda: icc(SHROUT_FLEISS, scale=(1, 5)),
            "ratings has 13 value.s. outside the scale 1-5, e.g. 9",
        ),
        (lambda: icc(SHROUT_FLEISS, scale=(5, 1)), "scale must satisfy low < high"),
        (lambda: icc(SHROUT_FLEISS, scale=(1, 5, 9)), "scale must be a .low, high. pair"),
        (lambda: krippendorff_alpha(KRIPPENDORFF_2011, scale=(1, 4)), "outside the scale 1-4"),
        (lambda: gwet_ac(GWET_5OBSERVERS, scale=(1, 5)), "outside the scale 1-5, e.g. 0"),
        (lambda: cohen_kappa([1, 2, 6], [1, 2, 3], scale=(1, 5)), "a and b has 1 value"),
        (lambda: percent_agreement([1, 2], [0, 2], scale=(1, 5)), "outside the scale"),
        (lambda: pearson_r([1, 2, 3], [1, 2, 9], scale=(1, 5)), "x and y has 1 value"),
        (lambda: bootstrap_ci(np.mean, [1, 2], unit_axis=0, n_resamples=0), "n_resamples"),
    ],
)
def test_bad_input_raises_precise_value_error(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]
