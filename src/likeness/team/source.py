"""Who is in the team: a folder with one sub-folder per person, or a CSV manifest.

CSV columns: ``name`` and ``photos`` (a folder or a glob, relative to the CSV), with
optional ``title``, ``department`` and ``card`` (a photo of a grey card or colour chart
in the person's light, relative to the CSV: white balance and exposure come from it). Names become file-safe slugs; two people may
not share a slug (the second is told to rename).
"""

from __future__ import annotations

import csv
import glob
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..imageio import is_image_path


@dataclass(frozen=True)
class Member:
    name: str
    slug: str
    photos: tuple[Path, ...]
    title: str = ""
    department: str = ""
    card: Path | None = None  # a grey card / colour chart photo (studio.card)


def slugify(name: str) -> str:
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    s = re.sub(r"[^A-Za-z0-9]+", "-", s).strip("-").lower()
    return s or "person"


def _photos_in(folder: Path) -> tuple[Path, ...]:
    return tuple(sorted(p for p in folder.iterdir() if p.is_file() and is_image_path(p)))


def read_source(source: str | Path) -> list[Member]:
    """Members from a folder of per-person folders or a CSV manifest, in a stable order."""
    source = Path(source)
    if not source.exists():
        raise InputError(f"{source} does not exist.", hint="Give a folder with one sub-folder per person, or a CSV.")
    members = _from_csv(source) if source.is_file() else _from_folder(source)
    if not members:
        raise InputError(
            f"No people found in {source}.",
            hint="Put each person's photos in their own sub-folder (e.g. team/ada-lovelace/*.jpg), or give a CSV with name,photos columns.",
        )
    seen: dict[str, str] = {}
    for m in members:
        if m.slug in seen:
            raise InputError(
                f"'{m.name}' and '{seen[m.slug]}' would share the file name {m.slug!r}.",
                hint="Give one of them a distinguishing name (e.g. add an initial).",
            )
        seen[m.slug] = m.name
    return members


def _from_folder(root: Path) -> list[Member]:
    out = []
    for d in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        name = " ".join(d.name.replace("_", " ").replace("-", " ").split())
        name = name.title() if d.name.islower() else name
        out.append(Member(name=name, slug=slugify(d.name), photos=_photos_in(d)))
    return out


def _from_csv(path: Path) -> list[Member]:
    if path.suffix.lower() != ".csv":
        raise InputError(f"{path} is a file but not a CSV manifest.", hint="Give a folder of per-person folders or a .csv file.")
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        cols = {c.strip().lower() for c in reader.fieldnames or []}
        if not {"name", "photos"} <= cols:
            raise InputError(
                f"{path} needs the columns 'name' and 'photos' (found: {', '.join(sorted(cols)) or 'none'}).",
                hint="Add a header line: name,photos,title,department",
            )
        out = []
        for i, row in enumerate(reader, start=2):
            row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
            if not row.get("name"):
                raise InputError(f"{path}, line {i}: the name is empty.", hint="Give every row a name.")
            spec = row["photos"]
            target = (path.parent / spec) if not Path(spec).is_absolute() else Path(spec)
            if target.is_dir():
                photos = _photos_in(target)
            else:
                photos = tuple(sorted(Path(p) for p in glob.glob(str(target)) if is_image_path(Path(p))))
            card = None
            if row.get("card"):
                card = (path.parent / row["card"]) if not Path(row["card"]).is_absolute() else Path(row["card"])
                if not card.is_file():
                    raise InputError(f"{path}, line {i}: the card photo {row['card']!r} does not exist.",
                                     hint="Give the card photo's path relative to the CSV, or leave the column empty.")
            out.append(
                Member(
                    name=row["name"], slug=slugify(row["name"]), photos=photos,
                    title=row.get("title", ""), department=row.get("department", ""), card=card,
                )
            )
    return out
