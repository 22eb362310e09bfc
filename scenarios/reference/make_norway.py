"""Write the node and lane tables of the Norwegian reference network (norway_nodes.csv, _lanes.csv)
and the care block of norway.yaml.

The network's shape lives here as data (regional health authorities, hospital trusts, hospitals,
who supplies whom); products, policies, plain demand and the hand-set capacities live in
`norway.yaml`, which reads these tables. Run `python scenarios/reference/make_norway.py` after
changing the tables below (or make_sweden.py's care tables, which Norway shares); the CSVs and
the care block are committed so that the scenario runs without this script.

Sources are the seeds in ../shared/seeds (cited by file name) and DOMAIN.md; every other number
is an ASSUMPTION with its reasoning, here or in norway.yaml.
- Products: the Swedish network's, under the same ids (the Nordic network joins the two by
  product id), listed in norway.yaml. That includes the Swedish fluids line's input of
  production, iv_bag_components, which no table here routes and no Norwegian node holds: the
  sources give no component stock for Halden.
- Specialist care: the four regional health authorities (RHF; DOMAIN.md: "4 regional health
  authorities") are the scenario's regions, with the ids the inject rules name
  (sim/injects/data/default.yaml: helse_sor_ost, helse_vest, helse_midt, helse_nord). Their
  hospital trusts (HF) are listed below with the hospitals the model gives a hospital
  pharmacy. Norway has 33 hospital pharmacies (DOMAIN.md:
  "1,051 pharmacies including 33 hospital pharmacies"): the model has 33 hospitals, one
  pharmacy each. Which sites they are is an ASSUMPTION (the main hospital of every trust and the
  larger local hospitals); the trusts are Norway's (2024). Lovisenberg and Diakonhjemmet, the
  private non-profit hospitals in Oslo, are folded into the Oslo trust.
- Population served by each trust (residents_k, thousands): ASSUMPTION, the approximate
  catchments the trusts report, rounded to 5,000; they sum to 5.53 million against Norway's
  5.55 million (SSB, 1 January 2024).
- Beds: 2.2 per 1,000 inhabitants, DOMAIN.md's Swedish figure (ASSUMPTION for Norway: the same
  density, so the Swedish care per bed carries over and national demand scales with
  population), split within a trust with twice the beds at its main (first) hospital, and within
  a hospital into the three wards of the Swedish network (make_sweden.WARDS: emergency 5 %,
  surgery and intensive care 10 %, inpatient wards 85 %).
- Wholesalers: the three that dominate (DOMAIN.md; 003_ecdbe226ecf90b5c.txt: "Grossister
  (Alliance Healthcare, Norsk Medisinaldepot, Apotek 1)"), with the 24-hour delivery duty
  (003: "leveringsplikt innen 24 timer"): one day from wholesaler to any pharmacy. One of them
  mainly serves the hospitals (004_f3caacd9444b40c3.txt: "En grossist har hovedleveransene til
  sykehusene"); the regional health authorities run their medicine stores through agreements
  "f.eks. med Alliance Healthcare" (003), so Alliance Healthcare supplies every hospital
  pharmacy (ASSUMPTION that it is this one) under the Sykehusinnkjøp agreement (004:
  "innkjøpsavtaler (Sykehusinnkjøp, Div. legemidler)").
- Community pharmacies: 1,018 (1,051 less the 33 hospital pharmacies, DOMAIN.md), one aggregate
  per trust catchment, scaled by population, buying from the three wholesalers a third each
  (ASSUMPTION: each chain buys from its own group's wholesaler; the sources give no market
  shares).
- Municipalities: one aggregate per trust catchment (ASSUMPTION, instead of per county): each
  municipality's health services cooperate with their local trust by statutory agreement
  (004: "Samhandlingsreformen: Samarbeidsavtaler mellom spesialisthelsetjenesten og
  kommunene"), and the municipalities' own plans point there ("beredskapsavtaler med
  helseforetakene", "interkommunale eller regionale lagre", 003); a trust's catchment lies within
  one health region, so municipal care reports under the same region as its hospitals. Medicines
  for municipal institutions come from a wholesaler by tender (004: "anbudsavtaler mellom
  kommune og grossist"; which wholesaler per catchment is an ASSUMPTION, rotating over the
  three); devices and PPE from the distributors (importers) directly (ASSUMPTION).
- Devices and PPE for hospitals: one regional store per health authority (003: "regionale lagre
  av smittevernutstyr i hver helseregion"), role wholesaler with tag `regional_store` as in
  the Swedish network.
- Medical gases: "mostly from one producer near Oslo, 60 % moved by rail" (DOMAIN.md). The model
  has that one producer for all medical gases (ASSUMPTION: the other producers are not named
  in the sources); the trusts beyond road distance of Oslo get gases by rail (ASSUMPTION:
  Innlandet, Telemark, Sørlandet and the Vest, Midt-Norge and Nord regions), which gives the
  share of hospital oxygen by rail printed by this script (58 %, against 60 % in DOMAIN.md).
- Lead times (ASSUMPTION): road from Oslo one day; rail 1-2 days to southern Norway and Midt-
  Norge, 2-3 to Nordland, 3-4 to Troms and Finnmark (rail to Bodø, then road or sea); regional
  stores to wards one day, two in Helse Nord; distributors to stores and municipalities 1-3.
- Demand points (wards, community pharmacies, municipal care) lose what they cannot serve on
  the day, as in the Swedish network (make_sweden.py gives the reasoning).

Care at the wards: the categories, admissions per bed-equivalent and norms are those of the
Swedish network (make_sweden.py, which writes them from Swedish national figures), so that the
Nordic network can hold both countries' wards under one care section. With the same beds per
1,000, Norway's national admissions are Sweden's scaled by population (ASSUMPTION: Norwegian
hospitals admit and treat as many patients per bed as Swedish ones). One Norwegian refinement
(`NORWAY_NORMS`): the main hospital of each trust makes its own medical air.
"""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
# Quoted: a bare NO in a CSV cell is read as YAML, where it means false.
COUNTRY = "'NO'"

BEDS_PER_1000 = 2.2
MEDICINES = (
    "infusion_fluids, analgesics, catecholamines, sedatives_relaxants, anticoagulants, "
    "haemostatics, antibiotics"
)
HOSPITAL_SUPPLY = f"[{MEDICINES}, medical_gases]"
STORE_SUPPLY = "[polymer_devices, ppe]"
WHOLESALERS = ("alliance", "nmd", "apotek1")
GAS_MAKER = "oxygen_no"
WARD_NAMES = {"akut": "akuttmottak", "op_iva": "operasjon og intensiv", "vard": "sengeposter"}

RHFS = {
    "helse_sor_ost": "Helse Sør-Øst",
    "helse_vest": "Helse Vest",
    "helse_midt": "Helse Midt-Norge",
    "helse_nord": "Helse Nord",
}

# Lead times as YAML (ASSUMPTIONS, see the docstring).
ROAD = "1"
RAIL_SOUTH = "{distribution: uniform, low: 1, high: 2}"
RAIL_NORDLAND = "{distribution: uniform, low: 2, high: 3}"
RAIL_FAR_NORTH = "{distribution: uniform, low: 3, high: 4}"
DISTRIBUTOR = "{distribution: uniform, low: 1, high: 3}"


@dataclass(frozen=True)
class Trust:
    """A hospital trust (helseforetak), its catchment and how it is supplied."""

    id: str
    name: str
    rhf: str
    population_k: int
    municipal_wholesaler: str
    gases_by: str  # "road" or "rail"
    gas_lead: str  # YAML lead time from the gas producer
    hospitals: tuple[str, ...]  # main hospital first


TRUSTS: tuple[Trust, ...] = (
    # Helse Sør-Øst
    Trust("oslo_universitetssykehus", "Oslo universitetssykehus", "helse_sor_ost", 590, "nmd",
          "road", ROAD, ("Rikshospitalet", "Ullevål sykehus")),
    Trust("akershus_universitetssykehus", "Akershus universitetssykehus", "helse_sor_ost", 640,
          "apotek1", "road", ROAD, ("Ahus Nordbyhagen", "Kongsvinger sykehus")),
    Trust("sykehuset_innlandet", "Sykehuset Innlandet", "helse_sor_ost", 340, "alliance",
          "rail", RAIL_SOUTH, ("Sykehuset Innlandet Hamar", "Sykehuset Innlandet Lillehammer",
                               "Sykehuset Innlandet Gjøvik", "Sykehuset Innlandet Elverum")),
    Trust("sykehuset_ostfold", "Sykehuset Østfold", "helse_sor_ost", 320, "nmd", "road", ROAD,
          ("Sykehuset Østfold Kalnes",)),
    Trust("vestre_viken", "Vestre Viken", "helse_sor_ost", 510, "apotek1", "road", ROAD,
          ("Drammen sykehus", "Bærum sykehus", "Ringerike sykehus")),
    Trust("sykehuset_i_vestfold", "Sykehuset i Vestfold", "helse_sor_ost", 255, "alliance",
          "road", ROAD, ("Sykehuset i Vestfold Tønsberg",)),
    Trust("sykehuset_telemark", "Sykehuset Telemark", "helse_sor_ost", 175, "nmd", "rail",
          RAIL_SOUTH, ("Sykehuset Telemark Skien",)),
    Trust("sorlandet_sykehus", "Sørlandet sykehus", "helse_sor_ost", 320, "apotek1", "rail",
          RAIL_SOUTH, ("Sørlandet sykehus Kristiansand", "Sørlandet sykehus Arendal")),
    # Helse Vest
    Trust("helse_stavanger", "Helse Stavanger", "helse_vest", 385, "alliance", "rail",
          RAIL_SOUTH, ("Stavanger universitetssjukehus",)),
    Trust("helse_fonna", "Helse Fonna", "helse_vest", 180, "nmd", "rail", RAIL_SOUTH,
          ("Haugesund sjukehus", "Stord sjukehus")),
    Trust("helse_bergen", "Helse Bergen", "helse_vest", 470, "apotek1", "rail", RAIL_SOUTH,
          ("Haukeland universitetssjukehus", "Voss sjukehus")),
    Trust("helse_forde", "Helse Førde", "helse_vest", 110, "alliance", "rail", RAIL_SOUTH,
          ("Førde sentralsjukehus",)),
    # Helse Midt-Norge
    Trust("st_olavs_hospital", "St. Olavs hospital", "helse_midt", 345, "nmd", "rail",
          RAIL_SOUTH, ("St. Olavs hospital Trondheim",)),
    Trust("helse_nord_trondelag", "Helse Nord-Trøndelag", "helse_midt", 135, "apotek1",
          "rail", RAIL_SOUTH, ("Sykehuset Levanger", "Sykehuset Namsos")),
    Trust("helse_more_og_romsdal", "Helse Møre og Romsdal", "helse_midt", 270, "alliance",
          "rail", RAIL_SOUTH, ("Ålesund sjukehus", "Molde sjukehus", "Kristiansund sykehus")),
    # Helse Nord
    Trust("universitetssykehuset_nord_norge", "Universitetssykehuset Nord-Norge", "helse_nord",
          195, "nmd", "rail", RAIL_FAR_NORTH, ("UNN Tromsø", "UNN Harstad")),
    Trust("nordlandssykehuset", "Nordlandssykehuset", "helse_nord", 140, "apotek1", "rail",
          RAIL_NORDLAND, ("Nordlandssykehuset Bodø",)),
    Trust("helgelandssykehuset", "Helgelandssykehuset", "helse_nord", 78, "alliance", "rail",
          RAIL_NORDLAND, ("Helgelandssykehuset Mo i Rana",)),
    Trust("finnmarkssykehuset", "Finnmarkssykehuset", "helse_nord", 76, "nmd", "rail",
          RAIL_FAR_NORTH, ("Finnmarkssykehuset Hammerfest",)),
)

# Regional stores: one day to the wards, two in Helse Nord (ASSUMPTION: distances).
STORE_LEAD = {"helse_sor_ost": 1, "helse_vest": 1, "helse_midt": 1, "helse_nord": 2}

NODE_COLUMNS = ["id", "name", "role", "country", "region", "tags", "scale.beds",
                "scale.akut_beds", "scale.op_iva_beds", "scale.vard_beds", "scale.residents_k",
                "unmet_demand"]
LANE_COLUMNS = ["from", "to", "lead_time_days", "products", "share"]


def slug(name: str) -> str:
    """An ASCII id from a Norwegian name."""
    table = str.maketrans({"å": "a", "æ": "ae", "ø": "o", "Å": "A", "Æ": "AE", "Ø": "O",
                           ".": "", "-": "_", " ": "_"})
    return re.sub("_+", "_", name.translate(table).lower())


def store_id(rhf: str) -> str:
    return f"{rhf}_regionlager"


def build() -> tuple[list[dict], list[dict]]:
    """The node and lane rows."""
    nodes: list[dict] = []
    lanes: list[dict] = []
    for rhf, rhf_name in RHFS.items():
        store = store_id(rhf)
        nodes.append({"id": store, "name": f"{rhf_name} regionalt lager (smittevern og "
                      "forbruksmateriell)", "role": "wholesaler", "country": COUNTRY,
                      "region": rhf, "tags": "[regional_store]"})
        for src, products in (("importer_devices_no", "[polymer_devices]"),
                              ("importer_ppe_no", "[ppe]")):
            lanes.append({"from": src, "to": store, "products": products,
                          "lead_time_days": DISTRIBUTOR})
    for trust in TRUSTS:
        store = store_id(trust.rhf)
        beds = trust.population_k * BEDS_PER_1000
        weights = [2.0] + [1.0] * (len(trust.hospitals) - 1)
        remote = ", remote" if trust.rhf == "helse_nord" else ""
        for i, (hospital, weight) in enumerate(zip(trust.hospitals, weights, strict=True)):
            hid = slug(hospital)
            pharmacy = f"{hid}_sykehusapotek"
            nodes.append({"id": pharmacy, "name": f"Sykehusapoteket {hospital}",
                          "role": "hospital_pharmacy", "country": COUNTRY, "region": trust.rhf,
                          "tags": f"[{trust.id}, gases_by_{trust.gases_by}{remote}]"})
            lanes.append({"from": "alliance", "to": pharmacy, "lead_time_days": 1,
                          "products": f"[{MEDICINES}]"})
            lanes.append({"from": GAS_MAKER, "to": pharmacy, "lead_time_days": trust.gas_lead,
                          "products": "[medical_gases]"})
            for kind, ward_name in WARD_NAMES.items():
                share = next(s for k, _, s, _ in make_sweden().WARDS if k == kind)
                ward = f"{hid}_{kind}"
                size = round(beds * weight / sum(weights) * share, 1)
                tags = {"akut": "akut, trauma", "op_iva": "op_iva, trauma", "vard": "vard"}[kind]
                if kind == "op_iva" and i == 0:
                    tags += ", medical_air_onsite"
                nodes.append({"id": ward, "name": f"{hospital}, {ward_name}", "role": "ward",
                              "country": COUNTRY, "region": trust.rhf,
                              "tags": f"[{tags}, {trust.id}{remote}]", "scale.beds": size,
                              f"scale.{kind}_beds": size, "unmet_demand": "lost"})
                lanes.append({"from": pharmacy, "to": ward, "lead_time_days": 1,
                              "products": HOSPITAL_SUPPLY})
                lanes.append({"from": store, "to": ward, "lead_time_days": STORE_LEAD[trust.rhf],
                              "products": STORE_SUPPLY})
        pharmacies = f"{trust.id}_apotek"
        nodes.append({"id": pharmacies, "name": f"Apotek i opptaksområdet til {trust.name}",
                      "role": "community_pharmacy", "country": COUNTRY, "region": trust.rhf,
                      "tags": f"[{trust.id}{remote}]", "scale.residents_k": trust.population_k,
                      "unmet_demand": "lost"})
        for w in WHOLESALERS:
            lanes.append({"from": w, "to": pharmacies, "lead_time_days": 1,
                          "products": f"[{MEDICINES}]", "share": 1})
        lanes.append({"from": GAS_MAKER, "to": pharmacies, "lead_time_days": trust.gas_lead,
                      "products": "[oxygen_cylinder]"})
        care = f"{trust.id}_kommuner"
        nodes.append({"id": care, "name": f"Kommunene i opptaksområdet til {trust.name}",
                      "role": "municipal_care", "country": COUNTRY, "region": trust.rhf,
                      "tags": f"[{trust.id}{remote}]", "scale.residents_k": trust.population_k,
                      "unmet_demand": "lost"})
        lanes.append({"from": trust.municipal_wholesaler, "to": care, "lead_time_days": 1,
                      "products": f"[{MEDICINES}]"})
        lanes.append({"from": "importer_devices_no", "to": care, "lead_time_days": DISTRIBUTOR,
                      "products": "[polymer_devices]"})
        lanes.append({"from": "importer_ppe_no", "to": care, "lead_time_days": DISTRIBUTOR,
                      "products": "[ppe]"})
        lanes.append({"from": GAS_MAKER, "to": care, "lead_time_days": trust.gas_lead,
                      "products": "[oxygen_cylinder]"})
    return nodes, lanes


def rail_share() -> float:
    """Share of the hospital beds (and so of hospital oxygen) supplied by rail."""
    rail = sum(t.population_k for t in TRUSTS if t.gases_by == "rail")
    return rail / sum(t.population_k for t in TRUSTS)


# --- care at the wards ---------------------------------------------------------------------------

def make_sweden() -> ModuleType:
    """make_sweden.py as a module (its dataclasses look themselves up in sys.modules)."""
    if "make_sweden" not in sys.modules:
        spec = importlib.util.spec_from_file_location("make_sweden", HERE / "make_sweden.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["make_sweden"] = module
        spec.loader.exec_module(module)
    return sys.modules["make_sweden"]


BEGIN = "# --- care: BEGIN generated by make_norway.py"
END = "# --- care: END generated by make_norway.py ---"

HEADER = """\
# Demand at the wards comes from patients (docs/engine.md, 'Care activity'). The categories,
# admissions per bed-equivalent and norms below are the Swedish network's (written by
# make_sweden.py, whose comments they keep: the national figures they quote are Sweden's). With
# the same 2.2 beds per 1,000 inhabitants, Norway's national admissions are Sweden's scaled by
# population (ASSUMPTION: Norwegian hospitals admit and treat as many patients per bed as
# Swedish ones): about 72 severely injured a day instead of 137, 3,600 emergency visits instead
# of 6,800, 58 ICU admissions instead of 110. Sharing the section lets the Nordic network hold
# both countries' wards under one care section. The Norwegian refinements come last."""

# Norms that refine the Swedish ones for Norway (a later norm overrides an earlier one field by
# field), with their reasoning.
NORWAY_NORMS = (
    ("Most larger hospitals make medical air on site and buy little in cylinders "
     "(001_45ea3db74d157cad.txt: 'medicinsk luft tillverkas i egen regi av de flesta större "
     "sjukhusen'); ASSUMPTION: the main hospital of each trust is one of them (tag "
     "medical_air_onsite on its surgery and intensive-care ward), the other hospitals keep "
     "the cylinders",
     "{name: onsite_medical_air, category: all, match: {tag: medical_air_onsite}, "
     "product: medical_air_cylinder, per_patient_day: 0}"),
)


def care_block() -> str:
    """The `care:` section of norway.yaml, with its comments, between its markers."""
    mk = make_sweden()
    se_nodes, _ = mk.build()
    swedish = mk.care_block(se_nodes).splitlines()
    body = swedish[swedish.index("care:"):swedish.index(mk.END)]
    lines = [f"{BEGIN} (edit it there, or make_sweden.py's care tables, and run it) ---",
             HEADER, *body, "    # Norwegian refinements:"]
    for note, norm in NORWAY_NORMS:
        lines += [f"    # {line}" for line in mk._wrap(note, 94)]
        lines.append(f"    - {norm}")
    lines.append(END)
    return "\n".join(lines) + "\n"


def replace_care_block(yaml_text: str, block: str) -> str:
    """`yaml_text` with its generated care block replaced by `block`."""
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n", re.DOTALL)
    if not pattern.search(yaml_text):
        raise ValueError("norway.yaml has no generated care block (BEGIN/END markers)")
    return pattern.sub(lambda _: block, yaml_text)


def write(rows: list[dict], columns: list[str], path: Path) -> None:
    """Write rows as CSV with a fixed column order (empty cells for missing keys)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    nodes, lanes = build()
    write(nodes, NODE_COLUMNS, HERE / "norway_nodes.csv")
    write(lanes, LANE_COLUMNS, HERE / "norway_lanes.csv")
    scenario = HERE / "norway.yaml"
    text = scenario.read_text(encoding="utf-8")
    scenario.write_text(replace_care_block(text, care_block()), encoding="utf-8")
    hospitals = sum(n["role"] == "hospital_pharmacy" for n in nodes)
    population = sum(t.population_k for t in TRUSTS)
    print(f"{len(nodes)} nodes ({hospitals} hospitals), {len(lanes)} lanes; population "
          f"{population:,}k; hospital gases by rail {rail_share():.1%}")
