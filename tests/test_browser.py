"""The real page in headless Chromium against a real `likeness serve`: upload →
coaching shown → headshot shown → download → delete, on a desktop and a phone.

Screenshots go to $LIKENESS_SCREENSHOTS (default: a pytest temp folder). Skips
cleanly where Chromium or Playwright is not installed.
"""

from __future__ import annotations

import io
import os
import sqlite3
import time
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("uvicorn", reason="`likeness serve` needs it (pip install likeness[serve])")
pytest.importorskip("sqlalchemy", reason="`likeness serve` needs it (pip install likeness[serve])")

from likeness.server.testing import EVAL_SINGLE, ServerProcess, astronaut, encode

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not CHROMIUM.exists():  # pragma: no cover - depends on the machine
    pytest.skip("no /usr/bin/chromium (apt-get install chromium)", allow_module_level=True)


def _photos(folder: Path) -> list[Path]:
    """One good photo and two that need coaching, all of one person."""
    names = ["face_recognition__obama-720p.jpg", "face_recognition__obama_small.jpg", "face_recognition__obama_partial_face2.jpg"]
    if all((EVAL_SINGLE / n).exists() for n in names):
        return [EVAL_SINGLE / n for n in names]
    p = folder / "astronaut.jpg"  # pragma: no cover - without the eval set
    p.write_bytes(encode(astronaut()))
    return [p]


def _wait(page, selector: str, *, gone: str | None = None, count: int = 1, timeout: float = 240) -> None:
    """Poll with locators: Playwright's wait_for_function would need eval(), which the page's CSP forbids."""
    deadline = time.monotonic() + timeout
    while page.locator(selector).count() < count or (gone and page.locator(gone).count()):
        if time.monotonic() > deadline:
            page.screenshot(path=str(Path(os.environ.get("LIKENESS_SCREENSHOTS") or "/tmp") / "timeout.png"), full_page=True)
            raise TimeoutError(f"waiting for {selector}: {page.locator('body').inner_text()[:800]}")
        time.sleep(0.2)


def _top(page) -> None:
    """Back to the top before a full-page screenshot (the sticky bar would float mid-page)."""
    time.sleep(0.8)  # let a smooth scroll finish first
    page.mouse.wheel(0, -100_000)
    time.sleep(0.5)


@pytest.mark.slow
def test_page_upload_coach_headshot_download_delete(tmp_path, tmp_path_factory):
    shots = Path(os.environ.get("LIKENESS_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    photos = _photos(tmp_path)
    home = tmp_path / "home"
    requests_seen: list[str] = []
    with ServerProcess(home, workers=2) as server, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        desk = browser.new_context(accept_downloads=True, **DESKTOP)
        page = desk.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("request", lambda r: requests_seen.append(r.url))
        page.goto(server.url + "/")
        _wait(page, "#welcome:not([hidden])")
        page.screenshot(path=str(shots / "desktop-1-welcome.png"))

        page.click("#start")
        _wait(page, "#workspace:not([hidden])")
        page.screenshot(path=str(shots / "desktop-2-empty.png"))
        page.set_input_files("#pick", [str(p) for p in photos])
        _wait(page, "#photos .photo[data-id]", count=len(photos), gone="#photos .spinner", timeout=120)
        badges = page.locator("#photos .badge").all_inner_texts()
        tips = page.locator("#photos .tips li").all_inner_texts()
        assert len(badges) == len(photos) and any(b.strip() in ("Good", "Usable") for b in badges), badges
        if len(photos) > 1:
            assert any("Retake" in b for b in badges) and any("small" in t or "cut off" in t for t in tips), (badges, tips)
        _top(page)
        page.screenshot(path=str(shots / "desktop-3-coaching.png"), full_page=True)

        page.click("#make")
        _wait(page, "#gallery .shot img[src^='blob:']", timeout=300)
        score = page.locator("#gallery .score").first.inner_text()
        assert score.startswith("Likeness ") and int(score.split()[1]) >= 60, score
        _top(page)
        page.screenshot(path=str(shots / "desktop-4-headshots.png"), full_page=True)

        with page.expect_download() as dl:
            page.click("#download-all")
        data = Path(dl.value.path()).read_bytes()
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        assert dl.value.suggested_filename.endswith(".zip") and any(n.endswith(".jpg") for n in names), names

        # The same session on a phone, opened from an invitation-style link (token in the fragment).
        state = desk.storage_state()
        saved = next(i["value"] for o in state["origins"] for i in o["localStorage"] if i["name"] == "likeness.session")
        import json

        sess = json.loads(saved)
        phone = browser.new_context(**PHONE)
        ph = phone.new_page()
        ph.on("pageerror", lambda e: errors.append(str(e)))
        ph.goto(f"{server.url}/#s={sess['id']}&t={sess['token']}")
        _wait(ph, "#gallery .shot img[src^='blob:']", timeout=60)
        assert "#" not in ph.url  # the token left the address bar
        ph.screenshot(path=str(shots / "phone-1-session.png"))
        ph.screenshot(path=str(shots / "phone-2-session-full.png"), full_page=True)

        ph.click("#delete")
        ph.click("#confirm-ok")
        _wait(ph, "#welcome:not([hidden])", timeout=60)
        ph.screenshot(path=str(shots / "phone-3-deleted.png"))
        assert "Deleted" in ph.locator("#toast").inner_text()
        browser.close()

    assert not errors, errors
    assert all(u.startswith(server.url) or u.startswith("blob:") or u.startswith("data:") for u in requests_seen), \
        [u for u in requests_seen if not u.startswith(server.url)]
    assert not (home / "sessions" / sess["id"]).exists()
    con = sqlite3.connect(home / "likeness.db")
    assert con.execute("SELECT count(*) FROM photos").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0
    con.close()
    assert len(list(shots.glob("*.png"))) >= 6
