"""Team outputs: consistency report (JSON + HTML), team page, contact sheet, zip, CSV."""

from __future__ import annotations

import csv
import html
import io
import json
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..deliver import contact_sheet, write_image
from ..atomic import atomic_path, atomic_write
from ..imageio import load_photo
from .job import look_measures
from .measure import LookMeasures, outliers, spreads
from .source import Member

_CSS = """
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f6f6f4;color:#222}
header{padding:32px 40px 8px}h1{font-weight:600;margin:0 0 4px}p.sub{color:#666;margin:0}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:24px;padding:24px 40px}
figure{margin:0;background:#fff;border-radius:10px;overflow:hidden;box-shadow:0 1px 3px #0002}
figure img{width:100%;aspect-ratio:4/5;object-fit:cover;display:block;background:#ddd}
figcaption{padding:10px 12px}figcaption b{display:block}figcaption span{color:#666;font-size:13px}
.retake{padding:0 40px 32px}.retake li{margin:4px 0}.warn{color:#a4442d}
table{border-collapse:collapse;margin:8px 40px}td,th{padding:4px 12px;border-bottom:1px solid #ddd;text-align:left}
"""


_THUMB_SIDE = 600  # contact-sheet cells are 300 px: decode the headshots no larger


def _e(v: Any) -> str:
    return html.escape(str(v if v is not None else ""))


def write_team_outputs(result, members: list[Member], lock: dict[str, Any]):
    out = Path(result.out_dir)
    by_slug = {m.slug: m for m in members}
    done = [p for p in result.people if p["status"] == "done"]
    after: list[LookMeasures] = []
    before: list[LookMeasures] = []
    thumbs, labels = [], []
    for p in done:
        head = out / "people" / p["slug"] / p["file"]
        img = load_photo(head, max_side=_THUMB_SIDE).image
        lm = p.get("look_measures")
        if lm is None:  # a record resumed from a run that did not measure in its workers
            src = next((ph for ph in by_slug[p["slug"]].photos if ph.name == p.get("source")), None)
            lm = look_measures(head, src, enlarged=float(p.get("measures", {}).get("enlarged", 1.0)))
        after.append(LookMeasures.from_dict(lm["after"]))
        before.append(LookMeasures.from_dict(lm["before"]))
        thumbs.append(img)
        labels.append(p["name"])
    names = [p["name"] for p in done]
    fits = [p.get("framed_as_team", True) for p in done]
    breaks = outliers(names, after)
    for n, ok in zip(names, fits):
        if not ok:
            breaks.setdefault(n, []).insert(
                0, "the photo shows too little below the chin for the team framing: retake with head and shoulders in the frame"
            )
    consistency = {
        "look": lock["look"].get("name"),
        "frame": lock["frame"],
        "people": len(result.people),
        "done": len(done),
        "retakes": [{"name": p["name"], "status": p["status"], "reason": p.get("reason", "")} for p in result.people if p["status"] != "done"],
        "before": spreads(before),
        # Spreads over every delivered member: the team framing was chosen before rendering
        # so that every member's photo supports it (team.framing); a member whose render
        # passed the review only at another framing is a retake, not delivered.
        "after": spreads(after),
        "framing": next((p["team_framing"] for p in result.people if p.get("team_framing")), None),
        "framed_tighter": [n for n, ok in zip(names, fits) if not ok],
        # White balance and exposure from a grey card or colour chart, not estimated.
        "corrected_from_card": [p["name"] for p in done if p.get("card")],
        "per_person": {n: {"before": b.to_dict(), "after": a.to_dict()} for n, b, a in zip(names, before, after)},
        "breaks_team_look": breaks,
    }
    atomic_write(out / "consistency.json", json.dumps(consistency, indent=2, default=float).encode())
    atomic_write(out / "consistency.html", _consistency_html(consistency).encode())
    sheet = None
    if thumbs:
        sheet = out / "contact-sheet.jpg"
        sheet = write_image(contact_sheet(thumbs, labels, columns=min(6, len(thumbs)), cell=300), sheet, quality=88,
                            settings={"what": "team contact sheet", "look": lock["look"].get("name")})
    csv_path = _write_csv(out, result.people)
    zip_path = _write_zip(out, result.people, csv_path)
    page = out / "index.html"
    atomic_write(page, _team_page(lock, result.people).encode())
    return replace(result, consistency=consistency, page=page, zip=zip_path, csv=csv_path)


def _file_name(p: dict[str, Any]) -> str:
    return f"{p['slug']}{Path(p['file']).suffix}"


def _write_csv(out: Path, people) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["name", "title", "department", "status", "file", "likeness", "reason"])
    for p in people:
        w.writerow([
            p["name"], p.get("title", ""), p.get("department", ""), p["status"],
            _file_name(p) if p["status"] == "done" else "", p.get("likeness") or "", p.get("reason", ""),
        ])
    return atomic_write(out / "team.csv", buf.getvalue().encode())


def _write_zip(out: Path, people, csv_path: Path) -> Path:
    with atomic_path(out / "headshots.zip") as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as z:
        for p in people:  # JPEGs don't compress further: stored
            if p["status"] == "done":
                z.write(out / "people" / p["slug"] / p["file"], _file_name(p))
        z.write(csv_path, "team.csv")
    return out / "headshots.zip"


def _team_page(lock: dict[str, Any], people) -> str:
    cards, retakes = [], []
    for p in people:
        if p["status"] == "done":
            src = f"people/{_e(p['slug'])}/{_e(p['file'])}"
            sub = " · ".join(x for x in (p.get("title"), p.get("department")) if x)
            cards.append(f'<figure><img src="{src}" alt="{_e(p["name"])}" loading="lazy"><figcaption><b>{_e(p["name"])}</b><span>{_e(sub)}</span></figcaption></figure>')
        else:
            retakes.append(f'<li><b>{_e(p["name"])}</b>: <span class="warn">{_e(p.get("reason", ""))}</span></li>')
    look = lock["look"].get("title") or lock["look"].get("name")
    rt = f'<section class="retake"><h2>Retakes needed</h2><ul>{"".join(retakes)}</ul></section>' if retakes else ""
    return (
        f'<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Team headshots</title><style>{_CSS}</style><header><h1>Team headshots</h1>"
        f'<p class="sub">Look: {_e(look)} · framing: {_e(lock["frame"])} · {sum(p["status"] == "done" for p in people)} of {len(people)} ready · '
        f'<a href="headshots.zip">download all</a> · <a href="team.csv">CSV</a> · <a href="consistency.html">consistency report</a></p></header>'
        f'<main class="grid">{"".join(cards)}</main>{rt}</html>'
    )


def _consistency_html(c: dict[str, Any]) -> str:
    rows = []
    for k in ("eye_line_std", "head_ratio_std", "face_exposure_std", "backdrop_delta_e_max"):
        b, a = c["before"].get(k), c["after"].get(k)
        f = lambda v: "–" if v is None else f"{v:.3f}"  # noqa: E731
        rows.append(f"<tr><td>{_e(k)}</td><td>{f(b)}</td><td>{f(a)}</td></tr>")
    breaks = "".join(f"<li><b>{_e(n)}</b>: {_e('; '.join(w))}</li>" for n, w in c["breaks_team_look"].items())
    retakes = "".join(f"<li><b>{_e(r['name'])}</b>: {_e(r['reason'])}</li>" for r in c["retakes"])
    return (
        f'<!doctype html><html lang="en"><meta charset="utf-8"><title>Team consistency</title><style>{_CSS}</style>'
        f'<header><h1>Team consistency</h1><p class="sub">{c["done"]} of {c["people"]} people · Look {_e(c["look"])}</p></header>'
        f"<table><tr><th>spread</th><th>photos as given</th><th>team headshots</th></tr>{''.join(rows)}</table>"
        f'<section class="retake"><h2>Light from a grey card or chart</h2><p>{_e(", ".join(c.get("corrected_from_card") or [])) or "Nobody: every white balance was estimated."}</p></section>'
        f'<section class="retake"><h2>Breaks the team look</h2><ul>{breaks or "<li>Nobody: the team matches.</li>"}</ul>'
        f"<h2>Retakes</h2><ul>{retakes or '<li>None.</li>'}</ul></section></html>"
    )
