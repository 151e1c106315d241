"""The server's only door into the library: the verbs it calls and the JSON it shows.

Kept thin on purpose: validation of Looks and framings is the library's (it raises
``OptionError``); here we only turn its dataclasses into what the page displays.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..types import Headshot, PhotoCheck, Sitting, to_jsonable

CheckFn = Callable[..., Sitting]
StudioFn = Callable[..., Any]


def check(paths: Sequence[Path], *, progress=None) -> Sitting:
    from ..intake.inspection import check as _check

    return _check(list(paths), progress=progress)


def studio(paths: Sequence[Path], **kw: Any) -> Any:
    # ``likeness.studio`` is both the subpackage and the verb: import the verb itself.
    from ..studio import studio as _studio

    return _studio(list(paths), **kw)


def rejected_dir(run: Path) -> Path:
    """Where a studio run with ``keep_rejected`` put the renders the review refused."""
    from ..studio.results import REJECTED

    return Path(run) / REJECTED


def rejected(run: Path) -> list[tuple[Path, dict[str, Any]]]:
    """(image, its review record) for each refused render of a run, in name order."""
    import json

    out = []
    for js in sorted(rejected_dir(run).glob("*.json")):
        rec = json.loads(js.read_text())
        img = js.parent / str(rec.get("file") or "")
        if img.is_file() and img.parent == js.parent:
            out.append((img, rec))
    return out


def team_measure(path: Path, *, progress=None) -> dict[str, Any]:
    """Team-look measures of one finished headshot (eye line, head size, exposure,
    backdrop, white balance), as JSON; the team module decides what they mean."""
    from ..imageio import load_photo
    from ..team.measure import measure_image

    return measure_image(load_photo(path).image).to_dict()


def team_consistency(named: Sequence[tuple[str, dict[str, Any]]]) -> dict[str, Any] | None:
    """Spreads across the team and who breaks the team look (``likeness.team``)."""
    try:
        from ..team.measure import TOLERANCE, LookMeasures, outliers, spreads
    except ImportError:  # the team module is optional for the server
        return None
    if len(named) < 2:
        return None
    ms = [LookMeasures(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}) for _, d in named]
    return {"spreads": to_jsonable(spreads(ms)), "outliers": outliers([n for n, _ in named], ms),
            "tolerance": dict(TOLERANCE), "members": len(ms)}


# --- options ---------------------------------------------------------------------


def frames() -> list[dict[str, Any]]:
    from ..looks.settings import PRESETS

    return [{"name": p.name, "description": p.description, "width": p.size[0], "height": p.size[1],
             "print_size": p.print_size or None} for p in PRESETS.values()]


def check_frame(name: str) -> str:
    from ..looks.settings import get_preset

    return get_preset(name).name  # raises OptionError naming the valid ones


def looks() -> list[dict[str, Any]]:
    from ..looks import list_looks

    return [{
        "name": lk.name,
        "title": lk.name.replace("-", " ").capitalize(),
        "description": lk.description,
        "swatch": lk.backdrop.color,
        "swatch2": lk.backdrop.color2 or None,
        "frame": lk.frame,
    } for lk in list_looks()]


def attire_status(*, models: Sequence[Any] | None = None, gpu: Callable[[], bool] | None = None) -> dict[str, Any]:
    """Whether the gallery can offer "new attire" (the generate path): the default
    backend's model pulled into the store and a GPU present; else the one-line reason.
    Another model pulled (e.g. a non-commercial one) does not count: the gallery uses
    the default backend. The GPU is asked only once the model is there (that needs
    torch, which is heavy to import)."""
    from ..generate.registry import backend_class, default_backend
    from ..generate.store import list_models

    need = backend_class(default_backend()).model
    pulled = [m for m in (list_models() if models is None else models) if m.pulled and (need is None or m.name == need)]
    if not pulled:
        return {"available": False, "reason": f"The generation model is not pulled here (`likeness models pull {need}`)."}
    if not (gpu or _has_gpu)():
        return {"available": False, "reason": "No GPU here: generating new attire needs a CUDA or Apple-silicon GPU."}
    return {"available": True, "reason": ""}


AttireFn = Callable[[], dict[str, Any]]
#: Sub-folder of a studio run where its generated images ("new attire") go, one folder per Look.
GENERATED = "generated"


def generate_attire(paths: Sequence[Path], *, looks: Sequence[str], out: Path, progress=None, **kw: Any) -> Any:
    """New attire for the gallery: the generate path for each Look (its ``[generate]``
    words), from the person's photos, every image reviewed (``generate.generate_looks``).
    Runs in the server's one generation worker process, which keeps the pipeline loaded."""
    from ..generate.run import generate_looks

    return generate_looks(list(paths), looks=list(looks), out=out, progress=progress, **kw)


def generated_entries(result: Any, out_dir: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(delivered, refused) of a ``generate_looks`` result as report entries, labelled
    as generated; ``file`` is relative to the run's folder ``out_dir``."""
    delivered, refused = [], []
    for res in result.results:
        look = res.settings.get("look")
        for h in res.headshots:
            delivered.append({**to_jsonable(h), "file": str(Path(h.path).relative_to(out_dir)), "generated": True,
                              "made_by": "generate", "backend": res.backend, "favourite": False})
        for r in res.rejected:
            refused.append({"look": look, "seed": int(r.seed), "likeness": float(r.likeness), "reasons": list(r.reasons),
                            "review": r.review, "file": None, "generated": True, "made_by": "generate",
                            "backend": res.backend})
    return delivered, refused


def add_generated_to_report(out_dir: Path, delivered: Sequence[dict[str, Any]], refused: Sequence[dict[str, Any]]) -> None:
    """Put the generated images into the run's report (JSON and HTML), beside the
    studio's: delivered ones among the headshots (and their Look's group of a set),
    refused ones among the refused with their reasons. Nothing when there is no report."""
    import json

    from ..deliver import write_report

    path = Path(out_dir) / "report.json"
    if not path.is_file():
        return
    report = json.loads(path.read_text(encoding="utf-8"))
    report["headshots"] = [*(report.get("headshots") or []), *delivered]
    groups = {g.get("look"): g for g in report.get("looks") or [] if isinstance(g, dict)}
    for e in delivered:
        if e.get("look") in groups:
            groups[e["look"]].setdefault("images", []).append(e)
    report["rejected"] = [*(report.get("rejected") or []), *refused]
    report["skipped"] = [*(report.get("skipped") or []),
                         *[[f"generated, {r['look']}, seed {r['seed']}", "; ".join(r["reasons"])] for r in refused]]
    report["generated"] = {"delivered": len(delivered), "refused": len(refused)}
    write_report(out_dir, report)


def _has_gpu() -> bool:
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return False
    import torch

    mps = getattr(torch.backends, "mps", None)
    return bool(torch.cuda.is_available() or (mps is not None and mps.is_available()))


def check_look(name: str) -> str:
    """A Look *name* known to this machine. ``load_look`` also takes file paths; a
    web client must never make the server open a path, so names are checked first."""
    from ..errors import OptionError
    from ..looks import load_look, looks_names

    names = looks_names()
    if name not in names:
        raise OptionError(f"Unknown Look {name!r}.", hint="Choose one of: " + ", ".join(names) + ".",
                          value=name, valid=names)
    load_look(name)  # validates the file itself
    return name


def look_frame(name: str) -> str:
    """The framing a Look asks for when the person did not choose one."""
    from ..looks import load_look

    return load_look(check_look(name)).frame


# --- what the user reads: their own file names, no server folder -----------------


def relabel(value: Any, names: dict[str, str], *, out_dir: Path | None = None) -> Any:
    from ..deliver.report import relabel as _relabel

    return _relabel(value, names, out_dir=out_dir)


def relabel_report(out_dir: Path, names: dict[str, str]) -> None:
    from ..deliver.report import relabel_report as _relabel_report

    _relabel_report(out_dir, names)


# --- results as JSON -------------------------------------------------------------


def photo_check_json(pc: PhotoCheck) -> dict[str, Any]:
    face = pc.face
    return {
        "usable": bool(pc.usable),
        "faces": int(pc.faces),
        "problems": list(pc.problems),
        "expression": pc.expression,
        "glasses": bool(pc.glasses),
        "rank": to_jsonable(pc.rank),
        "error": pc.error,
        "measures": [to_jsonable(m) for m in pc.measures.values()],
        "pose": to_jsonable(face.pose) if face is not None and face.pose is not None else None,
        "box": to_jsonable(face.box) if face is not None else None,
    }


def sitting_json(s: Sitting, photo_ids: Sequence[str]) -> dict[str, Any]:
    """``photo_ids[i]`` is the id of the photo at ``s.photos[i]`` (same order as sent)."""
    per = {}
    for pid, pc in zip(photo_ids, s.photos):
        per[pid] = {"usable": bool(pc.usable), "problems": list(pc.problems), "other_person": bool(pc.other_person),
                    "identity_distance": to_jsonable(pc.identity_distance)}
    return {
        # Distances are on this model's scale; the server keeps no embeddings: every
        # check re-embeds the stored photos, so nothing is compared across models.
        "identity_model": _identity_model(),
        "verdict": to_jsonable(s.verdict),
        "summary": s.summary,
        "advice": list(s.advice),
        "people": int(s.people),
        "ranking": [photo_ids[i] for i in s.ranking if i < len(photo_ids)],
        "photos": per,
        "photo_ids": list(photo_ids),
    }


def _identity_model() -> str:
    from ..faces.identity import MODEL

    return MODEL


def headshot_info(h: Headshot) -> dict[str, Any]:
    return {
        "identity_model": _identity_model(),
        "identity_distance": to_jsonable(h.identity_distance),
        "source_type": h.source_type,
        "notes": list(h.notes),
        "measures": to_jsonable(dict(h.measures)),
        "framing": list(h.framing),
        "review": h.review,
    }


def preview_jpeg(image_or_path: Any, *, side: int = 640, quality: int = 85) -> bytes:
    """A small JPEG for the page (the browser cannot show HEIC; originals are big)."""
    import numpy as np
    from PIL import Image

    if isinstance(image_or_path, np.ndarray):
        img = Image.fromarray(image_or_path, "RGB")
    else:
        with Image.open(image_or_path) as src:
            img = src.convert("RGB")
    img.thumbnail((side, side), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


@lru_cache(maxsize=1)
def _astronaut():
    from skimage import data

    return data.astronaut()


def warm() -> None:
    """Load the face models in the calling (worker) thread: each model's network is
    per thread. Called from the app's lifespan, never at import."""
    from ..faces import analyze

    analyze(_astronaut(), embed=True)
