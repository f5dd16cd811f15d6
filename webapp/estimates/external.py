"""Labelled transcripts from a CSV file, for evaluating the classifier on outside data.

The text column may hold transcripts in the ``rating.features`` format or plain text: lines
without a ``worker:``/``client:`` prefix count as the worker's.  Every problem is reported
with its column or row number, as an InvalidInput.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from webapp.errors import InvalidInput
from webapp.estimates.services import SCALE

MAX_FIELD = 10_000_000  # one transcript per cell; csv's default limit is 128 kB


@dataclass(frozen=True)
class LabelledTexts:
    texts: list[str]
    ratings: dict[str, list[float]]
    groups: list[str]
    is_grouped: bool


def read_labelled_csv(
    path: Path, *, text_col: str, label_cols: Sequence[str], group_col: str | None = None
) -> LabelledTexts:
    """Read and check the file; without a group column each row is its own group."""
    rows, header = _read_rows(path)
    wanted = [text_col, *label_cols, *([group_col] if group_col else [])]
    missing = [name for name in wanted if name not in header]
    if missing:
        raise InvalidInput(
            f"{path.name}: no column(s) {', '.join(map(repr, missing))}; "
            f"the file has {', '.join(map(repr, header))}."
        )
    if not rows:
        raise InvalidInput(f"{path.name}: no data rows below the header.")
    texts = [_text(row, text_col, n) for n, row in enumerate(rows, start=2)]
    ratings = {
        col: [_label(row, col, n) for n, row in enumerate(rows, start=2)] for col in label_cols
    }
    groups = [
        (row.get(group_col) or "").strip() or f"row-{n}" if group_col else f"row-{n}"
        for n, row in enumerate(rows, start=2)
    ]
    return LabelledTexts(texts, ratings, groups, group_col is not None)


def _read_rows(path: Path) -> tuple[list[dict[str, str]], list[str]]:
    csv.field_size_limit(MAX_FIELD)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = list(reader.fieldnames or [])
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise InvalidInput(f"{path.name}: cannot be read as a UTF-8 CSV file: {error}") from error
    if not header:
        raise InvalidInput(f"{path.name}: empty file; expected a header row.")
    return rows, header


def _text(row: dict[str, str], column: str, line: int) -> str:
    text = (row.get(column) or "").strip()
    if not text:
        raise InvalidInput(f"line {line}: column {column!r} is empty; every row needs a text.")
    return text


def _label(row: dict[str, str], column: str, line: int) -> float:
    raw = (row.get(column) or "").strip()
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput(f"line {line}: {column!r} is {raw!r}, not a number.") from None
    if math.isnan(value) or not SCALE[0] <= value <= SCALE[1]:
        raise InvalidInput(
            f"line {line}: {column!r} is {raw!r}, outside the {SCALE[0]}–{SCALE[1]} scale."
        )
    return value
