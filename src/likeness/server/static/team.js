// Team admin view: create a team with a locked Look, invite members (one private link each),
// follow their status and the retake list, make everyone's headshots, download a zip or CSV.
"use strict";

(() => {
  const TEAM_KEY = "likeness.team";
  const team = { id: null, token: null, timer: null, data: null };
  const L = () => window.Likeness;
  const fill = (node, ...kids) => window.Likeness.fill(node, ...kids);

  function adopt(id, token) {
    team.id = id; team.token = token;
    localStorage.setItem(TEAM_KEY, JSON.stringify({ id, token }));
  }

  function remembered() {
    if (!team.id) {
      try { Object.assign(team, JSON.parse(localStorage.getItem(TEAM_KEY)) || {}); } catch { localStorage.removeItem(TEAM_KEY); }
    }
    return Boolean(team.id && team.token);
  }

  async function fillOptions() {
    const { $, el, pretty, loadOptions } = L();
    const o = await loadOptions();
    fill($("#team-look"), ...o.looks.map(l => el("option", { value: l.name, selected: l.name === o.default_look ? true : null }, l.title)));
    fill($("#team-frame"), ...o.frames.map(f => el("option", { value: f.name }, `${pretty(f.name)} — ${f.description}`)));
  }

  async function create(e) {
    e.preventDefault();
    const { $, api, toast, explain } = L();
    try {
      const t = await api("POST", "/api/teams", { token: null, body: { name: $("#team-name").value, look: $("#team-look").value, frame: $("#team-frame").value } });
      adopt(t.id, t.admin_token);
      openAdmin();
    } catch (err) { toast(explain(err), true); }
  }

  async function openAdmin() {
    L().show("team-admin");
    await refresh();
  }

  async function refresh() {
    const { api, toast, explain, show } = L();
    clearTimeout(team.timer);
    try { team.data = await api("GET", `/api/teams/${team.id}`, { token: team.token }); }
    catch (e) {
      if (e.status === 404 || e.status === 410) { localStorage.removeItem(TEAM_KEY); team.id = null; show("welcome"); toast("That team no longer exists.", true); return; }
      toast(explain(e), true); team.timer = setTimeout(refresh, 4000); return;
    }
    render();
    const busy = team.data.members.some(m => m.status === "working" || m.status === "uploading");
    team.timer = setTimeout(refresh, busy ? 1500 : 6000);
  }

  function render() {
    const { $, el, pretty, fmtDate, blobUrl } = L();
    const d = team.data;
    $("#team-title").textContent = d.name;
    const done = d.members.filter(m => m.status === "done").length;
    $("#team-meta").textContent = `${pretty(d.look)} Look · ${pretty(d.frame)} · ${d.members.length} member${d.members.length === 1 ? "" : "s"}, ${done} done · kept until ${fmtDate(d.expires_at)}`;
    fill($("#members"), ...d.members.map(m => {
      const mini = el("img", { class: "mini", alt: `Headshot of ${m.name || "member"}` });
      if (m.headshots) blobUrl(`/api/teams/${team.id}/members/${m.session_id}/headshot`, team.token).then(u => { mini.src = u; }).catch(() => {});
      return el("tr", {},
        el("td", { text: m.name || "—" }),
        el("td", {}, el("span", { class: `status ${m.status}`, text: pretty(m.status) })),
        el("td", { text: `${m.usable}/${m.photos}` }),
        el("td", {}, m.headshots ? mini : el("span", { class: "muted", text: "—" })),
        el("td", { text: m.likeness === null ? "—" : String(Math.round(m.likeness)) }),
        el("td", {}, el("button", { class: "btn small ghost", type: "button", onclick: () => removeMember(m) }, "Remove")));
    }));
    fill($("#retakes"), ...(d.retake.length ? d.retake.map(m => el("li", {}, el("strong", { text: `${m.name}: ` }), m.retake.join(" "))) : [el("li", { class: "muted", text: "Nobody needs a retake." })]));
    const box = $("#consistency");
    box.hidden = !d.consistency;
    if (d.consistency) {
      const c = d.consistency, sp = c.spreads || {}, out = Object.entries(c.outliers || {});
      const num = (v, f) => (v === null || v === undefined ? "—" : f(v));
      const rows = [["Eye line spread", num(sp.eye_line_std, v => `${(v * 100).toFixed(1)} % of height`)],
        ["Head size spread", num(sp.head_ratio_std, v => `${(v * 100).toFixed(1)} % of height`)],
        ["Face brightness spread", num(sp.face_exposure_std, v => `${v.toFixed(1)} L*`)],
        ["Backdrop colour, largest difference", num(sp.backdrop_delta_e_max, v => `ΔE ${v.toFixed(1)}`)]];
      fill(box, el("h3", { text: "Team look" }),
        el("p", { class: "muted small", text: `${c.members} headshots compared.` }),
        out.length ? el("ul", { class: "retakes" }, ...out.map(([name, why]) => el("li", {}, el("strong", { text: `${name}: ` }), why.join("; "))))
          : el("p", { class: "small", text: "Everyone matches the team look." }),
        el("dl", { class: "facts" }, ...rows.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })])));
    }
    $("#team-zip").disabled = !done;
  }

  async function invite(e) {
    e.preventDefault();
    const { $, el, api, toast, explain } = L();
    const names = $("#invite-names").value.split("\n").map(s => s.trim()).filter(Boolean);
    if (!names.length) { toast("Write one name per line.", true); return; }
    try {
      const inv = await api("POST", `/api/teams/${team.id}/members`, { token: team.token, body: { names } });
      $("#invite-names").value = "";
      for (const i of inv) {
        const link = location.origin + i.link;
        $("#invites").prepend(el("li", {}, el("strong", { text: i.name }), el("code", { text: link }),
          el("button", { class: "btn small", type: "button", onclick: () => navigator.clipboard.writeText(link).then(() => toast(`Link for ${i.name} copied.`), () => toast(link)) }, "Copy link")));
      }
      toast("Send each person their own link; it opens only their session.");
      refresh();
    } catch (err) { toast(explain(err), true); }
  }

  async function removeMember(m) {
    const { api, toast, explain, confirmDialog } = L();
    if (!await confirmDialog(`Remove ${m.name}?`, "Their photos, headshots and records are deleted.", "Remove")) return;
    try { await api("DELETE", `/api/teams/${team.id}/members/${m.session_id}`, { token: team.token }); } catch (e) { toast(explain(e), true); }
    refresh();
  }

  async function runAll() {
    const { api, toast, explain } = L();
    try {
      const r = await api("POST", `/api/teams/${team.id}/studio`, { token: team.token });
      toast(`${r.queued.length} headshot${r.queued.length === 1 ? "" : "s"} started${r.skipped.length ? `, ${r.skipped.length} waiting for photos` : ""}.`);
    } catch (e) { toast(explain(e), true); }
    refresh();
  }

  async function deleteTeam() {
    const { api, toast, explain, confirmDialog, show } = L();
    if (!await confirmDialog("Delete the team?", "Every member's photos, headshots and records are removed. This cannot be undone.")) return;
    try {
      await api("DELETE", `/api/teams/${team.id}`, { token: team.token });
      clearTimeout(team.timer); localStorage.removeItem(TEAM_KEY); team.id = null;
      show("welcome"); toast("The team and all its photos were deleted.");
    } catch (e) { toast(explain(e), true); }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const { $, download, toast, explain, show } = L();
    $("#team-start").addEventListener("click", async () => {
      if (remembered()) { openAdmin(); return; }
      show("team-create"); await fillOptions();
    });
    $("#team-form").addEventListener("submit", create);
    $("#invite-form").addEventListener("submit", invite);
    $("#team-run").addEventListener("click", runAll);
    $("#team-delete").addEventListener("click", deleteTeam);
    $("#team-admin-link").addEventListener("click", () => {
      const link = `${location.origin}/#team=${team.id}&admin=${team.token}`;
      navigator.clipboard.writeText(link).then(() => toast("Admin link copied. Anyone with it can manage this team."), () => toast(link));
    });
    $("#team-zip").addEventListener("click", () => download(`/api/teams/${team.id}/export.zip`, "team-headshots.zip", team.token).catch(e => toast(explain(e), true)));
    $("#team-csv").addEventListener("click", () => download(`/api/teams/${team.id}/export.csv`, "team.csv", team.token).catch(e => toast(explain(e), true)));
  });

  window.LikenessTeam = { adopt, remembered, open: openAdmin };
})();
