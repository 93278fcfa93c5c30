"""Lazy access to NLE and MiniHack: importing this module imports neither until an attribute is used, and a missing
package raises an error that names the extra to install."""

from __future__ import annotations

import importlib
import warnings
from types import ModuleType
from typing import Any

INSTALL_HINT = "install it with `pip install 'agentgym[nethack]'` (NLE 1.3.0 and MiniHack)"


class _Lazy:
    """A module imported on first attribute access."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def _load(self) -> ModuleType:
        if self._module is None:
            try:
                with warnings.catch_warnings():
                    # minihack imports pkg_resources, which warns that it is deprecated on every import
                    warnings.simplefilter("ignore", UserWarning)
                    warnings.simplefilter("ignore", DeprecationWarning)
                    self._module = importlib.import_module(self._name)
            except ImportError as e:
                raise ImportError(f"the NetHack envs need the {self._name.split('.')[0]!r} package ({e}); "
                                  f"{INSTALL_HINT}") from e
        return self._module

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._load(), attr)


nethack = _Lazy("nle.nethack")
"""`nle.nethack`: glyph offsets, actions, permonst/objclass tables."""


_MINIHACK = _Lazy("minihack")
_NLE_ENVS = _Lazy("nle.env")


def minihack() -> ModuleType:
    """Import MiniHack (registers its gymnasium envs)."""
    return _MINIHACK._load()


def nle_envs() -> ModuleType:
    """Import NLE's gymnasium envs (registers NetHackScore-v0 and the others)."""
    return _NLE_ENVS._load()
