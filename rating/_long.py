"""Ratings in long format (one record per recording, rater, dimension and score).

Private module used by :mod:`rating.scale_checks`.  It turns the records into, per dimension,
a "coder slot" matrix: row 0 holds each recording's first rating in input order, row 1 its
second, and so on, with NaN where a recording has fewer ratings.  Agreement statistics that
ignore rater identity (alpha, AC) take this matrix as it is; first-versus-second-coder
statistics take rows 0 and 1 of the double-coded columns.
"""

from __future__ import annotations

import operator
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from rating._validate import FloatArray, check_scale

IntArray = NDArray[np.int64]

FIELDS = ("recording_code", "rater", "dimension", "score")
_GET = operator.itemgetter(*FIELDS)


class RatingRow(NamedTuple):
    """One rating in long format; plain 4-tuples and mappings with these keys work too."""

    recording_code: Hashable
    rater: Hashable
    dimension: Hashable
    score: float


@dataclass(frozen=True, slots=True)
class DimensionRatings:
    """The ratings of one dimension, arranged by coder slot.

    ``scores`` and ``raters`` have shape (max ratings per recording, n recordings rated on
    this dimension); ``raters`` holds indices into :attr:`LongRatings.raters` (-1 if empty).
    """

    dimension: str
    recordings: tuple[str, ...]
    scores: FloatArray
    raters: IntArray

    @property
    def double_coded(self) -> NDArray[np.bool_]:
        """Mask of recordings with at least two ratings."""
        if self.scores.shape[0] < 2:
            return np.zeros(self.scores.shape[1], dtype=bool)
        mask: NDArray[np.bool_] = ~np.isnan(self.scores[1])
        return mask

    def first_two(self) -> tuple[FloatArray, FloatArray]:
        """First and second coder's scores on the double-coded recordings."""
        mask = self.double_coded
        if not mask.any():
            empty = np.empty(0)
            return empty, empty
        return self.scores[0, mask], self.scores[1, mask]


@dataclass(frozen=True, slots=True)
class LongRatings:
    """All ratings, split by dimension (in order of first appearance)."""

    raters: tuple[str, ...]
    dimensions: dict[str, DimensionRatings]


def parse_long_rows(
    long_rows: Iterable[Mapping[str, object] | Sequence[object]],
    *,
    scale: Sequence[float] | None = None,
) -> LongRatings:
    """Check and arrange long-format ratings; see :func:`rating.scale_checks.reliability_report`.

    Raises ``ValueError`` for a malformed record, a non-numeric or missing score, a score
    outside ``scale``, no records at all, or the same rater scoring the same recording twice
    on one dimension.
    """
    rows = long_rows if isinstance(long_rows, list) else list(long_rows)
    try:
        # Fast path for plain dicts; _fields explains any malformed record precisely.
        records = [
            _GET(row) if type(row) is dict else _fields(row, number)
            for number, row in enumerate(rows)
        ]
    except KeyError:
        records = [_fields(row, number) for number, row in enumerate(rows)]
    if not records:
        raise ValueError("long_rows is empty; there are no ratings to analyse")
    columns = list(zip(*records, strict=True))
    codes: list[dict[Hashable, int]] = [{}, {}, {}]
    indices = [
        [table.setdefault(key, len(table)) for key in column]
        for table, column in zip(codes, columns[:3], strict=True)
    ]
    values = _scores(columns[3])
    check_scale(values, scale, name="scores")
    recording, rater, dimension = (np.asarray(column, dtype=np.int64) for column in indices)
    names = [tuple(str(key) for key in table) for table in codes]
    _reject_duplicates(recording, rater, dimension, names)
    return LongRatings(
        raters=names[1],
        dimensions={
            name: _arrange(name, dimension == d, recording, rater, values, names[0])
            for d, name in enumerate(names[2])
        },
    )


def _scores(raw: Sequence[object]) -> FloatArray:
    try:
        values = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        values = np.array([_score(value, number) for number, value in enumerate(raw)])
    if not np.isfinite(values).all():
        number = int(np.flatnonzero(~np.isfinite(values))[0])
        _score(raw[number], number)
    return values


def _fields(row: Mapping[str, object] | Sequence[object], number: int) -> tuple[object, ...]:
    if type(row) is tuple and len(row) == 4:
        return row
    if isinstance(row, Mapping):
        missing = [field for field in FIELDS if field not in row]
        if missing:
            raise ValueError(f"rating record {number} lacks the key(s) {', '.join(missing)}")
        return tuple(row[field] for field in FIELDS)
    if isinstance(row, Sequence) and not isinstance(row, str) and len(row) == 4:
        return tuple(row)
    raise ValueError(
        f"rating record {number} must be a mapping with keys {', '.join(FIELDS)} or a "
        f"4-tuple in that order; got {row!r}"
    )


def _score(value: object, number: int) -> float:
    try:
        score = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"rating record {number} has a non-numeric score {value!r}") from None
    if not np.isfinite(score):
        raise ValueError(f"rating record {number} has no finite score ({value!r})")
    return score


def _reject_duplicates(
    recording: IntArray, rater: IntArray, dimension: IntArray, names: list[tuple[str, ...]]
) -> None:
    key = (recording * len(names[1]) + rater) * len(names[2]) + dimension
    unique, counts = np.unique(key, return_counts=True)
    if (counts > 1).any():
        first = int(np.flatnonzero(key == unique[counts > 1][0])[0])
        raise ValueError(
            f"rater {names[1][rater[first]]!r} scored recording "
            f"{names[0][recording[first]]!r} on {names[2][dimension[first]]!r} more than once"
        )


def _arrange(
    name: str,
    selected: NDArray[np.bool_],
    recording: IntArray,
    rater: IntArray,
    values: FloatArray,
    recording_names: tuple[str, ...],
) -> DimensionRatings:
    rec = recording[selected]
    order = np.argsort(rec, kind="stable")
    units, unit_of_row, per_unit = np.unique(rec[order], return_inverse=True, return_counts=True)
    starts = np.concatenate(([0], np.cumsum(per_unit)[:-1]))
    slot = np.arange(order.size) - starts[unit_of_row]
    scores = np.full((int(per_unit.max()), units.size), np.nan)
    raters = np.full(scores.shape, -1, dtype=np.int64)
    scores[slot, unit_of_row] = values[selected][order]
    raters[slot, unit_of_row] = rater[selected][order]
    return DimensionRatings(
        dimension=name,
        recordings=tuple(recording_names[u] for u in units),
        scores=scores,
        raters=raters,
    )
