"""ScreenSpot (v1, v2) and ScreenSpot-Pro annotation files: read them, and write generated screens in Pro's schema.

- ScreenSpot v1 / v2 (`screenspot_{mobile,desktop,web}[_v2].json`): a JSON list of
  {"img_filename", "bbox": [x, y, w, h] (pixels), "instruction", "data_type": "text"|"icon", "data_source"}.
- ScreenSpot-Pro (`annotations/<app>_<os>.json`): a JSON list of {"img_filename", "bbox": [x1, y1, x2, y2],
  "instruction", "instruction_cn", "id", "application", "platform", "img_size": [w, h], "ui_type": "text"|"icon",
  "group"}.

`load_screenspot(path)` tells the two apart by their keys ("img_size"/"ui_type" -> Pro; "data_type" -> v1/v2) and
returns `GroundingSample`s with the box as corners. Our generated screens are written with `write_screenspot_pro`;
`application` holds the template, `platform` the viewport, `group` "generated/<split>".
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Schema = Literal["screenspot", "screenspot_pro"]


@dataclass(frozen=True)
class GroundingSample:
    image_path: str
    box: tuple[float, float, float, float]
    """Target box as corners (x1, y1, x2, y2) in image pixels."""
    instruction: str
    ui_type: str
    id: str
    img_size: tuple[int, int] | None = None
    """(width, height) where the file gives it (Pro does); None otherwise (read from the image)."""
    group: str | None = None
    platform: str | None = None
    application: str | None = None


def detect_schema(record: dict[str, Any]) -> Schema:
    if "ui_type" in record or "img_size" in record:
        return "screenspot_pro"
    if "data_type" in record:
        return "screenspot"
    raise ValueError(f"not a ScreenSpot record (neither ui_type/img_size nor data_type): keys {sorted(record)}")


def load_screenspot(path: str | os.PathLike, *, image_root: str | os.PathLike | None = None) -> list[GroundingSample]:
    """Read one ScreenSpot v1/v2 or ScreenSpot-Pro annotation file. image_root: the folder `img_filename` is
    relative to (default: the file's folder, then its parent's `images/`, as the datasets are laid out)."""
    path = Path(path)
    with open(path, encoding="utf-8") as f:
        records = json.load(f)
    if not isinstance(records, list):
        raise ValueError(f"{path}: a ScreenSpot annotation file is a JSON list of records, got {type(records).__name__}")
    out = []
    for i, r in enumerate(records):
        schema = detect_schema(r)
        b = [float(v) for v in r["bbox"]]
        if len(b) != 4:
            raise ValueError(f"{path} record {i}: bbox must have 4 numbers, got {r['bbox']!r}")
        box = (b[0], b[1], b[0] + b[2], b[1] + b[3]) if schema == "screenspot" else (b[0], b[1], b[2], b[3])
        if not (box[2] > box[0] and box[3] > box[1]):
            raise ValueError(f"{path} record {i}: bbox {r['bbox']!r} has no area as "
                             f"{'x, y, w, h' if schema == 'screenspot' else 'x1, y1, x2, y2'}")
        out.append(GroundingSample(
            image_path=str(_resolve_image(path, r["img_filename"], image_root)), box=box,
            instruction=str(r["instruction"]), ui_type=str(r.get("ui_type") or r.get("data_type") or "text"),
            id=str(r.get("id") or f"{path.stem}/{i}"),
            img_size=tuple(int(v) for v in r["img_size"]) if r.get("img_size") else None,  # type: ignore[arg-type]
            group=r.get("group"), platform=r.get("platform") or r.get("data_source"),
            application=r.get("application")))
    return out


def _resolve_image(ann: Path, name: str, image_root: str | os.PathLike | None) -> Path:
    candidates = [Path(image_root) / name] if image_root is not None else [
        ann.parent / name, ann.parent.parent / "images" / name, ann.parent / "images" / name]
    for c in candidates:
        if c.exists():
            return c
    return candidates[0]  # reported when the episode opens it


def write_screenspot_pro(samples: Iterable[dict[str, Any]], path: str | os.PathLike) -> None:
    """Write records already in Pro's schema (see module docstring) as one JSON list."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(list(samples), f, ensure_ascii=False, indent=1)
