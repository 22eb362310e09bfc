"""The OpenAEV import sheet, read back as OpenAEV's spreadsheet importer reads it.

No OpenAEV runs here, so the importer's reading of the columns we use is re-implemented from
its Java source (repository OpenAEV-Platform/openaev):

- openaev-api/src/main/java/io/openaev/service/InjectImportService.java: importRow (the
  inject type found in its column, title and description, the trigger time's three relative
  patterns, teams, the expectation) and updateInjectDates (relative times made relative to
  the earliest one);
- InjectImportUtils.java (getValueAsString, getDateAsStringFromCell, getInjectDate; stored as
  openbas-api/src/main/java/io/openbas/service/utils/InjectImportUtils.java, the same code);
- InjectUtils.checkIfRowIsEmpty; the Manual contract (ManualContract.java: fields `teams`,
  type team, and `expectations`); the mapper form (openaev-front/.../xls_mapper/
  RulesContractContent.tsx: the rule attributes a representation has).

The mapper is read from docs/injects.md, so the file, the documented mapper and the importer
have to agree; the expected values come from the MSEL table.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

import sim
from sim.cli import app
from sim.export import write_results
from sim.injects import build_msel, write_msel
from sim.injects.openaev import (
    INJECT_TYPE_PATTERN,
    OPENAEV_COLUMNS,
    SHEET,
    inject_type,
    team,
    trigger_time,
)
from tests.test_injects_small import crafted_events, small

runner = CliRunner()
DOCS = Path(__file__).resolve().parents[1] / "docs" / "injects.md"
MANUAL = "d02e9132-b9d0-4daa-b3b1-4b9871f8472c"
"""ManualContract.MANUAL_DEFAULT: the built-in Manual inject's contract id."""

# --- the importer, re-implemented -------------------------------------------------------------

# Java's '.' stops at any line terminator, Python's only at '\n'.
DOT = r"[^\n\r\u0085\u2028\u2029]"
# InjectImportService: relativeDayPattern, relativeHourPattern, relativeMinutePattern, used
# with Matcher.matches() (the whole text, hence fullmatch). The leading '.*' is greedy: the
# number after the *last* D or J, H or T, M is the one taken.
RELATIVE_DAY = re.compile(rf"^{DOT}*[DJ]([+\-]?[0-9]*)({DOT}*)$")
RELATIVE_HOUR = re.compile(rf"^{DOT}*[HT]([+\-]?[0-9]*){DOT}*$")
RELATIVE_MINUTE = re.compile(rf"^{DOT}*[M]([+\-]?[0-9]*){DOT}*$")
# What DateTimeFormatter.ISO_TIME and ISO_DATE_TIME parse (getInjectDate without a time
# pattern), close enough to tell a time from a relative trigger time: HH:mm[:ss[.n]] with an
# optional offset, and a date before it with 'T'.
ISO_TIME = r"\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}(:\d{2})?)?"
ISO_DATE_TIME = rf"[+-]?\d{{4,}}-\d{{2}}-\d{{2}}T{ISO_TIME}(\[[^\]]+\])?"


def column_index(letters: str) -> int:
    """POI's CellReference.convertColStringToIndex: 'A' -> 0, 'AA' -> 26, '' -> -1."""
    pos = 0
    for k, char in enumerate(letters.upper()):
        if char == "$":
            if k == 0:
                continue
            raise ValueError(f"bad column name '{letters}'")
        pos = pos * 26 + ord(char) - ord("A") + 1
    return pos - 1


def cell_type(cell: Any) -> str | None:
    """POI's CellType of an openpyxl cell; None where POI's row.getCell gives null."""
    if cell is None or cell.value is None:
        return None
    return {"s": "STRING", "n": "NUMERIC", "d": "NUMERIC", "f": "FORMULA", "b": "BOOLEAN",
            "e": "ERROR"}[cell.data_type]


def java_double(value: float) -> str:
    """Double.toString for the numbers a sheet has (1e-3 <= |x| < 1e7 write as Python does)."""
    return repr(float(value))


def get_cell(row: tuple, letters: str) -> Any:
    i = column_index(letters)
    return row[i] if 0 <= i < len(row) else None


def value_as_string(row: tuple, letters: str) -> str:
    """InjectImportUtils.getValueAsString: text as it is, a number as Double.toString, else ''."""
    cell = get_cell(row, letters) if letters and letters.strip() else None
    kind = cell_type(cell)
    if kind == "STRING":
        return cell.value
    if kind == "NUMERIC":
        return java_double(cell.value)
    return ""


def date_as_string(row: tuple, letters: str) -> str:
    """InjectImportUtils.getDateAsStringFromCell without a time pattern."""
    cell = get_cell(row, letters) if letters and letters.strip() else None
    kind = cell_type(cell)
    if kind == "STRING":
        return cell.value
    if kind == "NUMERIC":
        # Java's Date.toString() ("Mon Mar 01 09:30:00 UTC 2027"), not re-implemented: a
        # number cell is not what this file is meant to have.
        raise AssertionError(f"trigger time {cell.coordinate} is a number cell: OpenAEV reads "
                             "it as a date")
    return ""


def java_parse_int(text: str) -> int | None:
    """Integer.parseInt, or None where it throws (the importer only logs that)."""
    if re.fullmatch(r"[+-]?[0-9]+", text) is None:
        return None
    value = int(text)
    return value if -2**31 <= value < 2**31 else None


def java_split(text: str, sep: str) -> list[str]:
    """String.split with a one-character literal separator: trailing empty strings dropped."""
    parts = text.split(sep)
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()
    return parts


@dataclass
class InjectTime:
    """InjectTime: what the first pass found out about one row's trigger time."""

    text: str
    relative_day: bool = False
    relative_hour: bool = False
    relative_minute: bool = False
    day: int = 0
    hour: int = 0
    minute: int = 0
    absolute: bool = False


def read_trigger_time(text: str) -> InjectTime:
    """importRow's reading of the trigger time, without a time pattern."""
    out = InjectTime(text)
    if (re.fullmatch(ISO_DATE_TIME, text) or re.fullmatch(ISO_TIME, text)) is not None:
        out.absolute = True  # getInjectDate parsed it: a date or a time of day, not relative
        return out
    day, hour, minute = (p.fullmatch(text) for p in (RELATIVE_DAY, RELATIVE_HOUR,
                                                      RELATIVE_MINUTE))
    out.relative_day, out.relative_hour, out.relative_minute = (
        day is not None, hour is not None, minute is not None)
    for match, name in ((day, "day"), (hour, "hour"), (minute, "minute")):
        if match is not None and match.group(1).strip():
            number = java_parse_int(match.group(1))
            if number is not None:
                setattr(out, name, number)
    # The special case: a relative day followed by a time of day ("J+1 09:00").
    if day is not None and day.group(2).strip() and re.fullmatch(ISO_TIME, day.group(2).strip()):
        out.absolute = True
    return out


def relative_durations(times: list[InjectTime]) -> list[int]:
    """updateInjectDates when every time is relative: seconds after the earliest inject.

    The earliest is the smallest day, then the smallest hour of that day, then the smallest
    minute of that hour, as the Java code finds it.
    """
    assert all(t.relative_day or t.relative_hour or t.relative_minute for t in times), (
        [t.text for t in times if not (t.relative_day or t.relative_hour or t.relative_minute)])
    assert not any(t.absolute for t in times), [t.text for t in times if t.absolute]
    day = min(t.day for t in times)
    hour = min(t.hour for t in times if t.day == day)
    minute = min(t.minute for t in times if t.day == day and t.hour == hour)
    offset = -((day * 24 + hour) * 60 + minute)
    return [((t.day * 24 + t.hour) * 60 + t.minute + offset) * 60 for t in times]


@dataclass
class Representation:
    """An inject importer: the pattern for the type column, the contract, the rule attributes."""

    type_value: str
    contract: str
    columns: dict[str, str]
    """rule attribute name -> column letters (joined by '+' for several)."""
    defaults: dict[str, str] = field(default_factory=dict)


@dataclass
class Mapper:
    inject_type_column: str
    representations: list[Representation]


@dataclass
class Imported:
    row: int
    title: str | None
    description: str | None
    time: InjectTime
    teams: list[str]
    new_teams: list[str]
    expectation: dict[str, Any] | None
    depends_duration: int = 0


def import_sheet(sheet: Any, mapper: Mapper, teams: set[str]) -> tuple[list[Imported], list]:
    """importXls for a scenario: the injects it would make, and its messages.

    Only the Manual contract's fields (teams, the expectation) are re-implemented.
    """
    messages: list[tuple[str, int, str]] = []
    out: list[Imported] = []
    patterns = [re.compile(r.type_value) for r in mapper.representations]
    known = set(teams)
    for number, row in enumerate(sheet.iter_rows()):
        # InjectUtils.checkIfRowIsEmpty: no cell with non-blank text.
        if all(c.value is None or not str(c.value).strip() for c in row):
            continue
        if cell_type(get_cell(row, mapper.inject_type_column)) is None:
            messages.append(("INFO", number, "NO_POTENTIAL_MATCH_FOUND"))
            continue
        kind = value_as_string(row, mapper.inject_type_column)
        matching = [r for r, p in zip(mapper.representations, patterns, strict=True)
                    if p.search(kind)]  # Matcher.find()
        if not matching:
            messages.append(("INFO", number, "NO_POTENTIAL_MATCH_FOUND"))
            continue
        if len(matching) > 1:
            messages.append(("WARN", number, "SEVERAL_MATCHES"))
            continue
        rep = matching[0]
        assert rep.contract == MANUAL, "only the Manual contract's fields are re-implemented"

        def attribute(name: str, rep: Representation = rep, row: tuple = row) -> str | None:
            # setAttributeValue: one column; blank -> the default value (null without one).
            if name not in rep.columns:
                raise AssertionError(f"the mapper has no rule attribute {name} "
                                     "(ElementNotFoundException)")
            value = value_as_string(row, rep.columns[name])
            return rep.defaults.get(name) if not value.strip() else value

        title, description = attribute("title"), attribute("description")
        text = "".join(date_as_string(row, c) for c in rep.columns.get("trigger_time", "")
                       .split("+") if c) or rep.defaults.get("trigger_time", "")
        time = read_trigger_time(text)
        # teams (contract field of type team): the columns joined by ',', split at ','.
        names = java_split(",".join(value_as_string(row, c) for c in
                                    rep.columns.get("teams", "").split("+")), ",")
        new = [n for n in names if n and n not in known]
        known.update(new)
        messages += [("WARN", number, "NO_TEAM_FOUND")] * len(new)
        expectation: dict[str, Any] | None = None
        for name in ("expectation_name", "expectation_description", "expectation_score"):
            if name not in rep.columns and not rep.defaults.get(name):
                continue  # hasColumnsOrDefaultValue
            expectation = expectation or {"type": "MANUAL"}
            cols = [c for c in rep.columns.get(name, "").split("+") if c.strip()]
            key = name.split("_")[1]
            if key == "score":
                if cols and all(cell_type(get_cell(row, c)) == "NUMERIC" for c in cols):
                    expectation["score"] = sum(float(get_cell(row, c).value) for c in cols)
                else:
                    # Double.parseDouble(default value): no default, no score.
                    messages.append(("WARN", number, "EXPECTATION_SCORE_UNDEFINED"))
            else:
                value = "".join(value_as_string(row, c) for c in cols)
                expectation[key] = value if value.strip() else rep.defaults.get(name)
        # InjectExpectationUtils.isExpectationValid: a name, a description or a score > 0.
        if expectation is not None and not (
                (expectation.get("name") or "").strip()
                or (expectation.get("description") or "").strip()
                or expectation.get("score", 0) > 0):
            expectation = None
        out.append(Imported(number, title, description, time, [n for n in names if n], new,
                            expectation))
    for inject, seconds in zip(out, relative_durations([i.time for i in out]), strict=True):
        inject.depends_duration = seconds
    return out, messages


# --- the mapper of docs/injects.md ------------------------------------------------------------

def documented_mapper() -> Mapper:
    """The mapper table of docs/injects.md's OpenAEV section, as entered in OpenAEV."""
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index('<a id="openaev"></a>'):text.index('<a id="python"></a>')]
    values: dict[str, str] = {}
    for line in section.splitlines():
        # | Title (`title`) | `B` |  or  | Inject type column | `A` |
        m = re.fullmatch(r"\| ([^|`]+?)(?: \(`(\w+)`\))? \| `([^`]+)`.*\|", line.strip())
        if m:
            values[m.group(2) or m.group(1)] = m.group(3)
    assert {"Inject type column", "Matching type in the xls", "Inject type"} <= set(values), (
        values)
    rules = {k: v for k, v in values.items() if re.fullmatch(r"[a-z_]+", k)}
    return Mapper(values["Inject type column"],
                  [Representation(values["Matching type in the xls"], values["Inject type"],
                                  rules)])


# --- the importer as re-implemented, on OpenAEV's own examples ---------------------------------

@pytest.mark.parametrize(("text", "days", "hours", "minutes"), [
    ("D+2 H+3 M+45", 2, 3, 45),  # the example of OpenAEV's documentation (scenario_import.md)
    ("J+1 H+2 M-5", 1, 2, -5),   # rows of OpenAEV's test files (xls-test-files/test_file_5)
    ("J-60", -60, 0, 0),
    ("J", 0, 0, 0),              # a bare J: relative, no number
    ("D+0 H+1 M+30", 0, 1, 30),
    ("D+-1 H+0 M+0", 0, 0, 0),   # '+' then '-1': parseInt("+") fails, day 0 (why we never write it)
])
def test_the_relative_patterns_read_as_the_java_code_does(text, days, hours, minutes):
    time = read_trigger_time(text)
    assert time.relative_day and not time.absolute
    assert (time.day, time.hour, time.minute) == (days, hours, minutes)


def test_relative_times_are_made_relative_to_the_earliest_and_dates_are_not_relative():
    times = [read_trigger_time(t) for t in ("D+1 H+0 M+5", "D+0 H+2 M+0", "D+0 H+1 M+30")]
    # 1445, 120 and 90 minutes; the earliest, 90, is the start.
    assert relative_durations(times) == [1355 * 60, 30 * 60, 0]
    # The earliest is found by day, then hour, then minute: 'M+90' is taken for earlier than
    # 'H+1 M+0', which then lands before the start. Why trigger_time keeps M < 60 and H < 24.
    times = [read_trigger_time(t) for t in ("D+0 H+0 M+90", "D+0 H+1 M+0")]
    assert relative_durations(times) == [0, -30 * 60]
    assert read_trigger_time("2027-03-01T09:30:00").absolute
    assert read_trigger_time("09:30").absolute
    assert java_split("a,b,", ",") == ["a", "b"] and java_split("a, b", ",") == ["a", " b"]
    assert column_index("A") == 0 and column_index("h") == 7 and column_index("AA") == 26


# --- our file -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def crafted() -> sim.RunResult:
    return dataclasses.replace(sim.run(small(), seed=1), events=crafted_events())


def check_import(path: Path, msel: pd.DataFrame, offsets: list[int], heading_from: str) -> None:
    """The file at `path`, imported with the documented mapper, is the MSEL `msel`."""
    book = load_workbook(path)
    # Whoever imports picks the sheet by name; it is the first one, and the only one with
    # injects (the about sheet has none the mapper matches).
    assert book.sheetnames[0] == SHEET
    assert [c.value for c in book[SHEET][1]] == [h for _, h in OPENAEV_COLUMNS]
    mapper = documented_mapper()
    injects, messages = import_sheet(book[SHEET], mapper, teams=set())
    # The heading row is the only row no representation matches; nothing is ambiguous.
    assert [m for m in messages if m[2] != "NO_TEAM_FOUND"] == [
        ("INFO", 0, "NO_POTENTIAL_MATCH_FOUND")]
    assert [i.row for i in injects] == list(range(1, len(msel) + 1))
    first = min(offsets)
    for inject, data, minutes in zip(injects, msel.to_dict("records"), offsets, strict=True):
        assert inject.title == data["synopsis"]
        assert inject.description == f"{heading_from}: {data['from']}\n\n{data['message']}"
        assert inject.teams == [data["to"]]
        assert inject.expectation == {"type": "MANUAL", "name": data["expected_action"],
                                      "description": data["capability"], "score": 100.0}
        # OpenAEV starts at the earliest inject: its time is the MSEL's minus the first one.
        assert inject.depends_duration == (minutes - first) * 60
    # Each recipient becomes one team, once.
    assert sorted({t for i in injects for t in i.new_teams}) == sorted(set(msel["to"]))
    assert [m for m in messages if m[2] == "NO_TEAM_FOUND"] == [
        ("WARN", i.row, "NO_TEAM_FOUND") for i in injects for _ in i.new_teams]
    # Cell types the importer depends on: text trigger times, a number score.
    for row in book[SHEET].iter_rows(min_row=2):
        assert cell_type(get_cell(row, "D")) == "STRING"
        assert cell_type(get_cell(row, "H")) == "NUMERIC"


def test_the_openaev_file_imports_as_its_importer_reads_it(crafted, tmp_path):
    folder = write_results(crafted, tmp_path / "run")
    done = runner.invoke(app, ["injects", str(folder), "--format", "openaev", "--lang", "sv",
                               "--compress", "24", "--no-baseline", "--no-timeline"])
    assert done.exit_code == 0, done.output
    msel = build_msel(crafted, lang="sv", compress=24, baseline=False)
    elapsed = [int(v / pd.Timedelta(minutes=1)) for v in msel.table["exercise_elapsed"]]
    assert min(elapsed) > 0  # so the test sees the lead-in OpenAEV drops
    check_import(folder / "injects.sv.openaev.xlsx", msel.table, elapsed,
                 msel.labels.headings["from"])


def test_without_compress_the_importer_gets_scenario_time(crafted, tmp_path):
    msel = build_msel(crafted, lang="en", baseline=False)
    path = write_msel(msel, tmp_path / "p.openaev.xlsx")
    table = msel.table
    # Scenario time from the window's first day at 08:00 (the shipped day_start), by hand.
    minutes = [(int(day) - msel.from_day) * 1440 + int(clock[:2]) * 60 + int(clock[3:]) - 480
               for day, clock in zip(table["scenario_day"], table["time"], strict=True)]
    assert len(set(table["scenario_day"])) > 1  # days apart, so D+ is exercised
    check_import(path, table, minutes, msel.labels.headings["from"])


def test_a_changed_column_or_mapper_would_fail(crafted, tmp_path):
    """The check above can fail: a score as text, or a mapper pointing at the wrong column."""
    msel = build_msel(crafted, lang="en", baseline=False)
    path = write_msel(msel, tmp_path / "a.openaev.xlsx")
    book = load_workbook(path)
    book[SHEET]["H2"].value = "100"
    book.save(path)
    _, messages = import_sheet(load_workbook(path)[SHEET], documented_mapper(), set())
    assert ("WARN", 1, "EXPECTATION_SCORE_UNDEFINED") in messages
    mapper = documented_mapper()
    mapper.representations[0].columns["trigger_time"] = "K"  # the scenario day, a number
    with pytest.raises(AssertionError, match="number cell"):
        import_sheet(load_workbook(path)[SHEET], mapper, set())


def test_what_the_importer_would_misread_is_refused_with_a_reason(crafted, tmp_path):
    assert inject_type("sitrep") == "sitrep"
    assert re.search(INJECT_TYPE_PATTERN, "Inject type") is None  # the heading is skipped
    with pytest.raises(ValueError, match=r"method 'SMS'.*would skip these injects"):
        inject_type("SMS")
    with pytest.raises(ValueError, match="split at commas"):
        team("Region Uppsala, crisis staff")
    with pytest.raises(ValueError, match="split at commas"):
        team(" Hospital pharmacy")
    with pytest.raises(ValueError, match="5 minutes before the exercise start"):
        trigger_time(-5)
    assert trigger_time(1440 + 61) == "D+1 H+1 M+1"
    msel = build_msel(crafted, lang="en", baseline=False)
    table = msel.table.copy()
    table.loc[table.index[0], "to"] = "Pharmacy, north"
    with pytest.raises(ValueError, match="recipient 'Pharmacy, north'"):
        write_msel(dataclasses.replace(msel, table=table), tmp_path / "x.openaev.xlsx")
    assert not (tmp_path / "x.openaev.xlsx").exists()


def test_an_openaev_file_name_and_format_must_agree(crafted, tmp_path):
    msel = build_msel(crafted, lang="en", baseline=False)
    assert write_msel(msel, tmp_path / "a.openaev.xlsx").exists()  # told by the name
    assert load_workbook(tmp_path / "a.openaev.xlsx").sheetnames[0] == SHEET
    with pytest.raises(ValueError, match="looks like csv, but the format asked for is openaev"):
        write_msel(msel, tmp_path / "a.csv", "openaev")


def test_the_command_refuses_a_recipient_openaev_would_split_and_writes_nothing(crafted,
                                                                                 tmp_path):
    """Own rules whose actor names hold a comma: exit 2 with the reason, no traceback, no file."""
    import yaml

    shipped = Path(sim.__file__).parent / "injects" / "data"
    data = yaml.safe_load(next(shipped.glob("*.yaml")).read_text(encoding="utf-8"))
    for names in data["actors"].values():
        names["en"] = names["en"] + ", duty officer"
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    folder = write_results(crafted, tmp_path / "run")
    target = tmp_path / "out.openaev.xlsx"
    done = runner.invoke(app, ["injects", str(folder), "--format", "openaev", "--lang", "en",
                               "--rules", str(rules), "--no-baseline", "--no-timeline",
                               "--out", str(target)])
    assert done.exit_code == 2, done.output
    text = " ".join(done.output.split())
    assert "split at commas" in text and "duty officer" in text
    assert "Traceback" not in done.output
    assert not target.exists()
