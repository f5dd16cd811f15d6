"""Speed of the agreement statistics, against the GPL reference implementations.

Run with ``.venv/bin/python benchmarks/agreement.py``.  It prints

1. the time of ``rating.scale_checks.reliability_report`` on 10,000 recordings x 2 raters x
   4 dimensions (target: under 1 s, no bootstrap);
2. the report with bootstrap intervals on 3,750 recordings x 2 raters x 4 dimensions (30,000
   ratings): the fast path (resampled sums) against the generic path (each statistic called
   per resample) at the web app's 200 resamples, with the ratio fast/generic, and the fast
   path alone at 2,000 resamples (target: under 1 s);
3. ``rating.agreement.icc`` against ``pingouin.intraclass_corr`` and
   ``rating.agreement.krippendorff_alpha`` against ``krippendorff.alpha`` on the same data,
   with the ratio ours/theirs (target: at most 1).

Each timing is the median of a few repeats measured with ``time.perf_counter``.  pingouin's
long-format frame is built once outside its timing, so only the computation is compared.
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pingouin

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rating import _report
from rating.agreement import icc, krippendorff_alpha
from rating.scale_checks import reliability_report

N_RECORDINGS = 10_000
DIMENSIONS = ("clarity", "empathy", "warmth", "strengths")
REPEATS = 5
BOOTSTRAP_RECORDINGS = 3_750  # x 2 raters x 4 dimensions = 30,000 ratings


def median_seconds(function: Callable[[], object], repeats: int = REPEATS) -> float:
    """Median wall time of ``function`` over ``repeats`` calls, after one warm-up call."""
    function()
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def make_scores(n: int, raters: int, rng: np.random.Generator) -> np.ndarray:
    """(n, raters) scores on a 1-5 scale with moderate agreement."""
    truth = rng.normal(3.0, 1.0, size=(n, 1))
    return np.clip(np.rint(truth + rng.normal(0.0, 0.6, size=(n, raters))), 1, 5)


def make_long_rows(
    rng: np.random.Generator, n_recordings: int = N_RECORDINGS
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for dimension in DIMENSIONS:
        scores = make_scores(n_recordings, 2, rng)
        coders = rng.integers(0, 20, size=n_recordings)
        for i in range(n_recordings):
            for slot in range(2):
                rows.append(
                    {
                        "recording_code": f"R{i:05d}",
                        "rater": f"rater{(coders[i] + slot) % 20}",
                        "dimension": dimension,
                        "score": int(scores[i, slot]),
                    }
                )
    return rows


def pingouin_frame(scores: np.ndarray) -> pd.DataFrame:
    n, k = scores.shape
    return pd.DataFrame(
        {"unit": np.repeat(np.arange(n), k), "rater": np.tile(np.arange(k), n), "y": scores.ravel()}
    )


def row(label: str, ours: float, theirs: float) -> str:
    times = f"ours {ours * 1e3:8.2f} ms   theirs {theirs * 1e3:8.2f} ms"
    return f"  {label:<48} {times}   ratio {ours / theirs:5.2f}"


def bootstrap_report_seconds(
    rows: list[dict[str, object]], n_resamples: int, *, fast: bool, repeats: int = REPEATS
) -> float:
    """Median time of the report with bootstrap, through the fast or the generic path."""
    _report._FAST_BOOTSTRAP = fast
    try:
        return median_seconds(
            lambda: reliability_report(
                rows, scale=(1, 5), bootstrap=True, n_resamples=n_resamples, seed=0
            ),
            repeats,
        )
    finally:
        _report._FAST_BOOTSTRAP = True


def bootstrap_comparison(rng: np.random.Generator) -> None:
    rows = make_long_rows(rng, BOOTSTRAP_RECORDINGS)
    size = f"{BOOTSTRAP_RECORDINGS:,} recordings x 2 raters x {len(DIMENSIONS)} dimensions"
    print(f"reliability_report with bootstrap, {size} ({len(rows):,} ratings)")
    fast = bootstrap_report_seconds(rows, 200, fast=True)
    # The generic path takes seconds per run, so it is timed once after the warm-up.
    generic = bootstrap_report_seconds(rows, 200, fast=False, repeats=1)
    times = f"fast {fast * 1e3:8.2f} ms   generic {generic * 1e3:8.2f} ms"
    print(f"  {'200 resamples (the web app)':<48} {times}   ratio {fast / generic:5.3f}")
    fast_2000 = bootstrap_report_seconds(rows, 2000, fast=True)
    verdict = "OK" if fast_2000 < 1.0 else "TOO SLOW"
    print(f"  2,000 resamples, fast path: median {fast_2000:.3f} s (target < 1 s): {verdict}")


def main() -> None:
    rng = np.random.default_rng(2026)
    rows = make_long_rows(rng)
    report_time = median_seconds(lambda: reliability_report(rows, scale=(1, 5)))
    verdict = "OK" if report_time < 1.0 else "TOO SLOW"
    size = f"{N_RECORDINGS:,} recordings x 2 raters x {len(DIMENSIONS)} dimensions"
    print(f"reliability_report, {size}")
    print(f"  median {report_time:.3f} s (target < 1 s, bootstrap off): {verdict}")

    bootstrap_comparison(rng)

    print("icc (all six forms with CIs) vs pingouin.intraclass_corr")
    for n, k in ((N_RECORDINGS, 2), (1_000, 5), (50, 4)):
        scores = make_scores(n, k, rng)
        frame = pingouin_frame(scores)
        ours = median_seconds(lambda scores=scores: icc(scores))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pingouin's own pandas deprecation warnings
            theirs = median_seconds(
                lambda frame=frame: pingouin.intraclass_corr(frame, "unit", "rater", "y")
            )
        print(row(f"{n:,} units x {k} raters", ours, theirs))

    print("krippendorff_alpha vs krippendorff.alpha")
    two_coders = make_scores(N_RECORDINGS, 2, rng).T
    many = make_scores(N_RECORDINGS, 20, rng).T
    many[rng.random(many.shape) < 0.85] = np.nan  # 20 raters, about 3 ratings per unit
    # krippendorff.alpha allocates units x values x values, so keep its continuous case small.
    continuous = rng.normal(size=(3, 100)) + rng.normal(size=100)
    cases = (
        (f"{N_RECORDINGS:,} units x 2 coders", two_coders),
        (f"{N_RECORDINGS:,} units x 20 raters, 85% missing", many),
        ("100 units x 3 raters, continuous", continuous),
    )
    for label, data in cases:
        for level in ("nominal", "ordinal", "interval"):
            if label.endswith("continuous") and level == "nominal":
                continue
            ours = median_seconds(lambda d=data, lv=level: krippendorff_alpha(d, level=lv))
            theirs = median_seconds(
                lambda d=data, lv=level: krippendorff.alpha(
                    reliability_data=d, level_of_measurement=lv
                )
            )
            print(row(f"{label}, {level}", ours, theirs))


if __name__ == "__main__":
    main()
