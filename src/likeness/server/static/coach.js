// "Take photos now": the camera in the page, directed by the Likeness server like a photographer.
// Preview frames (≤ 640 px JPEG, about four a second, one at a time) go to this server only; it answers
// with one direction, a readiness light and when to capture. A capture is a short burst at the camera's
// full resolution; the server keeps the sharpest frame and adds it to the session like an upload.
// The camera stops when the panel closes (button, Escape, or leaving the page).
"use strict";
(() => {
  const L = () => window.Likeness;
  const $ = sel => document.querySelector(sel);
  const PREVIEW_SIDE = 640, FRAME_GAP_MS = 250, BURST = 3, BURST_GAP_MS = 120;
  const LIGHT_LABEL = { red: "Not ready", amber: "Almost", green: "Ready: hold still" };
  const coach = { stream: null, running: false, facing: "user", lastText: "", captures: 0, busy: false };

  function setDirection(text, light, key = "") {
    const d = $("#coach-direction");
    d.dataset.key = key;
    if (text !== coach.lastText) { d.textContent = text; coach.lastText = text; }  // aria-live: announce changes only
    d.classList.toggle("green", light === "green");
    const l = $("#coach-light");
    l.className = `coach-light ${light || ""}`;
    l.setAttribute("aria-label", LIGHT_LABEL[light] || "Not ready");
  }

  function fallback(message) {
    $("#coach-fallback-text").textContent = message;
    $("#coach-fallback").hidden = false;
    setDirection("The camera is not available.", "red");
  }

  async function start() {
    stopTracks();
    $("#coach-fallback").hidden = true;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return fallback("This browser cannot use a camera here. Add photos you have taken instead.");
    }
    try {
      // Ask for the camera's best resolution: captures are taken at it; previews are scaled down.
      coach.stream = await navigator.mediaDevices.getUserMedia({ audio: false,
        video: { facingMode: coach.facing, width: { ideal: 4096 }, height: { ideal: 2160 } } });
    } catch (e) {
      const refused = e && (e.name === "NotAllowedError" || e.name === "SecurityError");
      return fallback(refused
        ? "Camera access was refused. Allow the camera for this page in your browser's settings, or add photos instead."
        : "No camera was found (or another app is using it). Add photos you have taken instead.");
    }
    const video = $("#coach-video");
    video.srcObject = coach.stream;
    video.classList.toggle("mirror", coach.facing === "user");
    await video.play().catch(() => {});
    navigator.mediaDevices.enumerateDevices().then(ds => {
      $("#coach-flip").hidden = ds.filter(d => d.kind === "videoinput").length < 2;
    }).catch(() => {});
    setDirection("Look into the camera…", "amber");
    coach.running = true;
    loop();
  }

  function grab(side, quality) {
    const video = $("#coach-video");
    const w = video.videoWidth, h = video.videoHeight;
    if (!w || !h) return Promise.resolve(null);
    const k = side ? Math.min(1, side / Math.max(w, h)) : 1;
    const c = document.createElement("canvas");
    c.width = Math.round(w * k); c.height = Math.round(h * k);
    c.getContext("2d").drawImage(video, 0, 0, c.width, c.height);
    return new Promise(res => c.toBlob(res, "image/jpeg", quality));
  }

  const sleep = ms => new Promise(r => setTimeout(r, ms));

  async function loop() {
    const st = L().state;
    while (coach.running) {
      const t0 = performance.now();
      const blob = await grab(PREVIEW_SIDE, 0.8);
      if (!coach.running) break;
      if (blob) {
        try {
          const look = encodeURIComponent(st.look || "corporate-grey");
          const v = $("#coach-video"), side = Math.max(v.videoWidth, v.videoHeight);  // captures are taken at this size
          const res = await L().api("POST", `/api/sessions/${st.id}/coach/frame?look=${look}&camera_side=${side}`, { raw: true, form: blob });
          const ans = await res.json();
          if (!coach.running) break;
          show(ans);
          if (ans.capture && !coach.busy) await capture();
        } catch (e) {
          setDirection(L().explain(e), "red");
          await sleep(1500);
        }
      }
      await sleep(Math.max(0, FRAME_GAP_MS - (performance.now() - t0)));
    }
  }

  function show(ans) {
    const text = ans.direction ? ans.direction.text : ans.light === "green" ? "Perfect — hold that." : "Hold on…";
    setDirection(text, ans.light, ans.direction ? ans.direction.key : ans.light);
    $("#coach-next").textContent = ans.next || "";
    L().fill($("#coach-wardrobe"), ...(ans.wardrobe || []).map(a => L().el("li", { text: a.text })));
  }

  async function capture() {
    coach.busy = true;
    const st = L().state;
    try {
      const form = new FormData();
      for (let i = 0; i < BURST; i++) {
        const b = await grab(0, 0.92);  // the camera's full resolution
        if (b) form.append("file", b, `burst-${i}.jpg`);
        if (i < BURST - 1) await sleep(BURST_GAP_MS);
      }
      setDirection("Got it! Checking the photo…", "green");
      await L().api("POST", `/api/sessions/${st.id}/coach/capture`, { form });
      coach.captures++;
      $("#coach-count").textContent = `${coach.captures} photo${coach.captures === 1 ? "" : "s"} taken`;
      L().toast("Photo added to your set.");
      L().refresh();
    } catch (e) {
      L().toast(L().explain(e), true);
    } finally {
      coach.busy = false;
    }
  }

  function stopTracks() {
    coach.running = false;
    if (coach.stream) for (const t of coach.stream.getTracks()) t.stop();
    coach.stream = null;
    const v = $("#coach-video");
    if (v) v.srcObject = null;
  }

  function close() {
    const st = L().state;
    stopTracks();
    if (st.id) L().api("DELETE", `/api/sessions/${st.id}/coach`).catch(() => {});
    const d = $("#coach");
    if (d.open) d.close();
  }

  function open() {
    const d = $("#coach");
    coach.lastText = ""; coach.captures = 0;
    $("#coach-count").textContent = "";
    d.showModal();
    $("#coach-close").focus();
    start();
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("#coach-open").addEventListener("click", open);
    $("#coach-close").addEventListener("click", close);
    $("#coach").addEventListener("close", stopTracks);  // Escape closes a modal dialog
    $("#coach").addEventListener("cancel", () => close());
    $("#coach-flip").addEventListener("click", () => { coach.facing = coach.facing === "user" ? "environment" : "user"; start(); });
    $("#coach-fallback label").addEventListener("click", () => close());
    window.addEventListener("pagehide", stopTracks);
    document.addEventListener("visibilitychange", () => { if (document.hidden && coach.stream) close(); });
  });
  window.LikenessCoach = { open, close };
})();
