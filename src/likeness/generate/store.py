"""The model store: downloadable weights, pinned and checksummed.

Each model has a manifest entry (repository, pinned revision, files, licence, memory
need, download size). ``pull`` is the ONLY code in Likeness that touches the network;
everything else loads from ``home()/NAME`` with ``local_files_only=True``.

Checksums: where the sha256 of a file is known it is in the manifest and ``pull``
refuses a file that does not match. Where it could not be known when the manifest was
written (``None``), ``pull`` computes it and records it in the store's lock file
(trust on first download); ``verify`` then checks every file against the manifest or,
failing that, against the lock file. The lock file also records the exact commit that
was downloaded, so a model pulled from a branch name stays reproducible.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ModelMissingError, OptionError

LOCK_FILE = ".likeness-lock.json"
# The diffusers folders only: the repositories also hold the same weights as one
# single-file checkpoint at the top level (ComfyUI), which would double the download.
_PIPELINE_FILES = ("model_index.json", "scheduler/*", "text_encoder/*", "tokenizer/*", "transformer/*", "vae/*")


@dataclass(frozen=True)
class ModelSpec:
    """One downloadable model. ``revision`` None means "not pinned yet: record on pull"."""

    name: str
    repository: str
    revision: str | None
    files: tuple[str, ...]  # allow-patterns inside the repository
    licence: str
    licence_url: str
    commercial_use: bool
    memory_gb: float  # GPU memory for bf16 inference with the whole pipeline resident
    download_gb: float
    description: str = ""
    gated: bool = False  # the hub asks the user to accept the licence before download
    #: GiB (2^30 bytes, as torch reports card memory) of each component's weights in
    #: bf16/fp16: the memory plan offloads by component (``device.plan_memory``).
    weights_gb: dict[str, float] = field(default_factory=dict, hash=False)
    #: GiB of transformer activations per sequence token in bf16.
    token_gb: float = 0.0
    sha256: dict[str, str] = field(default_factory=dict, hash=False)  # known checksums


MANIFEST: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="flux2-klein-4b",
            repository="black-forest-labs/FLUX.2-klein-4B",
            # "add diffusers weights (#2)"; the commit other projects pin as well.
            revision="5e67da950fce4a097bc150c22958a05716994cea",
            files=_PIPELINE_FILES,
            licence="Apache-2.0",
            licence_url="https://www.apache.org/licenses/LICENSE-2.0",
            commercial_use=True,
            # 4B transformer (7.75 GB bf16) + Qwen3-4B text encoder (8.05 GB) + VAE
            # (0.17 GB). BFL quotes ~13 GB VRAM; with model CPU offload far less.
            memory_gb=17.0,
            download_gb=16.0,
            # 3.876e9, 4.022e9 and 0.084e9 parameters (the architectures of
            # bench/generate.py, counted on the meta device) × 2 bytes.
            weights_gb={"text_encoder": 7.49, "transformer": 7.22, "vae": 0.16},
            # Per token, a single-stream block holds its input (3 072 wide), the fused
            # QKV+MLP projection (27 648), normed and rotated q/k/v, the attention output,
            # the MLP's 9 216 and the concatenated 12 288: ~65k values, 130 KB in bf16,
            # plus float32 RoPE temporaries (flash/SDPA attention keeps no T×T matrix).
            # 41k tokens → 5.3 GiB. An estimate: `likeness bench generate` measures it.
            token_gb=140e3 / 2**30,
            description="FLUX.2 [klein] 4B, step-distilled (4 steps), multi-reference editing and inpainting.",
        ),
        ModelSpec(
            name="flux2-klein-9b",
            repository="black-forest-labs/FLUX.2-klein-9B",
            revision=None,  # no commit known offline: the pulled commit is recorded
            files=_PIPELINE_FILES,
            licence="FLUX Non-Commercial License",
            licence_url="https://huggingface.co/black-forest-labs/FLUX.2-klein-9B",
            commercial_use=False,
            # 9B transformer (~18 GB bf16) + Qwen3-8B text encoder (~16.4 GB).
            memory_gb=36.0,
            download_gb=35.0,
            weights_gb={"text_encoder": 15.26, "transformer": 16.91, "vae": 0.16},  # 8.19e9, 9.08e9 parameters
            token_gb=140e3 * 4096 / 3072 / 2**30,  # as the 4B, 4096 wide instead of 3072
            description="FLUX.2 [klein] 9B: better detail, NOT for commercial use.",
            gated=True,
        ),
    )
}


def home() -> Path:
    """The store folder: ``$LIKENESS_HOME/models`` (default ``~/.likeness/models``)."""
    from ..home import home as likeness_home

    return likeness_home() / "models"


def spec(name: str) -> ModelSpec:
    if name not in MANIFEST:
        raise OptionError(f"Unknown model {name!r}.", hint="Choose one of: " + ", ".join(MANIFEST) + ".", model=name)
    return MANIFEST[name]


def pull_command(name: str) -> str:
    return f"likeness models pull {name}"


@dataclass(frozen=True)
class ModelStatus:
    name: str
    repository: str
    licence: str
    commercial_use: bool
    download_gb: float
    memory_gb: float
    pulled: bool
    path: str
    revision: str | None  # pinned, or the commit recorded by pull


def list_models() -> list[ModelStatus]:
    """Every model in the manifest with whether it is in the store."""
    out = []
    for s in MANIFEST.values():
        lock = _read_lock(s.name)
        out.append(
            ModelStatus(
                name=s.name,
                repository=s.repository,
                licence=s.licence,
                commercial_use=s.commercial_use,
                download_gb=s.download_gb,
                memory_gb=s.memory_gb,
                pulled=lock is not None,
                path=str(home() / s.name),
                revision=(lock or {}).get("revision") or s.revision,
            )
        )
    return out


def missing_error(name: str, reason: str = "is not in the model store") -> ModelMissingError:
    s = spec(name)
    return ModelMissingError(
        f"Model {name!r} ({s.repository}, {s.licence}) {reason} ({home() / name}).",
        hint=f"Download it once with `{pull_command(name)}` (about {s.download_gb:.0f} GB); "
        "after that it loads offline.",
        model=name,
        pull_command=pull_command(name),
        download_gb=s.download_gb,
    )


def model_dir(name: str) -> Path:
    """The local folder of a pulled model. Cheap check (files present, sizes as pulled)."""
    lock = _read_lock(name)
    if lock is None:
        raise missing_error(name)
    root = home() / name
    for rel, rec in lock["files"].items():
        path = root / rel
        if not path.is_file() or path.stat().st_size != rec["size"]:
            raise missing_error(name, reason=f"is incomplete in the model store ({rel} is missing or changed)")
    return root


#: ``download(spec, dest, revision) -> None``; replaced in tests (no network there).
Downloader = Callable[[ModelSpec, Path, str], None]


def _hub_download(s: ModelSpec, dest: Path, revision: str) -> None:
    from huggingface_hub import snapshot_download  # lazy: only `pull` needs it

    snapshot_download(repo_id=s.repository, revision=revision, local_dir=dest, allow_patterns=list(s.files))


def _resolve_revision(s: ModelSpec) -> str:
    if s.revision:
        return s.revision
    from huggingface_hub import HfApi

    return HfApi().model_info(s.repository, revision="main").sha


def _network_errors() -> tuple[type[BaseException], ...]:
    # The hub's own errors derive from OSError; a raw transport error may not.
    try:
        import httpx2

        return (OSError, httpx2.HTTPError)
    except ImportError:
        return (OSError,)


def pull(name: str, *, download: Downloader | None = None, force: bool = False) -> Path:
    """Download a model at its pinned revision, check it, record it. Returns its folder."""
    s = spec(name)
    if not force and _read_lock(name) is not None:
        return model_dir(name)
    dest = home() / name
    dest.mkdir(parents=True, exist_ok=True)
    try:
        revision = _resolve_revision(s) if download is None else (s.revision or "local")
        (download or _hub_download)(s, dest, revision)
    except ImportError as exc:
        raise ModelMissingError(
            f"Cannot download {name!r}: {exc.name or 'huggingface_hub'} is not installed.",
            hint="Install the generation extras (torch, diffusers, huggingface_hub) and try again.",
            model=name,
        ) from exc
    except _network_errors() as exc:
        gated = " Accept its licence on the model page and log in with `hf auth login` first." if s.gated else ""
        raise ModelMissingError(
            f"Downloading {name!r} from {s.repository} failed: {exc}",
            hint=f"Check the network and run `{pull_command(name)}` again.{gated}",
            model=name,
        ) from exc
    files = {}
    for path in sorted(p for p in dest.rglob("*") if p.is_file()):
        rel = path.relative_to(dest).as_posix()
        if rel == LOCK_FILE or rel.startswith(".cache/"):
            continue
        digest = sha256_file(path)
        known = s.sha256.get(rel)
        if known is not None and known != digest:
            path.unlink()
            raise ModelMissingError(
                f"{name}: {rel} does not match its checksum (got {digest[:12]}…, expected {known[:12]}…).",
                hint=f"The file was deleted; run `{pull_command(name)}` again.",
                model=name,
                file=rel,
            )
        files[rel] = {"sha256": digest, "size": path.stat().st_size}
    if not files:
        raise missing_error(name, reason="downloaded no files")
    lock = {"name": name, "repository": s.repository, "revision": revision, "pulled_at": time.time(), "files": files}
    (dest / LOCK_FILE).write_text(json.dumps(lock, indent=1, sort_keys=True))
    return dest


@dataclass(frozen=True)
class VerifyReport:
    name: str
    ok: bool
    checked: int
    mismatched: tuple[str, ...]
    missing: tuple[str, ...]


def verify(name: str) -> VerifyReport:
    """Hash every file of a pulled model against the manifest, else the lock file."""
    s = spec(name)
    lock = _read_lock(name)
    if lock is None:
        raise missing_error(name)
    root = home() / name
    mismatched, missing = [], []
    for rel, rec in lock["files"].items():
        path = root / rel
        if not path.is_file():
            missing.append(rel)
            continue
        expected = s.sha256.get(rel) or rec.get("sha256")
        digest = sha256_file(path)
        if expected is None:  # a lock written before hashes were recorded: record now
            rec["sha256"] = digest
        elif digest != expected:
            mismatched.append(rel)
    (root / LOCK_FILE).write_text(json.dumps(lock, indent=1, sort_keys=True))
    return VerifyReport(name, not (mismatched or missing), len(lock["files"]), tuple(mismatched), tuple(missing))


def sha256_file(path: Path, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _read_lock(name: str) -> dict | None:
    path = home() / name / LOCK_FILE
    if not path.is_file():
        return None
    try:
        lock = json.loads(path.read_text())
    except (OSError, ValueError):
        return None  # an unreadable lock is a model that needs pulling again
    return lock if isinstance(lock.get("files"), dict) else None
