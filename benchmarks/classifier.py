"""Benchmark the rating classifier: 5-fold grouped CV, training and prediction speed.

Data: ``rating.synthetic`` corpus of 1,000 transcripts of ~4,000 words (250 trainees,
4 dimensions).  Baseline, measured in the same run on the same splits and cores: a plain
``TfidfVectorizer(word 1-2-grams) + Ridge`` on the raw transcript text, without our worker-turn
extraction, character n-grams, conversation features or permutation baseline.

Targets: 5-fold CV for 4 dimensions under 60 s on 2 cores; prediction under 50 ms a transcript.

Usage::

    python -m benchmarks.classifier              # timings and quality
    python -m benchmarks.classifier --compare    # also Ridge alphas and an ordinal model
    python -m benchmarks.classifier --quick      # 200 transcripts of 1,000 words
    python -m benchmarks.classifier --repeats 3  # median of 3 interleaved timings
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from numpy.typing import NDArray
from scipy import optimize, sparse
from scipy.special import expit
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import Ridge

from rating.classifier import (
    build_featurizer,
    cross_validate,
    evaluate_predictions,
    grouped_splits,
    train,
)
from rating.synthetic import generate_corpus

Split = tuple[NDArray[np.intp], NDArray[np.intp]]
N_JOBS = 2


def timed(function: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def warm_up() -> int:
    """A no-op task: makes joblib start its workers and import everything before timing."""
    return 0


def baseline_split(texts: list[str], targets: NDArray[np.float64], split: Split) -> list[float]:
    """Plain TF-IDF + Ridge on one split; returns Spearman per dimension."""
    train_idx, test_idx = split
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    x_train = vectorizer.fit_transform([texts[i] for i in train_idx])
    x_test = vectorizer.transform([texts[i] for i in test_idx])
    scores = []
    for j in range(targets.shape[1]):
        estimate = Ridge(alpha=1.0).fit(x_train, targets[train_idx, j]).predict(x_test)
        scores.append(evaluate_predictions(targets[test_idx, j], estimate).spearman)
    return scores


def run_baseline(texts: list[str], targets: NDArray[np.float64], splits: list[Split]) -> Any:
    return Parallel(n_jobs=N_JOBS)(delayed(baseline_split)(texts, targets, s) for s in splits)


def prediction_latency(model: Any, texts: Sequence[str]) -> list[float]:
    """Milliseconds for predict() on one transcript at a time (all dimensions)."""
    model.predict(texts[:1])  # warm-up
    return [timed(partial(model.predict, [text]))[1] * 1000 for text in texts]


def print_quality(result: Any) -> None:
    print("\nquality (grouped 5-fold CV means: model | mean baseline | permutation baseline)")
    for name, scores in result.scores.items():
        m, b, p = scores.model.mean, scores.mean_baseline.mean, scores.permutation.mean
        print(
            f"  {name:10s} spearman {m.spearman:.3f} | -     | {p.spearman:+.3f}   "
            f"qwk {m.qwk:.3f} | {b.qwk:.3f} | {p.qwk:+.3f}   mae {m.mae:.3f} | {b.mae:.3f} | "
            f"{p.mae:.3f}   exact {m.exact:.3f} | {b.exact:.3f} | {p.exact:.3f}   "
            f"within-1 {m.within_one:.3f}"
        )


# --------------------------------------------------------------------------- ordinal comparison


def ordinal_loss(
    params: NDArray[np.float64], x: Any, below: NDArray[np.float64], alpha: float
) -> tuple[float, NDArray[np.float64]]:
    """All-threshold logistic loss (Rennie & Srebro 2005) with an L2 penalty on the weights.

    ``below[i, k]`` is +1 when rating i is at or below level k+1, else -1; the model says
    P(y <= k+1) = sigmoid(theta_k - x w).
    """
    n_thresholds = below.shape[1]
    weights, thresholds = params[:-n_thresholds], params[-n_thresholds:]
    margin = below * (thresholds[None, :] - (x @ weights)[:, None])
    loss = np.logaddexp(0.0, -margin).sum() + 0.5 * alpha * weights @ weights
    slope = -below * expit(-margin)  # d loss / d (theta_k - x w)
    grad_weights = -(x.T @ slope.sum(axis=1)) + alpha * weights
    return float(loss), np.concatenate([np.asarray(grad_weights).ravel(), slope.sum(axis=0)])


def fit_predict_ordinal(
    x_train: Any, y_train: NDArray[np.float64], x_test: Any, alpha: float, levels: int = 5
) -> NDArray[np.float64]:
    """Fit the all-threshold model and return expected ratings for ``x_test``."""
    below = np.where(y_train[:, None] <= np.arange(1, levels)[None, :], 1.0, -1.0)
    start = np.concatenate([np.zeros(x_train.shape[1]), np.linspace(-1.5, 1.5, levels - 1)])
    fitted = optimize.minimize(
        ordinal_loss, start, args=(x_train, below, alpha), jac=True, method="L-BFGS-B"
    )
    weights, thresholds = fitted.x[: -(levels - 1)], fitted.x[-(levels - 1) :]
    at_or_below = expit(thresholds[None, :] - (x_test @ weights)[:, None])
    return np.asarray(1.0 + (1.0 - at_or_below).sum(axis=1), dtype=np.float64)


def fit_predict_ridge(
    x_train: Any, y_train: NDArray[np.float64], x_test: Any, alpha: float
) -> NDArray[np.float64]:
    return np.asarray(Ridge(alpha=alpha).fit(x_train, y_train).predict(x_test), dtype=np.float64)


def compare_split(
    texts: list[str], targets: NDArray[np.float64], split: Split, alphas: dict[str, list[float]]
) -> dict[str, tuple[list[Any], float]]:
    """Featurise one split once, then fit every candidate on it: metrics and fit seconds."""
    train_idx, test_idx = split
    featurizer = build_featurizer()
    x_train = sparse.csr_matrix(featurizer.fit_transform([texts[i] for i in train_idx]))
    x_test = sparse.csr_matrix(featurizer.transform([texts[i] for i in test_idx]))
    results: dict[str, tuple[list[Any], float]] = {}
    for kind, grid in alphas.items():
        for alpha in grid:
            metrics, seconds = [], 0.0
            for j in range(targets.shape[1]):
                y_train, truth = targets[train_idx, j], targets[test_idx, j]
                fit_predict = fit_predict_ridge if kind == "ridge" else fit_predict_ordinal
                estimate, spent = timed(partial(fit_predict, x_train, y_train, x_test, alpha))
                metrics.append(evaluate_predictions(truth, estimate))
                seconds += spent
            results[f"{kind} alpha={alpha:g}"] = (metrics, seconds)
    return results


def run_comparison(texts: list[str], targets: NDArray[np.float64], splits: list[Split]) -> None:
    alphas = {"ridge": [0.3, 1.0, 3.0], "ordinal": [0.3, 1.0, 3.0]}
    per_split = Parallel(n_jobs=N_JOBS)(
        delayed(compare_split)(texts, targets, s, alphas) for s in splits
    )
    print("\nmodel comparison (same features and folds; mean over folds and dimensions)")
    for name in per_split[0]:
        everything = [m for split in per_split for m in split[name][0]]
        seconds = sum(split[name][1] for split in per_split)
        means = {k: np.mean([getattr(m, k) for m in everything]) for k in ("spearman", "qwk")}
        mae = np.mean([m.mae for m in everything])
        exact = np.mean([m.exact for m in everything])
        print(
            f"  {name:18s} spearman {means['spearman']:.3f}  qwk {means['qwk']:.3f}  "
            f"mae {mae:.3f}  exact {exact:.3f}  fit {seconds:6.1f} s"
        )


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 transcripts of 1,000 words")
    parser.add_argument("--compare", action="store_true", help="also compare alphas/ordinal")
    parser.add_argument("--repeats", type=int, default=1, help="time each CV this many times")
    args = parser.parse_args(argv)
    n, words = (200, 1000) if args.quick else (1000, 4000)
    corpus, generation = timed(
        lambda: generate_corpus(n, n_trainees=n // 4, words_per_transcript=words)
    )
    texts, dimensions = corpus.texts, list(corpus.ratings)
    targets = np.column_stack([corpus.ratings[d] for d in dimensions]).astype(float)
    mean_words = statistics.mean(len(t.split()) for t in texts)
    print(
        f"corpus: {n} transcripts, ~{mean_words:.0f} tokens each, {n // 4} trainees, "
        f"{len(dimensions)} dimensions (generated in {generation:.1f} s); n_jobs={N_JOBS}"
    )

    splits = list(grouped_splits(corpus.groups, n_splits=5, random_state=0))
    Parallel(n_jobs=N_JOBS)(delayed(warm_up)() for _ in range(N_JOBS))
    baseline_times, ours_times = [], []
    for _ in range(args.repeats):  # interleaved, so that load from other work hits both alike
        baseline, seconds = timed(lambda: run_baseline(texts, targets, splits))
        baseline_times.append(seconds)
        result, seconds = timed(
            lambda: cross_validate(
                texts,
                corpus.ratings,
                groups=corpus.groups,
                n_splits=5,
                n_repeats=1,
                n_jobs=N_JOBS,
            )
        )
        ours_times.append(seconds)
    baseline_seconds, ours_seconds = (
        statistics.median(baseline_times),
        statistics.median(ours_times),
    )
    model, train_seconds = timed(lambda: train(texts, corpus.ratings, groups=corpus.groups))
    latency = prediction_latency(model, texts[:50])

    print(f"\ntimings (median of {args.repeats} interleaved run(s))")
    print(
        f"  5-fold grouped CV, ours (model + both baselines): {ours_seconds:6.1f} s  "
        f"(target < 60 s)"
    )
    print(f"  5-fold grouped CV, baseline plain TF-IDF + Ridge: {baseline_seconds:6.1f} s")
    print(f"  ours / baseline = {ours_seconds / baseline_seconds:.2f}")
    if args.repeats > 1:
        print(
            f"  (runs: ours {', '.join(f'{t:.1f}' for t in ours_times)} s; baseline "
            f"{', '.join(f'{t:.1f}' for t in baseline_times)} s)"
        )
    print(f"  train() on all {n} transcripts, 4 dimensions:  {train_seconds:6.1f} s")
    print(
        f"  predict() one transcript, all dimensions: median {statistics.median(latency):.1f} "
        f"ms, max {max(latency):.1f} ms over {len(latency)} (target < 50 ms)"
    )
    baseline_rho = np.mean([rho for split in baseline for rho in split])
    ours_rho = np.mean([s.model.mean.spearman for s in result.scores.values()])
    print(f"  mean Spearman: ours {ours_rho:.3f}, plain TF-IDF baseline {baseline_rho:.3f}")
    print_quality(result)
    if args.compare:
        run_comparison(texts, targets, splits)


if __name__ == "__main__":
    # Run the importable module's main, so that joblib workers can unpickle its functions.
    from benchmarks.classifier import main as importable_main

    importable_main()
