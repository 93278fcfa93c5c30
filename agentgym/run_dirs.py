"""Default run folders: PREFIX-<YYYYmmdd-HHMMSS>, never reused."""

from __future__ import annotations

import os
import time


def claim_new_dir(prefix: str | os.PathLike[str]) -> str:
    """Create and return PREFIX-<YYYYmmdd-HHMMSS>, with -2, -3, ... when that name is taken. mkdir claims each name
    atomically, so two runs started in the same second (two demo seeds, two evals at once) never share a folder."""
    base = f"{os.fspath(prefix)}-{time.strftime('%Y%m%d-%H%M%S')}"
    os.makedirs(os.path.dirname(base) or ".", exist_ok=True)
    k = 1
    while True:
        path = base if k == 1 else f"{base}-{k}"
        try:
            os.mkdir(path)
            return path
        except FileExistsError:
            k += 1
