"""`beredskap report`: one self-contained HTML file, checked as text and in headless Chromium.

The browser test runs Debian's `chromium` with name resolution switched off (every host maps to
NOTFOUND), so a report that reached for the network would show a broken image and a console
message; the report itself forbids any load but inline data (Content-Security-Policy), and any
console message at all fails the test (the report has no scripts). A control page proves the
console check can fail. `.ci/run` installs chromium and sets BEREDSKAP_REQUIRE_BROWSER=1, so in
CI a missing browser is a failure, not a skip.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import sim
import sim.network
from sim.cli import app
from sim.situation.texts import TEXTS
from tests.batch_helpers import SCENARIO

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ("picture", "first", "fill", "roles", "timeline", "assumptions")
EXTERNAL = re.compile(r"""(?:https?|ftp)://|(?:src|href)\s*=\s*["']//""", re.IGNORECASE)


def two_regions() -> dict:
    data = copy.deepcopy(SCENARIO)
    data["name"] = "report-test"
    data["nodes"][4]["region"] = "skane"  # ward_2
    data["horizon_days"] = 50
    return data


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    scenario = root / "report_test.yaml"
    scenario.write_text(yaml.safe_dump(two_regions(), sort_keys=False), encoding="utf-8")
    run = root / "run"
    res = runner.invoke(app, ["run", str(scenario), "-r", "3", "--out", str(run), "-q"])
    assert res.exit_code == 0, res.output
    batch = root / "batch"
    res = runner.invoke(app, ["batch", str(scenario), "-r", "3", "--workers", "1",
                              "--sweep", "nodes[wholesaler].policy.saline.level=20,80",
                              "--tables", "kpis,daily,events", "--daily", "region",
                              "--out", str(batch), "-q"])
    assert res.exit_code == 0, res.output
    return {"run": run, "batch": batch, "root": root}


def report(folder, *args) -> str:
    res = runner.invoke(app, ["report", str(folder), *args])
    assert res.exit_code == 0, res.output
    return res.output


@pytest.mark.parametrize("kind", ["run", "batch"])
@pytest.mark.parametrize("lang", ["sv", "nb", "en"])
def test_report_is_self_contained_with_every_section(folders, kind, lang):
    report(folders[kind], "--lang", lang)
    path = folders[kind] / f"report.{lang}.html"
    html = path.read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f'<section id="{section}">' in html
    assert TEXTS[lang]["title"] in html and f'<html lang="{lang}">' in html
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    assert "<script" not in html and "<link" not in html
    # Both regions in the heatmaps' table, the disruption in the timeline, the seed cited.
    assert html.count("data:image/png;base64,") == 2 + 1  # two groups, one timeline
    assert "Slow roads" in html and "Trauma at ward 0" in html
    assert "skane" in html and "uppsala" in html
    assert 20_000 < path.stat().st_size < 1_000_000
    if kind == "batch":
        assert "level=20" in html and "level=80" in html  # fill per variant
    # Percentages in the language's style: 57.7% (en), 57,7 % (sv, nb).
    if lang == "en":
        assert re.search(r"\d+\.\d%", html)
    else:
        assert re.search("\\d+,\\d\u00a0%", html) and not re.search(r"\d+\.\d%", html)
    # Key assumptions: the nodes' own stock and policies, summarised per role.
    assumptions = html[html.index('<section id="assumptions">'):]
    assert "ward (3)" in assumptions and "wholesaler (1)" in assumptions
    assert "policy saline: type base_stock, level 8 (×3)" in assumptions
    assert "stock gloves: initial 40 (×3)" in assumptions


def test_words_exist_in_every_language():
    keys = set(TEXTS["en"])
    for lang, words in TEXTS.items():
        assert set(words) == keys, lang


def test_report_names_a_missing_daily_table(folders, tmp_path):
    out = tmp_path / "r.html"
    batch = folders["root"] / "kpis_only"
    res = runner.invoke(app, ["batch", str(folders["root"] / "report_test.yaml"), "-r", "2",
                              "--workers", "1", "--out", str(batch), "-q"])
    assert res.exit_code == 0, res.output
    report(batch, "--out", str(out))
    html = out.read_text(encoding="utf-8")
    assert "--tables kpis,daily,events --daily region" in html


# A situation report is sent on: attached to an email, put on a USB stick, opened on an office PC.
# 2 MB keeps it far below mail limits (10-25 MB per message is common) and quick to open over a
# slow link. What it holds grows with regions x product groups (a heatmap per group, a row per
# region in each; the first-stockout and lowest-days tables), not with replications (medians and
# ranges are computed before rendering) and barely with days (the heatmaps are a fixed 9 inches
# wide). Measured on the three-month national scenario, daily by region: 0.46-0.49 MB for its
# full 150 days (1 or 2 replications, 1 or 2 variants), 0.44 MB for the 30 days below.
NATIONAL_REPORT_LIMIT = 2_000_000


def test_a_national_batch_report_is_small_enough_to_send(tmp_path):
    """The three-month degraded scenario on the Swedish reference network (21 regions, every
    product group) as a 2-replication batch, shortened to 30 days after the warm-up to keep the
    test quick (about 11 s of CPU: 4 s the batch, 6 s the report's ten heatmaps); the report is
    complete and under the limit."""
    scenario = tmp_path / "national.yaml"
    base = ROOT / "scenarios" / "three_months_degraded.yaml"
    scenario.write_text(yaml.safe_dump({"extends": str(base), "horizon_days": 60}),
                        encoding="utf-8")
    batch = tmp_path / "batch"
    res = runner.invoke(app, ["batch", str(scenario), "-r", "2", "--workers", "1",
                              "--tables", "kpis,daily,events", "--daily", "region",
                              "--out", str(batch), "-q"])
    assert res.exit_code == 0, res.output
    report(batch, "--lang", "sv")
    path = batch / "report.sv.html"
    html = path.read_text(encoding="utf-8")
    # A complete report, or the size says nothing: a heatmap per product group and the
    # timeline, every region, the batch's median and 10-90 % table.
    sc = sim.load_scenario(scenario)
    # Days of supply are of what demand points use: a group only makers hold (components)
    # has no heatmap.
    net = sim.network.network_of(sc)
    groups = {sc.products[pid].group
              for pid, u in zip(net.product_ids, net.has_demand.any(axis=0), strict=True) if u}
    assert {p.group for p in sc.products.values()} - groups == {"components"}
    regions = {n.region for n in sc.nodes if n.country == "SE"}
    assert len(groups) >= 9 and len(regions) == 21
    for section in SECTIONS:
        assert f'<section id="{section}">' in html
    assert html.count("data:image/png;base64,") == len(groups) + 1
    assert all(f">{r}<" in html for r in regions), sorted(r for r in regions
                                                        if f">{r}<" not in html)
    assert TEXTS["sv"]["lowest"] in html
    assert not EXTERNAL.search(html)
    assert path.stat().st_size < NATIONAL_REPORT_LIMIT, path.stat().st_size


@pytest.mark.parametrize(("args", "message"), [
    (["{root}/nowhere"], "nowhere does not exist"),
    (["{root}"], "is not a results folder (no manifest.json)"),
    (["{run}", "--lang", "dk"], "--lang 'dk': expected sv, nb, en"),
    (["{run}", "--variant", "x"], "--variant is for batch folders"),
    (["{batch}", "--variant", "levle=20"], "did you mean 'level=20'?"),
    (["{run}", "--out", "{root}"], "is a folder; give a file name"),
])
def test_bad_input_is_a_message_exit_2_nothing_written(folders, args, message):
    before = {p: p.stat().st_mtime for p in folders["root"].rglob("*")}
    filled = [a.format(**folders) for a in args]
    res = runner.invoke(app, ["report", *filled])
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert "Traceback" not in res.output
    after = {p: p.stat().st_mtime for p in folders["root"].rglob("*")}
    assert after == before


@pytest.mark.parametrize("manifest", ['{"plan": {}}', '{"plan": 5}', '{"plan": null}',
                                      '{"plan": {"variants": [5], "replications": 2}}',
                                      '{"plan": {"variants": [{"name": "a"}], "replications": 2}}'])
def test_a_damaged_batch_manifest_is_not_a_results_folder(tmp_path, manifest):
    (tmp_path / "manifest.json").write_text(manifest, encoding="utf-8")
    res = runner.invoke(app, ["report", str(tmp_path)])
    assert res.exit_code == 2, res.output
    assert "is not a" in res.output and "Traceback" not in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json"]


def chromium() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("BEREDSKAP_REQUIRE_BROWSER"):
            pytest.fail("chromium is not installed, and CI requires the browser test")
        pytest.skip("chromium is not installed (apt-get install chromium); CI installs it")
    return found


def browse(page, tmp_path, *extra: str) -> tuple[str, list[str]]:
    """Open `page` headless with no name resolution; return the DOM and console messages."""
    profile = tmp_path / f"profile-{page.stem}"
    cmd = [chromium(), "--headless=new", "--no-sandbox", "--disable-gpu",
           "--no-first-run", "--disable-extensions", "--disable-background-networking",
           "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=0",
           f"--user-data-dir={profile}", *extra, page.as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return done.stdout, console


def test_chromium_opens_the_report_offline_without_console_messages(folders, tmp_path):
    report(folders["batch"], "--lang", "sv")
    page = folders["batch"] / "report.sv.html"
    dom, console = browse(page, tmp_path, "--dump-dom")
    assert console == []
    for section in SECTIONS:
        assert f'id="{section}"' in dom
    assert dom.count("<img") == 3 and "Lägesbild" in dom
    shot = tmp_path / "report.png"
    browse(page, tmp_path, f"--screenshot={shot}", "--window-size=1200,2400")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_the_console_check_can_fail(tmp_path):
    page = tmp_path / "bad.html"
    csp = ("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
           "img-src data:\">")
    page.write_text(f"<!DOCTYPE html><html><head>{csp}</head><body>"
                    "<img src='http://example.com/x.png'></body></html>", encoding="utf-8")
    _, console = browse(page, tmp_path, "--dump-dom")
    assert any("Content Security Policy" in line for line in console), console


def test_an_edited_scenario_file_is_not_mixed_with_the_old_batch(tmp_path):
    """The batch folder keeps the scenario as run (with --set overrides): the report reads
    that, whatever happened to the file since. A folder without the copy (older batches) reads
    the file, and refuses one that no longer hashes to what ran."""
    scenario = tmp_path / "s.yaml"
    data = two_regions()
    scenario.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    batch = tmp_path / "b"
    res = runner.invoke(app, ["batch", str(scenario), "-r", "2", "--workers", "1",
                              "--tables", "kpis,daily,events", "--daily", "region",
                              "--set", "horizon_days=45", "--out", str(batch), "-q"])
    assert res.exit_code == 0, res.output
    data["horizon_days"] = 70
    scenario.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    report(batch, "--out", str(tmp_path / "kept.html"))
    kept = (tmp_path / "kept.html").read_text(encoding="utf-8")
    assert kept.count("data:image/png;base64,") == 3 and "edited since it ran" not in kept
    assert ">45<" in kept and ">70<" not in kept
    (batch / "scenario.json").unlink()
    report(batch, "--out", str(tmp_path / "edited.html"))
    html = (tmp_path / "edited.html").read_text(encoding="utf-8")
    assert "edited since it ran" in html
    assert html.count("data:image/png;base64,") == 1  # the timeline, from the events
    assert ">70<" not in html and TEXTS["en"]["horizon"] not in html


def test_a_factory_loss_shows_its_restart_and_recovery(tmp_path):
    data = two_regions()
    data["disruptions"].append({"type": "factory_loss", "name": "Plant fire", "nodes": ["maker"],
                                "start_day": 10, "duration_days": 5, "restart_days": 4,
                                "recovery_days": 6})
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    run = tmp_path / "run"
    res = runner.invoke(app, ["run", str(scenario), "-r", "1", "--out", str(run), "-q"])
    assert res.exit_code == 0, res.output
    report(run, "--out", str(tmp_path / "r.html"))
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr><td>(Plant fire[^<]*)</td><td class=\"num\">(\d+)</td>"
                      r"<td class=\"num\">(\d+)</td></tr>", html)
    # The window, then restart (4 days) and recovery (6 days) until day 25.
    assert rows == [("Plant fire", "10", "15"),
                    ("Plant fire (restart and recovery)", "15", "25")], rows

