"""Retention checks and the reliability report over long-format ratings."""

from __future__ import annotations

import dataclasses
import doctest
import time

import numpy as np
import pytest

from rating import _long, _report, _variation, scale_checks
from rating.agreement import (
    cohen_kappa,
    gwet_ac,
    icc,
    krippendorff_alpha,
    pearson_r,
    percent_agreement,
)
from rating.scale_checks import (
    RatingRow,
    check_dimensions,
    check_distinctness,
    check_variation,
    reliability_report,
)

DIMENSIONS = ("clarity", "empathy", "warmth", "strengths")
RATERS = ("ana", "ben", "cai", "dee")


def make_rows(
    n: int, *, seed: int = 0, noise: float = 0.5, double: float = 1.0, raters: int = 4
) -> list[dict[str, object]]:
    """Recordings scored 1-5 on four dimensions; a share ``double`` gets a second coder."""
    rng = np.random.default_rng(seed)
    truth = rng.normal(3.0, 1.0, size=(n, len(DIMENSIONS)))
    rows: list[dict[str, object]] = []
    for i in range(n):
        coders = rng.choice(raters, size=2, replace=False)
        coders = coders[: 2 if rng.random() < double else 1]
        for d, dimension in enumerate(DIMENSIONS):
            for coder in coders:
                score = np.clip(np.rint(truth[i, d] + rng.normal(0, noise)), 1, 5)
                rows.append(
                    {
                        "recording_code": f"R{i:05d}",
                        "rater": f"rater{coder}",
                        "dimension": dimension,
                        "score": int(score),
                    }
                )
    return rows


def slots_of(rows: list[dict[str, object]], dimension: str) -> np.ndarray:
    """(coder slot, recording) matrix built the slow, obvious way."""
    by_recording: dict[object, list[float]] = {}
    for row in rows:
        if row["dimension"] == dimension:
            by_recording.setdefault(row["recording_code"], []).append(float(row["score"]))  # type: ignore[arg-type]
    width = max(len(v) for v in by_recording.values())
    return np.array([v + [np.nan] * (width - len(v)) for v in by_recording.values()]).T


def assert_same_result(ours: object, expected: object) -> None:
    """Field-by-field equality of two result dataclasses, up to rounding."""
    assert type(ours) is type(expected)
    for field in dataclasses.fields(expected):  # type: ignore[arg-type]
        left, right = getattr(ours, field.name), getattr(expected, field.name)
        assert left == (right if isinstance(right, str) else pytest.approx(right)), field.name


# --------------------------------------------------------------------- reliability report


def test_report_matches_the_individual_statistics() -> None:
    rows = make_rows(60, seed=1, double=0.7)
    report = reliability_report(rows, scale=(1, 5))
    for dimension in DIMENSIONS:
        slots = slots_of(rows, dimension)
        both = ~np.isnan(slots[1])
        first, second = slots[0, both], slots[1, both]
        result = report.dimensions[dimension]
        assert result.n_recordings == 60
        assert result.n_double_coded == both.sum()
        assert result.pearson == pearson_r(first, second)
        assert_same_result(result.icc, icc(np.column_stack([first, second]))["ICC1"])
        assert result.alpha_ordinal == krippendorff_alpha(slots, level="ordinal")
        assert result.alpha_interval == krippendorff_alpha(slots, level="interval")
        scale = range(1, 6)
        kappa = cohen_kappa(first, second, weights="quadratic", categories=scale)
        assert result.weighted_kappa == kappa
        assert result.gwet_ac2 == gwet_ac(slots, weights="quadratic", categories=scale)
        assert result.exact_agreement == percent_agreement(first, second)
        assert result.within_one_agreement == percent_agreement(first, second, tolerance=1)


def test_report_settings_are_recorded_and_forms_selectable() -> None:
    rows = make_rows(40, seed=2)
    report = reliability_report(rows, icc_form="ICC2", kappa_weights="linear", threshold=0.6)
    assert (report.icc_form, report.kappa_weights, report.threshold) == ("ICC2", "linear", 0.6)
    assert report.dimensions["empathy"].icc is not None
    assert report.dimensions["empathy"].icc.form == "ICC2"
    assert list(report.dimensions) == list(DIMENSIONS)


def test_first_two_ratings_in_input_order_are_the_coders_and_a_third_counts_for_alpha() -> None:
    rows = [
        ("r1", "a", "warmth", 1), ("r1", "b", "warmth", 2), ("r1", "c", "warmth", 5),
        ("r2", "b", "warmth", 4), ("r2", "a", "warmth", 4),
        ("r3", "a", "warmth", 2), ("r3", "c", "warmth", 3),
        ("r4", "c", "warmth", 5), ("r4", "a", "warmth", 4),
        ("r5", "a", "warmth", 3),
    ]  # fmt: skip
    result = reliability_report(rows).dimensions["warmth"]
    assert (result.n_recordings, result.n_double_coded) == (5, 4)
    assert result.pearson == pearson_r([1, 4, 2, 5], [2, 4, 3, 4])
    slots = [[1, 4, 2, 5, 3], [2, 4, 3, 4, np.nan], [5, np.nan, np.nan, np.nan, np.nan]]
    assert result.alpha_interval == pytest.approx(krippendorff_alpha(slots))


def test_small_reliability_sets_carry_a_warning() -> None:
    # The source study tested reliability on 19 interviews; below the 30 we ask for.
    small = reliability_report(make_rows(19, seed=3)).dimensions["clarity"]
    assert small.n_double_coded == 19
    assert "fewer than 30" in small.warnings[0]
    large = reliability_report(make_rows(40, seed=3)).dimensions["clarity"]
    assert large.warnings == ()


def test_pass_and_threshold_flags_follow_the_r_criterion() -> None:
    good = reliability_report(make_rows(80, seed=4, noise=0.3)).dimensions["warmth"]
    assert good.passes and good.pearson_r > 0.7 and good.below_threshold == ()
    poor = reliability_report(make_rows(80, seed=4, noise=2.0)).dimensions["warmth"]
    assert not poor.passes
    assert "pearson_r" in poor.below_threshold


def test_undefined_coefficients_become_nan_with_a_reason() -> None:
    rows = [(f"r{i}", coder, "concerns", 3) for i in range(35) for coder in ("a", "b")]
    result = reliability_report(rows, scale=(1, 5)).dimensions["concerns"]
    assert result.pearson is None and np.isnan(result.pearson_r)
    assert result.icc is None
    assert np.isnan(result.alpha_interval) and np.isnan(result.weighted_kappa)
    assert result.gwet_ac2 == 1.0  # AC stays defined when everyone gives the same score
    assert result.exact_agreement == 1.0
    assert not result.passes
    assert any(w.startswith("pearson_r undefined: x is constant") for w in result.warnings)
    assert any(w.startswith("alpha_interval undefined") for w in result.warnings)


def test_single_coded_dimension_is_reported_not_raised() -> None:
    rows = [(f"r{i}", "a", "warmth", 1 + i % 5) for i in range(10)]
    result = reliability_report(rows).dimensions["warmth"]
    assert (result.n_recordings, result.n_double_coded) == (10, 0)
    assert np.isnan(result.exact_agreement)
    assert not result.passes


def test_mappings_named_tuples_and_plain_tuples_give_the_same_report() -> None:
    rows = make_rows(30, seed=5)
    as_tuples = [tuple(row.values()) for row in rows]
    as_named = [RatingRow(*row) for row in as_tuples]
    reports = [reliability_report(r) for r in (rows, as_tuples, as_named, iter(as_tuples))]
    for report in reports[1:]:
        assert report.dimensions == reports[0].dimensions


def test_rater_pair_matrix_matches_direct_computation() -> None:
    rows = make_rows(200, seed=6, raters=4)
    report = reliability_report(rows)
    matrix = report.rater_pairs["empathy"]
    assert set(matrix.raters) == {f"rater{i}" for i in range(4)}
    assert matrix.n.shape == matrix.r.shape == matrix.exact.shape == (4, 4)
    assert np.array_equal(matrix.n, matrix.n.T)
    assert matrix.n.sum() == 2 * report.dimensions["empathy"].n_double_coded
    i, j = matrix.raters.index("rater0"), matrix.raters.index("rater2")
    shared: dict[str, dict[str, float]] = {}
    for row in rows:
        if row["dimension"] == "empathy" and row["rater"] in ("rater0", "rater2"):
            shared.setdefault(str(row["recording_code"]), {})[str(row["rater"])] = row["score"]  # type: ignore[assignment]
    pairs = [(s["rater0"], s["rater2"]) for s in shared.values() if len(s) == 2]
    x, y = np.array(pairs, dtype=float).T
    assert matrix.n[i, j] == len(pairs)
    assert matrix.r[i, j] == pytest.approx(pearson_r(x, y).r)
    assert matrix.r[j, i] == pytest.approx(matrix.r[i, j])
    assert matrix.exact[i, j] == pytest.approx(percent_agreement(x, y))
    assert np.isnan(matrix.r[i, i])


def test_rater_pair_with_too_few_shared_recordings_has_nan_r() -> None:
    rows = [("r1", "a", "d", 1), ("r1", "b", "d", 2), ("r2", "a", "d", 3), ("r2", "b", "d", 3)]
    matrix = reliability_report(rows).rater_pairs["d"]
    assert matrix.n[0, 1] == 2
    assert np.isnan(matrix.r[0, 1])
    assert matrix.exact[0, 1] == 0.5


def test_bootstrap_is_off_by_default_and_adds_intervals_when_asked() -> None:
    rows = make_rows(40, seed=7)
    assert reliability_report(rows).dimensions["warmth"].bootstrap == {}
    result = reliability_report(rows, bootstrap=True, n_resamples=100, seed=1)
    boot = result.dimensions["warmth"].bootstrap
    expected = {"pearson_r", "alpha_ordinal", "alpha_interval", "weighted_kappa", "gwet_ac2"}
    assert set(boot) == expected
    assert boot["alpha_interval"].estimate == result.dimensions["warmth"].alpha_interval
    assert all(b.ci_low <= b.estimate <= b.ci_high for b in boot.values())


def test_report_is_fast_enough_for_ten_thousand_recordings() -> None:
    # Target: 10,000 recordings x 2 raters x 4 dimensions in under 1 s without bootstrap.
    rows = make_rows(10_000, seed=8, raters=20)
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        report = reliability_report(rows, scale=(1, 5))
        timings.append(time.perf_counter() - start)
    assert report.dimensions["warmth"].n_double_coded == 10_000
    assert min(timings) < 1.0


# ------------------------------------------------------------------------------ variation


def test_variation_flags_a_near_constant_item_like_raised_concerns() -> None:
    # The source method dropped "raised concerns" because nearly every worker did it.
    check = check_variation([5] * 18 + [4, 5, 5, 4], scale=(1, 5))
    assert (check.modal_score, check.modal_share) == (5.0, 20 / 22)
    assert check.has_ceiling_effect and not check.has_floor_effect
    assert not check.has_useful_variation


def test_variation_accepts_a_well_spread_item() -> None:
    check = check_variation([1, 2, 2, 3, 3, 3, 4, 4, 5, 2, 3, 4], scale=(1, 5))
    assert check.sd == pytest.approx(np.std([1, 2, 2, 3, 3, 3, 4, 4, 5, 2, 3, 4], ddof=1))
    assert check.floor_share == pytest.approx(1 / 12)
    assert not check.has_floor_effect and not check.has_ceiling_effect
    assert check.has_useful_variation


def test_floor_share_at_fifteen_percent_is_flagged() -> None:
    # Terwee et al. (2007): floor or ceiling effect when > 15 % score the extreme.
    check = check_variation([1, 1, 1, 2, 3, 3, 4, 4, 5, 5, 2, 3, 3, 4, 2, 2, 3, 4, 3, 2])
    assert np.isnan(check.floor_share) and not check.has_floor_effect
    assert check_variation([1] * 3 + [3] * 17, scale=(1, 5)).has_floor_effect


# ---------------------------------------------------------------------------- distinctness


def test_distinctness_flags_redundant_dimensions_only() -> None:
    rng = np.random.default_rng(9)
    base = rng.normal(size=100)
    scores = {
        "warmth": base,
        "empathy": base + rng.normal(scale=0.2, size=100),
        "clarity": rng.normal(size=100),
    }
    check = check_distinctness(scores)
    assert [(p.dimension_a, p.dimension_b) for p in check.flagged] == [("warmth", "empathy")]
    assert check.correlations.shape == (3, 3)
    assert np.allclose(check.correlations, check.correlations.T, equal_nan=True)
    assert np.isnan(np.diag(check.correlations)).all()


def test_distinctness_uses_pairwise_complete_scores() -> None:
    a = [1, 2, 3, 4, np.nan, 6]
    b = [1, 2, 3, 5, 5, np.nan]
    pair = check_distinctness({"a": a, "b": b}).pairs[0]
    assert pair.n == 4
    assert pair.r == pytest.approx(pearson_r([1, 2, 3, 4], [1, 2, 3, 5]).r)


# ------------------------------------------------------------------------- all three checks


def test_check_dimensions_keeps_only_dimensions_passing_all_three() -> None:
    rows = make_rows(60, seed=10, noise=0.3)
    for row in rows:  # "strengths" copies "warmth": reliable and varied but not distinct
        if row["dimension"] == "strengths":
            row["score"] = next(
                r["score"]
                for r in rows
                if r["dimension"] == "warmth"
                and r["recording_code"] == row["recording_code"]
                and r["rater"] == row["rater"]
            )
    rows += [(f"R{i:05d}", "rater0", "concerns", 5) for i in range(60)]  # type: ignore[misc]
    report = check_dimensions(rows, scale=(1, 5))
    keep = {name: check.keep for name, check in report.dimensions.items()}
    assert keep == {
        "clarity": True, "empathy": True, "warmth": False, "strengths": False, "concerns": False,
    }  # fmt: skip
    assert report.dimensions["warmth"].most_similar == "strengths"
    assert not report.dimensions["concerns"].variation.has_useful_variation
    assert not report.dimensions["concerns"].is_reliable


def test_docstring_examples_run() -> None:
    for module in (scale_checks, _report, _long, _variation):
        outcome = doctest.testmod(module, raise_on_error=False)
        assert outcome.failed == 0, module.__name__


# -------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: reliability_report([]), "long_rows is empty"),
        (lambda: reliability_report([("r1", "a", "d", 6)], scale=(1, 5)), "outside the scale"),
        (lambda: reliability_report([("r1", "a", "d", 1)], scale=(5, 1)), "low < high"),
        (lambda: reliability_report([("r1", "a", "d")]), "record 0 must be a mapping"),
        (lambda: reliability_report([{"rater": "a"}]), "record 0 lacks the key"),
        (lambda: reliability_report([("r1", "a", "d", "high")]), "non-numeric score"),
        (lambda: reliability_report([("r1", "a", "d", None)]), "non-numeric score"),
        (lambda: reliability_report([("r1", "a", "d", float("nan"))]), "no finite score"),
        (
            lambda: reliability_report([("r1", "a", "d", 1), ("r1", "a", "d", 2)]),
            "rater 'a' scored recording 'r1' on 'd' more than once",
        ),
        (lambda: reliability_report([("r", "a", "d", 1)], icc_form="ICC4"), "icc_form"),
        (lambda: reliability_report([("r", "a", "d", 1)], kappa_weights="x"), "kappa_weights"),
        (lambda: reliability_report([("r", "a", "d", 1)], min_n=1), "min_n"),
        (
            lambda: reliability_report([("r", "a", "d", 1)], bootstrap=True, n_resamples=0),
            "n_resamples must be a positive integer",
        ),
        (lambda: check_variation([3]), "at least 2 values"),
        (lambda: check_variation([3, 7], scale=(1, 5)), "outside the scale"),
        (lambda: check_variation([3, 4], min_sd=-1), "min_sd"),
        (lambda: check_variation([3, 4], max_modal_share=0), "max_modal_share"),
        (lambda: check_distinctness({"a": [1, 2, 3]}), "at least two dimensions"),
        (lambda: check_distinctness({"a": [1, 2, 3], "b": [1, 2]}), "same number"),
        (lambda: check_distinctness({"a": [1, 2], "b": [1, 2]}, threshold=1.5), "threshold"),
    ],
)
def test_bad_input_raises_precise_value_error(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]
