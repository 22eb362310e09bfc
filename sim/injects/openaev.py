"""An MSEL laid out for OpenAEV's (formerly OpenBAS) spreadsheet importer.

OpenAEV imports injects into a scenario from an XLSX through a *mapper* (Settings > Data
ingestion): one column tells the inject type (a Java regular expression per representation,
found in the cell's text), and each representation maps columns, by letter, to the rule
attributes title, description, trigger_time, the contract's fields (the Manual inject: teams)
and expectation_name, expectation_description, expectation_score. The columns here are fixed,
so one mapper (docs/injects.md, "OpenAEV") imports every MSEL beredskap writes, in any
language. What the importer reads was taken from its source (OpenAEV-Platform/openaev,
openaev-api/.../service/InjectImportService.java and InjectImportUtils.java), not from a live
instance; tests/test_injects_openaev.py re-implements that reading and runs it on our files.

What the source says that shapes this file:
- Trigger times are text cells "D+1 H+2 M+30": the importer's three relative patterns take
  the numbers after the last D or J, H or T, and M; a number cell would be read as a date.
  It then subtracts the earliest trigger time from all of them, so OpenAEV's first inject is
  at the scenario start and a lead-in before it is not kept.
- Teams: the cell is split at every comma, each piece (not trimmed) is a team name looked up
  exactly or created; a comma in a recipient would make two teams.
- The expectation score is read only from a number cell; a text cell falls back to the
  mapper's default value.
"""

from __future__ import annotations

import re
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
"""The import sheet's name. OpenAEV has no required name: whoever imports picks the sheet from
the workbook's sheet names (InjectImportService.storeXlsFileForImport lists them)."""
INJECT_TYPE_PATTERN = r"^[a-z][a-z0-9_]*$"
"""The mapper's "Matching type in the xls" for column A (docs/injects.md): any method id.
OpenAEV compiles it as a Java regular expression and calls find() on the cell's text
(InjectImportService.importRow); the heading "Inject type" does not match, so the heading row
is skipped (an info message) rather than imported as an inject at time 0."""


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
    """OpenAEV's relative trigger time: 'D+1 H+2 M+30' (days, hours, minutes after the start).

    Hours stay below 24 and minutes below 60: the importer finds its earliest inject by day,
    then hour, then minute (InjectImportService.updateInjectDates), right only for such times.
    """
    if minutes < 0:
        # 'D+-1' would be read as day 0 (Integer.parseInt("+") fails and is only logged).
        raise ValueError(f"an inject {-minutes} minutes before the exercise start cannot be "
                         "given an OpenAEV trigger time")
    days, rest = divmod(int(minutes), 1440)
    return f"D+{days} H+{rest // 60} M+{rest % 60}"


def inject_type(method_id: str) -> str:
    """Column A: the method id, checked against the mapper's pattern.

    An id the pattern does not find (a custom method such as 'SMS') would be skipped by
    OpenAEV with only an info message, losing injects; better said here.
    """
    if re.search(INJECT_TYPE_PATTERN, method_id) is None:
        raise ValueError(f"method '{method_id}': OpenAEV's mapper (docs/injects.md) matches "
                         f"method ids by {INJECT_TYPE_PATTERN} and would skip these injects; "
                         "use lowercase letters, digits and underscores for the id in the "
                         "rules' labels.<lang>.methods")
    return method_id


def team(name: str) -> str:
    """Column E: the recipient as one OpenAEV team name.

    The importer splits the cell at every comma and looks each piece up untrimmed (exactly, as
    an existing team's name, else it makes a new team), so such a name would become other teams.
    """
    if not name.strip() or "," in name or name != name.strip():
        raise ValueError(f"recipient '{name}': OpenAEV reads a team name from this cell split "
                         "at commas and untrimmed, so it would not be this one team; give the "
                         "actor a name without commas or surrounding spaces in the rules")
    return name


def rows(msel: Msel) -> list[list[Any]]:
    """The import sheet's rows, in the order of OPENAEV_COLUMNS."""
    table = msel.table
    # The table has the method's words; column A gets its id, the same in every language.
    method_ids = {word: key for key, word in msel.labels.methods.items()}
    heading_from = msel.labels.headings["from"]
    out = []
    # Records, not itertuples: 'from' is a Python keyword, which namedtuples rename.
    for data, minutes in zip(table.to_dict("records"), offsets(msel), strict=True):
        out.append([
            inject_type(method_ids[data["method"]]),
            data["synopsis"],
            f"{heading_from}: {data['from']}\n\n{data['message']}",
            trigger_time(minutes),
            team(data["to"]),
            data["expected_action"],
            data["capability"],
            EXPECTATION_SCORE,  # a number cell: the importer reads no score from text
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
