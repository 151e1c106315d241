"""The report page's stylesheet, inlined into report.html (no CDN, no web fonts)."""

CSS = """
:root{--bg:#f5f6f8;--card:#fff;--ink:#14161a;--muted:#5d6470;--line:#e4e7ec;--accent:#2f5bea;
--good:#1f9d55;--ok:#c98a0b;--low:#d0453b;--chip:#eef1f6;--shadow:0 1px 2px rgba(16,24,40,.06),0 4px 16px rgba(16,24,40,.06)}
@media (prefers-color-scheme:dark){:root{--bg:#0f1115;--card:#171a21;--ink:#eceef2;--muted:#9aa3b2;--line:#2a2f3a;
--accent:#7b9bff;--chip:#222733;--shadow:0 1px 2px rgba(0,0,0,.4)}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif;-webkit-font-smoothing:antialiased}
.wrap{max-width:1180px;margin:0 auto;padding:0 24px}
header.hero{padding:48px 0 28px;border-bottom:1px solid var(--line);background:var(--card)}
.eyebrow{margin:0 0 6px;font-size:12px;font-weight:600;letter-spacing:.12em;text-transform:uppercase;color:var(--accent)}
h1{margin:0;font-size:clamp(26px,3.4vw,38px);line-height:1.15;letter-spacing:-.02em}
.lede{margin:10px 0 0;color:var(--muted);font-size:16px;max-width:70ch}
.stats{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px;margin-top:26px}
.stat{background:var(--bg);border:1px solid var(--line);border-radius:12px;padding:14px 16px}
.stat b{display:block;font-size:24px;line-height:1.25;letter-spacing:-.01em;overflow-wrap:anywhere}
.stat span{color:var(--muted);font-size:13px}
section{padding:36px 0 8px}
h2{margin:0 0 4px;font-size:22px;letter-spacing:-.01em}
.sub{margin:0 0 18px;color:var(--muted)}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:20px}
.card{background:var(--card);border:1px solid var(--line);border-radius:16px;overflow:hidden;box-shadow:var(--shadow);
display:flex;flex-direction:column}
.thumb{display:block;position:relative;background:#767676;aspect-ratio:4/5}
.thumb img{width:100%;height:100%;object-fit:contain;display:block}
.body{padding:16px 16px 14px;display:flex;flex-direction:column;gap:8px}
.row{display:flex;align-items:flex-start;justify-content:space-between;gap:8px}
h3{margin:0;font-size:16px;line-height:1.3;min-width:0;overflow-wrap:anywhere}
.muted{color:var(--muted)} .small{font-size:13px} p{margin:0}
.badge{flex:none;font-size:11.5px;font-weight:600;padding:3px 9px;border-radius:999px;background:var(--chip);
color:var(--muted);white-space:nowrap}
.badge.over{position:absolute;top:10px;left:10px;background:rgba(255,255,255,.92)!important;
box-shadow:0 1px 3px rgba(0,0,0,.25)}
.badge.enhanced{background:rgba(47,91,234,.12);color:var(--accent)}
.badge.composite{background:rgba(201,138,11,.14);color:var(--ok)}
.badge.generated{background:rgba(208,69,59,.12);color:var(--low)}
.badge.over.enhanced{color:#2f5bea}.badge.over.composite{color:#8a5a00}.badge.over.generated{color:#b8322a}
.badge.yes{background:rgba(31,157,85,.13);color:var(--good)}
.badge.no{background:rgba(208,69,59,.12);color:var(--low)}
.score{display:flex;align-items:baseline;gap:6px;margin-top:2px}
.score .num{font-size:30px;font-weight:700;letter-spacing:-.02em}
.meter{height:6px;border-radius:99px;background:var(--chip);overflow:hidden}
.meter span{display:block;height:100%;border-radius:99px;background:var(--good)}
.meter span.ok{background:var(--ok)} .meter span.low{background:var(--low)}
ul{margin:0;padding-left:18px} li{margin:2px 0}
.notes{font-size:13.5px;color:var(--muted)}
details{border-top:1px solid var(--line);padding-top:8px;margin-top:2px}
summary{cursor:pointer;font-size:13px;font-weight:600;color:var(--muted);list-style-position:inside}
table{width:100%;border-collapse:collapse;font-size:13px;margin-top:6px}
td,th{padding:5px 6px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-weight:600;color:var(--muted)} td.n{text-align:right;font-variant-numeric:tabular-nums}
.photos{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:16px}
.photo{background:var(--card);border:1px solid var(--line);border-radius:14px;padding:16px;box-shadow:var(--shadow);
display:flex;flex-direction:column;gap:10px}
.problems li{margin:4px 0}
.sheet img{width:100%;height:auto;border-radius:14px;border:1px solid var(--line);display:block}
.skipped{background:var(--card);border:1px solid var(--line);border-radius:14px;padding:14px 18px}
pre{margin:8px 0 0;padding:14px;background:var(--chip);border-radius:10px;overflow:auto;font-size:12.5px;
line-height:1.45;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.empty{color:var(--muted);font-style:italic}
footer{margin:40px 0 0;padding:24px 0 40px;border-top:1px solid var(--line);color:var(--muted);font-size:13px}
a{color:var(--accent)}
@media print{header.hero{background:none}.card,.photo{box-shadow:none;break-inside:avoid}details{display:none}}
"""
