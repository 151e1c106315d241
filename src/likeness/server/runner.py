"""Workers inside the server: a bounded pool of lanes that claim jobs from the
database queue and run the library on them.

Each lane is a thread here plus a worker process (:mod:`.lanes`) that loads the
models once and does the computing. Lane 0 only takes photo checks, so live coaching
stays live while the other lanes run studio jobs. A job whose session is deleted
while it runs is stopped at once (its worker process is replaced), and whatever it
wrote is removed. On shutdown, jobs still running after the grace period are left
``running`` in the database and are requeued by the next start. A studio job that
asks for new attire then runs the generate path in the one generation process
(:mod:`.attire`); its images join the same gallery, labelled as generated.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import LikenessError, storage_error
from ..store import Job, Store
from ..store.db import dumps, new_id
from . import library
from .attire import GenerateLane, generated_info, summary as attire_summary
from .lanes import Lane, LaneStopped

log = logging.getLogger("likeness.server")


class JobCancelled(Exception):
    """The job's session was deleted (or the job requeued) while it ran."""


class Runner:
    def __init__(self, store: Store, *, workers: int = 2, check_fn: library.CheckFn | None = None,
                 studio_fn: library.StudioFn | None = None, warm: Callable[[], None] | None = library.warm,
                 generate_fn: Callable[..., Any] | None = None) -> None:
        self.store = store
        self.workers = max(1, workers)
        self.fns = {"check": check_fn or library.check, "studio": studio_fn or library.studio,
                    "team_measure": library.team_measure}
        self._gen = GenerateLane(generate_fn or library.generate_attire)  # new attire: one process for all lanes
        self._warm = warm
        self._wake = threading.Event()
        self._stop = threading.Event()  # no more claims
        self._kill_now = threading.Event()  # abandon running jobs (grace period over)
        self._threads: list[threading.Thread] = []
        self._running: dict[str, Job] = {}  # thread name → job
        self._lock = threading.Lock()
        self._cancelled: set[str] = set()  # sessions being deleted
        self._stopped: set[str] = set()  # jobs the user cancelled
        self.warmed = threading.Event()
        self._ready = 0
        store.jobs.on_enqueue(self._wake.set)

    # --- lifecycle -----------------------------------------------------------------

    def start(self) -> None:
        for i in range(self.workers):
            kinds = ("check", "check_set") if i == 0 and self.workers > 1 else None
            t = threading.Thread(target=self._loop, args=(i, kinds), name=f"likeness-lane-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self, grace_s: float = 10.0) -> None:
        """Stop claiming; give running jobs ``grace_s`` to finish, then abandon them
        (they stay ``running`` in the database and are requeued on the next start)."""
        self._stop.set()
        self._wake.set()
        deadline = time.monotonic() + grace_s
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        self._kill_now.set()
        for t in self._threads:
            t.join(15)
        self._gen.stop()

    def busy(self) -> int:
        with self._lock:
            return len(self._running)

    def cancel_session(self, session_id: str, *, wait_s: float = 30.0) -> None:
        """Stop this session's running jobs and wait (bounded) until they have."""
        with self._lock:
            self._cancelled.add(session_id)
        self.store.jobs.cancel_queued(session_id)  # nothing more of it gets claimed
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            with self._lock:
                if not any(j.session_id == session_id for j in self._running.values()):
                    break
            time.sleep(0.05)

    def cancel_job(self, job: Job, *, wait_s: float = 30.0) -> None:
        """Stop one queued or running job at the user's request and wait (bounded)
        until it has; it ends as ``cancelled`` and keeps no file."""
        if job.state == "queued" and self.store.jobs.cancel(job):
            return
        with self._lock:
            self._stopped.add(job.id)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            with self._lock:
                if not any(j.id == job.id for j in self._running.values()):
                    break
            time.sleep(0.05)
        if job.state == "queued":  # claimed meanwhile, before the runner saw it stopped
            self.store.jobs.cancel(job)

    def _gone(self, job: Job) -> bool:
        """The job's session is being deleted, or the user cancelled the job."""
        return job.session_id in self._cancelled or job.id in self._stopped

    def release(self, session_id: str) -> None:
        """The session is gone: forget that it was cancelled (its jobs went with it)."""
        with self._lock:
            self._cancelled.discard(session_id)

    # --- the loop ------------------------------------------------------------------

    def _loop(self, i: int, kinds: tuple[str, ...] | None) -> None:
        lane = Lane(f"likeness-worker-{i}", self.fns, self._warm)
        try:
            lane.start()  # loads the models in the worker process
        except Exception:  # noqa: BLE001 - logged; health keeps saying the models are not ready
            log.exception("worker %d could not start", i)
            return
        with self._lock:
            self._ready += 1
            if self._ready == self.workers:
                self.warmed.set()
        try:
            while not self._stop.is_set():
                try:
                    job = self.store.jobs.claim(kinds=kinds)
                except Exception:  # noqa: BLE001 - the database is briefly unavailable: retry
                    log.exception("claiming a job failed")
                    self._stop.wait(1.0)
                    continue
                if job is None:
                    self._wake.wait(0.5)
                    self._wake.clear()
                    continue
                self._run(job, lane)
        finally:
            lane.stop()

    def _run(self, job: Job, lane: Lane) -> None:
        name = threading.current_thread().name
        with self._lock:
            self._running[name] = job
        try:
            {"check": self._check, "check_set": self._check_set, "studio": self._studio}[job.kind](job, lane)
        except (JobCancelled, LaneStopped):
            if self._kill_now.is_set():
                log.info("job %s interrupted by shutdown: it will run again at the next start", job.id)
            elif job.id in self._stopped:
                log.info("job %s cancelled by the user", job.id)
                self._discard_run(job, keep_rejected=False)
                self.store.jobs.cancel(job)
            else:
                log.info("job %s stopped: its session is gone", job.id)
        except Exception as exc:  # noqa: BLE001 - recorded on the job; a bug is logged with its trace
            known = exc if isinstance(exc, LikenessError) else storage_error(exc)
            if known is not None:
                err = known.to_dict()
                if known.http_status >= 500:
                    log.error("job %s (%s) failed: %s", job.id, job.kind, known)
            else:
                log.error("job %s (%s) crashed:\n%s", job.id, job.kind, traceback.format_exc())
                err = {"code": "internal", "message": f"Something went wrong while working on this ({type(exc).__name__}).",
                       "hint": "Try again; if it keeps happening, report it with the server log."}
            self._failed(job, err)
        finally:
            with self._lock:
                self._running.pop(name, None)
                self._stopped.discard(job.id)
            if self.store.session(job.session_id) is None:
                # Deleted while we worked: remove anything the job wrote meanwhile.
                self.store.files.remove_session(job.session_id)

    def _call(self, lane: Lane, job: Job, kind: str, args: tuple, options: dict[str, Any] | None = None,
              *, progress: Callable[[int, int], None] | None = None) -> Any:
        first = [True]  # Lane.call asks once before it starts the job, then while it runs

        def abandon() -> bool:
            before_start, first[0] = first[0], False
            if self._kill_now.is_set():
                return True
            # A one-photo check takes about a second: once started, it is cheaper to let
            # it finish than to replace the worker (loading the models takes seconds).
            return self._gone(job) and (before_start or job.kind != "check")

        return lane.call(kind, args, options or {}, progress=progress or (lambda _d, _t: None), abandon=abandon)

    def _progress(self, job: Job) -> Callable[[int, int], None]:
        last = [0.0]

        def report(done: int, total: int) -> None:
            now = time.monotonic()
            if now - last[0] < 0.25 and done < total:
                return
            last[0] = now
            if not self.store.jobs.progress(job, done, total) or job.id in self._stopped:
                raise JobCancelled(job.id)

        return report

    def _discard_run(self, job: Job, *, keep_rejected: bool) -> None:
        """Remove what a studio job that delivers nothing wrote (a full-size headshot
        without a record would be an orphan); ``keep_rejected``: its refused renders stay."""
        if job.kind != "studio":
            return
        try:
            run = self.store.files.run_dir(job.session_id, job.id)
            kept = library.rejected_dir(run)
            keep = keep_rejected and kept.is_dir()
            for part in (run.iterdir() if keep else [run]) if run.exists() else []:
                if part != kept:
                    self.store.files.remove_tree(part) if part.is_dir() else part.unlink()
        except (OSError, ValueError):
            log.exception("could not remove the files of job %s", job.id)

    def _failed(self, job: Job, err: dict[str, Any]) -> None:
        """Record a failure; a failed studio run keeps no file (a full-size headshot
        without a record would be an orphan). With the disk full even the record can
        fail for a moment: it is retried, and the job stays for the next start if not."""
        # Renders the review refused, asked for with keep_rejected, are what the user
        # wants to see when nothing was delivered: only they stay.
        self._discard_run(job, keep_rejected=bool(job.payload.get("keep_rejected")))
        err = {k: v for k, v in err.items() if k != "report"}  # its report went with the run's files
        for attempt in range(5):
            try:
                err = library.relabel(err, self._names(job.session_id))
                self.store.jobs.fail(job, err)
                self._after_failure(job, err)
                return
            except Exception:  # noqa: BLE001 - the database is full or locked: wait, then retry
                if attempt == 4:
                    log.exception("could not record the failure of job %s", job.id)
                    return
                time.sleep(0.5 * (attempt + 1))

    def _names(self, session_id: str, rows: list[dict[str, Any]] | None = None) -> dict[str, str]:
        """The server's names of a session's photos (stored path and file name) → the
        name the user gave: what every message and report shows instead."""
        rows = self.store.photos(session_id) if rows is None else rows
        out: dict[str, str] = {}
        for r in rows:
            path = self.store.files.photo_path(session_id, r["file"])
            out[str(path)] = out[r["file"]] = r["name"]
        return out

    def _after_failure(self, job: Job, err: dict[str, Any]) -> None:
        if job.kind == "check":
            self.store.photo_failed(job.payload.get("photo_id"), err)

    # --- the jobs ------------------------------------------------------------------

    def _check(self, job: Job, lane: Lane) -> None:
        """One photo, alone: the live coaching shown as soon as it arrives."""
        sid, pid = job.session_id, job.payload["photo_id"]
        rows = [p for p in self.store.photos(sid) if p["id"] == pid]
        if not rows:  # removed before we got to it
            self.store.jobs.finish(job, {"skipped": "photo removed"})
            return
        sitting = self._call(lane, job, "check", ([self.store.files.photo_path(sid, rows[0]["file"])],))
        pc = sitting.photos[0]
        data = library.relabel(library.photo_check_json(pc), self._names(sid, rows))

        def outputs(conn) -> None:
            pending, total = self.store.photo_checked(conn, sid, pid, data, usable=pc.usable)
            if pending == 0 and total >= 2 and not self.store.jobs.has_active(conn, sid, "check_set", queued_only=True):
                self.store.jobs.enqueue(conn, sid, "check_set", {})

        if self.store.jobs.finish(job, {"usable": bool(pc.usable)}, outputs):
            self.store.jobs.notify()

    def _check_set(self, job: Job, lane: Lane) -> None:
        """The whole set: identity consistency and which photos to add."""
        sid = job.session_id
        rows = [p for p in self.store.photos(sid) if p["state"] == "checked"]
        if not rows:
            self.store.jobs.finish(job, {"skipped": "no photos"})
            return
        with self.store.db.read() as conn:
            studio_next = self.store.jobs.has_active(conn, sid, "studio")
        if studio_next:  # the studio checks the same set first and records it: no need to do it twice
            self.store.jobs.finish(job, {"skipped": "the studio run checks the set"})
            return
        paths = [self.store.files.photo_path(sid, p["file"]) for p in rows]
        sitting = self._call(lane, job, "check", (paths,), progress=self._progress(job))
        data = library.relabel(library.sitting_json(sitting, [p["id"] for p in rows]), self._names(sid))
        data["at"] = time.time()
        self.store.jobs.finish(job, {"verdict": data["verdict"]},
                               lambda conn: self.store.set_session_check(sid, data, conn=conn))

    def _attire(self, job: Job, paths: list[Path], out: Path, looks: list[str],
                progress: Callable[[int, int], None]) -> tuple[Any, dict[str, Any] | None]:
        """(the generate path's result, None), or (None, why it failed): a model or GPU
        problem costs the new attire, never the studio's headshots. A cancel or a stop
        goes through as for any job."""
        try:
            with self._gen.held(stop=lambda: self._kill_now.is_set() or self._gone(job),
                                stopped=lambda: JobCancelled(job.id)) as gen_lane:
                result = self._call(gen_lane, job, "generate", (paths,),
                                    {"looks": looks, "out": out / library.GENERATED}, progress=progress)
            return result, None
        except LikenessError as exc:
            log.warning("job %s: new attire failed: %s", job.id, exc)
            return None, exc.to_dict()
        except RuntimeError:  # the generation worker crashed or could not start: logged with its trace
            log.error("job %s: new attire crashed:\n%s", job.id, traceback.format_exc())
            return None, {"code": "internal", "message": "Generating the new attire failed.",
                          "hint": "Your studio headshots are made; try new attire again, or report it with the server log."}

    def _studio(self, job: Job, lane: Lane) -> None:
        sid, p = job.session_id, job.payload
        rows = self.store.photos(sid)
        if p.get("photo_ids"):
            rows = [r for r in rows if r["id"] in set(p["photo_ids"])]
        if not rows:
            raise LikenessError("There are no photos left in this session.", hint="Add photos, then try again.")
        files = self.store.files
        out = files.run_dir(sid, job.id)
        if out.exists():  # a previous attempt was interrupted: start clean (idempotent)
            files.remove_tree(out)
        out.mkdir(parents=True)
        paths = [files.photo_path(sid, r["file"]) for r in rows]
        by_path = {str(path): r["id"] for path, r in zip(paths, rows)}
        report, seen = self._progress(job), [0]

        def progress(done: int, total: int) -> None:
            seen[0] = total
            report(done, total)

        result = self._call(lane, job, "studio", (paths,),
                            {"look": p["look"], "frame": p["frame"], "out": out, "all": bool(p.get("all")),
                             **{k: p[k] for k in ("looks", "frames", "best") if p.get(k) is not None},
                             **({"keep_rejected": True} if p.get("keep_rejected") else {})},
                            progress=progress)
        if self._gone(job) or not self.store.jobs.still_mine(job):
            raise JobCancelled(job.id)
        names = self._names(sid, rows)
        made = [(h, {}) for h in result.headshots]
        generated = None
        if p.get("attire_looks"):  # new attire: the generate path, after the studio, in the same gallery
            gen, gen_error = self._attire(job, paths, out, p["attire_looks"],
                                          lambda d, t: report(seen[0] + d, seen[0] + t))
            delivered, refused = library.generated_entries(gen, out) if gen is not None else ([], [])
            library.add_generated_to_report(out, delivered, refused)
            if gen is not None:  # entries and headshots in the same order (generated_entries)
                made += [(h, generated_info(e)) for e, h in zip(delivered, (h for r in gen.results for h in r.headshots))]
            generated = library.relabel(attire_summary(delivered, refused, gen_error, p["attire_looks"]), names,
                                        out_dir=out)
        if result.report_json is not None:  # it is downloaded and shared: the user's names, no server path
            library.relabel_report(out, names)
        prev_dir = out / "previews"
        prev_dir.mkdir(exist_ok=True)
        team = (self.store.session(sid) or {}).get("team_id")
        # A generated headshot names its first reference by file name only (generate.run).
        by_name = {Path(path).name: pid for path, pid in by_path.items()}
        shot_rows = []
        for i, (h, extra) in enumerate(made):
            prev = files.write_bytes(prev_dir / f"{i:02d}.jpg", library.preview_jpeg(h.path, side=800))
            info = {**library.relabel(library.headshot_info(h), names, out_dir=out), "favourite": False,
                    "generated": False, **extra}
            if team and i == 0:  # the team's consistency report compares everyone's first headshot
                info["team_measures"] = self._call(lane, job, "team_measure", (h.path,))
            shot_rows.append({
                "id": new_id(), "session_id": sid, "job_id": job.id, "idx": i,
                "file": files.relative(sid, h.path), "preview": files.relative(sid, prev),
                "source_photo": (by_path.get(str(h.source)) or by_path.get(str(_resolve(h.source)))
                                 or by_name.get(str(h.source))),
                "look": h.look, "frame": h.frame, "width": int(h.width), "height": int(h.height),
                "likeness": None if h.likeness is None else float(h.likeness), "info": dumps(info),
            })
        rel = {k: files.relative(sid, getattr(result, k)) for k in ("report_json", "report_html", "contact_sheet")
               if getattr(result, k, None) is not None}
        summary = library.relabel({
            "headshots": len(shot_rows), **rel, "rejected": len(library.rejected(out)),
            "skipped": [{"photo": by_path.get(str(src), None), "reason": reason} for src, reason in result.skipped],
            "sitting": library.sitting_json(result.sitting, list(by_path.values())) if result.sitting else None,
        }, names, out_dir=out)
        if generated is not None:
            summary["generated"] = generated

        def outputs(conn) -> None:
            self.store.replace_headshots(conn, job.id, shot_rows)
            if summary["sitting"]:
                self.store.set_session_check(sid, {**summary["sitting"], "at": time.time()}, conn=conn)

        if not self.store.jobs.finish(job, summary, outputs):
            raise JobCancelled(job.id)


def _resolve(src: Any) -> Any:
    try:
        return Path(src).resolve()
    except (TypeError, OSError):
        return src
