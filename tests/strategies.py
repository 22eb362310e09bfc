"""Hypothesis strategies: random but valid multi-echelon scenarios."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

REGIONS = ["north", "south"]


def lead_times() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.integers(1, 6),
        st.floats(0.2, 6.0),
        st.builds(lambda lo, w: {"distribution": "uniform", "low": lo, "high": lo + w},
                  st.floats(0.5, 3), st.floats(0, 4)),
        st.builds(lambda lo, a, b: {"distribution": "triangular", "low": lo,
                                    "mode": lo + a, "high": lo + a + b},
                  st.floats(0.5, 3), st.floats(0, 2), st.floats(0, 2)),
        st.builds(lambda m, s: {"distribution": "lognormal", "mean": m, "sd": s},
                  st.floats(1, 5), st.floats(0, 2)),
    )


def policies() -> st.SearchStrategy[dict]:
    return st.one_of(
        st.builds(lambda lvl, r: {"type": "base_stock", "level": lvl, "review_days": r},
                  st.integers(0, 60), st.integers(1, 3)),
        st.builds(lambda s, gap: {"type": "s_S", "s": s, "S": s + gap},
                  st.integers(0, 40), st.integers(1, 40)),
        st.builds(lambda lo, gap, r: {"type": "days_of_supply", "reorder_days": lo,
                                      "target_days": lo + gap, "review_days": r},
                  st.floats(0, 10), st.floats(0.5, 15), st.integers(1, 4)),
    )


def demands() -> st.SearchStrategy[dict]:
    return st.one_of(
        st.builds(lambda m: {"mean_per_day": m}, st.floats(0, 8)),
        st.builds(lambda m, k: {"mean_per_day": m, "distribution": "negative_binomial",
                                "dispersion": k}, st.floats(0, 8), st.floats(0.3, 5)),
        st.builds(lambda m: {"mean_per_day": m, "distribution": "deterministic"},
                  st.floats(0, 5)),
    )


def remaining(lives: list[int | None]) -> st.SearchStrategy[Any]:
    """Remaining shelf life of initial stock, within every product's shelf life."""
    top = min((life for life in lives if life), default=0)
    if not top:
        return st.none()
    return st.one_of(st.none(), st.integers(1, top),
                     st.integers(1, top).flatmap(lambda hi: st.builds(
                         lambda lo: (lo, hi), st.integers(1, hi))))


@st.composite
def disruptions(draw: st.DrawFn, wholesalers: list[str], makers: list[str]) -> list[dict]:
    out: list[dict] = []
    for i in range(draw(st.integers(0, 3))):
        start = draw(st.one_of(st.integers(0, 30),
                               st.just({"distribution": "uniform", "low": 0, "high": 30})))
        duration = draw(st.integers(1, 25))
        kind = draw(st.sampled_from(
            ["power_outage", "transport", "export_ban", "factory_loss", "it_outage",
             "demand_surge", "stock_loss", "staff_absence"]))
        d: dict[str, Any] = {"type": kind, "name": f"d{i}", "start_day": start,
                             "duration_days": duration}
        if draw(st.integers(0, 3)) == 0:  # windows that come and go at random
            del d["start_day"], d["duration_days"]
            d["recurring"] = {"mean_days_between": draw(st.floats(1, 20)),
                              "mean_duration_days": draw(st.floats(0.5, 8)),
                              "distribution": draw(st.sampled_from(["exponential",
                                                                    "lognormal"]))}
        if kind == "power_outage":
            d.update(where={"roles": [draw(st.sampled_from(["wholesaler", "manufacturer"]))]},
                     capacity_factor=draw(st.floats(0, 1)), backup_refill=draw(st.booleans()))
        elif kind == "transport":
            d.update(lanes={"to": [draw(st.sampled_from(wholesalers))]},
                     lead_time_factor=draw(st.floats(1, 3)),
                     capacity_factor=draw(st.floats(0, 1)), closed=draw(st.booleans()))
        elif kind == "export_ban":
            d.update(country="DE")
        elif kind == "factory_loss":
            # The outside source too: a foreign plant's loss.
            d.update(nodes=[draw(st.sampled_from([*makers, "src"]))],
                     capacity_factor=draw(st.sampled_from([0.0, 0.3, 1.0])),
                     recovery_days=draw(st.integers(0, 10)), restart_days=draw(st.integers(0, 5)))
        elif kind == "staff_absence":
            d.update(where={"roles": [draw(st.sampled_from(["wholesaler", "manufacturer"]))]},
                     absent_share=draw(st.floats(0, 1)))
        elif kind == "stock_loss":
            d.pop("duration_days", None)
            d.update(where={"roles": [draw(st.sampled_from(["ward", "wholesaler"]))]},
                     share=draw(st.floats(0, 1)),
                     quarantine_days=draw(st.one_of(st.none(), st.integers(1, 20))))
        elif kind == "it_outage":
            d.update(where={"roles": [draw(st.sampled_from(["ward", "wholesaler"]))]})
        else:
            d.update(where={"roles": ["ward"]}, factor=draw(st.floats(0.5, 4)),
                     ramp_days=draw(st.integers(0, 5)))
        out.append(d)
    return out


@st.composite
def scenarios(draw: st.DrawFn) -> dict:
    """A layered network: sources (DE) -> makers/wholesalers (SE) -> wards, 1-3 products."""
    n_products = draw(st.integers(1, 3))
    products: dict[str, dict] = {
        f"p{j}": {"name": f"P{j}", "group": f"g{j % 2}",
                  "shelf_life_days": draw(st.one_of(st.none(), st.integers(1, 40))),
                  "cold_chain": draw(st.booleans())}
        for j in range(n_products)}
    demanded = list(products)
    nodes: list[dict] = [{"id": "src", "role": "manufacturer", "country": "DE",
                          "region": "abroad", "unlimited": True}]
    lanes: list[dict] = []
    makers = []
    if draw(st.booleans()):
        makers.append("maker")
        nodes.append({"id": "maker", "role": "manufacturer", "country": "SE",
                      "region": draw(st.sampled_from(REGIONS)),
                      "capacity": {p: draw(st.floats(0, 40)) for p in products},
                      "qc_release_days": draw(st.integers(0, 5)),
                      "stock": {p: {"initial": draw(st.integers(0, 50))} for p in products}})
        if draw(st.booleans()):
            # A component the maker buys from the outside source and uses in its products.
            products["comp"] = {"name": "Component", "group": "components",
                                "shelf_life_days": draw(st.one_of(st.none(), st.integers(1, 40)))}
            nodes[-1]["inputs"] = {p: {"comp": draw(st.sampled_from([0.5, 1, 2, 3]))}
                                   for p in demanded if draw(st.booleans())}
            nodes[-1]["stock"]["comp"] = {"initial": draw(st.integers(0, 60))}
            lanes.append({"from": "src", "to": "maker", "lead_time_days": draw(lead_times()),
                          "products": ["comp"]})
    wholesalers = [f"wh{i}" for i in range(draw(st.integers(1, 3)))]
    for w in wholesalers:
        nodes.append({"id": w, "role": "wholesaler", "country": "SE",
                      "region": draw(st.sampled_from(REGIONS)),
                      "backup_power_days": draw(st.integers(0, 3))})
        lanes.append({"from": "src", "to": w, "lead_time_days": draw(lead_times()),
                      "capacity_per_day": draw(st.one_of(st.none(), st.floats(1, 200)))})
        if makers and draw(st.booleans()):
            lanes.append({"from": "maker", "to": w, "lead_time_days": draw(lead_times()),
                          "share": draw(st.floats(0.1, 3))})
    for i in range(draw(st.integers(1, 5))):
        ward = f"w{i}"
        nodes.append({
            "id": ward, "role": "ward", "country": "SE", "region": draw(st.sampled_from(REGIONS)),
            "priority": draw(st.integers(1, 3)),
            "unmet_demand": draw(st.sampled_from(["backorder", "lost"])),
            "demand": {p: draw(demands()) for p in demanded},
        })
        for w in draw(st.lists(st.sampled_from(wholesalers), min_size=1, max_size=2,
                               unique=True)):
            lanes.append({"from": w, "to": ward, "lead_time_days": draw(lead_times())})
    care = None
    if draw(st.booleans()):
        priorities = ["imperative", "urgent", "deferrable"]
        care = {"categories": {f"c{i}": {
                    "length_of_stay_days": draw(st.one_of(st.integers(1, 8), lead_times())),
                    "priority": draw(st.sampled_from(priorities)),
                    "staff_shifts_per_patient_day": draw(st.integers(0, 4))}
                    for i in range(draw(st.integers(1, 3)))},
                "norms": [{"category": "all", "product": p,
                           "per_patient_day": draw(st.floats(0, 3)),
                           "per_admission": draw(st.floats(0, 3)),
                           "per_staff_shift": draw(st.floats(0, 1))} for p in demanded],
                "admissions": [{"match": {"role": "ward"}, "category": "c0",
                                "mean_per_day": draw(st.floats(0, 2))}]}
    return {
        "care": care,
        "name": "random",
        "horizon_days": draw(st.integers(5, 60)),
        "warmup_days": 0,
        "seed": draw(st.integers(0, 2**31)),
        "products": products,
        "nodes": nodes,
        "lanes": lanes,
        "policies": [{"match": {}, "policy": draw(policies())},
                     {"match": {"role": "ward"}, "policy": draw(policies())}],
        "stocks": [{"match": {}, "stock": {"initial_days": draw(st.floats(0, 20)),
                                           "remaining_shelf_life_days": draw(remaining(
                                               [pr["shelf_life_days"] for pr in
                                                products.values()]))}}],
        "disruptions": draw(disruptions(wholesalers, makers)),
    }
