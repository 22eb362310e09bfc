"""An MSEL laid out for OpenAEV's (formerly OpenBAS) spreadsheet importer.

OpenAEV imports injects into a scenario from an XLSX through a *mapper* (Settings > Data
ingestion): one column tells the inject type (matched by a regular expression per importer),
and each importer maps columns, by letter, to the inject's title, description, trigger time,
teams and expectation (name, description, score). Trigger times may be relative to the
scenario's start: "D+2 H+3 M+45". The columns here are fixed, so one mapper (docs/injects.md,
"OpenAEV") imports every MSEL beredskap writes, in any language.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from sim.export.cells import xlsx_text
from sim.injects.build import Msel
from sim.injects.export import add_about_sheet

OPENAEV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("A", "Inject type"),
    ("B", "Title"),
    ("C", "Description"),
    ("D", "Trigger time"),
    ("E", "Teams"),
    ("F", "Expectation name"),
    ("G", "Expectation description"),
    ("H", "Expectation score"),
    ("I", "From"),
    ("J", "No."),
    ("K", "Scenario day"),
    ("L", "Severity"),
    ("M", "Compared with normal operations"),
)
"""Column letter and heading (English: the platform's words) of the import sheet."""
EXPECTATION_SCORE = 100
"""The score a team earns for the expected action (OpenAEV's default for a manual
expectation)."""
SHEET = "Injects"


def offsets(msel: Msel) -> list[int]:
    """Minutes from the exercise start to each inject.

    The exercise time with --compress (already spaced); else scenario time from the window's
    first day at the day's start: an exercise played in real time.
    """
    table = msel.table
    if msel.compress is not None:
        return [int(pd.Timedelta(v).total_seconds() // 60) for v in table["exercise_elapsed"]]
    if msel.start is not None:
        day_start = msel.start.hour * 60 + msel.start.minute
    else:
        hours, minutes = msel.rules.schedule.day_start.split(":")
        day_start = int(hours) * 60 + int(minutes)
    out = []
    for day, clock in zip(table["scenario_day"], table["time"], strict=True):
        hours, minutes = str(clock).split(":")
        out.append((int(day) - msel.from_day) * 1440 + int(hours) * 60 + int(minutes)
                   - day_start)
    return out


def trigger_time(minutes: int) -> str:
    """OpenAEV's relative trigger time: 'D+1 H+2 M+30' (days, hours, minutes after the start)."""
    days, rest = divmod(minutes, 1440)
    return f"D+{days} H+{rest // 60} M+{rest % 60}"


def rows(msel: Msel) -> list[list[Any]]:
    """The import sheet's rows, in the order of OPENAEV_COLUMNS."""
    table = msel.table
    method_ids = {word: key for key, word in msel.labels.methods.items()}
    heading_from = msel.labels.headings["from"]
    out = []
    # Records, not itertuples: 'from' is a Python keyword, which namedtuples rename.
    for data, minutes in zip(table.to_dict("records"), offsets(msel), strict=True):
        out.append([
            method_ids.get(data["method"], data["method"]),
            data["synopsis"],
            f"{heading_from}: {data['from']}\n\n{data['message']}",
            trigger_time(minutes),
            data["to"],
            data["expected_action"],
            data["capability"],
            EXPECTATION_SCORE,
            data["from"],
            int(data["number"]),
            int(data["scenario_day"]),
            float(data["severity"]),
            data["baseline"] if isinstance(data["baseline"], str) else "",
        ])
    return out


def write_openaev(msel: Msel, path: Path) -> None:
    """The XLSX for OpenAEV's importer: one sheet of injects, then the about sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append([heading for _, heading in OPENAEV_COLUMNS])
    for row in rows(msel):
        sheet.append(row)
    widths = {"B": 40, "C": 70, "D": 16, "E": 26, "F": 45, "G": 30, "I": 24, "M": 30}
    wrap = Alignment(vertical="top", wrap_text=True)
    for j, (letter, _) in enumerate(OPENAEV_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(j)].width = widths.get(letter, 12)
        sheet.cell(row=1, column=j).font = Font(bold=True)
        for cells in sheet.iter_rows(min_row=2, min_col=j, max_col=j):
            for cell in cells:
                cell.alignment = wrap
    sheet.freeze_panes = "A2"
    add_about_sheet(book, msel)
    for each in book.worksheets:
        xlsx_text(each)  # titles and messages are text, never formulas
    book.save(path)
