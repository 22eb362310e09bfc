"""Run the historical replays and compare the model with what was observed.

    python scenarios/replays/validate.py                  # 20 replications each, print the table
    python scenarios/replays/validate.py -r 20 --write    # and write docs/validation.md's table
                                                          # and scenarios/replays/validation.json
    python scenarios/replays/validate.py --only apotekstjanst_2019 --write   # one replay
    python scenarios/replays/validate.py --render         # the table again from the json

Each replay (piperacillin_2016.yaml, baxter_2024.yaml, apotekstjanst_2019.yaml) runs over N
replications of its own seed (replication k is always the k-th child of the seed, so the first n
of any run are the same n; a replay may ask for more than `-r`: piperacillin runs at least 60,
since its start day is drawn over the importer's cycle). Per replication the script measures,
from the engine's daily records (`sim.engine.run_replication`, no tables built):

- onset: the first day on or after the disruption's start on which a demand point (ward,
  community pharmacy, municipal care) of the affected country or regions ends the day with a
  stockout of an affected product (docs/engine.md, KPIs), counted from the start (day 0 = the
  disruption's first day, read per replication from its `disruption_start` event: piperacillin
  draws its start day). A replication without one is censored: the table gives how many had
  one, and the mean is over those.
- depth: the lowest 7-day fill rate (served / demand, summed over the affected demand points and
  products) within the replay's window: how deep the shortage went in its worst week.
- duration: days from the onset to the last day with such a stockout, both included, within the
  horizon (a shortage still on at the end is cut there, and says so).
- replay-specific figures (the supplier's first undelivered order; planned operations postponed
  and cancelled within the observed three weeks).

The 95 % interval of a mean is mean +- t(0.975, n-1) sd / sqrt(n) over the replications. A
replay hits a figure when that interval meets the observed range. Two qualifications: a figure
that depends on an input the replay draws because no source gives it (`Replay.spread`) is
judged on single replications, since the one observed history is one draw (hit only when their
central 95 % lies inside the range, partial when the mean's interval meets it but they do not);
and a hit that rests on an ASSUMPTION that decides the figure (`Replay.assumed`) is reported as
consistent only under that assumption, with named variants that move it.
`--write` stores every figure (mean, sd, n) in validation.json, which tests/test_replays.py
reads, and rewrites the table between the markers in docs/validation.md. Run it again after a
change to the reference networks (sweden.yaml, norway.yaml) and commit both files.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from sim.engine import run_replication  # noqa: E402
from sim.network import network_of  # noqa: E402

DEMAND_POINTS = ("ward", "community_pharmacy", "municipal_care")
JSON_PATH = HERE / "validation.json"
DOC_PATH = ROOT / "docs" / "validation.md"
BEGIN = "<!-- BEGIN validate.py table -->"
END = "<!-- END validate.py table -->"
APOTEKSTJANST_REGIONS = ("sodermanland", "ostergotland", "jonkoping", "kalmar", "kronoberg")


@dataclass(frozen=True)
class Observed:
    """What the sources say, with the source, for one figure."""

    text: str
    source: str
    low: float | None = None
    high: float | None = None


# The figures no source gives for the replays that say so.
_UNSOURCED = {"depth": Observed("not in the sources", "-"),
              "duration": Observed("not in the sources", "-")}


@dataclass(frozen=True)
class Replay:
    """One replay: its file, what it hits, where it is measured and what was observed."""

    key: str
    file: str
    start: int
    products: Callable[[Any], list[str]]
    demand_points: Callable[[Any, int], bool]
    window: int | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    observed: dict[str, Observed] = field(default_factory=dict)
    extra: Callable[[Any, Any, Replay], dict[str, float]] | None = None
    assumed: dict[str, str] = field(default_factory=dict)
    """Per figure, the ASSUMPTION a hit on it rests on (a parameter no source gives that decides
    the figure): such a hit is reported as consistent only under that assumption."""
    spread: tuple[str, ...] = ()
    """Figures that depend on an input the replay draws per replication because no source gives
    it (piperacillin: where in the importer's ordering cycle the explosion fell). The one history
    observed is one draw of that input, so such a figure is judged on single replications, not
    on the mean: hit when the central 95 % of replications lie inside the observed range,
    partial when the mean's interval meets the range but single replications fall outside it,
    miss when the mean's interval misses it."""
    replications: int = 0
    """At least this many replications, whatever `-r` says: a drawn input needs them to cover
    its range."""
    control: bool = True
    """Also run it without its disruptions and countermeasures (the control): what the
    figures are in normal operations, so that noise is not read as the disruption's effect."""


def _group(*groups: str) -> Callable[[Any], list[str]]:
    return lambda sc: [p for p, spec in sc.products.items() if spec.group in groups]


def _supplier_cut(*nodes: str) -> Callable[[Any, Any, Replay], dict[str, float]]:
    """Days from the start to the first day one of `nodes` ships less of an affected product
    than its customers ordered that day."""
    def measure(net: Any, rep: Any, replay: Replay) -> dict[str, float]:
        rows = [net.node_ids.index(n) for n in nodes]
        cols = [net.product_ids.index(p) for p in replay.products(net.scenario)]
        d = rep.daily
        shipped = d.orders_shipped[:, rows][:, :, cols]
        cut = (shipped < d.orders[:, rows][:, :, cols]).any(axis=(1, 2))
        days = np.flatnonzero(cut[replay.start:])
        return {"supplier_cut": float(days[0]) if len(days) else math.nan}
    return measure


def _owed_in_november(source: str, cut: Callable[[Any, Any, Replay], dict[str, float]]
                      ) -> Callable[[Any, Any, Replay], dict[str, float]]:
    """What `source` owes of the affected products on 30 November (62 days after the start, 29
    September) more than on the start day: what the foreign makers had not delivered by the end
    of November; and `cut`'s figures."""
    def measure(net: Any, rep: Any, replay: Replay) -> dict[str, float]:
        i = net.node_ids.index(source)
        cols = [net.product_ids.index(p) for p in replay.products(net.scenario)]
        owed = rep.daily.backorders[:, i, cols].sum(axis=1)
        end = min(replay.start + 62, len(owed) - 1)
        return {"owed": float(owed[end] - owed[replay.start]), **cut(net, rep, replay)}
    return measure


def _operations(window: int) -> Callable[[Any, Any, Replay], dict[str, float]]:
    """Planned operations postponed and cancelled in the five regions within `window` days.

    Only operating and intensive-care wards (tag op_iva) in the five regions defer, and the only
    deferrable category they admit is planned surgery (reference/sweden.yaml), so their
    admissions_deferred and admissions_cancelled events count operations.
    """
    def measure(net: Any, rep: Any, replay: Replay) -> dict[str, float]:
        theatres = {i for i, n in enumerate(net.node_ids)
                    if n.endswith("_op_iva") and net.regions[i] in APOTEKSTJANST_REGIONS}
        out = {"postponed": 0.0, "cancelled": 0.0}
        for chunk in rep.events:
            if chunk.kind not in ("admissions_deferred", "admissions_cancelled"):
                continue
            if not replay.start <= chunk.day < replay.start + window:
                continue
            hit = sum(float(v) for n, v in zip(chunk.nodes.tolist(), chunk.values.tolist(),
                                                   strict=True)
                      if n in theatres)
            out["postponed" if chunk.kind == "admissions_deferred" else "cancelled"] += hit
        return out
    return measure


def _variant(base: Replay, key: str, overrides: dict[str, Any], compared: tuple[str, ...],
             assumed: dict[str, str] | None = None) -> Replay:
    """A named variant of a replay: its file with `overrides`, no control run of its own, and
    only the `compared` figures set against the observed ones (`assumed`: as `Replay.assumed`,
    the base's when not given)."""
    return replace(base, key=key, control=False, overrides=overrides,
                   observed={k: base.observed[k] for k in compared},
                   assumed=base.assumed if assumed is None else assumed)


def _distributor_days(days: int) -> dict[str, Any]:
    """baxter_2024.yaml with the distributor at `days` of stock instead of 14: initial stock and
    order-up-to level `days`, reorder point 4 days below (the file's 10/14 keeps orders of 4
    days' use; only the level moves)."""
    stem = "nodes[distributor]"
    return {f"{stem}.stock.iv_fluid_1l.initial_days": days,
            f"{stem}.policy.iv_fluid_1l.reorder_days": days - 4,
            f"{stem}.policy.iv_fluid_1l.target_days": days}


PIPERACILLIN = Replay(
    key="piperacillin_2016",
    file="piperacillin_2016.yaml",
    # The file draws the explosion's day over days 30-90 (one cycle of the importer's orders);
    # `start` is only the control run's day 0.
    start=30,
    spread=("onset",),
    replications=60,
    products=lambda sc: ["piptazo_inj"],
    demand_points=lambda net, i: net.countries[i] == "NO",
    observed={
        "onset": Observed(
            "April 2017, 152-211 days after an explosion in October 2016",
            "004_f3caacd9444b40c3.txt (Helsedirektoratet 2019); DOMAIN.md", 152, 211),
        **_UNSOURCED,
    },
)
BAXTER = Replay(
    key="baxter_2024",
    file="baxter_2024.yaml",
    start=29,
    products=lambda sc: ["iv_fluid_1l"],
    demand_points=lambda net, i: True,
    extra=_supplier_cut("distributor"),
    # The distributor's 14 days (baxter_2024.yaml, ASSUMPTION) decide the first undelivered
    # order: the variants baxter_2024_distributor_7_days and _21_days show how far.
    assumed={"supplier_cut": "14 days' distributor stock"},
    observed={
        "onset": Observed(
            "no ward stockouts reported; stocks varied widely", "DOMAIN.md (Sweden, Nov 2024)"),
        "supplier_cut": Observed(
            "November 2024: thousands of packages not delivered, 33-62 days after 29 Sep",
            "DOMAIN.md (Baxter North Cove 2024, Sweden)", 33, 62),
        **_UNSOURCED,
    },
)
BAXTER_SWEDEN = Replay(
    key="baxter_2024_sweden",
    file="baxter_2024_sweden.yaml",
    start=30,
    products=lambda sc: [p for p in ("ringer_acetat_1l", "nacl_1l", "nacl_100ml",
                                     "glucos_50_1l", "glucos_100_500ml")],
    demand_points=lambda net, i: net.countries[i] == "SE",
    extra=_owed_in_november("maker_eu", _supplier_cut("tamro", "oriola")),
    observed={
        "onset": Observed(
            "no ward stockouts reported; stocks varied widely", "DOMAIN.md (Sweden, Nov 2024)"),
        "supplier_cut": Observed(
            "November 2024: thousands of packages not delivered, 33-62 days after 29 Sep",
            "DOMAIN.md (Baxter North Cove 2024, Sweden)", 33, 62),
        "owed": Observed("thousands of packages not delivered in November (package size "
                         "not given)", "DOMAIN.md (Baxter North Cove 2024, Sweden)"),
        **_UNSOURCED,
    },
)
APOTEKSTJANST = Replay(
    key="apotekstjanst_2019",
    file="apotekstjanst_2019.yaml",
    start=30,
    window=21,
    products=_group("polymer_devices", "ppe"),
    demand_points=lambda net, i: net.regions[i] in APOTEKSTJANST_REGIONS,
    extra=_operations(21),
    observed={
        "onset": Observed("not in the sources (within the three weeks)", "DOMAIN.md"),
        "depth": Observed("deliveries a sixth to a half of orders (an input here)",
                          "DOMAIN.md"),
        "postponed": Observed("481 operations cancelled in three weeks",
                              "DOMAIN.md (Apotekstjänst 2019)", 481, 481),
        "cancelled": Observed("481 operations cancelled in three weeks",
                              "DOMAIN.md (Apotekstjänst 2019)", 481, 481),
    },
)
REPLAYS: tuple[Replay, ...] = (
    PIPERACILLIN,
    BAXTER,
    BAXTER_SWEDEN,
    # Hospital stocks "varied widely" (DOMAIN.md): hospitals at two weeks instead of a month.
    _variant(BAXTER, "baxter_2024_hospitals_14_days", {
        **{f"nodes[hospital_{h}_pharmacy].stock.iv_fluid_1l.initial_days": 14
           for h in range(1, 6)},
        **{f"nodes[hospital_{h}_pharmacy].policy.iv_fluid_1l.reorder_days": 10
           for h in range(1, 6)},
        **{f"nodes[hospital_{h}_pharmacy].policy.iv_fluid_1l.target_days": 14
           for h in range(1, 6)},
    }, ("onset", "supplier_cut")),
    # The distributor's stock, an ASSUMPTION of 14 days in the file (no source gives it), is the
    # figure that sets when its first order goes undelivered: a week and three weeks.
    _variant(BAXTER, "baxter_2024_distributor_7_days", _distributor_days(7),
             ("onset", "supplier_cut"), {"supplier_cut": "7 days' distributor stock"}),
    _variant(BAXTER, "baxter_2024_distributor_21_days", _distributor_days(21),
             ("onset", "supplier_cut"), {"supplier_cut": "21 days' distributor stock"}),
    APOTEKSTJANST,
    # The two ends of "a sixth to a half" of orders delivered.
    _variant(APOTEKSTJANST, "apotekstjanst_2019_a_sixth",
             {"disruptions.0.absent_share": 0.8889}, ("postponed",)),
    _variant(APOTEKSTJANST, "apotekstjanst_2019_a_half",
             {"disruptions.0.absent_share": 0.6667}, ("postponed",)),
)


def disruption_start(rep: Any, default: int) -> int:
    """The first day of this replication's first disruption (its `disruption_start` event), or
    `default` when it has none (the control run). A replay whose start day is drawn (piperacillin)
    has its own start in every replication."""
    days = [int(np.min(chunk.day)) for chunk in rep.events if chunk.kind == "disruption_start"]
    return min(days) if days else default


def measure(net: Any, scenario: Any, rep: Any, replay: Replay) -> dict[str, float]:
    """The replay's figures for one replication (see the module docstring)."""
    products = [net.product_ids.index(p) for p in replay.products(scenario)]
    points = np.array([net.roles[i] in DEMAND_POINTS and replay.demand_points(net, i)
                       for i in range(net.n_nodes)])
    d = rep.daily
    start = disruption_start(rep, replay.start)
    replay = replace(replay, start=start)
    short = d.short[start:][:, points][:, :, products].any(axis=(1, 2))
    days = np.flatnonzero(short)
    out: dict[str, float] = {
        "start": float(start),
        "onset": float(days[0]) if len(days) else math.nan,
        "duration": float(days[-1] - days[0] + 1) if len(days) else 0.0,
        "censored": float(len(days) > 0 and days[-1] == len(short) - 1),
    }
    end = len(short) if replay.window is None else min(len(short), replay.window)
    demand = d.demand[start:start + end][:, points][:, :, products].sum(axis=(1, 2))
    served = d.served[start:start + end][:, points][:, :, products].sum(axis=(1, 2))
    weeks = [served[a:a + 7].sum() / demand[a:a + 7].sum()
             for a in range(0, max(1, end - 6)) if demand[a:a + 7].sum() > 0]
    out["depth"] = float(min(weeks)) if weeks else 1.0
    if replay.extra is not None:
        out.update(replay.extra(net, rep, replay))
    return out


def run_replay(replay: Replay, replications: int, horizon: int | None = None,
               control: bool = False) -> dict[str, Any]:
    """Run one replay over `replications` replications; per figure its values, and the timing.

    `control` runs it without its disruptions and countermeasures.
    """
    overrides = dict(replay.overrides)
    if control:
        overrides.update({"disruptions": [], "countermeasures": []})
    if horizon is not None:
        overrides["horizon_days"] = horizon
    scenario = sim.load_scenario(HERE / replay.file, overrides=overrides or None)
    net = network_of(scenario)
    values: dict[str, list[float]] = {}
    started, cpu = time.perf_counter(), time.process_time()
    for k in range(replications):
        rep = run_replication(net, scenario.seed, k)
        for name, value in measure(net, scenario, rep, replay).items():
            values.setdefault(name, []).append(value)
    elapsed = time.perf_counter() - started
    return {"values": values, "seconds_per_replication": elapsed / replications,
            "cpu_seconds_per_replication": (time.process_time() - cpu) / replications,
            "horizon_days": scenario.horizon_days, "seed": scenario.seed,
            "replications": replications}


def summary(values: list[float]) -> dict[str, float]:
    """Mean, sd, n (over replications where the figure exists) and the 95 % interval."""
    x = np.array([v for v in values if not math.isnan(v)], dtype=float)
    n = len(x)
    if n == 0:
        return {"n": 0, "mean": math.nan, "sd": math.nan, "low": math.nan, "high": math.nan}
    mean = float(x.mean())
    sd = float(x.std(ddof=1)) if n > 1 else 0.0
    half = float(stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)) if n > 1 else math.nan
    return {"n": n, "mean": mean, "sd": sd, "low": mean - half, "high": mean + half}


def spread_of(values: list[float], obs: Observed) -> tuple[float, float, int, int]:
    """The central 95 % of single replications (2.5 and 97.5 percentiles, over those that have
    the figure), how many replications lie inside the observed range, and how many there are."""
    x = np.array([v for v in values if not math.isnan(v)], dtype=float)
    low, high = (np.percentile(x, [2.5, 97.5]).tolist() if len(x) else [math.nan, math.nan])
    assert obs.low is not None and obs.high is not None
    inside = int(((x >= obs.low) & (x <= obs.high)).sum())
    return low, high, inside, len(values)


def verdict(s: dict[str, float], obs: Observed | None, assumed: str | None = None,
            values: list[float] | None = None) -> str:
    """Hit when the model's interval meets the observed range, miss otherwise; a hit that rests
    on an `assumed` parameter is consistent only under that assumption. With `values` (a figure
    in `Replay.spread`) a hit needs the central 95 % of single replications inside the range,
    and is partial when the mean's interval meets it but they are not."""
    if obs is None or obs.low is None or obs.high is None:
        return "no observed figure"
    if s["n"] == 0:
        return "miss (never happens in the model)"
    if s["high"] >= obs.low and s["low"] <= obs.high:
        if values is not None:
            low, high, inside, total = spread_of(values, obs)
            if not (obs.low <= low and high <= obs.high):
                return (f"partial: {inside} of {total} replications inside the observed "
                        "range, the rest outside (it depends on the drawn input)")
        return "hit" if assumed is None else f"consistent only under the ASSUMPTION of {assumed}"
    return "miss (model above)" if s["low"] > obs.high else "miss (model below)"


def _fmt(s: dict[str, float], name: str, total: int) -> str:
    if s["n"] == 0:
        return f"none in {total} replications"
    scale = 100.0 if name == "depth" else 1.0
    unit = " %" if name == "depth" else ""
    if s["n"] < 2:
        text = f"{s['mean'] * scale:.1f}{unit}"
    else:
        # Counts, days and shares are never below 0 (a difference, `owed`, can be).
        low = s["low"] if name == "owed" else max(s["low"], 0.0)
        text = f"{s['mean'] * scale:.1f}{unit} [{low * scale:.1f}, " \
               f"{s['high'] * scale:.1f}]"
    if s["n"] < total:
        text += f" ({s['n']} of {total} replications)"
    return text


FIGURES = ("onset", "supplier_cut", "owed", "depth", "duration", "postponed", "cancelled")
LABELS = {
    "onset": "onset of shortage at a demand point (days from the start)",
    "supplier_cut": "first order the hospitals' supplier cannot deliver (days from the start)",
    "owed": "bags the foreign makers owe on 30 November, more than on the start day",
    "depth": "depth: lowest 7-day fill at the affected demand points",
    "duration": "duration: onset to last stockout day (days)",
    "postponed": "planned operations postponed within 21 days",
    "cancelled": "planned operations cancelled (waited > 14 days) within 21 days",
}


def table(results: dict[str, dict[str, Any]]) -> str:
    """The Markdown table: per replay and figure, the model with its interval and the observed."""
    lines = ["| replay | figure | model: mean [95 % interval] | observed | source | verdict "
             "| control: no disruption |",
             "|---|---|---|---|---|---|---|"]
    for replay in REPLAYS:
        if replay.key not in results:
            continue
        res = results[replay.key]
        for name in FIGURES:
            if name not in res["summary"]:
                continue
            s = res["summary"][name]
            obs = replay.observed.get(name)
            fig = _fmt(s, name, res["replications"])
            if name == "duration" and res["summary"].get("censored", {}).get("mean", 0) > 0:
                fig += " (cut at the horizon in some replications)"
            ctl = res.get("control", {}).get(name)
            ctl_text = "-" if ctl is None else _fmt(ctl, name, res.get("control_replications", 0))
            values = res["values"][name] if name in replay.spread and obs else None
            lines.append(f"| {replay.key} | {LABELS[name]} | {fig} | "
                         f"{obs.text if obs else '-'} | {obs.source if obs else '-'} | "
                         f"{verdict(s, obs, replay.assumed.get(name), values)} | {ctl_text} |")
            if values is not None and obs is not None and obs.low is not None:
                low, high, inside, total = spread_of(values, obs)
                lines.append(f"| {replay.key} | {name}, single replications: central 95 % "
                             f"(2.5-97.5 percentiles) | {low:.1f} to {high:.1f}; {inside} of "
                             f"{total} inside {obs.low:g}-{obs.high:g} | {obs.text} | "
                             f"{obs.source} | the verdict's basis (one history is one draw) "
                             f"| - |")
    lines.append("")
    lines.append("| replay | replications | horizon (days) | seconds per replication, wall "
                 "(CPU) | CPU seconds per 180 days |")
    lines.append("|---|---|---|---|---|")
    for replay in REPLAYS:
        if replay.key in results:
            res = results[replay.key]
            cpu = res.get("cpu_seconds_per_replication", math.nan)
            lines.append(f"| {replay.key} | {res['replications']} | {res['horizon_days']} | "
                         f"{res['seconds_per_replication']:.2f} ({cpu:.2f}) | "
                         f"{cpu * 180 / res['horizon_days']:.2f} |")
    return "\n".join(lines)


def write_doc(text: str, stamp: str) -> None:
    """Put the table between the markers in docs/validation.md."""
    doc = DOC_PATH.read_text()
    if BEGIN in doc and END in doc:
        head, rest = doc.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        DOC_PATH.write_text(f"{head}{BEGIN}\n<!-- written by `python scenarios/replays/"
                            f"validate.py --write` on {stamp} -->\n\n{text}\n\n{END}{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-r", "--replications", type=int, default=20)
    parser.add_argument("--only", action="append", help="run only this replay (repeatable)")
    parser.add_argument("--control", type=int, default=5,
                        help="replications of each replay without its disruption (0: none)")
    parser.add_argument("--write", action="store_true",
                        help="write validation.json and the table in docs/validation.md")
    parser.add_argument("--render", action="store_true",
                        help="only rewrite docs/validation.md's table from validation.json")
    args = parser.parse_args(argv)
    if args.render:
        payload = json.loads(JSON_PATH.read_text())
        write_doc(table(payload["replays"]), payload["generated"])
        return 0
    unknown = set(args.only or ()) - {r.key for r in REPLAYS}
    if unknown:
        parser.error(f"unknown replay(s) {sorted(unknown)}; known: {[r.key for r in REPLAYS]}")
    results: dict[str, dict[str, Any]] = {}
    for replay in REPLAYS:
        if args.only and replay.key not in args.only:
            continue
        n = max(args.replications, replay.replications)
        print(f"running {replay.key} ({n} replications)...", file=sys.stderr)
        res = run_replay(replay, n)
        res["summary"] = {name: summary(vals) for name, vals in res["values"].items()}
        if replay.control and args.control:
            ctl = run_replay(replay, args.control, control=True)
            res["control"] = {name: summary(vals) for name, vals in ctl["values"].items()}
            res["control_replications"] = args.control
        results[replay.key] = res
    text = table(results)
    if not args.write:
        print(text)
    else:
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        payload = {"generated": stamp, "replays": {
            k: {kk: vv for kk, vv in v.items() if kk != "values"} | {"values": v["values"]}
            for k, v in results.items()}}
        if JSON_PATH.exists() and args.only:
            old = json.loads(JSON_PATH.read_text())
            old["replays"].update(payload["replays"])
            payload = old | {"generated": stamp}
            text = table(payload["replays"])
        JSON_PATH.write_text(json.dumps(payload, indent=1, allow_nan=True) + "\n")
        print(text)
        write_doc(text, stamp)
        print(f"wrote {JSON_PATH.relative_to(ROOT)} and {DOC_PATH.relative_to(ROOT)}",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
