"""Writing export tables as CSV (UTF-8 with BOM, for Excel and SPSS) and XLSX."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook

from webapp.exports.data import Table

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def to_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.headers)
    writer.writerows([_cell(value) for value in row] for row in table.rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(table.name[:31])
    sheet.append(list(table.headers))
    for row in table.rows:
        sheet.append([_cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    """Booleans as 0/1 (R and SPSS read them); text that a spreadsheet would run as a
    formula gets a leading quote."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
