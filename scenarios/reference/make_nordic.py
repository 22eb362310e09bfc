"""Write the Nordic reference network (nordic.yaml) and its national-priority scenario
(../nordic_national_priority.yaml) from the Swedish and Norwegian reference networks.

Nothing here is calibrated: nordic.yaml is composed from sweden.yaml and norway.yaml as they
stand (their node and lane tables are read in place, `{csv: sweden_nodes.csv}`), so that a
recalibration of either country carries over by running `python
scenarios/reference/make_nordic.py` again. tests/test_reference_nordic.py checks that the
committed files are what this script writes.

How the two networks are joined (the decisions; each is repeated where it acts in nordic.yaml):
- Nodes, lanes, care wards: every node of both countries, under its own id (the two files share
  no id but the outside makers and Halden; the script stops if another id clashes). Regions keep
  their ids (Swedish regions, Norwegian health authorities; none in common).
- Rules: every policy, stock and demand rule of each country applies to that country's nodes
  only (`country: SE` or `'NO'` added to its match) and is renamed `se_<name>` or `no_<name>`;
  the comments that give their sources come along. The two countries' stock obligations
  differ (Norway's wholesalers' extra two months, 20/45 days, three months of PPE; Sweden's
  figures) and both are kept: each country's own rules are its policy.
- Care: the categories must be the same in both (Norway's are Sweden's, make_norway.py); the
  admission and norm rules the two share are written once for both countries' wards, and what
  only one has (Norway's medical air made on site at its main hospitals) holds in that country
  only. If the two ever diverge, every rule is kept per country.
- Shared suppliers, one node each:
  * the outside makers (EU, China, India): one node, offering what either country buys from it
    (each country's lanes keep to what its own file had it offer). A cap on what one ships
    (`dispatch_capacity`) is given by a country file for its own market, as a multiple of its
    draw: the Nordic cap is the sum of both countries' parts, and where only one file caps a
    product, the other market's part is its draw at the same multiple (ASSUMPTION: a source
    near its maximum for one market is as near it for the other);
  * Halden, "one commercial producer of infusion fluids in Scandinavia" (DOMAIN.md): one node
    with both countries' lanes. Each country file gives it the capacity for its own market only
    (norway.yaml: "Here it makes for the Norwegian market only"), so the plant's whole capacity
    is their sum, per product: with both at 15 % above their draw (ASSUMPTION of each file, on
    "some makers already at maximum capacity", DOMAIN.md), the plant runs 15 % above the Nordic
    draw, and Norwegian orders now compete with Swedish ones for it. As a Norwegian node it
    plans with Norway's manufacturer rules;
  * medical gases: the Swedish makers "bedriver tillverkning lokalt, antingen i Sverige eller i
    något annat nordiskt land beroende på produkttypen" and "Alla företag har dock en nordisk
    spridning" (001_45ea3db74d157cad.txt); Norway's oxygen comes "mostly from one producer near
    Oslo" (DOMAIN.md). No source says which Norwegian customers the Swedish plants serve.
    ASSUMPTION (geography, "Närheten till marknaden är av stor betydelse", 001): the Norwegian
    trusts farthest from Oslo, 3-4 days by rail and road (Universitetssykehuset Nord-Norge and
    Finnmarkssykehuset, make_norway.py), are nearer the Swedish maker that serves Norrbotten
    (sweden.yaml; its days to Norrbotten plus up to a day across the border), and get half their
    gases from it, half from Oslo as before (ASSUMPTION: two suppliers, no source gives a split;
    either can carry the whole when the other stops, since sourcing falls back). Oslo still
    makes about 97 % of Norway's gases ("mostly"). Each gas maker keeps the capacity its
    country file gives it: both files give the whole maker, not a national share, so the
    Norwegian draw competes for the Swedish maker's headroom;
  * importers and wholesalers stay national: marketing-authorisation holders and the
    wholesalers' stock duties are national (Norway's listed medicines, Sweden's figures), and
    an importer in one country serving the other would be cut off by the export ban below,
    which is meant to hit plants.
- Where the two files differ, decided: product names are Sweden's (ids, groups and units are the
  same; the script stops if not); Halden plans with Norway's rule (daily, 33-34 days of position)
  rather than Sweden's (weekly, 28-35), because it is a Norwegian node and norway.yaml's reason
  holds for the whole plant (near capacity, a week's orders arriving at once take weeks to
  refill); medical air is each country's own way (Swedish hospitals' on-site plants as nodes,
  Norway's main hospitals with no cylinder use); horizon, warm-up, reporting and defaults must be
  equal (the script stops if not); the seed is new (2027), since it only draws.
- National priority ("Norge blir neppe prioritert i en krisesituasjon", 004_f3caacd9444b40c3.txt):
  each country bans the export of what its plants make for the other, from the end of the
  warm-up to the horizon: Norway the products Halden ships to Sweden, Sweden the gases its
  maker ships to Norway (`export_ban` with the products, so that nothing else crossing the
  border, were it added, is caught).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
OUT = HERE / "nordic.yaml"
PRIORITY = HERE.parent / "nordic_national_priority.yaml"
COUNTRIES = (("SE", "se", "sweden"), ("NO", "no", "norway"))
FOREIGN_MAKERS = ("maker_eu", "maker_cn", "maker_in")
# Shared plants whose capacity each country file gives for its own market only: summed.
PER_MARKET_CAPACITY = ("fluids_halden",)
OSLO_GASES = "oxygen_no"
FAR_NORTH_LEAD = "{distribution: uniform, low: 3, high: 4}"  # make_norway.RAIL_FAR_NORTH
SEED = 2027  # any seed: the country files have 2025 and 2026


# --- reading the country files, comments kept -------------------------------------------------

@dataclass
class Item:
    """A list item (or mapping entry) of a YAML section, with the comment lines above it."""

    comments: list[str]
    lines: list[str]
    data: Any = None
    key: str | None = None  # mapping entries
    trailing: str | None = None  # a comment after a one-line item

    def __post_init__(self) -> None:
        text = textwrap.dedent("\n".join(self.lines))
        if self.key is None:
            (self.data,) = yaml.safe_load(text)
        else:
            self.data = yaml.safe_load(text)[self.key]
        last = self.lines[-1]
        m = re.search(r"[}\]]\s+#\s?(.*)$", last)
        if m and len(self.lines) == 1:
            self.trailing = m.group(1)


def block(lines: list[str], key: str, indent: int) -> list[str]:
    """The lines under `key:` at `indent`, up to the next key at that indent or less."""
    head = " " * indent + key + ":"
    start = next(i for i, line in enumerate(lines) if line.rstrip() == head
                 or line.startswith(head + " "))
    out = []
    for line in lines[start + 1:]:
        stripped = line.strip()
        lead = len(line) - len(line.lstrip())
        if stripped and not stripped.startswith("#") and lead <= indent:
            break
        out.append(line)
    # Comments at or left of the key's indent after the last item belong to what follows.
    while out and (not out[-1].strip() or (out[-1].strip().startswith("#")
                                           and len(out[-1]) - len(out[-1].lstrip()) <= indent)):
        out.pop()
    return out


def comments_above(lines: list[str], key: str, indent: int) -> list[str]:
    """The comment lines right above `key:` at `indent`."""
    head = " " * indent + key + ":"
    i = next(i for i, line in enumerate(lines) if line.rstrip() == head
             or line.startswith(head + " "))
    out: list[str] = []
    while i > 0 and lines[i - 1].startswith(" " * indent + "#"):
        i -= 1
        out.insert(0, lines[i])
    return out


def items(lines: list[str], indent: int, mapping: bool = False) -> list[Item]:
    """The items of a list (or the entries of a mapping) whose entries sit at `indent`."""
    pad = " " * indent
    found: list[Item] = []
    comments: list[str] = []
    current: list[str] | None = None
    keys: list[str | None] = []
    groups: list[tuple[list[str], list[str]]] = []
    for line in lines:
        stripped = line.strip()
        lead = len(line) - len(line.lstrip())
        if not stripped:
            continue
        if stripped.startswith("#") and lead <= indent:
            if lead == indent:
                comments.append(stripped[1:].strip())
            current = None
            continue
        starts = (line.startswith(pad + "- ") if not mapping
                  else lead == indent and re.match(r"[A-Za-z_][\w]*:", stripped) is not None)
        if starts:
            current = [line]
            groups.append((comments, current))
            keys.append(stripped.split(":")[0] if mapping else None)
            comments = []
        elif current is not None and lead > indent:
            current.append(line)
    for (notes, body), key in zip(groups, keys, strict=True):
        found.append(Item(notes, body, key=key))
    return found


@dataclass
class Country:
    """One country file (`<stem>.yaml` in `folder`, with its tables): raw data, sections."""

    code: str
    prefix: str
    stem: str
    folder: Path
    raw: dict = field(init=False)
    lines: list[str] = field(init=False)

    def __post_init__(self) -> None:
        text = self.path.read_text(encoding="utf-8")
        self.raw = yaml.safe_load(text)
        self.lines = text.splitlines()

    @property
    def path(self) -> Path:
        return self.folder / f"{self.stem}.yaml"

    def table(self, kind: str) -> list[dict[str, str]]:
        """The rows of `<stem>_<kind>.csv` (nodes or lanes)."""
        with (self.folder / f"{self.stem}_{kind}.csv").open(encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    def section(self, key: str) -> list[Item]:
        return items(block(self.lines, key, 0), 2)

    def care(self, key: str) -> list[Item]:
        return items(block(block(self.lines, "care", 0), key, 2), 4, mapping=key == "categories")


# --- writing flow YAML --------------------------------------------------------------------------

PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
RESERVED = {"yes", "no", "y", "n", "true", "false", "on", "off", "null"}


def flow(x: Any) -> str:
    """`x` as one line of YAML flow style."""
    if isinstance(x, dict):
        return "{" + ", ".join(f"{flow(k)}: {flow(v)}" for k, v in x.items()) + "}"
    if isinstance(x, list):
        return "[" + ", ".join(flow(v) for v in x) + "]"
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        text = repr(x)
        return text if "e" not in text else f"{x:.12f}".rstrip("0")
    if isinstance(x, str):
        if PLAIN.match(x) and x.lower() not in RESERVED:
            return x
        if x.upper() == x and x.lower() in RESERVED:
            return f"'{x}'"
        return json.dumps(x, ensure_ascii=False)
    raise TypeError(f"cannot write {x!r}")


def comment(text: str, indent: int) -> list[str]:
    pad = " " * indent
    return [f"{pad}# {line}" for line in textwrap.wrap(text, 98 - indent)]


def emit(item_comments: list[str], body: str, indent: int = 2) -> list[str]:
    pad = " " * indent
    return [*(f"{pad}# {c}" if c else f"{pad}#" for c in item_comments), f"{pad}- {body}"]


# --- composing -----------------------------------------------------------------------------------

def check_same(se: Country, no: Country) -> None:
    """What must agree for the two networks to share one run."""
    for key in ("horizon_days", "warmup_days", "reporting", "defaults"):
        if se.raw.get(key) != no.raw.get(key):
            raise SystemExit(f"{key} differs between sweden.yaml and norway.yaml: decide which "
                             "holds for the Nordic network in make_nordic.py")
    for key in ("rationing", "countermeasures", "disruptions"):
        if se.raw.get(key) or no.raw.get(key):
            raise SystemExit(f"a reference network has {key}: the Nordic baseline has none; "
                             "decide in make_nordic.py")
    for pid in se.raw["products"].keys() & no.raw["products"].keys():
        a, b = se.raw["products"][pid], no.raw["products"][pid]
        if (a["group"], a.get("unit")) != (b["group"], b.get("unit")):
            raise SystemExit(f"product {pid} has another group or unit in each country")


def products_section(se: Country, no: Country) -> list[str]:
    out = ["products:",
           "  # The products of both networks (same ids, groups and units; Norway's names are in",
           "  # norway.yaml). Sweden's entries and comments:"]
    out += block(se.lines, "products", 0)
    extra = [p for p in no.raw["products"] if p not in se.raw["products"]]
    if extra:
        out.append("  # Products only the Norwegian network has:")
        out += [f"  {pid}: {flow(no.raw['products'][pid])}" for pid in extra]
    return out


def draws(country: Country, node_ids: set[str]) -> dict[str, dict[str, float]]:
    """The normal daily draw on each of `node_ids`, per product, in the country's own network."""
    import sim
    from sim.network import network_of

    net = network_of(sim.load_scenario(country.path))
    return {n: {pid: float(net.normal_flow[net.node_ids.index(n), j])
                for j, pid in enumerate(net.product_ids)} for n in node_ids}


def significant(x: float, digits: int = 3) -> float:
    """`x` rounded to `digits` significant digits (as make_sweden.py writes capacities)."""
    if x == 0:
        return 0.0
    return round(x, digits - 1 - math.floor(math.log10(abs(x))))


def merged_capacity(node_id: str, key: str, parts: dict[str, dict],
                    draw: dict[str, dict[str, dict[str, float]]]) -> tuple[dict, str]:
    """A shared node's capacity (or dispatch capacity) for both markets, and how it was made.

    Each country file gives the capacity for its own market (the draw its network puts on the
    node). Where both give one, the plant's is their sum; where one file gives none for a
    product, the other market's part is taken at the same multiple of its draw (ASSUMPTION: a
    source that is near its maximum for one market is as near it for the other)."""
    out: dict[str, float] = {}
    filled = []
    order = [*parts["SE"], *(p for p in parts["NO"] if p not in parts["SE"])]
    for pid in order:
        given = {c: parts[c][pid] for c in parts if pid in parts[c]}
        if len(given) == 2:
            out[pid] = round(sum(given.values()), 2)
            continue
        ((code, cap),) = given.items()
        other = "NO" if code == "SE" else "SE"
        own, theirs = draw[code][node_id][pid], draw[other][node_id][pid]
        if theirs == 0:
            out[pid] = cap
            continue
        if own == 0:
            raise SystemExit(f"{node_id}: {key} of {pid} with no draw in its own country")
        whole = significant(cap * (1 + theirs / own))
        out[pid] = int(whole) if whole == int(whole) else whole
        filled.append(f"{pid} {cap / own:.2f} x")
    note = f"{key}: Sweden's {flow(parts['SE'])} + Norway's {flow(parts['NO'])}"
    if filled:
        note += (". Where one file gives none, the other market's part is its draw at the "
                 "capping file's multiple (ASSUMPTION: a source near its maximum for one market "
                 "is as near it for the other): " + ", ".join(filled))
    return out, note


def merged_node(node_id: str, se: dict, no: dict,
                draw: dict[str, dict[str, dict[str, float]]]) -> tuple[dict, list[str]]:
    """One node for a shared supplier, and what the merge did."""
    out = dict(se)
    notes = []
    for key in sorted((se.keys() | no.keys()) - {"name", "products", "capacity",
                                                  "dispatch_capacity"}):
        if se.get(key) != no.get(key):
            raise SystemExit(f"{node_id}: {key} differs ({se.get(key)!r} in sweden.yaml, "
                             f"{no.get(key)!r} in norway.yaml): decide in make_nordic.py")
    if "products" in se or "products" in no:
        offered = list(se.get("products", []))
        offered += [p for p in no.get("products", []) if p not in offered]
        out["products"] = offered
        if offered != list(se.get("products", [])):
            notes.append(f"products: Sweden's {flow(se.get('products'))} and Norway's "
                         f"{flow(no.get('products'))}")
    for key in ("capacity", "dispatch_capacity"):
        if key in se or key in no:
            out[key], note = merged_capacity(node_id, key, {"SE": se.get(key, {}),
                                                            "NO": no.get(key, {})}, draw)
            notes.append(note)
    return out, notes


SHARED_NOTES = {
    "maker_eu": "shared by both countries (the same id in both files), offering what either "
                "buys from it; each country's lanes from it carry what its own file had it offer "
                "(lanes below).",
    "fluids_halden": (
        "Halden, the one commercial producer of infusion fluids in Scandinavia (DOMAIN.md), "
        "shared: one node with both countries' lanes. Each country file gives it the capacity "
        "for its own market only (norway.yaml: 'Here it makes for the Norwegian market only'; "
        "sweden.yaml: the Swedish draw), so the plant's whole capacity is their sum, per "
        "product, and the two markets compete for it. A Norwegian node: it plans with Norway's "
        "manufacturer rules (no_manufacturer_fluids: daily, which suits a plant near capacity; "
        "sweden.yaml plans a week at a time). QC release and region are the same in both files."),
}


def nodes_section(se: Country, no: Country
                  ) -> tuple[list[str], dict[str, dict], dict[str, dict[str, dict]]]:
    """The nodes section, the YAML-listed nodes by id (CSV tables are read in place), and each
    country's own copy of the shared nodes."""
    by_country = {c.code: c.section("nodes") for c in (se, no)}
    ids = {code: {i.data["id"]: i for i in its if "id" in i.data}
           for code, its in by_country.items()}
    shared = ids["SE"].keys() & ids["NO"].keys()
    expected = set(FOREIGN_MAKERS) | set(PER_MARKET_CAPACITY)
    if shared - expected:
        raise SystemExit(f"ids in both files that are not shared suppliers: {shared - expected}")
    draw = {c.code: draws(c, shared) for c in (se, no)}
    nodes: dict[str, dict] = {}
    out = ["nodes:"]
    for code, country in (("SE", se), ("NO", no)):
        out += comment(f"--- from {country.path.name} "
                       f"({'Sweden' if code == 'SE' else 'Norway'}) ---", 2)
        for item in by_country[code]:
            node_id = item.data.get("id")
            if node_id in shared:
                if code == "NO":
                    continue  # written with the Swedish copy
                data, notes = merged_node(node_id, item.data, ids["NO"][node_id].data, draw)
                note = SHARED_NOTES.get(node_id, SHARED_NOTES["maker_eu"]
                                        if node_id in FOREIGN_MAKERS else "")
                lines = [f"  # {c}" if c else "  #" for c in item.comments]
                other = ids["NO"][node_id].comments
                if other and other != item.comments:
                    lines += ["  # norway.yaml:"] + [f"  # {c}" if c else "  #" for c in other]
                lines += comment("Nordic network: " + note, 2)
                if notes:
                    lines += comment("Merged: " + "; ".join(notes), 2)
                out += [*lines, f"  - {flow(data)}"]
                nodes[node_id] = data
                continue
            if "csv" in item.data:
                out += [f"  # {c}" for c in item.comments] + item.lines
                continue
            out += [f"  # {c}" if c else "  #" for c in item.comments] + item.lines
            nodes[node_id] = item.data
    own = {code: {i: ids[code][i].data for i in shared} for code in ids}
    return out, nodes, own


def far_north_gas_lanes(se: Country, no: Country) -> tuple[list[dict], str]:
    """Lanes from the Swedish maker that serves Norrbotten to the Norwegian nodes that get gases
    3-4 days from Oslo, and that maker's id."""
    makers = {i.data["id"] for i in se.section("nodes")
              if "medical_gases" in i.data.get("products", [])
              or "oxygen_bulk" in i.data.get("capacity", {})}
    norrbotten = {r["id"] for r in se.table("nodes") if r["region"] == "norrbotten"
                  and r["role"] == "hospital_pharmacy"}
    served = {(r["from"], r["lead_time_days"]) for r in se.table("lanes")
              if r["from"] in makers and r["to"] in norrbotten}
    if len(served) != 1:
        raise SystemExit(f"Norrbotten's hospitals have gases from {served}, not one maker: "
                         "decide in make_nordic.py")
    ((maker, days),) = served
    lead = {"distribution": "uniform", "low": int(days), "high": int(days) + 1}
    lanes = [{"from": maker, "to": r["to"], "lead_time_days": lead,
              "products": yaml.safe_load(r["products"])}
             for r in no.table("lanes")
             if r["from"] == OSLO_GASES and r["lead_time_days"] == FAR_NORTH_LEAD]
    if not lanes:
        raise SystemExit("no Norwegian node gets its gases 3-4 days from Oslo: check "
                         "FAR_NORTH_LEAD against make_norway.py")
    return lanes, maker


def offer(node: dict) -> list[str] | None:
    """What a node supplies, as its file lists it (None: everything)."""
    if node.get("unlimited"):
        return node.get("products")
    return list(node.get("capacity", {})) or None


def expand(products: list[str] | None, country: Country) -> set[str] | None:
    """Product ids of a list of ids and groups (None: all)."""
    if products is None:
        return None
    catalogue = country.raw["products"]
    return {pid for pid, p in catalogue.items() if pid in products or p["group"] in products}


def lanes_section(se: Country, no: Country, extra: list[dict], maker: str,
                  own: dict[str, dict[str, dict]], merged: dict[str, dict]) -> list[str]:
    """The lanes; `own[code][id]` is a shared node as that country's file has it."""
    out = ["lanes:"]
    for country in (se, no):
        out += comment(f"--- from {country.path.name} ---", 2)
        for item in country.section("lanes"):
            out += [f"  # {c}" if c else "  #" for c in item.comments]
            src = item.data.get("from")
            mine = own[country.code].get(src)
            if mine is None or "products" in item.data or expand(offer(mine), se) == expand(
                    offer(merged[src]), se):
                out += item.lines
                continue
            # A lane without `products` carries all its supplier offers: the shared node offers
            # more than this country's copy did, so the lane keeps to what it carried.
            out.append(f"  # (make_nordic.py: products as {country.path.name} had {src} offer)")
            out.append(f"  - {flow({**item.data, 'products': offer(mine)})}")
    out += comment("--- cross-border gases (make_nordic.py): the Norwegian trusts 3-4 days from "
                   "Oslo by rail and road (Universitetssykehuset Nord-Norge, Finnmarkssykehuset) "
                   f"get half their gases from {maker}, the Swedish maker that serves Norrbotten "
                   "(sweden.yaml), in its days to Norrbotten plus up to one across the border "
                   "(ASSUMPTION: nearer than Oslo; the makers have 'en nordisk spridning', "
                   "001_45ea3db74d157cad.txt), and half from Oslo as before (ASSUMPTION: no "
                   "source gives a split)", 2)
    out += [f"  - {flow(lane)}" for lane in extra]
    return out


def restricted(item: Item, code: str, prefix: str) -> dict:
    """A rule of one country, for that country's nodes only."""
    data = dict(item.data)
    match = dict(data.get("match", {}))
    if "country" in match and match["country"] != code:
        raise SystemExit(f"{data.get('name')}: a rule of one country matches another")
    match["country"] = code
    data = {"name": f"{prefix}_{data['name']}" if data.get("name") else None, "match": match,
            **{k: v for k, v in data.items() if k not in ("name", "match")}}
    if data["name"] is None:
        del data["name"]
    return data


def rules_section(key: str, se: Country, no: Country, intro: list[str]) -> list[str]:
    out = [f"{key}:", *intro]
    for code, prefix, country in (("SE", "se", se), ("NO", "no", no)):
        out += comment(f"--- {country.path.name}: for {code} nodes only, renamed {prefix}_... "
                       "(the comments are that file's) ---", 2)
        for item in country.section(key):
            body = flow(restricted(item, code, prefix))
            if item.trailing:
                body += f"  # {item.trailing}"
            out += emit(item.comments, body)
    return out


def care_section(se: Country, no: Country) -> list[str]:
    cats = {c.code: c.care("categories") for c in (se, no)}
    if [(i.key, i.data) for i in cats["SE"]] != [(i.key, i.data) for i in cats["NO"]]:
        raise SystemExit("care categories differ between the countries: decide in "
                         "make_nordic.py (e.g. one category per country)")
    out = ["care:", "  categories:"]
    for item in cats["SE"]:
        out += [f"    # {c}" for c in item.comments] + item.lines
    care = block(se.lines, "care", 0)
    for key in ("admissions", "norms"):
        a, b = se.care(key), no.care(key)
        out += [*comments_above(care, key, 2), f"  {key}:"]
        common = len(a) <= len(b) and [i.data for i in a] == [i.data for i in b[:len(a)]]
        if common:
            out += comment("Shared by both countries' wards (sweden.yaml and norway.yaml have "
                           "the same rules; comments from sweden.yaml):", 4)
            for item in a:
                out += [f"    # {c}" for c in item.comments] + item.lines
            rest = [(item, "NO", "no") for item in b[len(a):]]
        else:
            rest = [(item, "SE", "se") for item in a] + [(item, "NO", "no") for item in b]
        for item, code, prefix in rest:
            if item is rest[0][0] or (code == "NO" and rest[0][1] == "SE" and item is b[0]):
                out += comment(f"For {code} wards only (from "
                               f"{'sweden' if code == 'SE' else 'norway'}.yaml):", 4)
            body = flow(restricted(item, code, prefix))
            if item.trailing:
                body += f"  # {item.trailing}"
            out += emit(item.comments, body, indent=4)
    return out


HEADER = """\
# The Nordic reference network: Sweden and Norway with their shared suppliers, normal operations.
#
# GENERATED by make_nordic.py from sweden.yaml and norway.yaml (and their CSV tables, read in
# place): do not edit; change a country file, or the decisions in make_nordic.py, and run
# `python scenarios/reference/make_nordic.py`. Its docstring gives every decision taken in joining
# the two networks, with its source or its ASSUMPTION; the comments below repeat them where they
# act. The comments copied from the country files keep their citations; where they say "here" or
# "this network" they speak of their own country.
#
# What is shared: the outside makers (EU, China, India); Halden, whose capacity is both files'
# (each gives its own market's part) and for which both markets now compete; and the Swedish gas
# maker that serves Norrbotten, which also serves the Norwegian trusts farthest from Oslo. What is
# not: importers and wholesalers (national duties), every stock, policy and demand rule (each
# country's, for its own nodes). ../nordic_national_priority.yaml stops the plants' exports to the
# other country (the 2019 report: "Norge blir neppe prioritert i en krisesituasjon").
"""


def scenario_text(se: Country, no: Country) -> tuple[str, dict[str, list[str]]]:
    """nordic.yaml, and the products each country's plants ship to the other."""
    check_same(se, no)
    extra, maker = far_north_gas_lanes(se, no)
    node_lines, nodes, own = nodes_section(se, no)
    lines = [HEADER.rstrip("\n"),
             "name: nordic-reference",
             "description: >-",
             "  Nordic reference network, normal operations: the Swedish and Norwegian reference",
             "  networks joined, with the Halden infusion-fluid plant, the outside makers and a",
             "  Swedish gas maker serving both countries, and cross-border lanes.",
             f"horizon_days: {se.raw['horizon_days']}",
             "# The country files' warm-up (both 30 days).",
             f"warmup_days: {se.raw['warmup_days']}",
             "# Any seed (the country files have 2025 and 2026): it draws, it does not calibrate.",
             f"seed: {SEED}",
             "",
             "reporting:",
             *[f"  {k}: {flow(v)}" for k, v in se.raw["reporting"].items()],
             "",
             *products_section(se, no),
             "",
             *node_lines,
             "",
             *lanes_section(se, no, extra, maker, own, nodes),
             "",
             *rules_section("policies", se, no, comment(
                 "Later rules win, within each country; no rule reaches across the border.", 2)),
             "",
             *rules_section("stocks", se, no, []),
             "",
             *rules_section("demands", se, no, []),
             "",
             *care_section(se, no),
             "",
             "disruptions: []",
             ""]
    exports = cross_border_products(se, no, nodes, extra)
    return "\n".join(lines), exports


def cross_border_products(se: Country, no: Country, nodes: dict[str, dict],
                          extra: list[dict]) -> dict[str, list[str]]:
    """Per country, the products its plants (manufacturers) ship across the border."""
    country_of = {}
    for c in (se, no):
        country_of |= {row["id"]: c.code for row in c.table("nodes")}
    country_of |= {i: str(n["country"]) for i, n in nodes.items()}
    lanes = [i.data for c in (se, no) for i in c.section("lanes") if "csv" not in i.data]
    lanes += extra
    groups: dict[str, list[str]] = {}
    for pid, product in se.raw["products"].items():
        groups.setdefault(product["group"], []).append(pid)
    out: dict[str, list[str]] = {"SE": [], "NO": []}
    for lane in lanes:
        src, dst = lane["from"], lane["to"]
        node = nodes.get(src, {})
        if node.get("role") != "manufacturer" or country_of[src] not in out:
            continue
        if country_of.get(dst) == country_of[src]:
            continue
        made = lane.get("products") or list(node.get("capacity", {}))
        made = [q for p in made for q in groups.get(p, [p])]
        out[country_of[src]] += [p for p in made if p not in out[country_of[src]]]
    # A whole group by its name.
    for code, made in out.items():
        for group, members in groups.items():
            if set(members) <= set(made):
                made = [group] + [p for p in made if p not in members]
        out[code] = made
    return out


PRIORITY_TEXT = """\
# National priority on the Nordic reference network: from the end of the warm-up, each country's
# plants stop supplying the other. The 2019 Norwegian report expects it: "Norge blir neppe
# prioritert i en krisesituasjon" (004_f3caacd9444b40c3.txt). GENERATED by
# reference/make_nordic.py with the network (the products are what each country's plants ship
# across the border in reference/nordic.yaml): Norway stops Halden's infusion fluids to Sweden,
# Sweden stops its gas maker's deliveries to northern Norway. Nothing else changes: no
# disruption, normal demand; orders fall back to each customer's other suppliers (sourcing
# `fallback`, the default). Compare with nordic_baseline.yaml (same seed, same demand draws).
extends: nordic_baseline.yaml
name: nordic-national-priority
description: >-
  National priority on the Nordic reference network: from day {start} to the horizon, Norway
  bans the export of Halden's infusion fluids and Sweden that of its medical gases.
disruptions:
  # ASSUMPTION: the bans start when the warm-up ends and last to the horizon: a decision in a
  # crisis, not a state of normal operations, so the KPIs see the change and what follows it.
{bans}
"""


def priority_text(se: Country, exports: dict[str, list[str]]) -> str:
    start = int(se.raw["warmup_days"])
    duration = int(se.raw["horizon_days"]) - start
    if not exports["SE"] or not exports["NO"]:
        raise SystemExit(f"national priority needs plants in both countries that supply the "
                         f"other: {exports}")
    names = {"NO": "Norge prioriterer egne behov: Halden",
             "SE": "Sverige prioriterar egna behov: medicinska gaser"}
    bans = [{"name": names[code], "type": "export_ban", "country": code,
             "products": exports[code], "start_day": start, "duration_days": duration}
            for code in ("NO", "SE")]
    return PRIORITY_TEXT.format(start=start, bans="\n".join(f"  - {flow(b)}" for b in bans))


def build(folder: Path = HERE) -> tuple[str, str]:
    """The texts of nordic.yaml and nordic_national_priority.yaml, from the country files in
    `folder`."""
    se, no = (Country(code, prefix, stem, folder) for code, prefix, stem in COUNTRIES)
    text, exports = scenario_text(se, no)
    return text, priority_text(se, exports)


def checkout(rev: str, folder: Path) -> None:
    """The country files (YAML and tables) as of git revision `rev`, into `folder`."""
    for _, _, stem in COUNTRIES:
        for name in (f"{stem}.yaml", f"{stem}_nodes.csv", f"{stem}_lanes.csv"):
            text = subprocess.run(["git", "show", f"{rev}:./{name}"], cwd=HERE, check=True,
                                  capture_output=True).stdout
            (folder / name).write_bytes(text)


def summary(path: Path) -> None:
    """Print the network's size and the shared plants' capacity over the Nordic draw."""
    import sim
    from sim.network import network_of

    net = network_of(sim.load_scenario(path))
    print(f"{len(net.node_ids)} nodes ({list(net.roles).count('hospital_pharmacy')} hospitals), "
          f"{len(net.scenario.lanes)} lanes")
    for i, node in enumerate(net.node_ids):
        cap = net.production_capacity[i] if not net.unlimited[i] else net.dispatch_capacity[i]
        made = np.isfinite(cap) & (cap > 0) & (net.normal_flow[i] > 0)
        if node in ("fluids_halden", OSLO_GASES, *FOREIGN_MAKERS) or (
                made.any() and net.scenario.nodes[i].country in ("SE", "NO")
                and any(lane.to.startswith(("unn_", "finnmark")) and lane.from_ == node
                        for lane in net.scenario.lanes)):
            if made.any():
                ratio = cap[made] / net.normal_flow[i, made]
                print(f"{node}: capacity / Nordic normal draw {ratio.min():.3f}-"
                      f"{ratio.max():.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", help="read the country files as of this git revision (e.g. "
                        "HEAD, while someone edits them), not as they are on disk")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE.parent.parent))
    if args.rev:
        with tempfile.TemporaryDirectory() as tmp:
            checkout(args.rev, Path(tmp))
            nordic, priority = build(Path(tmp))
    else:
        nordic, priority = build()
    OUT.write_text(nordic, encoding="utf-8")
    PRIORITY.write_text(priority, encoding="utf-8")
    summary(OUT)
