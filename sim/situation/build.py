"""Render a `Situation` into one self-contained HTML file with Jinja2 (autoescaped)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from sim.export.atomic import atomic_write
from sim.situation import figures
from sim.situation.data import Situation, open_situation
from sim.situation.texts import LANGUAGES, TEXTS


def _pct(value: float, lang: str = "en", digits: int = 1) -> str:
    """A share as a percentage in the language's style: 57.7% (en), 57,7 % (sv, nb)."""
    if value is None or not math.isfinite(value):
        return "–"
    text = f"{value * 100:.{digits}f}"
    return f"{text}%" if lang == "en" else f"{text.replace('.', ',')}\u00a0%"


def _days(value: float) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.0f}"


def _ci(low: float, high: float, lang: str = "en") -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return "–"
    return f"{_pct(max(low, 0.0), lang)} – {_pct(min(high, 1.0), lang)}"


def _fill_table(s: Situation,
                lang: str = "en") -> tuple[list[str], list[tuple[str, list[str]]]]:
    f = s.fill_groups
    variants = list(dict.fromkeys(f["variant"].astype(str)))
    rows = []
    for group in dict.fromkeys(f["group"].astype(str)):
        cells = []
        for v in variants:
            r = f[(f["group"] == group) & (f["variant"].astype(str) == v)]
            if r.empty:
                cells.append("–")
                continue
            r0 = r.iloc[0]
            cells.append(f"{_pct(r0['mean'], lang)} "
                         f"({_ci(r0['ci95_low'], r0['ci95_high'], lang)})")
        rows.append((group, cells))
    return variants, rows


def _assumptions(s: Situation, t: dict[str, str]) -> tuple[list[tuple[str, str]], list[dict]]:
    m = s.manifest
    plan = m.get("plan", {})
    digest = m.get("scenario_hash")
    if plan.get("variants"):
        names = [v["name"] for v in plan["variants"]]
        digest = plan["variants"][names.index(s.variant) if s.variant in names else 0].get(
            "scenario_hash")
    facts = [(t["scenario"], str(plan.get("scenario") or m.get("scenario", ""))),
             (t["seed"], str(plan.get("seed", m.get("seed", "")))),
             (t["replications"], str(s.replications)),
             (t["version"], str(m.get("package_version", ""))),
             (t["created"], str(m.get("created", "")))]
    if digest:
        facts.append((t["hash"], str(digest)))
    if s.variant is not None:
        facts.append((t["variant"], s.variant))
    rules: list[dict] = []
    sc = s.scenario
    if sc is not None:
        facts += [(t["horizon"], str(sc.horizon_days)), (t["warmup"], str(sc.warmup_days)),
                  (t["nodes"], ", ".join(f"{role} {n}" for role, n in pd.Series(
                      [n.role for n in sc.nodes]).value_counts(sort=False).items())),
                  (t["products"], ", ".join(f"{g} {n}" for g, n in pd.Series(
                      [p.group for p in sc.products.values()]).value_counts(sort=False)
                      .items()))]
        for section, attr in (("policies", "policy"), ("stocks", "stock")):
            for i, rule in enumerate(getattr(sc, section)):
                spec = getattr(rule, attr).model_dump(exclude_none=True, exclude_defaults=True)
                match = rule.match.model_dump(exclude_none=True)
                rules.append({"section": section, "name": rule.name or f"{section}[{i}]",
                              "text": f"{match} → {spec}"})
        rules += _node_settings(sc)
    return facts, rules


def _spec_text(spec: object) -> str:
    data = spec.model_dump(exclude_none=True, exclude_defaults=True)  # type: ignore[attr-defined]
    kind = getattr(spec, "type", None)
    if kind is not None:
        data = {"type": kind, **{k: v for k, v in data.items() if k != "type"}}
    return ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}"
                     for k, v in data.items())


def _node_settings(sc: object, most: int = 8) -> list[dict]:
    """Stock and policies set on the nodes themselves, summarised per role.

    One row per role: each distinct (product, setting) with the number of nodes that have it,
    the most common first, at most `most` of them and a count of the rest.
    """
    from collections import Counter

    rows = []
    for role in dict.fromkeys(n.role for n in sc.nodes):  # type: ignore[attr-defined]
        nodes = [n for n in sc.nodes if n.role == role]  # type: ignore[attr-defined]
        seen: Counter[str] = Counter()
        for n in nodes:
            for attr in ("policy", "stock"):
                for product, spec in getattr(n, attr).items():
                    seen[f"{attr} {product}: {_spec_text(spec)}"] += 1
        if not seen:
            continue
        parts = [f"{text} (×{count})" for text, count in seen.most_common(most)]
        if len(seen) > most:
            parts.append(f"+{len(seen) - most}")
        rows.append({"section": "nodes", "name": f"{role} ({len(nodes)})",
                     "text": "; ".join(parts)})
    return rows


def render(s: Situation, lang: str = "en") -> str:
    """The report as HTML text."""
    import jinja2

    from sim import __version__

    t = TEXTS[lang]
    sc = s.scenario
    thresholds = list(sc.reporting.dos_thresholds) if sc is not None else [14, 7, 3]
    cuts = sorted(thresholds)
    legend = [f"{t['below']} {c:g}" for c in cuts] + [f"{t['at_least']} {cuts[-1]:g}"]
    heatmaps, lowest, lowest_groups = [], [], []
    if s.dos is not None and not s.dos.empty:
        for group in dict.fromkeys(s.dos["group"]):
            rows = s.dos[s.dos["group"] == group]
            heatmaps.append({"group": group, "uri": figures.heatmap(
                rows, thresholds, f"{group}: {t['dos']}", t["day"], legend)})
        # Regions down, groups across: 21 x 10 cells read at a glance, 210 rows would not.
        low = s.dos.loc[s.dos.groupby(["region", "group"], sort=False)["median"].idxmin()]
        groups = list(dict.fromkeys(s.dos["group"]))
        for region, rows in low.groupby("region", sort=False):
            by = {r.group: r for r in rows.itertuples(index=False)}
            cells = [{"text": "–", "low": False} if g not in by else
                     {"text": f"{_days(by[g].median)} ({_days(by[g].p10)}–{_days(by[g].p90)})",
                      "low": bool(by[g].median < cuts[0])} for g in groups]
            lowest.append({"region": region, "cells": cells,
                           "order": float(rows["median"].min())})
        lowest.sort(key=lambda r: r["order"])
        lowest_groups = groups
    first = []
    for region, rows in s.first_stockout.groupby("region", sort=False):
        first.append((region, [{"group": r.group, "median": _days(r.median),
                                "earliest": _days(r.earliest), "share": _pct(r.share, lang, 0)}
                               for r in rows.itertuples(index=False)]))
    first.sort(key=lambda item: min(float(x["median"]) if x["median"] != "–" else 1e9
                                    for x in item[1]))
    fill_variants, fill = _fill_table(s, lang)
    roles = [{"role": r.role, "group": r.group, "of": t[r.of], "mean": _pct(r.mean, lang),
              "ci": _ci(r.ci95_low, r.ci95_high, lang)}
             for r in s.fill_roles.itertuples(index=False)]
    # A factory's restart and recovery after its window is a row of its own, named so.
    shown = s.windows.assign(name=[
        f"{w.name} ({t['restart_recovery']})" if w.phase == "recovery" else w.name
        for w in s.windows.itertuples(index=False)])
    windows = [{"name": w.name, "start": w.start, "end": "–" if pd.isna(w.end) else int(w.end)}
               for w in shown.itertuples(index=False)]
    horizon = sc.horizon_days if sc is not None else int(
        max([w["start"] for w in windows] + [1]) + 1)
    timeline = figures.timeline(shown, horizon, t["day"]) if windows else ""
    facts, rules = _assumptions(s, t)
    name = facts[0][1]
    citation = (f"beredskap {s.manifest.get('package_version', __version__)}, "
                f"{t['scenario'].lower()} '{name}', {t['seed'].lower()} {facts[1][1]}, "
                f"{s.replications} {t['replications'].lower()}; {s.folder.name}.")
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("sim.situation", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined)
    return env.get_template("report.html.j2").render(
        lang=lang, t=t, name=name, version=__version__, folder=str(s.folder),
        created=s.manifest.get("created", ""), variant=s.variant if s.kind == "batch" else None,
        heatmaps=heatmaps, thresholds=", ".join(f"{c:g}" for c in cuts),
        batch=s.kind == "batch", replications=s.replications, lowest=lowest,
        lowest_groups=lowest_groups,
        dos_note=t.get(s.dos_note, ""), first=first, fill_variants=fill_variants, fill=fill,
        roles=roles, windows=windows, timeline=timeline, facts=facts, rules=rules,
        citation=citation)


def situation_report(folder: str | Path, out: str | Path | None = None, lang: str = "en",
                     variant: str | None = None) -> Path:
    """Write the self-contained HTML situation report of a run or batch folder; return its path.

    `lang` is sv, nb or en; `out` defaults to `report.<lang>.html` in the folder; `variant`
    picks the batch variant the maps and tables show (default: the first). Raises `ValueError`
    (a `NotAResultsFolder` for a folder that is not one) before anything is written.
    """
    if lang not in LANGUAGES:
        from sim.scenario.errors import did_you_mean

        raise ValueError(f"--lang '{lang}': expected {', '.join(LANGUAGES)}"
                         f"{did_you_mean(lang, LANGUAGES)}")
    target = Path(out) if out is not None else Path(folder) / f"report.{lang}.html"
    if target.is_dir():
        raise ValueError(f"--out {target} is a folder; give a file name")
    s = open_situation(folder, variant)
    html = render(s, lang)
    atomic_write(target, lambda tmp: tmp.write_text(html, encoding="utf-8"))
    return target
