"""Countermeasures that move stock: redistribution, stockpile release, emergency lanes.

Each computes today's transfers from the opening stock (after losses and the transfers that
arrived) and hands them to `Transfers`; docs/countermeasures.md gives the rules and traces.
"""

from __future__ import annotations

import numpy as np

from sim.countermeasures.transfers import (
    Transfers,
    arrival_day,
    ceil_units,
    pair_up,
    whole_shares,
)
from sim.countermeasures.triggers import match_products, named_products
from sim.network import MIN_FLOW, POLICY_ORDER, Network, node_mask
from sim.scenario import countermeasures as cm
from sim.state import State


class Move:
    """A stock-moving countermeasure; `act` is called on each active day."""

    kpi = ""  # the receivers' KPI column
    event = ""  # the event kind per receiver and product

    def __init__(self, net: Network, spec: cm.Trigger) -> None:
        self.net = net
        self.spec = spec
        self.units = 0  # moved over the run

    def act(self, t: int, st: State, transfers: Transfers, started: bool
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """Today's transfers (givers, receivers, products, units), already sent, or None."""
        raise NotImplementedError

    def _send(self, t: int, transfers: Transfers, givers: np.ndarray, receivers: np.ndarray,
              products: np.ndarray, units: np.ndarray, lead: np.ndarray | float
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        if not len(units) or not units.any():
            return None
        arrive = np.broadcast_to(arrival_day(t, lead), units.shape).copy()
        transfers.send(t, givers, receivers, products, units, arrive, self.spec.type)
        self.units += int(units.sum())
        return givers, receivers, products, units


def expected(st: State) -> np.ndarray:
    """What each node can count on soon, int[n, p].

    Shipments and transfers on their way, and what its suppliers owe it as far as they hold
    stock now (an order owed by an empty supplier may never come).
    """
    net = st.net
    coming = st.inbound_in_transit()
    owed = st.owed + st.new_orders
    if owed.any():
        covered = np.minimum(owed, st.on_hand[net.lane_src])
        covered = np.where(net.unlimited[net.lane_src][:, None], owed, covered)
        np.add.at(coming, net.lane_dst, covered)
    return coming


class Redistribution(Move):
    """Nodes below `below_days` get stock up to `target_days` from nodes above a floor.

    Every `review_days` from its first active day. Per product and region (or country): a
    matched node-product below `below_days` of its normal flow asks for
    ceil(target x flow) - (on hand - own backorders + what it can count on: shipments and
    transfers on their way, and orders its suppliers owe it as far as they hold stock); nodes
    not asking offer what they hold above ceil(donor_floor x flow). What moves is the smaller of the
    asked and offered totals, given pro rata to the offers and shared pro rata to the asks
    (whole units, largest remainder), givers matched to receivers in node order.
    """

    kpi = "redistributed_in"
    event = "redistributed"

    def __init__(self, net: Network, spec: cm.Redistribution) -> None:
        super().__init__(net, spec)
        self.spec = spec
        nodes = node_mask(net.nodes, spec.match) & ~net.unlimited
        self.cells = nodes[:, None] & match_products(net, spec.match)[None, :] & (
            net.normal_flow > MIN_FLOW)
        keys = net.regions if spec.within == "region" else net.countries
        labels = sorted(set(keys))
        self.scope = np.array([labels.index(k) for k in keys], dtype=np.int64)
        self.n_scopes = len(labels)
        self.target = spec.target_days if spec.target_days is not None else 2 * spec.below_days
        self.first: int | None = None

    def act(self, t: int, st: State, transfers: Transfers, started: bool
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """Every `review_days`: today's asks and offers, matched and sent."""
        spec = self.spec
        if started:
            self.first = t
        assert self.first is not None
        if (t - self.first) % spec.review_days:
            return None
        rows, cols = np.nonzero(self.cells)
        if not len(rows):
            return None
        flow = self.net.normal_flow[rows, cols]
        held = st.on_hand[rows, cols]
        asking = held < spec.below_days * flow - 1e-9
        if not asking.any():
            return None
        coming = expected(st)[rows, cols]
        ask = np.where(asking, np.maximum(
            ceil_units(self.target * flow) - held + st.backorder[rows, cols] - coming, 0), 0)
        offer = np.where(asking, 0, np.maximum(held - ceil_units(spec.donor_floor_days * flow),
                                               0))
        if not ask.any() or not offer.any():
            return None
        p = self.net.n_products
        key = self.scope[rows] * p + cols
        n_keys = self.n_scopes * p
        moved = np.minimum(np.bincount(key, ask, minlength=n_keys),
                           np.bincount(key, offer, minlength=n_keys)).astype(np.int64)
        if not moved.any():
            return None
        give = whole_shares(moved, offer.astype(float), key, n_keys)
        get = whole_shares(moved, ask.astype(float), key, n_keys)
        gi, ri, units = pair_up(give, get, key, key)
        return self._send(t, transfers, rows[gi], rows[ri], cols[gi], units,
                          spec.lead_time_days)


class StockpileRelease(Move):
    """On each start of the measure: the stockpile's `share`, or `days` of the receivers' flow.

    Per product: `share` releases floor(share x the stockpile's units), shared over receivers
    pro rata to their normal flow; `days` gives each receiver ceil(days x its normal flow),
    pro rata when the stockpile holds less. Givers give pro rata to their stock.
    """

    kpi = "released"
    event = "released"

    def __init__(self, net: Network, spec: cm.StockpileRelease) -> None:
        super().__init__(net, spec)
        self.spec = spec
        products = named_products(net, spec.products)
        self.givers = (node_mask(net.nodes, spec.from_) & ~net.unlimited)[:, None] & (
            products & match_products(net, spec.from_))[None, :]
        takers = node_mask(net.nodes, spec.to) & ~net.unlimited
        self.takers = takers[:, None] & products[None, :] & (net.normal_flow > MIN_FLOW)
        self.takers &= ~self.givers  # a stockpile does not release to itself
        # Lead time per (giver, receiver): stated, else a lane's mean, else 1 day.
        self.lane_lead: dict[tuple[int, int], float] = {}
        if spec.lead_time_days is None:
            mean = net.lane_lead_mean()
            for k in range(net.n_lanes):
                self.lane_lead[(int(net.lane_src[k]), int(net.lane_dst[k]))] = float(mean[k])

    def act(self, t: int, st: State, transfers: Transfers, started: bool
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """On the measure's first active day: the release, sent."""
        if not started:
            return None
        spec, net = self.spec, self.net
        p = net.n_products
        g_rows, g_cols = np.nonzero(self.givers & (st.on_hand > 0))
        r_rows, r_cols = np.nonzero(self.takers)
        if not len(g_rows) or not len(r_rows):
            return None
        stock = np.bincount(g_cols, st.on_hand[g_rows, g_cols], minlength=p)
        flow = net.normal_flow[r_rows, r_cols]
        has_taker = np.bincount(r_cols, flow, minlength=p) > 0
        if spec.share is not None:
            release = np.floor(stock * spec.share + 1e-9).astype(np.int64) * has_taker
            weight = flow
        else:
            assert spec.days is not None
            asked = ceil_units(spec.days * flow)
            release = np.minimum(stock, np.bincount(r_cols, asked, minlength=p)).astype(np.int64)
            weight = asked.astype(float)
        if not release.any():
            return None
        give = whole_shares(release, st.on_hand[g_rows, g_cols].astype(float), g_cols, p)
        get = whole_shares(release, weight, r_cols, p)
        gi, ri, units = pair_up(give, get, g_cols, r_cols)
        givers, receivers = g_rows[gi], r_rows[ri]
        if spec.lead_time_days is not None:
            lead: np.ndarray | float = spec.lead_time_days
        else:
            lead = np.array([self.lane_lead.get((int(a), int(b)), 1.0)
                             for a, b in zip(givers.tolist(), receivers.tolist(), strict=True)])
        return self._send(t, transfers, givers, receivers, g_cols[gi], units, lead)


class EmergencyLanes(Move):
    """While active, receivers top up over temporary lanes, within the suppliers' `max_share`.

    Each day a receiver asks over its emergency lanes, in the listed order, for its
    order-up-to level less (on hand - own backorders - what it owes its customers + transfers
    on their way to it), less what its earlier-listed lanes gave today (a later lane is a
    backup). A supplier gives at most floor(max_share x its opening on-hand stock) a day per
    product over all its emergency lanes; lanes asking at once share what is left pro rata to
    what each asks (whole units, largest remainder). An outside source gives what is asked of
    the products it supplies.
    Cells without an ordering policy ask for nothing.
    """

    kpi = "emergency_in"
    event = "emergency_supplied"

    def __init__(self, net: Network, spec: cm.EmergencyLanes) -> None:
        super().__init__(net, spec)
        self.spec = spec
        index = {nid: i for i, nid in enumerate(net.node_ids)}
        givers, receivers, products, leads = [], [], [], []
        for lane in spec.lanes:
            g, r = index[lane.from_], index[lane.to]
            carried = named_products(net, lane.products) & (net.policy_kind[r] == POLICY_ORDER)
            if net.unlimited[g]:  # an outside source offers only its products
                carried &= named_products(net, net.nodes[g].products)
            givers.append(g)
            receivers.append(r)
            products.append(carried)
            leads.append(lane.lead_time_days)
        self.givers = np.array(givers, dtype=np.int64)
        self.receivers = np.array(receivers, dtype=np.int64)
        self.carried = np.array(products, dtype=bool).reshape(len(givers), net.n_products)
        self.lead = np.array(leads, dtype=float)
        # Lanes by their place among their receiver's lanes: round r holds every receiver's
        # r-th lane (in the listed order).
        place = np.zeros(len(givers), dtype=np.int64)
        seen: dict[int, int] = {}
        for k, r in enumerate(receivers):
            place[k] = seen.get(r, 0)
            seen[r] = place[k] + 1
        self.rounds = [np.flatnonzero(place == r) for r in range(int(place.max(initial=-1)) + 1)]

    def act(self, t: int, st: State, transfers: Transfers, started: bool
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """Each active day: the receivers' top-ups within the suppliers' allowances."""
        net = self.net
        p = net.n_products
        owed = st.owed_out()
        position = st.on_hand - st.backorder - owed + transfers.in_transit
        short = np.maximum(ceil_units(net.order_up_to) - position, 0)
        # Round r: each receiver's r-th listed lane asks what it still lacks after what its
        # earlier lanes gave; each supplier shares what is left of its allowance pro rata.
        allowance = np.floor(self.spec.max_share * st.on_hand + 1e-9).astype(np.int64).ravel()
        got = np.zeros_like(st.on_hand)
        n_keys = net.n_nodes * p
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for lanes in self.rounds:
            ask = np.where(self.carried[lanes], np.maximum(
                short[self.receivers[lanes]] - got[self.receivers[lanes]], 0), 0)
            rows, cols = np.nonzero(ask)
            if not len(rows):
                continue
            lane_ids = lanes[rows]
            want = ask[rows, cols]
            key = self.givers[lane_ids] * p + cols
            total = np.bincount(key, want, minlength=n_keys).astype(np.int64)
            cap = np.where(np.repeat(net.unlimited, p), total, allowance)
            given = np.minimum(total, cap)
            units = whole_shares(given, want.astype(float), key, n_keys).astype(np.int64)
            allowance -= np.bincount(key, units, minlength=n_keys).astype(np.int64)
            np.add.at(got, (self.receivers[lane_ids], cols), units)
            parts.append((lane_ids, cols, units))
        if not parts:
            return None
        lanes = np.concatenate([pt[0] for pt in parts])
        cols = np.concatenate([pt[1] for pt in parts])
        units = np.concatenate([pt[2] for pt in parts])
        return self._send(t, transfers, self.givers[lanes], self.receivers[lanes], cols,
                          units, self.lead[lanes])


MOVES: dict[str, type[Move]] = {
    "redistribution": Redistribution,
    "stockpile_release": StockpileRelease,
    "emergency_lanes": EmergencyLanes,
}
