"""One person's part of a team run: intake → studio → team measures → a result record.

Runs in a worker process (local pool or a Ray task), so it takes and returns plain
JSON-able dicts. The result file is written last and atomically: its presence with a
matching input key is what lets an interrupted run resume without redoing this person.
The team measures of the headshot and of the photo it was made from are taken here, in
the worker, so that the report at the end only gathers them (it used to re-analyse
every face in the parent process, one after another).

This module imports only the standard library at the top: :func:`init_worker` must cap
the thread pools before numpy, OpenCV or a model loads in a fresh worker process.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import traceback
from pathlib import Path
from typing import Any

RESULT = "result.json"
#: The member's photo view for the team framing (``team.framing.member_view``).
VIEW = "view.json"
VIEW_VERSION = "view-1"  # changes when what the view holds changes
#: Read once by OpenMP, OpenBLAS, MKL, numba and torch when they load.
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


def init_worker(threads: int) -> None:
    """Cap a fresh worker process at ``threads`` threads (1, or the spare cores).

    Two workers on two cores, each free to start a thread per core in OpenCV, OpenBLAS
    and numba, would fight over the cores (oversubscription); one thread each keeps the
    cores busy with the people's work. Must run before numpy or OpenCV is imported.
    """
    from ..process import tune

    for k in THREAD_ENV:
        os.environ[k] = str(threads)
    tune()  # the allocator's settings (the thread counts are set above)
    import cv2

    cv2.setNumThreads(threads)


def _framing_fallbacks() -> set[str]:
    """The frame departures (``Headshot.framing``) that break a team's framing: the
    head larger than the preset's, or cut at the top or side (the backdrop filling
    under the body keeps the preset's framing)."""
    from ..studio.frame import Fallback

    return {f.value for f in (Fallback.TIGHTER, Fallback.HEAD_CUT_TOP, Fallback.HEAD_AT_EDGE)}


def input_key(photos: list[str], lock_sha: str, frame: str) -> str:
    """Changes when a photo, the locked Look or the framing changes."""
    h = hashlib.sha256(f"{lock_sha}|{frame}".encode())
    for p in sorted(photos):
        st = os.stat(p)
        h.update(f"|{p}|{st.st_size}|{int(st.st_mtime)}".encode())
    return h.hexdigest()[:16]


def read_result(person_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((person_dir / RESULT).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None  # a half-written or missing result means: do this person again


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    from ..atomic import atomic_write

    atomic_write(path, json.dumps(data, indent=2, default=float).encode())


def read_view(person_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((person_dir / VIEW).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def view_job(spec: dict[str, Any]) -> dict[str, Any]:
    """A member's photo view for the team framing, kept beside their result."""
    from ..errors import LikenessError
    from .framing import member_view

    try:
        view = member_view(spec["photos"])
    except LikenessError:
        view = None  # no usable photo: the studio run says why
    person_dir = Path(spec["out_dir"])
    person_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(person_dir / VIEW, {"key": spec["key"], "view": view})
    return {"slug": spec["slug"], "view": view}


def misfit_record(spec: dict[str, Any], reason: str) -> dict[str, Any]:
    """The result of a member whose photo fits no team framing: a retake, nothing rendered."""
    rec = {k: spec[k] for k in ("name", "slug", "title", "department", "key", "team_framing")}
    rec.update(status="retake", reason=reason, advice=[reason], photos=[os.path.basename(p) for p in spec["photos"]],
               photo_paths=list(spec["photos"]), card_path=spec.get("card"), seconds=0.0)
    write_json_atomic(Path(spec["out_dir"]) / RESULT, rec)
    return rec


def person_job(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec``: name, slug, title, department, photos, out_dir, look (dict), frame, key,
    team_framing (``team.framing.TeamFraming.to_dict``); a spec with ``job: "view"`` is
    :func:`view_job`'s."""
    from ..errors import LikenessError
    from ..looks import from_dict
    from ..studio import studio
    from ..types import to_jsonable

    if spec.get("job") == "view":
        return view_job(spec)

    t0 = time.perf_counter()
    person_dir = Path(spec["out_dir"])
    person_dir.mkdir(parents=True, exist_ok=True)
    base = {k: spec[k] for k in ("name", "slug", "title", "department", "key")}
    base["photos"] = [os.path.basename(p) for p in spec["photos"]]
    base["photo_paths"] = list(spec["photos"])  # lets `team add` rebuild the team later
    base["card_path"] = spec.get("card")
    base["team_framing"] = spec.get("team_framing")
    try:
        if not spec["photos"]:
            raise_no_photos(spec["name"])
        look = from_dict({k: v for k, v in spec["look"].items() if k != "source"}, where="the team's lock file")
        tf = spec.get("team_framing")
        from .framing import framed_with_team, team_preset

        frame = team_preset(spec["frame"], tf) if tf else spec["frame"]
        res = studio(spec["photos"], look=look, frame=frame, out=person_dir, card=spec.get("card"))
        sitting = res.sitting
        coaching = [
            {"photo": os.path.basename(p.source), "problems": p.problems, "usable": p.usable} for p in sitting.photos
        ]
        if not res.headshots:
            reasons = [r for _, r in res.skipped] or list(sitting.advice) or [sitting.summary]
            rec = {**base, "status": "retake", "reason": reasons[0], "advice": list(sitting.advice), "coaching": coaching}
        else:
            h = res.headshots[0]
            lm = look_measures(h.path, h.source, enlarged=float(h.measures.get("enlarged", 1.0)))
        if res.headshots and tf and not framed_with_team(h.measures, tf, lm["after"]):
            # The review passed it only at another framing (tighter or square), or the
            # hair made the frame larger: it would break the team page, so it is not
            # delivered as the team's.
            why = ("The team framing could not be delivered from this photo. "
                   + (h.reframed or "It was framed differently from the team to keep the whole head in.")
                   + " Retake it with your head and shoulders in the frame, alone, in front of a plain background.")
            rec = {**base, "status": "retake", "reason": why, "advice": [why], "coaching": coaching,
                   "file_other_framing": os.path.relpath(h.path, person_dir)}
        elif res.headshots:
            rec = {
                **base,
                "status": "done",
                "file": os.path.relpath(h.path, person_dir),
                "source": os.path.basename(h.source),
                "likeness": h.likeness,
                "identity_distance": h.identity_distance,
                "notes": list(h.notes),
                # The team framing could not be met without inventing a body: this
                # person is framed tighter and is asked for a retake with more body.
                "framed_as_team": (framed_with_team(h.measures, tf, lm["after"]) if tf
                                   else not set(h.framing) & _framing_fallbacks()),
                "measures": to_jsonable(h.measures),
                # White balance and exposure read from a grey card or chart (studio.card).
                "card": bool(h.measures.get("card")),
                "verdict": sitting.verdict.value,
                "coaching": coaching,
                "look_measures": lm,
            }
    except LikenessError as exc:
        rec = {**base, "status": "retake", "reason": str(exc), "advice": [exc.hint] if exc.hint else []}
    except Exception as exc:  # noqa: BLE001 - one person's crash must not stop the team
        (person_dir / "error.log").write_text(traceback.format_exc())
        rec = {**base, "status": "failed", "reason": f"{type(exc).__name__}: {exc}", "log": "error.log"}
    rec["seconds"] = round(time.perf_counter() - t0, 3)
    write_json_atomic(person_dir / RESULT, rec)
    return rec


def look_measures(headshot: str | os.PathLike, source: str | os.PathLike | None, *, enlarged: float) -> dict[str, Any]:
    """The team measures of a finished headshot ("after") and of its photo ("before"),
    as JSON; ``enlarged``: headshot px per photo px."""
    from ..imageio import load_photo
    from .measure import LookMeasures, measure_image

    after = measure_image(load_photo(headshot).image, enlarged=enlarged)
    before = measure_image(load_photo(source, max_side=1600).image) if source else LookMeasures()
    return {"after": after.to_dict(), "before": before.to_dict()}


def raise_no_photos(name: str) -> None:
    from ..errors import NotEnoughPhotosError

    raise NotEnoughPhotosError(
        f"No photos for {name}.", hint="Add 3–10 recent photos of this person to their folder."
    )
