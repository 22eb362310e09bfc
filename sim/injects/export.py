"""Write an MSEL as a spreadsheet (XLSX), CSV or a Markdown table, atomically.

Files carry the headings of the MSEL's language. Empty time columns (no --start, no
--compress) are left out. The XLSX has real date and time cells, a frozen header row, filters,
wrapped text in sensible column widths, print settings for the handbook, and a second sheet
saying where the MSEL came from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from sim.export.atomic import atomic_write
from sim.export.cells import to_csv, xlsx_text
from sim.injects.build import Msel
from sim.injects.fields import ABOUT_WORDS, METADATA_COLUMNS, OPTIONAL_HEADINGS

FORMATS: tuple[str, ...] = ("xlsx", "csv", "md", "openaev")
"""openaev: an XLSX laid out for OpenAEV's spreadsheet importer (openaev.py)."""
OPTIONAL_TIME_COLUMNS = ("scenario_datetime", "exercise_elapsed", "exercise_time")
WIDE_COLUMNS = {"synopsis": 40, "message": 60, "expected_action": 45, "capability": 30,
                "from": 24, "to": 22}
"""Text columns: their widest width in characters (text wraps inside)."""
PLANNER_WIDTH = 30
"""The planners' own columns (controller, notes): this wide, text wrapping."""
MARKDOWN_COLUMNS = frozenset({"number", "scenario_day", "time", "scenario_datetime",
                              "exercise_elapsed", "exercise_time", "synopsis", "from", "to",
                              "method", "message", "expected_action", "capability"})
"""The columns of the Markdown table (in MSEL order): what a handbook page has room for."""
DATE_FORMAT = "yyyy-mm-dd hh:mm"


def about_word(msel: Msel, key: str) -> str:
    """A word for the about sheet and the timeline, in the MSEL's language when it has one."""
    return msel.labels.about.get(key, ABOUT_WORDS[key])


def baseline_words(msel: Msel) -> str:
    """What the MSEL was compared with, and what that dropped (English, like `choice`)."""
    base = msel.baseline
    if base is None:
        return "–"
    return (f"{base.description}: {base.dropped:,} of {base.compared:,} triggers in days "
            f"{msel.from_day}-{msel.to_day} dropped as normal operations (the same within "
            f"{base.tolerance_days} days)")


def exercise_lag(msel: Msel) -> int:
    """The most minutes an inject's exercise time comes after its compressed scenario time.

    The spacing (`schedule.exercise_spacing_minutes`) delays the injects of a busy stretch
    until a quiet one absorbs the delay (render.spread); 0 without `compress`. A planner
    should know how far the exercise clock runs behind the scenario on busy days.
    """
    table = msel.table
    if msel.compress is None or table.empty:
        return 0
    if msel.start is not None:
        day_start = msel.start.hour * 60 + msel.start.minute
    else:
        hours, minutes = msel.rules.schedule.day_start.split(":")
        day_start = int(hours) * 60 + int(minutes)
    clock = [int(t[:2]) * 60 + int(t[3:5]) for t in table["time"].astype(str)]
    offset = (table["scenario_day"].to_numpy() - msel.from_day) + (
        pd.Series(clock, index=table.index).to_numpy() - day_start) / 1440.0
    # As render.schedule rounds the compressed time, so that an inject not delayed lags 0.
    ideal = (offset / msel.compress * 60).round()
    elapsed = pd.to_timedelta(table["exercise_elapsed"]).dt.total_seconds().to_numpy() / 60
    return max(0, int((elapsed - ideal).max()))


def compress_words(msel: Msel) -> str:
    """Scenario days per exercise hour, and how far the spacing delays injects (English)."""
    if msel.compress is None:
        return "–"
    lag = exercise_lag(msel)
    gap = msel.rules.schedule.exercise_spacing_minutes
    return f"{msel.compress:g}" + (
        f" (injects at least {gap} min apart: on busy days up to {lag} min after their "
        "compressed scenario time; --max or a smaller --compress keeps them closer)"
        if lag else "")


def replication_words(msel: Msel) -> str:
    """The replication used, and that it is the typical one when it is."""
    if msel.typical:
        return f"{msel.replication} ({about_word(msel, 'typical')})"
    return str(msel.replication)


def file_columns(msel: Msel) -> list[str]:
    """The columns a file shows: the HSEEP ones, the planners' own, then metadata."""
    table = msel.table
    keep = [c for c in msel.rules.column_order()
            if c not in OPTIONAL_TIME_COLUMNS or table[c].notna().any()]
    # Without a baseline comparison there is nothing to say in its column.
    metadata = [c for c in METADATA_COLUMNS if c != "baseline" or msel.baseline is not None]
    return [*keep, *metadata]


def file_name(lang: str, fmt: str) -> str:
    """The default MSEL file name: injects.sv.xlsx, injects.sv.openaev.xlsx, ..."""
    return f"injects.{lang}.openaev.xlsx" if fmt == "openaev" else f"injects.{lang}.{fmt}"


def format_of(path: Path, fmt: str | None) -> str:
    """The format asked for, or the one the file name says; a ValueError when they differ."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix == "markdown":
        suffix = "md"
    if suffix == "xlsx" and path.stem.lower().endswith(".openaev"):
        suffix = "openaev"  # x.openaev.xlsx
    if fmt is not None and fmt.strip().lower() == "openaev" and suffix == "xlsx":
        return "openaev"  # an OpenAEV import file is an XLSX
    fmt = None if fmt is None else fmt.strip().lower()
    if fmt is None:
        if suffix in FORMATS:
            return suffix
        raise ValueError(f"{path}: cannot tell the format from the name; give a format "
                         f"({', '.join(FORMATS)})")
    if fmt not in FORMATS:
        raise ValueError(f"unknown format '{fmt}' (formats: {', '.join(FORMATS)})")
    if suffix in FORMATS and suffix != fmt:
        raise ValueError(f"{path} looks like {suffix}, but the format asked for is {fmt}")
    return fmt


def write_msel(msel: Msel, path: str | Path, fmt: str | None = None) -> Path:
    """Write the MSEL to `path` as xlsx, csv or md (from the file name when `fmt` is None)."""
    path = Path(path)
    fmt = format_of(path, fmt)
    from sim.injects.openaev import write_openaev

    writer: Callable[[Msel, Path], None] = {"xlsx": _xlsx, "csv": _csv, "md": _markdown,
                                             "openaev": write_openaev}[fmt]
    atomic_write(path, lambda tmp: writer(msel, tmp))
    return path


def _elapsed(value: Any) -> str:
    if pd.isna(value):
        return ""
    minutes = int(pd.Timedelta(value).total_seconds() // 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


def _text_table(msel: Msel, columns: list[str]) -> pd.DataFrame:
    """The table as text, dates as ISO 'YYYY-MM-DD HH:MM', elapsed time as H:MM."""
    out = msel.table[columns].copy()
    for column in ("scenario_datetime", "exercise_time"):
        if column in out:
            out[column] = out[column].dt.strftime("%Y-%m-%d %H:%M").fillna("")
    if "exercise_elapsed" in out:
        out["exercise_elapsed"] = out["exercise_elapsed"].map(_elapsed)
    return out


def _headings(msel: Msel, columns: list[str]) -> list[str]:
    headings = msel.labels.headings
    own = {c: col.heading[msel.lang] for c, col in msel.rules.columns.items()}
    return [own.get(c) or headings.get(c) or OPTIONAL_HEADINGS.get(c, c) for c in columns]


def _csv(msel: Msel, path: Path) -> None:
    columns = file_columns(msel)
    table = _text_table(msel, columns)
    table.columns = _headings(msel, columns)
    # UTF-8 with a byte-order mark: spreadsheet programs then read å, ä, ö and ø correctly.
    # Where the decimal sign is a comma (sv, nb), spreadsheets expect ';' between fields.
    comma = msel.labels.decimal == ","
    to_csv(table, path, encoding="utf-8-sig", sep=";" if comma else ",",
           decimal="," if comma else ".")


def _markdown(msel: Msel, path: Path) -> None:
    columns = [c for c in file_columns(msel) if c in MARKDOWN_COLUMNS]
    table = _text_table(msel, columns)

    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", "<br>")

    compared = ([f"{about_word(msel, 'baseline')}: {baseline_words(msel)}.", ""]
                if msel.baseline is not None else [])
    lines = [f"# {msel.labels.title}: {msel.scenario.name}", "",
             f"{about_word(msel, 'replication')}: {replication_words(msel)}. "
             f"{about_word(msel, 'injects')}: {len(table)}.", "", *compared,
             "| " + " | ".join(map(cell, _headings(msel, columns))) + " |",
             "|" + "|".join("---:" if c in ("number", "scenario_day") else "---"
                            for c in columns) + "|"]
    for row in table.itertuples(index=False):
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _xlsx(msel: Msel, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    columns = file_columns(msel)
    book = Workbook()
    sheet = book.active
    sheet.title = msel.labels.sheet
    sheet.append(_headings(msel, columns))
    for row in msel.table[columns].itertuples(index=False):
        sheet.append([_excel_value(c, v) for c, v in zip(columns, row, strict=True)])
    header_font, header_fill = Font(bold=True), PatternFill("solid", fgColor="DDE4EE")
    top = Alignment(vertical="top")
    wrap = Alignment(vertical="top", wrap_text=True)
    formats = {"scenario_datetime": DATE_FORMAT, "exercise_time": DATE_FORMAT,
               "time": "hh:mm", "exercise_elapsed": "[h]:mm", "severity": "0.0"}
    for j, column in enumerate(columns, start=1):
        letter = get_column_letter(j)
        head = sheet.cell(row=1, column=j)
        head.font, head.fill, head.alignment = header_font, header_fill, wrap
        values = [_shown(v) for v in msel.table[column]] if column in msel.table else []
        longest = max([len(str(head.value)), *(len(v) for v in values)], default=8)
        planner = column in msel.rules.columns
        cap = PLANNER_WIDTH if planner else WIDE_COLUMNS.get(column, 40)
        width = min(cap, max(6, longest + 2))
        sheet.column_dimensions[letter].width = cap if planner else width
        style = wrap if longest > cap or column in WIDE_COLUMNS or planner else top
        number_format = formats.get(column)
        for cells in sheet.iter_rows(min_row=2, min_col=j, max_col=j):
            for c in cells:
                c.alignment = style
                if number_format:
                    c.number_format = number_format
    sheet.freeze_panes = "B2"
    if len(msel.table):
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(msel.table) + 1}"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    add_about_sheet(book, msel)
    for each in book.worksheets:
        xlsx_text(each)  # names and messages from scenarios and rules: text, never formulas
    book.save(path)


def _shown(value: Any) -> str:
    """Roughly what a cell shows, to size its column."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp | dt.datetime):
        return "2027-03-01 08:00"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _excel_value(column: str, value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if column in ("scenario_datetime", "exercise_time"):
        return pd.Timestamp(value).to_pydatetime()
    if column == "time":
        hours, minutes = str(value).split(":")
        return dt.time(int(hours), int(minutes))
    if column == "exercise_elapsed":
        return pd.Timedelta(value).to_pytimedelta()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def add_about_sheet(book: Any, msel: Msel) -> None:
    """A sheet saying where the MSEL came from (after the others)."""
    from openpyxl.styles import Alignment, Font

    _about_sheet(book.create_sheet(about_word(msel, "about")[:31]), msel, Font, Alignment)


def _about_sheet(sheet: Any, msel: Msel, font: Any, alignment: Any) -> None:
    rows: list[tuple[str, Any]] = [
        ("scenario", msel.scenario.name),
        ("seed", msel.seed),
        ("replication", replication_words(msel)),
        ("rules", msel.rules.file or "–"),
        ("language", msel.lang),
        ("created", dt.datetime.now().replace(microsecond=0)),
        ("events", msel.events),
        ("injects", len(msel.table)),
        ("start", msel.start if msel.start is not None else "–"),
        ("compress", compress_words(msel)),
        ("regions", ", ".join(msel.regions) or msel.labels.whole_country),
        ("baseline", baseline_words(msel)),
    ]
    sheet.append([msel.labels.title])
    sheet.cell(row=1, column=1).font = font(bold=True, size=13)
    for key, value in rows:
        sheet.append([about_word(msel, key), value])
        cell = sheet.cell(row=sheet.max_row, column=2)
        cell.alignment = alignment(horizontal="left", wrap_text=True)
        if isinstance(value, dt.datetime):
            cell.number_format = DATE_FORMAT
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 90
