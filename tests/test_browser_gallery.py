"""The gallery in headless Chromium against a real `likeness serve` (issue 15): a set of
two Looks × two framings → star two → download favourites → the zip holds exactly
those; then on a phone, the same session: change the stars, download again.

Screenshots go to $LIKENESS_SCREENSHOTS (default: a pytest temp folder). Skips cleanly
where Chromium or Playwright is not installed.
"""

from __future__ import annotations

import io
import json
import os
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("uvicorn", reason="`likeness serve` needs it (pip install likeness[serve])")
pytest.importorskip("sqlalchemy", reason="`likeness serve` needs it (pip install likeness[serve])")

from likeness.server.testing import ServerProcess, astronaut, encode

from shared_eval import EVAL
from test_browser import ARGS, CHROMIUM, DESKTOP, PHONE, _top, _wait, sync_api

LOOKS = ("corporate-grey", "classic-mono")


def _photos(folder: Path) -> list[Path]:
    person = EVAL / "identities" / "human__stock_emotions_a"
    found = sorted(person.glob("*.jpg"))[:3]
    if found:
        return found
    p = folder / "astronaut.jpg"  # pragma: no cover - without the eval set
    p.write_bytes(encode(astronaut()))
    return [p]


def _session(url: str, sess: dict) -> dict:
    req = urllib.request.Request(f"{url}/api/sessions/{sess['id']}", headers={"Authorization": f"Bearer {sess['token']}"})
    with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310 - loopback only
        return json.loads(r.read())


def _expected(session: dict) -> set[str]:
    """File names of the starred headshots as the zip names them (routes_files.headshot_name)."""
    return {f"likeness-{h['look']}-{h['frame']}-{h['idx'] + 1}.jpg" for h in session["headshots"] if h["favourite"]}


def _favourites_zip(page) -> list[str]:
    with page.expect_download() as dl:
        page.click("#download-favs")
    return sorted(zipfile.ZipFile(io.BytesIO(Path(dl.value.path()).read_bytes())).namelist())


@pytest.mark.slow
def test_gallery_set_star_download_on_desktop_and_phone(tmp_path, tmp_path_factory):
    shots = Path(os.environ.get("LIKENESS_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    photos = _photos(tmp_path)
    errors: list[str] = []
    with ServerProcess(tmp_path / "home", workers=2) as server, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        desk = browser.new_context(accept_downloads=True, **DESKTOP)
        page = desk.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(server.url + "/")
        _wait(page, "#welcome:not([hidden])")
        page.click("#start")
        _wait(page, "#workspace:not([hidden])")
        page.set_input_files("#pick", [str(p) for p in photos])
        _wait(page, "#photos .photo[data-id]", count=len(photos), gone="#photos .spinner", timeout=180)
        # a set: two Looks, headshot and square
        page.check("#set")
        _wait(page, "#set-box:not([hidden]) [data-set-look]")
        for chip in page.locator("[data-set-look]").all():
            if (chip.get_attribute("data-set-look") in LOOKS) != (chip.get_attribute("aria-checked") == "true"):
                chip.click()
        assert sorted(c.get_attribute("data-set-look") for c in page.locator("[data-set-look][aria-checked='true']").all()) \
            == sorted(LOOKS)
        assert page.locator("#attire").is_disabled() and page.locator("#attire-why").inner_text().strip()
        _top(page)
        page.screenshot(path=str(shots / "gallery-desktop-1-choose.png"), full_page=True)
        page.click("#make")
        _wait(page, ".look-group", count=2, timeout=400)
        _wait(page, "#gallery .shot img[src^='blob:']", count=2, timeout=60)
        groups = [g.get_attribute("data-look") for g in page.locator(".look-group").all()]
        assert sorted(groups) == sorted(LOOKS)  # in the set's order (the page lists Looks by name)
        stars = page.locator("#gallery .star")
        assert stars.count() >= 2
        stars.nth(0).click()
        stars.nth(stars.count() - 1).click()  # one of each Look
        _wait(page, "#gallery .star[aria-pressed='true']", count=2, timeout=30)
        saved = next(i["value"] for o in desk.storage_state()["origins"] for i in o["localStorage"]
                     if i["name"] == "likeness.session")
        sess = json.loads(saved)
        want = _expected(_session(server.url, sess))
        assert len(want) == 2
        assert _favourites_zip(page) == sorted(want)
        _top(page)
        page.screenshot(path=str(shots / "gallery-desktop-2-starred.png"), full_page=True)
        # compare two side by side: pick two, the dialog shows both
        picks = page.locator("#gallery [data-compare]")
        picks.nth(0).click()
        picks.nth(picks.count() - 1).click()
        _wait(page, "#compare[open] .compare-pair img[src]", count=2, timeout=30)
        time.sleep(0.5)  # let both previews paint
        page.screenshot(path=str(shots / "gallery-desktop-3-compare.png"))
        page.click("#compare button[value=close]")
        _wait(page, "#compare:not([open])", timeout=10)
        deadline = time.monotonic() + 10  # the dialog's close event comes a moment after it closes
        while page.locator("#gallery [data-compare][aria-pressed='true']").count() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert page.locator("#gallery [data-compare][aria-pressed='true']").count() == 0

        # the same session on a phone: stars kept; unstar one, star another, download again
        phone = browser.new_context(accept_downloads=True, **PHONE)
        ph = phone.new_page()
        ph.on("pageerror", lambda e: errors.append(str(e)))
        ph.goto(f"{server.url}/#s={sess['id']}&t={sess['token']}")
        _wait(ph, "#gallery .star[aria-pressed='true']", count=2, timeout=60)
        assert ph.locator("#gallery .star").nth(1).get_attribute("aria-pressed") == "false"
        ph.locator("#gallery .star").nth(1).click()  # star another...
        _wait(ph, "#gallery .star[aria-pressed='true']", count=3, timeout=30)
        ph.locator("#gallery .star").nth(0).click()  # ...and unstar the first
        _wait(ph, "#gallery .star[aria-pressed='false']", count=ph.locator("#gallery .star").count() - 2, timeout=30)
        want2 = _expected(_session(server.url, sess))
        assert len(want2) == 2 and want2 != want
        assert _favourites_zip(ph) == sorted(want2)
        ph.screenshot(path=str(shots / "gallery-phone-1.png"))
        ph.screenshot(path=str(shots / "gallery-phone-2-full.png"), full_page=True)
        browser.close()
    assert not errors, errors
