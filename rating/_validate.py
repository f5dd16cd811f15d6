"""Input checks shared by the statistics modules.

Every public function in ``rating.agreement``, ``rating.compare`` and ``rating.scale_checks``
converts its inputs here, so that a caller always gets the same kind of ``ValueError`` with a
message naming the argument, the expected layout and what was received.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
Scale = tuple[float, float]


def to_float_array(data: ArrayLike, *, name: str) -> FloatArray:
    """Convert ``data`` to a float array, turning ``None`` into NaN and rejecting text."""
    try:
        array = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must contain numbers (or NaN for missing); {error}") from None
    if np.isinf(array).any():
        raise ValueError(f"{name} contains infinite values")
    return array


def to_vector(
    data: ArrayLike, *, name: str, min_length: int = 2, allow_nan: bool = False
) -> FloatArray:
    """Return ``data`` as a 1-D float array of at least ``min_length`` values."""
    array = to_float_array(data, name=name)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got an array of shape {array.shape}")
    if not allow_nan and np.isnan(array).any():
        raise ValueError(f"{name} contains NaN; drop incomplete observations first")
    if np.count_nonzero(~np.isnan(array)) < min_length:
        raise ValueError(f"{name} needs at least {min_length} values; got {array.size}")
    return array


def to_pair(
    a: ArrayLike, b: ArrayLike, *, names: tuple[str, str] = ("a", "b"), min_length: int = 2
) -> tuple[FloatArray, FloatArray]:
    """Return two complete vectors of equal length, named ``names`` in error messages."""
    x = to_vector(a, name=names[0], min_length=min_length)
    y = to_vector(b, name=names[1], min_length=min_length)
    if x.shape != y.shape:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same length; got {x.size} and {y.size}"
        )
    return x, y


def to_matrix(
    data: ArrayLike,
    *,
    name: str,
    layout: str,
    min_rows: int = 2,
    min_cols: int = 2,
    allow_nan: bool = False,
) -> FloatArray:
    """Return ``data`` as a 2-D float array with at least ``min_rows`` x ``min_cols``."""
    array = to_float_array(data, name=name)
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-D {layout}; got an array of shape {array.shape}")
    rows, cols = array.shape
    if rows < min_rows or cols < min_cols:
        raise ValueError(
            f"{name} must be {layout} with at least {min_rows} rows and {min_cols} columns; "
            f"got shape {array.shape}"
        )
    if not allow_nan and np.isnan(array).any():
        raise ValueError(f"{name} contains NaN; this function needs complete data")
    return array


def check_scale(values: FloatArray, scale: Sequence[float] | None, *, name: str) -> None:
    """Raise if a finite value of ``values`` lies outside the closed interval ``scale``."""
    if scale is None:
        return
    low, high = parse_scale(scale)
    finite = values[~np.isnan(values)]
    outside = finite[(finite < low) | (finite > high)]
    if outside.size:
        raise ValueError(
            f"{name} has {outside.size} value(s) outside the scale {low:g}-{high:g}, "
            f"e.g. {outside[0]:g}"
        )


def parse_scale(scale: Sequence[float]) -> Scale:
    """Check that ``scale`` is a (low, high) pair with low < high and return it."""
    if len(scale) != 2:
        raise ValueError(f"scale must be a (low, high) pair; got {scale!r}")
    low, high = float(scale[0]), float(scale[1])
    if not low < high:
        raise ValueError(f"scale must satisfy low < high; got {scale!r}")
    return low, high


def scale_points(scale: Sequence[float] | None) -> tuple[float, ...] | None:
    """Whole-number points of a scale such as (1, 5), or None if it has fractional ends."""
    if scale is None:
        return None
    low, high = parse_scale(scale)
    if low != int(low) or high != int(high):
        return None
    return tuple(float(point) for point in range(int(low), int(high) + 1))


def check_choice(value: object, choices: Sequence[object], *, name: str) -> None:
    """Raise unless ``value`` is one of ``choices``."""
    if value not in choices:
        options = ", ".join(repr(choice) for choice in choices)
        raise ValueError(f"{name} must be one of {options}; got {value!r}")


def check_probability(value: float, *, name: str) -> float:
    """Return ``value`` as a float after checking it lies strictly between 0 and 1."""
    number = float(value)
    if not 0.0 < number < 1.0:
        raise ValueError(f"{name} must be strictly between 0 and 1; got {value!r}")
    return number
