"""Write the node and lane tables of the Swedish reference network (sweden_nodes.csv, _lanes.csv).

The network's shape lives here as data (regions, hospitals, who supplies whom); the products,
policies, demand rates and disruptions live in `sweden.yaml`, which reads these tables. Run
`python scenarios/reference/make_sweden.py` after changing the tables below; the CSVs are
committed so that the scenario runs without this script.

Sources and assumptions (see also the comments in sweden.yaml):
- Regions and populations: the 21 Swedish regions, population in thousands (SCB 2023, rounded).
- Hospitals: the 61 hospitals that reported emergency-department statistics in 2023 (DOMAIN.md),
  named by their usual names. The first hospital of each region is its main (university or
  county) hospital and gets twice the beds of the others (assumption).
- Beds: 2.2 hospital beds per 1,000 inhabitants (DOMAIN.md), split within a region by the
  weights above. Each hospital has three demand points (wards): the emergency department
  (`akut`, 5 % of the hospital's beds as bed-equivalents), surgery and intensive care
  (`op_iva`, 10 %) and the inpatient wards (`vard`, 85 %). These shares are assumptions; the
  526 pre-COVID ICU beds are about 2.3 % of all beds.
- Each region has a regional store (centralförråd, modelled with role wholesaler and tag
  `regional_store`) for medical devices and PPE, one community-pharmacy aggregate and one
  municipal-care aggregate, both scaled by population.
- Hospital pharmacies buy medicines and infusion fluids from one of the two national
  wholesalers (Tamro or Oriola) by regional contract (which one is an assumption); community
  pharmacies buy from both, half each (assumption).
- Demand points (wards, community pharmacies, municipal care) lose what they cannot serve on
  the day: a patient's need for fluids or oxygen does not wait for tomorrow's delivery, so unmet
  demand stands for care given otherwise, postponed or not given, and fill rate is the share of
  need met (assumption; set unmet_demand: backorder to model patients who wait).
- Medical gases come straight from the four Swedish medical-gas makers (DOMAIN.md); the split of
  regions between them is an assumption.
- Medical air: "medicinsk luft tillverkas i egen regi av de flesta större sjukhusen, medan den i
  mindre utsträckning köps in i gasflaskor" (001_45ea3db74d157cad.txt, the 2025 report). The
  hospitals with at least `ONSITE_AIR_BEDS` bed-equivalents (ASSUMPTION: "larger" read as 300 beds
  or more, 34 of the 61 hospitals with about 78 % of the beds, every university hospital among them)
  make it in an on-site plant (compressors, dryers and filters; a node of role manufacturer,
  `<hospital>_medicinsk_luft`, tag `medical_air_onsite`) piped to their surgery and intensive-care
  ward (tagged `medical_air_onsite` too); the unit stays a cylinder's worth, so that demand is the
  same product everywhere. The other hospitals buy cylinders from their gas maker. ASSUMPTIONS: the
  plant can make twice the hospital's use (two compressors, each sized for the whole load, the usual
  duplex design) and pipe as much (its dispatch capacity), releases next day, and runs on the
  hospital's reserve power for `HOSPITAL_BACKUP_DAYS` days of a power outage before it works at the
  outage's factor (the sources give no days: "kommersiella reservkraftverk räcker inte vid längre
  avbrott", 001_45ea3db74d157cad.txt; a hospital's own diesel is taken to last a week, and diesel is
  itself a supply, DOMAIN.md).

Care at the wards (issue 10): the wards' consumption comes from patients and staff shifts, written
into sweden.yaml's `care:` section between the BEGIN and END markers (`care_block()` below).
Categories, admissions, stays and staff shifts are assumptions stated with their reasoning; the
norms are calibrated so that the wards' baseline consumption equals the plain per-bed demand they
replace (`WARD_RATES`, the rates of the plain-demand network): per patient-day = (today's rate
per bed - the trauma extras per bed) / patient-days per bed-day, and PPE per staff shift = today's
rate per bed / staff shifts per bed-day. `tests/test_reference_care.py` checks both that the
block is what this script writes and that baseline demand per product group stays within 5 %.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent

BEDS_PER_1000 = 2.2
WARDS = (  # (suffix, name, share of the hospital's beds, tags)
    ("akut", "akutmottagning", 0.05, "[akut, trauma]"),
    ("op_iva", "operation och intensivvård", 0.10, "[op_iva, trauma]"),
    ("vard", "vårdavdelningar", 0.85, "[vard]"),
)
MEDICINES = (
    "infusion_fluids, analgesics, catecholamines, sedatives_relaxants, anticoagulants, "
    "haemostatics, antibiotics"
)
HOSPITAL_SUPPLY = f"[{MEDICINES}, medical_gases]"
# Hospitals that make their own medical air (docstring): no medical-air cylinders from the
# pharmacy or the gas maker.
GASES_BOUGHT_ONSITE_AIR = "oxygen_bulk, oxygen_cylinder, lustgas_cylinder"
ONSITE_AIR_BEDS = 300.0
ONSITE_AIR_CAPACITY = 2.0  # x the hospital's use (ASSUMPTION, docstring)
HOSPITAL_BACKUP_DAYS = 7  # ASSUMPTION, docstring
STORE_SUPPLY = "[polymer_devices, ppe]"

# region id: (name, population in thousands, wholesaler for hospital pharmacies, gas maker,
#             days to the region from its gas maker, hospitals with the main hospital first)
REGIONS: dict[str, tuple[str, int, str, str, int, list[str]]] = {
    "stockholm": ("Region Stockholm", 2454, "oriola", "linde", 1, [
        "Karolinska universitetssjukhuset Solna", "Karolinska universitetssjukhuset Huddinge",
        "Södersjukhuset", "Danderyds sjukhus", "S:t Görans sjukhus", "Södertälje sjukhus",
        "Norrtälje sjukhus"]),
    "uppsala": ("Region Uppsala", 400, "tamro", "linde", 1, [
        "Akademiska sjukhuset", "Lasarettet i Enköping"]),
    "sodermanland": ("Region Sörmland", 301, "oriola", "linde", 1, [
        "Mälarsjukhuset", "Nyköpings lasarett"]),
    "ostergotland": ("Region Östergötland", 470, "tamro", "nippon", 1, [
        "Universitetssjukhuset i Linköping", "Vrinnevisjukhuset", "Lasarettet i Motala"]),
    "jonkoping": ("Region Jönköpings län", 369, "oriola", "strandmollen", 1, [
        "Länssjukhuset Ryhov", "Höglandssjukhuset Eksjö", "Värnamo sjukhus"]),
    "kronoberg": ("Region Kronoberg", 203, "tamro", "strandmollen", 1, [
        "Centrallasarettet Växjö", "Ljungby lasarett"]),
    "kalmar": ("Region Kalmar län", 246, "oriola", "strandmollen", 1, [
        "Länssjukhuset i Kalmar", "Västerviks sjukhus"]),
    "gotland": ("Region Gotland", 61, "tamro", "linde", 2, ["Visby lasarett"]),
    "blekinge": ("Region Blekinge", 157, "oriola", "air_liquide", 1, [
        "Blekingesjukhuset Karlskrona"]),
    "skane": ("Region Skåne", 1414, "tamro", "air_liquide", 1, [
        "Skånes universitetssjukhus Lund", "Skånes universitetssjukhus Malmö",
        "Helsingborgs lasarett", "Centralsjukhuset Kristianstad", "Ystads lasarett",
        "Trelleborgs lasarett"]),
    "halland": ("Region Halland", 340, "oriola", "air_liquide", 1, [
        "Hallands sjukhus Halmstad", "Hallands sjukhus Varberg"]),
    "vastra_gotaland": ("Västra Götalandsregionen", 1763, "tamro", "nippon", 1, [
        "Sahlgrenska universitetssjukhuset", "Östra sjukhuset", "Mölndals sjukhus",
        "NÄL Trollhättan", "Skaraborgs sjukhus Skövde", "Södra Älvsborgs sjukhus Borås",
        "Alingsås lasarett", "Kungälvs sjukhus"]),
    "varmland": ("Region Värmland", 283, "oriola", "nippon", 1, [
        "Centralsjukhuset Karlstad", "Arvika sjukhus", "Torsby sjukhus"]),
    "orebro": ("Region Örebro län", 307, "tamro", "nippon", 1, [
        "Universitetssjukhuset Örebro", "Karlskoga lasarett", "Lindesbergs lasarett"]),
    "vastmanland": ("Region Västmanland", 280, "oriola", "linde", 1, [
        "Västmanlands sjukhus Västerås"]),
    "dalarna": ("Region Dalarna", 288, "tamro", "linde", 1, [
        "Falu lasarett", "Mora lasarett"]),
    "gavleborg": ("Region Gävleborg", 288, "oriola", "linde", 1, [
        "Gävle sjukhus", "Hudiksvalls sjukhus"]),
    "vasternorrland": ("Region Västernorrland", 243, "tamro", "linde", 2, [
        "Sundsvalls sjukhus", "Örnsköldsviks sjukhus", "Sollefteå sjukhus"]),
    "jamtland": ("Region Jämtland Härjedalen", 132, "oriola", "linde", 2, [
        "Östersunds sjukhus"]),
    "vasterbotten": ("Region Västerbotten", 275, "tamro", "linde", 2, [
        "Norrlands universitetssjukhus", "Skellefteå lasarett", "Lycksele lasarett"]),
    "norrbotten": ("Region Norrbotten", 249, "oriola", "linde", 2, [
        "Sunderby sjukhus", "Gällivare sjukhus", "Piteå älvdals sjukhus", "Kalix sjukhus"]),
}

NODE_COLUMNS = ["id", "name", "role", "country", "region", "tags", "scale.beds",
                "scale.akut_beds", "scale.op_iva_beds", "scale.vard_beds", "scale.residents_k",
                "unmet_demand", "qc_release_days", "backup_power_days",
                "capacity.medical_air_cylinder", "dispatch_capacity.medical_air_cylinder"]
LANE_COLUMNS = ["from", "to", "lead_time_days", "products", "share"]


def slug(name: str) -> str:
    """An ASCII id from a Swedish name."""
    table = str.maketrans({"å": "a", "ä": "a", "ö": "o", "Å": "A", "Ä": "A", "Ö": "O",
                           ":": "", " ": "_", ".": ""})
    return name.translate(table).lower()


def build() -> tuple[list[dict], list[dict]]:
    """The node and lane rows."""
    nodes: list[dict] = []
    lanes: list[dict] = []
    for region, (region_name, pop_k, wholesaler, gas, gas_days, hospitals) in REGIONS.items():
        store = f"{region}_centralforrad"
        nodes.append({"id": store, "name": f"{region_name} centralförråd", "role": "wholesaler",
                      "country": "SE", "region": region, "tags": "[regional_store]"})
        # Shares: half the visors and 3/8 of the aprons from domestic makers (assumptions).
        for src, products, share in (("importer_devices", "[polymer_devices]", ""),
                                     ("importer_ppe", "[ppe]", ""),
                                     ("visor_se", "[visor]", ""),
                                     ("apron_se", "[apron]", 0.6)):
            lanes.append({"from": src, "to": store, "products": products, "share": share,
                          "lead_time_days": "{distribution: uniform, low: 1, high: 3}"})
        weights = [2.0] + [1.0] * (len(hospitals) - 1)
        region_beds = pop_k * BEDS_PER_1000
        for hospital, weight in zip(hospitals, weights, strict=True):
            hid = slug(hospital)
            beds = region_beds * weight / sum(weights)
            pharmacy = f"{hid}_apotek"
            onsite_air = beds >= ONSITE_AIR_BEDS
            gases = f"[{GASES_BOUGHT_ONSITE_AIR}]" if onsite_air else "[medical_gases]"
            nodes.append({"id": pharmacy, "name": f"Sjukhusapoteket {hospital}",
                          "role": "hospital_pharmacy", "country": "SE", "region": region})
            lanes.append({"from": wholesaler, "to": pharmacy, "lead_time_days": 1,
                          "products": f"[{MEDICINES}]"})
            lanes.append({"from": gas, "to": pharmacy, "lead_time_days": gas_days,
                          "products": gases})
            if onsite_air:
                op_iva_beds = round(beds * WARDS[1][2], 1)
                plant = f"{hid}_medicinsk_luft"
                per_bed = WARD_RATES["medical_gases"][1]["medical_air_cylinder"]["op_iva"]
                air = significant(ONSITE_AIR_CAPACITY * op_iva_beds * per_bed)
                nodes.append({"id": plant,
                              "name": f"Medicinsk luft, egen tillverkning, {hospital}",
                              "role": "manufacturer", "country": "SE", "region": region,
                              "tags": "[medical_air_onsite]", "qc_release_days": 1,
                              "backup_power_days": HOSPITAL_BACKUP_DAYS,
                              "capacity.medical_air_cylinder": air,
                              "dispatch_capacity.medical_air_cylinder": air})
                lanes.append({"from": plant, "to": f"{hid}_op_iva", "lead_time_days": 1,
                              "products": "[medical_air_cylinder]"})
            for suffix, ward_name, share, tags in WARDS:
                ward = f"{hid}_{suffix}"
                size = round(beds * share, 1)
                if onsite_air and suffix == "op_iva":  # piped air (reference/sweden.yaml)
                    tags = tags.replace("]", ", medical_air_onsite]")
                nodes.append({"id": ward, "name": f"{hospital}, {ward_name}", "role": "ward",
                              "country": "SE", "region": region, "tags": tags,
                              "scale.beds": size, f"scale.{suffix}_beds": size,
                              "unmet_demand": "lost"})
                supply = (f"[{MEDICINES}, {GASES_BOUGHT_ONSITE_AIR}]" if onsite_air
                          else HOSPITAL_SUPPLY)
                lanes.append({"from": pharmacy, "to": ward, "lead_time_days": 1,
                              "products": supply})
                lanes.append({"from": store, "to": ward, "lead_time_days": 1,
                              "products": STORE_SUPPLY})
        pharmacies = f"{region}_apotek"
        nodes.append({"id": pharmacies, "name": f"Öppenvårdsapotek, {region_name}",
                      "role": "community_pharmacy", "country": "SE", "region": region,
                      "scale.residents_k": pop_k, "unmet_demand": "lost"})
        for w in ("tamro", "oriola"):
            lanes.append({"from": w, "to": pharmacies, "lead_time_days": 1,
                          "products": f"[{MEDICINES}]", "share": 0.5})
        lanes.append({"from": gas, "to": pharmacies, "lead_time_days": gas_days,
                      "products": "[oxygen_cylinder]"})
        care = f"{region}_kommuner"
        nodes.append({"id": care, "name": f"Kommunal vård och omsorg, {region_name}",
                      "role": "municipal_care", "country": "SE", "region": region,
                      "scale.residents_k": pop_k, "unmet_demand": "lost"})
        lanes.append({"from": wholesaler, "to": care, "lead_time_days": 1,
                      "products": f"[{MEDICINES}]"})
        lanes.append({"from": store, "to": care, "lead_time_days": 1, "products": STORE_SUPPLY})
        lanes.append({"from": gas, "to": care, "lead_time_days": gas_days,
                      "products": "[oxygen_cylinder]"})
    return nodes, lanes


# --- care at the wards ---------------------------------------------------------------------------

# Today's consumption per bed(-equivalent) per day at each kind of ward: the plain per-product
# demand rules the care norms replace (ASSUMPTIONS, set so that national totals land on the orders
# of magnitude in DOMAIN.md; emergency (akut) and surgery/ICU (op_iva) beds use far more per bed
# than inpatient (vard) beds). By group, with the national magnitude each group was set to.
WARD_RATES: dict[str, tuple[str, dict[str, dict[str, float]]]] = {
    "infusion_fluids": (
        "about 50,000 bags a day nationally with municipal care, the order of the 60,000 a day "
        "that scaling US use by population gives (DOMAIN.md, calibration figures)", {
            "ringer_acetat_1l": {"akut": 1.5, "op_iva": 1.5, "vard": 0.35},
            "nacl_1l": {"akut": 1.0, "op_iva": 1.0, "vard": 0.3},
            "nacl_100ml": {"akut": 1.0, "op_iva": 2.0, "vard": 0.8},
            "glucos_50_1l": {"akut": 0.2, "op_iva": 0.3, "vard": 0.15},
            "glucos_100_500ml": {"akut": 0.08, "op_iva": 0.08, "vard": 0.03},
            "kaliumklorid_conc": {"akut": 0.2, "op_iva": 0.2, "vard": 0.1},
        }),
    "medical_gases": (
        "about 16,000 m3 of oxygen a day, twice Norway's 4.2 million kg a year; about 1,200 "
        "cylinders a day with pharmacies and municipal care (Norway about 550 for half the "
        "population; DOMAIN.md)", {
            "oxygen_bulk": {"akut": 0.8, "op_iva": 3.5, "vard": 0.35},
            "oxygen_cylinder": {"akut": 0.2, "op_iva": 0.1, "vard": 0.02},
            "lustgas_cylinder": {"akut": 0.02, "op_iva": 0.02},
            "medical_air_cylinder": {"op_iva": 0.03},
        }),
    "polymer_devices": ("ASSUMPTION: a few of each per patient-day", {
        "infusion_set": {"akut": 2.5, "op_iva": 2.5, "vard": 1.0},
        "pvk": {"akut": 1.8, "op_iva": 1.8, "vard": 0.4},
        "syringe_10ml": {"akut": 6, "op_iva": 10, "vard": 3},
        "extension_line": {"akut": 1.5, "op_iva": 1.5, "vard": 0.3},
        "three_way_stopcock": {"akut": 1.2, "op_iva": 1.2, "vard": 0.2},
        "blood_tube": {"akut": 9, "op_iva": 9, "vard": 4},
        "suction_catheter": {"akut": 2, "op_iva": 2, "vard": 0.1},
    }),
    "ppe": (
        "normal use, ASSUMPTION: under maximal conservation DOMAIN.md observes per patient per "
        "day respirators 1.27, gowns 1.75, eye protection 0.9, gloves 8.6; normal use is taken "
        "lower for respirators, higher for gloves", {
            "mask_iir": {"akut": 9, "op_iva": 9, "vard": 4},
            "ffp2": {"akut": 1, "op_iva": 1, "vard": 0.3},
            "ffp3": {"akut": 0.4, "op_iva": 0.4, "vard": 0.05},
            "visor": {"akut": 2, "op_iva": 2, "vard": 0.5},
            "gloves_nitrile": {"akut": 70, "op_iva": 70, "vard": 40},
            "gloves_pe": {"vard": 5},
            "apron": {"akut": 10, "op_iva": 10, "vard": 8},
        }),
    "medicines": ("ASSUMPTION: the order of a dose a patient-day where the medicine is used", {
        "morfin_inj": {"akut": 1.2, "op_iva": 1.2, "vard": 0.3},
        "paracetamol_iv": {"akut": 1.5, "op_iva": 1.5, "vard": 0.5},
        "noradrenalin_inj": {"akut": 0.3, "op_iva": 1.0},
        "adrenalin_inj": {"akut": 0.5, "op_iva": 0.3},
        "propofol_inj": {"akut": 0.2, "op_iva": 2.0},
        "rokuronium_inj": {"akut": 0.2, "op_iva": 1.0},
        "dalteparin_inj": {"akut": 0.5, "op_iva": 0.5, "vard": 0.6},
        "tranexamsyra_inj": {"akut": 0.5, "op_iva": 0.5, "vard": 0.05},
        "piptazo_inj": {"akut": 0.2, "op_iva": 1.5, "vard": 0.2},
        "cefotaxim_inj": {"akut": 0.6, "op_iva": 0.6, "vard": 0.2},
    }),
}
PPE = "ppe"

# Severely injured patients admitted a day in peacetime (ASSUMPTION): injured patients who need
# emergency surgery and inpatient care, about 50,000 a year (hip fractures alone are of the order
# of 18,000 a year). Each takes the 2025 report's ten days of imperative care (DOMAIN.md;
# 001_45ea3db74d157cad.txt: "10 dagars imperativ vård", from emergency care through operation,
# post-operative care and ICU to the ward) as three stays: 1 day in the emergency department, 2 in
# surgery and intensive care, 7 on a ward.
TRAUMA_PER_DAY = 137


@dataclass(frozen=True)
class Category:
    """A care category at one kind of ward, with the assumption behind each number."""

    name: str
    ward: str
    priority: str
    stay: str  # YAML
    shifts: float
    per_day: float | None  # national admissions a day (None: fills the wards to OCCUPANCY)
    note: str


# Inpatient wards run at about 90 % occupancy (ASSUMPTION: Swedish hospitals report high
# occupancy; DOMAIN.md gives beds, 2.2 per 1,000 inhabitants, not occupancy). The inpatient
# category's admissions fill the vard beds to this share.
OCCUPANCY = 0.9

CATEGORIES: tuple[Category, ...] = (
    Category("emergency", "akut", "urgent", "1", 0.5, 6800,
             "emergency-department visits: about 2.5 million a year at the 61 hospitals with an "
             "emergency department (ASSUMPTION; DOMAIN.md counts the hospitals, not the visits); "
             "a visit is one day in whole days; half a staff shift a visit (a few hours of nurse, "
             "doctor and assistant-nurse time, ASSUMPTION)"),
    Category("trauma_emergency", "akut", "imperative", "1", 3, TRAUMA_PER_DAY,
             f"severely injured patients, {TRAUMA_PER_DAY} a day in peacetime (ASSUMPTION: "
             "injured patients who need emergency surgery and inpatient care, about 50,000 a "
             "year; hip fractures alone are of the order of 18,000). Each takes the 2025 "
             "report's ten days of imperative care (DOMAIN.md; 001_45ea3db74d157cad.txt, "
             "'10 dagars imperativ vård': emergency care, operation, post-operative care, ICU and "
             "ward) as three stays: 1 day here, 2 in surgery and intensive care "
             "(trauma_surgery_icu), 7 on a ward (trauma_ward). A trauma team of about eight for "
             "two to three hours: 3 staff shifts (ASSUMPTION)"),
    Category("surgery_planned", "op_iva", "deferrable", "1", 2, 1500,
             "planned operations in hospital theatres, about 550,000 a year (ASSUMPTION), a day "
             "of operation and recovery; a theatre team of five for about three hours with "
             "turnover: 2 staff shifts (ASSUMPTION)"),
    Category("surgery_acute", "op_iva", "urgent", "1", 2.5, 600,
             "emergency operations, about 220,000 a year (ASSUMPTION); longer and more often at "
             "night than planned ones: 2.5 staff shifts (ASSUMPTION)"),
    Category("intensive_care", "op_iva", "urgent",
             "{distribution: lognormal, mean: 2.5, sd: 4}", 5, 110,
             "ICU admissions, about 40,000 a year (ASSUMPTION); stays with a median of 1.1 days "
             "for all ICU patients (DOMAIN.md) and a long tail: lognormal, mean 2.5, sd 4 "
             "(median 1.3; ASSUMPTION), 3.0 days in whole days, so about 330 of the 526 "
             "pre-COVID-19 ICU beds are taken (DOMAIN.md); a nurse and an assistant nurse for "
             "one or two patients round the clock, with doctors: 5 staff shifts (ASSUMPTION)"),
    Category("trauma_surgery_icu", "op_iva", "imperative", "2", 6, TRAUMA_PER_DAY,
             "days 2-3 of imperative trauma care: operation and intensive care; ICU-level "
             "staffing, 6 staff shifts a patient-day (ASSUMPTION, as the issue's example)"),
    Category("inpatient", "vard", "urgent", "{distribution: lognormal, mean: 4.5, sd: 4}", 1.5,
             None,
             "medical and acute surgical inpatients; stays lognormal, mean 4.5, sd 4 "
             "(ASSUMPTION), 5.0 days in whole days, the order of Swedish mean lengths of stay; "
             "admissions fill the inpatient beds to OCCUPANCY with the other categories; a "
             "nurse for about six patients, an assistant nurse for five and a doctor for "
             "fifteen, three shifts a day: 1.5 staff shifts (ASSUMPTION)"),
    Category("post_operative", "vard", "deferrable", "3", 1.5, 750,
             "ward stays after planned operations: half the planned operations, the rest are "
             "day surgery (ASSUMPTION), 3 days (ASSUMPTION); staffed like inpatients"),
    Category("trauma_ward", "vard", "imperative", "7", 2, TRAUMA_PER_DAY,
             "days 4-10 of imperative trauma care: post-operative care on a ward; more care "
             "than the average inpatient, 2 staff shifts (ASSUMPTION)"),
)

# What a trauma admission uses beyond an average patient-day of its ward (per admission;
# ASSUMPTIONS, the order of a bleeding trauma patient's treatment).
TRAUMA_EXTRAS: dict[str, tuple[str, dict[str, float]]] = {
    "trauma_emergency": (
        "resuscitation (ASSUMPTION: the order of a bleeding trauma patient's treatment, not in "
        "the sources): two litres of crystalloid before blood, tranexamic acid 1 g + 1 g "
        "(two 1 g ampoules), two large-bore cannulas with their sets, trauma blood samples", {
            "ringer_acetat_1l": 2, "tranexamsyra_inj": 2, "pvk": 2, "infusion_set": 2,
            "blood_tube": 6}),
    "trauma_surgery_icu": (
        "damage-control surgery and the first ICU day (ASSUMPTION, as above): anaesthesia "
        "(propofol, rocuronium), vasopressor, analgesia, fluids and the lines that give them", {
            "ringer_acetat_1l": 4, "propofol_inj": 3, "rokuronium_inj": 2,
            "noradrenalin_inj": 4, "morfin_inj": 4, "extension_line": 3,
            "three_way_stopcock": 3}),
}

WARD_NAMES = {"akut": "emergency departments", "op_iva": "surgery and intensive care",
              "vard": "inpatient wards"}
BEGIN = "# --- care: BEGIN generated by make_sweden.py"
END = "# --- care: END generated by make_sweden.py ---"


def significant(x: float, digits: int = 3) -> float:
    """`x` rounded to `digits` significant digits."""
    if x == 0:
        return 0.0
    return round(x, digits - 1 - math.floor(math.log10(abs(x))))


def number(x: float) -> str:
    """A YAML number without trailing zeros."""
    text = f"{x:.6f}".rstrip("0").rstrip(".")
    return text or "0"


def stay_days(stay: str) -> float:
    """Mean stay in whole days, max(1, ceil(L)), as the engine counts it."""
    import yaml

    from sim.care_network import stay_days_mean
    from sim.scenario import schema

    spec = yaml.safe_load(stay)
    return stay_days_mean(schema.CareCategory(length_of_stay_days=spec).length_of_stay_days)


def ward_beds(nodes: list[dict]) -> dict[str, float]:
    """Bed-equivalents per kind of ward, over the network."""
    beds = dict.fromkeys(WARD_NAMES, 0.0)
    for node in nodes:
        if node["role"] == "ward":
            kind = next(k for k in WARD_NAMES if node["id"].endswith("_" + k))
            beds[kind] += node["scale.beds"]
    return beds


def admissions_per_bed(beds: dict[str, float]) -> dict[str, float]:
    """Mean admissions per bed(-equivalent) and day of each category, 3 significant digits."""
    out: dict[str, float] = {}
    for c in CATEGORIES:
        if c.per_day is not None:
            out[c.name] = significant(c.per_day / beds[c.ward])
    for c in CATEGORIES:
        if c.per_day is None:
            others = sum(out[o.name] * stay_days(o.stay) for o in CATEGORIES
                         if o.ward == c.ward and o.per_day is not None)
            out[c.name] = significant((OCCUPANCY - others) / stay_days(c.stay))
    return out


@dataclass(frozen=True)
class WardLoad:
    """Per bed-equivalent and day at one kind of ward: admissions, patient-days, staff shifts."""

    admissions: dict[str, float]  # by category (only this ward's)
    patient_days: float
    shifts: float
    extras: dict[str, float]  # units a day of trauma extras, by product


def ward_loads(nodes: list[dict]) -> dict[str, WardLoad]:
    """The load of each kind of ward, per bed-equivalent and day."""
    per_bed = admissions_per_bed(ward_beds(nodes))
    loads = {}
    for ward in WARD_NAMES:
        mine = [c for c in CATEGORIES if c.ward == ward]
        extras: dict[str, float] = {}
        for c in mine:
            for product, amount in TRAUMA_EXTRAS.get(c.name, ("", {}))[1].items():
                extras[product] = extras.get(product, 0.0) + per_bed[c.name] * amount
        loads[ward] = WardLoad(
            admissions={c.name: per_bed[c.name] for c in mine},
            patient_days=sum(per_bed[c.name] * stay_days(c.stay) for c in mine),
            shifts=sum(per_bed[c.name] * stay_days(c.stay) * c.shifts for c in mine),
            extras=extras)
    return loads


def _comment(text: str, indent: int) -> list[str]:
    pad = " " * indent
    return [f"{pad}# {line}" for line in _wrap(text, 96 - indent)]


HEADER = """\
# Demand at the wards comes from patients (docs/engine.md, 'Care activity'): care categories with
# their stays, priorities and staff shifts; admissions per bed-equivalent of each kind of ward;
# norms that turn patient-days, admissions and staff shifts into units. Numbers without a source
# are ASSUMPTIONS with their reasoning. The norms are CALIBRATED (the issue's requirement) so that
# baseline consumption stays what the plain per-bed demand of each kind of ward was: per
# patient-day = (that rate per bed - the trauma extras per bed) / patient-days per bed-day; PPE per
# staff shift = that rate per bed / staff shifts per bed-day (make_sweden.py, WARD_RATES; the
# trailing comments give the rate). Community pharmacies and municipal care keep plain demand
# (demands: above)."""


def _categories_yaml() -> list[str]:
    lines = ["  categories:"]
    for c in CATEGORIES:
        lines += _comment(f"{c.name} ({WARD_NAMES[c.ward]}): {c.note}", 4)
        lines.append(f"    {c.name}: {{length_of_stay_days: {c.stay}, priority: {c.priority}, "
                     f"staff_shifts_per_patient_day: {number(c.shifts)}}}")
    return lines


def _admissions_yaml(nodes: list[dict], loads: dict[str, WardLoad]) -> list[str]:
    beds = ", ".join(f"{w} {b:,.0f}" for w, b in ward_beds(nodes).items())
    lines = _comment(
        "Admissions a day per bed-equivalent: the national figure above over the kind's beds ("
        f"{beds}; make_sweden.py), Poisson. Each kind of ward has its beds under a scale key of "
        "its own (akut_beds, op_iva_beds, vard_beds, equal to its beds), so a rule can only "
        "ever scale by the beds of its kind of ward", 2)
    lines.append("  admissions:")
    for c in CATEGORIES:
        mean = number(loads[c.ward].admissions[c.name])
        lines.append(f"    - {{name: {c.ward}_{c.name}, match: {{tag: {c.ward}}}, category: "
                     f"{c.name}, mean_per_day: {mean}, per: {c.ward}_beds}}")
    return lines


def _norm_value(ward: str, product: str, load: WardLoad) -> tuple[str, float]:
    """The field and value of the every-category norm of a product at a kind of ward."""
    rate = next(products[product] for _, products in WARD_RATES.values()
                if product in products)[ward]
    if product in WARD_RATES[PPE][1]:
        return "per_staff_shift", significant(rate / load.shifts, 4)
    return "per_patient_day", significant((rate - load.extras.get(product, 0.0))
                                          / load.patient_days, 4)


def _norms_yaml(loads: dict[str, WardLoad]) -> list[str]:
    lines = ["  norms:", "    # Today's rates per bed, by group (what they were set to):"]
    for group, (note, _) in WARD_RATES.items():
        lines += _comment(f"- {group}: {note}", 4)
    for ward, load in loads.items():
        lines += _comment(
            f"{WARD_NAMES[ward]}: {load.patient_days:.3f} patient-days and {load.shifts:.3f} "
            "staff shifts per bed-equivalent and day; every category, per patient-day (PPE per "
            "staff shift)", 4)
        for _, products in WARD_RATES.values():
            for product, rates in products.items():
                if ward not in rates:
                    continue
                field, value = _norm_value(ward, product, load)
                extra = load.extras.get(product, 0.0)
                why = f"today {number(rates[ward])} a bed" + (
                    f", {extra:.3f} of it trauma extras" if extra else "")
                lines.append(f"    - {{name: {ward}_{product}, category: all, match: {{tag: "
                             f"{ward}}}, product: {product}, {field}: {number(value)}}}  # {why}")
    # Every field of a norm that refines an earlier one is written out (the ward's value per
    # patient-day with the extra per admission): a scenario written back with its defaults
    # filled in (`Scenario.resolved()`, batches) must give the same norms.
    for category, (note, extras) in TRAUMA_EXTRAS.items():
        ward = next(c.ward for c in CATEGORIES if c.name == category)
        lines += _comment(f"{category}: an average patient-day of the {ward} ward, and per "
                          f"admission: {note}", 4)
        for product, amount in extras.items():
            field, value = _norm_value(ward, product, loads[ward])
            lines.append(f"    - {{name: {category}_{product}, category: {category}, match: "
                         f"{{tag: {ward}}}, product: {product}, {field}: {number(value)}, "
                         f"per_admission: {number(amount)}}}")
    return lines


def care_block(nodes: list[dict]) -> str:
    """The `care:` section of sweden.yaml, with its comments, between its markers."""
    loads = ward_loads(nodes)
    lines = [f"{BEGIN} (edit it there and run it) ---", HEADER, "care:",
             *_categories_yaml(), *_admissions_yaml(nodes, loads), *_norms_yaml(loads), END]
    return "\n".join(lines) + "\n"


def _wrap(text: str, width: int) -> list[str]:
    words, out, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [*out, line] if line else out


def replace_care_block(yaml_text: str, block: str) -> str:
    """`yaml_text` with its generated care block replaced by `block`."""
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n", re.DOTALL)
    if not pattern.search(yaml_text):
        raise ValueError("sweden.yaml has no generated care block (BEGIN/END markers)")
    return pattern.sub(lambda _: block, yaml_text)


def write(rows: list[dict], columns: list[str], path: Path) -> None:
    """Write rows as CSV with a fixed column order (empty cells for missing keys)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    nodes, lanes = build()
    write(nodes, NODE_COLUMNS, HERE / "sweden_nodes.csv")
    write(lanes, LANE_COLUMNS, HERE / "sweden_lanes.csv")
    scenario = HERE / "sweden.yaml"
    text = scenario.read_text(encoding="utf-8")
    scenario.write_text(replace_care_block(text, care_block(nodes)), encoding="utf-8")
    hospitals = sum(n["role"] == "hospital_pharmacy" for n in nodes)
    print(f"{len(nodes)} nodes ({hospitals} hospitals), {len(lanes)} lanes")
