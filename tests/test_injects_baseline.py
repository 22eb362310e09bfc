"""Crisis against normal: triggers a run without the crisis also has are dropped (docs/injects.md,
"Crisis against normal"). Every expected day below is derived by hand in the comments."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

import sim
from sim.cli import app
from sim.export import write_results
from sim.injects import TOLERANCE_DAYS, build_msel, without_crisis
from sim.injects.baseline import run_without_crisis
from sim.injects.fields import COUNTERMEASURE_KINDS
from tests.conftest import node, scenario

runner = CliRunner()
PRODUCTS = {
    "a": {"name": "Handske", "group": "ppe", "unit": "pair"},
    "b": {"name": "Ringer", "group": "infusion_fluids", "unit": "bag"},
    "c": {"name": "Syrgas", "group": "medical_gases", "unit": "cylinder"},
    "d": {"name": "Morfin", "group": "analgesics", "unit": "ampoule"},
}
STOCK = {"a": 30, "b": 200, "c": 100, "d": 1000}


def loss(name: str, product: str, share: float) -> dict:
    return {"type": "stock_loss", "name": name, "start_day": 5, "where": {"nodes": ["w"]},
            "products": [product], "share": share}


def one_ward() -> sim.Scenario:
    """A ward using 10 a day of four products, never resupplied; the crisis destroys stock on
    day 5.

    A: 30 on hand, empty at the end of day 2 in both runs (normal operations).
    B: 200, empty at the end of day 19 normally; half of the 150 left on day 5 burns, so
       75 - 10 x 7 = 5 open day 12: out on day 12, a week early.
    C: 100, empty at the end of day 9 normally; a fifth of the 50 left is lost, 40 last to
       the end of day 8: one day early, within the tolerance.
    D: 1000 lasts the run normally; floor(0.97 x 950) = 921 stolen, 29 open day 5: out on
       day 7.
    """
    ward = node("w", "ward", name="Akademiska, IVA",
                demand={p: {"mean_per_day": 10, "distribution": "deterministic"}
                        for p in PRODUCTS},
                stock={p: {"initial": units} for p, units in STOCK.items()},
                policy={p: {"type": "none"} for p in PRODUCTS})
    return scenario([ward], [], horizon=40, products=PRODUCTS, disruptions=[
        loss("Brand B", "b", 0.5), loss("Vattenskada C", "c", 0.2), loss("Stöld D", "d", 0.97)])


@pytest.fixture(scope="module")
def crisis() -> sim.RunResult:
    return sim.run(one_ward(), seed=1)


@pytest.fixture(scope="module")
def folder(crisis, tmp_path_factory):
    return write_results(crisis, tmp_path_factory.mktemp("baseline") / "crisis")


def stockouts(table: pd.DataFrame) -> list[tuple[int, str, str]]:
    rows = table[table["rule"] == "ward_first_stockout"]
    return [(d, s.removeprefix("First ward stockout: "), b) for d, s, b in zip(
        rows["scenario_day"], rows["synopsis"], rows["baseline"], strict=True)]


def test_the_runs_do_what_the_docstring_says(crisis):
    normal = sim.run(without_crisis(one_ward()), seed=1)
    assert not normal.scenario.disruptions
    for res, expected in ((crisis, [(2, "a"), (7, "d"), (8, "c"), (12, "b")]),
                          (normal, [(2, "a"), (9, "c"), (19, "b")])):
        ev = res.events[res.events["kind"] == "stockout_start"]
        assert list(zip(ev["day"], ev["product"], strict=True)) == expected


def test_normal_stockouts_drop_and_the_crisis_ones_stay(crisis):
    plain = sim.injects(crisis, lang="en", baseline=False)
    assert [(d, s) for d, s, _ in stockouts(plain)] == [
        (2, "Handske"), (7, "Morfin"), (8, "Syrgas"), (12, "Ringer")]
    assert plain["baseline"].isna().all()  # not compared: nothing to say
    msel = build_msel(crisis, lang="en")
    # Handske (the same day) and Syrgas (a day apart, within 3) are normal operations; Morfin
    # never runs out normally; Ringer does, a week later.
    assert stockouts(msel.table) == [
        (7, "Morfin", "not in the run without the crisis"),
        (12, "Ringer", "in the run without the crisis: day 19")]
    # The rest is the crisis itself.
    others = msel.table[msel.table["rule"] != "ward_first_stockout"]
    assert set(others["rule"]) == {"stock_loss_start", "disruption_end"}
    assert (others["baseline"] == "not in the run without the crisis").all()
    base = msel.baseline
    assert base is not None and base.tolerance_days == TOLERANCE_DAYS == 3
    assert base.description == ("the same scenario without its 3 disruptions (seed 1, "
                                "replication 0)")
    # Dropped: A's and C's stockouts and the days-of-supply alarms both runs share before
    # day 5 or within 3 days (triggers with no rule among them).
    assert base.dropped == base.compared - msel.triggers and base.dropped >= 2


def test_the_tolerance_decides_what_is_the_same(crisis):
    exact = sim.injects(crisis, lang="en", tolerance_days=0)
    assert [(d, s) for d, s, _ in stockouts(exact)] == [
        (7, "Morfin"), (8, "Syrgas"), (12, "Ringer")]
    assert stockouts(exact)[1][2] == "in the run without the crisis: day 9"
    wide = sim.injects(crisis, lang="en", tolerance_days=7)
    assert [(d, s) for d, s, _ in stockouts(wide)] == [(7, "Morfin")]  # 12 vs 19: 7 days
    with pytest.raises(ValueError, match="tolerance -1: days must be a whole number"):
        sim.injects(crisis, tolerance_days=-1)


def test_a_baseline_run_given_is_used_and_must_share_the_seed(crisis):
    normal = sim.run(without_crisis(one_ward()), seed=1)
    given = build_msel(crisis, lang="sv", baseline=normal).table
    first = given[given["rule"] == "ward_first_stockout"]
    assert first["product"].tolist() == ["d", "b"]
    assert first["baseline"].tolist() == ["inte i körningen utan krisen",
                                          "i körningen utan krisen: dag 19"]
    other = sim.run(without_crisis(one_ward()), seed=2)
    with pytest.raises(ValueError, match="baseline seed 2 differs from the run's seed 1"):
        build_msel(crisis, baseline=other)
    with pytest.raises(ValueError, match="replication 1 is not in the baseline run"):
        build_msel(sim.run(one_ward(), seed=1, replications=2), replication=1, baseline=normal)


def test_a_scenario_without_disruptions_is_its_own_baseline(tmp_path):
    # Its run without disruptions is the run itself (same seed and replication): everything
    # in it is normal operations, and only countermeasures stay (issue 15: the baseline's own
    # MSEL is empty or nearly so).
    data = without_crisis(one_ward()).resolved()
    data["countermeasures"] = [{"type": "use_expired", "name": "dag 3", "on_day": 3,
                                "extend_days": 5}]
    normal = sim.run(sim.from_dict(data), seed=1)
    again = run_without_crisis(normal.scenario, 1, 0)  # what a second run would have given
    pd.testing.assert_frame_equal(again.events.reset_index(drop=True),
                                  normal.events.reset_index(drop=True))
    plain = build_msel(normal, lang="en", baseline=False)
    assert plain.baseline is None
    assert [(d, s) for d, s, _ in stockouts(plain.table)] == [
        (2, "Handske"), (9, "Syrgas"), (19, "Ringer")]
    for given in (None, True):
        msel = build_msel(normal, lang="en", baseline=given)
        assert msel.baseline is not None and msel.baseline.description.startswith(
            "the run itself: scenario")
        assert msel.baseline.dropped == msel.baseline.compared - msel.triggers > 0
        kinds = set(msel.table["kind"])
        assert kinds and kinds <= set(COUNTERMEASURE_KINDS), kinds
        assert set(msel.table["kind"]) == set(plain.table["kind"]) & set(COUNTERMEASURE_KINDS)
    folder = write_results(sim.run(without_crisis(one_ward()), seed=1), tmp_path / "normal")
    done = runner.invoke(app, ["injects", str(folder), "--lang", "en", "--no-timeline",
                               "--out", str(tmp_path / "m.csv")])
    assert done.exit_code == 0, done.output
    said = " ".join(done.output.split())
    assert "compared with the run itself: scenario" in said
    assert "no injects: all" in said and "are normal operations" in said
    assert pd.read_csv(tmp_path / "m.csv", encoding="utf-8-sig").empty


def test_countermeasures_after_a_disruption_leave_with_it():
    data = one_ward().resolved()
    data["countermeasures"] = [
        {"type": "use_expired", "name": "efter", "after": "Brand B", "extend_days": 5},
        {"type": "use_expired", "name": "dag 3", "on_day": 3, "extend_days": 5}]
    normal = without_crisis(sim.from_dict(data))
    assert [c.name for c in normal.countermeasures] == ["dag 3"]
    assert normal.disruptions == [] and normal.nodes == one_ward().nodes


def test_the_command_compares_by_itself_and_says_so(folder, tmp_path):
    out = tmp_path / "msel.xlsx"
    done = runner.invoke(app, ["injects", str(folder), "--lang", "en", "--out", str(out),
                               "--no-timeline"])
    assert done.exit_code == 0, done.output
    said = " ".join(done.output.split())
    assert "compared with the same scenario without its 3 disruptions (seed 1, replication 0):" \
           in said and "dropped as normal operations (the same within 3 days)" in said
    book = load_workbook(out)
    headings = [c.value for c in book["MSEL"][1]]
    assert "Without the crisis" in headings
    about = dict(book["About this MSEL"].iter_rows(min_row=2, values_only=True))
    assert about["Compared with"].startswith("the same scenario without its 3 disruptions")
    plain = tmp_path / "plain.csv"
    done = runner.invoke(app, ["injects", str(folder), "--lang", "en", "--out", str(plain),
                               "--no-baseline", "--no-timeline"])
    assert done.exit_code == 0, done.output
    assert "not compared with normal operations" in " ".join(done.output.split())
    table = pd.read_csv(plain, encoding="utf-8-sig")
    assert "Without the crisis" not in table.columns
    assert (table["Rule"] == "ward_first_stockout").sum() == 4


@pytest.mark.parametrize(("args", "message"), [
    (["--no-baseline", "--baseline", "x"], "give --baseline or --no-baseline, not both"),
    (["--baseline", "nowhere"], "nowhere: no such results folder"),
    (["--tolerance", "-1"], "Invalid value for '--tolerance'"),
])
def test_bad_baselines_exit_2_and_write_nothing(folder, tmp_path, args, message):
    out = tmp_path / "x.xlsx"
    done = runner.invoke(app, ["injects", str(folder), "--out", str(out), *args])
    assert done.exit_code == 2, done.output
    assert message in " ".join(done.output.split())
    assert not out.exists()


def test_a_baseline_folder_with_another_seed_is_refused(folder, tmp_path):
    other = write_results(sim.run(without_crisis(one_ward()), seed=7), tmp_path / "normal")
    out = tmp_path / "x.xlsx"
    done = runner.invoke(app, ["injects", str(folder), "--out", str(out), "--baseline",
                               str(other)])
    assert done.exit_code == 2
    assert "baseline seed 7 differs from the run's seed 1" in " ".join(done.output.split())
    assert not out.exists()
