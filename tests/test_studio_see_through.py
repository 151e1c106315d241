"""The old background seen through the subject (a gap in the hair, a wall's letter cut
by a shoulder) is taken out of the studio's matte; hair, skin and earrings stay."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from shared_eval import need

from likeness.studio.see_through import drop_see_through, see_through_mask


def _hair_over_wall(seed: int = 0):
    """A synthetic head and shoulders: dark-brown textured hair against a pale lavender
    wall, the face skin-coloured; two same-size patches inside the hair near its edge:
    one of the wall's colour (a gap), one of the hair's own colour, a little lighter
    (a lock catching the light)."""
    rng = np.random.default_rng(seed)
    h, w = 300, 260
    img = np.empty((h, w, 3), np.float32)
    img[:] = (205, 195, 225)  # the lavender wall
    alpha = np.zeros((h, w), np.float32)
    yy, xx = np.mgrid[0:h, 0:w]
    head = ((xx - 130) / 95.0) ** 2 + ((yy - 150) / 120.0) ** 2 <= 1
    img[head] = (60, 38, 25)  # dark-brown hair
    alpha[head] = 1
    face = ((xx - 130) / 55.0) ** 2 + ((yy - 150) / 75.0) ** 2 <= 1
    img[face] = (215, 165, 140)
    gap = (np.abs(xx - 46) <= 5) & (np.abs(yy - 170) <= 12)  # 11×25 px, 5 px from the edge
    lock = (np.abs(xx - 214) <= 5) & (np.abs(yy - 170) <= 12)
    img[gap] = (180, 170, 205)  # the wall, in the hair's shadow
    img[lock] = (95, 62, 40)
    img += rng.normal(0, 4, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8), alpha, (75.0, 75.0, 185.0, 225.0), gap, lock


def test_the_nearest_distances_are_exact():
    """The see-through's nearest-neighbour search (FLANN, one k-d tree, unlimited
    checks) gives the exact distances a brute-force search gives."""
    from likeness.studio.see_through import _Nearest

    rng = np.random.default_rng(3)
    points = (rng.random((1500, 5)) * 40).astype(np.float32)
    queries = (rng.random((700, 5)) * 40).astype(np.float32)
    brute = np.sqrt(((queries[:, None, :].astype(np.float64) - points[None]) ** 2).sum(-1)).min(1)
    got = _Nearest(points).query(queries)
    assert got.shape == (700,) and got.dtype == np.float64
    assert np.abs(got - brute).max() < 1e-3
    assert _Nearest(points).query(queries[:0]).shape == (0,)


def test_a_gap_of_wall_in_the_hair_goes_and_a_lock_of_hair_stays():
    img, alpha, box, gap, lock = _hair_over_wall()
    out = drop_see_through(alpha, img, box)
    assert out.dtype == np.float32 and out.shape == alpha.shape
    assert float(out[gap].mean()) < 0.2
    assert float(out[lock].mean()) > 0.99
    # The face (and what hangs beside it) is never judged; the rest of the hair stays.
    assert float(out[(alpha > 0) & ~gap].mean()) > 0.99


def test_hair_the_wall_s_own_colour_is_kept():
    """Blonde hair against a pale wall: the whole hair is near the wall's colour, and
    the subject's own inside is too, so nothing is a piece of wall."""
    img, alpha, box, gap, lock = _hair_over_wall(seed=1)
    img = img.copy()
    hair = (alpha > 0) & ~((img[..., 0] > 200) & (img[..., 2] < 160))
    img[hair] = (222, 205, 170)  # pale blonde
    img[gap] = (200, 192, 222)  # the wall
    m = see_through_mask(alpha, img, box)
    assert m.dtype == bool
    assert not m[lock].any()


def test_no_background_no_change():
    img, alpha, box, *_ = _hair_over_wall()
    full = np.ones_like(alpha)
    assert np.array_equal(drop_see_through(full, img, box), full)


@pytest.fixture(scope="module")
def celeste():
    from likeness.faces.subject import find_faces, pick_subject
    from likeness.studio.pipeline import render

    img = np.asarray(Image.open(need("photos", "single", "human__person-celeste.jpg")).convert("RGB"))
    face = pick_subject(find_faces(img), (img.shape[1], img.shape[0]))
    return render(img, face)


def test_celeste_wall_beside_her_earring_leaves_the_matte(celeste):
    """The lavender wall showing through a gap in Celeste's hair above her left
    shoulder (face-relative place, measured on the studio's render): the old matte kept
    all of it (share 1.0)."""
    r = celeste
    a = r.alpha
    k = a.shape[1] / r.image.shape[1]
    x0, y0, x1, _ = (v * k for v in r.face.box)
    fw = x1 - x0
    ys = slice(int(y0 + 0.89 * fw), int(y0 + 0.98 * fw))
    xs = slice(int(x0 - 0.33 * fw), int(x0 - 0.29 * fw))
    lab_b = np.asarray(r.framed, np.float32)
    patch = a[ys, xs]
    assert patch.size >= 20
    # The place is the wall (bluish-pale), not hair, in the framed photo.
    assert float(lab_b[ys, xs, 2].mean()) > float(lab_b[ys, xs, 0].mean())
    assert float(patch.mean()) < 0.5


def _jacket(w: int, *, wall, head_x: float, body_top: int):
    """A synthetic head over a checked jacket (white and navy) in front of a wall that
    ``wall`` paints on the float image: (image float32, alpha, rows, columns, the
    jacket's mask), 300 px tall."""
    h = 300
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.empty((h, w, 3), np.float32)
    wall(img)
    alpha = np.zeros((h, w), np.float32)
    head = ((xx - head_x) / 45.0) ** 2 + ((yy - 100) / 60.0) ** 2 <= 1
    img[head] = (215, 165, 140)
    alpha[head] = 1
    body = yy >= body_top
    checks = ((xx // 16 + yy // 16) % 2).astype(bool)
    img[body & checks] = (235, 235, 240)
    img[body & ~checks] = (30, 35, 70)
    alpha[body] = 1
    return img, alpha, yy, xx, body


def _noisy(img: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(img + rng.normal(0, 3, img.shape), 0, 255).astype(np.uint8)


def test_a_wall_letter_sticking_out_of_the_shoulder_goes_a_jacket_bump_stays():
    """A press wall (dark pink, pale lavender letters) behind a checked jacket: a piece
    of a letter the matte kept on the shoulder's edge goes; a bump of the jacket's own
    navy the same size stays."""
    def wall(img):
        img[:] = (125, 35, 75)
        img[150:200, 20:70] = (190, 180, 230)  # a letter

    img, alpha, yy, xx, body = _jacket(260, wall=wall, head_x=130, body_top=200)
    bump = (xx >= 30) & (xx < 42) & (yy >= 186) & (yy < 200)
    navy = (xx >= 200) & (xx < 212) & (yy >= 186) & (yy < 200)
    img[navy] = (30, 35, 70)
    alpha[bump | navy] = 1
    out = drop_see_through(alpha, _noisy(img, 2), (85.0, 60.0, 175.0, 150.0))
    assert float(out[bump].mean()) < 0.2
    assert float(out[navy].mean()) > 0.99
    assert float(out[body & (yy > 210)].mean()) > 0.99


def test_a_vivid_strip_of_wall_along_the_shoulder_goes_a_pale_one_stays():
    """A strip of the wall the matte kept along each shoulder's top edge (a layer, half
    on the wall: neither enclosed nor sticking out). On the left the wall is a vivid
    purple (a press wall seen through a clear raincoat at Katy Perry's collar): no
    skin or hair is that colour, so it goes; on the right a pale lavender-grey, where
    a layer along the edge may be a pale shoulder and stays."""
    def wall(img):
        img[:, :150] = (110, 50, 170)  # vivid purple
        img[:, 150:] = (200, 196, 212)  # pale lavender-grey

    # The shoulders' top edge at row 190, the strips inset in it.
    img, alpha, yy, xx, body = _jacket(300, wall=wall, head_x=150, body_top=190)
    vivid = (xx >= 25) & (xx < 65) & (yy >= 190) & (yy < 200)
    pale = (xx >= 235) & (xx < 275) & (yy >= 190) & (yy < 200)
    img[vivid] = (104, 46, 162)
    img[pale] = (192, 188, 204)
    alpha[vivid | pale] = 1
    out = drop_see_through(alpha, _noisy(img, 3), (105.0, 60.0, 195.0, 150.0))
    assert float(out[vivid].mean()) < 0.2
    assert float(out[pale].mean()) > 0.99
    assert float(out[body & (yy > 210)].mean()) > 0.99
