"""Allocation quotas at suppliers, order caps, and the hoarding they answer.

- `rule: history`: when a matched supplier is short, each customer lane's claims (backlog and
  today's orders) are first capped at its quota, floor(on hand x the lane's share of the
  supplier's whole normal flow of the product), and the supplier's own demand likewise at its
  own share; the allocation by tier runs on the capped claims, and what is left then goes, by
  tier and pro rata, to the rest of the claims. Over-ordering buys nothing while the others
  claim their share.
- `order_cap_days`: an order a customer places on a lane from a matched supplier is cut to
  ceil(order_cap_days x the customer's normal daily flow of the product); the cut part is
  never ordered (customers without a normal flow of the product are not capped).
- Hoarding (node key `hoarding_factor`): after a supplier cut a node's order of a product
  (shipped less than claimed, or capped it), the node's reorder and order-up-to levels for it
  are the factor times their values at its reviews within `hoarding_window_days` of the cut.
"""

from __future__ import annotations

import numpy as np

from sim.countermeasures.triggers import Trigger, match_products
from sim.network import Network, node_mask
from sim.scenario import countermeasures as cm


class Allocation:
    """One allocation rule: the supplier cells it holds at, and what it does there."""

    def __init__(self, net: Network, spec: cm.Allocation, trigger: Trigger) -> None:
        self.spec = spec
        self.trigger = trigger
        self.cells = (node_mask(net.nodes, spec.match)[:, None]
                      & match_products(net, spec.match)[None, :])
        self.history = spec.rule == "history"
        self.units = 0


class Quotas:
    """Today's allocation rules in force, read by the suppliers' and customers' actors."""

    def __init__(self, net: Network, rules: list[Allocation]) -> None:
        self.net = net
        self.rules = rules
        n, p = net.n_nodes, net.n_products
        self.history = np.zeros((n, p), dtype=bool)  # today: history rule at supplier cells
        self.cap_days = np.full((n, p), np.inf)  # today: order cap at supplier cells
        self.any_history = False
        self.any_cap = False
        # The lane's share of its supplier's whole normal flow (own demand included), per
        # product, and the own demand's share: quotas add up to the stock, own use included.
        total = net.normal_flow
        with np.errstate(divide="ignore", invalid="ignore"):
            self.lane_weight = np.where(total[net.lane_src] > 0,
                                        net.lane_flow / np.where(total[net.lane_src] > 0,
                                                                 total[net.lane_src], 1), 0.0)
        outflow = np.zeros((n, p))
        np.add.at(outflow, net.lane_src, net.lane_flow)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.own_weight = np.where(total > 0, np.maximum(total - outflow, 0.0)
                                       / np.where(total > 0, total, 1), 0.0)

    def update(self) -> None:
        """Set today's rules from the triggers' states (the last active rule wins per cell)."""
        self.history.fill(False)
        self.cap_days.fill(np.inf)
        for rule in self.rules:
            if not rule.trigger.active:
                continue
            self.history = np.where(rule.cells, rule.history, self.history)
            if rule.spec.order_cap_days is not None:
                self.cap_days = np.where(rule.cells, rule.spec.order_cap_days, self.cap_days)
        self.any_history = bool(self.history.any())
        self.any_cap = bool(np.isfinite(self.cap_days).any())

    def quota(self, lanes: slice, src: np.ndarray, on_hand: np.ndarray) -> np.ndarray:
        """Per lane of a block: its history quota of today's stock (int64 max where none)."""
        share = self.lane_weight[lanes]
        quota = np.floor(on_hand[src] * share + 1e-9)
        on = self.history[self.net.lane_src[lanes]]
        return np.where(on, quota, np.iinfo(np.int64).max // 4).astype(np.int64)

    def own_quota(self, nodes: slice, on_hand: np.ndarray) -> np.ndarray:
        """Per node of a block: its own demand's history quota (int64 max where none)."""
        quota = np.floor(on_hand * self.own_weight[nodes] + 1e-9)
        return np.where(self.history[nodes], quota,
                        np.iinfo(np.int64).max // 4).astype(np.int64)

    def cap(self, lanes: np.ndarray) -> np.ndarray:
        """Per inbound lane: the most a customer may order on it today (inf where no cap)."""
        net = self.net
        days = self.cap_days[net.lane_src[lanes]]
        flow = net.normal_flow[net.lane_dst[lanes]]
        # A customer with no normal flow of a product has no measure to cap by.
        capped = np.isfinite(days) & (flow > 0)
        return np.where(capped, np.ceil(np.where(capped, days, 0) * flow - 1e-9), np.inf)


def cap_claims(rows: np.ndarray, quota: np.ndarray, m: int, k: int,
               own: np.ndarray | None = None, rank: np.ndarray | None = None) -> np.ndarray:
    """Claim rows capped at their history quotas.

    Each lane's backlog, then today's orders, at the lane's quota; the node's own claims at its
    own quota (`own`, per node), spent in allocation order (`rank`: tier, then backlog before
    today's), so with care classes imperative care comes first. Rows as `StockHolder.serve`
    stacks them: own backlog, lanes' backlog, own demand, lanes' new orders (m own rows, k
    lanes; with care, own rows class by class).
    """
    out = rows.copy()
    owed = np.minimum(rows[m:m + k], quota)
    out[m:m + k] = owed
    out[2 * m + k:] = np.minimum(rows[2 * m + k:], quota - owed)
    if own is not None:
        nb = own.shape[0]
        mine = np.r_[0:m, m + k:2 * m + k]  # own rows: backlog, then today's
        node = np.r_[np.arange(m) % nb, np.arange(m) % nb]
        ranks = np.zeros(len(mine)) if rank is None else rank[mine]
        # Each node's own rows in allocation order, stable (class order within a rank).
        order = np.lexsort((np.arange(len(mine)), ranks, node))
        per = len(mine) // nb
        left = own.copy()
        for r in range(per):
            at = mine[order.reshape(nb, per)[:, r]]
            take = np.minimum(out[at], left)
            out[at] = take
            left = left - take
    return out
