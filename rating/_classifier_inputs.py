"""Input checks shared by :mod:`rating.classifier` (private; raise precise ValueErrors)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: Dimension name used when ``ratings`` is a plain sequence.
SINGLE_DIMENSION = "rating"
Scale = tuple[float, float]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Data:
    """Checked training data: texts, an (n_texts, n_dimensions) target matrix, names."""

    texts: list[str]
    targets: FloatArray  # shape (n_texts, n_dimensions)
    dimensions: tuple[str, ...]
    is_single: bool


def check_scale(scale: Sequence[float]) -> Scale:
    """Return ``scale`` as (low, high) floats, or raise ValueError."""
    if len(scale) != 2 or not all(np.isfinite(v) for v in scale) or scale[0] >= scale[1]:
        raise ValueError(f"scale must be (low, high) with low < high, got {tuple(scale)}")
    return float(scale[0]), float(scale[1])


def check_texts(texts: Sequence[str]) -> list[str]:
    """Return the transcripts as a list, rejecting a bare str, non-strings and empty ones."""
    if isinstance(texts, str):
        raise TypeError("texts must be a sequence of transcripts, not a single str")
    items = list(texts)
    if not items:
        raise ValueError("texts is empty: need at least one transcript")
    for i, text in enumerate(items):
        if not isinstance(text, str):
            raise TypeError(f"texts[{i}] must be a str, got {type(text).__name__}")
        if not text.strip():
            raise ValueError(f"texts[{i}] is empty or whitespace only")
    return items


def check_column(name: str, values: Sequence[float], n: int, scale: Scale) -> FloatArray:
    """Return one dimension's ratings as floats: n of them, no NaN, on the scale, not constant."""
    try:
        column = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"ratings for {name!r} must be numbers: {error}") from None
    if column.shape != (n,):
        raise ValueError(f"ratings for {name!r} have {column.size} values but there are {n} texts")
    if np.isnan(column).any():
        raise ValueError(f"ratings for {name!r} contain NaN at {np.flatnonzero(np.isnan(column))}")
    outside = (column < scale[0]) | (column > scale[1])
    if outside.any():
        raise ValueError(
            f"ratings for {name!r} fall outside the scale {scale}: values "
            f"{column[outside].tolist()} at positions {np.flatnonzero(outside).tolist()}"
        )
    if np.unique(column).size < 2:
        raise ValueError(f"ratings for {name!r} are all {column[0]:g}: need two distinct ratings")
    return column


def check_data(
    texts: Sequence[str],
    ratings: Sequence[float] | Mapping[str, Sequence[float]],
    scale: Scale,
) -> Data:
    """Check texts and ratings together; a plain sequence becomes dimension ``"rating"``."""
    items = check_texts(texts)
    is_single = not isinstance(ratings, Mapping)
    columns: dict[str, Sequence[float]] = (
        {str(k): v for k, v in ratings.items()}
        if isinstance(ratings, Mapping)
        else {SINGLE_DIMENSION: ratings}
    )
    if not columns:
        raise ValueError("ratings is an empty mapping: need at least one dimension")
    checked = [check_column(d, v, len(items), scale) for d, v in columns.items()]
    return Data(items, np.column_stack(checked), tuple(columns), is_single)


def check_groups(groups: Sequence[Any], n: int) -> NDArray[Any]:
    """Return trainee ids as an array, checking length and missing ids."""
    labels = np.asarray(groups, dtype=object)
    if labels.shape != (n,):
        raise ValueError(f"groups has {labels.size} values but there are {n} texts")
    if any(label is None for label in labels):
        raise ValueError("groups contains None: every transcript needs a trainee id")
    return labels


def check_folds(labels: NDArray[Any], n_splits: int) -> None:
    """Raise ValueError unless there are enough transcripts and trainees for the folds."""
    if n_splits < 2:
        raise ValueError(f"n_splits must be at least 2, got {n_splits}")
    if labels.size < n_splits:
        raise ValueError(f"{labels.size} transcripts are fewer than n_splits={n_splits}")
    n_groups = len(set(labels.tolist()))
    if n_groups < n_splits:
        raise ValueError(f"{n_groups} groups (trainees) are fewer than n_splits={n_splits}")
