"""CSV tables of nodes and lanes: each row an item, each column a field (`scale.beds` nests).

Tables come from spreadsheets, often someone else's, so the reader expects the usual
accidents: a semicolon-separated export, a byte-order mark (accepted: Excel's "CSV UTF-8"
writes one), rows with a cell too many or too few, the same column twice. Each is a problem
naming the table, the row (the line in the file, the header is row 1) and the column; all are
gathered and reported at once.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import yaml

from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.limits import (
    MAX_CSV_BYTES,
    MAX_CSV_ROWS,
    MAX_NODES,
    MAX_STRING,
    LimitExceeded,
    load_yaml,
    read_text,
)

Where = tuple[str, int]

_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"-?[0-9]+\.[0-9]+")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_YAML_WORDS = frozenset({"yes", "no", "true", "false", "on", "off", "null", "y", "n"})
_SEPARATORS = (";", "\t", "|")


def cell(value: str) -> Any:
    """A cell read as a YAML scalar or flow value ('5' -> 5, '[a, b]' -> a list).

    Plain numbers and words are read directly (most cells; YAML parsing is slow); the rest
    goes through the bounded YAML reader, and a cell that is not valid YAML stays text.
    """
    value = value.strip()
    if value == "":
        return None
    if _INT.fullmatch(value):
        digits = len(value.lstrip("+-"))
        if digits > 4300:  # Python reads integers of at most 4,300 digits
            raise LimitExceeded(f"a number of {digits:,} digits", None)
        return int(value)
    if _FLOAT.fullmatch(value):
        return float(value)
    if _WORD.fullmatch(value) and value.lower() not in _YAML_WORDS:
        return value
    try:
        data, _ = load_yaml(value)
    except LimitExceeded:
        raise
    except yaml.YAMLError:
        return value
    return data


def read_table(file: Path, where: Where, budget: list[int] | None = None
               ) -> tuple[list[dict], list[int]]:
    """The rows of a CSV table as nested dicts, with the line of each; ScenarioError if bad.

    `where` is the YAML file and line that named the table (for a missing table). `budget`,
    a one-item list, is how many cells the tables of one scenario file may still hold (the
    YAML value limit, MAX_NODES); it is decreased by this table's non-empty cells.
    """
    budget = [MAX_NODES] if budget is None else budget
    name = str(file)
    if not file.exists():
        raise ScenarioError([Problem("", f"CSV table '{file}' not found", *where)], where[0])
    text = read_text(file, MAX_CSV_BYTES, "CSV table")
    reader = csv.reader(io.StringIO(text, newline=""))
    problems: list[Problem] = []
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ScenarioError([Problem("", f"not a CSV table: {exc}", name, 1)], name) from None
    if not header or not any(h.strip() for h in header):
        raise ScenarioError([Problem("", "no header row: the first row names the columns "
                                         "(id, role, ... or from, to, ...)", name, 1)], name)
    columns = [h.strip() for h in header]
    problems += _header_problems(columns, name)
    if problems:
        raise ScenarioError(problems, name)
    rows: list[dict] = []
    row_lines: list[int] = []
    try:
        for values in reader:
            line = reader.line_num
            if not values or all(not v.strip() for v in values):
                continue  # blank lines, as spreadsheets leave at the end
            if len(rows) >= MAX_CSV_ROWS:
                problems.append(Problem("", f"more than {MAX_CSV_ROWS:,} rows", name, line))
                break
            budget[0] -= sum(1 for v in values if v.strip())
            if budget[0] < 0:
                problems.append(Problem("", f"more than {MAX_NODES:,} values in the CSV tables "
                                            "of one scenario file (the limit of a YAML file)",
                                        name, line))
                break
            item = _row(values, columns, name, line, problems)
            if item is not None:
                rows.append(item)
                row_lines.append(line)
    except csv.Error as exc:
        problems.append(Problem("", f"not a CSV table: {exc}", name, reader.line_num))
    except LimitExceeded as exc:
        problems.append(Problem("", exc.message, name, reader.line_num))
    if problems:
        raise ScenarioError(problems, name)
    return rows, row_lines


def _header_problems(columns: list[str], name: str) -> list[Problem]:
    problems = []
    if len(columns) == 1:
        used = [s for s in _SEPARATORS if s in columns[0]]
        if used:
            shown = {"\t": "tabs", ";": "semicolons", "|": "bars"}[used[0]]
            problems.append(Problem(
                "", f"the header is one column '{columns[0][:60]}': columns are separated by "
                f"{shown} here, but must be separated by commas (in a spreadsheet, save as "
                "'CSV (comma delimited)')", name, 1))
            return problems
    seen: dict[str, int] = {}
    for number, column in enumerate(columns, start=1):
        if not column:
            problems.append(Problem(f"column {number}", "has no name in the header row",
                                    name, 1))
        elif column in seen:
            problems.append(Problem(column, f"column {number} repeats column {seen[column]}; "
                                            "each column once", name, 1))
        else:
            seen[column] = number
    for column in seen:
        parts = column.split(".")
        for cut in range(1, len(parts)):
            parent = ".".join(parts[:cut])
            if parent in seen:
                problems.append(Problem(column, f"column '{parent}' is also given whole; "
                                                "give either it or its parts", name, 1))
                break
    return problems


def _row(values: list[str], columns: list[str], name: str, line: int,
         problems: list[Problem]) -> dict | None:
    if len(values) != len(columns):
        problems.append(Problem(
            "", f"row has {len(values)} cells, the header has {len(columns)} columns; "
            "check for a stray or missing comma, or quote cells that contain one",
            name, line))
        return None
    item: dict[str, Any] = {}
    for column, raw in zip(columns, values, strict=True):
        if len(raw) > MAX_STRING:
            problems.append(Problem(column, f"a cell of {len(raw):,} characters (at most "
                                            f"{MAX_STRING:,})", name, line))
            continue
        try:
            value = cell(raw)
        except LimitExceeded as exc:
            problems.append(Problem(column, exc.message, name, line))
            continue
        if value is None:
            continue
        *parents, leaf = column.split(".")
        target = item
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value
    return item
