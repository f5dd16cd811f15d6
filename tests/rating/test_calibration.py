"""Calibration statistics against reference scores: hand-computed values and bad input."""

from __future__ import annotations

import doctest
import math

import pytest

from rating import calibration
from rating.calibration import (
    CalibrationRow,
    ReferenceComparison,
    compare_with_reference,
    is_calibrated,
    summarise_calibration,
)


def test_docstring_examples_pass():
    outcome = doctest.testmod(calibration, raise_on_error=False)
    assert outcome.attempted > 0
    assert outcome.failed == 0


def test_statistics_match_hand_computed_values():
    # differences 1, -2, 0, 1, 0 -> bias 0/5, |d| 1, 2, 0, 1, 0 -> MAD 4/5
    result = compare_with_reference([4, 1, 3, 5, 2], [3, 3, 3, 4, 2])
    assert result == ReferenceComparison(
        n=5, bias=0.0, mean_absolute_difference=0.8, exact_agreement=0.4, within_one_agreement=0.8
    )


def test_published_mean_difference_of_bland_and_altman_is_reproduced():
    wright = [494, 395, 516, 434, 476, 557, 413, 442, 650, 433, 417, 656, 267, 478, 178, 423, 427]
    mini = [512, 430, 520, 428, 500, 600, 364, 380, 658, 445, 432, 626, 260, 477, 259, 350, 451]
    assert compare_with_reference(wright, mini).bias == pytest.approx(-2.1, abs=0.05)


def test_missing_scores_drop_their_pair():
    result = compare_with_reference([5, None, float("nan"), 2], [3, 4, 4, None])
    assert (result.n, result.bias, result.mean_absolute_difference) == (1, 2.0, 2.0)


def test_no_complete_pair_gives_nan_and_n_zero():
    result = compare_with_reference([None], [3])
    assert result.n == 0
    assert math.isnan(result.bias) and math.isnan(result.within_one_agreement)
    assert not result.meets()


def test_bias_and_mad_both_count():
    unbiased_but_scattered = compare_with_reference([5, 1], [3, 3])  # bias 0, MAD 2
    assert unbiased_but_scattered.bias == 0.0
    assert not is_calibrated({"empathy": unbiased_but_scattered})
    consistently_high = compare_with_reference([4, 4], [3, 3])  # bias 1, MAD 1
    assert not is_calibrated({"empathy": consistently_high})


def test_thresholds_are_inclusive_and_configurable():
    edge = compare_with_reference([4, 3, 3, 5], [3, 3, 3, 4])  # bias 0.5, MAD 0.5
    assert is_calibrated({"d": edge})
    assert not is_calibrated({"d": edge}, max_bias=0.4)
    assert not is_calibrated({"d": edge}, max_mad=0.25)


def test_dimensions_below_min_n_are_not_judged():
    good = compare_with_reference([3, 3], [3, 3])
    bad_single = compare_with_reference([5], [1])
    assert is_calibrated({"a": good, "b": bad_single}, min_n=2)
    assert not is_calibrated({"a": good, "b": bad_single}, min_n=1)
    assert not is_calibrated({"a": bad_single}, min_n=2)  # nothing judged: not calibrated


def test_summary_groups_long_rows_by_rater_and_dimension():
    rows = [
        CalibrationRow(7, "clarity", 4, 4),
        CalibrationRow(7, "clarity", 2, 3),
        CalibrationRow(7, "empathy", 5, 3),
        CalibrationRow(8, "clarity", 3, 3),
    ]
    report = summarise_calibration(rows)
    assert list(report) == [7, 8]
    assert list(report[7].dimensions) == ["clarity", "empathy"]
    assert report[7].dimensions["clarity"].bias == -0.5
    assert report[7].failing == ("empathy",)
    assert not report[7].is_calibrated
    assert report[8].is_calibrated


@pytest.mark.parametrize(
    ("scores", "reference", "message"),
    [
        ([1, 2], [1], "same length"),
        ([[1, 2]], [[1, 2]], "1-D"),
        (["a"], [1], "numbers"),
        ([float("inf")], [1], "infinite"),
    ],
)
def test_bad_arrays_are_refused(scores, reference, message):
    with pytest.raises(ValueError, match=message):
        compare_with_reference(scores, reference)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_bias": -0.1}, "max_bias"),
        ({"max_mad": float("nan")}, "max_mad"),
        ({"min_n": 0}, "min_n"),
        ({"min_n": 1.5}, "min_n"),
    ],
)
def test_bad_options_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        is_calibrated({}, **options)
    with pytest.raises(ValueError, match=message):
        summarise_calibration([], **options)
