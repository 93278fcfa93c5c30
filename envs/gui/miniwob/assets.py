"""Where MiniWoB++'s task pages come from: the `miniwob` wheel, fetched at setup with `pip download --no-deps`.

The wheel is not a pip dependency of agentgym: miniwob 1.1.0 pins a newer gymnasium than nle (the nethack extra)
allows, so installing it would break `agentgym[all]`. scripts/setup.sh --dev downloads the wheel into
`$AGENTGYM_CACHE/miniwob` (default ~/.cache/agentgym/miniwob) and this module unpacks its `miniwob/html/` folder
next to it on first use. Nothing of the package's Python code is imported.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

MINIWOB_VERSION = "1.1.0"
WHEEL = f"miniwob-{MINIWOB_VERSION}-py3-none-any.whl"


def cache_dir() -> Path:
    root = os.environ.get("AGENTGYM_CACHE") or os.path.join(Path.home(), ".cache", "agentgym")
    return Path(root) / "miniwob"


def html_dir() -> Path:
    """The unpacked `html/` folder (holding miniwob/, core/, common/), unpacking the wheel on first use."""
    override = os.environ.get("AGENTGYM_MINIWOB_HTML")
    if override:
        return Path(override)
    target = cache_dir() / MINIWOB_VERSION / "html"
    if (target / "miniwob").is_dir() and (target / "core" / "core.js").is_file():
        return target
    wheel = cache_dir() / WHEEL
    if not wheel.is_file():
        raise FileNotFoundError(
            f"MiniWoB++'s task pages are missing: no {wheel}. Fetch the wheel (it is deliberately not a pip "
            f"dependency) with `pip download --no-deps miniwob=={MINIWOB_VERSION} -d {cache_dir()}` "
            "(scripts/setup.sh --dev does this).")
    tmp = target.parent / f"html.{os.getpid()}.tmp"
    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            if name.startswith("miniwob/html/") and not name.endswith("/"):
                out = tmp / name[len("miniwob/html/"):]
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(z.read(name))
    try:
        os.replace(tmp, target)
    except OSError:  # another process unpacked it first
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return target


def task_url(task: str) -> str:
    page = html_dir() / "miniwob" / f"{task}.html"
    if not page.is_file():
        raise FileNotFoundError(f"MiniWoB++ has no task page {page}")
    return page.as_uri()
