"""MSELs that planners and platforms take as they are (issue 15, part 3): spaced exercise times,
singular and plural, unit words, the HSEEP column layout and the timeline (the OpenAEV import
sheet: test_injects_openaev.py). Files are read back; expected values come from the MSEL table
or by hand."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

import sim
from sim.cli import app
from sim.export import write_results
from sim.injects import build_msel, load_rules, timeline_figure, write_msel
from sim.injects.checks import start_fields
from sim.injects.export import exercise_lag
from sim.injects.fields import (
    COUNT_FIELDS,
    COUNTERMEASURE_WORDS,
    KIND_FIELDS,
    RATIONING_WORDS,
    TEXT_FIELDS,
)
from sim.injects.render import Timing, _Fields, schedule
from sim.injects.timeline import METHOD_MARKERS, method_markers, x_limits
from sim.injects.words import Count, Words
from tests.conftest import node, scenario
from tests.test_injects_small import crafted_events, small

runner = CliRunner()
SHIPPED = load_rules()
LANGS = ("sv", "nb", "en")
NODE_COUNTS = {"suppliers", "source_name", "receivers", "where"}
# Singular and plural of the nouns the shipped texts put after a count, per language.
NOUNS = {
    "sv": [("dag", "dagar"), ("dags", "dagars"), ("transportsträcka", "transportsträckor"),
           ("påse", "påsar"), ("enhet", "enheter"), ("produktionsdag", "produktionsdagar")],
    "nb": [("dag", "dager"), ("dags", "dagers"), ("transportstrekning", "transportstrekninger"),
           ("pose", "poser"), ("enhet", "enheter"), ("produksjonsdag", "produksjonsdager")],
    "en": [("day", "days"), ("day's", "days'"), ("transport link", "transport links"),
           ("bag", "bags"), ("unit", "units"), ("more day", "more days")],
}


@pytest.fixture(scope="module")
def crafted() -> sim.RunResult:
    return dataclasses.replace(sim.run(small(), seed=1), events=crafted_events())


# --- singular and plural ----------------------------------------------------------------------

def fields_for(n: int, names: set[str], lang: str) -> dict[str, str]:
    """Every field a template may use: counts are n, node lists n nodes, the rest a token."""
    bag = SHIPPED.labels[lang].units["bag"]
    out: dict[str, str] = {}
    for name in names:
        if name in NODE_COUNTS:
            out[name] = Count("Tamro" if n == 1 else f"{n} grossister", n)
        elif name in COUNT_FIELDS:
            out[name] = Count(str(n), n)
        elif name == "unit":
            out[name] = bag.one if n == 1 else bag.many
        else:
            out[name] = f"<{name}>"
    return out


def wrong_forms(text: str, n: int, lang: str) -> list[str]:
    """'1 dagar', '7 dag': a count with the wrong form of its noun."""
    found = []
    for one, many in NOUNS[lang]:
        wrong = many if n == 1 else one
        if re.search(rf"(?<![\d\w]){n} {re.escape(wrong)}(?![\w'])", text):
            found.append(f"{n} {wrong}")
    return found


def templates(lang: str):
    """(rule id, field names, template) for every text of every shipped rule in a language."""
    for rule_id, rule in SHIPPED.enabled_rules():
        kind = rule.when.kind
        names = (start_fields(rule.when.countermeasure_types)[0] if kind == "countermeasure_start"
                 else set(KIND_FIELDS[kind]))
        text = rule.text[lang]
        for key in TEXT_FIELDS:
            yield rule_id, names, getattr(text, "from_" if key == "from" else key)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("n", [0, 1, 7])
def test_every_template_reads_right_with_0_1_and_many(lang, n):
    checked = 0
    for rule_id, names, template in templates(lang):
        text = template.format_map(_Fields(fields_for(n, names, lang)))
        assert not re.search(r"[{}]|(?<!\S)#(?!\w)", text), (rule_id, text)
        assert not wrong_forms(text, n, lang), (rule_id, wrong_forms(text, n, lang), text)
        checked += 1
    labels = SHIPPED.labels[lang]
    phrases = [labels.links, labels.list_more, *labels.effects.values(),
               *{**RATIONING_WORDS, **labels.rationing}.values(),
               *{**COUNTERMEASURE_WORDS, **labels.countermeasures}.values()]
    for phrase in phrases:
        names = {name for name in re.findall(r"\{(\w+)", phrase)}
        text = phrase.format_map(_Fields({k: (Count(str(n), n) if k not in NODE_COUNTS else
                                              Count("Tamro" if n == 1 else "Tamro och Oriola", n))
                                          for k in names}))
        assert not re.search(r"[{}]|(?<!\S)#(?!\w)", text), (phrase, text)
        assert not wrong_forms(text, n, lang), (phrase, text)
    assert checked == 5 * len(SHIPPED.enabled_rules())


@pytest.mark.parametrize(("lang", "single", "many"), [
    ("sv", "Akademiska, akutmottagning (Region Uppsala) är det enda sjukhusapotek",
     "7 av 12 sjukhusapotek har nu mindre än 3 dagars förbrukning"),
    ("nb", "Akademiska, akutmottagning (Region Uppsala) er det eneste sykehusapoteket",
     "7 av 12 sykehusapotek har nå mindre enn 3 dagers forbruk"),
    ("en", "Akademiska, akutmottagning (Region Uppsala) is the only hospital pharmacy",
     "7 of 12 hospital pharmacies now hold less than 3 days' use"),
])
def test_a_single_node_is_named_not_counted(lang, single, many):
    text = SHIPPED.rules["hospital_pharmacy_dos"].text[lang].message
    names = set(KIND_FIELDS["dos_below"])
    for n, expected in ((1, single), (7, many)):
        fields = fields_for(n, names, lang)
        fields.update(node_name="Akademiska, akutmottagning", region_name="Region Uppsala",
                      of_count=Count("12", 12), threshold=Count("3", 3))
        out = text.format_map(_Fields(fields))
        assert expected in out, out
        assert (" 1 av " not in out and " 1 of " not in out), out
        assert ("<node_list>" in out) == (n != 1)  # the list only says more than the name


def test_the_msel_names_the_only_ward_and_counts_transport_links(crafted):
    table = sim.injects(crafted, lang="en", baseline=False)
    # Crafted: on day 5 Akademiska and Lund (2 of 2 wards) run out of Ringer.
    ward = table[table["rule"] == "ward_first_stockout"].iloc[0]
    assert "The same day 2 of 2 wards report shortages of infusion fluids." in ward["message"]
    # The closure hits the single cross-border lane (maker_cn to the regional store).
    transport = table[table["rule"] == "transport_start"].iloc[0]
    assert "transport is disrupted on 1 transport link:" in transport["message"]
    sv = sim.injects(crafted, lang="sv", baseline=False)
    assert "störda på 1 transportsträcka:" in sv[sv["rule"] == "transport_start"].iloc[0][
        "message"]


@pytest.mark.parametrize(("lang", "unit", "one", "many"), [
    ("sv", "pair", "par", "par"), ("nb", "pair", "par", "par"), ("en", "pair", "pair", "pairs"),
    ("sv", "box", "kartong", "kartonger"), ("en", "tablet", "tablet", "tablets"),
    ("sv", "widget", "widget", "widget"), ("en", "widget", "widget", "widget"),
])
def test_units_are_translated_where_known_and_kept_otherwise(lang, unit, one, many):
    sc = scenario([node("w")], [], products={"p": {"name": "P", "group": "g", "unit": unit}})
    words = Words(lang, SHIPPED.labels[lang], SHIPPED, sc, 0)
    assert (words.unit("p", 1), words.unit("p", 1113)) == (one, many)


# --- exercise time ----------------------------------------------------------------------------

def test_compressed_injects_are_spaced_in_order():
    """24 scenario days an hour: a day is 2.5 exercise minutes. Day 10's four injects would all
    fall on minute 0 and day 11's on 2 (2.5 rounded to even); with 3 minutes' spacing they come
    at 0, 3, 6, 9 and 12; day 20's, 25 minutes in, is on time again."""
    timing = Timing(from_day=10, day_start=8 * 60, day_end=9 * 60, spacing=15, compress=24.0,
                    exercise_spacing=3)
    days = np.array([10, 10, 10, 10, 11, 20])
    minutes = schedule(days, timing)["exercise_elapsed"] / pd.Timedelta(minutes=1)
    assert list(minutes) == [0, 3, 6, 9, 12, 25]
    unspaced = dataclasses.replace(timing, exercise_spacing=0)
    assert list(schedule(days, unspaced)["exercise_elapsed"] / pd.Timedelta(minutes=1)) == [
        0, 0, 0, 0, 2, 25]


def test_the_msel_is_spaced_by_the_rules(crafted):
    table = sim.injects(crafted, lang="en", compress=24, baseline=False)
    minutes = (table["exercise_elapsed"] / pd.Timedelta(minutes=1)).to_numpy()
    assert (np.diff(minutes) >= 3).all()  # the shipped exercise_spacing_minutes
    ideal = ((table["scenario_day"] - 0) * 1440 + table["time"].map(
        lambda t: int(t[:2]) * 60 + int(t[3:]) - 8 * 60)) / 1440 / 24 * 60
    assert (minutes >= np.round(ideal.to_numpy()) - 1e-9).all()  # never early


def test_the_planner_is_told_how_far_the_spacing_delays_injects(crafted, tmp_path):
    # The spacing keeps order by delaying a busy stretch; how far behind the compressed
    # scenario time that runs is said in the about sheet and by the command (it was not:
    # on the degraded scenario at --compress 24, up to an hour, 27 scenario days).
    msel = build_msel(crafted, lang="en", compress=24, baseline=False)
    table = msel.table
    minutes = (table["exercise_elapsed"] / pd.Timedelta(minutes=1)).to_numpy()
    ideal = np.round((table["scenario_day"] * 1440 + table["time"].map(
        lambda t: int(t[:2]) * 60 + int(t[3:]) - 8 * 60)).to_numpy() / 1440 / 24 * 60)
    lag = int((minutes - ideal).max())
    assert lag > 0 and exercise_lag(msel) == lag
    assert exercise_lag(build_msel(crafted, lang="en", baseline=False)) == 0  # no --compress
    path = write_msel(msel, tmp_path / "msel.xlsx")
    about = dict(load_workbook(path)["About this MSEL"].iter_rows(min_row=2, values_only=True))
    assert about["Time compression (scenario days per exercise hour)"].startswith(
        f"24 (injects at least 3 min apart: on busy days up to {lag} min after")
    folder = write_results(crafted, tmp_path / "run")
    done = runner.invoke(app, ["injects", str(folder), "--lang", "en", "--compress", "24",
                               "--no-baseline", "--no-timeline"])
    assert done.exit_code == 0, done.output
    assert (f"exercise times at least 3 min apart, up to {lag} min after their compressed "
            "time on busy days") in " ".join(done.output.split())


@pytest.mark.parametrize(("args", "message"), [
    (["--start", "9999-12-31T08:00"], "the MSEL's days 0-"),
    (["--start", "2262-04-01"], "would end after 2262-04-10, the last date its files can hold"),
    (["--compress", "1e-9"], "years of exercise time; give a larger number"),
    (["--start", "2260-01-01", "--compress", "0.001"], "the exercise would end after 2262"),
])
def test_dates_and_exercise_times_past_what_files_hold_are_bad_input(crafted, tmp_path, args,
                                                                     message):
    # Found in review: an OverflowError traceback, or pandas' own words about timedelta64.
    folder = write_results(crafted, tmp_path / "run")
    out = tmp_path / "m.xlsx"
    done = runner.invoke(app, ["injects", str(folder), *args, "--no-baseline", "--out",
                               str(out)])
    assert done.exit_code == 2, done.output
    said = " ".join(done.output.split())
    assert message in said and "Traceback" not in said, said
    assert not out.exists()


# --- files ------------------------------------------------------------------------------------

def test_the_xlsx_has_the_hseep_msel_layout(crafted, tmp_path):
    msel = build_msel(crafted, lang="en", start="2027-03-01T08:00", compress=24,
                      baseline=False)
    path = write_msel(msel, tmp_path / "msel.xlsx")
    headings = [c.value for c in load_workbook(path)["MSEL"][1]]
    assert headings[:15] == [
        "No.", "Scenario day", "Time", "Designated scenario time", "Exercise time elapsed",
        "Exercise time", "Event synopsis", "Responsible controller", "Inject mode", "From",
        "To (intended player)", "Inject / message", "Expected player action",
        "Objective / core capability", "Notes"]


# --- timeline ---------------------------------------------------------------------------------

def test_the_timeline_has_a_fixed_shape_per_channel_and_nothing_clipped(crafted):
    msel = build_msel(crafted, lang="sv", baseline=False)
    shapes = method_markers(msel)
    assert shapes == {"Telefon": "o", "E-post": "s", "Media": "^", "Lägesrapport": "D"}
    assert set(METHOD_MARKERS) == set(SHIPPED.labels["sv"].methods)
    # A table whose first inject is an email still draws telephones as circles.
    emails_first = dataclasses.replace(msel, table=msel.table.sort_values(
        "method", key=lambda m: m != "E-post", kind="stable").reset_index(drop=True))
    for figure_msel in (msel, emails_first):
        figure = timeline_figure(figure_msel)
        ax = figure.axes[0]
        drawn = {c.get_label(): c.get_gid() for c in ax.collections if c.get_gid()}
        assert drawn == {m: f"method:{shapes[m]}" for m in set(figure_msel.table["method"])}
        low, high = ax.get_xlim()
        assert (low, high) == x_limits(msel)
        days = figure_msel.table["scenario_day"]
        assert low <= days.min() - 1 and high >= days.max() + 1  # a marker's width to spare
        bottom, top = ax.get_ylim()
        for c in ax.collections:
            if c.get_gid():
                ys = c.get_offsets()[:, 1]
                assert bottom + 0.3 <= ys.min() and ys.max() <= top - 0.3
        bar = [a for a in ax.child_axes if a.get_ylabel() == "Allvarlighetsgrad"]
        assert len(bar) == 1
        assert bar[0].get_xlabel() == "regel 0–100\n+ intensitet 0–20\n+ bredd 0–10"
