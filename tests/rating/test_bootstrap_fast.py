"""The report's fast bootstrap (resampled sums) against the generic per-resample bootstrap."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rating import _bootstrap, _report
from rating._long import parse_long_rows
from rating.agreement import bootstrap_ci, cohen_kappa, gwet_ac, krippendorff_alpha, pearson_r
from rating.scale_checks import reliability_report

TOLERANCE = 1e-9
Rows = list[tuple[str, str, str, float]]


def make_rows(
    n: int,
    *,
    seed: int,
    double: float = 0.6,
    triple: float = 0.1,
    step: float = 1.0,
    dimensions: tuple[str, ...] = ("warmth", "clarity"),
) -> Rows:
    """1-5 scores in multiples of ``step``; some recordings get one rating, some three."""
    rng = np.random.default_rng(seed)
    rows: Rows = []
    for dimension in dimensions:
        truth = rng.normal(3.0, 1.0, size=n)
        for i in range(n):
            u = rng.random()
            k = 3 if u < triple else 2 if u < triple + double else 1
            for slot in range(k):
                score = np.clip(truth[i] + rng.normal(0.0, 0.7), 1, 5)
                rows.append(
                    (f"R{i}", f"rater{(i + slot) % 6}", dimension, round(score / step) * step)
                )
    return rows


def generic_results(
    rows: Rows, *, scale: tuple[float, float] | None, n_resamples: int, seed: int
) -> dict[str, dict[str, _bootstrap.BootstrapResult | str]]:
    """bootstrap_ci on each statistic, called the way the report has always called it."""
    ratings = parse_long_rows(rows, scale=scale)
    categories = None if scale is None else tuple(float(p) for p in range(1, 6))
    if scale is not None and any(float(r[3]) != int(r[3]) for r in rows):
        categories = (1.0, 2.0, 3.0, 4.0, 5.0)  # half points: kappa and AC2 then refuse them
    statistics: dict[str, tuple[Callable[[np.ndarray], float], bool]] = {
        "pearson_r": (lambda d: pearson_r(d[0], d[1]).r, True),
        "alpha_ordinal": (lambda d: krippendorff_alpha(d, level="ordinal"), False),
        "alpha_interval": (lambda d: krippendorff_alpha(d, level="interval"), False),
        "weighted_kappa": (
            lambda d: cohen_kappa(d[0], d[1], weights="quadratic", categories=categories),
            True,
        ),
        "gwet_ac2": (lambda d: gwet_ac(d, weights="quadratic", categories=categories), False),
    }
    out: dict[str, dict[str, _bootstrap.BootstrapResult | str]] = {}
    for name, data in ratings.dimensions.items():
        first, second = data.first_two()
        pair = np.vstack([first, second])
        out[name] = {}
        for statistic_name, (statistic, on_pair) in statistics.items():
            try:
                out[name][statistic_name] = bootstrap_ci(
                    statistic,
                    pair if on_pair else data.scores,
                    unit_axis=1,
                    n_resamples=n_resamples,
                    seed=seed,
                )
            except ValueError as error:
                out[name][statistic_name] = str(error)
    return out


def assert_same(fast: _bootstrap.BootstrapResult, slow: _bootstrap.BootstrapResult) -> None:
    assert fast.n_resamples == slow.n_resamples
    assert fast.n_failed == slow.n_failed
    for field in ("estimate", "ci_low", "ci_high"):
        assert getattr(fast, field) == pytest.approx(getattr(slow, field), abs=TOLERANCE)


def check_against_generic(
    rows: Rows, *, scale: tuple[float, float] | None, n_resamples: int, seed: int
) -> None:
    report = reliability_report(
        rows, scale=scale, bootstrap=True, n_resamples=n_resamples, seed=seed
    )
    expected = generic_results(rows, scale=scale, n_resamples=n_resamples, seed=seed)
    for name, dimension in report.dimensions.items():
        if dimension.n_double_coded < 2:
            assert dimension.bootstrap == {}
            continue
        for statistic, slow in expected[name].items():
            if isinstance(slow, str):
                # Undefined on the data itself (e.g. kappa of half points): no interval.
                assert statistic not in dimension.bootstrap
            else:
                assert_same(dimension.bootstrap[statistic], slow)


@pytest.mark.parametrize(
    ("n", "seed", "scale", "step"),
    [
        (120, 1, (1, 5), 1.0),  # the web app's case: whole points, single and triple codings
        (120, 2, None, 1.0),  # categories taken from the values each resample uses
        (90, 3, None, 0.5),  # half points
        (90, 4, (1, 5), 0.5),  # half points on a whole-point scale: kappa and AC2 refuse
    ],
)
def test_fast_bootstrap_equals_bootstrap_ci(
    n: int, seed: int, scale: tuple[float, float] | None, step: float
) -> None:
    rows = make_rows(n, seed=seed, step=step)
    check_against_generic(rows, scale=scale, n_resamples=300, seed=seed)


@pytest.mark.parametrize("seed", range(6))
def test_tiny_data_count_the_same_failed_resamples(seed: int) -> None:
    # Four to six recordings: many resamples have a constant coder or a single level.
    rows = make_rows(4 + seed % 3, seed=seed, double=0.7, triple=0.1)
    report = reliability_report(rows, bootstrap=True, n_resamples=400, seed=seed)
    check_against_generic(rows, scale=None, n_resamples=400, seed=seed)
    failed = [b.n_failed for d in report.dimensions.values() for b in d.bootstrap.values()]
    assert seed > 0 or any(failed)  # the first case does exercise failed resamples


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scores=st.lists(
        st.tuples(
            st.integers(1, 5),
            st.one_of(st.none(), st.integers(1, 5)),
            st.one_of(st.none(), st.integers(1, 5)),
        ),
        min_size=2,
        max_size=25,
    ),
    seed=st.integers(0, 2**16),
    whole_scale=st.booleans(),
)
def test_fast_bootstrap_equals_bootstrap_ci_on_any_small_data(
    scores: list[tuple[int, int | None, int | None]], seed: int, whole_scale: bool
) -> None:
    rows: Rows = []
    for i, ratings in enumerate(scores):
        for slot, score in enumerate(ratings):
            if score is not None:
                rows.append((f"R{i}", f"rater{slot}", "d", float(score)))
    check_against_generic(rows, scale=(1, 5) if whole_scale else None, n_resamples=60, seed=seed)


def reports_equal(monkeypatch: pytest.MonkeyPatch, rows: Rows, **options: object) -> None:
    fast = reliability_report(rows, bootstrap=True, **options)  # type: ignore[arg-type]
    monkeypatch.setattr(_report, "_FAST_BOOTSTRAP", False)
    slow = reliability_report(rows, bootstrap=True, **options)  # type: ignore[arg-type]
    monkeypatch.setattr(_report, "_FAST_BOOTSTRAP", True)
    assert fast.dimensions.keys() == slow.dimensions.keys()
    for name, a in fast.dimensions.items():
        b = slow.dimensions[name]
        assert a.warnings == b.warnings
        assert a.bootstrap.keys() == b.bootstrap.keys()
        for statistic, result in a.bootstrap.items():
            assert_same(result, b.bootstrap[statistic])
        for field in ("alpha_ordinal", "alpha_interval", "weighted_kappa", "gwet_ac2"):
            np.testing.assert_equal(getattr(a, field), getattr(b, field))
        assert (a.passes, a.below_threshold) == (b.passes, b.below_threshold)


def test_report_is_unchanged_by_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    reports_equal(monkeypatch, make_rows(80, seed=11), scale=(1, 5), n_resamples=200, seed=5)
    reports_equal(monkeypatch, make_rows(60, seed=12, step=0.5), n_resamples=150, seed=6)
    # Every recording double-coded: first-vs-second and all-ratings statistics share draws.
    rows = make_rows(70, seed=13, double=1.0, triple=0.0)
    reports_equal(monkeypatch, rows, scale=(1, 5), n_resamples=150, seed=7)


def test_many_distinct_scores_fall_back_to_the_generic_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(3.0, 1.0, size=(40, 2))
    rows: Rows = [(f"R{i}", f"r{j}", "d", float(values[i, j])) for i in range(40) for j in range(2)]
    draws = _bootstrap._UnitDraws(50, 1)
    pair = values.T.copy()
    assert _bootstrap._fast_resamples(pair, pair, "quadratic", None, draws) is None
    reports_equal(monkeypatch, rows, n_resamples=50, seed=1)


def test_draws_are_those_of_bootstrap_ci_and_kept_per_unit_count() -> None:
    draws = _bootstrap._UnitDraws(30, 9)
    expected = np.random.default_rng(9).integers(0, 300, size=(30, 300))
    np.testing.assert_array_equal(draws.indices(300), expected)
    assert draws.indices(300) is draws.indices(300)
    assert draws.indices(300).dtype == np.uint16


def test_unseeded_reports_still_work() -> None:
    report = reliability_report(make_rows(40, seed=2), bootstrap=True, n_resamples=50)
    boot = report.dimensions["warmth"].bootstrap
    assert all(b.ci_low <= b.ci_high for b in boot.values())


def test_a_bootstrap_that_cannot_be_computed_is_named_in_the_warnings() -> None:
    # Half points on a whole-point scale: weighted kappa and AC2 refuse the data, so their
    # bootstraps are undefined too, and the report must say so rather than drop them.
    rows = make_rows(60, seed=4, step=0.5)
    report = reliability_report(rows, scale=(1, 5), bootstrap=True, n_resamples=50, seed=1)
    warnings = report.dimensions["warmth"].warnings
    assert any(w.startswith("bootstrap of weighted_kappa undefined") for w in warnings)
    assert "weighted_kappa" not in report.dimensions["warmth"].bootstrap
