"""New attire on the web page, in headless Chromium (issue 15): where the server says it
can generate, the option is enabled and sent with the request; the generated image
shows in the same gallery with a visible "Generated" label (words, in its accessible
name too), can be starred, and its favourites zip holds it.

The server runs in this process (uvicorn in a thread) so that availability and the
generator can be swapped: the stand-in backend returns the person's own photo through
the real generate path and review (``testing.generate_for_tests``). Screenshots go to
$LIKENESS_SCREENSHOTS (default: a pytest temp folder).
"""

from __future__ import annotations

import io
import os
import threading
import zipfile
from pathlib import Path

import pytest

uvicorn = pytest.importorskip("uvicorn", reason="`likeness serve` needs it (pip install likeness[serve])")
pytest.importorskip("sqlalchemy", reason="`likeness serve` needs it (pip install likeness[serve])")
pytest.importorskip("diffusers")

from likeness.server import create_app, testing
from likeness.server.testing import astronaut_photo, free_port, wait_until
from likeness.store import StoreSettings

from test_browser import ARGS, CHROMIUM, DESKTOP, _top, _wait, sync_api


def _available() -> dict:
    return {"available": True, "reason": ""}


@pytest.fixture()
def server(tmp_path):
    import httpx

    home = tmp_path / "home"
    home.mkdir()
    (home / testing.GENERATE_ECHO).touch()
    app = create_app(StoreSettings(home=home, workers=2), attire=_available, generate_fn=testing.generate_for_tests)
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(url + "/api/health", timeout=2).json()["models_ready"]
        except httpx.HTTPError:
            return False

    wait_until(up, timeout=120, what="the server")
    yield url
    srv.should_exit = True
    t.join(60)


@pytest.mark.slow
def test_new_attire_is_sent_and_the_generated_image_is_labelled(server, tmp_path, tmp_path_factory):
    shots = Path(os.environ.get("LIKENESS_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    photo = tmp_path / "me.jpg"
    photo.write_bytes(astronaut_photo())
    errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        desk = browser.new_context(accept_downloads=True, **DESKTOP)
        page = desk.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(server + "/")
        page.click("#start")
        _wait(page, "#workspace:not([hidden])")
        page.set_input_files("#pick", [str(photo)])
        _wait(page, "#photos .photo[data-id]", count=1, gone="#photos .spinner", timeout=180)
        assert page.locator("#attire").is_enabled() and not page.locator("#attire-why").inner_text().strip()
        page.check("#attire")
        page.click("#make")
        _wait(page, "#gallery .shot[data-generated='true'] .made-by", count=1, timeout=400)
        _wait(page, "#gallery .shot img[src^='blob:']", count=2, timeout=60)
        made = page.locator("#gallery .shot[data-generated='true']")
        assert made.locator(".made-by").inner_text().strip() == "Generated"
        assert "Generated" in made.get_attribute("aria-label")
        assert "generated" in made.locator(".star").get_attribute("aria-label")
        assert page.locator("#gallery .shot:not([data-generated]) .made-by").count() == 0
        assert "generated" in page.locator("#results-meta").inner_text()
        made.locator(".star").click()
        _wait(page, "#gallery .star[aria-pressed='true']", count=1, timeout=30)
        with page.expect_download() as dl:
            page.click("#download-favs")
        names = zipfile.ZipFile(io.BytesIO(Path(dl.value.path()).read_bytes())).namelist()
        assert len(names) == 1 and "-generated-" in names[0]
        _top(page)
        page.screenshot(path=str(shots / "attire-desktop.png"), full_page=True)
        browser.close()
    assert not errors, errors
