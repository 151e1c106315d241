"""The report a user reads: report.json for scripts and a self-contained report.html.

The page has no external resource at all (no CDN, no web font, no script; CSS inline;
a Content-Security-Policy forbids anything else), shows images by relative path so
the output folder can be moved or zipped as a whole, and escapes every piece of text
taken from the report (file names, notes and Look names are user-controlled).

Report shape (keys other than these are kept in the JSON and ignored by the page)::

    {"title", "summary", "look": {...}, "contact_sheet": "sheet.jpg",
     "headshots": [{"file", "source", "look", "frame", "likeness", "identity_distance",
                    "source_type", "notes": [...], "measures": {...}}],
     "photos": [{"source", "usable", "problems": [...], "measures": {...}}],
     "skipped": [[photo, reason]], "settings": {...}}
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .. import __version__
from ..errors import InputError
from ..types import to_jsonable
from ..atomic import atomic_write
from .metadata import IPTC_DST, SOURCE_TYPES
from .report_style import CSS

_CSP = "default-src 'none'; img-src 'self' file: data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
_BADGE = {
    "algorithmicallyEnhanced": "enhanced",
    "compositeWithTrainedAlgorithmicMedia": "composite",
    "trainedAlgorithmicMedia": "generated",
}


def write_report(out_dir: Path, report: dict, *, title: str = "Likeness report") -> tuple[Path, Path]:
    """Write ``report.json`` and ``report.html`` into ``out_dir``; returns both paths."""
    if not isinstance(report, dict):
        raise InputError(f"The report must be a dict, not {type(report).__name__}.")
    out_dir = Path(out_dir)
    data = to_jsonable(report)
    title = str(data.get("title") or title)
    json_path = atomic_write(
        out_dir / "report.json", (json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
    )
    html_path = atomic_write(out_dir / "report.html", render_html(data, out_dir=out_dir, title=title).encode("utf-8"))
    return json_path, html_path


def relabel(value: Any, names: Mapping[str, str], *, out_dir: Path | None = None) -> Any:
    """``value`` (JSON-able) as its owner should read it: every photo the server stored
    under a name of its own gets the user's file name back (``names``: the stored path
    or file name → the user's name), paths inside ``out_dir`` become relative, and any
    other absolute path is cut to its file name, so no folder of the machine shows."""
    keys = sorted(names, key=len, reverse=True)
    base = str(Path(out_dir).resolve()) + os.sep if out_dir is not None else None

    def path(p: str) -> str:
        if p in names:
            return names[p]
        if base and (p + os.sep).startswith(base):
            return os.path.relpath(p, base) if p + os.sep != base else "."
        tail = os.path.basename(p.rstrip(os.sep))
        return names.get(tail, tail)

    def text(t: str) -> str:
        if os.path.isabs(t) and len(t) < 4096 and not any(c.isspace() for c in t):
            return path(t)
        for k in keys:
            if k in t:
                t = t.replace(k, names[k])
        if base:
            t = t.replace(base, "")
        return _ABS_PATH.sub(lambda m: path(m.group(0)), t)

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            return text(v)
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [walk(x) for x in v]
        return v

    return walk(to_jsonable(value))


def relabel_report(out_dir: Path, names: Mapping[str, str]) -> tuple[Path, Path] | None:
    """Rewrite ``report.json`` and ``report.html`` in ``out_dir`` through :func:`relabel`
    (the web app's reports are downloaded and shared: they must not show the server's
    folders or its internal file names). None when there is no report."""
    out_dir = Path(out_dir)
    src = out_dir / "report.json"
    if not src.is_file():
        return None
    data = relabel(json.loads(src.read_text(encoding="utf-8")), names, out_dir=out_dir)
    return write_report(out_dir, data)


#: An absolute path inside free text ("/a/b/photo.jpg is damaged"): at least one
#: folder, not preceded by a word character (so "1/100" or "and/or" never match).
_ABS_PATH = re.compile(r"(?<![\w.~])/(?:[\w.\-]+/)+[\w.\-]*")


def render_html(data: dict[str, Any], *, out_dir: Path, title: str) -> str:
    """The page for an already JSON-able report (see module docstring)."""
    heads = [h for h in data.get("headshots") or [] if isinstance(h, dict)]
    photos = [p for p in data.get("photos") or [] if isinstance(p, dict)]
    skipped = data.get("skipped") or []
    look = data.get("look") or {}
    look_name = _look_label(look) if look else ""
    scores = [h["likeness"] for h in heads if _num(h.get("likeness")) is not None]
    usable = sum(1 for p in photos if p.get("usable"))
    summary = data.get("summary") or _auto_summary(len(heads), len(photos), look_name)

    stats = [(str(len(heads)), "headshots delivered")]
    if scores:
        stats.append((f"{max(scores):.0f}", "best likeness (of 100)"))
    if photos:
        stats.append((f"{usable}/{len(photos)}", "photos usable"))
    if look_name:
        stats.append((look_name, "Look"))
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="referrer" content="no-referrer">',
        f'<meta name="generator" content="Likeness {escape(__version__)}">',
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>",
        '<header class="hero"><div class="wrap">',
        '<p class="eyebrow">Likeness</p>',
        f"<h1>{_e(title)}</h1>",
        f'<p class="lede">{_e(summary)}</p>',
        '<div class="stats">' + "".join(f'<div class="stat"><b>{_e(v)}</b><span>{_e(k)}</span></div>' for v, k in stats),
        "</div></div></header>",
        '<main class="wrap">',
        "<section><h2>Headshots</h2>",
        '<p class="sub">Each one is checked against your own photos: the likeness score measures how '
        "closely the face matches you (100 = the same as your photos).</p>",
    ]
    if heads:
        parts.append('<div class="grid">' + "".join(_headshot(h, out_dir) for h in heads) + "</div>")
    else:
        parts.append('<p class="empty">No headshot passed the review. The reasons are listed below.</p>')
    parts.append("</section>")
    if data.get("contact_sheet"):
        src = _href(data["contact_sheet"], out_dir)
        parts.append(
            '<section class="sheet"><h2>Contact sheet</h2><p class="sub">All results side by side.</p>'
            f'<a href="{src}"><img src="{src}" alt="Contact sheet of all results" loading="lazy"></a></section>'
        )
    if photos:
        parts += [
            "<section><h2>Your photos</h2>",
            '<p class="sub">What we found in each photo you gave, and what to do for even better results.</p>',
            '<div class="photos">' + "".join(_photo(p) for p in photos) + "</div></section>",
        ]
    if skipped:
        rows = "".join(_skip_row(s) for s in skipped)
        parts.append(f'<section><h2>Not made</h2><div class="skipped"><ul>{rows}</ul></div></section>')
    if data.get("settings") or look:
        settings = {"look": look, **(data.get("settings") or {})} if look else data.get("settings")
        parts.append(
            "<section><h2>Settings</h2>"
            '<p class="sub">Exactly how these results were made; the same settings and seed give the same result.</p>'
            f"<details><summary>Show settings</summary><pre>{_e(json.dumps(settings, indent=2, ensure_ascii=False))}</pre>"
            "</details></section>"
        )
    parts += [
        "</main>",
        '<footer><div class="wrap">',
        f"Made on your own computer by Likeness {_e(__version__)}; nothing was uploaded. "
        "Every image states how it was made (IPTC Digital Source Type in its metadata, and signed "
        'Content Credentials when enabled). <a href="report.json">Report data (JSON)</a>',
        "</div></footer></body></html>",
    ]
    return "\n".join(parts)


def _headshot(h: dict[str, Any], out_dir: Path) -> str:
    src = _href(h.get("file", ""), out_dir)
    source = str(h.get("source") or "")
    name = Path(source).name or source
    code = str(h.get("source_type") or "").removeprefix(IPTC_DST)
    label = SOURCE_TYPES.get(code, code or "unlabelled")
    heading = " · ".join(str(x) for x in (h.get("look"), h.get("frame")) if x) or "Headshot"
    score = _num(h.get("likeness"))
    if score is not None:
        level = "good" if score >= 80 else "ok" if score >= 60 else "low"
        width = min(100.0, max(0.0, score))
        score_html = (
            f'<div class="score"><span class="num">{score:.0f}</span><span class="muted">/ 100 likeness</span></div>'
            f'<div class="meter" role="img" aria-label="likeness {score:.0f} of 100">'
            f'<span class="{level}" style="width:{width:.1f}%"></span></div>'
        )
    else:
        score_html = '<p class="muted small">Likeness not measured.</p>'
    dist = _num(h.get("identity_distance"))
    notes = [str(n) for n in h.get("notes") or []]
    return (
        '<article class="card">'
        f'<a class="thumb" href="{src}"><img src="{src}" alt="{_e("Headshot made from " + name)}" loading="lazy">'
        f'<span class="badge over {_BADGE.get(code, "")}" title="{_e(IPTC_DST + code if code else "")}">{_e(label)}</span></a>'
        '<div class="body">'
        f"<h3>{_e(heading)}</h3>"
        f'<p class="muted small">from {_e(name)}</p>'
        + score_html
        + (f'<p class="muted small">identity distance {dist:.3f}</p>' if dist is not None else "")
        + (f'<ul class="notes">{"".join(f"<li>{_e(n)}</li>" for n in notes)}</ul>' if notes else "")
        + _checks_table((h.get("review") or {}).get("checks") if isinstance(h.get("review"), dict) else None)
        + _measures_table(h.get("measures"), "Review numbers")
        + "</div></article>"
    )


def _checks_table(checks: Any) -> str:
    """Every review check with its figure, its limit and its verdict."""
    if not isinstance(checks, dict) or not checks:
        return ""
    rows = []
    for name, c in checks.items():
        if not isinstance(c, dict):
            continue
        verdict = "✓" if c.get("passed") else "✗"
        rows.append(f'<tr><td>{_e(name.replace("_", " "))}</td><td class="n">{_e(_fmt(c.get("value")))}</td>'
                    f'<td class="n">{_e(_fmt(c.get("threshold")))}</td><td>{verdict}</td></tr>')
    head = '<tr><th>check</th><th class="n">figure</th><th class="n">limit</th><th></th></tr>'
    return f"<details><summary>Review checks</summary><table>{head}{''.join(rows)}</table></details>"


def _photo(p: dict[str, Any]) -> str:
    source = str(p.get("source") or "")
    ok = bool(p.get("usable"))
    problems = [_problem_text(x) for x in p.get("problems") or []]
    body = (
        '<ul class="problems">' + "".join(f"<li>{_e(t)}</li>" for t in problems if t) + "</ul>"
        if problems
        else '<p class="muted small">No problems found.</p>'
    )
    return (
        '<article class="photo">'
        f'<div class="row"><h3 title="{_e(source)}">{_e(Path(source).name or source)}</h3>'
        f'<span class="badge {"yes" if ok else "no"}">{"Usable" if ok else "Not used"}</span></div>'
        + body
        + _measures_table(p.get("measures"), "Measures")
        + "</article>"
    )


def _skip_row(item: Any) -> str:
    if isinstance(item, (list, tuple)) and len(item) >= 2:
        photo, reason = item[0], item[1]
        return f"<li><b>{_e(Path(str(photo)).name or str(photo))}</b>: {_e(reason)}</li>"
    return f"<li>{_e(item)}</li>"


def _measures_table(measures: Any, caption: str) -> str:
    if not isinstance(measures, dict) or not measures:
        return ""
    rows = []
    for name, m in measures.items():
        if isinstance(m, dict) and "score" in m:
            verdict = "" if "ok" not in m else ("✓" if m.get("ok") else "✗")
            raw = _fmt(m.get("raw")) + (f" {m['unit']}" if m.get("unit") else "")
            rows.append(f'<tr><td>{_e(name)}</td><td class="n">{_e(_fmt(m["score"]))}</td>'
                        f'<td class="n">{_e(raw)}</td><td>{verdict}</td></tr>')
        else:
            rows.append(f'<tr><td>{_e(name)}</td><td class="n" colspan="3">{_e(_fmt(m))}</td></tr>')
    head = '<tr><th>measure</th><th class="n">score</th><th class="n">value</th><th></th></tr>'
    if all(not (isinstance(m, dict) and "score" in m) for m in measures.values()):
        head = '<tr><th>measure</th><th class="n" colspan="3">value</th></tr>'
    return f"<details><summary>{_e(caption)}</summary><table>{head}{''.join(rows)}</table></details>"


def _problem_text(x: Any) -> str:
    if isinstance(x, dict):  # a Measure-like dict, or {"message", "hint"}
        parts = [x.get(k) for k in ("message", "problem", "advice", "hint") if x.get(k)]
        return " ".join(str(p) for p in parts) or json.dumps(x, ensure_ascii=False)
    return str(x)


def _look_label(look: Any) -> str:
    if isinstance(look, dict):
        name = look.get("title") or look.get("name") or ""
        version = look.get("version")
        return f"{name} v{version}" if name and version not in (None, "") else str(name)
    return str(look)


def _auto_summary(n_heads: int, n_photos: int, look: str) -> str:
    s = f"{n_heads} headshot{'s' if n_heads != 1 else ''}"
    if n_photos:
        s += f" from {n_photos} photo{'s' if n_photos != 1 else ''}"
    return s + (f", Look “{look}”." if look else ".")


def _href(file: Any, out_dir: Path) -> str:
    """A relative, URL-quoted, HTML-escaped link to a file in the output folder."""
    p = str(file or "")
    if os.path.isabs(p):
        p = os.path.relpath(p, out_dir)
    return escape(quote(p.replace(os.sep, "/"), safe="/"), quote=True)


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v) if math.isfinite(v) else None


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            return "–"
        a = abs(v)
        return f"{v:.0f}" if a >= 100 else f"{v:.1f}" if a >= 10 else f"{v:.3f}".rstrip("0").rstrip(".") or "0"
    if v is None:
        return "–"
    return str(v) if not isinstance(v, (dict, list)) else json.dumps(v, ensure_ascii=False)


def _e(v: Any) -> str:
    return escape(str(v), quote=True)
