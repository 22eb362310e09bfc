"""Write the hostile corpus: files as a careless or malicious colleague might send them.

Each file is one way to break the loader; tests/test_hostile.py names the message each must
produce. Run from anywhere: `python tests/hostile/make_corpus.py` rewrites the files here.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent

BASE = """\
name: base
horizon_days: 20
seed: 1
products:
  saline: {name: Saline 1 l, group: fluids, unit: bag}
nodes:
  - {id: supplier, role: manufacturer, country: SE, region: uppsala, unlimited: true}
  - id: ward
    role: ward
    country: SE
    region: uppsala
    stock: {saline: {initial: 8}}
    policy: {saline: {type: base_stock, level: 8}}
    demand: {saline: {mean_per_day: 1.0}}
lanes:
  - {from: supplier, to: ward, lead_time_days: 2}
"""

HEAD = """\
name: hostile
horizon_days: 20
products:
  saline: {name: Saline 1 l, group: fluids, unit: bag}
"""
SUPPLIER = "  - {id: supplier, role: manufacturer, country: SE, region: uppsala, unlimited: true}\n"
LANE = "lanes:\n  - {from: supplier, to: ward, lead_time_days: 2}\n"


def ward(**fields: str) -> str:
    """A ward node, its fields overridden by YAML snippets."""
    spec = {"id": "ward", "role": "ward", "country": "SE", "region": "uppsala",
            "stock": "{saline: {initial: 8}}", "policy": "{saline: {type: base_stock, level: 8}}",
            "demand": "{saline: {mean_per_day: 1.0}}", **fields}
    return "  - " + "\n    ".join(f"{k}: {v}" for k, v in spec.items()) + "\n"


def scenario(ward_fields: dict[str, str] | None = None, lanes: str = LANE, extra: str = "",
             head: str = HEAD) -> str:
    """A small scenario with one thing changed."""
    return head + "nodes:\n" + SUPPLIER + ward(**(ward_fields or {})) + lanes + extra


def laughs(kind: str) -> str:
    """The billion laughs: nine levels of nine aliases each, 9**9 values from 1 kB."""
    if kind == "lists":
        out = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for i in range(1, 10):
            prev, cur = chr(96 + i), chr(97 + i)
            out += f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]\n"
        return out
    out = "a: &a {k1: lol, k2: lol, k3: lol, k4: lol, k5: lol, k6: lol, k7: lol, k8: lol}\n"
    for i in range(1, 10):
        prev, cur = chr(96 + i), chr(97 + i)
        out += f"{cur}: &{cur} {{" + ", ".join(f"k{j}: *{prev}" for j in range(9)) + "}\n"
    return out


CARE = """\
care:
  categories:
    trauma: {{length_of_stay_days: 10, priority: imperative,
             staff_shifts_per_patient_day: {shifts}}}
  norms:
    - {{category: trauma, product: saline, per_patient_day: {norm}, per_staff_shift: {norm}}}
  admissions:
    - {{match: {{role: ward}}, category: trauma, mean_per_day: {admissions}}}
"""

SCENARIOS: dict[str, str | bytes] = {
    "bomb_lists.yaml": laughs("lists"),
    "bomb_maps.yaml": laughs("maps"),
    "bomb_merge.yaml": "a: &a {k: 1}\n" + "".join(
        f"m{i}: &m{i} {{<<: [*{'a' if i == 0 else f'm{i - 1}'}, "
        f"*{'a' if i == 0 else f'm{i - 1}'}], z{i}: 1}}\n" for i in range(30)),
    "bomb_in_nodes.yaml": HEAD + laughs("lists") + "nodes: *j\n",
    "recursive_alias.yaml": HEAD + "nodes: &n [*n]\n",
    "undefined_alias.yaml": HEAD + "nodes: *nowhere\n",
    "deep_lists.yaml": HEAD + "nodes: " + "[" * 40 + "]" * 40 + "\n",
    "deep_maps.yaml": HEAD + "defaults: " + "{a: " * 40 + "1" + "}" * 40 + "\n",
    "deep_libyaml.yaml": HEAD + "nodes: " + "[" * 20000 + "\n",
    "long_string.yaml": scenario({"name": "x" * 25_000}),
    "long_list.yaml": HEAD + "tags: [" + ", ".join(["t"] * 60_000) + "]\n",
    "binary.yaml": bytes(range(256)) * 4,
    "utf16.yaml": scenario().encode("utf-16"),
    "utf32.yaml": scenario().encode("utf-32"),
    "latin1.yaml": scenario({"region": "Skåne"}).encode("latin-1"),
    "python_tag.yaml": HEAD + "nodes: !!python/object/apply:os.system ['echo owned']\n",
    "list_at_top.yaml": "- name: hostile\n- horizon_days: 20\n",
    "scalar_at_top.yaml": "just a sentence\n",
    "empty.yaml": "",
    "duplicate_keys.yaml": scenario(extra="horizon_days: 30\n"),
    "nan_demand.yaml": scenario({"demand": "{saline: {mean_per_day: .nan}}"}),
    "inf_lead_time.yaml": scenario(lanes="lanes:\n  - {from: supplier, to: ward, "
                                         "lead_time_days: .inf}\n"),
    "inf_as_text.yaml": scenario({"demand": "{saline: {mean_per_day: 'inf'}}"}),
    "overflow_as_text.yaml": scenario({"stock": "{saline: {initial: '1e400'}}"}),
    "huge_demand.yaml": scenario({"demand": "{saline: {mean_per_day: 1.0e+30}}"}),
    "int64_level.yaml": scenario({"policy": "{saline: {type: base_stock, level: "
                                            "9223372036854775808}}"}),
    "long_integer.yaml": scenario({"stock": "{saline: {initial: 1" + "0" * 5000 + "}}"}),
    "demand_times_scale.yaml": scenario({"scale": "{beds: 1000000000}",
                                         "demand": "{saline: {mean_per_day: 100, per: beds}}"}),
    "surge_overflow.yaml": scenario({"demand": "{saline: {mean_per_day: 1000000}}"},
                                    extra="disruptions:\n" + "".join(
                                        "  - {type: demand_surge, where: {roles: [ward]}, "
                                        "start_day: 1, duration_days: 5, factor: 1000}\n"
                                        for _ in range(3))),
    "horizon_forever.yaml": scenario(head=HEAD.replace("horizon_days: 20",
                                                       "horizon_days: 10000000000")),
    "supply_days_huge.yaml": scenario({"stock": "{saline: {initial_days: 100000}}"}),
    "negative_seed.yaml": scenario(extra="seed: -1\n"),
    "types_top.yaml": scenario(head=HEAD.replace("name: hostile", "name: [a, list]")),
    "types_products.yaml": scenario(head=HEAD.replace(
        "products:\n  saline: {name: Saline 1 l, group: fluids, unit: bag}",
        "products: [saline]")),
    "types_nodes.yaml": HEAD + "nodes: {supplier: manufacturer}\n" + LANE,
    "types_node_item.yaml": HEAD + "nodes:\n" + SUPPLIER + "  - just a ward\n" + LANE,
    "types_node_fields.yaml": scenario({"priority": "first", "unlimited": "[maybe]"}),
    "types_lane.yaml": scenario(lanes="lanes:\n  - {from: supplier, to: ward, "
                                      "lead_time_days: soon}\n"),
    "types_policy.yaml": scenario({"policy": "{saline: {type: base_stock, level: {a: 1}}}"}),
    "types_disruption.yaml": scenario(extra="disruptions:\n  - {type: power_outage, "
                                            "where: ward, start_day: x, duration_days: 3, "
                                            "capacity_factor: half}\n"),
    "unknown_top.yaml": scenario(extra="horizon: 30\n"),
    "unknown_product.yaml": scenario(head=HEAD.replace("unit: bag}", "unit: bag, colour: red}")),
    "unknown_node.yaml": scenario({"regoin": "uppsala"}),
    "unknown_stock.yaml": scenario({"stock": "{saline: {inital: 8}}"}),
    "unknown_policy.yaml": scenario({"policy": "{saline: {type: base_stock, levle: 8}}"}),
    "unknown_demand.yaml": scenario({"demand": "{saline: {mean_per_dya: 1}}"}),
    "unknown_lane.yaml": scenario(lanes="lanes:\n  - {from: supplier, to: ward, "
                                        "lead_tme: 2}\n"),
    "unknown_distribution.yaml": scenario(lanes="lanes:\n  - {from: supplier, to: ward, "
                                                "lead_time_days: {distribution: uniform, "
                                                "low: 1, hihg: 3}}\n"),
    "unknown_disruption.yaml": scenario(extra="disruptions:\n  - {type: power_outage, where: "
                                              "{roles: [ward]}, start_day: 1, duration_days: 3, "
                                              "capacity_factor: 0.5, severity: high}\n"),
    "unknown_where.yaml": scenario(extra="disruptions:\n  - {type: power_outage, where: "
                                         "{role: [ward]}, start_day: 1, duration_days: 3, "
                                         "capacity_factor: 0.5}\n"),
    "unknown_rule_match.yaml": scenario(extra="policies:\n  - {match: {rol: ward}, policy: "
                                              "{type: none}}\n"),
    "unknown_reporting.yaml": scenario(extra="reporting: {daly: node}\n"),
    "xref_lane_node.yaml": scenario(lanes="lanes:\n  - {from: suplier, to: ward, "
                                          "lead_time_days: 2}\n"),
    "xref_no_supplier.yaml": scenario(lanes="lanes: []\n"),
    "xref_product.yaml": scenario({"stock": "{salin: {initial: 8}}"}),
    "xref_cycle.yaml": scenario(lanes=LANE + "  - {from: ward, to: supplier, "
                                             "lead_time_days: 2}\n"),
    "xref_extends_missing.yaml": "extends: nowhere.yaml\n" + scenario(),
    "xref_extends_self.yaml": "extends: xref_extends_self.yaml\n" + scenario(),
    "xref_extends_folder.yaml": "extends: ../rules\n" + scenario(),
    "xref_extends_device.yaml": "extends: /dev/zero\n" + scenario(),
    "bool_key.yaml": scenario(extra="yes: 1\n"),
    "csv_list.yaml": HEAD + "nodes:\n" + SUPPLIER + "  - {csv: [a.csv, b.csv]}\n" + LANE,
    "xref_csv_missing.yaml": HEAD + "nodes:\n" + SUPPLIER + "  - {csv: nowhere.csv}\n" + LANE,
    # few values, but aliases of a long string: gigabytes of text once built or saved
    "alias_long_string.yaml": scenario({"tags": "[&s " + "x" * 19_000 + ", "
                                        + ", ".join(["*s"] * 300) + "]"}),
    "alias_long_map.yaml": scenario({"tags": "[&m {k: " + "x" * 19_000 + "}, "
                                     + ", ".join(["*m"] * 300) + "]"}),
    # care: admissions the engine would draw a stay for each of, and care demand past the bound
    "care_admissions.yaml": scenario({"scale": "{beds: 100000}"}, extra=CARE.format(
        shifts=1, norm=1, admissions="100000, per: beds, distribution: deterministic")),
    "care_demand.yaml": scenario(extra=CARE.format(shifts=1000, norm=100000, admissions=100)),
    # thousands of mistakes: reported in linear time, the first 50 shown
    "many_unknown_keys.yaml": scenario(extra="".join(f"k{i}: 1\n" for i in range(3000))),
}

TABLE_SCENARIO = HEAD + "nodes:\n" + SUPPLIER + "  - {csv: TABLE}\n" + LANE
TABLES: dict[str, str | bytes] = {
    "semicolons.csv": "id;role;country;region\nward;ward;SE;uppsala\n",
    "tabs.csv": "id\trole\tcountry\tregion\nward\tward\tSE\tuppsala\n",
    "ragged.csv": "id,role,country,region\nward,ward,SE,uppsala,extra\nward2,ward\n",
    "duplicate_header.csv": "id,role,country,region,region\nward,ward,SE,uppsala,skane\n",
    "clashing_columns.csv": "id,role,country,region,scale,scale.beds\nward,ward,SE,uppsala,1,2\n",
    "unnamed_column.csv": "id,role,,region\nward,ward,SE,uppsala\n",
    "non_numeric.csv": "id,role,country,region,scale.beds\nward,ward,SE,uppsala,many\n",
    "unknown_column.csv": "id,role,country,region,colour\nward,ward,SE,uppsala,red\n",
    "binary.csv": b"id,role\n\x00\x01\x02\xff\n",
    "latin1.csv": "id,role,country,region\nward,ward,SE,Skåne\n".encode("latin-1"),
    "empty.csv": "",
    "long_integer.csv": "id,role,country,region,scale.beds\nward,ward,SE,uppsala,"
                        + "9" * 5000 + "\n",
    "nan_cell.csv": "id,role,country,region,scale.beds\nward,ward,SE,uppsala,.nan\n",
    "bomb_cell.csv": "id,role,country,region,tags\nward,ward,SE,uppsala,\"[&a [x, x, x, x, x, x, "
    "x, x, x], " + ", ".join(f"&{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]"
                             for i in range(9)) + "]\"\n",
}

RULES: dict[str, str | bytes] = {
    "bomb.yaml": laughs("lists"),
    "unknown_key.yaml": "extends: default\nschedul: {spacing_minutes: 10}\n",
    "unknown_rule_key.yaml": "extends: default\nrules:\n  supplier_cut: {wen: {below: 0.5}}\n",
    "wrong_type.yaml": "extends: default\nschedule: every day\n",
    "nan.yaml": "extends: default\nschedule: {spacing_minutes: .nan}\n",
    "huge.yaml": "extends: default\nrules:\n  supplier_cut: {min_gap_days: 100000000000}\n",
    "binary.yaml": bytes(range(256)),
    "extends_missing.yaml": "extends: elsewhere.yaml\n",
    "deep.yaml": "extends: default\nwindow: " + "{a: " * 40 + "1" + "}" * 40 + "\n",
    # a width pads one field to gigabytes when the template is tried or filled
    "format_width.yaml": "extends: default\nrules:\n  supplier_cut:\n    text:\n      en:\n"
                         "        synopsis: \"{node_name:>1500000000}\"\n",
}

BATCHES: dict[str, str | bytes] = {
    "bomb.yaml": "scenario: base.yaml\n" + laughs("lists"),
    "unknown_key.yaml": "scenario: base.yaml\nreplication: 3\n",
    "wrong_types.yaml": "scenario: base.yaml\nreplications: many\nvariants: {a: b}\n",
    "scenario_missing.yaml": "scenario: nowhere.yaml\n",
    "replications_huge.yaml": "scenario: base.yaml\nreplications: 1000000000000\n",
    "set_inf.yaml": "scenario: base.yaml\nset: {lanes.0.lead_time_days: .inf}\n",
    "variant_nan.yaml": "scenario: base.yaml\nvariants:\n  - {name: a, set: "
                        "{nodes.1.demand.saline.mean_per_day: .nan}}\n",
    "sweep_huge.yaml": "scenario: base.yaml\nsweep: {horizon_days: [10, 1.0e+20]}\n",
    "bad_scenario.yaml": "scenario: ../scenarios/bomb_lists.yaml\n",
    "sweep_grid.yaml": "scenario: base.yaml\nsweep:\n" + "".join(
        f"  {key}: [{', '.join(str(i) for i in range(1, 31))}]\n"
        for key in ("horizon_days", "lanes.0.lead_time_days", "nodes.1.stock.saline.initial")),
    "runs_huge.yaml": "scenario: base.yaml\nreplications: 100000\n"
                      "sweep: {horizon_days: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110]}\n",
}


def write(folder: Path, files: dict[str, str | bytes]) -> None:
    """Write `files` into `folder` (bytes as they are, text as UTF-8)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (folder / name).write_bytes(data)


def main() -> None:
    """Rewrite the corpus."""
    write(HERE / "scenarios", SCENARIOS)
    write(HERE / "tables", {**TABLES, **{
        name.replace(".csv", ".yaml"): TABLE_SCENARIO.replace("TABLE", name) for name in TABLES}})
    write(HERE / "rules", RULES)
    write(HERE / "batch", {**BATCHES, "base.yaml": BASE})


if __name__ == "__main__":
    main()
