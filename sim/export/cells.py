"""Spreadsheet-safe cells: text from scenarios, rules and runs is never read as a formula.

Names, ids and messages come from files other people wrote, and MSELs and result tables are
opened in spreadsheet programs by people who did not write them. A cell whose text starts
with `=`, `+`, `-`, `@`, a tab or a carriage return would be taken as a formula (CSV injection,
e.g. `=HYPERLINK(...)`). In CSV such text gets the OWASP escape, a leading apostrophe, which
spreadsheets show as text; in XLSX it is written as a string cell, never a formula. Numbers,
dates and booleans stay what they are.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def risky(value: Any) -> bool:
    """Whether `value` is text that a spreadsheet would read as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def csv_text(value: Any) -> Any:
    """`value`, with text that could be a formula escaped for CSV (a leading apostrophe)."""
    return "'" + value if risky(value) else value


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells (and headings) cannot be read as formulas.

    Only text columns change (object, string and categorical ones); numeric columns are left
    exactly as they are.
    """
    out = frame.copy(deep=False)
    out.columns = [csv_text(c) for c in out.columns]
    for i in range(out.shape[1]):
        column = out.iloc[:, i]
        if isinstance(column.dtype, pd.CategoricalDtype):
            categories = column.cat.categories
            if any(risky(c) for c in categories):
                out.isetitem(i, column.cat.rename_categories(
                    [csv_text(c) for c in categories]))
        elif column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
            if column.map(risky).any():
                out.isetitem(i, column.map(csv_text))
    return out


def to_csv(frame: pd.DataFrame, path: Any, **options: Any) -> None:
    """`frame.to_csv(path, index=False, **options)` with every text cell made safe."""
    csv_safe(frame).to_csv(path, index=False, **options)


def xlsx_text(sheet: Any) -> None:
    """Make every text cell of a filled openpyxl sheet a string cell.

    openpyxl takes any text assigned that starts with '=' for a formula.
    """
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f" and isinstance(cell.value, str):
                cell.data_type = "s"
