"""'Take photos now' in headless Chromium with a fake camera fed from a .y4m file made
from a real photo: a tilted stretch, then a good one. The page must say the tilt
first, then capture on its own, then show the photo in the session.

Screenshots go to $LIKENESS_SCREENSHOTS (default: a pytest temp folder). Skips cleanly
where Chromium, Playwright or the eval photo is missing.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip("uvicorn", reason="`likeness serve` needs it (pip install likeness[serve])")
pytest.importorskip("sqlalchemy", reason="`likeness serve` needs it (pip install likeness[serve])")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

from likeness.server.testing import EVAL_SINGLE, ServerProcess, wait_until

CHROMIUM = Path("/usr/bin/chromium")
PHOTO = EVAL_SINGLE / "face_recognition__obama-720p.jpg"
if not CHROMIUM.exists():  # pragma: no cover - depends on the machine
    pytest.skip("no /usr/bin/chromium (apt-get install chromium)", allow_module_level=True)
if not PHOTO.exists():  # pragma: no cover - without the eval set
    pytest.skip("the eval photo is missing (../shared/eval)", allow_module_level=True)

FPS, TILTED_S, GOOD_S = 5, 10, 8


def write_y4m(path: Path) -> None:
    """1280×720 frames (the photo's own size: a 720p webcam): the photo tilted 25°
    (TILTED_S seconds), then level (GOOD_S)."""
    from PIL import Image

    img = cv2.resize(np.asarray(Image.open(PHOTO).convert("RGB")), (1280, 720), interpolation=cv2.INTER_AREA)
    M = cv2.getRotationMatrix2D((640, 300), 25, 1.0)
    tilted = cv2.warpAffine(img, M, (1280, 720), borderMode=cv2.BORDER_REPLICATE)
    rng = np.random.default_rng(0)
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W1280 H720 F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for k in range(FPS * (TILTED_S + GOOD_S)):
            src = tilted if k < FPS * TILTED_S else img
            noisy = np.clip(src + rng.normal(0, 1.5, src.shape), 0, 255).astype(np.uint8)
            f.write(b"FRAME\n" + cv2.cvtColor(noisy, cv2.COLOR_RGB2YUV_I420).tobytes())


def _wait(page, fn, *, what: str, timeout: float = 60, shots: Path | None = None):
    try:
        return wait_until(fn, timeout=timeout, every=0.1, what=what)
    except TimeoutError:
        if shots:
            page.screenshot(path=str(shots / "coach-timeout.png"))
        raise TimeoutError(f"waiting for {what}: {page.locator('body').inner_text()[:600]}") from None


@pytest.mark.slow
def test_fake_camera_tilt_then_automatic_capture(tmp_path, tmp_path_factory):
    shots = Path(os.environ.get("LIKENESS_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    y4m = tmp_path / "camera.y4m"
    write_y4m(y4m)
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={y4m}"]
    requests_seen: list[str] = []
    errors: list[str] = []
    with ServerProcess(tmp_path / "home", workers=1) as server, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=args)
        ctx = browser.new_context(viewport={"width": 1100, "height": 900}, permissions=["camera"])
        page = ctx.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests_seen.append(r.url))
        page.goto(server.url + "/")
        page.click("#start")
        page.wait_for_selector("#workspace:not([hidden])")
        page.focus("#coach-open")
        page.keyboard.press("Enter")  # the keyboard opens it
        direction = page.locator("#coach-direction")
        count = page.locator("#coach-count")
        keys: list[str] = []
        timeline: list[tuple[float, str, str]] = []  # (s, direction key, photos taken)
        t0 = time.monotonic()

        def seen(key: str) -> bool:
            k, n = direction.get_attribute("data-key") or "", count.inner_text().strip()
            if k and (not keys or keys[-1] != k):
                keys.append(k)
                timeline.append((round(time.monotonic() - t0, 1), k, n))
            return k == key

        # The file loops (tilted, level, tilted, ...) from whenever the camera opened, and
        # the server's first frame waits for its models: the tilt is said in the first
        # tilted stretch analysed, and a capture follows in the level stretch after it.
        _wait(page, lambda: seen("roll"), what="the tilt direction", timeout=120, shots=shots)
        assert direction.get_attribute("aria-live") == "polite"
        taken = count.inner_text().strip()
        page.screenshot(path=str(shots / "coach-1-tilt.png"))
        _wait(page, lambda: (seen("none"), count.inner_text().strip() != taken)[1], what="an automatic capture",
              timeout=120, shots=shots)
        page.screenshot(path=str(shots / "coach-2-captured.png"))
        after = timeline[[k for _, k, _ in timeline].index("roll"):]
        assert "green" in [k for _, k, _ in after], timeline  # the level frames turned the light green first
        page.keyboard.press("Escape")  # closes the panel: the camera stops
        _wait(page, lambda: not page.locator("#coach[open]").count(), what="the panel to close")
        _wait(page, lambda: page.locator("#photos .photo[data-id]").count() >= 1 and not page.locator("#photos .spinner").count(),
              what="the photo in the session", timeout=120, shots=shots)
        page.screenshot(path=str(shots / "coach-3-session.png"), full_page=True)
        browser.close()
    assert not errors, errors
    print("timeline", timeline)
    problems_said = {k for k in keys if k not in ("green", "amber", "red", "")}
    assert problems_said == {"roll"}, timeline  # the tilt, and nothing else, was ever said
    assert all(u.startswith((server.url, "blob:", "data:")) for u in requests_seen)
