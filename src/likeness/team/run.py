"""A team run: many people, one locked Look, resumable, local processes or Ray.

Layout of OUT::

    team.lock.json        the locked Look (full settings) and framing
    people/<slug>/        each person's headshot, report and result.json
    consistency.json/html spreads across the team and who breaks the look
    index.html            the team page; headshots.zip; team.csv; contact-sheet.jpg
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import __version__, defaults
from ..errors import OptionError
from .job import (
    THREAD_ENV,
    VIEW_VERSION,
    init_worker,
    input_key,
    misfit_record,
    person_job,
    read_result,
    read_view,
    write_json_atomic,
)
from .source import Member, read_source

LOCK = "team.lock.json"

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class TeamResult:
    out_dir: Path
    people: tuple[dict[str, Any], ...]  # result records, in member order
    consistency: dict[str, Any] = field(default_factory=dict)
    page: Path | None = None
    zip: Path | None = None
    csv: Path | None = None
    seconds: float = 0.0
    reused: int = 0  # people resumed from an earlier run

    @property
    def done(self) -> list[dict[str, Any]]:
        return [p for p in self.people if p["status"] == "done"]

    @property
    def retakes(self) -> list[dict[str, Any]]:
        return [p for p in self.people if p["status"] != "done"]


def load_lock(out: Path) -> dict[str, Any] | None:
    try:
        return json.loads((out / LOCK).read_text())
    except FileNotFoundError:
        return None


def lock_team(out: Path, *, look: str | None, frame: str | None, relock: bool = False) -> dict[str, Any]:
    """Create the lock, or return the existing one (refusing a silent change of Look)."""
    from ..looks import load_look

    lock = load_lock(out)
    if lock and not relock:
        if look and look not in (lock["look"]["name"], lock.get("look_arg")):
            raise OptionError(
                f"This team is locked to the Look {lock['look']['name']!r}, not {look!r}.",
                hint="Leave out --look to match the team, or pass --relock to restyle everyone.",
            )
        if frame and frame != lock["frame"]:
            raise OptionError(
                f"This team is locked to the framing {lock['frame']!r}, not {frame!r}.",
                hint="Leave out --frame, or pass --relock to reframe everyone.",
            )
        return lock
    lk = load_look(look or defaults.LOOK)
    look_dict = lk.to_dict()
    blob = json.dumps(look_dict, sort_keys=True).encode()
    lock = {
        "look": look_dict,
        "look_arg": look or defaults.LOOK,
        "frame": frame or defaults.FRAME,
        "sha256": hashlib.sha256(blob + (frame or defaults.FRAME).encode()).hexdigest(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "likeness": __version__,
    }
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out / LOCK, lock)
    return lock


def run_team(
    source: str | Path | list[Member],
    out: str | Path,
    *,
    look: str | None = None,
    frame: str | None = None,
    workers: int | None = None,
    ray: str | None = None,
    relock: bool = False,
    progress: Progress | None = None,
    report: bool = True,
) -> TeamResult:
    """Run the studio for every member with the team's locked Look; resume finished people."""
    t0 = time.perf_counter()
    out = Path(out)
    members = source if isinstance(source, list) else read_source(source)
    lock = lock_team(out, look=look, frame=frame, relock=relock)
    runner = _run_ray if ray else _run_local
    # The team's framing, from every member's photo, before anything is rendered.
    tf = _team_framing(members, out, lock["frame"], runner, workers=workers, address=ray)
    framing_key = f"{lock['frame']}|{tf.head:.4f}|{tf.eye_line:.4f}"
    specs, records, reused = [], {}, 0
    for m in members:
        pdir = out / "people" / m.slug
        photos = [str(p) for p in m.photos]
        card = str(m.card) if m.card else None
        key = input_key(photos + ([card] if card else []), lock["sha256"], framing_key)
        prev = read_result(pdir)
        if prev and prev.get("key") == key and prev.get("status") in ("done", "retake"):
            records[m.slug] = prev
            reused += 1
            continue
        spec = {
            "name": m.name, "slug": m.slug, "title": m.title, "department": m.department,
            "photos": photos, "out_dir": str(pdir), "look": lock["look"], "frame": lock["frame"], "key": key,
            "card": card, "team_framing": tf.to_dict(),
        }
        if m.slug in tf.misfits:  # asked for a retake before any work
            records[m.slug] = misfit_record(spec, tf.misfits[m.slug])
            continue
        specs.append(spec)
    total = len(members)
    if progress:
        progress(reused, total, "resumed" if reused else "starting")
    for rec in runner(specs, workers=workers, address=ray):
        records[rec["slug"]] = rec
        if progress:
            progress(len(records), total, rec["name"])
    people = tuple(records[m.slug] for m in members)
    result = TeamResult(out_dir=out, people=people, reused=reused, seconds=time.perf_counter() - t0)
    if report:
        from .report import write_team_outputs

        result = write_team_outputs(result, members, lock)
    return result


def _team_framing(members: list[Member], out: Path, frame: str, runner, *, workers, address):
    """:func:`.framing.choose` over every member's photo view (:func:`.framing.member_view`,
    run in the workers; each kept in the member's folder for a resumed run)."""
    from .framing import choose

    views, todo = {}, []
    for m in members:
        photos = [str(p) for p in m.photos]
        key = input_key(photos, VIEW_VERSION, "view")
        prev = read_view(out / "people" / m.slug)
        if prev is not None and prev.get("key") == key:
            views[m.slug] = prev["view"]
        else:
            todo.append({"slug": m.slug, "name": m.name, "photos": photos, "key": key,
                         "out_dir": str(out / "people" / m.slug), "job": "view"})
    for rec in runner(todo, workers=workers, address=address):
        views[rec["slug"]] = rec.get("view")
    return choose(views, frame)


def _run_local(specs: list[dict], *, workers: int | None, address: str | None = None):
    """People over ``workers`` local processes, one core each (default: one per core).

    One worker is the same code path as many: a pool of spawned processes, each loading
    the models once and taking person after person with one thread
    (:func:`~likeness.team.job.init_worker`). People are independent, so a core per
    person at a time scales better than threads inside one person's stages (``likeness
    bench team``, 50 people on 2 cores: 1 worker 84.2 s, the same worker free to use
    both cores' threads 76.7 s, 2 workers 48.5 s). Only when the default leaves cores
    idle (fewer people than cores, e.g. a new hire) do the workers get the spare cores
    as threads.
    """
    if not specs:
        return
    import multiprocessing as mp

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    n = max(1, min(workers or cores, len(specs)))
    threads = 1 if workers else max(1, cores // n)
    # Workers start clean ("spawn"): OpenCV networks and thread pools are not fork-safe.
    with ProcessPoolExecutor(
        max_workers=n, mp_context=mp.get_context("spawn"), initializer=init_worker, initargs=(threads,)
    ) as pool:
        pending = {pool.submit(person_job, s): s for s in specs}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                spec = pending.pop(fut)
                try:
                    yield fut.result()
                except Exception as exc:  # noqa: BLE001 - a dead worker fails one person only
                    yield _failed(spec, exc)


def _run_ray(specs: list[dict], *, workers: int | None = None, address: str | None = "auto"):
    if not specs:
        return
    try:
        import ray
    except ImportError:
        raise OptionError(
            "--ray needs the Ray package, which is not installed.", hint="pip install 'likeness[ray]'"
        ) from None
    started = False
    if not ray.is_initialized():
        if address in (None, "", "local"):
            ray.init(num_cpus=workers or None, include_dashboard=False, log_to_driver=False)
        else:
            ray.init(address=address, log_to_driver=False)
        started = True
    try:
        # One CPU and one thread per task, as in a local pool of one worker per core.
        env = {k: "1" for k in THREAD_ENV}
        task = ray.remote(num_cpus=1, max_retries=2, runtime_env={"env_vars": env})(_ray_person_job)
        refs = {task.remote(s): s for s in specs}
        while refs:
            ready, _ = ray.wait(list(refs), num_returns=1)
            for r in ready:
                spec = refs.pop(r)
                try:
                    yield ray.get(r)
                except Exception as exc:  # noqa: BLE001 - a lost task fails one person only
                    yield _failed(spec, exc)
    finally:
        if started:
            ray.shutdown()


def _ray_person_job(spec: dict) -> dict[str, Any]:
    """:func:`person_job` in a Ray worker (its environment already caps OpenMP/BLAS)."""
    import cv2

    cv2.setNumThreads(1)
    return person_job(spec)


def members_from_out(out: Path) -> list[Member]:
    """The people of an earlier run, rebuilt from their result records (for `team add`)."""
    out_members = []
    for d in sorted((Path(out) / "people").glob("*/")):
        rec = read_result(d)
        if rec:
            out_members.append(
                Member(
                    name=rec["name"], slug=rec["slug"], title=rec.get("title", ""), department=rec.get("department", ""),
                    photos=tuple(Path(p) for p in rec.get("photo_paths", [])),
                    card=Path(rec["card_path"]) if rec.get("card_path") else None,
                )
            )
    return out_members


def _failed(spec: dict, exc: BaseException) -> dict[str, Any]:
    if spec.get("job") == "view":  # no view: the member is rendered at the team's framing anyway
        return {"slug": spec["slug"], "view": None}
    rec = {k: spec[k] for k in ("name", "slug", "title", "department", "key")}
    rec.update(
        status="failed", reason=f"{type(exc).__name__}: {exc}",
        photos=[os.path.basename(p) for p in spec["photos"]], photo_paths=list(spec["photos"]),
    )
    return rec
