"""The HTML page of ``likeness eval fairness``: one table per band, the summary first."""

from __future__ import annotations

from pathlib import Path

from ..deliver.report import _e, _fmt
from ..deliver.report_style import CSS

_SKIP = {"intake_flag_rate_by_measure", "review_skin_curve_unseen"}


def render(result: dict) -> str:
    bands = list(result["bands"])
    head = "".join(f"<th>{_e(b)}<br><small>{_e(result['bands'][b]['edges'])}; {result['bands'][b]['people']} people, "
                   f"{result['bands'][b]['portraits']} portraits</small></th>" for b in bands)
    rows = []
    figs = [k for k in result["per_band"][bands[0]] if k not in _SKIP]
    for fig in figs:
        cells = []
        for b in bands:
            f = result["per_band"][b].get(fig, {})
            ci = f.get("ci90")
            cells.append(f"<td>{_fmt(f.get('value'))} <small>n={f.get('n', 0)}"
                         + (f" [{_fmt(ci[0])}, {_fmt(ci[1])}]" if ci else "") + "</small></td>")
        s = result["summary"].get(fig)
        note = "" if not s else f"worst {_e(s['worst_band'])}, gap {_fmt(s['gap'])}" + (
            "" if "within" not in s else (" (within target)" if s["within"] else f" (target {_fmt(s['target_gap'])})"))
        rows.append(f"<tr><th>{_e(fig)}</th>{''.join(cells)}<td>{note}</td></tr>")
    glasses = "".join(
        f"<tr><th>{_e(g)}</th>" + "".join(
            f"<td>{_e(k)}: {_fmt(v.get('value'))} (n={v.get('n', 0)})</td>"
            for k, v in figs_.items() if k not in _SKIP and v.get("n")) + "</tr>"
        for g, figs_ in result["per_glasses"].items())
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Likeness fairness</title>"
            f"<style>{CSS}</style></head><body><h1>Quality per skin-tone band</h1>"
            f"<p>Bands: {_e(result['ita_how'])}. Intervals: {_e(result['interval'])}. "
            f"Subsampled: {_e(result['subsampling'])}. Passed: {_fmt(result['passed'])}.</p>"
            f"<table><tr><th>figure</th>{head}<th>summary</th></tr>{''.join(rows)}</table>"
            f"<h2>Glasses</h2><table>{glasses}</table></body></html>")


def write(result: dict, path: Path) -> Path:
    path.write_text(render(result))
    return path
