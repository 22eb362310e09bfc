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
"""

from __future__ import annotations

import csv
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
                "scale.residents_k", "unmet_demand"]
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
            nodes.append({"id": pharmacy, "name": f"Sjukhusapoteket {hospital}",
                          "role": "hospital_pharmacy", "country": "SE", "region": region})
            lanes.append({"from": wholesaler, "to": pharmacy, "lead_time_days": 1,
                          "products": f"[{MEDICINES}]"})
            lanes.append({"from": gas, "to": pharmacy, "lead_time_days": gas_days,
                          "products": "[medical_gases]"})
            for suffix, ward_name, share, tags in WARDS:
                ward = f"{hid}_{suffix}"
                nodes.append({"id": ward, "name": f"{hospital}, {ward_name}", "role": "ward",
                              "country": "SE", "region": region, "tags": tags,
                              "scale.beds": round(beds * share, 1), "unmet_demand": "lost"})
                lanes.append({"from": pharmacy, "to": ward, "lead_time_days": 1,
                              "products": HOSPITAL_SUPPLY})
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
    hospitals = sum(n["role"] == "hospital_pharmacy" for n in nodes)
    print(f"{len(nodes)} nodes ({hospitals} hospitals), {len(lanes)} lanes")
