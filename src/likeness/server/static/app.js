// Likeness web page: one session — photos with live coaching → Look → headshots → download → delete.
// Talks only to this server's REST API (/openapi.json). Tokens live in localStorage and in the URL
// fragment of invitation links (a fragment is never sent to any server). Text from the server is
// always set with textContent, never parsed as HTML.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const el = (tag, attrs = {}, ...kids) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k === "style") Object.assign(node.style, v);  // CSSOM, not an inline style attribute (CSP)
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids.flat()) if (kid !== null && kid !== undefined) node.append(kid);
  return node;
};

// replaceChildren() would print "null" for a skipped child: drop those first.
const fill = (node, ...kids) => node.replaceChildren(...kids.flat().filter(k => k !== null && k !== undefined && k !== false));

const KEY = "likeness.session";
const state = {
  id: null, token: null, session: null, options: null,
  look: null, frame: null, uploads: new Map(), timer: null, blobs: new Map(), compare: new Set(),
  setLooks: null, setFrames: new Set(["headshot", "square"]),
};

// --- API ---------------------------------------------------------------------------------
class ApiError extends Error {
  constructor(status, info) { super(info.message || `The server answered ${status}.`); this.status = status; this.info = info; }
}

async function api(method, path, { body, form, token = state.token, raw = false } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (form) payload = form;
  else if (body !== undefined) { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
  let res;
  try { res = await fetch(path, { method, headers, body: payload, cache: "no-store" }); }
  catch { throw new ApiError(0, { message: "The Likeness server cannot be reached.", hint: "Is `likeness serve` still running?" }); }
  if (!res.ok) {
    let info = { message: `The server answered ${res.status}.`, hint: "" };
    try { info = (await res.json()).error || info; } catch { /* not JSON: keep the generic message */ }
    throw new ApiError(res.status, info);
  }
  if (raw) return res;
  return res.status === 204 ? null : res.json();
}

async function blobUrl(path, token = state.token) {
  if (state.blobs.has(path)) return state.blobs.get(path);
  const p = api("GET", path, { raw: true, token }).then(r => r.blob()).then(b => URL.createObjectURL(b));
  state.blobs.set(path, p);
  p.catch(() => state.blobs.delete(path));
  return p;
}

async function download(path, fallbackName, token = state.token) {
  const res = await api("GET", path, { raw: true, token });
  const cd = res.headers.get("content-disposition") || "";
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(cd);
  const url = URL.createObjectURL(await res.blob());
  const a = el("a", { href: url, download: m ? decodeURIComponent(m[1]) : fallbackName });
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30000);
}

// --- small UI helpers -----------------------------------------------------------------
let toastTimer;
function toast(message, bad = false) {
  const t = $("#toast");
  t.textContent = message; t.className = "toast" + (bad ? " bad" : ""); t.hidden = false;
  clearTimeout(toastTimer); toastTimer = setTimeout(() => { t.hidden = true; }, bad ? 7000 : 4000);
}
const explain = e => (e.info && e.info.hint ? `${e.message} ${e.info.hint}` : e.message);

function confirmDialog(title, text, ok = "Delete") {
  const d = $("#confirm");
  $("#confirm-title").textContent = title; $("#confirm-text").textContent = text; $("#confirm-ok").textContent = ok;
  return new Promise(resolve => {
    d.addEventListener("close", () => resolve(d.returnValue === "ok"), { once: true });
    d.showModal();
  });
}

function show(view) {
  for (const id of ["welcome", "workspace", "team-create", "team-admin"]) $("#" + id).hidden = id !== view;
  window.scrollTo({ top: 0 });
}

const pretty = s => (s || "").replace(/[-_]/g, " ").replace(/^\w/, c => c.toUpperCase());
const FRAME_LABELS = { headshot: "Headshot 4:5", square: "Square", "chest-up": "Chest up", "actor-8x10": "Actor 8×10",
  "id-35x45": "ID 35×45 mm", "us-2x2": "US passport 2×2" };
const frameLabel = name => FRAME_LABELS[name] || pretty(name);
const fmtDate = t => new Date(t * 1000).toLocaleDateString(undefined, { weekday: "short", day: "numeric", month: "long" });

// --- session lifecycle ------------------------------------------------------------------
function remember() { localStorage.setItem(KEY, JSON.stringify({ id: state.id, token: state.token })); }
function forgetLocal() {
  localStorage.removeItem(KEY);
  for (const p of state.blobs.values()) p.then(u => URL.revokeObjectURL(u)).catch(() => {});
  Object.assign(state, { id: null, token: null, session: null, uploads: new Map(), blobs: new Map(), compare: new Set() });
  fill($("#photos")); fill($("#gallery")); delete $("#gallery").dataset.key; cards.clear();
}

async function startSession() {
  try {
    const s = await api("POST", "/api/sessions", { token: null });
    state.id = s.id; state.token = s.token; remember();
    await openSession();
  } catch (e) { toast(explain(e), true); }
}

async function openSession() {
  show("workspace");
  await loadOptions();
  await refresh();
}

async function loadOptions() {
  if (!state.options) state.options = await api("GET", "/api/options", { token: null });
  return state.options;
}

async function refresh() {
  clearTimeout(state.timer);
  try {
    state.session = await api("GET", `/api/sessions/${state.id}`);
  } catch (e) {
    if (e.status === 404 || e.status === 410 || e.status === 401) { forgetLocal(); show("welcome"); toast("That session no longer exists (deleted or expired).", true); return; }
    toast(explain(e), true);
    state.timer = setTimeout(refresh, 3000);
    return;
  }
  render();
  if (pendingFiles.length) addFiles(pendingFiles.splice(0));
  if (busy()) state.timer = setTimeout(refresh, 800);
}

function busy() {
  const s = state.session;
  return state.uploads.size > 0 || s.photos.some(p => p.state === "checking") || s.jobs.some(j => j.state === "queued" || j.state === "running");
}

// --- uploads ------------------------------------------------------------------------------
let uploadSeq = 0;
const pendingFiles = [];
const cards = new Map();  // photo id or upload key → { sig, node }
const queue = [];
let active = 0;

function addFiles(files) {
  const list = [...files];
  if (!list.length) return;
  if (!state.session) { pendingFiles.push(...list); return; }  // chosen before the session loaded
  const room = state.session.limits.max_photos - state.session.photos.length - state.uploads.size;
  if (list.length > room) toast(`A session holds ${state.session.limits.max_photos} photos; only the first ${Math.max(room, 0)} were added.`, true);
  for (const file of list.slice(0, Math.max(room, 0))) {
    const key = `u${++uploadSeq}`;
    const local = { key, file, name: file.name || "photo", status: "uploading", url: URL.createObjectURL(file) };
    if (file.size > state.session.limits.max_upload_bytes) {
      Object.assign(local, { status: "failed", error: { message: `${local.name} is larger than ${Math.round(state.session.limits.max_upload_bytes / 2 ** 20)} MB.`, hint: "Export it as a JPEG of normal size." } });
    } else queue.push(local);
    state.uploads.set(key, local);
  }
  renderPhotos(); pump();
}

function pump() {
  while (active < 3 && queue.length) {
    const u = queue.shift(); active++;
    const form = new FormData(); form.append("file", u.file, u.name);
    api("POST", `/api/sessions/${state.id}/photos`, { form })
      .then(() => { URL.revokeObjectURL(u.url); state.uploads.delete(u.key); })
      .catch(e => { u.status = "failed"; u.error = e.info || { message: e.message }; })
      .finally(() => { active--; pump(); refresh(); });
  }
}

function setupDrop() {
  const drop = $("#drop");
  drop.addEventListener("click", e => { if (!e.target.closest("label")) $("#pick").click(); });
  drop.addEventListener("keydown", e => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); $("#pick").click(); } });
  for (const ev of ["dragenter", "dragover"]) drop.addEventListener(ev, e => { e.preventDefault(); drop.classList.add("over"); });
  for (const ev of ["dragleave", "drop"]) drop.addEventListener(ev, () => drop.classList.remove("over"));
  drop.addEventListener("drop", e => { e.preventDefault(); addFiles(e.dataTransfer.files); });
  // Dropping a photo anywhere on the page should not navigate away from it.
  window.addEventListener("dragover", e => e.preventDefault());
  window.addEventListener("drop", e => { e.preventDefault(); if (!$("#workspace").hidden) addFiles(e.dataTransfer.files); });
  for (const id of ["#pick", "#camera"]) $(id).addEventListener("change", e => { addFiles(e.target.files); e.target.value = ""; });
}

// --- rendering: photos ---------------------------------------------------------------------
function photoStatus(p, setInfo) {
  if (p.state === "checking") return { cls: "", label: "Checking…", spin: true };
  if (p.state === "failed" || (p.check && p.check.error && !p.usable)) return { cls: "bad", label: "Can't use" };
  if (setInfo && setInfo.other_person) return { cls: "bad", label: "Someone else?" };
  if (!p.usable) return { cls: "bad", label: "Retake" };
  const tips = (p.check && p.check.problems) || [];
  return tips.length ? { cls: "warn", label: "Usable" } : { cls: "good", label: "Good" };
}

function photoCard(p, setInfo) {
  const st = photoStatus(p, setInfo);
  const img = el("img", { alt: p.name, loading: "lazy" });
  blobUrl(`/api/sessions/${state.id}/photos/${p.id}/preview`).then(u => { img.src = u; }).catch(() => {});
  const tips = el("ul", { class: "tips" });
  const check = p.check || {};
  const problems = [...(check.problems || [])];
  if (check.error && check.error.message) problems.unshift(check.error.message);
  if (setInfo && setInfo.other_person) problems.unshift("This looks like a different person from your other photos.");
  for (const t of [...new Set(problems)].slice(0, 3)) tips.append(el("li", { text: t }));
  if (p.state === "checked" && !problems.length) tips.append(el("li", { class: "ok", text: "Sharp, well lit, face clearly visible." }));
  let measures = null;
  if (check.measures && check.measures.length) {
    measures = el("details", { class: "measures" }, el("summary", { text: "Measures" }),
      ...check.measures.map(m => el("div", { class: "meter" + (m.ok ? "" : " fail") },
        el("span", { text: pretty(m.name) }), el("i", {}, el("b", { style: { width: `${Math.max(2, Math.min(100, m.score || 0))}%` } })))));
  }
  return el("li", { class: `photo ${st.cls}`, "data-id": p.id },
    el("div", { class: "thumb" }, img,
      el("span", { class: `badge ${st.cls}` }, st.spin ? el("span", { class: "spinner" }) : el("span", { class: "dot" }), st.label),
      el("button", { class: "remove", type: "button", title: "Remove this photo", "aria-label": `Remove ${p.name}`, onclick: () => removePhoto(p) }, "×")),
    el("div", { class: "body" }, el("div", { class: "name", text: p.name, title: p.name }), tips, measures));
}

function uploadCard(u) {
  const failed = u.status === "failed";
  const img = el("img", { alt: u.name, src: u.url, onerror: e => { e.target.remove(); } });
  return el("li", { class: `photo ${failed ? "bad" : ""}`, "data-key": u.key },
    el("div", { class: "thumb" }, img,
      el("span", { class: `badge ${failed ? "bad" : ""}` }, failed ? el("span", { class: "dot" }) : el("span", { class: "spinner" }), failed ? "Can't use" : "Uploading…"),
      failed ? el("button", { class: "remove", type: "button", "aria-label": `Dismiss ${u.name}`, onclick: () => { URL.revokeObjectURL(u.url); state.uploads.delete(u.key); renderPhotos(); } }, "×") : null),
    el("div", { class: "body" }, el("div", { class: "name", text: u.name }),
      failed ? el("ul", { class: "tips" }, el("li", { text: u.error.message }), u.error.hint ? el("li", { class: "hint", text: u.error.hint }) : null) : null));
}

async function removePhoto(p) {
  try { await api("DELETE", `/api/sessions/${state.id}/photos/${p.id}`); state.blobs.delete(`/api/sessions/${state.id}/photos/${p.id}/preview`); }
  catch (e) { toast(explain(e), true); }
  refresh();
}

function currentSetCheck(s) {
  const sc = s.set_check;
  if (!sc) return null;
  const ids = s.photos.filter(p => p.state === "checked").map(p => p.id).sort().join();
  return (sc.photo_ids || []).slice().sort().join() === ids ? sc : null;
}

function renderPhotos() {
  const s = state.session;
  if (!s) return;
  const sc = currentSetCheck(s);
  const list = $("#photos");
  // Rebuild a card only when what it shows changed: polling must not make images flash.
  const keep = new Set();
  const node = (key, sig, make) => {
    keep.add(key);
    const c = cards.get(key);
    if (c && c.sig === sig) return c.node;
    const fresh = { sig, node: make() };
    cards.set(key, fresh);
    return fresh.node;
  };
  const nodes = [
    ...s.photos.map(p => { const si = sc && sc.photos[p.id]; return node(p.id, JSON.stringify([p.state, p.usable, p.check, si]), () => photoCard(p, si)); }),
    ...[...state.uploads.values()].map(u => node(u.key, u.status, () => uploadCard(u))),
  ];
  for (const k of [...cards.keys()]) if (!keep.has(k)) cards.delete(k);
  if (nodes.length !== list.children.length || nodes.some((n, i) => list.children[i] !== n)) fill(list, ...nodes);
  const n = s.photos.length, good = s.photos.filter(p => p.usable).length;
  $("#photo-count").textContent = n ? `${good} of ${n} usable` : "No photos yet";
  $("#drop").classList.toggle("compact", n + state.uploads.size > 0);
  const box = $("#set-summary");
  const checking = s.photos.some(p => p.state === "checking");
  if (sc && !checking) {
    const cls = sc.verdict === "ready" ? "good" : sc.verdict === "usable" ? "warn" : "bad";
    const title = { ready: "Your photos are ready", usable: "Good enough — a few tips", not_enough: "Not enough yet" }[sc.verdict] || "Your photos";
    box.className = `summary ${cls}`;
    fill(box, el("strong", { text: title }), el("span", { text: sc.summary }),
      sc.advice && sc.advice.length ? el("ul", {}, ...sc.advice.slice(0, 4).map(a => el("li", { text: a }))) : null);
    box.hidden = false;
  } else if (n === 1 && !checking && s.photos[0].usable) {
    box.className = "summary"; fill(box, el("strong", { text: "Nice start" }), el("span", { text: "Add two or more photos from other days: the headshot is picked from the best one, and likeness is measured against all of them." }));
    box.hidden = false;
  } else box.hidden = true;
}

// --- rendering: style -----------------------------------------------------------------------
function renderStyle() {
  const s = state.session, o = state.options;
  const team = s.team;
  state.look = team ? team.look : state.look || o.default_look;
  const lookFrame = (o.looks.find(l => l.name === state.look) || {}).frame;
  // The framing follows the Look until the person picks one themselves.
  state.frame = team ? team.frame : state.frameChosen ? state.frame : lookFrame || o.default_frame;
  const looks = team ? o.looks.filter(l => l.name === team.look) : o.looks;
  fill($("#looks"), ...looks.map(l => {
    const sw = el("div", { class: "swatch" });
    sw.style.background = l.swatch ? `radial-gradient(circle at 50% 30%, ${l.swatch}, ${l.swatch2 || l.swatch})` : "#9aa0a6";
    return el("button", { type: "button", class: "look", role: "radio", "aria-checked": String(l.name === state.look), disabled: team ? true : null,
      "data-look": l.name, onclick: () => { state.look = l.name; renderStyle(); } },
      sw, el("span", { class: "t", text: l.title }), el("span", { class: "d", text: l.description }));
  }));
  const frames = team ? o.frames.filter(f => f.name === team.frame) : o.frames;
  fill($("#frames"), ...frames.map(f => el("button", { type: "button", class: "chip", role: "radio",
    "aria-checked": String(f.name === state.frame), title: f.description, "data-frame": f.name,
    onclick: () => { if (!team) { state.frame = f.name; state.frameChosen = true; renderStyle(); } } }, frameLabel(f.name))));
  const chosen = o.looks.find(l => l.name === state.look);
  $("#look-desc").textContent = chosen ? chosen.description : "";
  renderSetChoice(team);
  const usable = s.photos.filter(p => p.usable).length;
  const running = s.jobs.some(j => j.kind === "studio" && (j.state === "queued" || j.state === "running"));
  const make = $("#make");
  make.disabled = running || !s.photos.length || (usable === 0 && !s.photos.some(p => p.state === "checking"));
  make.textContent = running ? "Making your headshots…" : s.headshots.length ? "Make them again" : "Make my headshots";
  $("#make-hint").textContent = !s.photos.length ? "Add a photo to start." : running ? "This takes a little while; you can keep adding photos."
    : usable && !team && $("#set").checked && state.setLooks ? `A set: ${state.setLooks.size} Look${state.setLooks.size === 1 ? "" : "s"} × ${state.setFrames.size} framing${state.setFrames.size === 1 ? "" : "s"} from your best photos that differ in pose or expression.`
    : usable ? `Made from your best photo${$("#all").checked ? "s" : ""} in the ${pretty(state.look)} Look.` : s.photos.some(p => p.state === "checking") ? "Checking your photos…" : "None of the photos is usable yet: see the tips.";
  $("#s1").className = usable ? "done" : "active";
  $("#s2").className = usable ? (s.headshots.length ? "done" : "active") : "";
  $("#s3").className = s.headshots.length ? "done" : running ? "active" : "";
}

// A set: every ticked Look × every ticked framing, from the best two photos that differ.
function renderSetChoice(team) {
  const o = state.options;
  $("#set-row").hidden = !!team;
  const on = !team && $("#set").checked;
  $("#set-box").hidden = !on;
  if (!state.setLooks) state.setLooks = new Set(o.looks.map(l => l.name));
  const tick = (set, name) => () => { if (set.has(name)) { if (set.size > 1) set.delete(name); } else set.add(name); renderStyle(); };
  fill($("#set-looks"), ...o.looks.map(l => el("button", { type: "button", class: "chip", role: "checkbox",
    "aria-checked": String(state.setLooks.has(l.name)), "data-set-look": l.name, onclick: tick(state.setLooks, l.name) }, l.title)));
  fill($("#set-frames"), ...o.frames.filter(f => ["headshot", "square", "chest-up", "actor-8x10"].includes(f.name)).map(f =>
    el("button", { type: "button", class: "chip", role: "checkbox", "aria-checked": String(state.setFrames.has(f.name)),
      "data-set-frame": f.name, onclick: tick(state.setFrames, f.name) }, frameLabel(f.name))));
  const attire = o.attire || { available: false, reason: "" };
  $("#attire-row").hidden = !!team;  // a team keeps one Look: no new attire there
  $("#attire").disabled = !attire.available;
  if (!attire.available) $("#attire").checked = false;
  $("#attire-why").textContent = attire.available ? "" : attire.reason;
  $("#attire-why").hidden = !!team;
}

async function makeHeadshots() {
  const s = state.session;
  const body = { all: $("#all").checked };
  if (!s.team) { body.look = state.look; body.frame = state.frame; }
  if (!s.team && $("#set").checked) { body.looks = [...state.setLooks]; body.frames = [...state.setFrames]; }
  if (!s.team && $("#attire").checked && !$("#attire").disabled) body.attire = true;  // generated, labelled as such
  try { await api("POST", `/api/sessions/${state.id}/studio`, { body }); }
  catch (e) { toast(explain(e), true); }
  await refresh();
  $("#step-results").scrollIntoView({ behavior: "smooth", block: "start" });
}

// --- rendering: results ----------------------------------------------------------------------
function renderResults() {
  const s = state.session;
  const studio = s.jobs.filter(j => j.kind === "studio");
  const sec = $("#step-results");
  sec.hidden = !studio.length;
  if (!studio.length) return;
  const last = studio[studio.length - 1];
  const lastDone = [...studio].reverse().find(j => j.state === "done");
  const prog = $("#progress");
  const working = last.state === "queued" || last.state === "running";
  prog.hidden = !working;
  if (working) {
    const bar = $(".bar", prog), pct = last.total ? Math.round(100 * last.done / last.total) : 0;
    bar.classList.toggle("indeterminate", !last.total);
    $("span", bar).style.width = last.total ? `${pct}%` : "";
    $(".label", prog).textContent = last.state === "queued" ? "Waiting for the studio…" : last.total ? `Making your headshots… ${pct}%` : "Making your headshots…";
  }
  $("#cancel-run").dataset.job = working ? last.id : "";
  const err = $("#run-error");
  err.hidden = last.state !== "failed" && last.state !== "cancelled";
  if (last.state === "failed") fill(err, el("strong", { text: "No headshot this time" }), el("span", { text: `${(last.error || {}).message || ""} ${(last.error || {}).hint || ""}` }));
  if (last.state === "cancelled") fill(err, el("strong", { text: "Stopped" }), el("span", { text: " at your request. Your photos are still here: make your headshots again when you are ready." }));
  const shots = lastDone ? s.headshots.filter(h => h.job_id === lastDone.id) : [];
  $("#download-all").disabled = !shots.length;
  $("#report-html").disabled = !(lastDone && lastDone.result && lastDone.result.report_html);
  const isSet = !!(lastDone && isGallery(lastDone));
  const groups = [...new Set(shots.map(h => h.look))];
  const made = shots.filter(h => h.generated).length;
  // A gallery from one Look (a single headshot with new attire) is not "a set".
  $("#results-meta").textContent = (!lastDone ? "" : isSet && lastDone.payload.looks
    ? `A set of ${shots.length} headshot${shots.length === 1 ? "" : "s"} in ${groups.length} Look${groups.length === 1 ? "" : "s"} · star your favourites`
    : `${shots.length} headshot${shots.length === 1 ? "" : "s"} · ${pretty(lastDone.payload.look)} · ${frameLabel(lastDone.payload.frame)}${isSet ? " · star your favourites" : ""}`)
    + (made ? ` · ${made} generated (new attire)` : "");
  const favs = $("#download-favs");
  favs.hidden = !isSet;
  favs.disabled = !shots.some(h => h.favourite);
  const gallery = $("#gallery");
  const key = shots.map(h => h.id).join();
  if (gallery.dataset.key !== key) {
    gallery.dataset.key = key;
    gallery.classList.toggle("one", shots.length === 1 && !isSet);
    gallery.classList.toggle("grouped", isSet);
    if (isSet) {  // one group per Look, in the set's order
      fill(gallery, ...groups.map(look => el("section", { class: "look-group", "data-look": look },
        el("h3", { text: pretty(look) }), el("div", { class: "gallery" }, ...shots.filter(h => h.look === look).map(shotCard)))));
    } else {
      fill(gallery, ...shots.map(shotCard), shots.length === 1 ? detailPanel(shots[0], lastDone) : null);
    }
  }
  renderReport(lastDone, shots);
}

// A set, or a run with new attire: stars, compare and the favourites zip.
const isGallery = job => !!(job.payload && (job.payload.looks || job.payload.attire_looks));
const shotName = h => `${h.generated ? "Generated headshot" : "Headshot"} ${h.idx + 1}, ${pretty(h.look)}`;
const shotLabel = h => `${pretty(h.look)}, ${frameLabel(h.frame)}${h.generated ? ", generated" : ""}`;

function scoreClass(v) { return v === null || v === undefined ? "" : v >= 80 ? "good" : "warn"; }

function shotCard(h) {
  const img = el("img", { alt: shotName(h) });
  blobUrl(`/api/sessions/${state.id}/headshots/${h.id}?preview=true`).then(u => { img.src = u; }).catch(() => {});
  const card = el("article", { class: "shot" + (h.generated ? " generated" : ""), "data-id": h.id, "data-generated": h.generated ? "true" : null,
    "aria-label": shotName(h) });
  const frame = el("div", { class: "frame" }, img);
  // Labelled in words, not colour: an image model made this one (its file's metadata says so too).
  if (h.generated) frame.append(el("span", { class: "made-by", title: SOURCE_TYPES[(h.info || {}).source_type] || "Generated by an image model", text: "Generated" }));
  if (h.likeness !== null && h.likeness !== undefined) frame.append(el("span", { class: `score ${scoreClass(h.likeness)}`, title: "How much it still looks like you (0–100), measured", text: `Likeness ${Math.round(h.likeness)}` }));
  let toggle = null;
  if (h.source_photo && state.session.photos.some(p => p.id === h.source_photo)) {
    const before = el("img", { class: "before", alt: "Your original photo" });
    blobUrl(`/api/sessions/${state.id}/photos/${h.source_photo}/preview`).then(u => { before.src = u; }).catch(() => {});
    frame.append(before);
    const set = b => { card.classList.toggle("show-before", b); a.setAttribute("aria-pressed", String(!b)); bb.setAttribute("aria-pressed", String(b)); };
    const a = el("button", { type: "button", "aria-pressed": "true", onclick: () => set(false) }, "After");
    const bb = el("button", { type: "button", "aria-pressed": "false", onclick: () => set(true) }, "Before");
    toggle = el("div", { class: "toggle", role: "group", "aria-label": "Compare" }, a, bb);
  }
  const notes = (h.info && h.info.notes) || [];
  const single = state.session.headshots.filter(x => x.job_id === h.job_id).length === 1;
  const job = state.session.jobs.find(j => j.id === h.job_id);
  const star = job && isGallery(job) ? starButton(h) : null;
  const pick = star ? compareButton(h) : null;
  fill(card, frame, el("div", { class: "meta" },
    el("div", { class: "row wrap" }, star, pick, toggle, single ? null : el("button", { type: "button", class: "btn small", style: { marginLeft: "auto" },
      onclick: () => download(`/api/sessions/${state.id}/headshots/${h.id}`, `headshot-${h.idx + 1}.jpg`).catch(e => toast(explain(e), true)) }, "Download")),
    !single
      ? el("p", { text: `${h.width}×${h.height} px · ${frameLabel(h.frame)}${notes.length ? " · " + notes.join("; ") : ""}` }) : null));
  return card;
}

// Compare two images of a set side by side: pick two, the dialog opens with both.
function compareButton(h) {
  const b = el("button", { type: "button", class: "btn small pick", "aria-pressed": String(state.compare.has(h.id)),
    "data-compare": h.id, "aria-label": `Compare: ${shotLabel(h)}` }, "Compare");
  b.addEventListener("click", () => {
    if (state.compare.has(h.id)) state.compare.delete(h.id);
    else {
      state.compare.add(h.id);
      if (state.compare.size > 2) state.compare.delete(state.compare.values().next().value);  // the oldest pick goes
    }
    document.querySelectorAll("[data-compare]").forEach(x => x.setAttribute("aria-pressed", String(state.compare.has(x.dataset.compare))));
    if (state.compare.size === 2) openCompare([...state.compare]);
  });
  return b;
}

function openCompare(ids) {
  const shots = ids.map(id => state.session.headshots.find(x => x.id === id)).filter(Boolean);
  if (shots.length !== 2) return;
  fill($("#compare-pair"), ...shots.map(h => {
    const img = el("img", { alt: `${shotName(h)}, ${frameLabel(h.frame)}` });
    blobUrl(`/api/sessions/${state.id}/headshots/${h.id}?preview=true`).then(u => { img.src = u; }).catch(() => {});
    const like = h.likeness === null || h.likeness === undefined ? "" : ` · likeness ${Math.round(h.likeness)}`;
    return el("figure", {}, img, el("figcaption", { text: `${pretty(h.look)} · ${frameLabel(h.frame)}${h.generated ? " · Generated" : ""}${like}` }));
  }));
  const d = $("#compare");
  d.addEventListener("close", () => {
    state.compare.clear();
    document.querySelectorAll("[data-compare]").forEach(x => x.setAttribute("aria-pressed", "false"));
  }, { once: true });
  d.showModal();
}

// A star per image of a set: kept by the server (session and report.json).
function starButton(h) {
  const b = el("button", { type: "button", class: "star", "aria-pressed": String(!!h.favourite), "data-star": h.id,
    title: "Keep among your favourites", "aria-label": `Favourite: ${shotLabel(h)}` }, "★");
  b.addEventListener("click", async () => {
    const want = b.getAttribute("aria-pressed") !== "true";
    try {
      const out = await api("PUT", `/api/sessions/${state.id}/headshots/${h.id}/favourite`, { body: { favourite: want } });
      b.setAttribute("aria-pressed", String(out.favourite));
      const mine = state.session.headshots.find(x => x.id === h.id);
      if (mine) mine.favourite = out.favourite;
      $("#download-favs").disabled = !state.session.headshots.some(x => x.job_id === h.job_id && x.favourite);
    } catch (e) { toast(explain(e), true); }
  });
  return b;
}

const SOURCE_TYPES = {
  algorithmicallyEnhanced: "Your own photo, relit and retouched (no face pixels generated)",
  compositeWithTrainedAlgorithmicMedia: "Your face, new clothes and backdrop painted around it",
  trainedAlgorithmicMedia: "Generated by an image model",
};
const pct = v => `${Math.round(v * 100)} %`;
const FACTS = {
  head_share: ["Head size", pct], eye_line: ["Eye line from top", pct], enlarged: ["Enlarged", v => `${Math.round(v * 10) / 10}×`],
  uniformity_before: ["Light evenness before", v => `${Math.round(v * 100)}`], uniformity_after: ["Light evenness after", v => `${Math.round(v * 100)}`],
};

function detailPanel(h, job) {
  const info = h.info || {};
  const m = info.measures || {};
  const facts = el("dl", { class: "facts" });
  const add = (k, v) => facts.append(el("dt", { text: k }), el("dd", { text: v }));
  add("Look", pretty(h.look)); add("Framing", frameLabel(h.frame)); add("Size", `${h.width} × ${h.height} px`);
  for (const [key, [label, fmt]] of Object.entries(FACTS)) if (typeof m[key] === "number") add(label, fmt(m[key]));
  if (info.identity_distance !== null && info.identity_distance !== undefined) add("Identity distance", String(info.identity_distance));
  const like = h.likeness === null || h.likeness === undefined ? null : Math.round(h.likeness);
  return el("div", { class: "detail" },
    el("div", {}, el("p", { class: "eyebrow", text: "Measured likeness" }),
      el("div", { class: "big-score" }, el("b", { class: scoreClass(h.likeness), text: like === null ? "–" : String(like) }), el("span", { text: "/ 100" })),
      el("p", { class: "muted small", text: like === null ? "The face could not be measured again in the result: check it by eye."
        : like >= 80 ? "Clearly you: the face in the headshot matches the face in your photo." : "Some drift from your photo: compare Before and After." })),
    el("p", { class: "small", text: SOURCE_TYPES[info.source_type] || info.source_type || "" }),
    ...((info.notes || []).map(n => el("div", { class: "note", text: n }))),
    facts,
    el("div", { class: "row wrap" },
      el("button", { type: "button", class: "btn primary", onclick: () => download(`/api/sessions/${state.id}/headshots/${h.id}`, `headshot-${h.idx + 1}.jpg`).catch(e => toast(explain(e), true)) }, "Download JPEG"),
      job && job.result && job.result.contact_sheet ? el("button", { type: "button", class: "btn ghost",
        onclick: () => download(`/api/sessions/${state.id}/jobs/${job.id}/contact-sheet`, "contact-sheet.jpg").catch(e => toast(explain(e), true)) }, "Contact sheet") : null));
}

function renderReport(job, shots) {
  const box = $("#report");
  box.hidden = !job;
  if (!job) return;
  const rows = shots.map(h => {
    const m = (h.info && h.info.measures) || {};
    const txt = Object.entries(m).slice(0, 8).map(([k, v]) => `${pretty(k)} ${typeof v === "number" ? Math.round(v * 100) / 100 : v}`).join(" · ");
    return el("tr", {}, el("td", { text: `#${h.idx + 1}${h.generated ? " (generated)" : ""}` }), el("td", { text: h.likeness === null ? "–" : String(Math.round(h.likeness)) }),
      el("td", { text: (h.info && h.info.source_type) || "" }), el("td", { text: txt || "–" }));
  });
  const gen = (job.result && job.result.generated) || null;
  const skipped = [
    ...((job.result && job.result.skipped) || []).map(sk => el("li", { text: sk.reason })),
    // Generated images the review refused, each with its reasons (never shown as results).
    ...((gen && gen.rejected) || []).map(r => el("li", { text: `Generated, ${pretty(r.look)}: ${(r.reasons || []).join("; ")}` })),
    gen && gen.error ? el("li", { text: `New attire: ${gen.error.message || ""} ${gen.error.hint || ""}` }) : null,
  ].filter(Boolean);
  fill($("#report-body"),
    el("p", { class: "muted small", text: gen
      ? "Studio headshots are made from your own photo (the face pixels are yours) and labelled as algorithmically enhanced; those marked Generated were painted by an image model from your photos, checked by the same review and labelled as generated. Likeness compares the face identity before and after."
      : "Every headshot is made from your own photo (the face pixels are yours) and labelled as algorithmically enhanced. Likeness compares the face identity before and after." }),
    el("table", {}, el("thead", {}, el("tr", {}, el("th", { text: "Headshot" }), el("th", { text: "Likeness" }), el("th", { text: "Made as" }), el("th", { text: "Review" }))), el("tbody", {}, ...rows)),
    skipped.length ? el("div", {}, el("h3", { text: "Not made" }), el("ul", {}, ...skipped)) : null);
}

function renderData() {
  const s = state.session;
  $("#retention").textContent = `Your ${s.photos.length} photo${s.photos.length === 1 ? "" : "s"} and headshots are stored only on this computer and deleted automatically on ${fmtDate(s.expires_at)}.`;
  const banner = $("#team-banner");
  banner.hidden = !s.team;
  if (s.team) banner.textContent = `${s.label ? s.label + " · " : ""}${s.team.name}: your team uses the ${pretty(s.team.look)} Look.`;
}

function render() { renderPhotos(); renderStyle(); renderResults(); renderData(); }

async function deleteAll() {
  const ok = await confirmDialog("Delete my photos?", "Every photo, headshot and record of this session is removed from this computer. This cannot be undone.");
  if (!ok) return;
  try {
    await api("DELETE", `/api/sessions/${state.id}`);
    clearTimeout(state.timer); forgetLocal(); show("welcome");
    toast("Deleted: your photos, headshots and records are gone from this computer.");
  } catch (e) { toast(explain(e), true); }
}

// --- start -----------------------------------------------------------------------------------
function readFragment() {
  // Invitation links carry "#s=<session>&t=<token>", team admin links "#team=<id>&admin=<token>".
  const f = new URLSearchParams(location.hash.slice(1));
  let kind = null;
  if (f.get("s") && f.get("t")) { state.id = f.get("s"); state.token = f.get("t"); remember(); kind = "session"; }
  else if (f.get("team") && f.get("admin")) { window.LikenessTeam.adopt(f.get("team"), f.get("admin")); kind = "team"; }
  if (location.hash) history.replaceState(null, "", location.pathname);  // keep tokens out of the address bar
  return kind;
}

async function boot() {
  setupDrop();
  $("#start").addEventListener("click", startSession);
  $("#make").addEventListener("click", makeHeadshots);
  $("#all").addEventListener("change", renderStyle);
  $("#delete").addEventListener("click", deleteAll);
  $("#download-all").addEventListener("click", () => download(`/api/sessions/${state.id}/download.zip`, "likeness-headshots.zip").catch(e => toast(explain(e), true)));
  $("#cancel-run").addEventListener("click", async e => {
    const job = e.currentTarget.dataset.job;
    if (!job) return;
    e.currentTarget.disabled = true;
    try { await api("DELETE", `/api/sessions/${state.id}/jobs/${job}`); toast("Stopped."); }
    catch (err) { toast(explain(err), true); }
    finally { e.currentTarget.disabled = false; await refresh(); }
  });
  $("#download-favs").addEventListener("click", () => {
    const done = state.session.jobs.filter(j => j.kind === "studio" && j.state === "done").pop();
    download(`/api/sessions/${state.id}/favourites.zip${done ? `?job_id=${done.id}` : ""}`, "likeness-favourites.zip").catch(e => toast(explain(e), true));
  });
  $("#set").addEventListener("change", renderStyle);
  $("#report-html").addEventListener("click", () => {
    const done = state.session.jobs.filter(j => j.kind === "studio" && j.state === "done").pop();
    if (done) download(`/api/sessions/${state.id}/jobs/${done.id}/report.html`, "likeness-report.html").catch(e => toast(explain(e), true));
  });
  for (const b of document.querySelectorAll("[data-nav]")) b.addEventListener("click", () => show(b.dataset.nav));
  const kind = readFragment();
  if (kind === "team") return window.LikenessTeam.open();
  if (!state.id) {
    try { Object.assign(state, JSON.parse(localStorage.getItem(KEY)) || {}); } catch { localStorage.removeItem(KEY); }
  }
  if (state.id && state.token) return openSession();
  if (window.LikenessTeam.remembered()) return window.LikenessTeam.open();
  show("welcome");
  loadOptions().then(o => {
    const d = o.retention_days;
    $("#retention-note").textContent = `Delete everything with one click; kept ${d >= 1 ? `${Math.round(d)} day${Math.round(d) === 1 ? "" : "s"}` : "less than a day"} at most.`;
  }).catch(() => {});
}

window.Likeness = { refresh, fill, frameLabel, api, download, blobUrl, toast, explain, el, $, show, confirmDialog, pretty, fmtDate, loadOptions, state };
document.addEventListener("DOMContentLoaded", boot);
