"""Disruption-side supply mechanics (issue 9): outside sources under disruption, restart after a
factory loss, backup power, staff absence, recurring random failures (docs/engine.md)."""

from __future__ import annotations

import itertools
import math
import statistics

import numpy as np
import pytest

import sim
from sim.disruptions import Window, draw_windows
from sim.engine import Engine
from sim.injects import build_msel
from sim.network import network_of
from sim.rng import substream
from tests.conftest import node, scenario, series


def fixed(mean: float) -> dict:
    return {"mean_per_day": mean, "distribution": "deterministic"}


def source(id: str = "src", country: str = "SE", **fields) -> dict:
    return node(id, role="manufacturer", country=country, unlimited=True, **fields)


class Trace:
    """One replication with the effects in force and the cumulative flows at each day's end.

    Spies on the engine's own calls (the day's refresh of the effects and the end-of-day
    record), so the numbers are those the actors used, not a recomputation.
    """

    def __init__(self, sc: sim.Scenario, seed: int = 1, replication: int = 0) -> None:
        self.net = net = network_of(sc)
        self.engine = eng = Engine(net, seed, replication)
        self.power: list[np.ndarray] = []
        self.capacity: list[np.ndarray] = []
        self.produced: list[np.ndarray] = []
        self.shipped: list[np.ndarray] = []
        refresh, record = eng.disruptions.refresh, eng.recorder.record

        def spy_refresh(t: int):
            fx = refresh(t)
            self.power.append(fx.power.copy())
            self.capacity.append(fx.node_capacity.copy())
            return fx

        def spy_record(t: int, st, *args, **kwargs):
            self.produced.append(st.produced.copy())
            self.shipped.append(st.shipped.copy())
            return record(t, st, *args, **kwargs)

        eng.disruptions.refresh = spy_refresh  # type: ignore[method-assign]
        eng.recorder.record = spy_record  # type: ignore[method-assign]
        self.result = eng.run()

    def at(self, values: list[np.ndarray], node_id: str) -> list[float]:
        i = self.net.node_ids.index(node_id)
        return [float(v[i]) for v in values]

    def daily(self, values: list[np.ndarray], node_id: str, product: int = 0) -> list[int]:
        """Per day, from cumulative end-of-day totals."""
        i = self.net.node_ids.index(node_id)
        total = np.array([v[i, product] for v in values])
        return np.diff(total, prepend=0).astype(int).tolist()

    def made(self, node_id: str) -> list[int]:
        """Units made per day: released from QC the next day (qc_release_days 0)."""
        return self.daily(self.produced, node_id)[1:]


def whole_units(per_day: list[float]) -> list[int]:
    """Whole units per day with the fraction carried over (the engine's budgets)."""
    out, carry = [], 0.0
    for x in per_day:
        whole = math.floor(x + carry + 1e-9)
        carry = x + carry - whole
        out.append(whole)
    return out


# --- a maker: backup power, restart, staff absence -----------------------------------------

def plant(disruptions: list[dict], horizon: int = 16, backup: int = 0) -> sim.Scenario:
    """A maker of 10 a day selling to a ward that always wants more than it makes."""
    maker = node("m", role="manufacturer", capacity={"p": 10}, backup_power_days=backup,
                 policy={"p": {"type": "base_stock", "level": 10}})
    ward = node("w", policy={"p": {"type": "base_stock", "level": 200}},
                demand={"p": fixed(30)})
    return scenario([maker, ward], [{"from": "m", "to": "w", "lead_time_days": 1}],
                    horizon=horizon, disruptions=disruptions)


def outage(start: float = 2, duration: float = 6, factor: float = 0.25, **fields) -> dict:
    return {"type": "power_outage", "name": "power", "start_day": start,
            "duration_days": duration, "where": {"nodes": ["m"]}, "capacity_factor": factor,
            **fields}


def test_backup_power_keeps_full_capacity_for_its_days_then_the_factor():
    tr = Trace(plant([outage()], backup=3))
    # Window days 2-7: backup on days 2, 3, 4; the outage's factor on days 5, 6, 7.
    assert tr.at(tr.power, "m") == [1, 1, 1, 1, 1, 0.25, 0.25, 0.25] + [1] * 8
    assert tr.at(tr.capacity, "m") == tr.at(tr.power, "m")
    # 10 a day on backup, 2.5 a day after (2, 3, 2 with the half carried), 10 again.
    assert tr.made("m") == [10, 10, 10, 10, 10, 2, 3, 2] + [10] * 7
    without = Trace(plant([outage()], backup=0))
    assert without.made("m") == [10, 10, 2, 3, 2, 3, 2, 3] + [10] * 7


def test_backup_longer_than_the_outage_keeps_the_node_at_full_capacity():
    tr = Trace(plant([outage(duration=3)], backup=5))
    assert tr.at(tr.power, "m") == [1.0] * 16
    assert tr.made("m") == [10] * 15


def _backup_trace(windows: list[Window], backup: int, factor: float, refill: bool,
                  days: int) -> list[float]:
    """The documented backup rule as a plain loop over each window's days."""
    power, left = [1.0] * days, backup
    for w in windows:
        if refill:
            left = backup
        for t in range(math.ceil(w.start), min(math.ceil(w.end), days)):
            if left > 0:
                left -= 1
            else:
                power[t] = factor
    return power


@pytest.mark.parametrize("refill", [True, False])
def test_backup_refills_for_each_window_unless_told_not_to(refill):
    recurring = {"mean_days_between": 6, "mean_duration_days": 4}
    d = {"type": "power_outage", "name": "power", "where": {"nodes": ["m"]},
         "capacity_factor": 0.5, "recurring": recurring, "backup_refill": refill}
    tr = Trace(plant([d], horizon=80, backup=3), seed=4)
    windows = tr.engine.windows
    assert len(windows) >= 4
    assert tr.at(tr.power, "m") == _backup_trace(windows, 3, 0.5, refill, 80)
    other = _backup_trace(windows, 3, 0.5, not refill, 80)
    assert tr.at(tr.power, "m") != other  # the case tells refill from no refill
    if not refill:  # after 3 outage days in all, every later outage day is at the factor
        down = [t for w in windows for t in range(math.ceil(w.start), math.ceil(w.end))]
        assert [tr.power[t][0] for t in down[3:] if t < 80] == [0.5] * len(
            [t for t in down[3:] if t < 80])


def loss(start: float = 3, duration: float = 3, **fields) -> dict:
    return {"type": "factory_loss", "name": "fire", "nodes": ["m"], "start_day": start,
            "duration_days": duration, **fields}


def switches(sc: sim.Scenario) -> list[tuple[int, str]]:
    ev = sim.run(sc, seed=1).events
    ev = ev[ev["kind"].isin(("disruption_start", "disruption_end", "recovery_complete"))]
    return list(zip(ev["day"].tolist(), ev["kind"].tolist(), strict=True))


def test_a_stopped_plant_restarts_before_it_recovers():
    sc = plant([loss(restart_days=2, recovery_days=4)])
    # Stopped on days 3-5, restart on days 6-7, then a fifth more each day from day 8,
    # normal on day 12 (6 + 2 + 4).
    assert Trace(sc).made("m") == [10, 10, 10, 0, 0, 0, 0, 0, 2, 4, 6, 8, 10, 10, 10]
    assert switches(sc) == [(3, "disruption_start"), (6, "disruption_end"),
                            (12, "recovery_complete")]


def test_restart_without_a_ramp_ends_with_the_restart():
    sc = plant([loss(restart_days=2)])
    assert Trace(sc).made("m") == [10, 10, 10, 0, 0, 0, 0, 0] + [10] * 7
    assert switches(sc) == [(3, "disruption_start"), (6, "disruption_end"),
                            (8, "recovery_complete")]


def test_a_partial_loss_recovers_directly():
    sc = plant([loss(capacity_factor=0.5, restart_days=2, recovery_days=4)])
    # Half on days 3-5, then 0.5 + 0.5 x k/5 for k = 1..4 on days 6-9 (the restart does not
    # apply), normal from day 10.
    assert Trace(sc).made("m") == [10, 10, 10, 5, 5, 5, 6, 7, 8, 9] + [10] * 5
    assert switches(sc)[-1] == (10, "recovery_complete")


def test_staff_absence_cuts_production_and_dispatch_without_backup():
    absence = {"type": "staff_absence", "name": "flu", "start_day": 2, "duration_days": 4,
               "where": {"nodes": ["m"]}, "absent_share": 0.35}
    tr = Trace(plant([absence], backup=3))
    assert tr.at(tr.power, "m") == [1.0] * 16  # not power: the backup does not cover it
    assert tr.at(tr.capacity, "m") == [1, 1, 0.65, 0.65, 0.65, 0.65] + [1] * 10
    # 6.5 a day: 6, 7, 6, 7.
    assert tr.made("m") == [10, 10, 6, 7, 6, 7] + [10] * 9


# --- outside sources -----------------------------------------------------------------------

def outside(disruptions: list[dict], horizon: int = 12, backup: int = 0,
            products: dict | None = None) -> sim.Scenario:
    """An outside source abroad selling 4 a day of each product to a ward that wants 20."""
    names = list(products or {"p": None})
    ward = node("w", policy={q: {"type": "base_stock", "level": 100} for q in names},
                stock={q: {"initial": 100} for q in names},
                demand={q: fixed(4) for q in names}, unmet_demand="lost")
    # The ward orders what it used (4 a day) plus the backlog the source owes: a supplier
    # that ships its whole budget while anything is owed.
    lanes = [{"from": "src", "to": "w", "lead_time_days": 1}]
    return scenario([source(country="DE", region="abroad", backup_power_days=backup), ward],
                    lanes, horizon=horizon, products=products, disruptions=disruptions)


def test_a_factory_loss_at_an_outside_source_limits_what_it_ships():
    lost = {"type": "factory_loss", "name": "explosion", "nodes": ["src"], "start_day": 2,
            "duration_days": 6, "capacity_factor": 0.3}
    tr = Trace(outside([lost]))
    # Normal flow 4 a day, headroom 1.5: at 0.3 the source ships 0.3 x 1.5 x 4 = 1.8 a day
    # in whole units with the fraction carried: 1, 2, 2, 2, 2, 1. Then the 13 owed and 4.
    assert whole_units([1.8] * 6) == [1, 2, 2, 2, 2, 1]
    assert tr.daily(tr.shipped, "src") == [4, 4, 1, 2, 2, 2, 2, 1, 4 + 14, 4, 4, 4]


def test_a_stopped_outside_source_ships_nothing():
    lost = {"type": "factory_loss", "name": "explosion", "nodes": ["src"], "start_day": 2,
            "duration_days": 3}
    tr = Trace(outside([lost]))
    assert tr.daily(tr.shipped, "src") == [4, 4, 0, 0, 0, 4 + 12, 4, 4, 4, 4, 4, 4]


def test_a_factory_loss_at_an_outside_source_hits_only_its_products():
    two = {"a": {"name": "A", "group": "g"}, "b": {"name": "B", "group": "g"}}
    lost = {"type": "factory_loss", "name": "explosion", "nodes": ["src"], "products": ["a"],
            "start_day": 2, "duration_days": 3, "capacity_factor": 0.5}
    tr = Trace(outside([lost], products=two))
    # a: 0.5 x 1.5 x 4 = 3 a day; b untouched.
    assert tr.daily(tr.shipped, "src", 0) == [4, 4, 3, 3, 3, 4 + 3, 4, 4, 4, 4, 4, 4]
    assert tr.daily(tr.shipped, "src", 1) == [4] * 12


def test_a_power_outage_at_an_outside_source_limits_what_it_ships_after_its_backup():
    power = {"type": "power_outage", "name": "power", "where": {"nodes": ["src"]},
             "start_day": 2, "duration_days": 6, "capacity_factor": 0.2}
    tr = Trace(outside([power], backup=2))
    # Backup days 2, 3 in full; then 0.2 x 1.5 x 4 = 1.2 a day: 1, 1, 1, 1 (carry 0.8).
    assert tr.at(tr.power, "src") == [1, 1, 1, 1, 0.2, 0.2, 0.2, 0.2, 1, 1, 1, 1]
    assert tr.daily(tr.shipped, "src") == [4, 4, 4, 4, 1, 1, 1, 1, 4 + 12, 4, 4, 4]
    # The ward lost sales only once its 100 ran out; nothing was created or lost on the way.
    led = tr.result.ledger
    assert int(led.shipped.sum()) == int(led.received.sum() + led.in_transit_at_end.sum())


def test_staff_absence_at_an_outside_source_limits_what_it_ships():
    absence = {"type": "staff_absence", "name": "flu", "where": {"nodes": ["src"]},
               "start_day": 2, "duration_days": 5, "absent_share": 0.5}
    tr = Trace(outside([absence]))
    assert whole_units([0.5 * 1.5 * 4] * 5) == [3] * 5
    assert tr.daily(tr.shipped, "src") == [4, 4, 3, 3, 3, 3, 3, 4 + 5, 4, 4, 4, 4]


def test_an_export_ban_stops_an_outside_source_at_the_border():
    ban = {"type": "export_ban", "name": "ban", "country": "DE", "start_day": 2,
           "duration_days": 4}
    tr = Trace(outside([ban]))
    # Nothing leaves DE on days 2-5; what was owed ships on day 6 with the day's order.
    assert tr.daily(tr.shipped, "src") == [4, 4, 0, 0, 0, 0, 4 + 16, 4, 4, 4, 4, 4]
    # A ban by another country does not touch it.
    other = Trace(outside([{**ban, "country": "SE"}]))
    assert other.daily(other.shipped, "src") == [4] * 12


# --- recurring failures --------------------------------------------------------------------

def on_off(disruptions: list[dict], horizon: int) -> sim.Scenario:
    """An outside source -> a ward with Poisson demand, 5 a day, two days away."""
    ward = node("w", policy={"p": {"type": "base_stock", "level": 20}},
                stock={"p": {"initial": 20}},
                demand={"p": {"mean_per_day": 5, "distribution": "poisson"}})
    return scenario([source(), ward], [{"from": "src", "to": "w", "lead_time_days": 2}],
                    horizon=horizon, disruptions=disruptions)


def breakdown(mean_up: float, mean_down: float, distribution: str = "exponential",
              cv: float = 1.0) -> dict:
    """The source stops at random: a recurring factory loss to zero."""
    spec = {"mean_days_between": mean_up, "mean_duration_days": mean_down,
            "distribution": distribution}
    if distribution == "lognormal":
        spec["cv"] = cv
    return {"type": "factory_loss", "name": "breakdown", "nodes": ["src"], "recurring": spec}


def recurring_case(distribution: str, horizon: int, mean_up: float, mean_down: float,
                   cv: float = 1.0) -> sim.Scenario:
    return on_off([breakdown(mean_up, mean_down, distribution, cv)], horizon)


def down_days(windows: list[Window], horizon: int) -> np.ndarray:
    """Day t is down when some window has start <= t < end (the engine's rule)."""
    t = np.arange(horizon)
    down = np.zeros(horizon, dtype=bool)
    for w in windows:
        down |= (w.start <= t) & (t < w.end)
    return down


@pytest.mark.parametrize(("distribution", "cv"), [("exponential", 1.0), ("lognormal", 0.5)])
def test_recurring_failures_are_down_their_long_run_share_of_days(distribution, cv):
    mean_up, mean_down, horizon, skip, reps = 20.0, 5.0, 2100, 100, 200
    net = network_of(recurring_case(distribution, horizon, mean_up, mean_down, cv))
    shares = []
    for r in range(reps):
        windows = draw_windows(net, lambda i, r=r: substream(11, r, "disruption", i), horizon)
        # The process starts up at day 0; the first 100 days (many mean cycles) are skipped
        # so the share estimates the stationary one.
        shares.append(down_days(windows, horizon)[skip:].mean())
    mean, sd = statistics.fmean(shares), statistics.stdev(shares)
    z = statistics.NormalDist().inv_cdf(0.995)
    half = z * sd / math.sqrt(reps)
    expected = mean_down / (mean_up + mean_down)
    assert mean - half <= expected <= mean + half, (mean, half)
    assert half < 0.01  # enough replications for the interval to say something


def test_recurring_windows_have_the_length_and_frequency_of_their_means():
    # The share alone cannot tell both means scaled alike. A down time d starting at a random
    # phase covers a whole day with probability min(d, 1) (else it is no window: it acts on no
    # day), so the windows kept have mean length E[d min(d,1)] / E[min(d,1)] and come
    # E[min(d,1)] / (X + Y) times a day; both computed here for exponential down times.
    mean_up, mean_down, horizon, skip, reps = 20.0, 5.0, 2100, 100, 200
    d = np.linspace(0, 40 * mean_down, 400_001)
    density = np.exp(-d / mean_down) / mean_down
    kept = np.trapezoid(np.minimum(d, 1) * density, d)
    length = np.trapezoid(d * np.minimum(d, 1) * density, d) / kept
    rate = kept / (mean_up + mean_down)
    net = network_of(recurring_case("exponential", horizon, mean_up, mean_down))
    lengths, rates = [], []
    for r in range(reps):
        windows = draw_windows(net, lambda i, r=r: substream(11, r, "disruption", i), horizon)
        lengths.append(statistics.fmean(w.end - w.start for w in windows if w.end < horizon))
        rates.append(sum(skip <= w.start < horizon for w in windows) / (horizon - skip))
    z = statistics.NormalDist().inv_cdf(0.995)
    for values, expected in ((lengths, length), (rates, rate)):
        mean, sd = statistics.fmean(values), statistics.stdev(values)
        half = z * sd / math.sqrt(reps)
        assert mean - half <= expected <= mean + half, (mean, half, expected)


def test_recurring_windows_alternate_and_start_up():
    net = network_of(recurring_case("exponential", 400, 10, 3))
    windows = draw_windows(net, lambda i: substream(3, 0, "disruption", i), 400)
    assert len(windows) > 10
    assert windows[0].start > 0
    for a, b in itertools.pairwise(windows):
        assert a.end <= b.start  # never overlapping, in time order
    for w in windows:  # each acts on at least one day before the horizon
        assert math.ceil(w.start) < min(math.ceil(w.end), 400)


def test_a_recurring_disruption_never_shifts_another_disruptions_windows():
    def windows(disruptions: list[dict]) -> list[Window]:
        return Engine(network_of(on_off(disruptions, 200)), 5, 2).windows

    random_it = {"type": "it_outage", "name": "it", "where": {"nodes": ["w"]},
                 "start_day": {"distribution": "uniform", "low": 0, "high": 100},
                 "duration_days": {"distribution": "uniform", "low": 1, "high": 9}}
    fixed_power = {"type": "power_outage", "name": "fixed", "where": {"nodes": ["w"]},
                   "start_day": 7.5, "duration_days": 3, "capacity_factor": 0.5}

    alone = windows([random_it, fixed_power])
    often = windows([random_it, fixed_power, breakdown(5, 2)])
    rarely = windows([random_it, fixed_power, breakdown(50, 2)])
    assert len([w for w in often if w.index == 2]) > len([w for w in rarely if w.index == 2])
    for ws in (often, rarely):
        assert [w for w in ws if w.index < 2] == alone
    # Deterministic windows are as written; the same seed gives the same windows.
    assert [(w.start, w.end) for w in alone if w.index == 1] == [(7.5, 10.5)]
    assert windows([random_it, fixed_power, breakdown(5, 2)]) == often


def test_every_recurring_window_is_an_event():
    sc = recurring_case("exponential", 300, 15, 4)
    res = sim.run(sc, seed=2)
    eng = Engine(network_of(sc), 2, 0)
    ev = res.events
    starts = ev[ev["kind"] == "disruption_start"]["day"].tolist()
    ends = ev[ev["kind"] == "disruption_end"]["day"].tolist()
    assert starts == [math.ceil(w.start) for w in eng.windows]
    assert ends == [math.ceil(w.end) for w in eng.windows if w.end < 300]
    assert len(starts) > 5


def _reference_fill(demand: list[int], down: np.ndarray, level: int, initial: int,
                    lead: int) -> list[int]:
    """One outside source -> one ward, the documented day, as a plain loop.

    Each day: receive what is due; serve backorders, then today's demand, from stock
    (the rest is backordered); review: order up to `level` when the position (on hand + on
    order - backorders) is below it; the source ships everything owed the same day unless it
    is down, and a shipment of day t arrives at the start of day t + lead.
    """
    on_hand, backorder, on_order, owed = initial, 0, 0, 0
    arriving: dict[int, int] = {}
    served = []
    for t, asked in enumerate(demand):
        got = arriving.pop(t, 0)
        on_hand += got
        on_order -= got
        old = min(backorder, on_hand)
        fresh = min(asked, on_hand - old)
        on_hand -= old + fresh
        backorder += asked - fresh - old
        served.append(fresh)
        position = on_hand + on_order - backorder
        if position <= level - 1:
            on_order += level - position
            owed += level - position
        if not down[t] and owed:
            arriving[t + lead] = arriving.get(t + lead, 0) + owed
            owed = 0
    return served


@pytest.mark.parametrize("seed", [1, 2])
def test_an_on_off_supplier_gives_the_ward_the_fill_of_a_reference_day_loop(seed):
    horizon = 400
    sc = recurring_case("exponential", horizon, 10, 4)
    res = sim.run(sc, seed=seed)
    windows = Engine(network_of(sc), seed, 0).windows
    down = down_days(windows, horizon)
    assert 0.15 < down.mean() < 0.45  # the supplier is really on and off
    demand = series(res, "w", "demand")
    served = _reference_fill(demand, down, level=20, initial=20, lead=2)
    assert series(res, "w", "served") == served
    kpi = res.kpis[res.kpis["node"] == "w"].iloc[0]
    assert kpi["fill_rate"] == pytest.approx(sum(served) / sum(demand), abs=1e-12)
    assert kpi["fill_rate"] < 0.99  # the outages cost the ward something


def test_recurring_windows_reach_the_injects():
    sc = recurring_case("exponential", 120, 12, 3)
    run = sim.run(sc, seed=3)
    msel = build_msel(run, lang="en")
    eng = Engine(network_of(sc), 3, 0)
    logged = [(w.start_day, w.end_day) for w in msel.windows]
    assert logged == [(math.ceil(w.start), math.ceil(w.end) if w.end < 120 else None)
                      for w in eng.windows]
    assert len(logged) > 3
    # Each start's inject tells its own window's length (the mean when it outlasts the run).
    text = {"extends": "default", "rules": {"factory_loss_start": {"text": {"en": {
        "message": "{day}: {duration_days}"}}}}}
    table = sim.injects(run, lang="en", rules=text)
    said = table[table["rule"] == "factory_loss_start"]["message"].tolist()
    assert said == [f"{start}: {end - start if end is not None else 3}"
                    for start, end in logged]
    # An exercise that begins inside the second window hears of it on its first day; the
    # first window, over by then, is not news.
    start, end = logged[1]
    assert end is not None and end - start >= 2
    late = {**text, "window": {"from_day": start + 1}}
    table = sim.injects(run, lang="en", rules=late)
    starts = table[table["rule"] == "factory_loss_start"]
    assert starts["scenario_day"].tolist()[0] == start + 1
    assert starts["message"].tolist() == [f"{start + 1}: {end - start}", *said[2:]]


def test_a_stock_loss_switches_nothing_but_its_windows_are_drawn_and_logged():
    from sim.disruptions import effects_of

    fire = {"type": "stock_loss", "name": "fire", "where": {"nodes": ["w"]}, "share": 0.5,
            "recurring": {"mean_days_between": 20, "mean_duration_days": 1}}
    sc = on_off([fire], 200)
    net = network_of(sc)
    eng = Engine(net, 1, 0)
    assert len(eng.windows) > 3 and {w.index for w in eng.windows} == {0}
    assert effects_of(net, sc.disruptions[0], 5, 6) == []
    ev = sim.run(sc, seed=1).events
    assert ev[ev["kind"] == "disruption_start"]["day"].tolist() == [
        math.ceil(w.start) for w in eng.windows]


def test_a_stopped_outside_source_counts_as_empty_so_customers_fall_back():
    # Two outside sources share an importer's orders; A stops (factory loss or power cut at
    # factor 0) on days 5-44. Under fallback sourcing its share goes to B after a day, so
    # the ward never runs short; with fixed sourcing half the orders wait for A.
    def case(stop: dict, sourcing: str | None) -> float:
        importer = node("imp", role="importer", stock={"p": {"initial_days": 10}},
                        policy={"p": {"type": "days_of_supply", "reorder_days": 5,
                                      "target_days": 10}})
        if sourcing:
            importer["sourcing"] = sourcing
        ward = node("w", demand={"p": {"mean_per_day": 20}}, stock={"p": {"initial_days": 3}},
                    policy={"p": {"type": "days_of_supply", "reorder_days": 2,
                                  "target_days": 3}})
        sc = scenario([source("A", "DE"), source("B", "FR"), importer, ward],
                      [{"from": "A", "to": "imp", "lead_time_days": 3},
                       {"from": "B", "to": "imp", "lead_time_days": 3},
                       {"from": "imp", "to": "w", "lead_time_days": 1}],
                      horizon=60, disruptions=[stop])
        k = sim.run(sc, seed=1).kpis
        return float(k[k["node"] == "w"]["fill_rate"].iloc[0])

    for stop in ({"type": "factory_loss", "nodes": ["A"], "start_day": 5, "duration_days": 40},
                 {"type": "power_outage", "where": {"nodes": ["A"]}, "capacity_factor": 0,
                  "start_day": 5, "duration_days": 40}):
        assert case(stop, None) == 1.0
        assert case(stop, "fixed") < 0.9


def test_overlapping_outages_multiply_each_after_its_own_backup():
    # Backup 2 days; outage a on days 2-7 at 0.5, b on days 4-9 at 0.5: each outage is bridged
    # for its own first 2 days, and the factors multiply where both act (docs/engine.md).
    tr = Trace(plant([outage(2, 6, 0.5, name="a"), outage(4, 6, 0.5, name="b")],
                     horizon=12, backup=2))
    assert tr.at(tr.power, "m") == [1, 1, 1, 1, 0.5, 0.5, 0.25, 0.25, 0.5, 0.5, 1, 1]


def test_recurring_means_far_below_a_day_are_refused():
    bad = breakdown(0.01, 0.01)
    with pytest.raises(sim.ScenarioError, match=r"at least 0\.1 day"):
        on_off([bad], 30)


def test_no_event_falls_after_the_last_day():
    # A window ending within the last day would end "on day H": not logged.
    sc = on_off([{"type": "it_outage", "name": "it", "where": {"nodes": ["w"]},
                  "start_day": 5, "duration_days": 14.5}], 20)
    ev = sim.run(sc, seed=1).events
    assert ev["day"].max() < 20
    assert "disruption_end" not in set(ev["kind"])
