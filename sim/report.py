"""Terminal tables of a run's and a batch's KPIs, laid out for the width they have.

Names are never cut: group and role names are short enough for 80 columns, and variant names
that do not fit a column become short labels with a legend. A column whose every row reads the
same is left out and said once below the table, since it separates nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from rich import box
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from sim.results import Crisis, RunResult, select

SUPPLIER_FILL = "orders"
"""Marks a role whose fill is order fill (customers' orders shipped on the day ordered)."""


@dataclass
class Report:
    """What to print: tables and notes, in order (a note is plain text, styled dim)."""

    parts: list[Any] = field(default_factory=list)

    def table(self, table: Table) -> None:
        """Add a table."""
        self.parts.append(table)

    def note(self, text: str, dim: bool = True) -> None:
        """Add a line of text (wrapped by the console, never cut)."""
        self.parts.append(Text(text, style="dim" if dim else ""))


def _fmt(value: Any, pattern: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return pattern.format(value)


# (header, summary column, format, explanation)
RUN_COLUMNS: tuple[tuple[str, str, str, str], ...] = (
    ("fill ±95%", "fill", "{:.1%}", ""),
    ("unmet/rep", "unmet_per_rep", "{:,.0f}", "units not served (demand points) or not shipped "
     "(suppliers) on the day, per replication"),
    ("short", "share_short", "{:.0%}", "share of node-products with a stockout day (nothing on "
     "hand when asked)"),
    ("days out", "stockout_days", "{:.1f}", "stockout days per node-product and replication"),
    ("min DoS", "min_dos", "{:.1f}", "lowest days of supply on hand"),
)


def run_report(result: RunResult, role: Any = None, group: Any = None,
               region: Any = None) -> Report:
    """The KPI table of a run by role (sections) and product group, with the headline."""
    summary = result.summary(role, group, region)
    report = Report()
    sc = result.scenario
    where = "".join(f", {k} {', '.join([v] if isinstance(v, str) else v)}"
                    for k, v in (("role", role), ("group", group), ("region", region)) if v)
    reps = result.replications
    title = (f"KPIs: {sc.name}{where}, days {sc.warmup_days}-{sc.horizon_days - 1} "
             f"(after warm-up), {'mean of ' if reps > 1 else ''}{reps} replication"
             f"{'s' if reps > 1 else ''}")
    if summary.empty:
        report.note(f"{title}: no node-products match", dim=False)
        return report
    rows = [(str(r.role), str(r.group), r) for r in summary.itertuples(index=False)]
    shown, constant = [], []
    for header, column, pattern, why in RUN_COLUMNS:
        texts = {_fmt(getattr(r, column), pattern) for _, _, r in rows}
        # With a few rows, equal values are a finding, not noise: keep them.
        if column == "fill" or len(texts) > 1 or len(rows) < 3:
            shown.append((header, column, pattern, why))
        elif why:
            constant.append(f"{header} is {texts.pop()} in every row ({why})")
    report.note(title, dim=False)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("role / group", no_wrap=True)
    for header, *_ in shown:
        table.add_column(header, justify="right", no_wrap=True)
    current = None
    for role_name, group_name, row in rows:
        if role_name != current:
            current = role_name
            if table.row_count:
                table.add_section()
            kind = "demand" if row.fill_of == "demand" else SUPPLIER_FILL
            table.add_row(Text(role_name, style="bold"), Text(kind, style="dim italic"),
                          *[""] * (len(shown) - 1))
        cells = [_fmt(getattr(row, c), p) for _, c, p, _ in shown]
        if not math.isnan(row.fill_ci95):
            cells[0] += f" ±{row.fill_ci95 * 100:.1f}"
        table.add_row(f" {escape(group_name)}", *cells)
    report.table(table)
    explained = ["fill: at a demand point (demand) the share of its own demand served on the "
                 "day asked; at a supplier (orders) the share of its customers' orders shipped "
                 "on the day ordered; ±95%: half-width of its 95 % confidence interval over "
                 "replications, in percentage points"]
    explained += [f"{h}: {why}" for h, _, _, why in shown if why]
    report.note("; ".join(explained + constant))
    report.note(headline(result, role, group, region), dim=False)
    if "demand_imperative" in summary_source(result, role, group, region):
        care = care_tables(result, role, group, region)
        for table in care:
            report.table(table)
    if len(result.countermeasures):
        report.parts.append(countermeasure_table(result.countermeasures))
    return report


def summary_source(result: RunResult, role: Any, group: Any, region: Any) -> pd.DataFrame:
    """The KPI rows the report reads (selected)."""
    return select(result.kpis, result.scenario, role, group, region)


def care_tables(result: RunResult, role: Any = None, group: Any = None,
                region: Any = None) -> list[Table]:
    """With care demand: fill by priority per product group, and care activity per category.

    Fill: units served on the day asked over units asked, over the nodes with care demand,
    after warm-up. Activity: per replication, summed over the nodes.
    """
    kpis = summary_source(result, role, group, region)
    asked = kpis[[f"demand_{p}" for p in ("imperative", "urgent", "deferrable")]].sum(axis=1)
    kpis = kpis[asked > 0]
    out: list[Table] = []
    if len(kpis):
        groups = {pid: p.group for pid, p in result.scenario.products.items()}
        k = kpis.assign(group=kpis["product"].astype(str).map(groups))
        by = k.groupby("group", sort=False)[[f"{w}_{p}" for w in ("demand", "unmet")
                                            for p in ("imperative", "urgent", "deferrable")]
                                           ].sum()
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="Care demand: fill by "
                      "priority (units served on the day asked)", title_justify="left")
        table.add_column("group", no_wrap=True)
        for p in ("imperative", "urgent", "deferrable"):
            table.add_column(p, justify="right", no_wrap=True)
        for name, row in by.iterrows():
            cells = []
            for p in ("imperative", "urgent", "deferrable"):
                d = row[f"demand_{p}"]
                # Rounded down, so a shortfall never reads as 100.0 %.
                cells.append("–" if d <= 0 else
                             f"{math.floor((1 - row[f'unmet_{p}'] / d) * 1000) / 10:.1f}%")
            table.add_row(escape(str(name)), *cells)
        out.append(table)
    care = result.care
    if len(care):
        if region is not None or role is not None:
            regions = [region] if isinstance(region, str) else region
            roles = [role] if isinstance(role, str) else role
            if regions:
                care = care[care["region"].astype(str).isin(regions)]
            if roles:
                care = care[care["role"].astype(str).isin(roles)]
        reps = max(1, result.replications)
        sums = care.groupby("category", observed=True, sort=False)[
            ["admissions", "deferred_admissions", "cancelled_admissions", "patient_days"]
        ].sum() / reps
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="Care activity per "
                      "replication", title_justify="left")
        for header in ("category", "admissions", "deferred", "cancelled", "patient-days"):
            table.add_column(header, justify="left" if header == "category" else "right",
                             no_wrap=True)
        for name, row in sums.iterrows():
            table.add_row(escape(str(name)), *(f"{v:,.0f}" for v in row.to_numpy()))
        out.append(table)
    return out


def countermeasure_table(table: pd.DataFrame) -> Text:
    """Each countermeasure's triggered and first active day, days active and units.

    Days are medians over replications (with the share of replications where it started, when
    not all); days active and units are means. One line each, so long names are never cut.
    """
    reps = table["replication"].nunique()
    out = Text("Countermeasures", style="bold")
    for name, rows in table.groupby("name", sort=False):
        started = rows["first_day"].dropna()
        if len(started):
            when = f"started day {started.median():.0f}"
            if len(started) < reps:
                when += f" in {len(started) / reps:.0%} of replications"
            triggered = f"triggered day {rows['triggered_day'].median():.0f}, "
        else:
            when, triggered = "never started", ""
        units = rows["units"].mean()
        moved = "" if math.isnan(units) else f", {units:,.0f} units"
        out.append(f"\n {name} ", style="")
        out.append(f"({rows['type'].iloc[0]})", style="dim")
        out.append(f": {triggered}{when}, {rows['days_active'].mean():.1f} days active{moved}")
    return out


def headline(result: RunResult, role: Any = None, group: Any = None, region: Any = None) -> str:
    """Fill at demand points by product (by name, lowest three) and when the crisis bit."""
    fill = result.fill_by_product(role, group, region)
    if len(fill):
        worst = "; ".join(f"{r.name} {r.fill_rate:.1%}" for r in fill.head(3).itertuples())
        text = (f"Fill at demand points by product: median {fill['fill_rate'].median():.1%}; "
                f"lowest {worst}.")
    else:
        text = "No demand points among the rows shown."
    return f"{text}{imperative_text(result, role, group, region)} {crisis_text(result.crisis())}"


def imperative_text(result: RunResult, role: Any = None, group: Any = None,
                    region: Any = None) -> str:
    """With care demand: imperative care's lowest fill by product, over all its nodes (else '').

    By product, units over nodes (a single cylinder unserved at a small emergency department
    would otherwise read as 0 %), with the node where most went unserved.
    """
    kpis = select(result.kpis, result.scenario, role, group, region)
    if "demand_imperative" not in kpis or not (kpis["demand_imperative"] > 0).any():
        return ""
    asked = kpis[kpis["demand_imperative"] > 0]
    by = asked.groupby("product", observed=True)[["unmet_imperative",
                                                 "demand_imperative"]].sum()
    fill = 1 - by["unmet_imperative"] / by["demand_imperative"]
    product = fill.idxmin()
    name = result.scenario.products[str(product)].name
    if fill.min() >= 1:
        return " Imperative care: fully served."
    worst = asked[asked["product"] == product].groupby("node", observed=True)[
        "unmet_imperative"].sum().idxmax()
    # Rounded down, so a shortfall never reads as 100.0 %.
    shown = math.floor(fill.min() * 1000) / 10
    return (f" Imperative care: lowest fill {shown:.1f}% ({name}, over its nodes; most "
            f"unserved at {worst}).")


def crisis_text(crisis: Crisis) -> str:
    """The crisis start and the first stockout after it, in words."""
    if crisis.start_day is None:
        return "No disruptions: no crisis, so no first stockout after one (none)."
    start = f"The first disruption starts on day {crisis.start_day:g}"
    low, high = crisis.start_range or (crisis.start_day, crisis.start_day)
    if low != high:  # recurring at random: a different day in each replication
        start += f" (a median over replications; in each, between day {low:g} and {high:g})"
    if crisis.first_stockout_day is None:
        return f"{start}; no stockout anywhere after it."
    of = (f" (median of the {crisis.replications_short} of {crisis.replications} replications "
          f"with one; earliest day {crisis.earliest:g})" if crisis.replications > 1 else "")
    return (f"{start}; first stockout anywhere after it: day "
            f"{crisis.first_stockout_day:g}{of}.")


# --- batches ------------------------------------------------------------------------------------

CELL = len("100.0% ±0.0")
WIDEST_HEADER = 20


def variant_headers(names: Sequence[str], width: int) -> tuple[list[str], list[str]]:
    """Column headers for variants and the legend lines they need.

    A name is its own header when each of its words fits `width` (Rich wraps on spaces, and
    cuts a longer word); otherwise every variant gets a label (V1, V2, ...) and the legend
    gives the full names, so two columns never read alike.
    """
    if all(len(word) <= width for name in names for word in name.split()):
        return list(names), []
    labels = [f"V{i + 1}" for i in range(len(names))]
    return labels, [f"{label}: {name}" for label, name in zip(labels, names, strict=True)]


def batch_report(fill: pd.DataFrame, variants: Sequence[str], replications: int, what: str,
                 width: int) -> Report:
    """Product groups down, variants across, as many tables as the width needs.

    `fill` has variant, group, mean, ci95_high (from `sim.batch.stats.describe`).
    """
    report = Report()
    if fill.empty:
        report.note("No rows match: see summary.csv for every KPI.", dim=False)
        return report
    groups = list(dict.fromkeys(fill["group"].astype(str)))
    group_width = max(len("group"), *map(len, groups))
    # A column may widen for a name's longest word (duration_days=30), not for a linked
    # sweep's run-on name: that gets a label and a legend line instead.
    longest = max(len(word) for name in variants for word in name.split())
    column = max(CELL, longest) if longest <= WIDEST_HEADER else CELL
    per_table = max(1, (width - group_width - 3) // (column + 3))
    headers, legend = variant_headers(variants, column)
    cells = {(str(r.variant), str(r.group)): r for r in fill.itertuples(index=False)}
    report.note(f"{what} (mean ± 95 % CI over {replications} replications)", dim=False)
    for start in range(0, len(variants), per_table):
        chunk = list(range(start, min(start + per_table, len(variants))))
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("group", no_wrap=True)
        for i in chunk:
            table.add_column(escape(headers[i]), justify="right", min_width=column)
        for group in groups:
            row = []
            for i in chunk:
                hit = cells.get((variants[i], group))
                if hit is None:
                    row.append("–")
                    continue
                text = _fmt(hit.mean, "{:.1%}")
                if not math.isnan(hit.ci95_high):
                    text += f" ±{(hit.ci95_high - hit.mean) * 100:.1f}"
                row.append(text)
            table.add_row(escape(group), *row)
        report.table(table)
    for line in legend:
        report.note(line, dim=False)
    return report
