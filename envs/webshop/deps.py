"""Lazy imports of the `web` extra: a missing package raises an error that names the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingWebExtra(ImportError):
    """A package of agentgym's `web` extra is not installed."""


def require(module: str) -> ModuleType:
    """Import `module` (a package of the `web` extra) or say how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise MissingWebExtra(
            f"the WebShop envs need {module.split('.')[0]!r} ({e}); install it with `pip install 'agentgym[web]'`"
        ) from e
